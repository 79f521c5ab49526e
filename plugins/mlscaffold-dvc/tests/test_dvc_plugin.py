"""What the plugin adds to a project, rendered in-process."""

import mlscaffold_dvc
import tomlkit
import yaml

from mlscaffold.testing import render_project


def test_plugin_adds_pipeline_remote_tests_items_and_dependency(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"dvc": mlscaffold_dvc})
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    assert list(pipeline["stages"]) == ["data", "train", "evaluate"]
    assert pipeline["stages"]["train"]["cmd"] == "python -m demo train"
    assert "url = ../data/dvc-remote" in (project / ".dvc" / "config").read_text()
    assert (project / "tests" / "test_dvc_pipeline.py").is_file()
    assert (
        "`dvc.data.versioned`, required"
        in (project / "stages" / "02-data" / "CHECKLIST.md").read_text()
    )
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text())
    assert "dvc>=3.50,<4" in pyproject["project"]["optional-dependencies"]["dev"]

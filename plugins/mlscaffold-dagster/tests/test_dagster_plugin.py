"""What the plugin adds to a project, rendered in-process."""

import re

import mlscaffold_dagster
import tomlkit

from mlscaffold.status import verify
from mlscaffold.testing import render_project


def test_plugin_adds_jobs_config_docs_tests_items_and_dependencies(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"dagster": mlscaffold_dagster})
    orchestration = project / "src" / "demo" / "orchestration"
    modules = {"__init__.py", "__main__.py", "pipeline.py"}
    assert {path.name for path in orchestration.iterdir()} == modules
    assert "dagster dev -m demo.orchestration" in (orchestration / "__init__.py").read_text()
    assert (project / "tests" / "test_orchestration.py").is_file()
    assert (project / "stages" / "04-deployment" / "dagster.md").is_file()
    assert (project / "stages" / "05-monitoring" / "retraining-trigger.md").is_file()
    deployment = (project / "stages" / "04-deployment" / "CHECKLIST.md").read_text()
    assert "`dagster.deployment.pipeline-rerunnable`, required" in deployment
    monitoring = (project / "stages" / "05-monitoring" / "CHECKLIST.md").read_text()
    assert "`dagster.monitoring.retraining-trigger`, required" in monitoring
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text())
    assert "dagster>=1.9,<2" in pyproject["project"]["dependencies"]
    assert "dagster-webserver>=1.9,<2" in pyproject["project"]["optional-dependencies"]["dev"]


def test_retraining_trigger_is_verified_only_once_the_drift_schedule_is_on(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"dagster": mlscaffold_dagster})
    (item,) = mlscaffold_dagster.mlscaffold_checklist_items("monitoring", {"package_name": "demo"})
    config = project / "configs" / "orchestration.toml"
    assert verify(project, item["verify"], 10)[0] is False
    # Switching on the retraining schedule alone does not count: the drift check's must be on.
    text = config.read_text()
    last = text.rindex("enabled = false")
    config.write_text(text[:last] + "enabled = true" + text[last + len("enabled = false") :])
    assert verify(project, item["verify"], 10)[0] is False
    config.write_text(re.sub("enabled = false", "enabled = true", text, count=1))
    assert verify(project, item["verify"], 10) == (True, "")

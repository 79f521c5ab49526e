"""What the plugin adds to a project, rendered in-process (the MLflow runs themselves are
tested by the project's own tests/test_mlflow_tracking.py, which mlscaffold's suite runs)."""

import mlscaffold_mlflow
import tomlkit

from mlscaffold.testing import render_project


def test_plugin_adds_tracker_config_tests_docs_items_and_dependency(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"mlflow": mlscaffold_mlflow})
    for path in [
        "src/demo/modeling/trackers/mlflow_tracker.py",
        "configs/mlflow.toml",
        "tests/test_mlflow_tracking.py",
        "stages/03-modeling/mlflow.md",
    ]:
        assert (project / path).is_file(), path
    assert 'experiment = "demo"' in (project / "configs" / "mlflow.toml").read_text()
    checklists = {
        stage: (project / "stages" / folder / "CHECKLIST.md").read_text()
        for stage, folder in [("modeling", "03-modeling"), ("deployment", "04-deployment"),
                              ("monitoring", "05-monitoring")]
    }  # fmt: skip
    assert "`mlflow.modeling.runs-tracked`, required" in checklists["modeling"]
    assert "`mlflow.deployment.registered`, required" in checklists["deployment"]
    assert "`mlflow.monitoring.compare-runs`" in checklists["monitoring"]
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text())
    assert "mlflow>=3,<4" in pyproject["project"]["dependencies"]
    assert "error" in pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"]

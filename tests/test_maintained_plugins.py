"""The plugins maintained in plugins/, installed as users install them, in a real project:
the project installs, passes its own suite (which exercises the integration for real,
offline) and runs its pipeline."""

from __future__ import annotations

import json
import os

import pytest
from conftest import REPO, project_env, run

pytestmark = pytest.mark.slow


def test_mlflow_plugin_tracks_and_registers_real_runs(installed_cli, project_venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLSCAFFOLD_LOAD_PLUGINS"}
    python = installed_cli.parent / "python"
    run([python, "-m", "pip", "install", "--quiet", REPO / "plugins" / "mlscaffold-mlflow"],
        tmp_path, env)  # fmt: skip
    run([installed_cli, "new", "tracked", "--defaults", "--plugin", "mlflow"], tmp_path, env)
    project = tmp_path / "tracked"
    penv = project_env(project_venv)
    run([project_venv / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]"], project, penv)
    suite = run([project_venv / "python", "-m", "pytest", "-v", "-p", "no:cacheprovider"],
                project, penv)  # fmt: skip
    assert suite.stdout.count("tests/test_mlflow_tracking.py::") == 2
    assert "FAILED" not in suite.stdout
    run(["make", "all"], project, penv)
    assert (project / "models" / "mlflow" / "mlflow.db").is_file()
    status = json.loads(run([installed_cli, "status", "--json", "--stage", "modeling"], project,
                            env).stdout)  # fmt: skip
    item = next(
        i for i in status["stages"][0]["items"] if i["id"] == "mlflow.modeling.runs-tracked"
    )
    assert (item["outcome"], item["verified"]) == ("done", True)

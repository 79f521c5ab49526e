"""The product as a user gets it: build the wheel, create projects with it, run them.

Each project is installed into a virtualenv (one shared by all projects, so each later
install only adds the project itself) and must pass its own test suite, `ruff check`,
and `make all`, which runs every stage end to end offline.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from conftest import project_env, run

from mlscaffold.errors import EXIT_CHECK_FAILED

pytestmark = pytest.mark.slow

COMBINATIONS = [
    ("classification", "online"),
    ("classification", "batch"),
    ("regression", "online"),
    ("regression", "both"),
]


@pytest.mark.parametrize(("problem_type", "prediction_mode"), COMBINATIONS)
def test_generated_project_installs_passes_its_tests_and_runs_end_to_end(
    installed_cli, project_venv, tmp_path, problem_type, prediction_mode
):
    name = project_name = f"{problem_type[:5]}-{prediction_mode}"
    run(
        [installed_cli, "new", name, "--defaults",
         "-d", f"problem_type={problem_type}", "-d", f"prediction_mode={prediction_mode}"],
        cwd=tmp_path,
    )  # fmt: skip
    project = tmp_path / name
    env = project_env(project_venv)
    run([project_venv / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]"], project, env)
    run([project_venv / "ruff", "check", "."], project, env)
    run([project_venv / "ruff", "format", "--check", "."], project, env)
    tests = run(
        [project_venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert " passed" in tests.stdout and " failed" not in tests.stdout

    run(["make", "all"], project, env)
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    if problem_type == "classification":
        assert metrics["model"]["roc_auc"] > metrics["baseline"]["roc_auc"] + 0.2
    else:
        assert metrics["model"]["mae"] < metrics["baseline"]["mae"]
    for report in ["data-report.html", "evaluation.html", "business.json", "business.html"]:
        assert (project / "reports" / report).is_file(), report
    drift = json.loads((project / "reports" / "drift" / "drift-report.json").read_text())
    assert drift, "the drift report is empty"
    card = (project / "reports" / "model-card-metrics.md").read_text()
    assert any(ch.isdigit() for ch in card), "the model card's numbers were not written"
    # Running the project writes only ignored artifacts: documents are written by people.
    assert run(["git", "status", "--porcelain"], project).stdout == ""

    # The scoping gate fails on a new project and passes once the stage is done.
    gate = [installed_cli, "check", "--stage", "scoping"]
    assert subprocess.run(gate, cwd=project, capture_output=True).returncode == EXIT_CHECK_FAILED
    charter = project / "stages" / "01-scoping" / "charter.md"
    charter.write_text(re.sub(r"\bTODO\b", "agreed with the sponsor", charter.read_text()))
    package = project_name.replace("-", "_")
    run([project_venv / "python", "-m", package, "scoping"], project, env)
    checklist = project / "stages" / "01-scoping" / "CHECKLIST.md"
    checklist.write_text(checklist.read_text().replace("- [ ]", "- [x]"))
    run(gate, project)
    shutil.rmtree(project / "data")  # keep the shared tmp small across the matrix

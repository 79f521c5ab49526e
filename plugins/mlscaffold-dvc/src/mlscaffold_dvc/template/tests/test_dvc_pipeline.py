"""The DVC pipeline (mlscaffold-dvc plugin): `dvc repro` rebuilds everything from raw data
and code, a second run does nothing, and `dvc push` stores the data in the local remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"data", "models", "reports", "logs", ".git", ".venv", ".pytest_cache", ".ruff_cache"}


def skip(folder: str, names: list[str]) -> list[str]:
    """The project's code and configs, without what the pipeline and tools generate."""
    return [name for name in names if Path(folder) == ROOT and name in GENERATED]


def dvc(project: Path, *args: str) -> str:
    # The stages run `python`: the interpreter of this virtualenv, as in an activated one.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PROJECT_ROOT": str(project), "PATH": path}
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_repro_builds_everything_then_does_nothing(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=skip)
    first = dvc(project, "repro")
    for stage in ("data", "train", "evaluate"):
        assert f"Running stage '{stage}'" in first
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert metrics["model"] and (project / "dvc.lock").is_file()
    second = dvc(project, "repro")
    assert "Running stage" not in second
    dvc(project, "push")
    assert any((project / "data" / "dvc-remote").rglob("*"))

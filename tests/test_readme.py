"""The README's first command, run exactly as written, on a copy of this repository."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    quick_start = REPO.joinpath("README.md").read_text().split("## Quick start", 1)[1]
    return re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)


def test_the_two_readme_commands_are_the_ones_ci_runs():
    install_and_create, install_and_test = readme_commands()[:2]
    assert "mlscaffold new churn-model --defaults" in install_and_create
    assert install_and_test in REPO.joinpath(".ci", "run").read_text()


def test_readme_first_command_creates_a_project(tmp_path):
    checkout = tmp_path / "mlscaffold"
    ignore = shutil.ignore_patterns(".venv", ".git", "*cache*", "site", "dist", "build")
    shutil.copytree(REPO, checkout, ignore=ignore)
    command = readme_commands()[0]
    result = subprocess.run(["bash", "-c", command], cwd=checkout, capture_output=True, text=True,
                            timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    project = checkout / "churn-model"
    assert (project / ".mlscaffold.toml").is_file()
    assert (project / "stages" / "01-scoping" / "CHECKLIST.md").is_file()
    assert "Next steps" in result.stdout

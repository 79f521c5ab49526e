"""The README's Quick start, run exactly as written, in a clone of this repository."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO, clone_checkout, field_env, git


def readme_commands() -> list[str]:
    quick_start = REPO.joinpath("README.md").read_text().split("## Quick start", 1)[1]
    return re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)


def test_the_two_readme_commands_are_the_ones_ci_runs():
    install_and_create, install_and_test = readme_commands()[:2]
    assert "mlscaffold new churn-model --defaults" in install_and_create
    ci = REPO.joinpath(".ci", "run").read_text().splitlines()
    assert ci[-1] == install_and_test


def test_a_clone_holds_the_tracked_files_only(tmp_path):
    """The README's commands leave .venv/ and churn-model/ in the clone; a copy of the
    checkout that tests run in must not carry them (nor what a build leaves)."""
    source = tmp_path / "source"
    source.mkdir()
    git(source, "init", "--quiet")
    (source / "README.md").write_text("readme\n")
    (source / "src").mkdir()
    (source / "src" / "code.py").write_text("x = 1\n")
    git(source, "add", "--all")
    (source / "src" / "code.py").write_text("x = 2\n")  # a change not yet committed counts
    for leftover in (".venv/bin/python", "churn-model/.mlscaffold.toml", "dist/x.whl"):
        (source / leftover).parent.mkdir(parents=True, exist_ok=True)
        (source / leftover).write_text("left over\n")
    clone = clone_checkout(tmp_path / "clone", source)
    files = sorted(p.relative_to(clone).as_posix() for p in clone.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(clone).parts)  # fmt: skip
    assert files == ["README.md", "src/code.py"]
    assert (clone / "src" / "code.py").read_text() == "x = 2\n"
    assert git(clone, "status", "--porcelain") == ""


@pytest.mark.slow
def test_readme_first_command_creates_a_project_of_its_own_in_the_clone(tmp_path):
    """As a user runs it: in a clone (a git repository), with no git identity."""
    checkout = clone_checkout(tmp_path / "mlscaffold")
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        ["bash", "-c", readme_commands()[0]], cwd=checkout, env=field_env(home),
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    project = checkout / "churn-model"
    assert (project / ".mlscaffold.toml").is_file()
    assert (project / "stages" / "01-scoping" / "CHECKLIST.md").is_file()
    assert "Next steps" in result.stdout
    # A repository of its own, committed; the clone's repository is left as it was, and
    # the note says so.
    assert git(project, "rev-parse", "--show-toplevel") == str(project.resolve())
    assert git(project, "status", "--porcelain") == ""
    assert git(checkout, "status", "--porcelain") == "?? churn-model/"
    assert "Note:" in result.stderr

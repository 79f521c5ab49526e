"""`mlscaffold adopt`: a project that copier made is taken over without changing a file of
the user's, and `mlscaffold update` then brings a newer template version, edits kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import git, release, snapshot

from mlscaffold.cli import app
from mlscaffold.state import read_state

COPIER_YML = """\
_subdirectory: template
project_name:
  type: str
  default: demo
use_docker:
  type: bool
  default: false
"""
V1 = {
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "README.md.jinja": "# {{ project_name }}\n\nintro\n\nline a\nline b\n",
    "src/app.py": "def main():\n    return 1\n",
    "{% if use_docker %}Dockerfile{% endif %}.jinja": "FROM python\n",
    "LICENSE": "MIT v1\n",
}
V2 = {
    "README.md.jinja": "# {{ project_name }}\n\nintro, better\n\nline a\nline b\n",
    "CONTRIBUTING.md": "new in v2\n",
    "LICENSE": "MIT v2\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = root / "template" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@pytest.fixture
def template(tmp_path) -> Path:
    root = tmp_path / "tpl"
    root.mkdir()
    (root / "copier.yml").write_text(COPIER_YML)
    write(root, V1)
    release(root, "v1.0.0")
    write(root, V2)
    release(root, "v2.0.0")
    return root


@pytest.fixture
def copier_project(tmp_path, template) -> Path:
    """A project as a copier user has it: made by copier, in git, with their edits."""
    import copier

    project = tmp_path / "made-by-copier"
    copier.run_copy(
        str(template), project, vcs_ref="v1.0.0", data={"project_name": "churn"},
        defaults=True, quiet=True,
    )  # fmt: skip
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "made by copier")
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("line b", "line b, mine"))
    (project / "src" / "app.py").write_text("def main():\n    return 2  # mine\n")
    (project / "notes.md").write_text("my own file\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "my edits")
    return project


def test_adopt_changes_no_file_and_records_the_template(runner, copier_project, template):
    before = {k: v for k, v in snapshot(copier_project).items() if not k.startswith(".git")}
    result = runner.invoke(app, ["adopt", str(copier_project)])
    assert result.exit_code == 0, result.output
    after = {k: v for k, v in snapshot(copier_project).items() if not k.startswith(".git")}
    assert {k: v for k, v in after.items() if k != ".mlscaffold.toml"} == before
    state = read_state(copier_project)
    assert state.template_source == "../tpl"  # copier's absolute path, made portable
    assert state.template_version == "1.0.0"
    assert state.answers["project_name"] == "churn"
    staged = git(copier_project, "diff", "--cached", "--name-only").splitlines()
    assert staged == [".mlscaffold.toml"]
    assert "README.md" in result.output  # named among the user's edits, kept
    assert str(copier_project.parent) not in (copier_project / ".mlscaffold.toml").read_text()


@pytest.mark.parametrize("where", ["project", "fresh clone"])
def test_adopt_then_update_keeps_every_edit(runner, tmp_path, copier_project, where):
    assert runner.invoke(app, ["adopt", str(copier_project)]).exit_code == 0
    git(copier_project, "commit", "--quiet", "-m", "adopt with mlscaffold")
    project = copier_project
    if where == "fresh clone":
        project = tmp_path / "clone"
        subprocess.run(["git", "clone", "--quiet", str(copier_project), str(project)], check=True)
    result = runner.invoke(app, ["update", str(project), "--defaults"])
    assert result.exit_code == 0, result.output
    readme = (project / "README.md").read_text()
    assert "intro, better" in readme and "line b, mine" in readme
    assert (project / "src" / "app.py").read_text() == "def main():\n    return 2  # mine\n"
    assert (project / "notes.md").read_text() == "my own file\n"
    assert (project / "CONTRIBUTING.md").read_text() == "new in v2\n"
    assert (project / "LICENSE").read_text() == "MIT v2\n"
    assert not git(project, "diff", "--name-only", "--diff-filter=U")
    assert read_state(project).template_version == "2.0.0"


@pytest.mark.reliability("state and history")
@pytest.mark.parametrize("case", ["no answers file", "no source", "already adopted", "dirty"])
def test_adopt_refusals_change_nothing(runner, copier_project, case):
    answers = copier_project / ".copier-answers.yml"
    if case == "no answers file":
        git(copier_project, "rm", "--quiet", ".copier-answers.yml")
        git(copier_project, "commit", "--quiet", "-m", "drop answers")
    elif case == "no source":
        answers.write_text("project_name: churn\n")
        git(copier_project, "commit", "--quiet", "-am", "no source")
    elif case == "already adopted":
        assert runner.invoke(app, ["adopt", str(copier_project)]).exit_code == 0
        git(copier_project, "commit", "--quiet", "-m", "adopted")
    else:
        (copier_project / "README.md").write_text("uncommitted\n")
    before = snapshot(copier_project)
    result = runner.invoke(app, ["adopt", str(copier_project)])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert snapshot(copier_project) == before

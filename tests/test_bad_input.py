"""Every bad input to `mlscaffold new`: one clear line, exit 1, nothing written anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import snapshot

from mlscaffold.cli import app

TRUST_TEMPLATE = """\
_subdirectory: template
_tasks:
  - echo hello
project_name:
  type: str
  default: x
"""

pytestmark = pytest.mark.reliability("bad input")


def setup_none(tmp_path: Path, make_template) -> dict[str, str]:
    return {}


CASES = {
    # name: (arguments, expected message fragment)
    "keyword package name": (["proj", "-d", "package_name=class"], "is a Python keyword"),
    "invalid package name": (
        ["proj", "-d", "package_name=9-lives"],
        "not a valid Python package name",
    ),
    "package name too long to import on one line": (
        ["proj", "-d", "package_name=" + "p" * 51],
        "is 51 characters long: keep it to 50 or fewer",
    ),
    "project name with a slash": (["proj", "-d", "project_name=a/b"], "may hold only letters"),
    "project name with a control character": (
        ["proj", "-d", "project_name=a\tb"],
        "may hold only letters",
    ),
    "project name ..": (["proj", "-d", "project_name=.."], "may hold only letters"),
    "empty project name": (["proj", "-d", "project_name="], "the project name is empty"),
    "destination ..": (
        [
            "..",
        ],
        "does not name a new folder",
    ),
    "empty destination": (
        [
            "",
        ],
        "does not name a new folder",
    ),
    "unknown data key": (["proj", "-d", "colour=blue"], "the template has no question 'colour'"),
    "data without =": (["proj", "-d", "author_name"], "is not KEY=VALUE"),
    "value outside the choices": (
        ["proj", "-d", "problem_type=clustering"],
        "'clustering' is not in",
    ),
    "invalid e-mail": (["proj", "-d", "author_email=nobody"], "is not an e-mail address"),
    "missing data file": (["proj", "--data-file", "{tmp}/nope.yml"], "does not exist"),
    "data file not a mapping": (["proj", "--data-file", "{tmp}/list.yml"], "must hold a mapping"),
    "data file not YAML": (["proj", "--data-file", "{tmp}/broken.yml"], "is not valid YAML"),
    "missing template": (["proj", "--template", "{tmp}/no-template"], "does not exist"),
    "not a copier template": (
        ["proj", "--template", "{tmp}/not-a-template"],
        "is not a copier template",
    ),
    "unknown vcs ref": (
        ["proj", "--template", "{git_template}", "--vcs-ref", "v9.9.9"],
        "v9.9.9 was not found",
    ),
    "vcs ref on a plain folder": (
        ["proj", "--template", "{plain_template}", "--vcs-ref", "v1"],
        "needs a git template",
    ),
    "vcs ref on the built-in template": (["proj", "--vcs-ref", "v1"], "drop --vcs-ref"),
    "destination is a file": (["{tmp}/a-file"], "exists and is not a folder"),
    "destination not empty": (["{tmp}/full"], "exists and is not empty"),
    "destination parent missing": (["{tmp}/missing/proj"], "does not exist: create it first"),
    "template needs trust": (["proj", "--template", "{trust_template}"], "pass --trust only if"),
}


@pytest.fixture
def scene(tmp_path, make_template, monkeypatch):
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    (tmp_path / "broken.yml").write_text("a: [unclosed\n")
    (tmp_path / "not-a-template").mkdir()
    (tmp_path / "not-a-template" / "README.md").write_text("hi\n")
    (tmp_path / "a-file").write_text("keep me\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine\n")
    (tmp_path / "sentinel").mkdir()
    (tmp_path / "sentinel" / "data.bin").write_bytes(b"\x00\x01")
    values = {
        "tmp": str(tmp_path),
        "git_template": str(make_template("git", tags={"v1.0.0": {}})),
        "plain_template": str(make_template("plain")),
        "trust_template": str(make_template("trust", copier_yml=TRUST_TEMPLATE)),
    }
    monkeypatch.chdir(tmp_path)
    return values


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line_and_writes_nothing(runner, tmp_path, scene, case):
    args, fragment = CASES[case]
    args = [arg.format(**scene) for arg in args]
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", *args, "--defaults"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before


def test_no_terminal_and_no_defaults_asks_for_defaults(runner, tmp_path):
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", str(tmp_path / "proj")])
    assert result.exit_code == 1
    assert "pass --defaults" in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where", ["during render", "during commit"])
def test_interrupt_leaves_nothing_behind(runner, tmp_path, monkeypatch, where):
    import mlscaffold.project as project

    real = project.render if where == "during render" else project.git.init_snapshot

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)  # files are on disk in the staging folder by now
        raise KeyboardInterrupt

    target = "render" if where == "during render" else "init_snapshot"
    monkeypatch.setattr(project if target == "render" else project.git, target, interrupted)
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", str(tmp_path / "proj"), "--defaults"])
    assert result.exit_code != 0
    assert snapshot(tmp_path) == before

"""Every bad input to `mlscaffold new`: one clear line, exit 1, nothing written anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import git, snapshot

from mlscaffold.cli import app

TRUST_TEMPLATE = """\
_subdirectory: template
_tasks:
  - echo hello
project_name:
  type: str
  default: x
"""

TYPED_TEMPLATE = """\
_subdirectory: template
count:
  type: int
  default: 3
name:
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
    "template is a file": (
        ["proj", "--template", "{tmp}/a-file"],
        "does not exist or is not a folder",
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
    "destination parent is a file": (["{tmp}/a-file/proj"], "exists and is not a folder"),
    "template needs trust": (["proj", "--template", "{trust_template}"], "pass --trust only if"),
    "int question answered with a word": (
        ["proj", "--template", "{typed_template}", "-d", "count=ten"],
        "the answer 'ten' to 'count' does not fit the question: it must be a whole number",
    ),
    "list for a str question in the data file": (
        ["proj", "--data-file", "{tmp}/list-answer.yml"],
        "the answer ['a', 'b'] to 'author_name' does not fit the question: it must be text",
    ),
    "mapping for an int question in the data file": (
        ["proj", "--template", "{typed_template}", "--data-file", "{tmp}/mapping-answer.yml"],
        "to 'count' does not fit the question: it must be a whole number",
    ),
    "reserved name _copier_conf": (["proj", "-d", "_copier_conf=x"], "'_copier_conf' is reserved"),
    "reserved name _folder_name": (["proj", "-d", "_folder_name=x"], "'_folder_name' is reserved"),
    "reserved name in the data file": (
        ["proj", "--data-file", "{tmp}/reserved.yml"],
        "'_copier_python' is reserved",
    ),
    "a name Jinja's render call reserves": (["proj", "-d", "self=x"], "has no question 'self'"),
    # What Python makes of bytes in argv that are not UTF-8 (os.fsdecode, surrogateescape).
    "non-UTF-8 -d value": (
        ["proj", "-d", os.fsdecode(b"author_name=caf\xe9")],
        "the answer to 'author_name' holds bytes that are not UTF-8 text",
    ),
    "non-UTF-8 -d name": (
        ["proj", "-d", os.fsdecode(b"auth\xffor=x")],
        "holds bytes that are not UTF-8 text",
    ),
    "non-UTF-8 data file": (["proj", "--data-file", "{tmp}/latin1.yml"], "is not UTF-8 text"),
    "non-UTF-8 destination, the default project name": (
        [os.fsdecode(b"caf\xe9")],
        "the default answer to 'project_name', 'caf\\udce9', holds bytes that are not UTF-8",
    ),
    "non-UTF-8 escape in the data file": (
        ["proj", "--data-file", "{tmp}/surrogate.yml"],
        "holds bytes that are not UTF-8 text",
    ),
    "data file is a folder": (["proj", "--data-file", "{tmp}/full"], "cannot be read"),
    "file name longer than the file system allows, from an answer": (
        ["proj", "--template", "{long_name_template}", "-d", "name=" + "é" * 130],
        "makes a file name of 264 bytes",
    ),
    "destination name longer than the file system allows": (
        ["é" * 130, "-d", "project_name=x"],
        "is too long a name for the file system",
    ),
}


@pytest.fixture
def scene(tmp_path, make_template, monkeypatch):
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    (tmp_path / "broken.yml").write_text("a: [unclosed\n")
    (tmp_path / "a-file").write_text("keep me\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine\n")
    (tmp_path / "list-answer.yml").write_text("author_name: [a, b]\n")
    (tmp_path / "mapping-answer.yml").write_text("count: {a: 1}\n")
    (tmp_path / "reserved.yml").write_text("_copier_python: /bin/sh\n")
    (tmp_path / "latin1.yml").write_bytes("author_name: Zoé\n".encode("latin-1"))
    (tmp_path / "surrogate.yml").write_text('author_name: "a\\udce9"\n')
    (tmp_path / "sentinel").mkdir()
    (tmp_path / "sentinel" / "data.bin").write_bytes(b"\x00\x01")
    values = {
        "tmp": str(tmp_path),
        "git_template": str(make_template("git", tags={"v1.0.0": {}})),
        "plain_template": str(make_template("plain")),
        "trust_template": str(make_template("trust", copier_yml=TRUST_TEMPLATE)),
        "typed_template": str(make_template("typed", copier_yml=TYPED_TEMPLATE)),
        "long_name_template": str(
            make_template(
                "long-name", copier_yml=TYPED_TEMPLATE, files={"{{ name }}.txt.jinja": "x\n"}
            )
        ),
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


# A state file (.mlscaffold.toml) is input too: edited by hand, or in a repository
# someone else pushed. Each of these is refused when it is read, before anything is done.
STATE_CASES = {
    "[files] entry leaving the project": (
        '\n[files]\n"../../outside.txt" = {owner = "template", policy = "seed"}\n',
        "files entry '../../outside.txt' is not a path inside the project",
    ),
    "absolute [files] entry": (
        '\n[files]\n"/tmp/outside.txt" = {owner = "template", policy = "seed"}\n',
        "files entry '/tmp/outside.txt' is not a path inside the project",
    ),
    "[files] entry inside .git": (
        '\n[files]\n".git/hooks/post-commit" = {owner = "template", restore = true}\n',
        "files entry '.git/hooks/post-commit' is not a path inside the project",
    ),
    "[files] entry with an unknown policy": (
        '\n[files]\n"README.md" = {owner = "template", policy = "overwrite"}\n',
        "has policy 'overwrite', not one of merge, seed, managed",
    ),
    "reserved answer": ('\n[answers]\n_copier_conf = "x"\n', "answers._copier_conf is a reserved"),
    "answers not a table": ('answers = "x"\n', "[answers] is not a table"),
    "plugin version not text": (
        '\n[plugins.acme]\ndistribution = "mlscaffold-acme"\nversion = [1]\n',
        "plugins.acme.version is not text",
    ),
    "migration record not text": (
        '\n[[migrations]]\nsource = "template"\nversion = 2\n',
        "[[migrations]] is not a list of tables of text",
    ),
}


def _state_project(tmp_path, make_template):
    from mlscaffold.project import create_project

    template = make_template("stateful", copier_yml=TYPED_TEMPLATE, tags={"v1": {}})
    (tmp_path / "area").mkdir()
    project = create_project(
        tmp_path / "area" / "proj", template=str(template), defaults=True, interactive=False
    ).path
    return project


@pytest.mark.parametrize("command", ["update", "files"])
@pytest.mark.parametrize("case", sorted(STATE_CASES))
@pytest.mark.reliability("state and history")
def test_hostile_state_file_is_refused_when_read(runner, tmp_path, make_template, case, command):
    project = _state_project(tmp_path, make_template)
    addition, fragment = STATE_CASES[case]
    state = project / ".mlscaffold.toml"
    text = state.read_text()
    if addition.startswith("answers ="):  # replace the table by a plain value
        text = text.replace("[answers]", "[old-answers]", 1)
        text = addition + text
    elif addition.startswith("\n[answers]"):
        text = text.replace("[answers]\n", addition.lstrip("\n"), 1)
    else:
        text += addition
    state.write_text(text)
    git(project, "commit", "--quiet", "--all", "-m", "edit the state by hand")
    before = snapshot(tmp_path)
    result = runner.invoke(app, [command, str(project)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a valid mlscaffold state file" in lines[0], result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "outside.txt").exists()


@pytest.mark.reliability("state and history")
def test_non_utf8_state_file_is_refused(runner, tmp_path, make_template):
    project = _state_project(tmp_path, make_template)
    state = project / ".mlscaffold.toml"
    state.write_bytes(state.read_bytes().replace(b'name = "x"', b'name = "caf\xe9"'))
    git(project, "commit", "--quiet", "--all", "-m", "saved in Latin-1")
    before = snapshot(tmp_path)
    for command in (["update", str(project)], ["files", str(project)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "is not UTF-8 text (byte 0xe9" in lines[0], result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.reliability("state and history")
def test_recorded_answer_that_no_longer_fits_its_question(runner, tmp_path, make_template):
    """The template's v2 makes `count` an int; the project answered it as text in v1: as
    copier does with its last answers, the update takes the default, and says so."""
    from mlscaffold.project import create_project
    from mlscaffold.state import read_state

    v1 = TYPED_TEMPLATE.replace("type: int\n  default: 3", "type: str\n  default: three")
    template = make_template(
        "retyped", copier_yml=v1, tags={"v1": {}}, files={"count.txt.jinja": "{{ count }}\n"}
    )
    (template / "copier.yml").write_text(TYPED_TEMPLATE)
    git(template, "commit", "--quiet", "--all", "-m", "count is a number")
    git(template, "tag", "v2")
    (tmp_path / "area").mkdir()
    project = create_project(
        tmp_path / "area" / "proj", template=str(template), vcs_ref="v1", defaults=True,
        interactive=False,
    ).path  # fmt: skip
    result = runner.invoke(app, ["update", str(project), "--defaults", "--vcs-ref", "v2"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        "Note: the recorded answer 'three' to 'count' does not fit this version of the "
        "template: it is now 3 (change it with -d count=VALUE)"
    ]
    assert (project / "count.txt").read_text() == "3\n"
    assert read_state(project).answers["count"] == 3

"""`mlscaffold new`: the happy paths, the first snapshot and the state file."""

from __future__ import annotations

import functools
import inspect
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import tomlkit
from conftest import REPO, git, snapshot

from mlscaffold import __version__, hookimpl
from mlscaffold.cli import app
from mlscaffold.state import STATE_FILE, read_state


def new(runner, *args: str):
    return runner.invoke(app, ["new", *args])


def test_version_and_help(runner):
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"mlscaffold {__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "new" in result.stdout


def test_python_m_and_help_does_not_import_copier():
    code = (
        "import sys\n"
        "sys.argv = ['mlscaffold', '--help']\n"
        "from mlscaffold.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        "print('COPIER IMPORTED' if 'copier' in sys.modules else 'copier not imported')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "copier not imported" in out.stdout
    module = subprocess.run(
        [sys.executable, "-m", "mlscaffold", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage" in module.stdout and "new" in module.stdout


def test_new_with_defaults_creates_and_commits_the_pristine_tree(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = new(runner, "churn-model", "--defaults")
    assert result.exit_code == 0, result.output
    project = tmp_path / "churn-model"
    state = read_state(project)
    assert state.template_source == "builtin:project"
    assert state.template_version == __version__
    assert state.answers["project_name"] == "churn-model"
    assert state.answers["package_name"] == "churn_model"
    # One commit holding exactly the rendered tree: nothing untracked, nothing modified.
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "status", "--porcelain", "--ignored") == ""
    files = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    tracked = set(git(project, "ls-files").splitlines())
    assert tracked == {f for f in files if not f.startswith(".git/")}
    assert STATE_FILE in tracked
    assert "Mlscaffold-Snapshot:" in git(project, "log", "-1", "--format=%B")
    # Created with a normal folder mode, not the private mode of a temp dir.
    assert project.stat().st_mode & 0o777 == 0o755 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["churn-model"]


def test_render_runs_no_git_process_per_file_and_keeps_executable_bits(
    runner, tmp_path, make_template, monkeypatch, register_plugin
):
    from copier._main import Worker
    from copier._subproject import Subproject
    from copier._template import Template

    # What render's worker replaces (see render._fresh_folder_worker) must still be what
    # copier calls; if copier renames any of it, this says so.
    methods = ("_sync_git_index_executable_bit", "_render_string", "_answers_to_remember",
               "_render_context", "run_copy", "_ask", "_execute_tasks")  # fmt: skip
    for method in methods:
        assert callable(getattr(Worker, method, None)), method
    for attribute in ("template", "answers_relpath", "subproject"):
        assert isinstance(getattr(Worker, attribute, None), (property, functools.cached_property))
    assert isinstance(getattr(Template, "vcs", None), functools.cached_property)
    # The project's recorded answers become copier's last answers (its answers file's).
    assert isinstance(getattr(Subproject, "last_answers", None), functools.cached_property)
    assert "skip_answered" in inspect.signature(Worker).parameters
    files = {f"pkg/module_{i}.py.jinja": "# {{ project_name }}\n" for i in range(20)}
    template = make_template(files={**files, "run.sh": "#!/bin/sh\necho run\n"})
    (template / "template" / "run.sh").chmod(0o755)
    layer = tmp_path / "layer"  # a plugin's template layer is rendered the same way
    (layer / "extra").mkdir(parents=True)
    for i in range(20):
        (layer / "extra" / f"part_{i}.txt").write_text("part\n")
    templates = hookimpl(lambda: [str(layer)], specname="mlscaffold_templates")
    register_plugin(SimpleNamespace(mlscaffold_templates=templates), "layered")
    started = []
    real_popen = subprocess.Popen.__init__

    def popen(self, args, *rest, **kwargs):
        started.append([str(arg) for arg in args])
        real_popen(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    result = new(runner, str(tmp_path / "demo"), "--defaults", "--template", str(template),
                 "--plugin", "layered")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "extra" / "part_19.txt").is_file()
    assert len(started) < len(files), started  # a handful for the snapshot, none per file
    assert not [args for args in started if "core.fileMode" in args]
    assert git(tmp_path / "demo", "ls-files", "--stage", "run.sh").startswith("100755 ")


# Path names that exercise what copier renders in paths: the yield tag, a name that
# renders empty (skipped), a .jinja file beside a plain one of the same name, an
# exclusion that depends on an answer, a templated answers file and subdirectory.
YIELD_TEMPLATE = {
    "copier.yml": (
        "_subdirectory: '{{ layout }}'\n_answers_file: '.answers-{{ project_name }}.yml'\n"
        "_exclude: ['{{ skipped }}']\nproject_name: {type: str, default: demo}\n"
        "layout: {type: str, default: src}\nskipped: {type: str, default: notes.txt}\n"
        "models: {type: yaml, default: [forest, logistic]}\nextra: {type: bool, default: false}\n"
    ),
    "src/{% yield model from models %}{{ model }}{% endyield %}/train.py.jinja": (
        "MODEL = '{{ model }}'\n"
    ),
    "src/{{ project_name }}/{% if extra %}extra.md{% endif %}": "extra\n",
    "src/{{ project_name }}/README.md": "plain\n",
    "src/{{ project_name }}/README.md.jinja": "# {{ project_name }}\n",
    "src/notes.txt": "excluded\n",
    "src/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "src/run.sh": "#!/bin/sh\n",
}
# The same with other delimiters: text with the default ones must stay as it is.
DELIMITERS_TEMPLATE = {
    "copier.yml": (
        "_envops: {block_start_string: '[%', block_end_string: '%]', "
        "variable_start_string: '[[', variable_end_string: ']]'}\n"
        "project_name: {type: str, default: demo}\nmodels: {type: yaml, default: [a, b]}\n"
    ),
    "[% yield m from models %][[ m ]][% endyield %]/{{ kept }}.txt.jinja": "[[ m ]] {{ x }}\n",
    "[[ project_name ]]/README.md.jinja": "# [[ project_name ]]\n",
}


@pytest.mark.parametrize("files", [YIELD_TEMPLATE, DELIMITERS_TEMPLATE], ids=["yield", "envops"])
def test_render_writes_what_copier_writes(tmp_path, files):
    import copier

    from mlscaffold.render import _copy

    template = tmp_path / "template"
    for relative, text in files.items():
        (template / relative).parent.mkdir(parents=True, exist_ok=True)
        (template / relative).write_text(text)
    if (template / "src" / "run.sh").exists():
        (template / "src" / "run.sh").chmod(0o755)
    for data in ({}, {"extra": True, "project_name": "other", "skipped": "none"}):
        ours, theirs = tmp_path / "ours", tmp_path / "theirs"
        _copy(src_path=str(template), dst_path=ours, data=data, defaults=True, quiet=True)
        copier.run_copy(str(template), theirs, data=data, defaults=True, quiet=True)
        written = snapshot(ours)
        assert written == snapshot(theirs)
        assert len([path for path, (kind, _) in written.items() if kind != "dir"]) >= 3
        for folder in (ours, theirs):
            shutil.rmtree(folder)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_answers_from_data_and_data_file(runner, tmp_path):
    answers = tmp_path / "answers.yml"
    answers.write_text("author_name: From File\nproblem_type: regression\nlicense: Apache-2.0\n")
    dest = tmp_path / "proj"
    result = new(
        runner, str(dest), "--defaults", "--data-file", str(answers),
        "-d", "author_name=Ada", "-d", "prediction_mode=batch",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    state = read_state(dest)
    assert state.answers["author_name"] == "Ada"  # -d wins over the data file
    assert state.answers["problem_type"] == "regression"
    assert state.answers["license"] == "Apache-2.0"
    assert state.answers["prediction_mode"] == "batch"


def test_existing_empty_folder_is_used(runner, tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir(mode=0o750)
    result = new(runner, str(dest), "--defaults")
    assert result.exit_code == 0, result.output
    assert (dest / STATE_FILE).is_file()
    assert dest.stat().st_mode & 0o777 == 0o750


def test_no_git(runner, tmp_path):
    dest = tmp_path / "plain"
    result = new(runner, str(dest), "--defaults", "--no-git")
    assert result.exit_code == 0, result.output
    assert (dest / STATE_FILE).is_file()
    assert not (dest / ".git").exists()


def test_commit_works_without_any_git_identity(runner, tmp_path, monkeypatch):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path))
    dest = tmp_path / "anon"
    result = new(runner, str(dest), "--defaults", "-d", "author_name=Ada Lovelace",
                 "-d", "author_email=ada@example.com")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert git(dest, "log", "-1", "--format=%an <%ae>") == "Ada Lovelace <ada@example.com>"


def test_git_identity_is_the_default_author(runner, tmp_path):
    dest = tmp_path / "mine"
    assert new(runner, str(dest), "--defaults").exit_code == 0
    answers = read_state(dest).answers
    assert (answers["author_name"], answers["author_email"]) == ("Test Author", "test@example.com")


def test_missing_git_is_reported_and_the_project_still_created(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    dest = tmp_path / "nogit"
    result = new(runner, str(dest), "--defaults")
    assert result.exit_code == 0, result.output
    assert "git was not found" in result.stderr
    assert (dest / STATE_FILE).is_file() and not (dest / ".git").exists()


def test_no_machine_paths_leak_into_the_project(runner, tmp_path):
    dest = tmp_path / "portable"
    assert new(runner, str(dest), "--defaults").exit_code == 0
    leaks = [str(tmp_path), str(Path.home()), str(REPO), "/tmp/"]
    for path in dest.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(dest).parts:
            text = path.read_bytes().decode("utf-8", errors="replace")
            for leak in leaks:
                assert leak not in text, f"{leak} found in {path.relative_to(dest)}"
    config = (dest / ".git" / "config").read_text()
    assert str(tmp_path) not in config


def test_git_template_at_a_tag(runner, tmp_path, make_template):
    template = make_template(
        copier_yml="_subdirectory: template\nproject_name:\n  type: str\n  default: x\n",
        files={"VERSION.jinja": "one {{ project_name }}\n"},
        tags={"v1.0.0": {}, "v2.0.0": {"VERSION.jinja": "two {{ project_name }}\n"}},
    )
    dest = tmp_path / "from-git"
    result = new(
        runner, str(dest), "--defaults", "--template", str(template), "--vcs-ref", "v1.0.0"
    )
    assert result.exit_code == 0, result.output
    # The template's own default, not the folder name: that stands in for the built-in's only.
    assert (dest / "VERSION").read_text() == "one x\n"
    state = read_state(dest)
    assert state.template_source == str(template)
    assert state.template_version == "1.0.0"
    assert state.template_commit == git(template, "rev-parse", "v1.0.0")

    latest = tmp_path / "latest"
    assert new(runner, str(latest), "--defaults", "--template", str(template)).exit_code == 0
    assert (latest / "VERSION").read_text() == "two x\n"
    assert read_state(latest).template_version == "2.0.0"


def test_state_file_is_toml_with_a_comment(runner, tmp_path):
    dest = tmp_path / "stateful"
    assert new(runner, str(dest), "--defaults").exit_code == 0
    text = (dest / STATE_FILE).read_text()
    assert text.startswith("# How this project was generated")
    document = tomlkit.parse(text)
    assert document["template"]["source"] == "builtin:project"
    assert set(document["answers"]) >= {
        "project_name", "package_name", "description", "author_name", "author_email",
        "python_version", "license", "problem_type", "prediction_mode",
    }  # fmt: skip


@pytest.mark.parametrize("stage_folder", [
    "stages/01-scoping", "stages/02-data", "stages/03-modeling",
    "stages/04-deployment", "stages/05-monitoring", "stages/06-business-analysis",
])  # fmt: skip
def test_each_stage_has_a_checklist_with_ids_and_sources(runner, tmp_path, stage_folder):
    dest = tmp_path / "staged"
    assert new(runner, str(dest), "--defaults").exit_code == 0
    checklist = (dest / stage_folder / "CHECKLIST.md").read_text()
    items = [line for line in checklist.splitlines() if line.startswith("- [ ] ")]
    assert items, checklist
    assert all("(`core." in line for line in items)
    assert checklist.count("  - Source: ") == len(items)


def test_first_snapshot_holds_what_git_add_would_take(tmp_path):
    from mlscaffold import git as mgit

    def tree(root: Path) -> None:
        (root / "sub dir").mkdir(parents=True)
        (root / "sub dir" / "naïve.txt").write_text("x\n")
        (root / '"quoted" name').write_text("q\n")
        (root / "two\nlines").write_text("n\n")
        (root / "run.sh").write_text("#!/bin/sh\n")
        (root / "run.sh").chmod(0o755)
        (root / "link").symlink_to("run.sh")
        (root / ".gitignore").write_text("*.log\n")
        (root / "debug.log").write_text("ignored\n")
        (root / "empty").write_bytes(b"")

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    tree(ours)
    tree(theirs)
    commit = mgit.init_snapshot(ours, "first", ("A", "a@example.com"))
    git(theirs, "init", "--quiet", "--initial-branch=main")
    git(theirs, "add", "--all")
    git(theirs, "commit", "--quiet", "-m", "first")
    assert git(ours, "rev-parse", "HEAD") == commit
    assert git(ours, "rev-parse", "HEAD^{tree}") == git(theirs, "rev-parse", "HEAD^{tree}")
    assert git(ours, "status", "--porcelain") == ""  # the index matches the files
    assert (ours / "debug.log").exists() and "debug.log" not in git(ours, "ls-files")
    assert "Mlscaffold-Snapshot: ." in git(ours, "log", "-1", "--format=%B")
    assert not (ours / ".git" / "mlscaffold-marks").exists()


@pytest.mark.parametrize(
    ("url", "named"),
    [("file://{folder}", True), ("https://example.com/ml_lifecycle_scaffold-0.1.0.whl", False)],
)
def test_next_steps_name_the_checkout_mlscaffold_came_from(
    runner, tmp_path, monkeypatch, url, named
):
    """A project's dev extra requires mlscaffold; installed from a checkout, the printed
    install line names that checkout, which a package index may not have."""
    import importlib.metadata
    import json

    checkout = tmp_path / "my checkout"
    checkout.mkdir()

    class Installed:
        def read_text(self, name):
            return json.dumps({"url": url.format(folder=checkout.as_posix().replace(" ", "%20"))})

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: Installed())
    result = runner.invoke(app, ["new", str(tmp_path / "demo"), "--defaults", "--no-git"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "pip install -e" in line)
    if named:
        assert line.endswith("pip install -e '.[dev]' '" + str(checkout) + "'")
    else:
        assert line.endswith("pip install -e '.[dev]'")
    assert str(checkout) not in (tmp_path / "demo" / "README.md").read_text()

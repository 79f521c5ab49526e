"""Templates written for copier, rendered and updated with copier's meaning.

Each test builds the small template it needs, as template authors write them: an answers
file rendered from ``_copier_answers``, defaults from ``_folder_name``, messages, ``when``
conditions, migrations. The project's recorded answers are its past answers (copier's
"last answers"), not new input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import git

from mlscaffold.cli import app
from mlscaffold.state import STATE_FILE, read_state

ANSWERS_FILE = {
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
}


def new(runner, *args: str | Path):
    return runner.invoke(app, ["new", *map(str, args)])


def update(runner, project: Path, *args: str):
    return runner.invoke(app, ["update", str(project), *args])


def commit(template: Path, tag: str | None = None, message: str = "change") -> None:
    git(template, "add", "--all")
    git(template, "commit", "--quiet", "-m", message)
    if tag:
        git(template, "tag", tag)


def test_the_template_sees_the_project_folder_not_the_staging_one(runner, tmp_path, make_template):
    template = make_template(
        files={"where.txt.jinja": "{{ _folder_name }} {{ _copier_conf.dst_path }}\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    assert new(runner, project, "--defaults", "--template", template).exit_code == 0
    assert (project / "where.txt").read_text() == f"demo {project}\n"
    (template / "template" / "b.txt").write_text("b\n")
    commit(template, "v2.0.0")
    assert update(runner, project, "--defaults").exit_code == 0
    assert (project / "where.txt").read_text() == f"demo {project}\n"


def test_answers_file_records_the_real_source_and_commit(runner, tmp_path, make_template):
    template = make_template(
        copier_yml='_subdirectory: template\nproject_name:\n  default: "{{ _folder_name }}"\n',
        files={**ANSWERS_FILE, "README.md.jinja": "# {{ project_name }}\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    result = new(runner, project, "--defaults", "--template", template)
    assert result.exit_code == 0, result.output
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded == {"_commit": "v1.0.0", "_src_path": str(template), "project_name": "demo"}
    assert (project / "README.md").read_text() == "# demo\n"

    # Nothing new in the template: mlscaffold finds nothing to do...
    result = update(runner, project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output.lower()
    # ...and neither does copier itself, reading the same answers file.
    copier = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--skip-tasks"],
        cwd=project, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert copier.returncode == 0, copier.stderr
    assert "Keeping template version 1.0.0" in copier.stderr
    assert git(project, "status", "--porcelain") == ""


def test_answers_file_after_an_update_to_an_untagged_commit(runner, tmp_path, make_template):
    template = make_template(
        copier_yml="_subdirectory: template\nname:\n  default: x\n",
        files={**ANSWERS_FILE, "a.txt": "one\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    assert new(runner, project, "--defaults", "--template", template).exit_code == 0
    git(project, "commit", "--quiet", "--allow-empty", "-m", "nothing")
    (template / "template" / "a.txt").write_text("two\n")
    commit(template)
    result = update(runner, project, "--defaults", "--vcs-ref", "HEAD")
    assert result.exit_code == 0, result.output
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == git(template, "describe", "--tags", "--always")
    assert recorded["_commit"].startswith("v1.0.0-1-g")
    short = git(template, "rev-parse", "--short", "HEAD")
    # The version copier gives that commit, which still orders after v1.0.0.
    assert read_state(project).template_version == f"1.0.0.post1.dev0+{short}"


def test_a_migration_is_run_when_an_update_from_an_untagged_commit_crosses_it(
    runner, tmp_path, make_template
):
    migration = "_migrations:\n  - version: v2.0.0\n    command: echo migrated >> MIGRATED.txt\n"
    template = make_template(
        copier_yml="_subdirectory: template\nname:\n  default: x\n",
        files={"a.txt": "one\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    assert new(runner, project, "--defaults", "--template", template).exit_code == 0
    (template / "template" / "a.txt").write_text("one and a half\n")
    commit(template)
    result = update(runner, project, "--defaults", "--vcs-ref", "HEAD")
    assert result.exit_code == 0, result.output
    git(project, "commit", "--quiet", "-m", "to an untagged commit")
    assert read_state(project).template_version.startswith("1.0.0.post1.dev0+")

    (template / "copier.yml").write_text(
        "_subdirectory: template\nname:\n  default: x\n" + migration
    )
    (template / "template" / "a.txt").write_text("two\n")
    commit(template, "v2.0.0")
    result = update(runner, project, "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert (project / "MIGRATED.txt").read_text() == "migrated\n"
    assert read_state(project).template_version == "2.0.0"


def test_a_recorded_answer_a_new_version_refuses_falls_back_to_the_default(
    runner, tmp_path, make_template
):
    v1 = (
        "_subdirectory: template\n"
        "flavour:\n  choices: [vanilla, lemon]\n  default: vanilla\n"
        "extra:\n  type: bool\n  default: true\n"
        "extra_name:\n  default: more\n  when: '{{ extra }}'\n"
    )
    template = make_template(
        copier_yml=v1,
        files={"a.txt.jinja": "{{ flavour }} {{ extra_name }}\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    result = new(runner, project, "--defaults", "--template", template,
                 "-d", "flavour=lemon", "-d", "extra_name=plenty")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (project / "a.txt").read_text() == "lemon plenty\n"

    # v2 drops lemon from the choices, and `extra_name` is asked only without `extra`.
    (template / "copier.yml").write_text(
        v1.replace("[vanilla, lemon]", "[vanilla, mint]")
        .replace("'{{ extra }}'", "false")
        .replace("default: more", "default: none")
    )
    (template / "template" / "a.txt.jinja").write_text("{{ flavour }} {{ extra_name }}\n!\n")
    commit(template, "v2.0.0")
    result = update(runner, project, "--defaults")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        "Note: the recorded answer 'lemon' to 'flavour' does not fit this version of the "
        "template: it is now 'vanilla' (change it with -d flavour=VALUE)"
    ]
    # The stale answer of the question `when` turned off is no longer rendered or recorded.
    assert (project / "a.txt").read_text() == "vanilla none\n!\n"
    answers = read_state(project).answers
    assert answers["flavour"] == "vanilla" and "extra_name" not in answers


def test_without_a_terminal_a_refused_recorded_answer_takes_the_default(
    runner, tmp_path, make_template
):
    v1 = "_subdirectory: template\nsize:\n  type: str\n  default: big\n"
    template = make_template(
        copier_yml=v1, files={"a.txt.jinja": "{{ size }}\n"}, tags={"v1.0.0": {}}
    )
    project = tmp_path / "demo"
    assert new(runner, project, "--defaults", "--template", template).exit_code == 0
    (template / "copier.yml").write_text(
        v1.replace("type: str\n  default: big", "type: int\n  default: 2")
    )
    commit(template, "v2.0.0")
    result = update(runner, project)  # no --defaults, and CliRunner is no terminal
    assert result.exit_code == 0, result.output
    assert "the recorded answer 'big' to 'size'" in result.stderr
    assert (project / "a.txt").read_text() == "2\n"


def test_a_renamed_question_keeps_the_old_answer_and_says_so(runner, tmp_path, make_template):
    template = make_template(
        copier_yml="_subdirectory: template\nauthor:\n  default: nobody\n",
        files={"a.txt.jinja": "{{ author }}\n"},
        tags={"v1.0.0": {}},
    )
    project = tmp_path / "demo"
    assert (
        new(runner, project, "--defaults", "--template", template, "-d", "author=Ada").exit_code
        == 0
    )
    (template / "copier.yml").write_text("_subdirectory: template\nowner:\n  default: nobody\n")
    (template / "template" / "a.txt.jinja").write_text("{{ owner }}\n")
    commit(template, "v2.0.0")
    result = update(runner, project, "--defaults")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        "Note: this version of the template no longer asks 'author' (renamed or removed): its "
        "recorded answer 'Ada' is kept under [retired_answers] in .mlscaffold.toml; a template "
        "migration, or -d NEW_NAME=VALUE, carries it to a new question"
    ]
    state = read_state(project)
    assert state.retired_answers == {"author": "Ada"}
    assert "[retired_answers]" in (project / STATE_FILE).read_text()
    git(project, "commit", "--quiet", "-m", "v2")

    # A later update keeps it, without saying so again; the note's advice carries it.
    (template / "template" / "b.txt").write_text("b\n")
    commit(template, "v3.0.0")
    result = update(runner, project, "--defaults", "-d", "owner=Ada")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert (project / "a.txt").read_text() == "Ada\n"
    assert read_state(project).retired_answers == {"author": "Ada"}


def test_a_third_party_templates_own_defaults_win(runner, tmp_path, make_template):
    template = make_template(
        copier_yml=(
            "_subdirectory: template\n"
            "project_name:\n  default: their-name\n"
            "author_name:\n  default: Their Team\n"
        ),
        files={"a.txt.jinja": "{{ project_name }} by {{ author_name }}\n"},
    )
    result = new(runner, tmp_path / "demo", "--defaults", "--template", template)
    assert result.exit_code == 0, result.output
    # Neither the folder's name nor git's identity (Test Author) replaces them.
    assert (tmp_path / "demo" / "a.txt").read_text() == "their-name by Their Team\n"


def test_the_built_in_template_still_defaults_to_the_folder_and_git_identity(runner, tmp_path):
    result = new(runner, tmp_path / "churn", "--defaults")
    assert result.exit_code == 0, result.output
    answers = read_state(tmp_path / "churn").answers
    assert answers["project_name"] == "churn" and answers["author_name"] == "Test Author"


MESSAGES = (
    "_subdirectory: template\n"
    "name:\n  default: x\n"
    "_message_before_copy: 'Welcome, {{ _folder_name }}'\n"
    "_message_after_copy: 'Made {{ name }} in {{ _folder_name }}'\n"
    "_message_before_update: 'Updating {{ name }}'\n"
    "_message_after_update: 'Updated {{ name }}'\n"
)


def test_template_messages_are_shown_on_stderr(runner, tmp_path, make_template):
    template = make_template(copier_yml=MESSAGES, tags={"v1.0.0": {}})
    project = tmp_path / "demo"
    result = new(runner, project, "--defaults", "--template", template, "-d", "name=N")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["Welcome, demo", "Made N in demo"]
    assert "Welcome" not in result.stdout

    (template / "template" / "b.txt").write_text("b\n")
    commit(template, "v2.0.0")
    result = update(runner, project, "--defaults")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["Updating N", "Updated N"]


def test_template_messages_are_not_shown_with_quiet(runner, tmp_path, make_template):
    template = make_template(copier_yml=MESSAGES)
    result = runner.invoke(
        app, ["-q", "new", str(tmp_path / "demo"), "--defaults", "--template", str(template)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and result.stdout == ""


def test_a_folder_without_copier_yml_is_rendered_as_copier_renders_it(runner, tmp_path):
    template = tmp_path / "plain"
    (template / "docs").mkdir(parents=True)
    (template / "docs" / "index.md.jinja").write_text("# {{ _folder_name }}\n")
    (template / "LICENSE").write_text("MIT\n")
    result = new(runner, tmp_path / "demo", "--defaults", "--template", template)
    assert result.exit_code == 0, result.output
    project = tmp_path / "demo"
    assert (project / "docs" / "index.md").read_text() == "# demo\n"
    assert (project / "LICENSE").read_text() == "MIT\n"
    assert read_state(project).answers == {}


def test_a_required_question_under_defaults_is_one_line(runner, tmp_path, make_template):
    template = make_template(copier_yml="_subdirectory: template\nowner:\n  type: str\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = new(runner, tmp_path / "demo", "--defaults", "--template", template)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: template {template} asks 'owner', which has no default and was not "
        "answered: answer it with -d owner=VALUE"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_new_creates_missing_parent_folders(runner, tmp_path, make_template):
    template = make_template()
    result = new(runner, tmp_path / "a" / "b" / "demo", "--defaults", "--template", template)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "b" / "demo" / "README.md").read_text() == "# x\n"


def test_a_failed_new_removes_the_parent_folders_it_created(runner, tmp_path, make_template):
    template = make_template(copier_yml="_subdirectory: template\nowner:\n  type: str\n")
    (tmp_path / "a").mkdir()
    result = new(runner, tmp_path / "a" / "b" / "c" / "demo", "--defaults", "--template", template)
    assert result.exit_code == 1
    assert list((tmp_path / "a").iterdir()) == []


@pytest.mark.parametrize("where", ["beside", "below"])
def test_a_relative_template_path_is_recorded_from_the_project(
    runner, tmp_path, make_template, monkeypatch, where
):
    template = make_template(tags={"v1.0.0": {}})  # tmp_path/templates-src/tpl
    monkeypatch.chdir(tmp_path)
    dest = Path("projects/demo") if where == "below" else Path("demo")
    result = new(runner, dest, "--defaults", "--template", "templates-src/tpl")
    assert result.exit_code == 0, result.output
    project = tmp_path / dest
    source = read_state(project).template_source
    assert source == ("../../templates-src/tpl" if where == "below" else "../templates-src/tpl")
    assert str(tmp_path) not in (project / STATE_FILE).read_text()

    # Updated from inside the project, as the state file's path is read from there.
    (template / "template" / "NEW.md").write_text("new\n")
    commit(template, "v2.0.0")
    monkeypatch.chdir(project)
    result = update(runner, Path("."), "--defaults")
    assert result.exit_code == 0, result.output
    assert (project / "NEW.md").read_text() == "new\n"


def test_a_copier_answers_file_is_accepted_as_data_file(runner, tmp_path, make_template):
    template = make_template(copier_yml="_subdirectory: template\nproject_name:\n  default: x\n")
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "# Changes here will be overwritten by Copier\n"
        "_commit: v1.0.0\n_src_path: gh:someone/template\nproject_name: from-copier\n"
    )
    result = new(runner, tmp_path / "demo", "--defaults", "--template", template,
                 "--data-file", answers)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "README.md").read_text() == "# from-copier\n"
    # A `_` name given as an answer is still refused.
    result = new(runner, tmp_path / "other", "--defaults", "--template", template,
                 "-d", "_src_path=x")  # fmt: skip
    assert result.exit_code == 1 and "'_src_path' is reserved" in result.stderr


def test_on_a_terminal_a_refused_recorded_answer_is_asked_again(tmp_path, make_template):
    from test_cli_habits import in_terminal

    v1 = (
        "_subdirectory: template\n"
        "flavour:\n  choices: [vanilla, lemon]\n  default: vanilla\n"
        "size:\n  default: big\n"
    )
    template = make_template(
        copier_yml=v1, files={"a.txt.jinja": "{{ flavour }} {{ size }}\n"}, tags={"v1": {}}
    )
    project = tmp_path / "demo"
    env = {"TERM": "dumb"}  # plain prompts, as test_cli_habits reads them
    code, output = in_terminal(
        "new", str(project), "--defaults", "--template", str(template),
        "-d", "flavour=lemon", "-d", "size=small", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert code == 0, output
    (template / "copier.yml").write_text(v1.replace("lemon", "mint"))
    commit(template, "v2")
    # Only the question whose answer no longer fits is asked; `size` keeps its answer.
    code, output = in_terminal("update", str(project), cwd=tmp_path, env=env, answers=("2",))
    assert code == 0, output
    assert "flavour\r\n  1. vanilla (default)\r\n  2. mint\r\n" in output
    assert "size" not in output.split("Choose")[1]
    assert "the recorded answer 'lemon' to 'flavour' does not fit" in output
    assert (project / "a.txt").read_text() == "mint small\n"


def test_plugins_see_the_project_folder_too(runner, tmp_path, make_template, register_plugin):
    from types import SimpleNamespace

    from mlscaffold import hookimpl

    layer = tmp_path / "acme-layer"
    layer.mkdir()
    (layer / "ACME.md.jinja").write_text("{{ _folder_name }} {{ acme_team }}\n")
    questions = {"acme_team": {"type": "str", "default": "{{ _folder_name }}-team"}}
    register_plugin(
        SimpleNamespace(
            mlscaffold_templates=hookimpl(lambda: [layer]),
            mlscaffold_questions=hookimpl(lambda: questions),
        ),
        "acme",
    )
    result = new(runner, tmp_path / "demo", "--defaults", "--template", make_template(),
                 "--plugin", "acme")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "ACME.md").read_text() == "demo demo-team\n"


def test_a_plugins_recorded_answer_that_no_longer_fits_falls_back_too(
    runner, tmp_path, make_template, register_plugin
):
    from types import SimpleNamespace

    from mlscaffold import hookimpl

    questions = {"acme_level": {"type": "str", "choices": ["low", "high"], "default": "low"}}
    register_plugin(SimpleNamespace(mlscaffold_questions=hookimpl(lambda: questions)), "acme")
    project = tmp_path / "demo"
    result = new(runner, project, "--defaults", "--template", make_template(tags={"v1": {}}),
                 "--plugin", "acme", "-d", "acme_level=high")  # fmt: skip
    assert result.exit_code == 0, result.output
    questions["acme_level"]["choices"] = ["low", "medium"]
    result = update(runner, project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "the recorded answer 'high' to 'acme_level' does not fit" in result.stderr
    assert read_state(project).answers["acme_level"] == "low"


def test_trusted_tasks_of_a_new_project_see_its_name_and_run_where_it_is_rendered(
    runner, tmp_path, make_template
):
    template = make_template(
        copier_yml=(
            "_subdirectory: template\nname:\n  default: x\n_tasks:\n"
            "  - echo {{ _folder_name }} > task.txt\n"
            "  - test -f {{ _copier_conf.dst_path }}/README.md\n"
        ),
    )
    result = new(runner, tmp_path / "demo", "--defaults", "--trust", "--template", template)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "task.txt").read_text() == "demo\n"


def test_a_removed_plugins_answers_are_not_retired_answers(
    runner, tmp_path, make_template, register_plugin
):
    from types import SimpleNamespace

    from mlscaffold import hookimpl

    questions = {"acme_level": {"type": "str", "default": "low"}}
    register_plugin(SimpleNamespace(mlscaffold_questions=hookimpl(lambda: questions)), "acme")
    project = tmp_path / "demo"
    result = new(runner, project, "--defaults", "--template", make_template(tags={"v1": {}}),
                 "--plugin", "acme", "-d", "acme_level=high")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["remove", "acme", "--path", str(project)])
    assert result.exit_code == 0, result.output
    assert "no longer asks" not in result.stderr
    state = read_state(project)
    assert state.retired_answers == {}
    assert state.removed["acme"]["answers"] == {"acme_level": "high"}

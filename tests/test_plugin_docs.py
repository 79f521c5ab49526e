"""Every promise docs/plugins.md makes is named by a test that holds it.

Each bullet of the page (outside code blocks and the generated hook reference) is matched
by the start of its text to the tests below or elsewhere in the suite; a new bullet without
a test, or a named test that does not exist, fails here. Tests for promises no other file
holds follow.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, git, snapshot

from mlscaffold import hookimpl, plugins
from mlscaffold.cli import app
from mlscaffold.project import create_project

PROMISES = {
    "**Update.**": ["test_a_plugin_through_versions_remove_and_add"],
    "**New questions.**": [
        "test_a_plugin_through_versions_remove_and_add",
        "test_a_new_question_without_a_terminal_is_one_line",
    ],
    "**Remove.**": [
        "test_a_plugin_through_versions_remove_and_add",
        "test_dry_run_of_remove_predicts_its_conflicts",
    ],
    "**Add back.**": ["test_a_plugin_through_versions_remove_and_add"],
    "**Dry runs**": [
        "test_dry_run_predicts_the_conflicts_of_the_real_run",
        "test_dry_run_of_remove_predicts_its_conflicts",
        "test_a_plugin_through_versions_remove_and_add",
    ],
    "Hooks are called with keyword arguments": [
        "test_hook_mlscaffold_pyproject", "test_hook_mlscaffold_templates",
    ],
    "A hook's return value has the documented shape": [
        "test_templates_hook_must_return_a_list_of_folders",
        "test_questions_hook_must_return_a_dict",
        "test_invalid_checklist_items_are_refused",
        "test_plugin_file_policies_are_checked",
    ],
    "Question names start with the plugin's name": [
        "test_plugin_questions_must_be_namespaced", "test_invalid_checklist_items_are_refused",
    ],
    "The files a layer renders land inside the project": [
        "test_layer_link_leading_outside_is_refused",
    ],
    "A file has one owner": [
        "test_layer_may_not_replace_a_base_file", "test_two_plugins_writing_one_file_are_named",
    ],
    "A layer's copier tasks": ["test_layer_needing_trust_is_refused_without_it"],
    "A hook that raises fails the command": [
        "test_a_failing_hook_names_plugin_and_hook",
        "test_a_plugin_command_fails_in_one_line_like_a_built_in",
        "test_a_failing_plugin_migration_names_itself_and_changes_nothing",
    ],
    "A hook that runs longer than": [
        "test_a_hung_hook_is_stopped_by_the_time_limit",
        "test_the_time_limit_is_per_plugin_and_names_the_one_that_hung",
    ],
    "A plugin that fails to import or implements an unknown hook": [
        "test_built_in_commands_never_import_plugins_and_a_broken_one_is_named",
        "test_misspelled_hook_fails_loudly",
    ],
    "`MLSCAFFOLD_LOAD_PLUGINS=acme,mlflow`": ["test_load_plugins_names_the_plugins_to_load"],
    "A plugin's own code": ["test_a_hooks_own_code_may_write_outside_the_project"],
    "The time limit stops the wait, not the code": [
        "test_a_hung_hook_keeps_running_after_the_command_stops_waiting",
    ],
    "`commit(project, message)`": ["test_the_skeleton_implements_and_tests_every_hook"],
    "`update_project(project,": ["test_the_skeleton_implements_and_tests_every_hook"],
    "`add_plugin(project, name,": ["test_the_skeleton_implements_and_tests_every_hook"],
    "`variant(plugin, **hooks)`": ["test_the_skeleton_implements_and_tests_every_hook"],
}  # fmt: skip
# Paragraphs that promise as much as a bullet does.
PARAGRAPHS = {
    'Checklist items with `verify = {kind = "command"': [
        "test_command_checks_run_with_the_projects_interpreter",
    ],
    "Without `--defaults` it asks for a description": [
        "test_plugin_new_prompts_show_the_default_and_take_it_on_empty_input",
    ],
    "1. Create the package; it comes with a working, tested example of each": [
        "test_the_skeleton_implements_and_tests_every_hook",
    ],
}


def page_text() -> str:
    text = (REPO / "docs" / "plugins.md").read_text()
    text = text.split("<!-- BEGIN hook reference", 1)[0]
    return re.sub(r"```.*?```", "", text, flags=re.S)


def test_every_promise_in_the_plugin_docs_is_named_by_a_test():
    text = page_text()
    bullets = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert len(bullets) >= 15
    for bullet in bullets:
        keys = [key for key in PROMISES if bullet.startswith(key)]
        assert len(keys) == 1, f"no test named for the promise: {bullet!r}"
    for start in PARAGRAPHS:
        assert start in text, start
    tests = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    for key, names in {**PROMISES, **PARAGRAPHS}.items():
        for name in names:
            assert f"def {name}(" in tests, f"{key!r} names {name}, which does not exist"


def plugin(**hooks) -> SimpleNamespace:
    return SimpleNamespace(**{name: hookimpl(function) for name, function in hooks.items()})


def fails_cleanly(runner, tmp_path, args, fragment):
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", str(tmp_path / "failed"), "--defaults", *args])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.reliability("misbehaving plugins")
def test_questions_hook_must_return_a_dict(runner, tmp_path, register_plugin):
    register_plugin(plugin(mlscaffold_questions=lambda: ["acme_team"]), "acme")
    fails_cleanly(runner, tmp_path, ["--plugin", "acme"],
                  "plugin 'acme', hook mlscaffold_questions returned list")  # fmt: skip


@pytest.mark.parametrize(("rules", "fragment"), [
    ("seed", "file policies must map path patterns to a policy"),
    ({"configs/*": "replace"}, "unknown policy 'replace'"),
    ({"/etc/passwd": "seed"}, "is not a path pattern relative to the project"),
])  # fmt: skip
@pytest.mark.reliability("misbehaving plugins")
def test_plugin_file_policies_are_checked(runner, tmp_path, register_plugin, rules, fragment):
    register_plugin(plugin(mlscaffold_file_policies=lambda: rules), "acme")
    fails_cleanly(runner, tmp_path, ["--plugin", "acme"], fragment)


def test_load_plugins_names_the_plugins_to_load(tmp_path, monkeypatch):
    for name in ("alpha", "beta"):
        (tmp_path / f"mlscaffold_{name}.py").write_text(
            "from mlscaffold import hookimpl\n\n@hookimpl\ndef mlscaffold_questions():\n"
            "    return {}\n"
        )
        metadata = tmp_path / f"mlscaffold_{name}-1.0.dist-info"
        metadata.mkdir()
        (metadata / "entry_points.txt").write_text(f"[mlscaffold]\n{name} = mlscaffold_{name}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "_folders", {})
    try:
        for wanted, expected in (("", []), ("beta", ["beta"]), ("alpha, beta", ["alpha", "beta"])):
            monkeypatch.setenv("MLSCAFFOLD_LOAD_PLUGINS", wanted)
            monkeypatch.setattr(plugins, "_loaded", False)
            assert plugins.names() == expected, wanted
    finally:
        for name in ("alpha", "beta"):
            plugins.unregister(name)


def test_a_hooks_own_code_may_write_outside_the_project(runner, tmp_path, register_plugin):
    """Not contained, and documented as such: a plugin's Python runs with the user's rights."""
    outside = tmp_path / "beside-the-project.txt"

    def questions():
        outside.write_text("a plugin's own code wrote this")
        return {}

    register_plugin(plugin(mlscaffold_questions=questions), "acme")
    result = runner.invoke(app, ["new", str(tmp_path / "demo"), "--defaults", "--plugin", "acme"])
    assert result.exit_code == 0, result.output
    assert outside.read_text() == "a plugin's own code wrote this"


def test_a_hung_hook_keeps_running_after_the_command_stops_waiting(register_plugin, monkeypatch):
    finished = threading.Event()

    def slow():
        time.sleep(0.6)
        finished.set()
        return {}

    register_plugin(plugin(mlscaffold_questions=slow), "slow")
    monkeypatch.setenv("MLSCAFFOLD_HOOK_TIMEOUT", "0.2")
    with pytest.raises(plugins.MlscaffoldError, match=r"took more than 0\.2 s"):
        plugins.call("mlscaffold_questions", ["slow"])
    assert not finished.is_set()
    assert finished.wait(5)  # Python cannot stop a thread: the code ran on


@pytest.mark.parametrize("command", ["new", "add", "remove"])
@pytest.mark.reliability("bad input")
def test_a_new_question_without_a_terminal_is_one_line(
    runner, tmp_path, register_plugin, make_template, command
):
    """A plugin release that adds a question stops new, add and remove without a terminal
    with one line naming it, and nothing changes; -d or --defaults answer it."""
    asked = {"on": command == "new"}

    def questions():
        return {"acme_region": {"type": "str", "default": "eu"}} if asked["on"] else {}

    register_plugin(plugin(mlscaffold_questions=questions), "acme")
    register_plugin(plugin(mlscaffold_questions=lambda: {}), "other")
    project = tmp_path / "demo"
    if command == "new":  # the template's one question is answered: only acme's is left
        template = make_template()
        args = ["new", str(project), "--template", str(template), "-d", "project_name=demo",
                "--plugin", "acme"]  # fmt: skip
    else:
        chosen = ["acme", "other"] if command == "remove" else ["other"]
        create_project(project, defaults=True, interactive=False, plugins=chosen)
        asked["on"] = True  # the installed acme is now a release that asks acme_region
        target = "other" if command == "remove" else "acme"
        args = [command, target, "--path", str(project)]
    before = snapshot(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: there is no terminal to ask acme_region: answer with -d acme_region=VALUE, "
        "or pass --defaults to take the defaults"
    ]
    assert snapshot(tmp_path) == before
    for answer in (["-d", "acme_region=us"], ["--defaults"]):
        if command != "new":
            git(project, "reset", "--quiet", "--hard")
        done = runner.invoke(app, [*args, *answer])
        assert done.exit_code == 0, done.output
        if command == "new":
            break

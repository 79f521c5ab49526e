"""The plugin contract: one test plugin per hook, registered for one test only."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import tomlkit
from conftest import snapshot

from mlscaffold import hookimpl, plugins
from mlscaffold.cli import app
from mlscaffold.state import read_state


def plugin(**hooks) -> SimpleNamespace:
    """A plugin object whose attributes are hookimpls (the module of a real plugin)."""
    return SimpleNamespace(**{name: hookimpl(function) for name, function in hooks.items()})


def new(runner, dest: Path, *args: str):
    return runner.invoke(app, ["new", str(dest), "--defaults", *args])


def layer(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / "layers" / name
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def assert_fails_cleanly(runner, tmp_path, args, fragment):
    before = snapshot(tmp_path)
    result = new(runner, tmp_path / "failed", *args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert snapshot(tmp_path) == before


def test_hook_mlscaffold_questions(runner, tmp_path, register_plugin):
    register_plugin(plugin(mlscaffold_questions=lambda: {
        "acme_team": {"type": "str", "default": "ml-platform", "help": "Owning team"},
        "acme_tier": {"type": "int", "default": 2, "choices": [1, 2, 3]},
    }), "acme")  # fmt: skip
    result = new(runner, tmp_path / "proj", "--plugin", "acme", "-d", "acme_tier=3")
    assert result.exit_code == 0, result.output
    answers = read_state(tmp_path / "proj").answers
    assert answers["acme_team"] == "ml-platform"
    assert answers["acme_tier"] == 3
    assert_fails_cleanly(runner, tmp_path, ["--plugin", "acme", "-d", "acme_tier=7"], "acme_tier")


@pytest.mark.reliability("misbehaving plugins")
def test_plugin_questions_must_be_namespaced(runner, tmp_path, register_plugin):
    register_plugin(plugin(mlscaffold_questions=lambda: {"team": {"type": "str"}}), "acme")
    assert_fails_cleanly(runner, tmp_path, ["--plugin", "acme"], "prefix 'acme_'")


def test_hook_mlscaffold_templates(runner, tmp_path, register_plugin):
    files = {
        "stages/02-data/acme-data-contract.md.jinja": "# Data contract of {{ project_name }}\n"
    }
    folder = layer(tmp_path, "acme", files)
    register_plugin(plugin(mlscaffold_templates=lambda answers: [folder]), "acme")
    result = new(runner, tmp_path / "proj", "--plugin", "acme")
    assert result.exit_code == 0, result.output
    contract = tmp_path / "proj" / "stages" / "02-data" / "acme-data-contract.md"
    assert contract.read_text() == "# Data contract of proj\n"
    state = read_state(tmp_path / "proj")
    assert state.plugins == {"acme": {"distribution": "", "version": ""}}


def test_unchosen_plugins_do_nothing(runner, tmp_path, register_plugin):
    folder = layer(tmp_path, "acme", {"ACME.md": "acme\n"})
    register_plugin(plugin(mlscaffold_templates=lambda: [folder]), "acme")
    assert new(runner, tmp_path / "proj").exit_code == 0
    assert not (tmp_path / "proj" / "ACME.md").exists()
    assert read_state(tmp_path / "proj").plugins == {}


@pytest.mark.reliability("misbehaving plugins")
def test_layer_may_not_replace_a_base_file(runner, tmp_path, register_plugin):
    folder = layer(tmp_path, "acme", {"pyproject.toml": "[project]\n"})
    register_plugin(plugin(mlscaffold_templates=lambda: [folder]), "acme")
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "acme"],
        "plugin 'acme' and the base template both write pyproject.toml",
    )  # fmt: skip


@pytest.mark.reliability("misbehaving plugins")
def test_two_plugins_writing_one_file_are_named(runner, tmp_path, register_plugin):
    one = layer(tmp_path, "one", {"shared.md": "1\n"})
    two = layer(tmp_path, "two", {"shared.md": "2\n"})
    register_plugin(plugin(mlscaffold_templates=lambda: [one]), "alpha")
    register_plugin(plugin(mlscaffold_templates=lambda: [two]), "beta")
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "alpha", "--plugin", "beta"],
        "plugin 'beta' and plugin 'alpha' both write shared.md",
    )  # fmt: skip


@pytest.mark.reliability("misbehaving plugins")
def test_layer_link_leading_outside_is_refused(runner, tmp_path, register_plugin):
    folder = layer(tmp_path, "evil", {"ok.md": "ok\n"})
    (folder / "escape").symlink_to("/etc/passwd")
    register_plugin(plugin(mlscaffold_templates=lambda: [folder]), "evil")
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "evil"], '"escape", a path outside the template'
    )


@pytest.mark.parametrize("returned", ["template", {"a": 1}, [1]])
@pytest.mark.reliability("misbehaving plugins")
def test_templates_hook_must_return_a_list_of_folders(runner, tmp_path, register_plugin, returned):
    register_plugin(plugin(mlscaffold_templates=lambda: returned), "acme")
    assert_fails_cleanly(runner, tmp_path, ["--plugin", "acme"], "must return a list of folders")


@pytest.mark.reliability("misbehaving plugins")
def test_layer_needing_trust_is_refused_without_it(runner, tmp_path, register_plugin):
    folder = layer(tmp_path, "acme", {"copier.yml": "_tasks:\n  - touch pwned\n", "a.md": "a\n"})
    register_plugin(plugin(mlscaffold_templates=lambda: [folder]), "acme")
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "acme"],
        "plugin 'acme' template layer uses unsafe features (tasks): pass --trust",
    )  # fmt: skip


@pytest.mark.reliability("misbehaving plugins")
def test_layer_that_is_not_a_folder(runner, tmp_path, register_plugin):
    register_plugin(plugin(mlscaffold_templates=lambda: [tmp_path / "missing"]), "acme")
    assert_fails_cleanly(runner, tmp_path, ["--plugin", "acme"], "is not a folder")


def test_hook_mlscaffold_checklist_items(runner, tmp_path, register_plugin):
    def items(stage):
        if stage != "modeling":
            return []
        return [{"id": "acme.modeling.review", "stage": "modeling", "required": True,
                 "title": "A second engineer reviewed the training code",
                 "why": "Four eyes catch leakage.", "source": ["Acme handbook §3"]}]  # fmt: skip

    register_plugin(plugin(mlscaffold_checklist_items=items), "acme")
    assert new(runner, tmp_path / "proj", "--plugin", "acme").exit_code == 0
    checklist = (tmp_path / "proj" / "stages" / "03-modeling" / "CHECKLIST.md").read_text()
    assert (
        "- [ ] A second engineer reviewed the training code (`acme.modeling.review`, required)"
        in checklist
    )
    assert "  - Source: Acme handbook §3" in checklist


@pytest.mark.parametrize(("item", "fragment"), [
    ({"id": "acme.data.x", "stage": "nowhere", "title": "t"}, "use one of scoping"),
    ({"stage": "data", "title": "t"}, "needs an id"),
    ({"id": "other.data.x", "stage": "data", "title": "t"}, "id starting with 'acme.'"),
    ({"id": "acme.data.x", "stage": "data", "title": ""}, "needs a non-empty title"),
    ({"id": "acme.data.x", "stage": "data", "title": "t", "verify": {"kind": "x"}}, "known kind"),
    ("not a dict", "must be a table"),
])  # fmt: skip
@pytest.mark.reliability("misbehaving plugins")
def test_invalid_checklist_items_are_refused(runner, tmp_path, register_plugin, item, fragment):
    register_plugin(
        plugin(mlscaffold_checklist_items=lambda stage: [item] if stage == "data" else []), "acme"
    )
    assert_fails_cleanly(runner, tmp_path, ["--plugin", "acme"], fragment)


@pytest.mark.reliability("misbehaving plugins")
def test_duplicate_checklist_ids_name_both_plugins(runner, tmp_path, register_plugin):
    item = {"id": "acme.data.same", "stage": "data", "title": "t"}
    register_plugin(
        plugin(mlscaffold_checklist_items=lambda stage: [item] if stage == "data" else []), "acme"
    )
    register_plugin(
        plugin(mlscaffold_checklist_items=lambda stage: [item] if stage == "data" else []), "acme.x"
    )
    # "acme.x" items may not use the "acme." namespace of another plugin.
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "acme", "--plugin", "acme.x"], "id starting with 'acme.x.'"
    )


def test_hook_mlscaffold_pyproject(runner, tmp_path, register_plugin):
    def edit(pyproject, answers):
        pyproject["project"]["dependencies"].append("acme-tracking>=1,<2")
        pyproject.setdefault("tool", tomlkit.table())["acme"] = {"team": answers["project_name"]}

    register_plugin(plugin(mlscaffold_pyproject=edit), "acme")
    before = tmp_path / "plain"
    assert new(runner, before).exit_code == 0
    assert new(runner, tmp_path / "proj", "--plugin", "acme").exit_code == 0
    text = (tmp_path / "proj" / "pyproject.toml").read_text()
    document = tomlkit.parse(text)
    assert "acme-tracking>=1,<2" in document["project"]["dependencies"]
    assert document["tool"]["acme"]["team"] == "proj"
    original = (before / "pyproject.toml").read_text()
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert all(comment in text for comment in comments)  # formatting of the rest is kept


def test_hook_mlscaffold_commands(runner, register_plugin):
    def commands(app):
        @app.command("acme-hello")
        def hello(name: str) -> None:
            """Say hello."""
            print(f"hello {name}")

    register_plugin(plugin(mlscaffold_commands=commands), "acme")
    from typer import Typer

    local = Typer()
    local.command("noop")(lambda: None)
    plugins.call("mlscaffold_commands", ["acme"], app=local)
    result = runner.invoke(local, ["acme-hello", "Ada"])
    assert result.exit_code == 0 and result.stdout == "hello Ada\n"


def test_plugins_load_before_parsing_unless_a_built_in_command_is_named(monkeypatch):
    from mlscaffold.cli import _may_name_a_plugin_command

    monkeypatch.delenv("_MLSCAFFOLD_COMPLETE", raising=False)
    for args in (["status"], ["-q", "update", "--dry-run"], ["plugin", "new", "x"], [],
                 ["--help"], ["--version"], ["-v"]):  # fmt: skip
        assert not _may_name_a_plugin_command(args), args
    for args in (["acme-hello", "Ada"], ["-q", "acme-report"]):
        assert _may_name_a_plugin_command(args), args
    monkeypatch.setenv("_MLSCAFFOLD_COMPLETE", "complete_bash")
    assert _may_name_a_plugin_command(["status"])


@pytest.mark.reliability("misbehaving plugins")
def test_a_failing_hook_names_plugin_and_hook(runner, tmp_path, register_plugin):
    def broken(answers):
        raise RuntimeError("boom")

    register_plugin(plugin(mlscaffold_templates=broken), "acme")
    assert_fails_cleanly(
        runner, tmp_path, ["--plugin", "acme"],
        "plugin 'acme' failed in hook mlscaffold_templates (RuntimeError: boom)",
    )  # fmt: skip


@pytest.mark.reliability("misbehaving plugins")
def test_unknown_plugin_lists_the_installed_ones(runner, tmp_path, register_plugin):
    register_plugin(plugin(mlscaffold_questions=lambda: {}), "acme")
    assert_fails_cleanly(
        runner,
        tmp_path,
        ["--plugin", "mlflw"],
        "'mlflw' is not installed (installed plugins: acme)",
    )


def test_entry_points_are_read_as_importlib_metadata_reads_them():
    import importlib.metadata

    for group in ("console_scripts", "mlscaffold", "pytest11"):
        expected = {(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=group)}
        found = {(name, value) for name, value, _ in plugins.entry_points(group)}
        assert found == expected, group
    assert plugins.entry_points("console_scripts")  # the comparison above compared something


def test_plugin_versions_are_read_as_importlib_metadata_reads_them():
    from importlib.metadata import PathDistribution

    folders = {folder for group in ("mlscaffold", "console_scripts")
               for _, _, folder in plugins.entry_points(group)}  # fmt: skip
    assert len(folders) >= 10, folders  # mlscaffold, its plugins, pytest, copier, ...
    for folder in folders:
        metadata = PathDistribution(Path(folder))
        expected = (metadata.metadata["Name"], metadata.version)
        assert plugins._name_and_version(folder) == expected, folder


def test_an_installed_plugin_is_found_through_its_entry_point(tmp_path, monkeypatch):
    (tmp_path / "acme_plugin.py").write_text(
        "from mlscaffold import hookimpl\n\n\n@hookimpl\ndef mlscaffold_questions():\n"
        "    return {}\n"
    )
    metadata = tmp_path / "acme_plugin-1.2.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugin\nVersion: 1.2\n")
    (metadata / "entry_points.txt").write_text(
        "[console_scripts]\nacme = acme_plugin:main\n\n"
        "# installers may leave comments\n[mlscaffold]\nacme = acme_plugin\n"
    )
    shadowed = tmp_path / "later" / "acme_plugin-0.9.dist-info"  # the first on sys.path wins
    shadowed.mkdir(parents=True)
    (shadowed / "entry_points.txt").write_text("[mlscaffold]\nold-acme = acme_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path / "later"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "_folders", {})
    monkeypatch.setenv("MLSCAFFOLD_LOAD_PLUGINS", "acme,old-acme")
    monkeypatch.setattr(plugins, "_loaded", False)
    try:
        assert plugins.installed() == [
            plugins.PluginInfo("acme", "acme-plugin", "1.2", ("mlscaffold_questions",))
        ]
    finally:
        plugins.pm.unregister(name="acme")


@pytest.mark.reliability("misbehaving plugins")
def test_misspelled_hook_fails_loudly(register_plugin, monkeypatch):
    register_plugin(SimpleNamespace(mlscaffold_templats=hookimpl(lambda: [])), "typo")
    monkeypatch.setattr(plugins, "_loaded", False)
    with pytest.raises(plugins.MlscaffoldError, match="'typo' implements mlscaffold_templats, "):
        plugins.load()


def test_plugins_command(runner, register_plugin):
    register_plugin(
        plugin(mlscaffold_questions=lambda: {}, mlscaffold_pyproject=lambda: None), "acme"
    )
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0
    schema = Path(__file__).parents[1] / "docs" / "schemas" / "plugins.schema.json"
    jsonschema.validate(json.loads(result.stdout), json.loads(schema.read_text()))
    listed = json.loads(result.stdout)["plugins"]
    hooks = ["mlscaffold_pyproject", "mlscaffold_questions"]
    assert listed == [
        {"name": "acme", "distribution": "", "version": "", "hooks": hooks, "stages": []}
    ]
    table = runner.invoke(app, ["plugins"])
    assert table.stdout.splitlines()[1].split() == ["acme", "pyproject,", "questions"]


def test_every_hook_has_a_test_and_a_docstring():
    from mlscaffold import hookspecs

    hooks = [name for name in dir(hookspecs) if name.startswith("mlscaffold_")]
    tests = "".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    for hook in hooks:
        doc = textwrap.dedent(getattr(hookspecs, hook).__doc__ or "")
        assert ":return:" in doc and "Example::" in doc, f"{hook} is not documented"
        assert f"def test_hook_{hook}(" in tests, f"{hook} has no test_hook_{hook}"


@pytest.mark.reliability("misbehaving plugins")
def test_a_hung_hook_is_stopped_by_the_time_limit(runner, tmp_path, register_plugin, monkeypatch):
    import threading

    release = threading.Event()
    register_plugin(plugin(mlscaffold_questions=lambda: release.wait(30) and {}), "slow")
    monkeypatch.setenv("MLSCAFFOLD_HOOK_TIMEOUT", "0.3")
    try:
        assert_fails_cleanly(
            runner, tmp_path, ["--plugin", "slow"],
            "plugin 'slow' took more than 0.3 s in hook mlscaffold_questions",
        )  # fmt: skip
    finally:
        release.set()


@pytest.mark.reliability("misbehaving plugins")
def test_the_time_limit_is_per_plugin_and_names_the_one_that_hung(register_plugin, monkeypatch):
    import threading
    import time

    release = threading.Event()
    register_plugin(plugin(mlscaffold_questions=lambda: time.sleep(0.3) or {}), "slow-a")
    register_plugin(plugin(mlscaffold_questions=lambda: time.sleep(0.3) or {}), "slow-b")
    register_plugin(plugin(mlscaffold_questions=lambda: release.wait(30) and {}), "stuck")
    after = []
    register_plugin(plugin(mlscaffold_questions=lambda: after.append("ran") or {}), "after")
    monkeypatch.setenv("MLSCAFFOLD_HOOK_TIMEOUT", "0.5")
    # Together the two slow plugins take longer than the limit, each one less.
    assert plugins.call("mlscaffold_questions", ["slow-a", "slow-b"]) == [
        ("slow-a", {}), ("slow-b", {})
    ]  # fmt: skip
    try:
        with pytest.raises(plugins.MlscaffoldError, match=r"plugin .stuck. took more than 0\.5 s"):
            plugins.call("mlscaffold_questions", ["slow-a", "stuck", "after"])
    finally:
        release.set()
    time.sleep(0.2)
    assert after == []  # once reported, the plugins after the hung one are not run


def test_plugins_lists_the_stages_a_plugin_contributes_to(runner, tmp_path, register_plugin):
    folder = layer(tmp_path, "acme", {"stages/05-monitoring/acme-alerts.md": "alerts\n"})
    register_plugin(
        plugin(
            mlscaffold_templates=lambda: [folder],
            mlscaffold_checklist_items=lambda stage: (
                [{"id": "acme.data.x", "stage": "data", "title": "t"}] if stage == "data" else []
            ),
        ),
        "acme",
    )
    listed = json.loads(runner.invoke(app, ["plugins", "--json"]).stdout)["plugins"]
    assert listed[0]["stages"] == ["data", "monitoring"]


@pytest.mark.reliability("misbehaving plugins")
def test_a_plugin_command_fails_in_one_line_like_a_built_in(runner, register_plugin):
    from typer import Typer

    from mlscaffold.cli import _Group, add_plugin_commands
    from mlscaffold.errors import MlscaffoldError

    def commands(app):
        @app.command("acme-crash")
        def crash(name: str) -> None:
            raise RuntimeError(f"no such team {name}\nsecond line")

        @app.command("acme-refuse")
        def refuse() -> None:
            raise MlscaffoldError("acme.toml is missing: run `mlscaffold add acme` first")

    register_plugin(plugin(mlscaffold_commands=commands), "acme")
    local = Typer(cls=_Group)
    local.command("noop")(lambda: None)
    add_plugin_commands(local)
    crashed = runner.invoke(local, ["acme-crash", "ops"])
    assert crashed.exit_code == 1
    assert crashed.stderr.strip().splitlines() == [
        "Error: plugin 'acme' failed in its command crash (RuntimeError: no such team ops): "
        "report it to the plugin's authors"
    ]
    refused = runner.invoke(local, ["acme-refuse"])
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "Error: acme.toml is missing: run `mlscaffold add acme` first"
    )
    usage = runner.invoke(local, ["acme-crash"])  # a usage error stays typer's, exit 2
    assert usage.exit_code == 2


def test_plugin_new_prompts_show_the_default_and_take_it_on_empty_input(
    runner, tmp_path, monkeypatch
):
    from mlscaffold import cli

    monkeypatch.setattr(cli, "_has_terminal", lambda: True)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["plugin", "new", "acme", "--no-git"], input="\nData Team\n\n")
    assert result.exit_code == 0, result.output
    assert "Author or team name [ML Platform Team]: " in result.output
    pyproject = tomlkit.parse((tmp_path / "mlscaffold-acme" / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == "Team conventions for acme ML projects"
    assert pyproject["project"]["authors"][0]["name"] == "Data Team"  # not appended to the default
    assert pyproject["project"]["authors"][0]["email"] == "ml-platform@example.com"

"""File ownership, update policies and migrations.

A platform team ships template v2: it renames a stage folder (with a migration), owns its
CI file (`managed`), seeds documents once (`seed`) and brings a required file back when a
user deletes it (`restore`). Each project moves to it with one `mlscaffold update`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from conftest import git, snapshot

from mlscaffold import hookimpl, plugins
from mlscaffold.cli import app
from mlscaffold.errors import MlscaffoldError
from mlscaffold.project import create_project
from mlscaffold.state import read_state
from mlscaffold.update import update_project

POLICIES = """\
_subdirectory: template
project_name:
  type: str
  default: x
_mlscaffold:
  files:
    "stages/*/charter.md": seed
    "stages/06-business/exit.md": seed
    ".github/workflows/ci.yml": managed
    "docs/required.md": {restore: true}
"""
MIGRATIONS = """\
_migrations:
  - version: v2.0.0
    command: git mv stages/03-model stages/03-modeling
    when: "{{ _stage == 'before' }}"
  - version: v2.0.0
    command: [python3, -c, "import pathlib; p = pathlib.Path('settings.toml'); p.write_text(p.read_text().replace('old_key', 'new_key')); pathlib.Path('notes de réunion.md').write_text('new')"]
"""  # noqa: E501
V1 = {
    "stages/01-scoping/charter.md": "charter v1\n",
    ".github/workflows/ci.yml": "ci v1\n",
    "docs/required.md": "required v1\n",
    "stages/03-model/notes.md": "line 1\nline 2\nline 3\n",
    "settings.toml": "old_key = 1\n",
    "README.md": "readme v1\n",
}
V2 = {
    "stages/01-scoping/charter.md": "charter v2\n",
    ".github/workflows/ci.yml": "ci v2\n",
    "docs/required.md": "required v2\n",
    "stages/06-business/exit.md": "exit report\n",
    "README.md": "readme v2\n",
}


@pytest.fixture
def platform_template(make_template):
    """v1.0.0 and v2.0.0 of a template; v2 renames stages/03-model and has migrations."""
    root = make_template("platform", copier_yml=POLICIES, files=V1, tags={"v1.0.0": {}})
    (root / "copier.yml").write_text(POLICIES + MIGRATIONS)
    for relative, text in V2.items():
        (root / "template" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "template" / relative).write_text(text)
    git(root, "mv", "template/stages/03-model", "template/stages/03-modeling")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v2")
    git(root, "tag", "v2.0.0")
    return root


def project_at_v1(template: Path, tmp_path: Path, edits=None, deletes=()) -> Path:
    project = tmp_path / "demo"
    create_project(
        project, template=str(template), vcs_ref="v1.0.0", defaults=True, interactive=False
    )
    for relative, text in (edits or {}).items():
        (project / relative).write_text(text)
    for relative in deletes:
        (project / relative).unlink()
    if edits or deletes:
        git(project, "commit", "--quiet", "--all", "-m", "team edits")
    return project


def update(project: Path, **options):
    options.setdefault("trust", True)
    return update_project(project, vcs_ref="v2.0.0", interactive=False, **options)


def test_policies_are_recorded_and_listed(platform_template, tmp_path, runner):
    project = project_at_v1(platform_template, tmp_path, edits={"README.md": "mine\n"},
                            deletes=["docs/required.md"])  # fmt: skip
    files = read_state(project).files
    assert files["stages/01-scoping/charter.md"] == {"owner": "template", "policy": "seed"}
    assert files[".github/workflows/ci.yml"] == {"owner": "template", "policy": "managed"}
    assert "README.md" not in files  # the default (template, merge) is not written out
    result = runner.invoke(app, ["files", str(project), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["path"]: row for row in json.loads(result.stdout)["files"]}
    assert rows["README.md"] == {"path": "README.md", "owner": "template", "policy": "merge",
                                 "restore": False, "state": "modified"}  # fmt: skip
    assert rows["docs/required.md"]["state"] == "deleted"
    assert rows["docs/required.md"]["restore"] is True
    assert rows["stages/01-scoping/charter.md"]["state"] == "unchanged"
    table = runner.invoke(app, ["files", str(project)])
    assert "managed" in table.stdout and "seed" in table.stdout


@pytest.mark.reliability("user edits on update")
def test_one_update_brings_a_project_to_v2(platform_template, tmp_path):
    edits = {"stages/01-scoping/charter.md": "our charter\n",
             "stages/03-model/notes.md": "line 1\nline 2, ours\nline 3\n",
             "settings.toml": "old_key = 1\nours = 2\n"}  # fmt: skip
    project = project_at_v1(platform_template, tmp_path, edits=edits,
                            deletes=["docs/required.md"])  # fmt: skip
    result = update(project)
    assert result.conflicts == []
    # seed: the team's charter stays; a seed document new in v2 arrives once
    assert (project / "stages/01-scoping/charter.md").read_text() == "our charter\n"
    assert (project / "stages/06-business/exit.md").read_text() == "exit report\n"
    # managed: the template's version; restore: the deleted file is back
    assert (project / ".github/workflows/ci.yml").read_text() == "ci v2\n"
    assert (project / "docs/required.md").read_text() == "required v2\n"
    assert result.restored == ["docs/required.md"]
    # the before-migration renamed the folder, so the user's edit follows it
    assert not (project / "stages/03-model").exists()
    assert "line 2, ours" in (project / "stages/03-modeling/notes.md").read_text()
    # the after-migration rewrote the setting, and the state file records both
    assert (project / "settings.toml").read_text() == "new_key = 1\nours = 2\n"
    ran = read_state(project).migrations
    assert [(m["when"], m["source"], m["version"]) for m in ran] == [
        ("before", "template", "v2.0.0"), ("after", "template", "v2.0.0")]  # fmt: skip
    assert git(project, "status", "--porcelain", "--", "settings.toml") == "M  settings.toml"
    # what the after-migration created is staged too, even a name git would quote
    staged = git(project, "diff", "--cached", "--name-only", "-z").split("\0")
    assert "notes de réunion.md" in staged
    log = git(project, "log", "--format=%s", "-1")
    assert log == "mlscaffold migrations before the update to 2.0.0"


def test_dry_run_json_lists_the_migrations_and_writes_nothing(platform_template, tmp_path, runner):
    project = project_at_v1(platform_template, tmp_path)
    before = snapshot(tmp_path)
    args = ["update", str(project), "--vcs-ref", "v2.0.0", "--dry-run", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    schema = Path(__file__).parents[1] / "docs" / "schemas" / "update.schema.json"
    jsonschema.validate(payload, json.loads(schema.read_text()))
    assert [m["when"] for m in payload["migrations"]] == ["before", "after"]
    assert snapshot(tmp_path) == before


def test_an_unchanged_seed_file_is_not_updated_either(platform_template, tmp_path):
    project = project_at_v1(platform_template, tmp_path)
    update(project)
    assert (project / "stages/01-scoping/charter.md").read_text() == "charter v1\n"


def test_a_deleted_seed_file_stays_deleted(platform_template, tmp_path):
    project = project_at_v1(platform_template, tmp_path, deletes=["stages/01-scoping/charter.md"])
    update(project)
    assert not (project / "stages/01-scoping/charter.md").exists()


@pytest.mark.reliability("user edits on update")
def test_a_changed_managed_file_stops_the_update_before_anything_is_written(
    platform_template, tmp_path, runner
):
    project = project_at_v1(platform_template, tmp_path,
                            edits={".github/workflows/ci.yml": "our ci\n"})  # fmt: skip
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["update", str(project), "--vcs-ref", "v2.0.0", "--trust"])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert ".github/workflows/ci.yml" in message and "--replace-managed" in message
    assert snapshot(tmp_path) == before
    taken = runner.invoke(
        app, ["update", str(project), "--vcs-ref", "v2.0.0", "--trust", "--replace-managed"]
    )
    assert taken.exit_code == 0, taken.output
    assert (project / ".github/workflows/ci.yml").read_text() == "ci v2\n"
    assert "took the template's version of .github/workflows/ci.yml" in taken.stdout


@pytest.mark.reliability("hostile templates")
def test_template_migrations_need_trust(platform_template, tmp_path):
    project = project_at_v1(platform_template, tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(MlscaffoldError, match=r"git mv stages/03-model.*pass --trust"):
        update(project, trust=False)
    assert snapshot(tmp_path) == before


@pytest.mark.reliability("faults")
def test_a_failing_migration_leaves_the_project_as_it_was(platform_template, tmp_path):
    text = (platform_template / "copier.yml").read_text()
    failing = "  - version: v2.0.0\n    command: touch half-done.txt && exit 7\n"
    (platform_template / "copier.yml").write_text(text + failing)
    git(platform_template, "commit", "--quiet", "--all", "-m", "v2.0.0 again")
    git(platform_template, "tag", "--force", "v2.0.0")
    project = project_at_v1(platform_template, tmp_path, edits={"README.md": "mine\n"})
    before = snapshot(tmp_path)
    with pytest.raises(MlscaffoldError) as caught:
        update(project)
    # it failed after the before-migration (committed) and the merge had run
    assert "migration 'touch half-done.txt && exit 7'" in caught.value.message
    assert "exited with code 7" in caught.value.message
    assert snapshot(tmp_path) == before


@pytest.fixture
def versioned_plugin(register_plugin, monkeypatch):
    """A registered plugin whose installed version the test sets, with a migration at 2.0."""
    version = {"now": "1.0"}
    calls = []

    def move_config(project):
        calls.append("move")
        (project / "acme.toml").rename(project / "configs" / "acme.toml")

    def fail(project):
        raise RuntimeError("acme.toml has an unknown key")

    failing = {"on": False}

    def migrations():
        found = [{"version": "2.0", "name": "move acme.toml into configs/", "when": "before",
                  "run": move_config}]  # fmt: skip
        if failing["on"]:
            found.append({"version": "2.0", "name": "check keys", "when": "after", "run": fail})
        return found

    register_plugin(
        type("Acme", (), {"mlscaffold_migrations": hookimpl(staticmethod(migrations))})(), "acme"
    )
    real = plugins._info

    def info(name):  # what the installed distribution's metadata would say
        found = real(name)
        return dataclasses.replace(found, version=version["now"]) if name == "acme" else found

    monkeypatch.setattr(plugins, "_info", info)
    return version, calls, failing


def test_hook_mlscaffold_migrations(make_template, tmp_path, versioned_plugin):
    """A plugin's migration runs once, when an update takes the plugin across its version."""
    version, calls, _ = versioned_plugin
    template = make_template(files={"configs/.keep": "", "acme.toml": "key = 1\n"})
    project = tmp_path / "demo"
    create_project(
        project, template=str(template), defaults=True, interactive=False, plugins=["acme"]
    )
    update_project(project, interactive=False)  # still 1.0: nothing crosses
    assert calls == []
    version["now"] = "2.1"
    result = update_project(project, interactive=False)
    assert calls == ["move"]
    assert [m.name for m in result.migrations] == ["move acme.toml into configs/"]
    assert (project / "configs" / "acme.toml").is_file()
    git(project, "commit", "--quiet", "-m", "update")
    assert read_state(project).migrations[-1] == {
        "source": "plugin acme", "version": "2.0",
        "name": "move acme.toml into configs/", "when": "before",
    }  # fmt: skip
    update_project(project, interactive=False)  # 2.1 to 2.1: not again
    assert calls == ["move"]


@pytest.mark.reliability("misbehaving plugins")
def test_a_failing_plugin_migration_names_itself_and_changes_nothing(
    make_template, tmp_path, versioned_plugin
):
    version, calls, failing = versioned_plugin
    template = make_template(files={"configs/.keep": "", "acme.toml": "key = 1\n"})
    project = tmp_path / "demo"
    create_project(
        project, template=str(template), defaults=True, interactive=False, plugins=["acme"]
    )
    version["now"], failing["on"] = "2.0", True
    before = snapshot(tmp_path)
    with pytest.raises(MlscaffoldError) as caught:
        update_project(project, interactive=False)
    assert caught.value.message.startswith("migration 'check keys' (plugin acme 2.0, after")
    assert "RuntimeError: acme.toml has an unknown key" in caught.value.message
    assert calls == ["move"]
    assert snapshot(tmp_path) == before


def test_hook_mlscaffold_file_policies(make_template, tmp_path, register_plugin, runner):
    """A plugin's rules apply to its own files, in new, update, add and remove."""
    layer = tmp_path / "layer"
    (layer / "configs").mkdir(parents=True)
    (layer / "configs" / "acme.toml").write_text("tuned = false\n")
    (layer / "acme-ci.yml").write_text("acme ci\n")
    operations = []

    def watch(operation):
        operations.append(operation)
        return {}

    def policies():
        # README.md is the template's file: a plugin's rules cannot reach it
        return {"configs/acme.toml": "seed", "acme-ci.yml": "managed", "README.md": "managed"}

    register_plugin(type("Acme", (), {
        "mlscaffold_templates": hookimpl(staticmethod(lambda: [layer])),
        "mlscaffold_file_policies": hookimpl(staticmethod(policies)),
    })(), "acme")  # fmt: skip
    register_plugin(type("Watch", (), {
        "mlscaffold_file_policies": hookimpl(staticmethod(watch)),
    })(), "watch")  # fmt: skip
    template = make_template(tags={"v1": {}, "v2": {"README.md.jinja": "# v2\n"}})
    project = tmp_path / "demo"
    create_project(project, template=str(template), vcs_ref="v1", defaults=True,
                   interactive=False, plugins=["watch"])  # fmt: skip
    assert read_state(project).files == {}
    update_project(project, add=["acme"], interactive=False)
    git(project, "commit", "--quiet", "-m", "add acme")
    assert read_state(project).files == {
        "acme-ci.yml": {"owner": "acme", "policy": "managed"},
        "configs/acme.toml": {"owner": "acme", "policy": "seed"},
    }
    (project / "configs" / "acme.toml").write_text("tuned = true\n")
    (project / "README.md").write_text("# ours\n")  # merge: the template owns README.md
    git(project, "commit", "--quiet", "--all", "-m", "tune")
    (layer / "configs" / "acme.toml").write_text("tuned = false\nnew = 1\n")
    result = update_project(project, vcs_ref="v2", interactive=False)
    assert result.conflicts == ["README.md"]  # merged, not replaced, as it is not acme's
    assert (project / "configs" / "acme.toml").read_text() == "tuned = true\n"
    git(project, "checkout", "--theirs", "README.md")
    git(project, "commit", "--quiet", "--all", "-m", "update")
    update_project(project, remove=["acme"], interactive=False)
    # the seeded config is the team's now: removing the plugin keeps it
    assert (project / "configs" / "acme.toml").read_text() == "tuned = true\n"
    assert not (project / "acme-ci.yml").exists()
    assert operations == ["new", "add", "update", "remove"]


@pytest.mark.reliability("hostile templates")
def test_file_rules_are_checked(make_template, tmp_path, runner):
    bad = POLICIES.replace('"docs/required.md": {restore: true}', '"docs/*": replace')
    template = make_template("bad", copier_yml=bad, files=V1)
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["new", str(tmp_path / "demo"), "--template", str(template),
                                 "--defaults"])  # fmt: skip
    assert result.exit_code == 1
    assert "unknown policy 'replace' for 'docs/*': use one of merge, seed, managed" in result.stderr
    assert snapshot(tmp_path) == before


def test_files_on_a_generated_project(tmp_path, runner):
    project = tmp_path / "demo"
    assert runner.invoke(app, ["new", str(project), "--defaults"]).exit_code == 0
    (project / "stages" / "01-scoping" / "charter.md").write_text("ours\n")
    result = runner.invoke(app, ["files", str(project), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    schema = Path(__file__).parents[1] / "docs" / "schemas" / "files.schema.json"
    jsonschema.validate(payload, json.loads(schema.read_text()))
    rows = {row["path"]: row for row in payload["files"]}
    charter = rows["stages/01-scoping/charter.md"]
    assert (charter["policy"], charter["state"]) == ("seed", "modified")
    assert rows[".github/workflows/ci.yml"]["policy"] == "merge"
    assert rows["stages/05-monitoring/CHECKLIST.md"]["restore"] is True

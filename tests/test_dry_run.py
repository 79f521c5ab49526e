"""`--dry-run` predicts exactly the conflicts the real run leaves.

The real run does more than git's merge: it takes the new version of managed files,
brings back deleted `restore` files, keeps seed files and a removed plugin's changed files,
and puts the team's ticks back on re-rendered checklists. Each scenario runs the dry run,
then the real command, and compares their conflicts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import git

from mlscaffold import hookimpl
from mlscaffold.cli import app
from mlscaffold.project import create_project

COPIER = """\
_subdirectory: template
project_name:
  type: str
  default: x
_mlscaffold:
  files:
    "docs/seeded.md": seed
    "ci.yml": managed
    "docs/required.md": {restore: true}
"""
ITEMS = """\
[[item]]
id = "core.data.schema"
stage = "data"
title = "{title}"
required = true

[[item]]
id = "core.data.report"
stage = "data"
title = "The data report is written"
"""
V1 = {
    "README.md": "intro\n\nline a\nline b\nline c\n",
    "docs/seeded.md": "seed v1\n",
    "docs/required.md": "required v1\n",
    "docs/merged.md": "merged v1\n",
    "ci.yml": "ci v1\n",
}
V2 = {
    "README.md": "intro\n\nline a\nline b\nline c, better\n",
    "docs/seeded.md": "seed v2\n",
    "docs/required.md": "required v2\n",
    "docs/merged.md": "merged v2\n",
    "ci.yml": "ci v2\n",
}


@pytest.fixture
def template(make_template):
    root = make_template("dry", copier_yml=COPIER, files=V1)
    (root / "checklists.toml").write_text(ITEMS.format(title="A schema is checked"))
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v1")
    git(root, "tag", "v1.0.0")
    for relative, text in V2.items():
        (root / "template" / relative).write_text(text)
    (root / "checklists.toml").write_text(ITEMS.format(title="A schema is machine-checked"))
    git(root, "commit", "--quiet", "--all", "-m", "v2")
    git(root, "tag", "v2.0.0")
    return root


@pytest.fixture
def acme(tmp_path, register_plugin):
    layer = tmp_path / "acme-layer"
    (layer / "docs").mkdir(parents=True)
    (layer / "docs" / "acme.md").write_text("acme v1\n")
    (layer / "docs" / "acme-untouched.md").write_text("untouched\n")

    def items(stage):
        if stage != "data":
            return []
        return [{"id": "acme.data.contract", "stage": "data", "title": "Contract agreed"}]

    register_plugin(SimpleNamespace(
        mlscaffold_templates=hookimpl(lambda: [layer]),
        mlscaffold_checklist_items=hookimpl(items),
    ), "acme")  # fmt: skip
    return layer


def tick(project: Path, *items: str) -> None:
    checklist = project / "stages" / "02-data" / "CHECKLIST.md"
    text = checklist.read_text()
    for item in items:
        line = next(line for line in text.splitlines() if f"(`{item}`" in line)
        text = text.replace(line, line.replace("- [ ]", "- [x]"))
    checklist.write_text(text)


def edit(project: Path, files: dict[str, str | None]) -> None:
    for relative, text in files.items():
        if text is None:
            (project / relative).unlink()
        else:
            (project / relative).write_text(text)
    tick(project, "core.data.schema")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "user edits")


def compare(runner, args: list[str]) -> list[str]:
    dry = runner.invoke(app, [*args, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    real = runner.invoke(app, [*args, "--json"])
    assert real.exit_code in (0, 4), real.output
    predicted, done = json.loads(dry.stdout)["conflicts"], json.loads(real.stdout)["conflicts"]
    assert predicted == done
    return done


SCENARIOS = {
    # the user edits what the template also changes, deletes a merge file the template
    # changes, deletes a restore file, edits a seed file, and ticks a reworded checklist
    "update": (
        {"README.md": "intro\n\nline a\nline b\nline c, mine\n", "docs/merged.md": None,
         "docs/required.md": None, "docs/seeded.md": "seed, ours\n"},
        ["update", "{project}", "--vcs-ref", "v2.0.0", "--defaults"],
        ["README.md", "docs/merged.md"],
    ),
    "add": (
        {"README.md": "intro\n\nline a\nline b\nline c, mine\n"},
        ["add", "acme", "--path", "{project}"],
        [],
    ),
}  # fmt: skip


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.reliability("user edits on update")
def test_dry_run_predicts_the_conflicts_of_the_real_run(runner, tmp_path, template, acme, scenario):
    edits, args, expected = SCENARIOS[scenario]
    project = tmp_path / "demo"
    create_project(project, template=str(template), vcs_ref="v1.0.0", defaults=True,
                   interactive=False)  # fmt: skip
    edit(project, edits)
    conflicts = compare(runner, [arg.format(project=project) for arg in args])
    assert conflicts == expected
    checklist = (project / "stages" / "02-data" / "CHECKLIST.md").read_text()
    assert "- [x] A schema is" in checklist


@pytest.mark.reliability("user edits on update")
def test_dry_run_of_remove_predicts_its_conflicts(runner, tmp_path, template, acme):
    project = tmp_path / "demo"
    create_project(project, template=str(template), vcs_ref="v1.0.0", defaults=True,
                   interactive=False, plugins=["acme"])  # fmt: skip
    tick(project, "acme.data.contract", "core.data.report")
    (project / "docs" / "acme.md").write_text("acme, ours\n")
    (project / "README.md").write_text("ours\n")
    git(project, "commit", "--quiet", "--all", "-m", "ticks and edits")
    assert compare(runner, ["remove", "acme", "--path", str(project)]) == []
    assert (project / "docs" / "acme.md").read_text() == "acme, ours\n"  # changed: kept
    assert not (project / "docs" / "acme-untouched.md").exists()
    checklist = (project / "stages" / "02-data" / "CHECKLIST.md").read_text()
    assert "- [x] The data report is written" in checklist
    assert "acme.data.contract" not in checklist


@pytest.mark.reliability("user edits on update")
def test_dry_run_runs_before_migrations_in_a_scratch_worktree(runner, tmp_path, make_template):
    """v2 of a plugin writes acme.toml, a name the team already uses; its migration moves
    the team's file aside first. Merged without the migration, acme.toml would conflict."""
    from conftest import snapshot

    from mlscaffold import plugins

    layers = {1: tmp_path / "layer-v1", 2: tmp_path / "layer-v2"}
    (layers[1] / "docs").mkdir(parents=True)
    (layers[1] / "docs" / "acme.md").write_text("acme\n")
    shutil.copytree(layers[1], layers[2])
    (layers[2] / "acme.toml").write_text("threshold = 0.5\n")

    def move_aside(project):
        if (project / "acme.toml").exists():
            (project / "acme.toml").rename(project / "acme.local.toml")

    def release(version):
        plugins.unregister("acme")
        plugins.register(SimpleNamespace(
            mlscaffold_templates=hookimpl(lambda: [layers[version]]),
            mlscaffold_migrations=hookimpl(lambda: [
                {"version": "2.0", "name": "move acme.toml aside", "when": "before",
                 "run": move_aside},
            ]),
        ), "acme", version=f"{version}.0")  # fmt: skip

    release(1)
    try:
        project = tmp_path / "demo"
        create_project(project, template=str(make_template()), defaults=True,
                       interactive=False, plugins=["acme"])  # fmt: skip
        (project / "acme.toml").write_text("ours = true\n")
        git(project, "add", "--all")
        git(project, "commit", "--quiet", "-m", "our acme.toml")
        release(2)
        before = snapshot(tmp_path)
        dry = runner.invoke(app, ["update", str(project), "--dry-run", "--json"])
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.stdout)["conflicts"] == []
        assert snapshot(tmp_path) == before
        assert len(git(project, "worktree", "list").splitlines()) == 1  # the scratch one is gone
        assert compare(runner, ["update", str(project)]) == []
        assert (project / "acme.local.toml").read_text() == "ours = true\n"
        assert (project / "acme.toml").read_text() == "threshold = 0.5\n"
    finally:
        plugins.unregister("acme")

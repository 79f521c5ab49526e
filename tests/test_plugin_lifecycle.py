"""An in-house plugin through its whole life, as a platform team ships it.

v1 asks one question and adds a contract, a config file, a CI file, a checklist item and a
dependency. v2 adds a question, renames the contract (with a migration), seeds the config
and manages the CI file. A project goes new -> edit -> update (no terminal; `-d`, and
`--defaults` in a fresh clone) -> remove -> add, and keeps its edits, answers and ticks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git, snapshot

from mlscaffold import hookimpl, plugins
from mlscaffold.cli import app
from mlscaffold.state import read_state

CONTRACT_V1 = "stages/02-data/acme-contract.yaml"
CONTRACT_V2 = "stages/02-data/acme-contract.yml"
CONFIG = "configs/acme.toml"
WORKFLOW = ".github/workflows/acme.yml"
CHECKLIST = "stages/02-data/CHECKLIST.md"


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def acme(tmp_path: Path, version: int) -> object:
    """The plugin at version 1 or 2, as the module of an installed package would be."""
    contract = CONTRACT_V1 if version == 1 else CONTRACT_V2
    layer = write(tmp_path / f"acme-v{version}", {
        f"{contract}.jinja": "# Contract of {{ project_name }}, team {{ acme_team }}\n"
                             "producer: TODO\ncolumns: []\n",
        CONFIG: "threshold = 0.5\n",
        WORKFLOW: f"name: acme checks v{version}\n",
    })  # fmt: skip

    class Acme:
        @staticmethod
        @hookimpl
        def mlscaffold_questions():
            questions = {"acme_team": {"type": "str", "default": "ml-platform"}}
            if version == 2:
                questions["acme_region"] = {"type": "str", "default": "eu"}
            return questions

        @staticmethod
        @hookimpl
        def mlscaffold_templates():
            return [layer]

        @staticmethod
        @hookimpl
        def mlscaffold_checklist_items(stage):
            if stage != "data":
                return []
            title = "The contract is agreed" if version == 1 else "The data contract is agreed"
            return [{"id": "acme.data.contract", "stage": "data", "title": title,
                     "required": True}]  # fmt: skip

        @staticmethod
        @hookimpl
        def mlscaffold_pyproject(pyproject):
            pyproject["project"]["dependencies"].append("pyyaml>=6,<7")

        @staticmethod
        @hookimpl
        def mlscaffold_file_policies():
            return {CONFIG: "seed", WORKFLOW: "managed"} if version == 2 else {}

        @staticmethod
        @hookimpl
        def mlscaffold_migrations():
            def rename(project):
                old = project / CONTRACT_V1
                if old.exists():
                    old.rename(project / CONTRACT_V2)

            return [{"version": "2.0.0", "name": "rename the contract to .yml", "when": "before",
                     "run": rename}]  # fmt: skip

    return Acme()


@pytest.fixture
def release(tmp_path):
    """Installs the given version of acme, replacing the one installed before."""

    def install(version: int) -> None:
        plugins.unregister("acme")
        plugins.register(
            acme(tmp_path, version), "acme", distribution="mlscaffold-acme",
            version=f"{version}.0.0",
        )  # fmt: skip

    yield install
    plugins.unregister("acme")


def invoke(runner, *args: str):
    return runner.invoke(app, [str(arg) for arg in args])


def edit(project: Path) -> None:
    """What a team does in its first weeks: fills the contract, tunes the config, ticks."""
    contract = project / CONTRACT_V1
    contract.write_text(contract.read_text().replace("producer: TODO", "producer: billing-team"))
    (project / CONFIG).write_text("threshold = 0.8  # tuned on March data\n")
    checklist = (project / CHECKLIST).read_text()
    checklist = checklist.replace("- [ ] The contract is agreed", "- [x] The contract is agreed")
    lines = checklist.splitlines()
    pii = next(i for i, line in enumerate(lines) if "`core.data.pii`" in line)
    lines[pii] = lines[pii].replace("- [ ]", "- [-]")
    lines.insert(pii + 1, "  - N/A: no personal data")
    (project / CHECKLIST).write_text("\n".join(lines) + "\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "our contract, config and progress")


def assert_edits_kept(project: Path, contract: str = CONTRACT_V2) -> None:
    assert "producer: billing-team" in (project / contract).read_text()
    assert (project / CONFIG).read_text() == "threshold = 0.8  # tuned on March data\n"
    checklist = (project / CHECKLIST).read_text()
    assert "- [x] The data contract is agreed (`acme.data.contract`, required)" in checklist
    assert "(`core.data.pii`, required)\n  - N/A: no personal data" in checklist


def dry_then_real(runner, project: Path, *args: str) -> dict:
    """Runs a command with --dry-run --json, then for real; their conflicts must agree."""
    dry = invoke(runner, *args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    real = invoke(runner, *args, "--json")
    assert real.exit_code in (0, 4), real.output
    predicted, done = json.loads(dry.stdout), json.loads(real.stdout)
    assert predicted["conflicts"] == done["conflicts"], (predicted, done)
    return done


def test_a_plugin_through_versions_remove_and_add(runner, tmp_path, release):
    release(1)
    project = tmp_path / "demo"
    created = invoke(runner, "new", project, "--defaults", "--plugin", "acme")
    assert created.exit_code == 0, created.output
    edit(project)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(project), str(clone)], check=True)
    release(2)

    # No terminal and a new question: one line saying how to answer it; nothing changes.
    before = snapshot(tmp_path)
    asked = invoke(runner, "update", project)
    assert asked.exit_code == 1
    assert asked.stderr.strip().splitlines() == [
        "Error: there is no terminal to ask acme_region: answer with -d acme_region=VALUE, "
        "or pass --defaults to take the defaults"
    ]
    assert snapshot(tmp_path) == before

    # `-d` here, `--defaults` in the clone; both report the plugin's move, not just the template's.
    for copy, answer, expected in ((project, ["-d", "acme_region=us"], "us"),
                                   (clone, ["--defaults"], "eu")):  # fmt: skip
        text = invoke(runner, "update", copy, *answer, "--dry-run")
        assert "mlscaffold-acme 1.0.0 → 2.0.0" in text.stdout, text.stdout
        assert f"renamed: {CONTRACT_V2}" not in text.stdout  # git's statuses, each with its owner
        assert f"added: {CONTRACT_V2}, from plugin acme" in text.stdout, text.stdout
        done = dry_then_real(runner, copy, "update", copy, *answer)
        assert done["conflicts"] == []
        layers = {layer["layer"]: layer for layer in done["layers"]}
        assert (layers["plugin acme"]["from_version"], layers["plugin acme"]["to_version"]) == (
            "1.0.0", "2.0.0",
        )  # fmt: skip
        assert [m["name"] for m in done["migrations"]] == ["rename the contract to .yml"]
        owners = {change["path"]: change["owner"] for change in done["changes"]}
        assert owners[CONTRACT_V2] == owners[WORKFLOW] == "plugin acme"
        assert owners["stages/02-data/CHECKLIST.md"] == "template"
        assert not (copy / CONTRACT_V1).exists()
        assert_edits_kept(copy)
        assert (copy / WORKFLOW).read_text() == "name: acme checks v2\n"  # managed
        assert read_state(copy).answers["acme_region"] == expected
        git(copy, "commit", "--quiet", "-m", "acme 2")

    for copy in (project, clone):
        removed = dry_then_real(runner, copy, "remove", "acme", "--path", copy)
        assert removed["conflicts"] == []
        assert not (copy / WORKFLOW).exists()  # unchanged: it goes with the plugin
        assert "producer: billing-team" in (copy / CONTRACT_V2).read_text()  # changed: kept
        assert "acme.data.contract" not in (copy / CHECKLIST).read_text()
        memory = read_state(copy).removed["acme"]
        assert memory["progress"] == {"acme.data.contract": "done"}
        assert memory["answers"]["acme_team"] == "ml-platform"
        git(copy, "commit", "--quiet", "-m", "remove acme")

        status = invoke(runner, "files", copy, "--json")
        rows = {row["path"]: row for row in json.loads(status.stdout)["files"]}
        assert (rows[CONTRACT_V2]["owner"], rows[CONTRACT_V2]["policy"]) == ("acme", "seed")

        # Added back without a terminal: no question, no conflict, answers and ticks as they were.
        added = dry_then_real(runner, copy, "add", "acme", "--path", copy)
        assert added["conflicts"] == []
        assert_edits_kept(copy)
        assert (copy / WORKFLOW).read_text() == "name: acme checks v2\n"
        state = read_state(copy)
        assert state.answers["acme_region"] == ("us" if copy == project else "eu")
        assert state.removed == {}
        assert state.files[CONTRACT_V2] == {"owner": "acme", "policy": "merge"}
        git(copy, "commit", "--quiet", "-m", "acme back")
        again = invoke(runner, "update", copy, "--defaults")
        assert again.exit_code == 0, again.output
        assert again.stdout.startswith("Already up to date: template ")
        assert "mlscaffold-acme 2.0.0." in again.stdout


def test_a_changed_managed_file_names_the_plugin_that_manages_it(runner, tmp_path, release):
    release(2)
    project = tmp_path / "demo"
    assert invoke(runner, "new", project, "--defaults", "--plugin", "acme").exit_code == 0
    (project / WORKFLOW).write_text("name: ours\n")
    git(project, "commit", "--quiet", "--all", "-m", "our workflow")
    (tmp_path / "acme-v2" / WORKFLOW).write_text("name: acme checks v2.1\n")
    refused = invoke(runner, "update", project)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"Error: you changed {WORKFLOW}, which plugin acme manages and the update replaces"
    )
    taken = invoke(runner, "update", project, "--replace-managed")
    assert taken.exit_code == 0, taken.output
    assert f"took plugin acme's version of {WORKFLOW} (managed)" in taken.stdout

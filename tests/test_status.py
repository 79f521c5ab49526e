"""`mlscaffold status` and `check`: checklists read back, verified and gated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import snapshot

from mlscaffold.checklists import parse_markdown, render_markdown
from mlscaffold.cli import app
from mlscaffold.errors import EXIT_CHECK_FAILED
from mlscaffold.project import create_project
from mlscaffold.status import project_status, verify

CHECKLISTS = """\
schema_version = 1

[[item]]
id = "core.scoping.charter"
stage = "scoping"
title = "The charter has no placeholder left"
why = "A charter with TODOs was never agreed."
source = ["TDSP Charter"]
required = true
[item.verify]
kind = "file_contains"
path = "charter.md"
pattern = "TODO"
absent = true

[[item]]
id = "core.scoping.stakeholders"
stage = "scoping"
title = "Stakeholders are named"
source = ["CRISP-DM"]
required = true

[[item]]
id = "core.scoping.nice"
stage = "scoping"
title = "A nice-to-have"

[[item]]
id = "core.modeling.beats-baseline"
stage = "modeling"
title = "The model beats the baseline"
required = true
[item.verify]
kind = "json_compare"
path = "reports/metrics.json"
left = "/model/auc"
op = ">="
right = "/baseline/auc"
margin = 0.05

[[item]]
id = "core.modeling.tests"
stage = "modeling"
title = "Tests pass"
[item.verify]
kind = "command"
run = "test -f tests-ok"
timeout = 5
"""


@pytest.fixture
def project(tmp_path, make_template) -> Path:
    template = make_template(files={"charter.md": "Goal: TODO\n", "README.md": "hi\n"})
    (template / "checklists.toml").write_text(CHECKLISTS)
    return create_project(
        tmp_path / "proj", template=str(template), defaults=True, interactive=False
    ).path


def tick(project: Path, stage_folder: str, item_id: str, mark: str = "x", reason: str = "") -> None:
    path = project / "stages" / stage_folder / "CHECKLIST.md"
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if f"(`{item_id}`" in line:
            lines[number] = line.replace("- [ ]", f"- [{mark}]", 1)
            if reason:
                lines.insert(number + 1, f"  - N/A: {reason}")
            break
    path.write_text("\n".join(lines) + "\n")


def test_a_new_project_is_at_zero(project):
    report = project_status(project)
    assert report.progress == 0 and report.readiness == 0
    scoping = report.stages[0]
    assert (scoping.done, scoping.total) == (0, 3)
    assert [i.id for i in scoping.required_open] == [
        "core.scoping.charter",
        "core.scoping.stakeholders",
    ]
    assert report.problems == []


def test_status_table_and_json(runner, project):
    result = runner.invoke(app, ["status", str(project)])
    assert result.exit_code == 0, result.output
    assert "1. Project scoping" in result.stdout and "0/3" in result.stdout
    data = json.loads(runner.invoke(app, ["status", str(project), "--json"]).stdout)
    assert data["schema_version"] == 1
    assert [s["id"] for s in data["stages"]][:3] == ["scoping", "data", "modeling"]


def test_status_stage_shows_every_item_with_why_and_source(runner, project):
    result = runner.invoke(
        app, ["status", str(project), "--stage", "scoping"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0
    for text in ["The charter has no placeholder left", "A charter with TODOs was never agreed.",
                 "TDSP Charter", "Stakeholders are named", "CRISP-DM"]:  # fmt: skip
        assert text in result.stdout


def test_check_gates_until_items_are_ticked_or_verified(runner, project, monkeypatch):
    monkeypatch.chdir(project / "stages")  # any folder inside the project works
    failed = runner.invoke(app, ["check", "--stage", "scoping"])
    assert failed.exit_code == EXIT_CHECK_FAILED
    assert (
        "core.scoping.charter" in failed.stdout and "charter.md:1 still has 'TODO'" in failed.stdout
    )

    tick(project, "01-scoping", "core.scoping.stakeholders")
    tick(project, "01-scoping", "core.scoping.charter")  # a tick does not beat the verification
    still = runner.invoke(app, ["check", "--stage", "scoping"])
    assert still.exit_code == EXIT_CHECK_FAILED
    assert "ticked, but charter.md:1 still has 'TODO'" in still.stdout

    (project / "charter.md").write_text("Goal: cut churn by 5%\n")
    passed = runner.invoke(app, ["check", "--stage", "scoping"])
    assert passed.exit_code == 0, passed.stdout
    # The modeling stage is still open, so checking every stage fails.
    assert runner.invoke(app, ["check"]).exit_code == EXIT_CHECK_FAILED


def test_not_applicable_needs_a_reason(runner, project):
    tick(project, "01-scoping", "core.scoping.stakeholders", mark="-")
    report = project_status(project, ["scoping"])
    assert any("without a reason" in p for p in report.problems)
    tick_reason = project / "stages" / "01-scoping" / "CHECKLIST.md"
    text = tick_reason.read_text().replace("- [-]", "- [ ]")
    tick_reason.write_text(text)
    tick(project, "01-scoping", "core.scoping.stakeholders", mark="-", reason="one-person team")
    report = project_status(project, ["scoping"])
    item = next(i for i in report.stages[0].items if i.id == "core.scoping.stakeholders")
    assert (item.outcome, item.reason) == ("n/a", "one-person team")
    assert report.stages[0].total == 2  # not applicable items leave the count


def test_json_compare_and_command_verifications(runner, project):
    (project / "reports").mkdir()
    metrics = project / "reports" / "metrics.json"
    metrics.write_text(json.dumps({"model": {"auc": 0.93}, "baseline": {"auc": 0.9}}))
    item = lambda report, i: next(x for s in report.stages for x in s.items if x.id == i)  # noqa: E731
    report = project_status(project, ["modeling"])
    assert item(report, "core.modeling.beats-baseline").outcome == "open"
    assert "/model/auc = 0.93 is not >= 0.95" in item(report, "core.modeling.beats-baseline").detail
    metrics.write_text(json.dumps({"model": {"auc": 0.99}, "baseline": {"auc": 0.9}}))
    assert item(project_status(project, ["modeling"]), "core.modeling.beats-baseline").verified

    tests = item(project_status(project, ["modeling"]), "core.modeling.tests")
    assert tests.verified is None and "pass --run" in tests.detail
    ran = item(project_status(project, ["modeling"], run_commands=True), "core.modeling.tests")
    assert ran.verified is False and "exited with 1" in ran.detail
    (project / "tests-ok").write_text("")
    ran = item(project_status(project, ["modeling"], run_commands=True), "core.modeling.tests")
    assert ran.verified is True and ran.outcome == "done"


@pytest.mark.parametrize(("spec", "passed", "detail"), [
    ({"kind": "file_exists", "path": "README.md"}, True, ""),
    ({"kind": "file_exists", "path": "*.md"}, True, ""),
    ({"kind": "file_exists", "path": "nope/*.csv"}, False, "does not exist"),
    ({"kind": "file_exists", "path": "../outside"}, False, "must stay inside the project"),
    ({"kind": "file_contains", "path": "README.md", "pattern": "h."}, True, ""),
    ({"kind": "file_contains", "path": "README.md", "pattern": "zz"}, False, "lacks 'zz'"),
    ({"kind": "file_contains", "path": "missing.md", "pattern": "x"}, False, "does not exist"),
    ({"kind": "file_contains", "path": "README.md", "pattern": "("}, False, "cannot verify"),
    ({"kind": "json_compare", "path": "m.json", "left": "/a", "op": "<=", "right": 1}, True, ""),
    ({"kind": "json_compare", "path": "m.json", "left": "/a", "op": "<=", "right": 1,
      "margin": 0.6}, False, "is not <= 0.4"),
    ({"kind": "json_compare", "path": "m.json", "left": "/b/0", "op": "==", "right": 2}, True, ""),
    ({"kind": "json_compare", "path": "m.json", "left": "/zz", "op": "==", "right": 2}, False,
     "/zz is not in the file"),
    ({"kind": "command", "run": "sleep 5", "timeout": 0.2}, False, "timed out"),
])  # fmt: skip
def test_each_verification_kind(tmp_path, spec, passed, detail):
    (tmp_path / "README.md").write_text("hi\n")
    (tmp_path / "m.json").write_text('{"a": 0.5, "b": [2]}')
    ok, why = verify(tmp_path, spec, timeout=10)
    assert ok is passed
    assert detail in why


def test_parsing_is_tolerant_and_reports_what_it_cannot_read():
    text = "\n".join([
        "# Checklist",
        "* [X]   Spaced out   ( `core.data.a` ,required )",
        "- [x] Another (`core.data.b`)",
        "- [?] Broken item (`core.data.c`)",
        "- [ ] No id here",
        "- [ ] Unknown flag (`core.data.d`, urgent)",
    ])  # fmt: skip
    entries, problems = parse_markdown(text, "CHECKLIST.md")
    assert [(e.id, e.mark, e.required) for e in entries] == [
        ("core.data.a", "done", True), ("core.data.b", "done", False),
        ("core.data.d", "todo", False),
    ]  # fmt: skip
    assert problems[0].startswith("CHECKLIST.md:4: cannot read this item")
    assert problems[1].startswith("CHECKLIST.md:5: cannot read this item")
    assert "CHECKLIST.md:6: unknown flag urgent" in problems[2]


def test_rendering_and_parsing_round_trip(project):
    from mlscaffold.checklists import load_definitions

    items = [i for i in load_definitions(project).values() if i.stage == "scoping"]
    entries, problems = parse_markdown(render_markdown("scoping", items), "x")
    assert problems == []
    assert [(e.id, e.title, e.required, e.mark) for e in entries] == [
        (i.id, i.title, i.required, "todo") for i in items
    ]


def test_deleted_and_duplicated_items_are_reported(project):
    path = project / "stages" / "01-scoping" / "CHECKLIST.md"
    lines = path.read_text().splitlines()
    kept = [line for line in lines if "core.scoping.nice" not in line]
    duplicate = next(line for line in lines if "core.scoping.stakeholders" in line)
    path.write_text("\n".join([*kept, duplicate]) + "\n")
    report = project_status(project, ["scoping"])
    assert any("core.scoping.nice was deleted" in p for p in report.problems)
    assert any("core.scoping.stakeholders is also at stages/01-scoping/CHECKLIST.md:" in p
               for p in report.problems)  # fmt: skip


def test_status_outside_a_project_is_a_clear_error(runner, tmp_path):
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["status", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not inside an mlscaffold project" in result.stderr
    bad_stage = runner.invoke(app, ["check", str(tmp_path), "--stage", "x"])
    assert bad_stage.exit_code == 1
    assert snapshot(tmp_path) == before


def test_unknown_stage_is_a_clear_error(runner, project):
    result = runner.invoke(app, ["check", str(project), "--stage", "modelling"])
    assert result.exit_code == 1
    assert "unknown stage 'modelling': use one of scoping" in result.stderr


def test_json_output_follows_the_documented_schema(runner, project):
    import jsonschema
    from conftest import REPO

    schema = json.loads((REPO / "docs" / "schemas" / "status.schema.json").read_text())
    tick(project, "01-scoping", "core.scoping.nice", mark="-", reason="not needed")
    for args in (["status", str(project), "--json"], ["check", str(project), "--json"]):
        data = json.loads(runner.invoke(app, args).stdout)
        jsonschema.validate(data, schema)
    checked = runner.invoke(app, ["check", str(project), "--json"])
    assert checked.exit_code == EXIT_CHECK_FAILED
    assert json.loads(checked.stdout)["passed"] is False


def test_a_project_from_the_built_in_template_starts_at_zero(tmp_path):
    project = create_project(tmp_path / "fresh", defaults=True, interactive=False).path
    report = project_status(project)
    assert report.progress == 0 and report.problems == []
    assert [s.stage.id for s in report.stages if s.total] == [
        "scoping", "data", "modeling", "deployment", "monitoring", "business-analysis",
    ]  # fmt: skip
    scoping = report.stages[0]
    assert "core.scoping.problem-defined" in [item.id for item in scoping.required_open]


def test_command_checks_run_with_the_projects_interpreter(tmp_path, monkeypatch):
    """`python` in a check is the project's `.venv` one, whatever runs mlscaffold."""
    import venv

    check = {"kind": "command", "run": 'python -c "import sys; print(sys.prefix)" > prefix.txt'}
    project = tmp_path / "with-venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(project / ".venv")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # mlscaffold's own venv is not on it either
    assert verify(project, check, timeout=60) == (True, "")
    assert (project / "prefix.txt").read_text().strip() == str((project / ".venv").resolve())

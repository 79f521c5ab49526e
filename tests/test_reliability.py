"""Nothing lost, nothing escapes: dangerous names and answers either stay inside the
project or are refused with one clear line, and nothing outside the project changes."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from conftest import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlscaffold.cli import app

PIECES = [
    "..", "/", "\\", "\x00", "\n", "\r", "\t", "\x1b[31m", "-rf", ".git", "CON", "NUL", "aux",
    "{{ 7*7 }}", "{% raw %}", "}}", "$(id)", "`id`", ";", "'", '"', "~", "*", "?", " ",
    "a" * 120, "é", unicodedata.normalize("NFD", "é"), "日本", "ß", "\u202e", "model", "_", "-",
]  # fmt: skip
names = st.lists(st.sampled_from(PIECES), min_size=0, max_size=4).map("".join)

pytestmark = pytest.mark.reliability("names and answers")


@pytest.mark.parametrize("question", ["project_name", "package_name", "description",
                                      "author_name"])  # fmt: skip
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(value=names)
def test_dangerous_answers_stay_inside_or_are_refused(runner, tmp_path_factory, question, value):
    root = tmp_path_factory.mktemp("root")
    (root / "sentinel").mkdir()
    (root / "sentinel" / "keep.txt").write_text("keep\n")
    before = snapshot(root)
    result = runner.invoke(app, ["new", str(root / "proj"), "--defaults", "--no-git",
                                 "-d", f"{question}={value}"])  # fmt: skip
    if result.exit_code == 0:
        created = {p.relative_to(root).parts[0] for p in root.rglob("*")}
        assert created == {"sentinel", "proj"}  # nothing outside the project
        assert snapshot(root / "sentinel") == {
            k.removeprefix("sentinel/"): v for k, v in before.items() if k.startswith("sentinel/")
        }
    else:
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "Traceback" not in result.output
        assert snapshot(root) == before


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(name=names)
def test_dangerous_destination_names(runner, tmp_path_factory, name):
    root = tmp_path_factory.mktemp("root")
    inner = root / "inner"
    inner.mkdir()
    before = snapshot(root)
    result = runner.invoke(
        app, ["new", str(inner / name) if name else "", "--defaults", "--no-git"]
    )
    if result.exit_code == 0:
        # A destination like ../x is a legitimate path: the project is exactly there.
        project = Path(os.path.abspath(inner / name))
        made = [p for p in root.rglob("*") if p.is_file()]
        assert made and all(p.is_relative_to(project) for p in made)
    else:
        assert result.exit_code in (1, 2), result.output  # 2: typer refused the argument itself
        assert "Traceback" not in result.output
        assert snapshot(root) == before

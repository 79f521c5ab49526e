"""The docs site's Getting started page, run as written: install, create, run, check.

Each line of the page's bash blocks runs in order in one shell, from a clone of this
repository, as on a machine with only python3 and git: HOME in an empty temporary folder (the
page installs into ~/.venvs), no git identity, nothing put on PATH for the page. Only the
interactive `mlscaffold new` is left out, as there is no one to answer it; a line whose
comment announces an exit code must end with that code.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO, clone_checkout, field_env

pytestmark = pytest.mark.slow

PAGE = REPO / "docs" / "getting-started.md"
INTERACTIVE = "mlscaffold new churn-model"


def page_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", PAGE.read_text(), re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def expected_code(line: str) -> int:
    announced = re.search(r"#.*\(exit (\d+)\b", line)
    return int(announced[1]) if announced else 0


def test_getting_started_runs_as_written(tmp_path):
    checkout = clone_checkout(tmp_path / "mlscaffold")
    home = tmp_path / "home"
    home.mkdir()
    lines = [line for line in page_lines() if line.strip() != INTERACTIVE]
    assert any(line.startswith("make all") for line in lines), "the page lost its run step"
    script = ["set -u"]
    for number, line in enumerate(lines):
        code = expected_code(line)
        script.append(
            f"{line}\nstatus=$?; if [ $status -ne {code} ]; then "
            f'echo "command {number} of the page ended with $status, not {code}" >&2; exit 90; fi'
        )
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=checkout, env=field_env(home),
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    project = checkout / "churn-model"
    assert (project / "reports" / "metrics.json").is_file()
    assert "passed" in result.stdout and "scoping" in result.stdout

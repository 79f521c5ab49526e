"""The docs site's Getting started page, run as written: install, create, run, check.

Each line of the page's bash blocks runs in order in one shell, from a copy of this
repository, with HOME in a temporary folder (the page installs into ~/.venvs). Only the
interactive `mlscaffold new` is left out, as there is no one to answer it; a line whose
comment announces an exit code must end with that code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import REPO

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
    checkout = tmp_path / "mlscaffold"
    ignore = shutil.ignore_patterns(".venv", ".git", "*cache*", "site", "dist", "build")
    shutil.copytree(REPO, checkout, ignore=ignore)
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
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "VIRTUAL_ENV", "MLSCAFFOLD_LOAD_PLUGINS"))}  # fmt: skip
    # The page's `mlscaffold` is the one it installed: ~/.venvs/mlscaffold/bin on PATH.
    env["PATH"] = f"{home}/.venvs/mlscaffold/bin{os.pathsep}{env['PATH']}"
    env.update(HOME=str(home), MPLBACKEND="Agg")
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=checkout, env=env, capture_output=True, text=True,
        timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    project = checkout / "churn-model"
    assert (project / "reports" / "metrics.json").is_file()
    assert "passed" in result.stdout and "scoping" in result.stdout

"""Which commands import plugin code, and how a broken installed plugin is reported.

Each case installs a plugin the way pip does (a module and its dist-info folder on the path)
and runs the real command line in a subprocess, as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

BROKEN = {
    # a misspelled hook name; importing the module leaves a mark, to see who imported it
    "unknown-hook": (
        "from pathlib import Path\nfrom mlscaffold import hookimpl\n"
        "Path(__file__).with_name('imported').write_text('yes')\n\n"
        "@hookimpl\ndef mlscaffold_templats(answers):\n    return []\n"
    ),
    "import-error": (
        "from pathlib import Path\n"
        "Path(__file__).with_name('imported').write_text('yes')\n"
        "import mlscaffold_typo_missing_dependency\n"
    ),
}


def install(site: Path, source: str) -> None:
    (site / "mlscaffold_typo.py").write_text(source)
    metadata = site / "mlscaffold_typo-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mlscaffold-typo\nVersion: 1.0\n"
    )
    (metadata / "entry_points.txt").write_text("[mlscaffold]\ntypo = mlscaffold_typo\n")


def mlscaffold(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MLSCAFFOLD_LOAD_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "mlscaffold", *args],
        cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BROKEN))
@pytest.mark.reliability("misbehaving plugins")
def test_built_in_commands_never_import_plugins_and_a_broken_one_is_named(tmp_path, kind):
    site = tmp_path / "site"
    site.mkdir()
    install(site, BROKEN[kind])
    work = tmp_path / "work"
    work.mkdir()
    marker = site / "imported"
    builtins = [
        ["--version"], ["--help"], [], ["plugin", "new", "acme", "--defaults", "--no-git"],
        ["new", "demo", "--defaults", "--no-git"], ["status", "demo"], ["check", "demo"],
    ]  # fmt: skip
    for args in builtins:
        result = mlscaffold(site, work, *args)
        assert "typo" not in result.stdout + result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        assert not marker.exists(), f"{args} imported the plugin"
    assert (work / "mlscaffold-acme" / "pyproject.toml").is_file()

    # Commands that use plugins report it, in one line naming distribution and entry point.
    for args in (["plugins"], ["new", "other", "--defaults", "--plugin", "typo"], ["acme-hello"]):
        result = mlscaffold(site, work, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert (
            "plugin 'typo' (entry point `typo = mlscaffold_typo` of mlscaffold-typo 1.0)"
            in (lines[0])
        )
        assert "<module" not in lines[0]
        expected = "implements mlscaffold_templats" if kind == "unknown-hook" else "failed to load"
        assert expected in lines[0]
    assert not (work / "other").exists()

"""Everyday CLI habits: colour only on terminals, --quiet/--verbose, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from mlscaffold import hookimpl
from mlscaffold.cli import app

PLUGIN_TEMPLATE = ["--template", "templates/plugin", "-d", "plugin_name=zz"]


def mlscaffold(*args: str, cwd, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    for name in ("FORCE_COLOR", "NO_COLOR", "TERM"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "mlscaffold", *args], cwd=cwd, env=full_env,
        capture_output=True, text=True,
    )  # fmt: skip


def test_no_colour_codes_without_a_terminal_or_with_no_color(tmp_path):
    plain = mlscaffold("status", str(tmp_path), cwd=tmp_path)
    assert plain.returncode == 1 and "\x1b[" not in plain.stderr
    forced = mlscaffold("status", str(tmp_path), cwd=tmp_path, FORCE_COLOR="1")
    assert "\x1b[31m" in forced.stderr  # the check above would notice colour
    no_color = mlscaffold("status", str(tmp_path), cwd=tmp_path, FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b[31m" not in no_color.stderr


def test_quiet_and_verbose(runner, tmp_path, monkeypatch):
    from conftest import REPO

    monkeypatch.chdir(REPO)
    quiet = runner.invoke(app, ["-q", "new", str(tmp_path / "a"), "--defaults", *PLUGIN_TEMPLATE])
    assert quiet.exit_code == 0 and quiet.stdout == ""
    normal = runner.invoke(app, ["new", str(tmp_path / "b"), "--defaults", *PLUGIN_TEMPLATE])
    assert "src/" in normal.stdout and "__init__.py" not in normal.stdout
    verbose = runner.invoke(app, ["-v", "new", str(tmp_path / "c"), "--defaults", *PLUGIN_TEMPLATE])
    assert "mlscaffold_zz/__init__.py" in verbose.stdout
    failing = runner.invoke(app, ["-q", "status", str(tmp_path)])
    assert failing.exit_code == 1 and "Error:" in failing.stderr  # errors still show


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(tmp_path, shell):
    script = mlscaffold(cwd=tmp_path, _MLSCAFFOLD_COMPLETE=f"source_{shell}")
    assert script.returncode == 0
    assert "_MLSCAFFOLD_COMPLETE" in script.stdout or "_mlscaffold_completion" in script.stdout


def test_completion_of_stage_ids(tmp_path):
    result = mlscaffold(
        cwd=tmp_path, _MLSCAFFOLD_COMPLETE="complete_bash",
        COMP_WORDS="mlscaffold check --stage mo", COMP_CWORD="3",
    )  # fmt: skip
    assert result.stdout.split() == ["modeling", "monitoring"]


def test_completion_of_installed_plugin_names(register_plugin, monkeypatch):
    from mlscaffold.cli import _complete_plugin

    register_plugin(SimpleNamespace(mlscaffold_questions=hookimpl(lambda: {})), "acme")
    register_plugin(SimpleNamespace(mlscaffold_questions=hookimpl(lambda: {})), "beta")
    assert _complete_plugin("ac") == ["acme"]
    assert _complete_plugin("") == ["acme", "beta"]

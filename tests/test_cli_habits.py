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


def in_terminal(
    *args: str, cwd, env: dict[str, str], answers: tuple[str, ...] = ()
) -> tuple[int, str]:
    """Run mlscaffold with stdin, stdout and stderr on a pseudo-terminal, as in a shell;
    its exit code and everything it wrote. Each time it waits at a prompt (output ending in
    ": "), the next of ``answers`` is typed, then Enter alone."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    full_env = {k: v for k, v in os.environ.items()
                if k not in ("FORCE_COLOR", "NO_COLOR", "TERM", "COLUMNS")}  # fmt: skip
    full_env.update(env)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", *args], cwd=cwd, env=full_env,
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    output, deadline, typed = b"", time.monotonic() + 120, list(answers)
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.3)[0]:
                if output.endswith(b": ") and process.poll() is None:
                    os.write(master, (typed.pop(0) if typed else "").encode() + b"\r")
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()  # still waiting after two minutes: the output below tells why
        process.wait()
        os.close(master)
    return process.returncode, output.decode(errors="replace")


def every_command(project, elsewhere) -> list[tuple[str, ...]]:
    """Each command once, on a terminal, where it has something to show: a tree, tables, a
    failing check, an update, errors."""
    return [
        ("new", str(project), "--defaults"),  # spinner, coloured "Created", tree
        ("status", str(project)),
        ("status", str(project), "--stage", "scoping"),  # table with dim and coloured marks
        ("check", str(project), "--stage", "scoping"),  # red "open" lines, exit 3
        ("files", str(project)),
        ("diff", str(project)),
        ("update", str(project), "--dry-run", "--defaults"),  # spinner
        ("add", "nosuchplugin", "--path", str(project)),  # an error
        ("remove", "nosuchplugin", "--path", str(project)),
        ("plugins",),
        ("plugin", "new", "acme", "--defaults", "--dest", str(elsewhere / "acme")),
        ("status", str(elsewhere)),  # not a project: the red "Error:" label
        ("status", "--no-such-option"),  # a usage error
        ("--version",),
    ]


@pytest.mark.parametrize(
    "setting", [{"NO_COLOR": "yes", "FORCE_COLOR": "1"}, {"TERM": "dumb"}],
    ids=["NO_COLOR (over FORCE_COLOR)", "TERM=dumb"],
)  # fmt: skip
def test_no_escape_sequence_on_a_terminal_under_no_color_or_a_dumb_terminal(tmp_path, setting):
    env = {"TERM": "xterm-256color", **setting}
    project = tmp_path / "project"
    for args in every_command(project, tmp_path):
        _, output = in_terminal(*args, cwd=tmp_path, env=env)
        assert "\x1b" not in output, (args, output[:400])
        assert output.strip(), args  # it did show something
        if args[0] == "new":  # a change of the team's, for files, diff and update to show
            readme = project / "README.md"
            readme.write_text(readme.read_text() + "\nOur notes.\n")


def test_a_colour_terminal_does_get_escape_sequences(tmp_path):
    """The check above can fail: on a colour terminal the same commands draw colour and the
    spinner."""
    env = {"TERM": "xterm-256color"}
    project = tmp_path / "project"
    _, created = in_terminal("new", str(project), "--defaults", cwd=tmp_path, env=env)
    assert "\x1b[?25l" in created and "\x1b[32m" in created  # spinner hides the cursor; green
    _, table = in_terminal("status", str(project), "--stage", "scoping", cwd=tmp_path, env=env)
    assert "\x1b[2m" in table  # dim
    _, error = in_terminal("status", str(tmp_path), cwd=tmp_path, env=env)
    assert "\x1b[31m" in error


def test_dash_h_is_help_on_every_command(runner):
    from typer.main import get_command

    def commands(group, path):
        for name, command in group.commands.items():
            yield (*path, name)
            if hasattr(command, "commands"):
                yield from commands(command, (*path, name))

    paths = [(), *commands(get_command(app), ())]
    assert ("plugin", "new") in paths
    for path in paths:
        short, long = runner.invoke(app, [*path, "-h"]), runner.invoke(app, [*path, "--help"])
        assert short.exit_code == 0, (path, short.output)
        assert short.output == long.output and "-h, --help" in short.output


def test_usage_lines_name_arguments_in_capitals(runner):
    from typer.main import get_command

    root = get_command(app)
    for name in ["new", "status", "add", "update", "files", "diff", "check", "remove"]:
        usage = runner.invoke(app, [name, "-h"]).output.splitlines()[0]
        assert "{" not in usage and "}" not in usage, usage
        params = [p for p in root.commands[name].params if p.param_type_name == "argument"]
        for param in params:
            assert param.name.upper() in usage, usage
    assert runner.invoke(app, ["new", "-h"], prog_name="mlscaffold").output.startswith(
        "Usage: mlscaffold new [OPTIONS] DEST\n"
    )
    assert "[OPTIONS] PLUGIN...\n" in runner.invoke(app, ["add", "-h"]).output


@pytest.mark.parametrize(
    "setting", [{"NO_COLOR": "1", "TERM": "xterm-256color"}, {"TERM": "dumb"}],
    ids=["NO_COLOR", "TERM=dumb"],
)  # fmt: skip
def test_questions_are_plain_lines_under_no_color_or_a_dumb_terminal(tmp_path, setting):
    import tomlkit

    # project name: the default; package name: refused, then the default; description:
    # the default; what the model predicts: the second choice; the rest: the defaults.
    answers = ("", "not a package!", "", "", "2")
    code, output = in_terminal(
        "new", str(tmp_path / "asked"), cwd=tmp_path, env=setting, answers=answers
    )
    assert code == 0, output
    assert "\x1b" not in output, output[:400]
    assert "  1. classification (default)\r\n  2. regression\r\n" in output
    assert output.count("Python package name (an importable") == 2  # asked again after the refusal
    state = tomlkit.parse((tmp_path / "asked" / ".mlscaffold.toml").read_text())
    assert state["answers"]["package_name"] == "asked"
    assert state["answers"]["problem_type"] == "regression"


def test_copier_still_asks_through_the_name_plain_questions_replaces():
    """mlscaffold.prompts swaps copier's private ``unsafe_prompt``; a copier that asks some
    other way must fail here, not draw its prompts under NO_COLOR unnoticed."""
    import inspect

    import copier._main
    import questionary

    assert copier._main.unsafe_prompt is questionary.unsafe_prompt
    assert "unsafe_prompt(" in inspect.getsource(copier._main.Worker._ask)

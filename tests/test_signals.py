"""Real signals at many moments of a running `new` and `update`, the merge included:
SIGINT (Ctrl-C), SIGTERM (kill, timeouts, CI cancellation) and SIGHUP (a closed terminal)
undo the command and exit 128 + the signal; SIGKILL cannot be caught, so the next command
names what was left and the one line it gives recovers the project. No edit is ever lost
and no scratch folder outlives the run that needs it.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git, record_trials, release, snapshot

from mlscaffold.project import create_project

pytestmark = pytest.mark.reliability("faults")

# Moments after the start, in seconds: before the render, during it, around the merge.
DELAYS = (0.35, 0.6, 0.8, 1.0, 1.2, 1.4, 1.7, 2.2)
CAUGHT = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def many_files(root: Path, version: str) -> None:
    (root / "template" / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text("_subdirectory: template\nname:\n  default: x\n")
    (root / "template" / "README.md.jinja").write_text(f"# {{{{ name }}}} {version}\n")
    for i in range(150):  # enough files for the merge to take a moment
        (root / "template" / "pkg" / f"m{i}.py").write_text(f"VALUE = {i}  # {version}\n")
    (root / "template" / f"added-in-{version}.txt").write_text("new\n")


@pytest.fixture
def template(tmp_path) -> Path:
    root = tmp_path / "tpl"
    many_files(root, "v1")
    release(root, "v1.0.0")
    (root / "template" / "added-in-v1.txt").unlink()
    many_files(root, "v2")
    release(root, "v2.0.0")
    return root


def start(args: list[str], cwd: Path, scratch: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(scratch)}
    return subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", *args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def start_new(area: Path, template: Path, scratch: Path) -> tuple[Path, subprocess.Popen]:
    area.mkdir()
    return area, start(["new", "p", "--defaults", "--template", str(template)], area, scratch)


def no_scratch_left(scratch: Path) -> None:
    assert [p.name for p in scratch.iterdir()] == []


@pytest.mark.parametrize("signum", CAUGHT, ids=lambda s: signal.Signals(s).name)
def test_a_caught_signal_during_new_leaves_nothing(tmp_path, template, signum):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for delay in DELAYS:
        area, process = start_new(tmp_path / f"area-{delay}", template, scratch)
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
        assert "Traceback" not in stderr
        entries = sorted(p.name for p in area.iterdir())
        if process.returncode in (0, -signum) and entries:
            # Done before the signal came (or as Python was exiting, its handlers gone).
            assert entries == ["p"] and git(area / "p", "status", "--porcelain") == ""
        elif process.returncode == -signum:  # before Python had started mlscaffold
            assert entries == [] and stderr == ""
        else:
            assert process.returncode == 128 + signum, stderr
            assert entries == [], f"{signal.Signals(signum).name} after {delay} s left {entries}"
            assert len(stderr.strip().splitlines()) == 1 and "Interrupted" in stderr
        no_scratch_left(scratch)
    record_trials(f"{signal.Signals(signum).name} during new", len(DELAYS))


@pytest.fixture
def project(tmp_path, template) -> Path:
    path = create_project(tmp_path / "proj", template=str(template), vcs_ref="v1.0.0",
                          defaults=True, interactive=False).path  # fmt: skip
    (path / "pkg" / "m1.py").write_text("VALUE = 'mine'\n")
    (path / "added-in-v2.txt").write_text("my own file where v2 adds one\n")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", "mine")
    return path


@pytest.mark.parametrize("signum", CAUGHT, ids=lambda s: signal.Signals(s).name)
def test_a_caught_signal_during_update_undoes_it(tmp_path, project, signum):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = snapshot(project)
    for delay in DELAYS:
        process = start(["update", "--defaults"], project, scratch)
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
        assert "Traceback" not in stderr
        merging = subprocess.run(["git", "rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=project)
        if process.returncode in (0, 4, -signum) and merging.returncode == 0:
            git(project, "merge", "--abort")  # done before the signal came: drop it
        elif process.returncode == -signum:  # before Python had started mlscaffold
            assert stderr == ""
        else:
            assert process.returncode == 128 + signum, stderr
            assert "Interrupted" in stderr
        assert snapshot(project) == before, f"{signal.Signals(signum).name} after {delay} s"
        no_scratch_left(scratch)
    record_trials(f"{signal.Signals(signum).name} during update", len(DELAYS))


def test_sigkill_during_update_is_named_and_recovered_in_one_line(tmp_path, project):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = snapshot(project)
    for delay in DELAYS:
        process = start(["update", "--defaults"], project, scratch)
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=60)
        # What a user does next: run mlscaffold again and follow its one line.
        for _ in range(3):
            again = start(["update", "--defaults", "--dry-run"], project, scratch)
            _, stderr = again.communicate(timeout=120)
            if again.returncode == 0 or "a merge is in progress" in stderr:
                break  # nothing was left, or the update had finished: its merge is staged
            assert again.returncode == 1 and len(stderr.strip().splitlines()) == 1, stderr
            if "index.lock" in stderr:
                (project / ".git" / "index.lock").unlink()
            elif "update --abort" in stderr:
                undo = start(["update", "--abort"], project, scratch)
                assert undo.wait(timeout=120) == 0, undo.stderr.read()
            else:
                pytest.fail(stderr)
        merging = subprocess.run(["git", "rev-parse", "-q", "--verify", "MERGE_HEAD"], cwd=project)
        if merging.returncode == 0:
            git(project, "merge", "--abort")  # the update had finished: its merge is staged
        assert snapshot(project) == before, f"SIGKILL after {delay} s"
        assert (project / "added-in-v2.txt").read_text() == "my own file where v2 adds one\n"
        # The killed run's scratch folder goes with the next run.
        no_scratch_left(scratch)
    record_trials("SIGKILL during update", len(DELAYS))


def test_sigkill_during_new_is_cleaned_up_by_the_next_run(tmp_path, template):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for delay in DELAYS:
        area, process = start_new(tmp_path / f"area-{delay}", template, scratch)
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=60)
        after = start(["new", "q", "--defaults", "--template", str(template)], area, scratch)
        _, stderr = after.communicate(timeout=120)
        assert after.returncode == 0, stderr
        entries = sorted(p.name for p in area.iterdir())
        assert entries in (["q"], ["p", "q"]), entries
        if "p" in entries:
            assert git(area / "p", "status", "--porcelain") == ""
        no_scratch_left(scratch)
    record_trials("SIGKILL during new", len(DELAYS))


def test_ctrl_c_at_a_question_exits_130_in_one_line(tmp_path, template):
    area = tmp_path / "area"
    area.mkdir()
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", "new", "p", "--template", str(template)],
        cwd=area, stdin=child, stdout=child, stderr=child, start_new_session=True,
    )  # fmt: skip
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 60
    while b"name" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            seen += os.read(main, 4096)
    assert b"name" in seen, seen
    os.write(main, b"\x03")
    output = b""
    while process.poll() is None or select.select([main], [], [], 0.2)[0]:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=30)
    os.close(main)
    text = output.decode(errors="replace")
    assert process.returncode == 130, text
    assert "Traceback" not in text
    # The prompt's own redrawing, then one line: no dump of the answers given so far.
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).strip() for line in text.splitlines()]
    assert lines[-1] == "Interrupted: the command was stopped; nothing was changed", text
    assert len(text) < 1000, text
    assert list(area.iterdir()) == []

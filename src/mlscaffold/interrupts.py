"""Signals, and what a killed run leaves behind.

SIGTERM (``kill``, timeouts, a cancelled CI job) and SIGHUP (a closed terminal) end a
command as Ctrl-C does: the operation in progress undoes itself, its scratch folders go,
and the exit code is 128 + the signal's number. A git step is never cut in half: a
signal that arrives while git runs takes effect once that step has returned, because a
git killed part-way leaves its lock and a half-written index behind, which the undo
itself would then trip over.

SIGKILL cannot be caught: what such a run leaves (its scratch folders, named with its
process id) is removed by the next run, once that process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

HANDLED = ("SIGINT", "SIGTERM", "SIGHUP")
SCRATCH_PREFIX = "mlscaffold-run-"


class Interrupted(KeyboardInterrupt):
    """Raised in place of a signal's default action, so that ``finally`` and
    ``except BaseException`` blocks undo what the command had started."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_installed = False
_scratch: Path | None = None
_armed = 0
_critical = 0
_pending: int | None = None
_raised = False


def _handle(signum: int, frame: object) -> None:
    global _pending, _raised
    if not _armed:
        _end(signum, frame)  # the command has not started, or is over: nothing to undo
    if _raised:
        return  # the undo is already running: a second Ctrl-C must not cut it short
    if _critical:
        _pending = signum
        return
    _raised = True
    raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP in this process (the CLI's, not a library user's)."""
    global _installed, _critical, _pending, _raised
    _installed, _critical, _pending, _raised = True, 0, None, False
    for name in HANDLED:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _handle)


def done() -> None:
    """The command's change is complete: from now on a signal ends the process at once,
    as it would by default, rather than start an undo there is no call for and say that
    nothing was changed. Called inside ``critical`` with the step that completes it."""
    global _pending
    if not _installed:
        return
    for name in HANDLED:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _end)
    if _pending is not None:
        signum, _pending = _pending, None
        _end(signum, None)


def _end(signum: int, frame: object) -> None:
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def armed() -> Iterator[None]:
    """While a command runs: a signal becomes ``Interrupted``, for the command to undo
    itself. Outside (parsing the command line, exiting), it ends the process at once."""
    global _armed
    _armed += 1
    try:
        yield
    finally:
        _armed -= 1


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """A step a signal must not cut in half: the signal takes effect when it returns."""
    global _critical, _pending, _raised
    _critical += 1
    try:
        yield
    finally:
        _critical -= 1
    if not _critical and _pending is not None and not _raised:
        signum, _pending, _raised = _pending, None, True
        raise Interrupted(signum)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def leftovers(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Folders in ``folder`` whose name ``pattern`` matches, with the process id as its
    group ``pid``, left by a process that is gone."""
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or int(match["pid"]) == os.getpid() or alive(int(match["pid"])):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid():
                found.append(entry)
        except OSError:
            continue
    return found


def remove_leftovers(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    removed = leftovers(folder, pattern)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


SCRATCH = re.compile(re.escape(SCRATCH_PREFIX) + r"(?P<pid>\d+)-[^/]*")


@contextlib.contextmanager
def scratch_root() -> Iterator[Path]:
    """Every temporary folder this process makes (copier's included) goes into one folder
    named with its process id, removed at the end; earlier runs' that were killed go too."""
    base = Path(tempfile.gettempdir())
    remove_leftovers(base, SCRATCH)
    global _scratch
    root = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base))
    previous, tempfile.tempdir, _scratch = tempfile.tempdir, str(root), root
    try:
        yield root
    finally:
        tempfile.tempdir, _scratch = previous, None
        shutil.rmtree(root, ignore_errors=True)

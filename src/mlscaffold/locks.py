"""One mlscaffold command at a time per project and per destination folder.

Two updates of one project, or two ``new`` into one repository or folder, would
otherwise race on git's index and on the destination: one aborting the other's merge,
which then reports a success it did not have. The second command refuses with one line,
after waiting a few seconds where the other's work is short; it never waits
behind a lock a stuck process may hold for ever.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from mlscaffold.errors import MlscaffoldError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; git's own index.lock still guards merges
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def hold(path: Path, busy: str, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a folder, or a file created if absent) for
    the block, waiting up to ``wait`` seconds for another process to let it go; ``busy``
    is the error message after that. The lock goes with the process, so a killed run
    never leaves one behind."""
    if fcntl is None:
        yield
        return
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT
    descriptor = os.open(path, flags, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise MlscaffoldError(busy) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(descriptor)


def repository(root: Path, wait: float = 0.0) -> contextlib.AbstractContextManager[None]:
    """The lock of the git repository at ``root`` (a file in its git folder, which no
    commit or clone carries), held while mlscaffold changes its index or branch."""
    from mlscaffold import git

    return hold(
        git.git_dir(root) / "mlscaffold.lock",
        f"another mlscaffold command is changing the repository at {root}: "
        "wait for it to finish, then run this one again",
        wait=wait,
    )

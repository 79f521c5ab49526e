"""Files a template renders that git ignores (a ``.env``), and what ``update`` does with them.

A snapshot cannot hold such a file (git would track it), so the merge never touches it.
Each snapshot commit records instead the git hash of every one it rendered (trailers named
``git.IGNORED_TRAILER``), and an update compares the new render with that record and with
the project's file: it writes one the project lacks, updates one still as the last render
made it, and never overwrites one the user changed (the new version goes beside it).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlscaffold import git
from mlscaffold.policies import BESIDE


def rendered(git_dir: Path, tree: Path) -> dict[str, str]:
    """The files of a render that git ignores (its .gitignore, the repository's excludes),
    which a snapshot cannot hold, each with the git hash of its content."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-index-") as scratch:
        env = {"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(tree),
               "GIT_INDEX_FILE": str(Path(scratch) / "index")}  # fmt: skip
        return git.ignored_files(tree, env)


def plan(
    root: Path, project: Path, snapshot: str, ignored: Mapping[str, str], seeded: set[str]
) -> list[tuple[str, str]]:
    """What becomes of each file of the render that git ignores (a ``.env``): one the
    project lacks is ``created``; one still as the last render made it is ``updated`` to
    the new version (as copier does). The user's own is never overwritten: when the
    template's version changed since the last render (or that render is not known) and
    differs from the user's, it is written ``beside`` it, as ``.env.new``. A ``seed`` file
    (``_skip_if_exists``) the project has is left alone, new version or not."""
    if not ignored:
        return []
    message = git.run(root, "log", "-1", "--format=%B", snapshot)
    recorded = {}
    for line in message.splitlines():
        key, _, value = line.partition(": ")
        if key == git.IGNORED_TRAILER:
            digest, _, path = value.partition(" ")
            try:
                recorded[json.loads(path)] = digest
            except ValueError:
                continue  # not one mlscaffold wrote
    planned = []
    for path, digest in ignored.items():
        target = project / path
        if not target.exists() and not target.is_symlink():
            planned.append((path, "created"))
        elif not target.is_file() or target.is_symlink() or path in seeded:
            continue  # a folder or a link of the user's at that path, or a seed file: theirs
        else:
            ours, last = git.blob_hash(target.read_bytes()), recorded.get(path)
            if digest not in (ours, last):
                planned.append((path, "updated" if ours == last else "beside"))
    return planned


def write(
    project: Path, planned: Sequence[tuple[str, str]], renders: Mapping[str, bytes], what: str
) -> None:
    """Write the new render of each planned file whose action is ``what``."""
    for path, action in planned:
        if action == what:
            target = project / (path + (BESIDE if action == "beside" else ""))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(renders[path])

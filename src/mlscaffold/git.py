"""The git operations mlscaffold needs, run as subprocesses.

Pristine snapshots are commits whose tree is exactly what a render produced (at the
project's path in the repository) and whose message carries a trailer naming that
path, so the last one is found from history alone, in any clone.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mlscaffold.errors import MlscaffoldError

SNAPSHOT_TRAILER = "Mlscaffold-Snapshot"
FALLBACK_NAME = "mlscaffold"
FALLBACK_EMAIL = "mlscaffold@localhost"


def available() -> bool:
    return shutil.which("git") is not None


def run(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    strip: bool = True,
) -> str:
    """Run git in ``cwd`` and return its stdout (stripped unless ``strip`` is false);
    a failure raises MlscaffoldError, unless ``check`` is false."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    # Paths in git's output stay as they are (not octal-quoted when non-ASCII) for parsing.
    result = subprocess.run(
        ["git", "-c", "core.quotePath=false", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MlscaffoldError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout.strip() if strip else result.stdout


def blobs(cwd: Path, wanted: list[tuple[str, str]]) -> list[bytes | None]:
    """The bytes of each ``(revision, path)`` (None where there is no such file), read
    by one ``git cat-file --batch`` rather than a process per file."""
    if not wanted:
        return []
    request = "".join(f"{revision}:{path}\n" for revision, path in wanted).encode()
    output = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=cwd, input=request, capture_output=True, check=False
    ).stdout
    found: list[bytes | None] = []
    at = 0
    for revision, path in wanted:
        end = output.find(b"\n", at)
        header = output[at:end]
        at = end + 1
        if header == f"{revision}:{path} missing".encode() or header.endswith(b" ambiguous"):
            found.append(None)
            continue
        _, kind, size = header.split(b" ")  # "<object name> <type> <size>", then the bytes
        found.append(output[at : at + int(size)] if kind == b"blob" else None)
        at += int(size) + 1
    return found


def export(repo: Path, commit: str, target: Path) -> None:
    """Write the files of ``commit`` into the new folder ``target`` as a checkout would
    (modes, symlinks, filters), reading ``repo`` only: its index and files stay untouched."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        run(repo, "read-tree", commit, env=env)
        run(repo, "checkout-index", "--all", f"--prefix={target}{os.sep}", env=env)


def config_value(cwd: Path, key: str) -> str:
    return run(cwd, "config", "--get", key, check=False)


def identity(cwd: Path, author: tuple[str, str]) -> list[str]:
    """Options for mlscaffold's own commits: the user's identity, else ``author``.

    They work without a configured git identity and skip signing, which is meant for
    the user's own commits.
    """
    name = config_value(cwd, "user.name") or author[0] or FALLBACK_NAME
    email = config_value(cwd, "user.email") or author[1] or FALLBACK_EMAIL
    return ["-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false"]


def trailer(prefix: str) -> str:
    return f"{SNAPSHOT_TRAILER}: {prefix or '.'}"


def init_snapshot(project: Path, message: str, author: tuple[str, str]) -> str:
    """``git init`` a new project and commit its whole tree as the first snapshot.

    The commit is written by ``git fast-import`` as one pack, rather than by ``git add``
    as one loose object file per project file, which costs more than all the rest of the
    snapshot; git's index is then read from it. The files are those ``git add --all``
    would take (``.gitignore`` honoured) and the identity the one ``git commit`` would use.
    """
    branch = config_value(project, "init.defaultBranch") or "main"
    run(project, "init", "--quiet", f"--initial-branch={branch}")
    listed = run(project, "ls-files", "--others", "--exclude-standard", "-z", strip=False)
    idents = dict(
        line.split("=", 1)
        for line in run(project, *identity(project, author), "var", "-l").splitlines()
        if line.startswith(("GIT_AUTHOR_IDENT=", "GIT_COMMITTER_IDENT="))
    )
    text = f"{message}\n\n{trailer('')}\n".encode()
    stream = [
        f"commit refs/heads/{branch}\nmark :1\n".encode(),
        f"author {idents['GIT_AUTHOR_IDENT']}\n".encode(),
        f"committer {idents['GIT_COMMITTER_IDENT']}\n".encode(),
        b"data %d\n%s\n" % (len(text), text),
    ]
    # A name ending in / is a nested repository, which git add would not take either.
    for name in sorted(n for n in listed.split("\0") if n and not n.endswith("/")):
        path = project / name
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            mode, data = b"120000", os.fsencode(os.readlink(path))
        else:
            mode = b"100755" if info.st_mode & stat.S_IXUSR else b"100644"
            data = path.read_bytes()
        stream.append(b"M %s inline %s\ndata %d\n%s\n" % (mode, _quoted(name), len(data), data))
    marks = project / ".git" / "mlscaffold-marks"  # the git init above made .git there
    imported = subprocess.run(
        ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
        cwd=project, input=b"".join([*stream, b"done\n"]), capture_output=True, check=False,
    )  # fmt: skip
    if imported.returncode:
        detail = imported.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise MlscaffoldError(f"git fast-import failed: {detail[-1]}")
    commit = marks.read_text().split()[1]
    marks.unlink()
    run(project, "reset", "--quiet")  # the index, from the commit, with the files' stat data
    return commit


def _quoted(path: str) -> bytes:
    """A path as fast-import reads it: C-style quoted where it must be."""
    raw = os.fsencode(path)
    if not raw.startswith(b'"') and b"\n" not in raw:
        return raw
    escaped = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
    return b'"' + escaped + b'"'


def commit_tree(
    repo: Path,
    folder: Path,
    prefix: str,
    parents: list[str],
    message: str,
    author: tuple[str, str],
) -> tuple[str, str]:
    """Commit the files of ``folder``, placed at ``prefix`` in the repository, as a child
    of ``parents``; the index and working tree stay untouched. Returns (commit, tree)."""
    git_dir = run(repo, "rev-parse", "--absolute-git-dir")
    with tempfile.TemporaryDirectory(prefix="mlscaffold-index-") as scratch:
        env = {"GIT_DIR": git_dir, "GIT_WORK_TREE": str(folder)}
        flat = {**env, "GIT_INDEX_FILE": str(Path(scratch) / "flat")}
        run(folder, "add", "--all", env=flat)
        tree = run(folder, "write-tree", env=flat)
        if prefix:
            placed = {**env, "GIT_INDEX_FILE": str(Path(scratch) / "placed")}
            run(folder, "read-tree", f"--prefix={prefix}/", tree, env=placed)
            tree = run(folder, "write-tree", env=placed)
    parent_args = [arg for parent in parents for arg in ("-p", parent)]
    commit = run(repo, *identity(repo, author), "commit-tree", tree, *parent_args, "-m", message)
    return commit, tree


def work_tree_of(folder: Path) -> Path | None:
    """The root of the git work tree that holds ``folder``, if any."""
    root = run(folder, "rev-parse", "--show-toplevel", check=False)
    return Path(root).resolve() if root else None


def find_snapshot(repo: Path, prefix: str) -> str | None:
    """The newest snapshot of the project at ``prefix`` reachable from HEAD."""
    wanted = prefix or "."
    log = run(
        repo, "log", "HEAD", "--topo-order", f"--grep={SNAPSHOT_TRAILER}:", "--fixed-strings",
        f"--format=%H %(trailers:key={SNAPSHOT_TRAILER},valueonly,separator=%x1f)",
    )  # fmt: skip
    for line in log.splitlines():
        commit, _, values = line.partition(" ")
        if wanted in values.split("\x1f"):
            return commit
    return None

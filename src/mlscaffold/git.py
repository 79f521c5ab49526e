"""The git operations mlscaffold needs, run as subprocesses.

Pristine snapshots are commits whose tree is exactly what a render produced (at the
project's path in the repository) and whose message carries a trailer naming that
path, so the last one is found from history alone, in any clone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mlscaffold import interrupts
from mlscaffold.errors import MlscaffoldError

SNAPSHOT_TRAILER = "Mlscaffold-Snapshot"
# One trailer per file of the render that git ignores (so the snapshot cannot hold it): the
# git hash of what was rendered, then its path as JSON: ``<hash> ".env"``. update reads it
# to tell whether the template's version of such a file changed.
IGNORED_TRAILER = "Mlscaffold-Ignored"
FALLBACK_NAME = "mlscaffold"
FALLBACK_EMAIL = "mlscaffold@localhost"


# Every git mlscaffold runs: nothing a template, a template's repository or a render
# could have put in a repository's configuration runs as a program (the file system
# monitor, hooks, a pager, the ext:: transport), and paths in git's output stay as they
# are (not octal-quoted when non-ASCII) for parsing. Filters and diff drivers are defined
# only in configuration, which a template cannot write (render refuses `.git` paths), and
# template repositories are read with plumbing that applies none (``export``).
SAFE = (
    "-c", "core.fsmonitor=false", "-c", f"core.hooksPath={os.devnull}",
    "-c", "core.pager=cat", "-c", "protocol.ext.allow=never", "-c", "core.quotePath=false",
)  # fmt: skip
SAFE_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_ASKPASS": ""}


def available() -> bool:
    return shutil.which("git") is not None


def _process(
    cwd: Path, args: list[str], env: Mapping[str, str] | None, **options: object
) -> subprocess.CompletedProcess:
    """git with the safe configuration; a signal waits for it to finish (see interrupts)."""
    with interrupts.critical():
        return subprocess.run(
            ["git", *SAFE, *args], cwd=cwd, env={**os.environ, **SAFE_ENV, **(env or {})},
            capture_output=True, check=False, **options,
        )  # fmt: skip


def run(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    strip: bool = True,
) -> str:
    """Run git in ``cwd`` and return its stdout (stripped unless ``strip`` is false);
    a failure raises MlscaffoldError, unless ``check`` is false."""
    result = _process(cwd, list(args), env, text=True)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MlscaffoldError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout.strip() if strip else result.stdout


def blobs(cwd: Path, wanted: list[tuple[str, str]]) -> list[bytes | None]:
    """The bytes of each ``(revision, path)`` (None where there is no such file), read
    by one ``git cat-file --batch`` rather than a process per file."""
    if not wanted:
        return []
    # --batch reads and answers a line per object: a path with a newline is asked alone.
    odd = {i for i, (_, path) in enumerate(wanted) if "\n" in path}
    if odd:
        batch = iter(blobs(cwd, [w for i, w in enumerate(wanted) if i not in odd]))
        return [_blob(cwd, *w) if i in odd else next(batch) for i, w in enumerate(wanted)]
    request = "".join(f"{revision}:{path}\n" for revision, path in wanted).encode()
    output = _process(cwd, ["cat-file", "--batch"], None, input=request).stdout
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


def _blob(cwd: Path, revision: str, path: str) -> bytes | None:
    kind = _process(cwd, ["cat-file", "-t", f"{revision}:{path}"], None, text=True)
    if kind.returncode or kind.stdout.strip() != "blob":
        return None
    return _process(cwd, ["cat-file", "blob", f"{revision}:{path}"], None).stdout


def export(repo: Path, commit: str, target: Path) -> None:
    """Write the files of ``commit`` into the new folder ``target`` (modes and symlinks
    kept), reading ``repo``'s objects only: its index, files, hooks and configuration are
    neither touched nor run. Unlike a checkout, no filter or attribute applies: a template
    repository's own configuration could name a program as a filter, and copier runs none.
    """
    listing = run(repo, "ls-tree", "-r", "-z", "--full-tree", commit, strip=False)
    entries = []
    for entry in filter(None, listing.split("\0")):
        info, path = entry.split("\t", 1)
        mode, kind, _ = info.split(" ")
        if kind == "blob":  # a submodule (a commit) is left out, as a checkout leaves it empty
            entries.append((mode, path))
    contents = blobs(repo, [(commit, path) for _, path in entries])
    target.mkdir()
    root = target.resolve()
    for (mode, path), data in zip(entries, contents, strict=True):
        out = target / path
        # git's own checkout refuses such names; a crafted tree can still hold them.
        parts = path.split("/")
        if any(part in ("", ".", "..") or is_git_name(part) for part in parts):
            raise MlscaffoldError(
                f"the template repository holds the path {path!r}, which no "
                "checkout may write: use another template"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        if not out.parent.resolve().is_relative_to(root):
            raise MlscaffoldError(
                f"the template repository writes {path!r} through a link "
                "that leads outside it: use another template"
            )
        if mode == "120000":
            os.symlink(os.fsdecode(data or b""), out)
        else:
            out.write_bytes(data or b"")
            if mode == "100755":
                out.chmod(out.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def is_git_name(name: str) -> bool:
    """Whether git would take a file or folder of this name for its own ``.git``: what
    it refuses to check out on any system (case, trailing dots and spaces, the 8.3 name)."""
    folded = name.lower().rstrip(". ")
    return folded in (".git", "git~1")


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


def blob_hash(data: bytes) -> str:
    """The object id git gives a file of these bytes, without running git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def ignored_files(cwd: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The files in the work tree that git ignores and that no index holds, each with its
    git hash (symbolic links and nested repositories left out)."""
    listed = run(cwd, "ls-files", "--others", "--ignored", "--exclude-standard", "-z", env=env,
                 strip=False)  # fmt: skip
    root = Path(env["GIT_WORK_TREE"]) if env and "GIT_WORK_TREE" in env else cwd
    found = {}
    for name in sorted(filter(None, listed.split("\0"))):
        path = root / name
        if path.is_file() and not path.is_symlink():
            found[name] = blob_hash(path.read_bytes())
    return found


def ignored_trailers(ignored: Mapping[str, str]) -> str:
    return "".join(f"\n{IGNORED_TRAILER}: {digest} {json.dumps(path)}"
                   for path, digest in ignored.items())  # fmt: skip


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
    text = f"{message}\n\n{trailer('')}{ignored_trailers(ignored_files(project))}\n".encode()
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
    imported = _process(
        project, ["fast-import", "--quiet", "--done", f"--export-marks={marks}"], None,
        input=b"".join([*stream, b"done\n"]),
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


def git_dir(root: Path) -> Path:
    """The repository's git folder (``.git``, or where a ``.git`` file points)."""
    return Path(run(root, "rev-parse", "--absolute-git-dir"))


def merging(root: Path) -> bool:
    """Whether a merge is in progress (git has written MERGE_HEAD)."""
    return bool(run(root, "rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False))


def refuse_lock(root: Path) -> None:
    """Refuse to start while git's index is locked: a merge would fail half-way."""
    lock = git_dir(root) / "index.lock"
    if lock.exists():
        raise MlscaffoldError(_locked(lock, "nothing was changed"))


def _locked(lock: Path, outcome: str) -> str:
    return (
        f"git's index is locked ({lock} exists): another git command is running, or one was "
        f"killed; {outcome}. When no git command is running, delete {lock} and run the "
        "command again"
    )


def merge(
    root: Path, commit: str, message: str, author: tuple[str, str], *options: str
) -> list[str]:
    """Merge ``commit`` into the work tree and index of ``root`` without committing, and
    return the conflicted paths. Anything but a merge git started (conflicts included)
    raises: a lock, a refusal, a half state; the caller undoes what it began."""
    done = _process(
        root,
        [*identity(root, author), "merge", "--no-ff", "--no-commit", "--quiet", *options,
         "-m", message, commit],
        None, text=True,
    )  # fmt: skip
    in_merge = merging(root)
    unmerged = run(root, "diff", "--name-only", "-z", "--diff-filter=U", check=False, strip=False)
    conflicts = sorted({path for path in unmerged.split("\0") if path})
    if in_merge and (done.returncode == 0 or (done.returncode == 1 and conflicts)):
        return conflicts
    detail = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
    lock = git_dir(root) / "index.lock"
    if "index.lock" in detail[-1] or lock.exists():
        raise MlscaffoldError(_locked(lock, "the merge did not happen and was undone"))
    raise MlscaffoldError(
        f"git merge failed ({detail[-1]}); it was undone: run `git status` to see why, "
        "then run the command again"
    )

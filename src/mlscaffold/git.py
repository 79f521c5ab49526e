"""The few git operations mlscaffold needs, run as subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mlscaffold.errors import MlscaffoldError

SNAPSHOT_TRAILER = "Mlscaffold-Snapshot"
FALLBACK_NAME = "mlscaffold"
FALLBACK_EMAIL = "mlscaffold@localhost"


def available() -> bool:
    return shutil.which("git") is not None


def run(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stripped stdout; a failure raises MlscaffoldError."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MlscaffoldError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout.strip()


def config_value(cwd: Path, key: str) -> str:
    try:
        return run(cwd, "config", "--get", key)
    except MlscaffoldError:  # git exits 1 for an unset key
        return ""


def commit_snapshot(project: Path, message: str, author: tuple[str, str]) -> str:
    """``git init`` (if needed) and commit the whole tree as a pristine snapshot.

    The commit carries a trailer so the snapshot can be found from history alone,
    in any clone. It works without a configured git identity (``author`` is the
    fallback), skips the user's commit hooks and signing, which are meant for their
    own commits, and returns the commit id.
    """
    if not (project / ".git").exists():
        branch = config_value(project, "init.defaultBranch") or "main"
        run(project, "init", "--quiet", f"--initial-branch={branch}")
    name = config_value(project, "user.name") or author[0] or FALLBACK_NAME
    email = config_value(project, "user.email") or author[1] or FALLBACK_EMAIL
    run(project, "add", "--all")
    run(
        project,
        "-c", f"user.name={name}",
        "-c", f"user.email={email}",
        "-c", "commit.gpgsign=false",
        "commit", "--quiet", "--no-verify",
        "-m", message,
        "--trailer", f"{SNAPSHOT_TRAILER}: {message.splitlines()[0]}",
    )  # fmt: skip
    return run(project, "rev-parse", "HEAD")

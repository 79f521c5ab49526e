"""Where a template comes from: the built-in one, a plain folder, or a git repository.

A git template's files at the requested ref (or its latest version tag) are written out
by mlscaffold itself, read in place from a local repository or from a bare clone of a
remote one, then handed to copier as a plain folder: mlscaffold knows the exact commit
rendered and can read the template's own files (its checklists) while rendering.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mlscaffold import __version__, git
from mlscaffold.errors import MlscaffoldError

BUILTIN_PREFIX = "builtin:"
# What copier itself accepts as a remote template: URLs, scp-like git, its shortcuts.
REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|gh:|gl:)", re.IGNORECASE)
SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class Checkout:
    path: Path
    version: str
    commit: str = ""
    described: str = ""  # `git describe --tags --always` of the commit: copier's `_commit`


def builtin_templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the repo root."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def checkout(source: str, vcs_ref: str | None, workdir: Path, base: Path | None = None) -> Checkout:
    """The template folder to render for ``source`` at ``vcs_ref``, or a clear error.

    ``workdir`` is an empty scratch folder the caller removes afterwards. A relative
    local path is read from ``base`` (the project's folder, where the state file records
    it from), or from the current folder without one.
    """
    if source.startswith(BUILTIN_PREFIX):
        name = source.removeprefix(BUILTIN_PREFIX)
        path = builtin_templates_dir() / name
        if not name or "/" in name or not path.is_dir():
            raise MlscaffoldError(f"there is no built-in template {name!r}: use builtin:project")
        if vcs_ref:
            raise MlscaffoldError(
                "--vcs-ref applies to git templates; the built-in template's version is "
                f"mlscaffold's own ({__version__}): drop --vcs-ref"
            )
        return Checkout(path=path, version=__version__)
    if REMOTE.match(source):
        url = next(
            (source.replace(short, full, 1) for short, full in SHORTCUTS.items()
             if source.startswith(short)),
            source,
        )  # fmt: skip
        return _from_repository(url, source, vcs_ref, workdir)
    path = Path(source).expanduser()
    if base is not None and not path.is_absolute():
        path = _from_base(base, path)
    if not path.is_dir():
        where = (
            f" (from the project at {base})" if base is not None and path != Path(source) else ""
        )
        raise MlscaffoldError(
            f"template {source}{where} does not exist or is not a folder: give the path or "
            "git URL of a copier template"
        )
    if (path / ".git").exists():
        return _from_repository(str(path.resolve()), source, vcs_ref, workdir)
    if vcs_ref:
        raise MlscaffoldError(
            f"--vcs-ref {vcs_ref} needs a git template, but {source} is not a git repository: "
            "drop --vcs-ref or point --template at the repository"
        )
    # A folder without copier.yml is a template with no questions, as copier renders it.
    return Checkout(path=path.resolve(), version="")


def _from_base(base: Path, relative: Path) -> Path:
    """``relative`` read from the folder ``base``, which may not exist yet (a project
    being created): its leading ``..`` steps go up from ``base`` with symbolic links
    resolved, as the OS would go up from inside it."""
    parts = list(relative.parts)
    folder = Path(os.path.realpath(base))
    while parts and parts[0] in ("..", "."):
        folder = folder.parent if parts.pop(0) == ".." else folder
    return folder.joinpath(*parts)


def _from_repository(url: str, source: str, vcs_ref: str | None, workdir: Path) -> Checkout:
    if not git.available():
        raise MlscaffoldError(
            f"template {source} is a git repository, but git was not found: install git"
        )
    repo = Path(url)
    if REMOTE.match(url):  # a local repository is read in place, only a remote one is fetched
        repo = workdir / "template.git"
        try:
            git.run(workdir, "clone", "--quiet", "--bare", url, str(repo))
        except MlscaffoldError as error:
            message = f"template {source} could not be cloned ({error.message})"
            raise MlscaffoldError(message) from None
    ref = vcs_ref or latest_version_tag(git.run(repo, "tag", "--list").splitlines()) or "HEAD"
    try:
        commit = git.run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except MlscaffoldError:
        raise MlscaffoldError(
            f"--vcs-ref {ref} was not found in template {source}: "
            "list its tags with `git tag` there"
        ) from None
    target = workdir / "template"
    git.export(repo, commit, target)
    # Name the version by a tag at that commit, so a commit and its tag agree.
    tags = git.run(repo, "tag", "--points-at", commit).splitlines()
    tag = latest_version_tag(tags) or (ref if ref in tags else "")
    described = git.run(repo, "describe", "--tags", "--always", commit)
    version = _pep440(tag) if tag else _version_past_tag(repo, commit) or commit[:12]
    return Checkout(path=target, version=version, commit=commit, described=described)


def _pep440(tag: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(tag))
    except InvalidVersion:
        return tag


def _version_past_tag(repo: Path, commit: str) -> str:
    """The PEP 440 version copier gives a commit no version tag names: the nearest version
    tag it descends from, the commits since, and the commit (``1.0.0.post3.dev0+abc1234``;
    ``0.0.0.postN...`` with no version tag, N counting every commit), so that versions
    of untagged commits still order against tags (migrations, downgrades)."""
    from packaging.version import InvalidVersion, Version

    # The tagged commits it descends from, nearest first; the first with a version tag wins.
    log = git.run(repo, "log", "--simplify-by-decoration", "--topo-order", "--decorate=full",
                  "--decorate-refs=refs/tags/", "--format=%d", commit)  # fmt: skip
    base, since = None, commit
    for line in log.splitlines():
        parts = line.strip().strip("()").split(",")
        names = [part.strip().removeprefix("tag: refs/tags/") for part in parts]
        for name in names:
            try:
                base = Version(name)
            except InvalidVersion:
                continue
            since = f"refs/tags/{name}..{commit}"
            break
        if base is not None:
            break
    distance = git.run(repo, "rev-list", "--count", since)
    short = git.run(repo, "rev-parse", "--short", commit)
    try:
        return str(Version(f"{base.public if base else '0.0.0'}.post{distance}.dev0+{short}"))
    except InvalidVersion:  # a tag that already has post or dev parts: no order to give
        return ""


def latest_version_tag(tags: list[str]) -> str | None:
    """The highest tag that is a PEP 440 version (``v1.2.0``), as copier picks it."""
    from packaging.version import InvalidVersion, Version

    versions = []
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append((version, tag))
    return max(versions)[1] if versions else None

"""Where a template comes from: the built-in one, a plain folder, or a git repository.

A git template's files at the requested ref (or its latest version tag) are written out
by mlscaffold itself, read in place from a local repository or from a bare clone of a
remote one, then handed to copier as a plain folder: mlscaffold knows the exact commit
rendered and can read the template's own files (its checklists) while rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlscaffold import __version__, git
from mlscaffold.errors import MlscaffoldError

BUILTIN_PREFIX = "builtin:"
TEMPLATE_CONFIG_FILES = ("copier.yml", "copier.yaml")
# What copier itself accepts as a remote template: URLs, scp-like git, its shortcuts.
REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|gh:|gl:)", re.IGNORECASE)
SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class Checkout:
    path: Path
    version: str
    commit: str = ""


def builtin_templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the repo root."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def checkout(source: str, vcs_ref: str | None, workdir: Path) -> Checkout:
    """The template folder to render for ``source`` at ``vcs_ref``, or a clear error.

    ``workdir`` is an empty scratch folder the caller removes afterwards.
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
    if not path.is_dir():
        raise MlscaffoldError(
            f"template {source} does not exist or is not a folder: give the path or git URL "
            "of a copier template"
        )
    if (path / ".git").exists():
        return _from_repository(str(path.resolve()), source, vcs_ref, workdir)
    if vcs_ref:
        raise MlscaffoldError(
            f"--vcs-ref {vcs_ref} needs a git template, but {source} is not a git repository: "
            "drop --vcs-ref or point --template at the repository"
        )
    _require_copier_config(path, source)
    return Checkout(path=path.resolve(), version="")


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
    version = _pep440(tag) if tag else commit[:12]
    _require_copier_config(target, source)
    return Checkout(path=target, version=version, commit=commit)


def _pep440(tag: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(tag))
    except InvalidVersion:
        return tag


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


def _require_copier_config(path: Path, source: str) -> None:
    if not any((path / name).is_file() for name in TEMPLATE_CONFIG_FILES):
        raise MlscaffoldError(
            f"template {source} is not a copier template (no copier.yml in it): check the path"
        )

"""``new``: render a pristine tree and move it into place in one step."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold import __version__, git, interrupts, locks
from mlscaffold.errors import MlscaffoldError
from mlscaffold.plugins import PluginInfo, namespace
from mlscaffold.plugins import resolve as resolve_plugins
from mlscaffold.render import Rendered, render
from mlscaffold.sources import BUILTIN_PREFIX, REMOTE
from mlscaffold.state import STATE_FILE, State, write_state

BUILTIN_TEMPLATE = f"{BUILTIN_PREFIX}project"


@dataclass
class Created:
    path: Path
    state: State
    commit: str = ""
    notes: list[str] = field(default_factory=list)


def check_destination(dest: Path) -> None:
    """Refuse a destination we cannot create a project in, before anything is written."""
    if dest.name in {"", ".", ".."}:
        raise MlscaffoldError(
            f"{str(dest)!r} does not name a new folder: give one, e.g. `mlscaffold new churn-model`"
        )
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise MlscaffoldError(f"{dest} exists and is not a folder: choose another destination")
    if dest.is_dir() and any(dest.iterdir()):
        raise MlscaffoldError(
            f"{dest} exists and is not empty: choose a new folder, or use `mlscaffold update` "
            "inside an existing project"
        )
    # Missing parent folders are created, as copier creates them; one that is a file is not.
    for parent in dest.absolute().parents:
        if parent.is_dir():
            break
        if parent.exists() or parent.is_symlink():
            raise MlscaffoldError(
                f"{parent} exists and is not a folder: choose another destination"
            )


def create_project(
    dest: Path,
    *,
    template: str = BUILTIN_TEMPLATE,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    trust: bool = False,
    use_git: bool = True,
    interactive: bool = True,
    plugins: Sequence[str] = (),
    monorepo: bool = False,
) -> Created:
    """Create a project in ``dest`` (absent or an empty folder) from ``template``.

    The project is rendered into a hidden sibling folder, committed there as the first
    pristine snapshot, and renamed to ``dest`` as the last step; on any error or
    interrupt the sibling is removed, so ``dest`` is left exactly as it was.

    A project gets a repository of its own, even inside another repository (a clone of
    someone else's code is rarely where a user means to add a project). With
    ``monorepo``, the snapshot is instead a commit holding just the project at its path
    in the enclosing repository, and git merges it into the current branch, staged for
    the user to review and commit.
    """
    check_destination(dest)
    dest = Path(os.path.abspath(dest))
    template = _recordable_source(template, dest)
    chosen = resolve_plugins(plugins)
    missing_git = use_git and not git.available()
    use_git = use_git and not missing_git
    existing = next(parent for parent in dest.parents if parent.is_dir())
    outer = git.work_tree_of(existing) if use_git else None
    if monorepo and not outer:
        raise MlscaffoldError(
            f"--monorepo adds the project to the git repository that holds {dest.parent}, "
            "but there is none (or --no-git was given): drop --monorepo"
        )
    if monorepo:
        _check_repository_ready(outer)
    created_parents = _make_parents(dest)
    staging = None
    try:
        leftovers = interrupts.remove_leftovers(dest.parent, STAGING)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(dest), dir=dest.parent))
        rendered = render(
            template,
            staging,
            data=data,
            plugins=[info.name for info in chosen],
            vcs_ref=vcs_ref,
            defaults=defaults,
            # The folder name and git identity stand in for the built-in template's
            # defaults only: another template's own defaults are its author's choice.
            user_defaults=(
                {"project_name": dest.name, **git_author_defaults(dest.parent)}
                if template.startswith(BUILTIN_PREFIX)
                else {}
            ),
            trust=trust,
            interactive=interactive,
            project=dest,
        )
        state = state_for(template, rendered, chosen)
        write_state(staging, state)
        created = Created(path=dest, state=state, notes=list(rendered.notes))
        created.notes.extend(
            f"removed {path.name}, left in {dest.parent} by an interrupted mlscaffold run"
            for path in leftovers
        )
        message = f"Create project from {template} {rendered.template_version}".rstrip()
        if monorepo:
            with interrupts.critical():  # the project is staged: done, not to be undone
                created.commit = _merge_into(outer, staging, dest, message, author_of(state))
                interrupts.done()
            created.notes.append(
                f"the project is staged as a merge in the repository at {outer}: "
                "review it and `git commit`"
            )
            return created
        if use_git:
            created.commit = git.init_snapshot(staging, message, author=author_of(state))
            if outer:
                created.notes.append(
                    f"{dest.name} has a git repository of its own, inside the one at {outer}; "
                    "to add the project to that repository instead, create it with --monorepo"
                )
        elif missing_git:
            created.notes.append("git was not found: the project was created without a repository")
        _match_default_mode(staging, dest)
        with interrupts.critical():  # the project is in place: done, not to be undone
            _move_into_place(staging, dest)
            interrupts.done()
    except BaseException:
        _remove(staging)
        for parent in created_parents:  # the folders made for the project, nearest first
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    finally:
        _remove(staging)
    return created


def _remove(staging: Path | None) -> None:
    if staging is not None and staging.exists():
        shutil.rmtree(staging, ignore_errors=True)


def _make_parents(dest: Path) -> list[Path]:
    """Create the missing folders above ``dest``; returns them, nearest first."""
    missing = []
    for parent in dest.parents:
        if parent.is_dir():
            break
        missing.append(parent)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _recordable_source(template: str, dest: Path) -> str:
    """The template source as the state file records it: a relative local path is made
    relative to the project's folder (``update`` reads it from there), so it works from
    any current folder and records no path of this machine's."""
    if template.startswith(BUILTIN_PREFIX) or REMOTE.match(template):
        return template
    path = Path(template).expanduser()
    if path.is_absolute() or template.startswith("~") or not path.is_dir():
        return template  # as given; a missing folder is refused with the path as typed
    # Both resolved, so `..` steps through the same folders git and the OS see.
    project = Path(os.path.realpath(dest.parent)) / dest.name
    return Path(os.path.relpath(os.path.realpath(path), project)).as_posix()


# The hidden sibling a project is rendered into, named with the process id so that the
# next run can tell a killed run's leftover from a folder still being written.
STAGING = re.compile(r"\..{0,40}\.mlscaffold-(?P<pid>\d+)-[A-Za-z0-9_]+")


def _staging_prefix(dest: Path) -> str:
    return f".{dest.name[:40]}.mlscaffold-{os.getpid()}-"


def _move_into_place(staging: Path, dest: Path) -> None:
    # The rename is what makes two `new` into one folder safe: it fails, rather than
    # mixing two projects, when the other one got there first.
    try:
        os.replace(staging, dest)
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        raise MlscaffoldError(
            f"{dest} was created by another command while this one ran; nothing was "
            "written: choose another destination"
        ) from None


def _check_repository_ready(root: Path) -> None:
    if not git.run(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False):
        raise MlscaffoldError(
            f"the repository at {root} has no commit yet: commit something first, "
            "or create the project elsewhere"
        )
    if git.merging(root):
        raise MlscaffoldError(
            f"a merge is in progress in the repository at {root}: finish or abort it first"
        )
    git.refuse_lock(root)
    if git.run(root, "diff", "--cached", "--name-only"):
        raise MlscaffoldError(
            f"the repository at {root} has staged changes: commit or unstage them first, "
            "so the new project is staged on its own"
        )


def _merge_into(root: Path, staging: Path, dest: Path, message: str, author) -> str:
    prefix = dest.relative_to(root).as_posix()
    # Another `new` into this repository would race on its index: one at a time.
    with locks.repository(root, wait=30):
        _check_repository_ready(root)
        if dest.exists() and any(dest.iterdir()):
            raise MlscaffoldError(
                f"{dest} was created by another command while this one ran; nothing was "
                "written: choose another destination"
            )
        commit, _ = git.commit_tree(
            root, staging, prefix, [], f"{message}\n\n{git.trailer(prefix)}", author
        )
        existed = dest.is_dir()
        try:
            git.merge(
                root, commit, f"Add {prefix} (created by mlscaffold)", author,
                "--allow-unrelated-histories",
            )  # fmt: skip
        except BaseException:
            _undo_merge_into(root, dest, existed)
            raise
    return commit


def _undo_merge_into(root: Path, dest: Path, existed: bool) -> None:
    """Take back a merge of a new project: the index as it was (nothing was staged, that
    was checked) and ``dest`` as it was (absent or empty); the user's unstaged changes
    elsewhere stay, which a hard reset would lose."""
    if git.merging(root):
        git.run(root, "merge", "--abort", check=False)
    git.run(root, "reset", "--quiet", check=False)
    if existed:
        for child in dest.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    else:
        shutil.rmtree(dest, ignore_errors=True)


def state_for(
    template: str,
    rendered: Rendered,
    chosen: Sequence[PluginInfo],
    previous: State | None = None,
) -> State:
    """What the state file records about a render; ``previous`` is the project's state
    before an update.

    An answer no question of the new version takes (renamed or removed) is kept under
    ``[retired_answers]``, with a note added to ``rendered.notes``; answers of plugins
    the project stops using are not among them (``update`` remembers those apart).
    """
    retired = dict(previous.retired_answers) if previous else {}
    leaving = tuple(namespace(name) for name in (previous.plugins if previous else {})
                    if name not in {info.name for info in chosen})  # fmt: skip
    for name, value in rendered.unasked.items():
        if (leaving and name.startswith(leaving)) or name in retired:
            continue
        retired[name] = value
        rendered.notes.append(
            f"this version of the template no longer asks {name!r} (renamed or removed): "
            f"its recorded answer {value!r} is kept under [retired_answers] in {STATE_FILE}; "
            "a template migration, or -d NEW_NAME=VALUE, carries it to a new question"
        )
    return State(
        template_source=template,
        template_version=rendered.template_version,
        template_commit=rendered.template_commit,
        answers=rendered.answers,
        plugins={i.name: {"distribution": i.distribution, "version": i.version} for i in chosen},
        mlscaffold_version=__version__,
        files={path: f.to_data() for path, f in rendered.files.items() if not f.is_default},
        retired_answers={k: v for k, v in retired.items() if k not in rendered.answers},
    )


def author_of(state: State) -> tuple[str, str]:
    """The project's author, used for snapshot commits when git has no identity."""
    answers = state.answers
    return str(answers.get("author_name", "")), str(answers.get("author_email", ""))


def git_author_defaults(cwd: Path) -> dict[str, str]:
    """Offer the user's git identity as the default author, as PyScaffold does."""
    if not git.available():
        return {}
    defaults = {
        "author_name": git.config_value(cwd, "user.name"),
        "author_email": git.config_value(cwd, "user.email"),
    }
    return {key: value for key, value in defaults.items() if value}


def _match_default_mode(staging: Path, dest: Path) -> None:
    # mkdtemp makes the folder private (0700); the project should get the mode a plain
    # mkdir would, or keep the mode of the empty folder it replaces.
    if dest.is_dir():
        mode = dest.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o777 & ~umask
    os.chmod(staging, mode)


__all__ = ["BUILTIN_TEMPLATE", "STATE_FILE", "Created", "create_project"]

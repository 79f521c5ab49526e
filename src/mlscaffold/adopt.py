"""``adopt``: take over a project that copier made, so that ``mlscaffold update`` works.

copier records in the project's answers file (``.copier-answers.yml``) the template it
came from (``_src_path``), the version (``_commit``) and the answers. ``adopt`` renders
that version with those answers into a pristine tree, commits it as the project's first
snapshot, and joins it to the user's history with a merge that keeps the user's tree as
it is (``git merge -s ours``) plus the state file. From then on the snapshot is the merge
base of the next update like any other: every difference between it and the project is
the user's edit, kept or shown as a conflict.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold import git, locks
from mlscaffold.errors import MlscaffoldError
from mlscaffold.project import author_of, state_for
from mlscaffold.render import render
from mlscaffold.state import STATE_FILE, State, write_state

# Where copier writes its answers unless a template names another file (``_answers_file``).
COPIER_ANSWERS = ".copier-answers.yml"


@dataclass
class Adopted:
    project: Path
    state: State
    snapshot: str
    answers_file: str
    differing: list[str] = field(default_factory=list)  # the user's changes, kept
    notes: list[str] = field(default_factory=list)


def read_copier_answers(path: Path) -> tuple[str, str | None, dict[str, Any]]:
    """``(_src_path, _commit, answers)`` of a copier answers file, or a clear error."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MlscaffoldError(
            f"{path.name} was not found: adopt takes over a project made by copier, which "
            "writes it; name another answers file with --answers-file"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MlscaffoldError(f"{path.name} cannot be read ({error}): fix or restore it") from None
    if not isinstance(data, Mapping):
        raise MlscaffoldError(f"{path.name} is not a mapping of answers: fix or restore it")
    source = data.get("_src_path")
    if not isinstance(source, str) or not source:
        raise MlscaffoldError(
            f"{path.name} has no _src_path, so the template it came from is unknown: "
            "add `_src_path: <template path or URL>` to it"
        )
    commit = data.get("_commit")
    answers = {str(k): v for k, v in data.items() if not str(k).startswith("_")}
    return source, str(commit) if commit is not None else None, answers


def _portable(source: str, project: Path) -> str:
    """The template source as the state file records it: copier writes a local template's
    absolute path, a path of this machine; relative to the project, it holds in any clone
    that keeps the two side by side."""
    from mlscaffold.sources import BUILTIN_PREFIX, REMOTE

    if source.startswith(BUILTIN_PREFIX) or REMOTE.match(source) or not Path(source).is_absolute():
        return source
    return os.path.relpath(source, project)


def adopt_project(
    path: Path,
    *,
    answers_file: str | None = None,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    trust: bool = False,
) -> Adopted:
    """Take over the copier-made project at ``path`` (its root, inside a git repository).

    The working tree must be clean. Nothing of the user's changes: the merge that joins
    the snapshot keeps their tree and adds ``.mlscaffold.toml``, staged for review.
    """
    from mlscaffold.update import _locate, _open_repo

    project = Path(path).resolve()
    if not project.is_dir():
        raise MlscaffoldError(f"{path} is not a folder: give the folder of a copier-made project")
    if (project / STATE_FILE).exists():
        raise MlscaffoldError(
            f"{project} is already an mlscaffold project ({STATE_FILE}): run `mlscaffold update`"
        )
    relative = answers_file or COPIER_ANSWERS
    source, commit, recorded = read_copier_answers(project / relative)
    with locks.repository(_locate(project).root):
        repo = _open_repo(project)
        with tempfile.TemporaryDirectory(prefix="mlscaffold-adopt-") as scratch:
            tree = Path(scratch) / "tree"
            tree.mkdir()
            rendered = render(
                source, tree, data=dict(data or {}), recorded=recorded,
                vcs_ref=vcs_ref or commit, defaults=True, trust=trust, interactive=False,
                operation="update", project=project,
            )  # fmt: skip
            state = state_for(_portable(source, project), rendered, [])
            write_state(tree, state)
            message = f"mlscaffold snapshot: {source} {state.template_version}".rstrip()
            snapshot, _ = git.commit_tree(
                repo.root, tree, repo.prefix, [],
                f"{message}\n\n{git.trailer(repo.prefix)}", author_of(state),
            )  # fmt: skip
            state_bytes = (tree / STATE_FILE).read_bytes()
        adopted = Adopted(project=project, state=state, snapshot=snapshot, answers_file=relative)
        adopted.notes.extend(rendered.notes)
        where = repo.prefix or "."
        diff = git.run(repo.root, "diff", "--name-only", "-z", snapshot, "HEAD", "--", where,
                       strip=False)  # fmt: skip
        prefix = f"{repo.prefix}/" if repo.prefix else ""
        adopted.differing = sorted(
            name.removeprefix(prefix) for name in diff.split("\0")
            if name and name != f"{prefix}{STATE_FILE}"
        )  # fmt: skip
        head = git.run(repo.root, "rev-parse", "HEAD")
        try:
            git.merge(
                repo.root, snapshot,
                f"Adopt {where} with mlscaffold (template {source} {state.template_version})",
                author_of(state), "-s", "ours", "--allow-unrelated-histories",
            )  # fmt: skip
            (project / STATE_FILE).write_bytes(state_bytes)
            git.run(repo.root, "add", "--", f"{prefix}{STATE_FILE}")
        except BaseException:
            if git.merging(repo.root):
                git.run(repo.root, "merge", "--abort", check=False)
            git.run(repo.root, "reset", "--quiet", "--hard", head, check=False)
            (project / STATE_FILE).unlink(missing_ok=True)
            raise
    return adopted

"""``update``, ``add`` and ``remove``: bring template and plugin changes into a project.

The project's history holds the pristine snapshot of its last render. A new render
becomes the next snapshot (a commit whose parent is the last one) and git merges it
into the user's branch, so the merge base is always that last snapshot: every user
edit survives or shows up as a conflict git knows about. The merge is left staged
for review (``git commit`` to keep it, ``git merge --abort`` to drop it).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold import git, interrupts, locks, plugins, policies
from mlscaffold import ignored as ignored_files
from mlscaffold.checklists import CHECKLIST_FILE, carry_progress, without_progress
from mlscaffold.errors import EXIT_CONFLICTS, MlscaffoldError
from mlscaffold.migrations import (
    Migration,
    plugin_migrations,
    run_stage,
    template_for_tasks,
    template_migrations,
    template_tasks,
)
from mlscaffold.policies import BESIDE, TEMPLATE_OWNER, Owned
from mlscaffold.project import author_of, state_for
from mlscaffold.render import render
from mlscaffold.stages import STAGES
from mlscaffold.state import STATE_FILE, State, read_state, write_state
from mlscaffold.status import find_project

# What git leaves in its folder while an operation waits for the user.
IN_PROGRESS = {
    "rebase-merge": "rebase", "rebase-apply": "rebase",
    "CHERRY_PICK_HEAD": "cherry-pick", "REVERT_HEAD": "revert",
}  # fmt: skip


@dataclass
class UpdateResult:
    project: Path
    old: State
    new: State
    changes: list[tuple[str, str]] = field(default_factory=list)  # (status letter, path)
    conflicts: list[str] = field(default_factory=list)
    up_to_date: bool = False
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    migrations: list[Migration] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # managed files the user had changed
    restored: list[str] = field(default_factory=list)  # deleted files that came back
    kept: list[str] = field(default_factory=list)  # a removed plugin's files the user changed
    layers: list[dict[str, str]] = field(default_factory=list)  # see _layers
    owners: dict[str, str] = field(default_factory=dict)  # changed path -> "template"/"plugin X"
    # Files the render makes that git ignores (see ignored.plan): (path, what is done)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)  # the template's tasks run after the merge


@dataclass
class _Repo:
    root: Path
    prefix: str  # the project's path inside the repository, "" at its root

    def path(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative


def _one_at_a_time(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``function(path, ...)`` holding the lock of the project's repository: two
    updates at once would race on git's index."""

    @functools.wraps(function)
    def locked(path: Path, *args: Any, **options: Any) -> Any:
        with locks.repository(_locate(find_project(path)).root):
            return function(path, *args, **options)

    return locked


@_one_at_a_time
def update_project(
    path: Path,
    *,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    trust: bool = False,
    interactive: bool = True,
    dry_run: bool = False,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    replace_managed: bool = False,
) -> UpdateResult:
    """Re-render the project's template with its plugins and merge the result.

    ``add`` and ``remove`` change the project's plugin set (``mlscaffold add/remove``).
    Each file's policy applies (see ``policies``): ``seed`` files keep the project's
    version, ``managed`` ones take the template's (refused when the user changed one,
    unless ``replace_managed``), and ``restore`` brings deleted files back. Migrations
    the update crosses run before and after the merge. Refuses, changing nothing, a
    project that is not clean, has no snapshot in its history, or would be downgraded;
    with ``dry_run`` reports and changes nothing.
    """
    project = find_project(path)
    old = read_state(project)
    repo = _open_repo(project)
    snapshot = _last_snapshot(repo)
    chosen = _plugin_set(old, add, remove)
    recalled = {name: old.removed[name] for name in add if name in old.removed}
    if (add or remove) and vcs_ref is None and old.template_commit:
        vcs_ref = old.template_commit  # a plugin change alone: keep the template where it is
    with tempfile.TemporaryDirectory(prefix="mlscaffold-update-") as scratch:
        tree_root = Path(scratch) / "tree"
        tree_root.mkdir()
        rendered = render(
            old.template_source,
            tree_root,
            data=data,
            recorded=_recorded_answers(old, recalled),
            plugins=[info.name for info in chosen],
            vcs_ref=vcs_ref,
            defaults=defaults,
            trust=trust,
            interactive=interactive,
            operation="add" if add else "remove" if remove else "update",
            project=project,
        )
        new = state_for(old.template_source, rendered, chosen, previous=old)
        _refuse_downgrade(old, new)
        kept = _remember_removed(repo, snapshot, project, old, new, remove)
        _copier_rules(repo, snapshot, rendered.config, rendered.files, new, tree_root)
        _keep_seeded(repo, snapshot, _recalled_state(old, recalled), new, tree_root)
        # A dry run shows the migrations without running them: that is how to read them.
        pending = _migrations(
            _recalled_state(old, recalled), new, rendered.migrations, chosen, trust or dry_run
        )
        new.migrations = [*old.migrations, *(m.record() for m in pending)]
        write_state(tree_root, new)
        ignored = ignored_files.rendered(git.git_dir(repo.root), tree_root)
        record = git.ignored_trailers(ignored)
        message = f"mlscaffold snapshot: {new.template_source} {new.template_version}".rstrip()
        commit, tree = git.commit_tree(
            repo.root, tree_root, repo.prefix, [snapshot],
            f"{message}\n\n{git.trailer(repo.prefix)}{record}", author_of(new),
        )  # fmt: skip
        renders = {path: (tree_root / path).read_bytes() for path in ignored}
    result = UpdateResult(project=project, old=old, new=new, dry_run=dry_run, migrations=pending)
    result.notes.extend(rendered.notes)
    result.layers, result.kept = _layers(old, new), kept
    if tree == git.run(repo.root, "rev-parse", f"{snapshot}^{{tree}}"):
        result.up_to_date = True
        return result
    result.changes = _changes(repo.root, snapshot, commit)
    # A file the last snapshot held that the new version's .gitignore now ignores: the
    # snapshot cannot hold it, and git would delete it; it stays as the project has it.
    unignored = [path for status, path in result.changes
                 if status == "D" and _relative(repo, path) in ignored]  # fmt: skip
    result.changes = [change for change in result.changes if change[1] not in unignored]
    seeded = {path for path, info in new.files.items() if info.get("policy") == "seed"}
    result.ignored = ignored_files.plan(repo.root, project, snapshot, ignored, seeded)
    # copier's answers file is its bookkeeping, written anew by every update, never merged.
    answers_file = str(rendered.config.get("_answers_file") or ".copier-answers.yml")
    bookkeeping = [repo.path(answers_file)] if answers_file in rendered.files else []
    tasks, task_conf = _tasks(rendered.config, new, project, trust, data, defaults, result)
    managed = [path for path, info in new.files.items() if info.get("policy") == "managed"]
    result.owners = _owners(
        repo, old, new, [*(path for _, path in result.changes), *map(repo.path, managed)]
    )
    _refuse_overwriting_ignored(repo, result.changes)
    result.replaced = _changed_managed(
        repo, snapshot, commit, managed, replace_managed, result.owners
    )
    if dry_run:
        result.conflicts = _dry_run_conflicts(repo, snapshot, commit, result, pending, trust)
        result.conflicts = [p for p in result.conflicts if p not in {*unignored, *bookkeeping}]
        return result
    head = git.run(repo.root, "rev-parse", "HEAD")
    # An undo removes what the update added: the paths the new version adds (except those
    # the user has committed already, which stay theirs) and the ignored files it writes.
    ours = git.run(repo.root, "ls-files", "-z", "--", *[p for s, p in result.changes if s == "A"],
                   strip=False) if any(s == "A" for s, _ in result.changes) else ""  # fmt: skip
    committed = set(filter(None, ours.split("\0")))
    added = [path for status, path in result.changes if status == "A" and path not in committed]
    # An ignored file it updates is written last, when nothing is undone any more.
    added += [repo.path(path + (BESIDE if what == "beside" else ""))
              for path, what in result.ignored if what != "updated"]  # fmt: skip
    folders = {p for path in added for p in (repo.root / path).parents if p.is_dir()}
    if pending or tasks:  # a migration or task may create any file: remember the folders
        for dirpath, subfolders, _ in os.walk(project.resolve()):
            subfolders[:] = [name for name in subfolders if name != ".git"]
            folders.add(Path(dirpath))
    marker = _Unfinished(repo, head, added, folders)
    try:
        marker.write()
        run_stage(pending, "before", project)
        _commit_migrations(repo, pending, new)
        result.conflicts = git.merge(repo.root, commit, message, author_of(new))
        _take_template_version(repo, commit, [*result.replaced, *bookkeeping], result)
        restore = [path for path, info in new.files.items() if info.get("restore")]
        result.restored = _bring_back(repo, commit, restore, result)
        _keep_ours(repo, unignored, result)
        ignored_files.write(project, result.ignored, renders, "created")
        with template_for_tasks(old.template_source, new.template_commit, tasks, task_conf):
            run_stage(tasks, "task", project)  # as copier runs them: after the files, before these
        run_stage(pending, "after", project)
        _stage_migrated(repo, result.conflicts)
        ignored_files.write(project, result.ignored, renders, "beside")  # never staged
        _keep_checklist_progress(repo, snapshot, commit, result)
        _recall_progress(repo, recalled, result.conflicts)
        with interrupts.critical():  # the merge is staged: done, not to be undone
            # Last, so that no undo is needed: the one write to a file that was there before.
            ignored_files.write(project, result.ignored, renders, "updated")
            marker.remove()
            interrupts.done()
    except BaseException:
        marker.undo()
        raise
    return result


@dataclass
class _Unfinished:
    """An update under way, written in the git folder before the project changes, so
    that one killed part-way (SIGKILL, a power cut) is recognised by the next command
    and can be undone exactly with ``mlscaffold update --abort``."""

    repo: _Repo
    head: str
    added: list[str]
    folders: set[Path]

    NAME = "mlscaffold-update.json"

    @property
    def root(self) -> Path:
        return self.repo.root

    @classmethod
    def found(cls, repo: _Repo) -> _Unfinished | None:
        path = git.git_dir(repo.root) / cls.NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(repo, str(data["head"]), [str(p) for p in data["added"]],
                       {repo.root / str(p) for p in data["folders"]})  # fmt: skip
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            raise MlscaffoldError(
                f"{path} is damaged: delete it, then see `git status` for the project's state"
            ) from None

    def write(self) -> None:
        data = {"head": self.head, "added": self.added,
                "folders": sorted(p.relative_to(self.root).as_posix() for p in self.folders
                                  if p.is_relative_to(self.root))}  # fmt: skip
        (git.git_dir(self.root) / self.NAME).write_text(json.dumps(data), encoding="utf-8")

    def remove(self) -> None:
        (git.git_dir(self.root) / self.NAME).unlink(missing_ok=True)

    def undo(self) -> None:
        """Put the project back as it was before the update, and check that it is."""
        _restore(self.repo, self.head, self.added, self.folders)
        lock = git.git_dir(self.root) / "index.lock"
        undone = (
            not lock.exists()
            and git.run(self.root, "rev-parse", "HEAD", check=False) == self.head
            and not git.merging(self.root)
            and not _uncommitted(self.repo)
        )
        if not undone:
            stuck = f"delete {lock} once no git command is running, then " if lock.exists() else ""
            raise MlscaffoldError(
                f"the update stopped part-way and could not be undone yet: {stuck}run "
                "`mlscaffold update --abort` to put the project back as it was"
            )
        self.remove()


def abort_update(path: Path) -> str:
    """Undo an update that was killed part-way (the marker ``_Unfinished`` left behind);
    returns the commit the project is back at."""
    repo = _locate(find_project(path))
    with locks.repository(repo.root):
        git.refuse_lock(repo.root)
        unfinished = _Unfinished.found(repo)
        if unfinished is None:
            raise MlscaffoldError(
                "no interrupted update to undo: to drop an update's merge, run `git merge --abort`"
            )
        unfinished.undo()
        return unfinished.head


def _recorded_answers(old: State, recalled: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The project's answers, with those of plugins added back as they were at removal."""
    answers = dict(old.answers)
    for memory in recalled.values():
        for key, value in dict(memory.get("answers", {})).items():
            answers.setdefault(key, value)
    return answers


def _recalled_state(old: State, recalled: Mapping[str, Mapping[str, Any]]) -> State:
    """``old`` as seen by a plugin added back: its kept files are the plugin's again (no
    longer held as the project's), and its migrations count from its remembered version."""
    if not recalled:
        return old
    kept = {path for memory in recalled.values() for path in memory.get("kept", [])}
    versions = {name: {"version": str(memory.get("version", ""))}
                for name, memory in recalled.items()}  # fmt: skip
    return dataclasses.replace(
        old,
        files={path: info for path, info in old.files.items() if path not in kept},
        plugins={**old.plugins, **versions},
    )


def _remember_removed(
    repo: _Repo, snapshot: str, project: Path, old: State, new: State, remove: Sequence[str]
) -> list[str]:
    """Remember what ``mlscaffold add`` needs to bring a removed plugin back as it was: its
    version, answers, checklist progress, and its files the user changed.

    Those files stay, as the project's: the new snapshot holds them as the last one did
    (the seed policy), so the merge leaves the user's version alone instead of offering a
    modify/delete conflict, and adding the plugin back merges into them. Returns them.
    """
    new.removed = {name: memory for name, memory in old.removed.items() if name not in new.plugins}
    if not remove:
        return []
    owned = {name: [path for path, info in old.files.items()
                    if info.get("owner") == name and info.get("policy") != "seed"]
             for name in remove}  # fmt: skip
    paths = [repo.path(path) for paths in owned.values() for path in paths]
    changed = set()
    if paths:
        diff = git.run(repo.root, "diff", "--name-only", "-z", "--no-renames", snapshot, "HEAD",
                       "--", *paths, strip=False)  # fmt: skip
        changed = set(filter(None, diff.split("\0")))
    progress = _progress(project)
    all_kept = []
    for name in remove:
        kept = [path for path in owned[name]
                if repo.path(path) in changed and (project / path).is_file()]  # fmt: skip
        for path in kept:
            new.files[path] = {"owner": name, "policy": "seed"}
        prefix = plugins.namespace(name)
        new.removed[name] = {
            "version": old.plugins[name].get("version", ""),
            "answers": {k: v for k, v in old.answers.items() if k.startswith(prefix)},
            "progress": {k: v for k, v in progress.items() if k.startswith(f"{name}.")},
            "kept": kept,
        }
        all_kept += kept
    return sorted(all_kept)


def _progress(project: Path) -> dict[str, str]:
    """Each checklist item's progress in the project: ``done``, or ``n/a: reason``."""
    from mlscaffold.checklists import parse_markdown

    progress = {}
    for stage in STAGES:
        path = project / stage.folder / CHECKLIST_FILE
        if not path.is_file():
            continue
        entries, _ = parse_markdown(path.read_text(encoding="utf-8"), str(path))
        for entry in entries:
            if entry.mark == "done":
                progress[entry.id] = "done"
            elif entry.mark == "n/a":
                progress[entry.id] = f"n/a: {entry.reason}"
    return progress


def _recall_progress(
    repo: _Repo, recalled: Mapping[str, Mapping[str, Any]], conflicts: list[str]
) -> None:
    """Tick again the items of plugins added back, as they were when they were removed."""
    marks = {item: str(mark) for memory in recalled.values()
             for item, mark in dict(memory.get("progress", {})).items()}  # fmt: skip
    if not marks:
        return
    # Written as a checklist, so that carry_progress reads it as it reads the team's.
    lines = []
    for item, mark in marks.items():
        if mark == "done":
            lines.append(f"- [x] t (`{item}`)")
        elif mark.startswith("n/a"):
            lines += [f"- [-] t (`{item}`)", f"  - N/A: {mark.partition(':')[2].strip()}"]
    remembered = "\n".join(lines) + "\n"
    for stage in STAGES:
        path = repo.path(f"{stage.folder}/{CHECKLIST_FILE}")
        target = repo.root / path
        if path in conflicts or not target.is_file():
            continue
        text = target.read_text(encoding="utf-8")
        updated = carry_progress(remembered, text)
        if updated != text:
            target.write_text(updated, encoding="utf-8")
            git.run(repo.root, "add", "--", path)


def _layers(old: State, new: State) -> list[dict[str, str]]:
    """Every layer of the project with its version before and after: the template, then
    each plugin (an added plugin has no version before, a removed one none after)."""

    def version(state: State) -> str:
        return state.template_version or state.template_commit[:12]

    layers = [{"layer": "template", "distribution": "", "from_version": version(old),
               "to_version": version(new)}]  # fmt: skip
    for name in sorted({*old.plugins, *new.plugins}):
        before, after = old.plugins.get(name, {}), new.plugins.get(name, {})
        layers.append({
            "layer": f"plugin {name}",
            "distribution": after.get("distribution") or before.get("distribution", ""),
            "from_version": before.get("version", "") if name in old.plugins else "",
            "to_version": after.get("version", "") if name in new.plugins else "",
        })  # fmt: skip
    return layers


def _owners(repo: _Repo, old: State, new: State, paths: Sequence[str]) -> dict[str, str]:
    """Who owns each changed path (repository-relative): ``template`` or ``plugin NAME``."""
    owners = {}
    for path in paths:
        relative = path[len(repo.prefix) + 1 :] if repo.prefix else path
        info = new.files.get(relative) or old.files.get(relative) or {}
        owner = str(info.get("owner", "template"))
        owners[path] = owner if owner == "template" else f"plugin {owner}"
    return owners


def _dry_run_conflicts(
    repo: _Repo,
    snapshot: str,
    commit: str,
    result: UpdateResult,
    pending: Sequence[Migration],
    trust: bool,
) -> list[str]:
    """The conflicts the real run would leave. Migrations that run before the merge change
    what git merges, so they run first, in a scratch worktree of the repository that is
    thrown away (the project is not touched); a template's only with --trust."""
    before = [m for m in pending if m.when == "before"]
    runnable = [m for m in before if m.source != "template" or trust]
    if len(runnable) < len(before):
        result.notes.append(
            "the dry run did not run the template's migrations (they need --trust): conflicts "
            "in the files they change are not predicted"
        )
    if not runnable:
        predicted = _predicted_conflicts(repo.root, commit)
        return _settled(repo, snapshot, commit, result.new, result.replaced, predicted)
    with tempfile.TemporaryDirectory(prefix="mlscaffold-dry-run-") as scratch:
        root = Path(scratch) / "worktree"
        git.run(repo.root, "worktree", "add", "--quiet", "--detach", str(root), "HEAD")
        try:
            trial = _Repo(root, repo.prefix)
            run_stage(runnable, "before", root / repo.prefix if repo.prefix else root)
            _commit_migrations(trial, runnable, result.new)
            predicted = _predicted_conflicts(root, commit)
            return _settled(trial, snapshot, commit, result.new, result.replaced, predicted)
        finally:
            git.run(repo.root, "worktree", "remove", "--force", str(root), check=False)
            git.run(repo.root, "worktree", "prune", check=False)


def _settled(
    repo: _Repo, snapshot: str, commit: str, new: State, replaced: list[str], conflicts: list[str]
) -> list[str]:
    """The conflicts the real run leaves, from those the merge alone makes: it takes the new
    version of replaced managed files, brings back deleted ``restore`` files, and puts the
    team's ticks back on re-rendered checklists (see update_project)."""
    settled = set(conflicts) - set(replaced)
    restore = [repo.path(p) for p, info in new.files.items() if info.get("restore")]
    found = git.blobs(repo.root, [(rev, p) for p in restore for rev in ("HEAD", commit)])
    settled -= {p for i, p in enumerate(restore)
                if found[2 * i] is None and found[2 * i + 1] is not None}  # fmt: skip
    paths = [repo.path(f"{stage.folder}/{CHECKLIST_FILE}") for stage in STAGES]
    found = git.blobs(repo.root, [(rev, p) for p in paths for rev in (snapshot, "HEAD", commit)])
    for i, path in enumerate(paths):
        before, ours, theirs = (
            (text or b"").decode("utf-8", errors="replace") for text in found[3 * i : 3 * i + 3]
        )
        progress_only = without_progress(ours) == without_progress(before)
        if before and ours and theirs and ours != before and progress_only:
            settled.discard(path)
    return sorted(settled)


def _keep_seeded(repo: _Repo, snapshot: str, old: State, new: State, tree: Path) -> None:
    """Seed files keep the project's version: the new snapshot holds the old snapshot's
    bytes, so the merge sees no template change to them. A seed file the new render no
    longer makes stays too: the project owns it. One new in this version that the project
    has already keeps the project's bytes too; one the user deleted that is to be restored
    comes back as the new version renders it."""
    seeded = {p for p, info in new.files.items() if info.get("policy") == "seed"}
    for path, info in old.files.items():
        if info.get("policy") == "seed" and path not in seeded:
            seeded.add(path)
            new.files[path] = dict(info)
    ordered = sorted(seeded)
    found = git.blobs(
        repo.root, [(rev, repo.path(path)) for path in ordered for rev in (snapshot, "HEAD")]
    )
    for i, path in enumerate(ordered):
        before, ours = found[2 * i], found[2 * i + 1]
        target = tree / path
        if before is None:
            mine = repo.root / repo.path(path)
            if ours is None and target.is_file() and (mine.exists() or mine.is_symlink()):
                target.unlink()  # an untracked or ignored file of the user's: it stays theirs
                continue
            if ours is None or not target.is_file():
                continue  # new in this version (or with an added plugin): written once, now
            before = ours  # the project made it first: the template skips it, as copier does
        elif ours is None and new.files[path].get("restore"):
            continue  # deleted: _bring_back writes the new version's
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(before)


def _copier_rules(
    repo: _Repo,
    snapshot: str,
    config: Mapping[str, Any],
    rendered: Mapping[str, Owned],
    new: State,
    tree: Path,
) -> None:
    """copier's update rules of the template (its ``copier.yml``), as file policies.

    ``_skip_if_exists``: copier skips such a file when the project has it and writes it when
    it does not: ``seed`` with ``restore``. ``_exclude``: a file the last snapshot holds and
    the new version excludes is no longer the template's; copier leaves it in the project as
    it is, and so does ``seed`` (the new snapshot keeps the last one's bytes). The patterns
    are rendered as on copier's update (``_copier_operation`` is ``update``, where the render
    saw ``copy``), so a file excluded only on update is not rendered anew either.
    """
    if not (config.get("_skip_if_exists") or config.get("_exclude")):
        return
    context = {**new.answers, "_copier_operation": "update"}
    skip = policies.copier_patterns(config, "_skip_if_exists", context)
    if skip:
        matches = policies.copier_matcher(skip)
        for path, owned in rendered.items():
            if owned.owner == TEMPLATE_OWNER and matches(path):
                new.files[path] = Owned(TEMPLATE_OWNER, "seed", restore=True).to_data()
    exclude = policies.copier_patterns(config, "_exclude", context)
    if not exclude:
        return
    matches = policies.copier_matcher(exclude)
    listed = git.run(repo.root, "ls-tree", "-r", "-z", "--name-only", snapshot, "--",
                     repo.prefix or ".", strip=False)  # fmt: skip
    held = {_relative(repo, name) for name in listed.split("\0") if name}
    for path in sorted(held | set(rendered)):
        plugins_file = path in rendered and rendered[path].owner != TEMPLATE_OWNER
        if plugins_file or path == STATE_FILE or not matches(path):
            continue
        if path in held:
            new.files[path] = Owned(TEMPLATE_OWNER, "seed").to_data()
        else:  # excluded on update only, and new: copier does not write it
            (tree / path).unlink()
            new.files.pop(path, None)


def _relative(repo: _Repo, name: str) -> str:
    """A repository path as a path in the project."""
    return name[len(repo.prefix) + 1 :] if repo.prefix else name


def _keep_ours(repo: _Repo, paths: Sequence[str], result: UpdateResult) -> None:
    """Keep the project's version of ``paths`` (which the merge deleted, or left as a
    modify/delete conflict) as it was before the update."""
    found = git.blobs(repo.root, [("HEAD", path) for path in paths])
    held = [path for path, blob in zip(paths, found, strict=True) if blob is not None]
    if held:  # one the user had deleted stays deleted
        git.run(repo.root, "checkout", "HEAD", "--", *held)
    result.conflicts[:] = [path for path in result.conflicts if path not in paths]


def _tasks(
    config: Mapping[str, Any],
    new: State,
    project: Path,
    trust: bool,
    data: Mapping[str, Any] | None,
    defaults: bool,
    result: UpdateResult,
) -> tuple[list[Migration], dict[str, Any]]:
    """The template's tasks to run in the project after the merge (only with --trust), and
    the ``_copier_conf`` they see (``template_for_tasks`` adds ``src_path``)."""
    if not config.get("_tasks"):
        return [], {}
    if not trust:
        result.notes.append(
            "the template has tasks (_tasks in its copier.yml), which run commands: they were "
            "not run; read them, then update with --trust to run them in the project"
        )
        return [], {}
    conf = {
        "answers_file": str(config.get("_answers_file") or ".copier-answers.yml"),
        "src_path": new.template_source, "vcs_ref": new.template_commit or new.template_version,
        "defaults": defaults, "data": dict(data or {}), "unsafe": True,
    }  # fmt: skip
    tasks = template_tasks(config, new.answers, project, conf)
    result.tasks = [task.name for task in tasks]
    return tasks, conf


def _migrations(
    old: State, new: State, raw: Sequence[Any], chosen: Sequence[plugins.PluginInfo], trust: bool
) -> list[Migration]:
    template = template_migrations(
        raw,
        {"version": old.template_version, "commit": old.template_commit},
        {"version": new.template_version, "commit": new.template_commit},
        new.answers,
    )
    if template and not trust:
        names = "; ".join(f"{m.name!r} ({m.version})" for m in template)
        raise MlscaffoldError(
            f"the template has migrations for this update that run commands ({names}): "
            "read them, then pass --trust to run them"
        )
    return [*template, *plugin_migrations(old.plugins, chosen, new.answers)]


def _changed_managed(
    repo: _Repo,
    snapshot: str,
    commit: str,
    managed: list[str],
    replace: bool,
    owners: Mapping[str, str] | None = None,
) -> list[str]:
    """Managed files the user changed and the update would replace; refused unless
    ``replace``, before anything is written."""
    if not managed:
        return []
    paths = [repo.path(p) for p in managed]

    def differ(a: str, b: str) -> set[str]:
        names = git.run(repo.root, "diff", "--name-only", "-z", "--no-renames", a, b, "--",
                        *paths, strip=False)  # fmt: skip
        return set(filter(None, names.split("\0")))

    changed = sorted(differ(snapshot, "HEAD") & differ("HEAD", commit))
    if changed and not replace:
        owner = (owners or {}).get(changed[0], "template")
        owner = "the template" if owner == "template" else owner
        raise MlscaffoldError(
            f"you changed {', '.join(changed)}, which {owner} manages and the update "
            f"replaces: move your change elsewhere, or pass --replace-managed to take "
            f"{owner}'s version (yours stays in git history)"
        )
    return changed


def _commit_migrations(repo: _Repo, pending: Sequence[Migration], new: State) -> None:
    """What the ``before`` migrations changed becomes a commit of its own: git merges only
    from a clean index, and the change can be reviewed apart from the update."""
    if not git.run(repo.root, "status", "--porcelain", "--untracked-files=all", "--",
                   repo.prefix or "."):  # fmt: skip
        return
    names = "\n".join(f"- {m.name} ({m.source} {m.version})" for m in pending if m.when == "before")
    git.run(repo.root, "add", "--all", "--", repo.prefix or ".")
    git.run(
        repo.root, *git.identity(repo.root, author_of(new)), "commit", "--quiet", "--no-verify",
        "-m", f"mlscaffold migrations before the update to {new.template_version}\n\n{names}",
    )  # fmt: skip


def _take_template_version(
    repo: _Repo, commit: str, paths: list[str], result: UpdateResult
) -> None:
    found = git.blobs(repo.root, [(commit, path) for path in paths])
    for path, content in zip(paths, found, strict=True):
        if content is None:
            git.run(repo.root, "rm", "--quiet", "--force", "--ignore-unmatch", "--", path)
        else:
            git.run(repo.root, "checkout", commit, "--", path)
        if path in result.conflicts:
            result.conflicts.remove(path)


def _bring_back(repo: _Repo, commit: str, restore: list[str], result: UpdateResult) -> list[str]:
    # Deleted by the user: absent from HEAD (the merge may have left the template's copy in
    # the tree, as a modify/delete conflict).
    paths = [repo.path(p) for p in restore]
    found = git.blobs(repo.root, [(rev, p) for p in paths for rev in ("HEAD", commit)])
    back = [p for i, p in enumerate(paths)
            if found[2 * i] is None and found[2 * i + 1] is not None]  # fmt: skip
    _take_template_version(repo, commit, back, result)
    return back


def _stage_migrated(repo: _Repo, conflicts: list[str]) -> None:
    """Stage what ``after`` migrations changed, except conflicted files (staging one would
    mark it resolved)."""
    status = git.run(repo.root, "status", "--porcelain", "-z", "--untracked-files=all", "--",
                     repo.prefix or ".", strip=False)  # fmt: skip
    entries = iter(status.split("\0"))  # -z: paths as they are, never quoted
    paths = []
    for entry in entries:
        if entry[:1] in ("R", "C"):
            next(entries, None)  # a rename's or copy's source path follows
        if entry and entry[1] != " " and entry[3:] not in conflicts:
            paths.append(entry[3:])
    if paths:
        git.run(repo.root, "add", "--all", "--", *paths)


def _locate(project: Path) -> _Repo:
    if not git.available():
        raise MlscaffoldError("git was not found: this command needs git; install it")
    root_path = git.work_tree_of(project)
    if root_path is None:
        raise MlscaffoldError(
            f"{project} is not in a git repository: updates merge through git history, "
            "so they need the repository `mlscaffold new` created"
        )
    prefix = project.resolve().relative_to(root_path).as_posix()
    return _Repo(root_path, "" if prefix == "." else prefix)


def _open_repo(project: Path) -> _Repo:
    repo = _locate(project)
    root_path = repo.root
    git.refuse_lock(root_path)
    unfinished = _Unfinished.found(repo)
    if unfinished is not None:
        if git.run(root_path, "rev-parse", "HEAD", check=False) != unfinished.head and not (
            git.run(root_path, "rev-parse", "HEAD^", check=False) == unfinished.head
            and git.run(root_path, "log", "-1", "--format=%s", check=False).startswith(
                "mlscaffold migrations before the update"
            )
        ):
            unfinished.remove()  # the user has committed since: that update is history
        else:
            raise MlscaffoldError(
                "an earlier update of this project was stopped part-way (its process was "
                "killed): run `mlscaffold update --abort` to put the project back as it was "
                "before it, then update again"
            )
    if git.merging(root_path):
        raise MlscaffoldError(
            "a merge is in progress: finish it with `git commit` or drop it with "
            "`git merge --abort`, then update"
        )
    git_dir = git.git_dir(root_path)
    for marker, operation in IN_PROGRESS.items():
        if (git_dir / marker).exists():
            raise MlscaffoldError(
                f"a {operation} is in progress: finish it (`git {operation} --continue`) or "
                f"drop it (`git {operation} --abort`), then update"
            )
    if not git.run(root_path, "rev-parse", "--verify", "--quiet", "HEAD", check=False):
        raise MlscaffoldError("the repository has no commit yet: commit the project first")
    dirty = _uncommitted(repo)
    if dirty:
        names = [line[3:] for line in dirty]
        shown = ", ".join(names[:3]) + (", ..." if len(dirty) > 3 else "")
        # A FILE.new the last update wrote beside an ignored FILE: say what it is.
        beside = [name.removesuffix(BESIDE) for name in names if name.endswith(BESIDE)]
        beside = [name for name in beside if (root_path / name).is_file()]
        hint = (
            f"; {beside[0]}{BESIDE} is the template's new version of {beside[0]}, written by the "
            "last update: take what you want from it, then delete it"
        ) if beside else ""  # fmt: skip
        raise MlscaffoldError(
            f"the working tree has uncommitted changes ({shown}): commit or stash them first, "
            f"so that the update can be reviewed and undone on its own{hint}"
        )
    return repo


def _uncommitted(repo: _Repo) -> list[str]:
    """What stops an update or shows it was not undone: a change to any tracked file (an
    undo resets the whole index), or an untracked file in the project. Untracked files
    elsewhere in a monorepo are the user's business, and stay as they are."""
    lines = _status(repo.root, "--untracked-files=no")
    inside = _status(repo.root, "--untracked-files=all", "--", repo.prefix or ".")
    return [*lines, *(line for line in inside if line.startswith("??"))]


def _status(root: Path, *args: str) -> list[str]:
    """``git status --porcelain`` entries, ``XY path``, with paths as they are (``-z``)."""
    output = git.run(root, "status", "--porcelain", "-z", *args, strip=False)
    fields = iter(output.split("\0"))
    entries = []
    for entry in fields:
        if entry[:1] in ("R", "C"):
            next(fields, None)  # a rename's or copy's source path follows
        if entry:
            entries.append(entry)
    return entries


def _last_snapshot(repo: _Repo) -> str:
    snapshot = git.find_snapshot(repo.root, repo.prefix)
    if snapshot is None:
        raise MlscaffoldError(_missing_snapshot(repo))
    return snapshot


def _missing_snapshot(repo: _Repo) -> str:
    if git.run(repo.root, "rev-parse", "--is-shallow-repository") == "true":
        return (
            "the project's last pristine snapshot is not in this shallow clone: "
            "run `git fetch --unshallow` and update again"
        )
    return (
        "no pristine snapshot of this project is in its git history (a commit with the "
        f"trailer '{git.trailer(repo.prefix)}'): was it created by `mlscaffold new` with git?"
    )


def _plugin_set(old: State, add: Sequence[str], remove: Sequence[str]) -> list[plugins.PluginInfo]:
    for name in remove:
        if name not in old.plugins:
            used = ", ".join(old.plugins) or "none"
            raise MlscaffoldError(
                f"plugin {name!r} is not used by this project (it uses: {used}): check the name"
            )
    for name in add:
        if name in old.plugins:
            raise MlscaffoldError(f"plugin {name!r} is already used by this project")
    names = (set(old.plugins) | set(add)) - set(remove)
    return plugins.resolve(names)


def _refuse_downgrade(old: State, new: State) -> None:
    from packaging.version import InvalidVersion, Version

    try:
        before, after = Version(old.template_version), Version(new.template_version)
    except InvalidVersion:
        return  # commits and non-PEP 440 tags have no order to compare
    if after < before:
        raise MlscaffoldError(
            f"template version {new.template_version} is older than the project's "
            f"{old.template_version}: mlscaffold does not downgrade projects; "
            "pick a newer --vcs-ref"
        )


def _changes(repo: Path, old: str, new: str) -> list[tuple[str, str]]:
    diff = git.run(repo, "diff", "--name-status", "-z", "--no-renames", old, new, strip=False)
    fields = diff.split("\0")  # -z: a status, then its path as it is (never quoted)
    return [(fields[i][0], fields[i + 1]) for i in range(0, len(fields) - 1, 2) if fields[i]]


def _refuse_overwriting_ignored(repo: _Repo, changes: list[tuple[str, str]]) -> None:
    # git treats ignored files as expendable and would overwrite them silently.
    added = [path for status, path in changes if status == "A"]
    listed = git.run(repo.root, "ls-files", "-z", "--", *added, strip=False) if added else ""
    tracked = set(filter(None, listed.split("\0")))
    clashes = [p for p in added if p not in tracked and (repo.root / p).exists()]
    if clashes:
        raise MlscaffoldError(
            f"the new template adds {', '.join(clashes)}, which you already have as "
            "untracked or ignored files: move them away (or commit them) and update again"
        )


def _predicted_conflicts(repo: Path, commit: str) -> list[str]:
    output = git.run(repo, "merge-tree", "--write-tree", "--name-only", "-z", "HEAD", commit,
                     check=False, strip=False)  # fmt: skip
    fields = output.split("\0")
    # After the tree id come the conflicted paths (as they are, -z), then an empty field
    # and the messages.
    paths = []
    for field_ in fields[1:]:
        if not field_:
            break
        paths.append(field_)
    return sorted(set(paths))


def _restore(at: _Repo, head: str, added: list[str], folders: set[Path]) -> None:
    """Undo an update that failed or was interrupted part-way.

    The working tree was clean before and no added path existed (both were checked), so
    resetting to the commit it was at (undoing any migrations commit), and removing the
    added and untracked files, restores it exactly, even when git was stopped before it
    could record the merge for ``git merge --abort``. The added paths are those no commit
    of the user held: a file the user committed at a path the new version adds is theirs.
    """
    repo = at.root
    if git.merging(repo):
        git.run(repo, "merge", "--abort", check=False)
    git.run(repo, "reset", "--hard", "--quiet", head, check=False)
    untracked = git.run(
        repo, "ls-files", "--others", "--exclude-standard", "-z", "--", at.prefix or ".",
        check=False,
    )  # fmt: skip
    for relative in [*added, *filter(None, untracked.split("\0"))]:
        path = repo / relative
        if path.is_file() or path.is_symlink():
            path.unlink()
        for parent in path.parents:  # folders the merge created for it, and only those
            if parent in folders:
                break
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()


def _keep_checklist_progress(repo: _Repo, base: str, commit: str, result: UpdateResult) -> None:
    """Re-apply the team's ticks to re-rendered checklists, when ticks are all they changed.

    A checklist whose items the template reworded or extended would otherwise conflict
    on every ticked line; anything else the user edited is left to git's merge.
    """
    paths = [repo.path(f"{stage.folder}/{CHECKLIST_FILE}") for stage in STAGES]
    revisions = (base, "HEAD", commit)
    found = git.blobs(repo.root, [(rev, path) for path in paths for rev in revisions])
    for i, path in enumerate(paths):
        old, ours, new = (
            (text or b"").decode("utf-8", errors="replace") for text in found[3 * i : 3 * i + 3]
        )
        if not (old and ours and new) or ours == old:
            continue
        if without_progress(ours) != without_progress(old):
            continue
        (repo.root / path).write_text(carry_progress(ours, new), encoding="utf-8")
        git.run(repo.root, "add", "--", path)
        if path in result.conflicts:
            result.conflicts.remove(path)


def diff_since_snapshot(path: Path) -> str:
    """The project's own changes since its last pristine snapshot, as ``git diff``."""
    repo = _locate(find_project(path))
    snapshot = _last_snapshot(repo)
    return git.run(repo.root, "diff", snapshot, "--", repo.prefix or ".")


def list_files(path: Path) -> list[dict[str, Any]]:
    """Each file of the last pristine snapshot: owner, policy, and whether the project has
    changed it since (``unchanged``, ``modified`` or ``deleted``)."""
    project = find_project(path)
    state = read_state(project)
    repo = _locate(project)
    snapshot = _last_snapshot(repo)
    where = repo.prefix or "."
    listed = git.run(repo.root, "ls-tree", "-r", "-z", "--name-only", snapshot, "--", where,
                     strip=False)  # fmt: skip
    diff = git.run(repo.root, "diff", "--name-status", "-z", "--no-renames", snapshot, "--", where,
                   strip=False)  # fmt: skip
    words = {"D": "deleted"}
    fields = diff.split("\0")
    changed = {fields[i + 1]: words.get(fields[i][0], "modified")
               for i in range(0, len(fields) - 1, 2) if fields[i]}  # fmt: skip
    rows = []
    for name in filter(None, listed.split("\0")):
        relative = name[len(repo.prefix) + 1 :] if repo.prefix else name
        info = Owned.from_data(state.files.get(relative, {}))
        rows.append({"path": relative, "owner": info.owner, "policy": info.policy,
                     "restore": info.restore, "state": changed.get(name, "unchanged")})  # fmt: skip
    return rows


__all__ = [
    "EXIT_CONFLICTS", "STATE_FILE", "UpdateResult", "abort_update", "diff_since_snapshot",
    "list_files", "update_project",
]  # fmt: skip

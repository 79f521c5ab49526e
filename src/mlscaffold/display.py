"""How results look in a terminal; the CLI decides what to show.

Quick commands print plain lines (``columns``, ``summary``); tables with wrapped cells,
trees and colours use rich, which is imported only by the functions that draw them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlscaffold.policies import BESIDE

if TYPE_CHECKING:  # only for annotations: `--help` must not import the rendering machinery
    from rich.console import Console

    from mlscaffold.project import Created
    from mlscaffold.status import ProjectStatus, StageStatus
    from mlscaffold.update import UpdateResult

#: Set by ``--verbose``: list every file created or changed.
verbose = False


def plain() -> bool:
    """No escape sequence at all (colour, bold, dim, cursor movement): NO_COLOR set to
    anything, or a terminal that cannot show them (TERM=dumb)."""
    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"


def bar(fraction: float, width: int = 20) -> str:
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled)


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of left-aligned columns, the first row being the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows]  # fmt: skip


def summary(report: ProjectStatus) -> list[str]:
    """The progress of every stage, for `mlscaffold status`."""
    rows = [("stage", "done", "required open", "progress")]
    rows += [
        (f"{s.stage.number}. {s.stage.title}", f"{s.done}/{s.total}", str(len(s.required_open)),
         f"{bar(s.progress)} {s.progress:4.0%}")
        for s in report.stages
    ]  # fmt: skip
    return [
        f"{report.root.name}: checklist progress",
        "",
        *columns(rows),
        "",
        f"Overall {report.progress:.0%} done; readiness {report.readiness:.0%} "
        "(the weakest stage, as the ML Test Score counts it).",
    ]


def print_stage_items(console: Console, stage_status: StageStatus) -> None:
    from rich.markup import escape
    from rich.table import Table

    s = stage_status
    table = Table(
        title=f"{s.stage.number}. {s.stage.title}: {s.done}/{s.total} done",
        title_justify="left",
        show_lines=True,
    )
    for column in ("", "item", "why it matters / source"):
        table.add_column(column)
    symbols = {"done": "[green]✓[/green]", "open": "[red]✗[/red]", "n/a": "n/a"}
    for item in s.items:
        name = f"{escape(item.title)}\n[dim]{escape(item.id)}" + (
            ", required[/dim]" if item.required else "[/dim]"
        )
        notes = [escape(item.why)] if item.why else []
        if item.source:
            notes.append(f"[dim]{escape('; '.join(item.source))}[/dim]")
        if item.check:
            notes.append(f"check: {escape(item.check)}")
        if item.detail or item.reason:
            notes.append(f"[yellow]{escape(item.detail or 'n/a: ' + item.reason)}[/yellow]")
        table.add_row(symbols[item.outcome], name, "\n".join(notes))
    console.print(table)


def print_created(console: Console, created: Created) -> None:
    """What ``new`` made: a short tree (every file with --verbose)."""
    from rich.markup import escape
    from rich.tree import Tree

    state = created.state
    commit = f", first commit {created.commit[:10]}" if created.commit else ""
    files = []
    for folder, subfolders, names in os.walk(created.path):
        subfolders[:] = [name for name in subfolders if name != ".git"]  # not its objects
        files += [Path(folder, name).relative_to(created.path) for name in names]
    files.sort()
    version = f" {state.template_version}" if state.template_version else ""
    console.print(
        f"[green]Created[/green] {escape(created.path.name)} from "
        f"{escape(state.template_source + version)}: {len(files)} files{commit}",
        soft_wrap=True,  # one line a pipe or log can search, not broken at 80 columns
    )
    tree = Tree(escape(created.path.name))
    branches: dict[str, Any] = {}
    for relative in files:
        top = relative.parts[0]
        if len(relative.parts) == 1:
            tree.add(escape(top))
            continue
        branch = branches.get(top) or branches.setdefault(top, tree.add(escape(top) + "/"))
        if verbose:
            branch.add(escape(relative.relative_to(top).as_posix()))
        elif top == "stages" and len(relative.parts) == 3 and relative.name == "CHECKLIST.md":
            branch.add(escape(relative.parts[1]) + "/")
    console.print(tree)


def update_json(result: UpdateResult) -> dict[str, Any]:
    def owner(path: str) -> str:
        return result.owners.get(path, "template")

    return {
        "schema_version": 1,
        "from_version": result.old.template_version,
        "to_version": result.new.template_version,
        "layers": result.layers,
        "up_to_date": result.up_to_date,
        "dry_run": result.dry_run,
        "changes": [{"status": s, "path": p, "owner": owner(p)} for s, p in result.changes],
        "conflicts": result.conflicts,
        "migrations": [m.record() for m in result.migrations],
        "replaced": result.replaced,
        "restored": result.restored,
        "kept": result.kept,
        "ignored": [
            {"path": path, "action": action, "new": path + (BESIDE if action == "beside" else "")}
            for path, action in result.ignored
        ],
        "tasks": result.tasks,
    }


def _the(owner: str) -> str:
    return "the template" if owner == "template" else owner


def layer_name(layer: dict[str, str]) -> str:
    """``template``, a plugin's distribution (``mlscaffold-acme``), or ``plugin acme``."""
    return layer["distribution"] or layer["layer"]


def layer_moves(layers: Sequence[dict[str, str]]) -> list[str]:
    """What changed in each layer: ``mlscaffold-acme 1.0.0 → 2.0.0``, ``added ...``."""
    moves = []
    for layer in layers:
        name, before, after = layer_name(layer), layer["from_version"], layer["to_version"]
        if layer["layer"] != "template" and not before and after != before:
            moves.append(f"adding {name} {after}".rstrip())
        elif layer["layer"] != "template" and not after and after != before:
            moves.append(f"removing {name} {before}".rstrip())
        elif before != after:
            moves.append(f"{name} {before} → {after}")
    return moves


def print_files(console: Console, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("path", "owner", "policy", "state"):
        table.add_column(column)
    colours = {"modified": "yellow", "deleted": "red"}
    for row in rows:
        policy = row["policy"] + (" +restore" if row["restore"] else "")
        state = row["state"]
        shown = f"[{colours[state]}]{state}[/{colours[state]}]" if state in colours else state
        table.add_row(escape(row["path"]), escape(row["owner"]), policy, shown)
    console.print(table)


def print_update(console: Console, result: UpdateResult) -> None:
    from rich.markup import escape

    current = ", ".join(f"{layer_name(layer)} {layer['to_version']}".rstrip()
                        for layer in result.layers if layer["to_version"] or layer["layer"]
                        == "template")  # fmt: skip
    if result.up_to_date:
        console.print(f"Already up to date: {escape(current)}.")
    else:
        words = {"A": "added", "M": "changed", "D": "removed", "T": "changed"}
        moves = ", ".join(layer_moves(result.layers))
        console.print(
            f"{'Would update' if result.dry_run else 'Updating'} "
            f"{escape(moves or 'with no version change (' + current + ')')}:"
        )
        for migration in result.migrations:
            verb = "Would run" if result.dry_run else "Ran"
            console.print(
                f"  {verb} migration {escape(migration.name)} ({escape(migration.source)} "
                f"{escape(migration.version)}, {migration.when} the merge)"
            )
        owner = result.owners.get
        for status, changed in result.changes:
            mark = " [red](conflict)[/red]" if changed in result.conflicts else ""
            console.print(
                f"  {words.get(status, status)}: {escape(changed)}{mark}, "
                f"from {escape(_the(owner(changed, 'template')))}"
            )
        for path in result.replaced:
            console.print(
                f"  took {escape(_the(owner(path, 'template')))}'s version of {escape(path)} "
                "(managed)"
            )
        for path in result.restored:
            console.print(
                f"  restored {escape(path)} from {escape(_the(owner(path, 'template')))}, "
                "which you had deleted"
            )
        for path in result.kept:
            console.print(f"  kept {escape(path)}, which you had changed: it is the project's now")
        for path, action in result.ignored:
            if action in ("created", "updated"):
                verbs = {
                    "created": ("would write", "wrote"),
                    "updated": ("would update", "updated"),
                }
                why = "" if action == "created" else ", which you had not changed"
                console.print(
                    f"  {verbs[action][not result.dry_run]} {escape(path)} (ignored by git, so "
                    f"not in the merge{why})"
                )
            else:
                shown, new = escape(path), escape(path + BESIDE)
                console.print(
                    f"  {'would write' if result.dry_run else 'wrote'} the template's new "
                    f"version of {shown} beside yours, as {new} ({shown} is ignored by git and "
                    f"you changed it): compare with `diff {shown} {new}`, take what you want, "
                    f"then delete {new}",
                    soft_wrap=True,
                )
        for task in result.tasks:
            console.print(f"  {'Would run' if result.dry_run else 'Ran'} task {escape(task)}")
        if result.conflicts and not result.dry_run:
            console.print(
                f"[red]{len(result.conflicts)} conflict(s)[/red]: resolve them (`git status`, "
                "`git mergetool`), then `git commit`; or undo with `git merge --abort`.",
                soft_wrap=True,
            )
        elif result.conflicts:
            console.print(f"[red]{len(result.conflicts)} file(s) would conflict.[/red]")
        elif not result.dry_run:
            console.print(
                "Merged and staged for review: `git diff --cached`, then `git commit`; "
                "or undo with `git merge --abort`.",
                soft_wrap=True,
            )
        if not result.dry_run and any(m.when == "before" for m in result.migrations):
            console.print(
                "The migrations run before the merge are a commit of their own: after "
                "`git merge --abort`, `git reset --hard HEAD~1` drops them too.",
                soft_wrap=True,
            )

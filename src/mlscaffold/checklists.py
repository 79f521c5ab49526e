"""Stage checklists: items are data, rendered to one ``CHECKLIST.md`` per stage.

A template ships its items in ``checklists.toml`` beside its ``copier.yml`` (see the
built-in template for the format); plugins add theirs through a hook. Items may apply
only to some answers (``when``) and may carry a ``verify`` table that ``mlscaffold check``
runs instead of trusting a tick. A rendered project holds the definitions in
``stages/checklist.toml`` and the progress in the ``CHECKLIST.md`` files people edit:

    - [ ] Open item (`core.data.schema`, required)
    - [x] Done item (`core.data.report`)
    - [-] Not applicable (`core.data.pii`)
      - N/A: the data holds no personal information
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold.errors import MlscaffoldError
from mlscaffold.stages import STAGE_IDS, STAGES

CHECKLIST_FILE = "CHECKLIST.md"
ITEMS_FILE = "checklists.toml"
DEFINITIONS_FILE = "stages/checklist.toml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
VERIFY_KINDS = {
    "file_exists": ("path",),
    "file_contains": ("path", "pattern"),
    "json_compare": ("path", "left", "op", "right"),
    "command": ("run",),
}


def read_toml(text: str) -> dict[str, Any]:
    """Parse TOML for reading only: the standard library's fast parser where there is one."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomlkit, which mlscaffold needs anyway
        import tomlkit

        return tomlkit.parse(text).unwrap()
    return tomllib.loads(text)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    stage: str
    title: str
    why: str = ""
    source: tuple[str, ...] = ()
    required: bool = False
    verify: Mapping[str, Any] | None = None
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def applies_to(self, answers: Mapping[str, Any]) -> bool:
        return all(str(answers.get(key)) in allowed for key, allowed in self.when.items())


def item_from_data(data: Mapping[str, Any], origin: str) -> ChecklistItem:
    """Build an item from a TOML table or a plugin's dict; ``origin`` names it in errors."""
    if not isinstance(data, Mapping):
        raise MlscaffoldError(f"{origin}: a checklist item must be a table, got {data!r}")
    item_id = data.get("id")
    where = f"{origin}: checklist item {item_id!r}" if item_id else f"{origin}: a checklist item"
    if not isinstance(item_id, str) or not ID_PATTERN.match(item_id):
        raise MlscaffoldError(
            f"{where} needs an id like 'core.data.schema' (lowercase words joined by dots)"
        )
    if data.get("stage") not in STAGE_IDS:
        raise MlscaffoldError(
            f"{where} has stage {data.get('stage')!r}: use one of {', '.join(STAGE_IDS)}"
        )
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise MlscaffoldError(f"{where} needs a non-empty title")
    source = data.get("source", ())
    if isinstance(source, str):
        source = (source,)
    verify = data.get("verify")
    if verify is not None:
        needed = VERIFY_KINDS.get(verify.get("kind")) if isinstance(verify, Mapping) else None
        if needed is None:
            raise MlscaffoldError(
                f"{where} has a verify table without a known kind: use one of "
                f"{', '.join(VERIFY_KINDS)}"
            )
        missing = [key for key in needed if key not in verify]
        if missing:
            raise MlscaffoldError(f"{where}: verify kind {verify['kind']!r} needs {missing}")
        verify = dict(verify)
    when = {
        str(key): tuple(str(v) for v in (values if isinstance(values, list) else [values]))
        for key, values in dict(data.get("when", {})).items()
    }
    return ChecklistItem(
        id=item_id,
        stage=data["stage"],
        title=data["title"].strip(),
        why=str(data.get("why", "")).strip(),
        source=tuple(str(s) for s in source),
        required=bool(data.get("required", False)),
        verify=verify,
        when=when,
    )


def load_items(template_dir: Path) -> list[ChecklistItem]:
    """Read a template's ``checklists.toml``; a template without one has no items."""
    path = template_dir / ITEMS_FILE
    if not path.is_file():
        return []
    stat = path.stat()
    return list(_parse_items(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parse_items(path: str, mtime_ns: int, size: int) -> tuple[ChecklistItem, ...]:
    # The hook asks once per stage; parsing the file once per render keeps that cheap.
    try:
        document = read_toml(Path(path).read_text(encoding="utf-8"))
    except Exception as error:  # the TOML readers raise several parse error types
        raise MlscaffoldError(f"{ITEMS_FILE} of the template is not valid TOML: {error}") from None
    return tuple(item_from_data(e, f"template {ITEMS_FILE}") for e in document.get("item", []))


def describe_verify(verify: Mapping[str, Any]) -> str:
    kind = verify["kind"]
    if kind == "file_exists":
        return f"`{verify['path']}` exists"
    if kind == "file_contains":
        if verify.get("absent"):
            return f"no match for `{verify['pattern']}` in `{verify['path']}`"
        return f"`{verify['path']}` matches `{verify['pattern']}`"
    if kind == "json_compare":
        margin = f" + {verify['margin']}" if verify.get("margin") else ""
        return (
            f"in `{verify['path']}`, `{verify['left']}` {verify['op']} `{verify['right']}`{margin}"
        )
    return f"`{verify['run']}` passes"


def render_markdown(stage_id: str, items: Iterable[ChecklistItem]) -> str:
    """The ``CHECKLIST.md`` of one stage."""
    stage = next(s for s in STAGES if s.id == stage_id)
    lines = [
        f"# Checklist: {stage.number}. {stage.title}",
        "",
        "Tick an item (`- [x]`) when it is done. If it does not apply, mark it `- [-]` and give",
        "the reason on a line below it: `  - N/A: why`. Items marked *required* gate the stage:",
        "`mlscaffold status` shows progress and `mlscaffold check` fails while they are open.",
        "",
    ]
    for item in items:
        flags = ", required" if item.required else ""
        lines.append(f"- [ ] {item.title} (`{item.id}`{flags})")
        if item.why:
            lines.append(f"  - Why: {item.why}")
        if item.source:
            lines.append(f"  - Source: {'; '.join(item.source)}")
        if item.verify:
            lines.append(f"  - Check: {describe_verify(item.verify)}")
    return "\n".join(lines) + "\n"


def render_definitions(items: Iterable[ChecklistItem]) -> str:
    """``stages/checklist.toml``: every item with its verification, for status and check."""
    # A file mlscaffold writes whole and never edits: tomli-w writes it ten times faster
    # than tomlkit, which only pays off for files people edit.
    import tomli_w

    entries = []
    for item in items:
        entry: dict[str, Any] = {"id": item.id, "stage": item.stage, "title": item.title}
        if item.why:
            entry["why"] = item.why
        entry["source"] = list(item.source)
        entry["required"] = item.required
        if item.verify:
            entry["verify"] = dict(item.verify)
        entries.append(entry)
    header = (
        "# Checklist definitions, written by mlscaffold: tick items in the\n"
        "# stages' CHECKLIST.md files, not here.\n"
    )
    return header + tomli_w.dumps({"schema_version": 1, "item": entries})


def load_definitions(project: Path) -> dict[str, ChecklistItem]:
    """The items defined for a project, by id; none when it has no definitions file."""
    path = project / DEFINITIONS_FILE
    if not path.is_file():
        return {}
    try:
        data = read_toml(path.read_text(encoding="utf-8"))
    except Exception as error:  # the TOML readers raise several parse error types
        raise MlscaffoldError(
            f"{DEFINITIONS_FILE} is not valid TOML ({error}): restore it with git"
        ) from None
    items = [item_from_data(entry, DEFINITIONS_FILE) for entry in data.get("item", [])]
    return {item.id: item for item in items}


def write_checklists(project: Path, items: Iterable[ChecklistItem]) -> list[str]:
    """Write each stage's checklist and the definitions; returns the relative paths written."""
    items = list(items)
    by_stage: dict[str, list[ChecklistItem]] = {}
    for item in items:
        by_stage.setdefault(item.stage, []).append(item)
    written = []
    for stage in STAGES:
        if stage.id not in by_stage:
            continue
        relative = f"{stage.folder}/{CHECKLIST_FILE}"
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_markdown(stage.id, by_stage[stage.id]), encoding="utf-8")
        written.append(relative)
    if items:
        (project / DEFINITIONS_FILE).write_text(render_definitions(items), encoding="utf-8")
        written.append(DEFINITIONS_FILE)
    return written


@dataclass(frozen=True)
class Entry:
    """One item as it stands in a ``CHECKLIST.md``."""

    id: str
    title: str
    mark: str  # "todo", "done" or "n/a"
    required: bool
    path: str
    line: int
    reason: str = ""


ITEM_LINE = re.compile(
    r"^\s*[-*+]\s+\[(?P<mark>[ xX-])\]\s+(?P<title>.*?)\s*"
    r"\(\s*`(?P<id>[^`]+)`\s*(?P<flags>(?:,\s*[a-z]+\s*)*)\)\s*$"
)
CHECKBOX_LINE = re.compile(r"^\s*[-*+]\s+\[.?\]")
REASON_LINE = re.compile(r"^\s+[-*+]\s+n/?a\s*:\s*(?P<reason>.*\S)?\s*$", re.IGNORECASE)
MARKS = {" ": "todo", "x": "done", "X": "done", "-": "n/a"}


def parse_markdown(text: str, path: str) -> tuple[list[Entry], list[str]]:
    """Items and problems (``path:line: message``) of one ``CHECKLIST.md``.

    Parsing is tolerant of spacing, ``[X]`` and reordered lines; a line that looks like
    a checklist item but cannot be read is reported, never guessed.
    """
    entries: list[Entry] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = ITEM_LINE.match(line)
        if match:
            flags = {f.strip() for f in match["flags"].split(",") if f.strip()}
            unknown = flags - {"required"}
            if unknown:
                problems.append(f"{path}:{number}: unknown flag {', '.join(sorted(unknown))}")
            entries.append(
                Entry(
                    id=match["id"].strip(),
                    title=match["title"],
                    mark=MARKS[match["mark"]],
                    required="required" in flags,
                    path=path,
                    line=number,
                )
            )
        elif CHECKBOX_LINE.match(line):
            problems.append(
                f"{path}:{number}: cannot read this item: write it as "
                "`- [ ] Title (`stage.id`)` with [ ], [x] or [-]"
            )
        elif (reason := REASON_LINE.match(line)) and entries and entries[-1].mark == "n/a":
            last = entries[-1]
            entries[-1] = Entry(**{**last.__dict__, "reason": reason["reason"] or ""})
    for entry in entries:
        if entry.mark == "n/a" and not entry.reason:
            problems.append(
                f"{path}:{entry.line}: {entry.id} is marked not applicable without a reason: "
                "add a line `  - N/A: why` below it"
            )
    return entries, problems


def without_progress(text: str) -> str:
    """A checklist with every tick and not-applicable reason taken out."""
    lines = []
    for line in text.splitlines():
        if REASON_LINE.match(line):
            continue
        match = ITEM_LINE.match(line)
        if match:
            start, end = match.span("mark")
            line = f"{line[:start]} {line[end:]}"
        lines.append(line)
    return "\n".join(lines)


def carry_progress(progress_from: str, onto: str) -> str:
    """``onto`` (a freshly rendered checklist) with the ticks and reasons of ``progress_from``,
    matched by item id, so that a re-rendered checklist keeps a team's progress."""
    entries, _ = parse_markdown(progress_from, "")
    marks = {entry.id: entry for entry in entries}
    symbols = {"todo": " ", "done": "x", "n/a": "-"}
    lines = []
    for line in onto.splitlines():
        match = ITEM_LINE.match(line)
        entry = marks.get(match["id"].strip()) if match else None
        if match and entry:
            start, end = match.span("mark")
            line = f"{line[:start]}{symbols[entry.mark]}{line[end:]}"
            lines.append(line)
            if entry.mark == "n/a" and entry.reason:
                indent = len(line) - len(line.lstrip())
                lines.append(f"{' ' * (indent + 2)}- N/A: {entry.reason}")
            continue
        lines.append(line)
    return "\n".join(lines) + ("\n" if onto.endswith("\n") else "")

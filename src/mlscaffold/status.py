"""Where a project stands: its checklists read back, verified, and gated.

``CHECKLIST.md`` files hold the progress people record; ``stages/checklist.toml`` holds
what each item means and how to verify it. An item with a verification is judged by
it, not by its tick (commands run only when asked, each with a timeout).
"""

from __future__ import annotations

import json
import operator
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold.checklists import (
    CHECKLIST_FILE,
    ChecklistItem,
    Entry,
    describe_verify,
    load_definitions,
    parse_markdown,
)
from mlscaffold.errors import MlscaffoldError
from mlscaffold.stages import STAGE_IDS, STAGES, Stage
from mlscaffold.state import STATE_FILE

DEFAULT_TIMEOUT = 300
OPERATORS = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


@dataclass
class ItemStatus:
    id: str
    stage: str
    title: str
    required: bool
    outcome: str  # "done", "open" or "n/a"
    mark: str  # what the CHECKLIST.md says: "todo", "done", "n/a" or "missing"
    verified: bool | None = None  # None: no verification ran
    detail: str = ""
    reason: str = ""
    why: str = ""
    source: tuple[str, ...] = ()
    check: str = ""
    location: str = ""


@dataclass
class StageStatus:
    stage: Stage
    items: list[ItemStatus] = field(default_factory=list)

    @property
    def counted(self) -> list[ItemStatus]:
        return [item for item in self.items if item.outcome != "n/a"]

    @property
    def done(self) -> int:
        return sum(item.outcome == "done" for item in self.counted)

    @property
    def total(self) -> int:
        return len(self.counted)

    @property
    def required_open(self) -> list[ItemStatus]:
        return [item for item in self.counted if item.required and item.outcome == "open"]

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass
class ProjectStatus:
    root: Path
    stages: list[StageStatus]
    problems: list[str]

    @property
    def readiness(self) -> float:
        """The weakest stage's progress, as the ML Test Score takes the minimum section."""
        return min((s.progress for s in self.stages if s.items), default=0.0)

    @property
    def progress(self) -> float:
        done = sum(s.done for s in self.stages)
        total = sum(s.total for s in self.stages)
        return done / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "progress": round(self.progress, 4),
            "readiness": round(self.readiness, 4),
            "problems": self.problems,
            "stages": [
                {
                    "id": s.stage.id,
                    "title": s.stage.title,
                    "done": s.done,
                    "total": s.total,
                    "progress": round(s.progress, 4),
                    "required_open": [item.id for item in s.required_open],
                    "items": [{**asdict(i), "source": list(i.source)} for i in s.items],
                }
                for s in self.stages
            ],
        }


def find_project(path: Path) -> Path:
    """The project holding ``path``: the nearest folder upwards with a state file."""
    start = path.resolve()
    if not start.exists():
        raise MlscaffoldError(f"{path} does not exist: give the path of an mlscaffold project")
    for folder in [start, *start.parents]:
        if (folder / STATE_FILE).is_file():
            return folder
    raise MlscaffoldError(
        f"{path} is not inside an mlscaffold project (no {STATE_FILE} found upwards): "
        "run this in a project made with `mlscaffold new`"
    )


def project_status(
    project: Path,
    stages: Iterable[str] = (),
    *,
    run_commands: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ProjectStatus:
    """Read, verify and score the checklists of ``project`` (all stages when none named)."""
    wanted = list(stages) or list(STAGE_IDS)
    unknown = [s for s in wanted if s not in STAGE_IDS]
    if unknown:
        raise MlscaffoldError(f"unknown stage {unknown[0]!r}: use one of {', '.join(STAGE_IDS)}")
    definitions = load_definitions(project)
    entries, problems = _read_entries(project)
    result = []
    for stage in STAGES:
        if stage.id not in wanted:
            continue
        status = StageStatus(stage)
        seen = set()
        for entry in entries.get(stage.id, []):
            seen.add(entry.id)
            item = definitions.get(entry.id)
            status.items.append(_judge(project, entry, item, run_commands, timeout))
        for item in definitions.values():
            if item.stage == stage.id and item.id not in seen:
                problems.append(
                    f"{stage.folder}/{CHECKLIST_FILE}: item {item.id} was deleted; "
                    "it counts as open until it is restored or marked [-] with a reason"
                )
                missing = Entry(item.id, item.title, "missing", item.required, "", 0)
                status.items.append(_judge(project, missing, item, run_commands, timeout))
        result.append(status)
    return ProjectStatus(root=project, stages=result, problems=problems)


def _read_entries(project: Path) -> tuple[dict[str, list[Entry]], list[str]]:
    entries: dict[str, list[Entry]] = {}
    problems: list[str] = []
    where: dict[str, str] = {}
    for stage in STAGES:
        relative = f"{stage.folder}/{CHECKLIST_FILE}"
        path = project / relative
        if not path.is_file():
            continue
        found, trouble = parse_markdown(path.read_text(encoding="utf-8"), relative)
        problems.extend(trouble)
        for entry in found:
            location = f"{relative}:{entry.line}"
            if entry.id in where:
                problems.append(f"{location}: item {entry.id} is also at {where[entry.id]}")
                continue
            where[entry.id] = location
            entries.setdefault(stage.id, []).append(entry)
    return entries, problems


def _judge(
    project: Path, entry: Entry, item: ChecklistItem | None, run_commands: bool, timeout: float
) -> ItemStatus:
    status = ItemStatus(
        id=entry.id,
        stage=item.stage if item else "",
        title=item.title if item else entry.title,
        required=item.required if item else entry.required,
        outcome={"done": "done", "n/a": "n/a"}.get(entry.mark, "open"),
        mark=entry.mark,
        reason=entry.reason,
        why=item.why if item else "",
        source=item.source if item else (),
        check=describe_verify(item.verify) if item and item.verify else "",
        location=f"{entry.path}:{entry.line}" if entry.line else "",
    )
    if entry.mark == "n/a" and entry.reason:
        return status
    if entry.mark == "n/a":
        status.outcome = "open"
        status.detail = "marked not applicable without a reason"
        return status
    if not item or not item.verify:
        return status
    if item.verify["kind"] == "command" and not run_commands:
        status.detail = "its command was not run (pass --run)"
        return status
    passed, detail = verify(project, item.verify, timeout)
    status.verified = passed
    status.outcome = "done" if passed else "open"
    if not passed:
        status.detail = f"ticked, but {detail}" if entry.mark == "done" else detail
    return status


def verify(project: Path, spec: Mapping[str, Any], timeout: float) -> tuple[bool, str]:
    """Run one verification; ``(passed, why it failed)``."""
    kind = spec["kind"]
    try:
        if kind == "file_exists":
            pattern = _inside(project, str(spec["path"]))
            found = any(project.glob(pattern))
            return found, "" if found else f"{spec['path']} does not exist"
        if kind == "file_contains":
            text = (project / _inside(project, str(spec["path"]))).read_text(encoding="utf-8")
            match = re.search(str(spec["pattern"]), text, re.MULTILINE)
            if spec.get("absent"):
                line = text[: match.start()].count("\n") + 1 if match else 0
                return not match, f"{spec['path']}:{line} still has {match[0]!r}" if match else ""
            return bool(match), "" if match else f"{spec['path']} lacks {spec['pattern']!r}"
        if kind == "json_compare":
            return _compare(project, spec)
        if kind == "command":
            return _command(project, str(spec["run"]), float(spec.get("timeout", timeout)))
    except FileNotFoundError:
        return False, f"{spec.get('path')} does not exist"
    except (OSError, UnicodeDecodeError, re.error, ValueError) as error:
        return False, f"cannot verify ({error})"
    return False, f"unknown verification kind {kind!r}"


def _inside(project: Path, relative: str) -> str:
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise ValueError(f"path {relative!r} must stay inside the project")
    return relative


def _compare(project: Path, spec: Mapping[str, Any]) -> tuple[bool, str]:
    path = _inside(project, str(spec["path"]))
    document = json.loads((project / path).read_text(encoding="utf-8"))
    left = _number(document, spec["left"])
    right = _number(document, spec["right"])
    op = str(spec["op"])
    if op not in OPERATORS:
        raise ValueError(f"unknown operator {op!r}")
    margin = float(spec.get("margin", 0))
    # The margin always asks for more: bigger when more is better, smaller when less is.
    target = right + margin if op in (">", ">=") else right - margin if op in ("<", "<=") else right
    passed = OPERATORS[op](left, target)
    return passed, "" if passed else f"{spec['left']} = {left:g} is not {op} {target:g} in {path}"


def _number(document: Any, ref: Any) -> float:
    if isinstance(ref, (int, float)):
        return float(ref)
    value = document
    for token in str(ref).split("/")[1:]:  # JSON pointer, RFC 6901
        token = token.replace("~1", "/").replace("~0", "~")
        try:
            value = value[int(token)] if isinstance(value, list) else value[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValueError(f"{ref} is not in the file") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{ref} is {value!r}, not a number")
    return float(value)


def project_environment(project: Path) -> dict[str, str]:
    """The environment a ``command`` check runs in: the project's own virtualenv
    (``.venv``) first on PATH when it has one, so ``python`` and the tools a check names
    are the project's, not those of wherever mlscaffold is installed."""
    import os

    env = dict(os.environ)
    for scripts in ("bin", "Scripts"):  # POSIX, Windows
        folder = project / ".venv" / scripts
        if folder.is_dir():
            env["PATH"] = os.pathsep.join([str(folder.resolve()), env.get("PATH", "")])
            env["VIRTUAL_ENV"] = str(folder.parent.resolve())
            env.pop("PYTHONHOME", None)
            break
    return env


def _command(project: Path, command: str, timeout: float) -> tuple[bool, str]:
    try:
        result = subprocess.run(
            command, shell=True, cwd=project, capture_output=True, text=True, timeout=timeout,
            env=project_environment(project),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return False, f"`{command}` timed out after {timeout:g} s"
    if result.returncode == 0:
        return True, ""
    output = (result.stderr.strip() or result.stdout.strip()).splitlines()
    last = f": {output[-1]}" if output else ""
    return False, f"`{command}` exited with {result.returncode}{last}"

"""The project's state file, ``.mlscaffold.toml``: how the project was generated.

It records, portably, what ``render`` needs to reproduce the pristine tree: the
template source as the user gave it and the version or commit rendered, the answers,
the plugins, each file's owner and policy where they differ from the default (the
template, ``merge``), and the migrations that have run. ``update`` reads it back.

It also remembers each plugin the project stopped using (``[removed.NAME]``): its version,
its answers, its checklist items' progress and the files of its the user had changed and
kept, so that ``mlscaffold add NAME`` brings the plugin back as it was.

And the answers to questions the template no longer asks (``[retired_answers]``: a
question renamed or removed by a new version), so that no answer is lost silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold.checklists import read_toml
from mlscaffold.errors import MlscaffoldError

STATE_FILE = ".mlscaffold.toml"
SCHEMA_VERSION = 1


@dataclass
class State:
    template_source: str
    template_version: str
    answers: dict[str, Any]
    template_commit: str = ""
    plugins: dict[str, dict[str, str]] = field(default_factory=dict)
    mlscaffold_version: str = ""
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    migrations: list[dict[str, str]] = field(default_factory=list)
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)
    retired_answers: dict[str, Any] = field(default_factory=dict)

    def to_toml(self) -> str:
        import tomlkit  # kept for writing only: commands that just read the state stay quick

        document = tomlkit.document()
        document.add(
            tomlkit.comment("How this project was generated; `mlscaffold update` reads it.")
        )
        document.add(
            tomlkit.comment("Edit answers with `mlscaffold update -d KEY=VALUE`, not by hand.")
        )
        document.add("schema_version", SCHEMA_VERSION)
        document.add("mlscaffold_version", self.mlscaffold_version)
        template = tomlkit.table()
        template.add("source", self.template_source)
        template.add("version", self.template_version)
        if self.template_commit:
            template.add("commit", self.template_commit)
        document.add("template", template)
        document.add("answers", _table(self.answers))
        plugins = tomlkit.table()
        for name, info in sorted(self.plugins.items()):
            plugins.add(name, _table(info))
        document.add("plugins", plugins)
        if self.files:
            files = tomlkit.table()
            for path, info in sorted(self.files.items()):
                files.add(path, _inline(info))
            document.add("files", files)
        if self.migrations:
            ran = tomlkit.aot()
            for entry in self.migrations:
                ran.append(_table(entry))
            document.add("migrations", ran)
        if self.removed:
            removed = tomlkit.table()
            for name, memory in sorted(self.removed.items()):
                table = tomlkit.table()
                for key, value in memory.items():
                    table.add(key, _table(value) if isinstance(value, Mapping) else value)
                removed.add(name, table)
            document.add("removed", removed)
        if self.retired_answers:
            document.add("retired_answers", _table(self.retired_answers))
        return tomlkit.dumps(document)

    @classmethod
    def from_toml(cls, text: str) -> State:
        try:
            data = read_toml(text)
            if data.get("schema_version") != SCHEMA_VERSION:
                raise ValueError(f"unknown schema_version {data.get('schema_version')!r}")
            _check_shape(data)
            template = data["template"]
            return cls(
                template_source=str(template["source"]),
                template_version=str(template.get("version", "")),
                template_commit=str(template.get("commit", "")),
                answers=dict(data.get("answers", {})),
                plugins={k: dict(v) for k, v in data.get("plugins", {}).items()},
                mlscaffold_version=str(data.get("mlscaffold_version", "")),
                files={str(k): dict(v) for k, v in data.get("files", {}).items()},
                migrations=[dict(entry) for entry in data.get("migrations", [])],
                removed={str(k): dict(v) for k, v in data.get("removed", {}).items()},
                retired_answers=dict(data.get("retired_answers", {})),
            )
        except Exception as error:  # any shape problem means the same thing to the user
            problem = f"it misses {error}" if isinstance(error, KeyError) else str(error)
            raise MlscaffoldError(
                f"{STATE_FILE} is not a valid mlscaffold state file ({problem}): "
                "restore it from git history"
            ) from None


def _check_shape(data: Mapping[str, Any]) -> None:
    """Refuse a state file, edited by hand or from an untrusted clone, that would make
    ``update`` write outside the project or hand copier values of the wrong kind."""
    from mlscaffold.policies import check_entry

    for section in ("template", "answers", "plugins", "files", "retired_answers"):
        if not isinstance(data.get(section, {}), Mapping):
            raise ValueError(f"[{section}] is not a table")
    for name in data.get("answers", {}):
        if name.startswith("_"):  # copier's settings and render variables, never answers
            raise ValueError(f"answers.{name} is a reserved name")
    for name, info in data.get("plugins", {}).items():
        if not isinstance(info, Mapping):
            raise ValueError(f"plugins.{name} is not a table")
        for key in ("distribution", "version"):
            if not isinstance(info.get(key, ""), str):
                raise ValueError(f"plugins.{name}.{key} is not text")
    for path, info in data.get("files", {}).items():
        check_entry(path, info)
    migrations = data.get("migrations", [])
    if not isinstance(migrations, list) or not all(
        isinstance(entry, Mapping) and all(isinstance(v, str) for v in entry.values())
        for entry in migrations
    ):
        raise ValueError("[[migrations]] is not a list of tables of text")


def _table(values: Mapping[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key, value in values.items():
        table.add(key, value)
    return table


def _inline(values: Mapping[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(values)
    return table


def read_state(project: Path) -> State:
    path = project / STATE_FILE
    if not path.is_file():
        raise MlscaffoldError(
            f"{project} has no {STATE_FILE}: it is not an mlscaffold project "
            "(create one with `mlscaffold new`)"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MlscaffoldError(
            f"{STATE_FILE} is not UTF-8 text (byte {raw[error.start]:#04x} at offset "
            f"{error.start}), so it is not a valid mlscaffold state file: restore it from "
            "git history"
        ) from None
    return State.from_toml(text)


def write_state(project: Path, state: State) -> None:
    (project / STATE_FILE).write_text(state.to_toml(), encoding="utf-8")

"""Migrations: steps that carry a project across a breaking change of its template or plugins.

A template declares them as copier does (``_migrations`` in ``copier.yml``, each with a
``version``, a ``command`` and a ``when`` condition on ``_stage``); they run commands, so
only with ``--trust``. A plugin declares them through the ``mlscaffold_migrations`` hook.
A migration runs when an update takes the project from below its version to it or above:
``before`` the merge on the project as the user has it, or ``after`` it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlscaffold.errors import MlscaffoldError
from mlscaffold.plugins import PluginInfo
from mlscaffold.plugins import call as plugin_calls

STAGES = ("before", "after")
TIMEOUT = 600


@dataclass
class Migration:
    source: str  # "template" or "plugin NAME"
    version: str
    name: str
    when: str  # "before" or "after"
    run: Callable[[Path], None]

    def record(self) -> dict[str, str]:
        return {"source": self.source, "version": self.version, "name": self.name,
                "when": self.when}  # fmt: skip


def _crossed(version: str, old: str, new: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(old) < Version(version) <= Version(new)
    except InvalidVersion:
        return False  # without an order there is no crossing, as in copier


def template_migrations(
    raw: Sequence[Any], old: Mapping[str, str], new: Mapping[str, str], answers: Mapping[str, Any]
) -> list[Migration]:
    """The template's copier ``_migrations`` that this update crosses, per stage.

    ``old`` and ``new`` hold the template's ``version`` and ``commit`` before and after.
    """
    from jinja2.sandbox import SandboxedEnvironment

    if not _crossed(new["version"], old["version"], new["version"]):
        return []  # no newer PEP 440 version: nothing is crossed, as in copier
    jinja = SandboxedEnvironment()
    found = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, (str, list)):
            entry = {"command": entry}
        legacy = isinstance(entry, Mapping) and bool({"before", "after"} & set(entry))
        if not isinstance(entry, Mapping) or ("command" not in entry and not legacy):
            raise MlscaffoldError(
                f"the template's _migrations has {entry!r}: each needs a command (see copier's "
                "migrations)"
            )
        version = str(entry.get("version", ""))
        if version and not _crossed(version, old["version"], new["version"]):
            continue
        context = {
            **answers,
            "_version_from": old["commit"] or old["version"],
            "_version_to": new["commit"] or new["version"],
            "_version_pep440_from": old["version"],
            "_version_pep440_to": new["version"],
            "_version_current": version,
            "_version_pep440_current": version,
            "_copier_operation": "update",
        }
        for stage in STAGES:
            if "command" in entry:
                condition = str(entry.get("when", "{{ _stage == 'after' }}"))
                rendered = jinja.from_string(condition).render({**context, "_stage": stage})
                if rendered.strip().lower() in ("", "false", "0", "no", "off", "none"):
                    continue
                commands = [entry["command"]]
            else:  # copier's older format: lists of commands under before/after
                commands = list(entry.get(stage, []))
            for command in commands:
                found.append(Migration(
                    "template", version or new["version"], _describe(command), stage,
                    _command_runner(jinja, command, {**context, "_stage": stage},
                                    str(entry.get("working_directory", "."))),
                ))  # fmt: skip
    return found


def _describe(command: Any) -> str:
    return command if isinstance(command, str) else " ".join(map(str, command))


def _command_runner(
    jinja: Any,
    command: Any,
    context: dict[str, Any],
    folder: str,
    variables: Mapping[str, Any] | None = None,
) -> Callable[[Path], None]:
    """Run ``command`` rendered with ``context`` in ``folder`` of the project; the
    ``variables`` (all of the context's ``_`` names unless given) are also in its
    environment, as copier puts them: ``_stage`` as ``STAGE``."""

    def run(project: Path) -> None:
        shell = isinstance(command, str)
        parts = [command] if shell else list(command)
        rendered = [jinja.from_string(str(part)).render(context) for part in parts]
        args = rendered[0] if shell else rendered
        cwd = (project / jinja.from_string(folder).render(context)).resolve()
        if not cwd.is_relative_to(project.resolve()):
            raise MlscaffoldError(f"its working_directory {folder!r} is outside the project")
        env = {**os.environ}
        named = context if variables is None else variables
        env.update({key[1:].upper(): str(value) for key, value in named.items()
                    if key.startswith("_")})  # fmt: skip
        result = subprocess.run(
            args, shell=shell, cwd=cwd, env=env, capture_output=True, text=True,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
        if result.returncode:
            output = (result.stderr or result.stdout).strip().splitlines()
            last = f": {output[-1]}" if output else ""
            raise MlscaffoldError(f"it exited with code {result.returncode}{last}")

    return run


def template_tasks(
    config: Mapping[str, Any], answers: Mapping[str, Any], project: Path, conf: dict[str, Any]
) -> list[Migration]:
    """The template's copier ``_tasks`` as copier runs them on an update: in the project
    (``_copier_conf.dst_path`` is its folder), with ``_copier_operation`` ``update`` and
    ``_stage`` ``task``, each ``when`` rendered first. ``conf`` is their ``_copier_conf``:
    it gains ``dst_path`` and ``sep`` here, and the caller may add to it until they run."""
    import sys

    from mlscaffold.policies import copier_jinja

    raw = config.get("_tasks") or []
    if not isinstance(raw, list):
        raise MlscaffoldError(
            "the template's _tasks must be a list of commands (see copier's tasks)"
        )
    jinja = copier_jinja(config)
    variables = {"_stage": "task", "_copier_operation": "update"}
    conf.update(dst_path=project.resolve(), sep=os.sep)  # the caller may add to it later
    context = {
        **answers, **variables, "_copier_conf": conf,
        "_folder_name": project.resolve().name, "_copier_python": sys.executable,
    }  # fmt: skip
    found = []
    for entry in raw:
        spec = entry if isinstance(entry, Mapping) else {"command": entry}
        if "command" not in spec:
            raise MlscaffoldError(f"the template's _tasks has {entry!r}: each needs a command")
        condition = spec.get("when", True)
        if isinstance(condition, str):
            condition = jinja.from_string(condition).render(context)
        if not _true(condition):
            continue
        command = spec["command"]
        found.append(Migration(
            "template", "", _describe(command), "task",
            _command_runner(jinja, command, context, str(spec.get("working_directory", ".")),
                            variables),
        ))  # fmt: skip
    return found


@contextlib.contextmanager
def template_for_tasks(
    source: str, commit: str, tasks: Sequence[Migration], conf: dict[str, Any]
) -> Iterator[None]:
    """A checkout of the template at the rendered version while its tasks run: copier
    runs them with ``_copier_conf.src_path`` its own checkout, so a task may run one of the
    template's scripts."""
    if not tasks:
        yield
        return
    from mlscaffold.sources import checkout

    with tempfile.TemporaryDirectory(prefix="mlscaffold-tasks-") as folder:
        conf["src_path"] = checkout(source, commit or None, Path(folder)).path
        yield


def _true(value: Any) -> bool:
    """A rendered ``when`` as copier reads it: a number, a YAML boolean, else truthiness."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        word = value.strip().lower()
        return bool(word) and word not in {"n", "no", "f", "false", "off", "~", "null", "none"}
    return bool(value)


def plugin_migrations(
    old_plugins: Mapping[str, Mapping[str, str]],
    chosen: Sequence[PluginInfo],
    answers: Mapping[str, Any],
) -> list[Migration]:
    """The migrations of the project's plugins that this update crosses."""
    kept = {info.name: info for info in chosen if info.name in old_plugins}
    found = []
    for name, entries in plugin_calls("mlscaffold_migrations", kept, answers=dict(answers)):
        if name not in kept:
            continue
        for entry in entries or []:
            origin = f"plugin {name!r}, hook mlscaffold_migrations"
            if not isinstance(entry, Mapping) or not callable(entry.get("run")):
                raise MlscaffoldError(f"{origin} returned {entry!r}: each needs a callable run")
            when = entry.get("when", "after")
            if when not in STAGES:
                raise MlscaffoldError(f"{origin}: when must be before or after, not {when!r}")
            version = str(entry.get("version", ""))
            if _crossed(version, old_plugins[name].get("version", ""), kept[name].version):
                label = str(entry.get("name") or getattr(entry["run"], "__name__", "migration"))
                found.append(Migration(f"plugin {name}", version, label, when, entry["run"]))
    return found


def run_stage(migrations: Sequence[Migration], when: str, project: Path) -> None:
    """Run the migrations of one stage, in order; the first failure stops with its name."""
    for migration in migrations:
        if migration.when != when:
            continue
        try:
            migration.run(project)
        except subprocess.TimeoutExpired:
            raise MlscaffoldError(_failed(migration, f"it ran longer than {TIMEOUT} s")) from None
        except MlscaffoldError as error:
            raise MlscaffoldError(_failed(migration, error.message)) from None
        except Exception as error:
            raise MlscaffoldError(_failed(migration, f"{type(error).__name__}: {error}")) from None


def _failed(migration: Migration, why: str) -> str:
    if migration.when == "task":
        return (
            f"the template's task {migration.name!r} failed after the merge, {why}; the update "
            "was undone and the project is as it was"
        )
    return (
        f"migration {migration.name!r} ({migration.source} {migration.version}, {migration.when} "
        f"the merge) failed, {why}; the update was undone and the project is as it was"
    )

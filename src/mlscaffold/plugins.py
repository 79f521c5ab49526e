"""Finding, choosing and calling plugins (pluggy, entry-point group ``mlscaffold``).

Installed plugins are loaded from entry points, unless ``MLSCAFFOLD_LOAD_PLUGINS`` names
the ones to load (comma-separated; empty loads none), as llm and datasette do. A project
uses only the plugins chosen for it; ``call`` runs a hook for those, one plugin at a
time, so every failure names the plugin and the hook.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from mlscaffold import hookspecs
from mlscaffold.errors import MlscaffoldError

GROUP = "mlscaffold"
LOAD_PLUGINS_ENV = "MLSCAFFOLD_LOAD_PLUGINS"
HOOK_TIMEOUT_ENV = "MLSCAFFOLD_HOOK_TIMEOUT"
HOOK_TIMEOUT = 60.0  # seconds; a hook computes a small answer, it never needs minutes
BUILTIN_PLUGINS = {"core": "mlscaffold.builtin"}

pm = pluggy.PluginManager(GROUP)
pm.add_hookspecs(hookspecs)
_loaded = False
_folders: dict[str, str] = {}  # plugin name -> the metadata folder of its distribution
_registered: dict[str, tuple[str, str]] = {}  # plugin name -> (distribution, version), by register


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


def load_builtins() -> None:
    """Register the built-in plugins only: what a render without chosen plugins needs."""
    for name, module in BUILTIN_PLUGINS.items():
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(module), name=name)


def load() -> None:
    """Register the built-in plugins and the installed ones; safe to call again.

    Only commands that use plugins call it: a broken plugin (one that fails to import,
    or implements a hook mlscaffold does not have) stops them with one line naming its
    distribution and entry point, and never stops the built-in commands.
    """
    global _loaded
    if _loaded:
        return
    load_builtins()
    wanted = os.environ.get(LOAD_PLUGINS_ENV)
    names = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
    found = entry_points(GROUP)
    for name, value, folder in found:
        if (names is not None and name not in names) or pm.get_plugin(name) is not None:
            continue
        try:
            target = _import(value)
        except Exception as error:  # a broken plugin must not take the whole CLI down
            raise MlscaffoldError(
                f"{_origin(name, value, folder)} failed to load ({type(error).__name__}: "
                f"{_one_line(error)}): fix or uninstall {_distribution(folder)}, or choose the "
                f"plugins to load with {LOAD_PLUGINS_ENV}"
            ) from None
        pm.register(target, name=name)
        _folders[name] = folder
    unknown = _unknown_hooks()
    if unknown:
        name, hook = unknown[0]
        where = {entry: (value, folder) for entry, value, folder in found}
        origin = _origin(name, *where[name]) if name in where else f"plugin {name!r}"
        fix = f"uninstall {_distribution(where[name][1])}" if name in where else "unregister it"
        raise MlscaffoldError(
            f"{origin} implements {hook}, which is not an mlscaffold hook: rename it to one of "
            f"the hooks in mlscaffold's plugin reference, or {fix}"
        )
    _loaded = True


def _unknown_hooks() -> list[tuple[str, str]]:
    """``(plugin, hook)`` for each implementation of a hook mlscaffold does not define,
    as pluggy's ``check_pending`` finds them, without its message's module repr."""
    found = []
    for hook, caller in vars(pm.hook).items():
        if not hook.startswith("_") and not caller.has_spec():
            found += [(impl.plugin_name, hook) for impl in caller.get_hookimpls()
                      if not impl.optionalhook]  # fmt: skip
    return sorted(found)


def _origin(name: str, value: str, folder: str) -> str:
    return f"plugin {name!r} (entry point `{name} = {value}` of {_distribution(folder)})"


def _distribution(folder: str) -> str:
    distribution, version = _name_and_version(folder)
    return f"{distribution} {version}".strip() or os.path.basename(folder)


def _one_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def register(plugin: object, name: str, *, distribution: str = "", version: str = "") -> None:
    """Register a plugin object under ``name``, as an installed one would be, with the
    distribution and version its metadata would give (tests of plugins and their
    upgrades use it; ``unregister`` undoes it)."""
    load_builtins()
    pm.register(plugin, name=name)
    _registered[name] = (distribution, version)


def unregister(name: str) -> None:
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin, name=name)
    _registered.pop(name, None)


def names() -> list[str]:
    """The names of the plugins a project can choose (built-ins excluded), sorted."""
    load()
    return sorted(name for name, plugin in pm.list_name_plugin()
                  if name not in BUILTIN_PLUGINS and plugin is not None)  # fmt: skip


def installed() -> list[PluginInfo]:
    """The plugins a project can choose, with their distributions, sorted by name."""
    return [_info(name) for name in names()]


def _info(name: str) -> PluginInfo:
    if name in _registered:
        distribution, version = _registered[name]
    elif name in _folders:
        distribution, version = _name_and_version(_folders[name])
    else:
        distribution, version = "", ""
    callers = pm.get_hookcallers(pm.get_plugin(name)) or []
    return PluginInfo(name, distribution, version, tuple(sorted(c.name for c in callers)))


def _name_and_version(folder: str) -> tuple[str, str]:
    """A distribution's name and version from its core metadata file.

    The file is email-style headers, then a blank line and the description; Name and
    Version are one-line fields. Read here because importing importlib.metadata, whose
    email parser reads the whole file, took longer than twenty plugins' hooks.
    """
    for filename in ("METADATA", "PKG-INFO"):  # dist-info, then egg-info
        try:
            text = Path(folder, filename).read_text(encoding="utf-8")
        except OSError:
            continue
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if not line:
                break
            key, colon, value = line.partition(":")
            if colon and key in ("Name", "Version"):
                fields.setdefault(key, value.strip())
        return fields.get("Name", ""), fields.get("Version", "")
    return "", ""


def entry_points(group: str) -> list[tuple[str, str, str]]:
    """``(name, "module:attr", metadata folder)`` of each installed entry point in ``group``.

    Read straight from the ``entry_points.txt`` files installers write into each
    distribution's metadata folder on ``sys.path`` (the packaging spec's format), as
    importlib.metadata does: importing importlib.metadata costs more than everything else
    a quick command like ``status`` does. The first distribution of a name on the path wins.
    """
    found, seen = [], set()
    for entry in dict.fromkeys(sys.path):
        try:
            folders = sorted(os.listdir(entry or "."))
        except OSError:  # a zip file, or a path that does not exist
            continue
        for folder in folders:
            stem, _, kind = folder.rpartition(".")
            if kind not in ("dist-info", "egg-info"):
                continue
            distribution = re.sub(r"[-_.]+", "_", stem.split("-")[0]).lower()
            if distribution in seen:
                continue
            seen.add(distribution)
            path = os.path.join(entry or ".", folder)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as file:
                    text = file.read()
            except OSError:  # most distributions have no entry points
                continue
            if f"[{group}]" in text:
                found += [(name, value, path) for name, value in _section(text, group)]
    return found


def _section(text: str, group: str) -> list[tuple[str, str]]:
    entries, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            inside = line == f"[{group}]"
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, value = line.split("=", 1)
            entries.append((name.strip(), value.strip()))
    return entries


def _import(value: str) -> Any:
    """The object an entry point names: ``module``, ``module:attr`` or ``module:a.b``."""
    module, _, attribute = value.split("[")[0].strip().partition(":")
    target = importlib.import_module(module.strip())
    for part in filter(None, attribute.strip().split(".")):
        target = getattr(target, part)
    return target


def stages_of(name: str) -> list[str]:
    """The stages a plugin contributes to: where its checklist items and its files go.

    Asked with no answers, as `mlscaffold plugins` has no project; a hook that needs
    answers to decide simply contributes nothing here.
    """
    from mlscaffold.stages import STAGES

    found = set()
    for stage in STAGES:
        try:
            items = call("mlscaffold_checklist_items", [name], stage=stage.id, answers={},
                         template_dir=Path("."))  # fmt: skip
        except MlscaffoldError:
            continue
        if any(result for plugin, result in items if plugin == name):
            found.add(stage.id)
    try:
        layers = [layer for plugin, result in call("mlscaffold_templates", [name], answers={})
                  if plugin == name for layer in result or []]  # fmt: skip
    except MlscaffoldError:
        layers = []
    for layer in layers:
        for stage in STAGES:
            if (Path(layer) / stage.folder).exists():
                found.add(stage.id)
    return [stage.id for stage in STAGES if stage.id in found]


def resolve(chosen: Iterable[str]) -> list[PluginInfo]:
    """The chosen plugins, by name, sorted so that a render does not depend on flag order."""
    wanted = sorted(set(chosen))
    if not wanted:
        return []  # nothing chosen: no installed plugin is imported
    available = names()
    for name in wanted:
        if name not in available:
            known = ", ".join(available) or "none"
            raise MlscaffoldError(
                f"plugin {name!r} is not installed (installed plugins: {known}): "
                f"install mlscaffold-{name} with pip, or check the name with `mlscaffold plugins`"
            )
    return [_info(name) for name in wanted]


def namespace(plugin_name: str) -> str:
    """The prefix of a plugin's question names: ``acme-tools`` asks ``acme_tools_*``."""
    return plugin_name.replace("-", "_").replace(".", "_") + "_"


def call(hook_name: str, plugin_names: Iterable[str], **kwargs: Any) -> list[tuple[str, Any]]:
    """Call one hook for the built-ins and the named plugins; ``[(plugin, result), ...]``.

    Each implementation receives only the arguments it declares. An exception in a
    plugin becomes an error that names the plugin and the hook.
    """
    plugin_names = list(plugin_names)
    if plugin_names:
        load()
    else:  # without chosen plugins, no installed plugin is imported
        load_builtins()
    order = [*BUILTIN_PLUGINS, *plugin_names]
    impls = {impl.plugin_name: impl for impl in getattr(pm.hook, hook_name).get_hookimpls()}
    chosen = [impls[name] for name in order if name in impls]
    results, failure = _within_time_limit(chosen, kwargs, hook_name)
    if failure is None:
        return results
    name, error = failure
    if isinstance(error, MlscaffoldError):
        raise MlscaffoldError(f"plugin {name!r}, hook {hook_name}: {error.message}") from None
    if isinstance(error, Exception):
        raise MlscaffoldError(
            f"plugin {name!r} failed in hook {hook_name} ({type(error).__name__}: {error}): "
            "report it to the plugin's authors"
        ) from None
    raise error  # KeyboardInterrupt and SystemExit keep their meaning


def _within_time_limit(
    impls: list[Any], kwargs: dict[str, Any], hook: str
) -> tuple[list[tuple[str, Any]], tuple[str, BaseException] | None]:
    """Run the implementations one after another, giving up on one that runs past the
    time limit, so a hung plugin cannot hang mlscaffold; returns the results and the
    first failure.

    They run in a daemon thread: Python cannot stop a thread, but the command can stop
    waiting for it, report, and exit. One thread for all of them, not one each: starting
    a thread, or handing it work, costs a fifth of a millisecond, more than twenty
    trivial plugins' hooks together.
    """
    if not impls:
        return [], None
    limit = float(os.environ.get(HOOK_TIMEOUT_ENV) or HOOK_TIMEOUT)
    results: list[tuple[str, Any]] = []
    progress: dict[str, Any] = {"running": (impls[0].plugin_name, time.monotonic())}
    done = threading.Event()

    def run() -> None:
        try:
            for impl in impls:
                if "abandoned" in progress:  # the command has reported a hung plugin
                    return
                progress["running"] = (impl.plugin_name, time.monotonic())
                try:
                    result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                except BaseException as error:  # handed to the calling thread
                    progress["failure"] = (impl.plugin_name, error)
                    return
                results.append((impl.plugin_name, result))
        finally:
            done.set()

    threading.Thread(target=run, name=f"mlscaffold hook {hook}", daemon=True).start()
    wait = limit
    while not done.wait(wait):
        plugin, since = progress["running"]
        wait = since + limit - time.monotonic()
        if wait <= 0:
            progress["abandoned"] = True
            raise MlscaffoldError(
                f"plugin {plugin!r} took more than {limit:g} s in hook {hook}: report it to the "
                f"plugin's authors (or raise the limit with {HOOK_TIMEOUT_ENV})"
            )
    return results, progress.get("failure")

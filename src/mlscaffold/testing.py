"""Helpers for testing plugins in-process: a project made with a plugin, and its upgrade path.

from mlscaffold.testing import render_project
import mlscaffold_acme

def test_adds_contract(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"acme": mlscaffold_acme})
    assert (project / "stages/02-data/data-contract.yml").exists()

The path a released plugin's users take is tested the same way: ``render_project`` with
the previous release (``git=True``, ``versions``), the user's edits (``commit``), then
``update_project`` with this release: its migrations run as they will in the field.
``add_plugin`` and ``remove_plugin`` do what ``mlscaffold add`` and ``remove`` do. A
previous release that differs in a hook or two is this one with those hooks replaced
(``variant``). Each helper registers the plugin objects it is given for its call only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mlscaffold import plugins as plugin_registry
from mlscaffold.project import BUILTIN_TEMPLATE, create_project

Plugins = Mapping[str, object] | Sequence[str]


def render_project(
    destination: Path,
    *,
    plugins: Plugins = (),
    answers: Mapping[str, Any] | None = None,
    template: str = BUILTIN_TEMPLATE,
    versions: Mapping[str, str] | None = None,
    git: bool = False,
) -> Path:
    """Create a project in ``destination`` with default answers and return its path.

    :param plugins: plugin objects (usually modules) by the name users would pass to
        ``--plugin``, registered for this call only; or names of installed plugins.
    :param answers: answers that replace defaults, as ``-d KEY=VALUE`` would.
    :param template: the template source, the built-in template by default.
    :param versions: the version each plugin object is recorded at, as its installed
        distribution's metadata would give it (migrations count from it).
    :param git: create the repository and first snapshot, which updates need.
    """
    with _registered(plugins, versions):
        created = create_project(
            Path(destination),
            template=template,
            data=dict(answers or {}),
            defaults=True,
            use_git=git,
            interactive=False,
            plugins=list(plugins),
        )
    return created.path


def commit(project: Path, message: str = "the team's edits") -> None:
    """Commit every change in the project, as its team would before an update."""
    from mlscaffold import git
    from mlscaffold.project import author_of
    from mlscaffold.state import read_state

    git.run(project, "add", "--all")
    identity = git.identity(project, author_of(read_state(project)))
    git.run(project, *identity, "commit", "--quiet", "--no-verify", "-m", message)


def update_project(
    project: Path,
    *,
    plugins: Plugins = (),
    versions: Mapping[str, str] | None = None,
    answers: Mapping[str, Any] | None = None,
    defaults: bool = True,
    **options: Any,
) -> Any:
    """``mlscaffold update`` with these plugin objects installed; returns the result
    (``conflicts``, ``migrations``, ``layers``, ...). The merge is left staged, as the
    command leaves it: ``commit`` it to go on. ``options`` are update_project's."""
    from mlscaffold.update import update_project as update

    with _registered(plugins, versions):
        return update(project, data=dict(answers or {}), defaults=defaults, interactive=False,
                      **options)  # fmt: skip


def add_plugin(
    project: Path,
    name: str,
    plugin: object | None = None,
    *,
    version: str = "",
    answers: Mapping[str, Any] | None = None,
    defaults: bool = True,
) -> Any:
    """``mlscaffold add NAME``, with ``plugin`` installed as ``name`` (an installed one
    when None)."""
    installed = {name: plugin} if plugin is not None else [name]
    versions = {name: version} if version else None
    return update_project(project, plugins=installed, versions=versions, answers=answers,
                          defaults=defaults, add=[name])  # fmt: skip


def remove_plugin(project: Path, name: str, plugin: object | None = None) -> Any:
    """``mlscaffold remove NAME``; the project's other plugins must be installed."""
    installed = {name: plugin} if plugin is not None else [name]
    return update_project(project, plugins=installed, remove=[name])


def variant(plugin: object, **hooks: Callable[..., Any]) -> object:
    """``plugin`` with some hooks replaced, e.g. the previous release of a plugin whose
    template layer has since changed: ``variant(mlscaffold_acme, mlscaffold_templates=...)``.
    """
    from mlscaffold import hookimpl, hookspecs

    known = {name for name in dir(hookspecs) if name.startswith("mlscaffold_")}
    unknown = sorted(set(hooks) - known)
    if unknown:
        raise ValueError(f"not mlscaffold hooks: {', '.join(unknown)}")
    kept = {name: getattr(plugin, name) for name in dir(plugin)
            if name.startswith("mlscaffold_") and name not in hooks}  # fmt: skip
    return SimpleNamespace(**kept, **{name: hookimpl(hook) for name, hook in hooks.items()})


@contextlib.contextmanager
def _registered(plugins: Plugins, versions: Mapping[str, str] | None) -> Iterator[None]:
    """Register plugin objects for the duration, in place of any installed plugin of the
    same name, which comes back afterwards."""
    plugin_registry.load()
    objects = dict(plugins) if isinstance(plugins, Mapping) else {}
    replaced = {}
    try:
        for name, plugin in objects.items():
            previous = plugin_registry.pm.get_plugin(name)
            if previous is not None:
                plugin_registry.pm.unregister(previous, name=name)
                replaced[name] = previous
            plugin_registry.register(plugin, name, version=(versions or {}).get(name, ""))
        yield
    finally:
        for name in objects:
            plugin_registry.unregister(name)
        for name, previous in replaced.items():
            plugin_registry.pm.register(previous, name=name)

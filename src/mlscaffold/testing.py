"""Helpers for testing plugins: render a project with a plugin, in-process.

from mlscaffold.testing import render_project
import mlscaffold_acme

def test_adds_contract(tmp_path):
    project = render_project(tmp_path / "demo", plugins={"acme": mlscaffold_acme})
    assert (project / "stages/02-data/data-contract.yml").exists()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlscaffold import plugins as plugin_registry
from mlscaffold.project import BUILTIN_TEMPLATE, create_project


def render_project(
    destination: Path,
    *,
    plugins: Mapping[str, object] | Sequence[str] = (),
    answers: Mapping[str, Any] | None = None,
    template: str = BUILTIN_TEMPLATE,
) -> Path:
    """Create a project in ``destination`` with default answers and return its path.

    :param plugins: plugin objects (usually modules) by the name users would pass to
        ``--plugin``, registered for this call only; or names of installed plugins.
    :param answers: answers that replace defaults, as ``-d KEY=VALUE`` would.
    :param template: the template source, the built-in template by default.
    """
    plugin_registry.load()
    objects = dict(plugins) if isinstance(plugins, Mapping) else {}
    registered = []
    try:
        for name, plugin in objects.items():
            if plugin_registry.pm.get_plugin(name) is None:
                plugin_registry.pm.register(plugin, name=name)
                registered.append(plugin)
        created = create_project(
            Path(destination),
            template=template,
            data=dict(answers or {}),
            defaults=True,
            use_git=False,
            interactive=False,
            plugins=list(objects) if objects else list(plugins),
        )
    finally:
        for plugin in registered:
            plugin_registry.pm.unregister(plugin)
    return created.path

"""The plugin contract. These docstrings are the hook reference documentation.

A plugin is a module registered under the entry-point group ``mlscaffold`` that
implements any of these hooks with ``from mlscaffold import hookimpl``. mlscaffold
calls hooks with keyword arguments, and an implementation may accept only the
arguments it needs, so hooks can gain arguments without breaking plugins.
A plugin is used by a project only when chosen (``mlscaffold new --plugin NAME``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mlscaffold")


@hookspec
def mlscaffold_questions() -> dict[str, dict[str, Any]]:
    """Extra questions the plugin asks when a project is created.

    :return: copier-style questions (``type``, ``help``, ``default``, ``choices``,
        ``validator``), keyed by names that start with the plugin's name in snake
        case and an underscore; their answers join the template's answers, are
        recorded in the project's state file, and can be given with ``-d``.

    Example::

        @hookimpl
        def mlscaffold_questions():
            return {"acme_team": {"type": "str", "help": "Owning team", "default": "ml-platform"}}
    """


@hookspec
def mlscaffold_templates(answers: dict[str, Any]) -> list[Path]:
    """Template layers rendered over the base template, in order.

    :param answers: every answer of the project (template and plugin questions).
    :return: folders, each a copier template (with or without a ``copier.yml``),
        rendered with the same answers. A layer may add files but not replace one
        that the base template or another plugin wrote: that is an error.

    Example::

        @hookimpl
        def mlscaffold_templates(answers):
            return [Path(__file__).parent / "template"]
    """


@hookspec
def mlscaffold_checklist_items(
    stage: str, answers: dict[str, Any], template_dir: Path
) -> list[dict[str, Any]]:
    """Checklist items for one stage, written to that stage's ``CHECKLIST.md``.

    :param stage: one of ``scoping``, ``data``, ``modeling``, ``deployment``,
        ``monitoring``, ``business-analysis``.
    :param answers: every answer of the project.
    :param template_dir: the base template's folder (where its ``checklists.toml`` is).
    :return: items as dicts with ``id`` (``<plugin>.<stage>.<slug>``), ``stage``,
        ``title``, and optionally ``why``, ``source`` (list of citations),
        ``required`` (gates the stage) and ``verify`` (``{"kind": "file_exists",
        "path": ...}``, ``file_contains``, ``json_compare`` or ``command``).

    Example::

        @hookimpl
        def mlscaffold_checklist_items(stage):
            if stage == "modeling":
                return [{"id": "acme.modeling.review", "stage": "modeling",
                         "title": "A second engineer reviewed the training code",
                         "source": ["Acme ML handbook §3"], "required": True}]
            return []
    """


@hookspec
def mlscaffold_pyproject(pyproject: Any, answers: dict[str, Any]) -> None:
    """Edit the generated project's ``pyproject.toml`` in place.

    :param pyproject: the file as a ``tomlkit`` document; comments and formatting of
        everything the plugin does not touch are kept.
    :param answers: every answer of the project.
    :return: nothing; change the document.

    Example::

        @hookimpl
        def mlscaffold_pyproject(pyproject):
            pyproject["project"]["dependencies"].append("mlflow>=3,<4")
    """


@hookspec
def mlscaffold_commands(app: Any) -> None:
    """Add sub-commands to the ``mlscaffold`` command line.

    :param app: the ``typer.Typer`` application.
    :return: nothing; register commands on ``app``.

    Example::

        @hookimpl
        def mlscaffold_commands(app):
            @app.command()
            def hello(name: str):
                "Say hello."
                print(f"Hello, {name}")
    """

"""The plugin contract. These docstrings are the hook reference documentation.

A plugin is a module registered under the entry-point group ``mlscaffold`` that
implements any of these hooks with ``from mlscaffold import hookimpl``. mlscaffold
calls hooks with keyword arguments, and an implementation may accept only the
arguments it needs, so hooks can gain arguments without breaking plugins.
A plugin is used by a project only when chosen (``mlscaffold new --plugin NAME``).

Hooks that take ``operation`` learn why they run: ``new`` (a project is created),
``update``, ``add`` (a plugin joins the project) or ``remove`` (one leaves it). The
project is always rendered whole, so a hook returns the same files whatever the
operation; it may use it to word a message or to seed a file only once.
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
def mlscaffold_templates(answers: dict[str, Any], operation: str) -> list[Path]:
    """Template layers rendered over the base template, in order.

    :param answers: every answer of the project (template and plugin questions).
    :param operation: ``new``, ``update``, ``add`` or ``remove``.
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
    stage: str, answers: dict[str, Any], template_dir: Path, operation: str
) -> list[dict[str, Any]]:
    """Checklist items for one stage, written to that stage's ``CHECKLIST.md``.

    :param stage: one of ``scoping``, ``data``, ``modeling``, ``deployment``,
        ``monitoring``, ``business-analysis``.
    :param answers: every answer of the project.
    :param template_dir: the base template's folder (where its ``checklists.toml`` is).
    :param operation: ``new``, ``update``, ``add`` or ``remove``.
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
def mlscaffold_pyproject(pyproject: Any, answers: dict[str, Any], operation: str) -> None:
    """Edit the generated project's ``pyproject.toml`` in place.

    :param pyproject: the file as a ``tomlkit`` document; comments and formatting of
        everything the plugin does not touch are kept.
    :param answers: every answer of the project.
    :param operation: ``new``, ``update``, ``add`` or ``remove``.
    :return: nothing; change the document.

    Example::

        @hookimpl
        def mlscaffold_pyproject(pyproject):
            pyproject["project"]["dependencies"].append("mlflow>=3,<4")
    """


@hookspec
def mlscaffold_file_policies(answers: dict[str, Any], operation: str) -> dict[str, Any]:
    """How ``update`` treats the files the plugin's template layers write.

    :param answers: every answer of the project.
    :param operation: ``new``, ``update``, ``add`` or ``remove``.
    :return: path patterns (``*`` matches across folders; the last match wins) mapped
        to a policy, or to ``{"policy": ..., "restore": True}``. Policies: ``merge``
        (the default; a 3-way merge with the user's edits), ``seed`` (written when the
        plugin is added, never updated: the team owns it from then on), ``managed``
        (the plugin owns it: an update replaces it, and stops first if the user changed
        it, unless run with ``--replace-managed``). ``restore`` brings the file back
        when the user deleted it. Rules apply only to the plugin's own files; a
        template declares its rules in ``copier.yml`` under ``_mlscaffold: files:``.

    Example::

        @hookimpl
        def mlscaffold_file_policies():
            return {"configs/acme.toml": "seed",
                    ".github/workflows/acme-*.yml": "managed",
                    "stages/*/ACME-REVIEW.md": {"policy": "merge", "restore": True}}
    """


@hookspec
def mlscaffold_migrations(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Steps that move a project across a breaking change of the plugin.

    :param answers: every answer of the project.
    :return: migrations as dicts with ``version`` (the plugin version, PEP 440, that
        made the change: the migration runs when an update takes the project from
        below it to it or above), ``name`` (recorded in the state file), ``when``
        (``before`` the merge, on the project as the user has it, e.g. to rename a
        folder so the merge sees the new layout; or ``after`` it, e.g. to rewrite a
        setting with tomlkit) and ``run``, a callable taking the project's folder.
        A migration that raises stops the update and leaves the project as it was.

    Example::

        @hookimpl
        def mlscaffold_migrations():
            def move_config(project):
                (project / "acme.toml").rename(project / "configs" / "acme.toml")
            return [{"version": "2.0", "name": "move acme.toml into configs/",
                     "when": "before", "run": move_config}]
    """


@hookspec
def mlscaffold_commands(app: Any) -> None:
    """Add sub-commands to the ``mlscaffold`` command line.

    Called before the command line is parsed, except when it names a built-in command or
    none (``--help``, ``--version``): those start without loading plugins, so a plugin's
    command needs a name of its own. An exception the command raises is shown in one
    line naming the plugin (an ``MlscaffoldError`` as its message), exit code 1.

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

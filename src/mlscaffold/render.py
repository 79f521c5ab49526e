"""``render``: the pure function at the heart of mlscaffold.

(template at a ref, answers) -> a pristine tree in an empty directory. copier does the
rendering, the questions and their validation; mlscaffold adds the stage checklists.
``new`` and ``update`` differ only in where the pristine tree goes afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from mlscaffold import checklists, git, policies, sandbox
from mlscaffold.errors import MlscaffoldError
from mlscaffold.plugins import call as plugin_calls
from mlscaffold.plugins import namespace, pm
from mlscaffold.sources import Checkout, checkout
from mlscaffold.stages import STAGE_IDS
from mlscaffold.state import STATE_FILE


@dataclass
class Rendered:
    answers: dict[str, Any]
    template_version: str
    template_commit: str = ""
    notes: list[str] = field(default_factory=list)
    files: dict[str, policies.Owned] = field(default_factory=dict)
    migrations: list[Any] = field(default_factory=list)  # the template's copier `_migrations`
    # Recorded answers no question of this version takes (a question renamed or removed).
    unasked: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # its copier.yml, for update's rules


# Who shows the template's messages (copier's ``_message_before_copy`` and the others):
# the command line, on stderr unless --quiet; nobody by default, as for a library call.
MESSAGES: ContextVar[Callable[[str], None] | None] = ContextVar("template_messages", default=None)


@contextlib.contextmanager
def showing_messages(show: Callable[[str], None]) -> Iterator[None]:
    """Within this block, each template message a render shows is passed to ``show``."""
    token = MESSAGES.set(show)
    try:
        yield
    finally:
        MESSAGES.reset(token)


def render(
    source: str,
    destination: Path,
    *,
    data: Mapping[str, Any] | None = None,
    recorded: Mapping[str, Any] | None = None,
    plugins: Sequence[str] = (),
    vcs_ref: str | None = None,
    defaults: bool = False,
    user_defaults: Mapping[str, Any] | None = None,
    trust: bool = False,
    interactive: bool = True,
    operation: str = "new",
    project: Path | None = None,
) -> Rendered:
    """Render ``source`` and the chosen ``plugins`` into the empty folder ``destination``.

    ``data`` answers questions without asking. ``recorded`` holds the project's past
    answers, taken as copier takes those of its answers file: one the template no longer
    accepts falls back to the question's default (or is asked again), with a note; one
    whose question's ``when`` turned false is dropped; one no question takes any more is
    returned in ``Rendered.unasked``. ``defaults`` takes the default of every question
    not answered; ``user_defaults`` replaces a question's default; ``operation`` (new,
    update, add or remove) is passed on to the plugins' hooks. ``project`` is the folder
    the project is (or will be) in, when ``destination`` is a scratch folder: the
    template sees it as ``_copier_conf.dst_path`` and ``_folder_name``, and a relative
    local ``source`` is read from it. Raises MlscaffoldError for anything the user can
    fix; ``destination`` may then hold a partial render, so callers render into a folder
    they throw away on error.
    """
    from mlscaffold import answers as checked

    data = dict(data or {})
    recorded = {k: v for k, v in (recorded or {}).items() if k not in data}
    checked.check(data, "--data")
    checked.check(recorded, STATE_FILE)
    for key, value in (user_defaults or {}).items():
        if key not in data and key not in recorded and not checked.is_text(value):
            raise MlscaffoldError(
                f"the default answer to {key!r}, {value!r}, holds bytes that are not UTF-8 text "
                f"(a folder name or git identity in another encoding): answer it with -d {key}=..."
            )
    plugin_questions = _plugin_questions(plugins)
    with tempfile.TemporaryDirectory(prefix="mlscaffold-template-") as workdir:
        template = checkout(source, vcs_ref, Path(workdir), project)
        answers, notes, unasked = _render_base(
            template, source, destination,
            data={k: v for k, v in data.items() if k not in plugin_questions},
            recorded={k: v for k, v in recorded.items() if k not in plugin_questions},
            known={*plugin_questions}, defaults=defaults, user_defaults=user_defaults,
            trust=trust, interactive=interactive, operation=operation,
            project=project or destination, skip_tasks=operation != "new",
        )  # fmt: skip
        if plugin_questions:
            asked, fallen = _ask(
                plugin_questions, data, answers, defaults, user_defaults, interactive, trust,
                project=project or destination, recorded=recorded,
            )  # fmt: skip
            answers.update(asked)
            notes += fallen
        _check_recordable(answers)
        owners = _render_layers(
            destination, plugins, answers, trust, operation, project or destination
        )
        _refuse_git_paths(destination, source)
        _check_size(destination)
        items = _checklist_items(plugins, answers, template.path, operation)
        config = policies.template_config(template.path)
        rules = {policies.TEMPLATE_OWNER: policies.template_rules(config)}
        migrations = config.get("_migrations") or []
    rules.update(_plugin_rules(plugins, answers, operation))
    checklists.write_checklists(destination, items)
    _edit_pyproject(destination, plugins, answers, operation)
    files = [p.relative_to(destination).as_posix() for p in destination.rglob("*")
             if not p.is_dir() or p.is_symlink()]  # fmt: skip
    return Rendered(
        answers=answers, template_version=template.version, template_commit=template.commit,
        notes=notes, files=policies.assign(sorted(files), owners, rules), migrations=migrations,
        unasked=unasked,
        config=config,
    )  # fmt: skip


def _render_base(
    template: Checkout,
    source: str,
    destination: Path,
    *,
    data: dict[str, Any],
    recorded: dict[str, Any],
    known: set[str],
    defaults: bool,
    user_defaults: Mapping[str, Any] | None,
    trust: bool,
    interactive: bool,
    operation: str,
    project: Path,
    skip_tasks: bool = False,
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            worker = _worker(
                src_path=str(template.path),
                dst_path=destination,
                # Without a terminal nothing can be asked: render with the defaults, then
                # refuse below if a question was left to one the user did not choose.
                defaults=defaults or not interactive,
                # A recorded answer is asked again only when it no longer fits.
                skip_answered=True,
                user_defaults=dict(user_defaults or {}),
                unsafe=trust,
                quiet=True,
                cleanup_on_error=False,
                # A scratch render is no place for tasks: update runs them in the project.
                skip_tasks=skip_tasks,
            )
            # Before copier runs: an unknown name would reach its render context, where
            # one such as `self` breaks Jinja's own call.
            questions = worker.template.questions_data
            _check_known(data, {*questions, *known})
            worker.data = {k: v for k, v in data.items() if k in questions}
            last = {k: v for k, v in recorded.items() if k in questions and k not in data}
            worker.__dict__.update(
                _recorded=last, _origin=(source, template.described),
                _project=Path(os.path.abspath(project)), _operation=operation,
            )  # fmt: skip
            _run(worker, f"template {source}")
            unasked = [
                q for q in questions
                if q not in data and q not in recorded and q not in worker.answers.hidden
            ]  # fmt: skip
            if unasked and not defaults and not interactive:
                raise MlscaffoldError(_no_terminal(unasked))
            answers = _remembered(worker, questions)
        notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        notes += _fallen_back(worker, last, answers)
    except MlscaffoldError:
        raise
    except Exception as error:
        explained = _explain(error, f"template {source}", data=data, recorded=recorded)
        if explained is error:
            raise
        raise explained from None
    gone = {k: v for k, v in recorded.items() if k not in questions and k not in data}
    return answers, notes, gone


def _fallen_back(worker: Any, last: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """A note for each recorded answer this version of the template no longer accepts
    (copier drops it from the last answers it was given, then asks or takes the default)."""
    notes = []
    for name, old in last.items():
        if name in worker.answers.last or name in worker.answers.hidden:
            continue  # still valid, or its question's `when` turned false: dropped
        now = f"it is now {_shown(answers[name])}" if name in answers else "it was answered anew"
        notes.append(
            f"the recorded answer {_shown(old)} to {name!r} does not fit this version of the "
            f"template: {now} (change it with -d {name}=VALUE)"
        )
    return notes


def _show_message(worker: Any, when: str) -> None:
    """Show the template's message before or after its render, as copier shows it: the
    copy messages for a new project, the update ones otherwise."""
    show = MESSAGES.get()
    operation = worker.__dict__.get("_operation")  # set for the template, not for plugins
    if show is None or operation is None:
        return
    kind = "copy" if operation == "new" else "update"
    message = getattr(worker.template, f"message_{when}_{kind}", "")
    if not message:
        return
    # Before the questions, the answers known so far: the recorded ones and -d's.
    known = {**worker.__dict__.get("_recorded", {}), **worker.data} if when == "before" else {}
    show(worker._render_string(message, known).rstrip("\n"))


def _no_terminal(unasked: Sequence[str]) -> str:
    return (
        f"there is no terminal to ask {', '.join(unasked)}: answer with "
        f"{' '.join(f'-d {name}=VALUE' for name in unasked[:3])}, or pass --defaults to take "
        "the defaults"
    )


def _copy(
    *,
    what: str = "the template",
    project: Path | None = None,
    recorded: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """``copier.run_copy`` into a new, empty folder; returns copier's worker. ``project``
    is the real project's folder, as the template is to see it; ``recorded`` its past
    answers (copier's last answers)."""
    worker = _worker(**options)
    if project is not None:
        worker.__dict__["_project"] = Path(os.path.abspath(project))
    worker.__dict__["_recorded"] = dict(recorded or {})
    _run(worker, what)
    return worker


def _worker(**options: Any) -> Any:
    return _fresh_folder_worker()(**options)


def _run(worker: Any, what: str) -> None:
    """Run copier's worker within the render limits (see ``_Limits``)."""
    limits = sandbox.Limits()
    worker.__dict__["_limits"] = limits  # read by the worker's overrides
    try:
        with limits, worker:
            worker.run_copy()
    except sandbox.Refused as stop:
        raise MlscaffoldError(f"{what} {stop.detail}") from None
    except MemoryError:
        raise MlscaffoldError(
            f"{what} needed more than {sandbox.size(limits.headroom)} of memory to render: "
            f"templates hold code and documents, not data; raise {sandbox.MAX_BYTES_ENV} "
            "if this is intended"
        ) from None


@functools.cache
def _fresh_folder_worker() -> type:
    """copier's worker (what ``copier.run_copy`` runs) for a plain folder rendered into a
    new, empty one. Three of its habits cost processes and compiles on every path while
    changing nothing in that case:

    - it runs ``git config`` in the destination after each file, to carry the executable
      bit into the git index of a checkout with ``core.fileMode=false``: no index tracks
      the private folder a render goes to (mlscaffold records modes when it commits);
    - it runs three git processes per render to learn whether the template is a git
      repository or bundle: mlscaffold hands copier a plain folder (sources.checkout
      has already read any git template at the right commit);
    - it compiles every path part, and the answers file's name once per part, as a new
      Jinja template: text with no Jinja syntax renders as itself, and the rest is
      compiled once per render.

    And since the render goes to a scratch folder from a plain one, it gives the template
    what copier would give rendering the real source into the real project (see the
    overrides below), and reads an update's recorded answers as copier reads its
    answers file.

    tests/test_new.py checks that copier still has what this replaces, that a render
    starts no process per file, and that it writes what copier.run_copy writes.
    """
    from copier._main import Worker

    class FreshFolderWorker(Worker):
        def _sync_git_index_executable_bit(self, *args: Any, **kwargs: Any) -> None:
            pass

        # What the template sees about itself and the project, as copier would give it
        # rendering the real source into the real project rather than a scratch folder:
        # the answers file's `_src_path` and `_commit` (so the project stays updatable,
        # by copier too), `_folder_name` and `_copier_conf.dst_path`. Tasks run in the
        # scratch folder, so their dst_path is that one. The project's recorded answers
        # are the last answers copier reads from its answers file (`subproject.last_answers`).
        def _answers_to_remember(self) -> Any:
            remembered = dict(super()._answers_to_remember())
            origin = self.__dict__.get("_origin")
            if origin is None:
                return remembered
            source, described = origin
            own = {k: v for k, v in remembered.items() if k not in ("_commit", "_src_path")}
            return {**({"_commit": described} if described else {}), "_src_path": source, **own}

        def _render_context(self) -> Any:
            context = super()._render_context()
            project = self.__dict__.get("_project")
            if project is not None:
                context["_folder_name"] = project.name
                if not self.__dict__.get("_in_tasks"):
                    context["_copier_conf"]["dst_path"] = PurePath(project)
            return context

        @functools.cached_property
        def subproject(self) -> Any:
            subproject = super().subproject
            subproject.__dict__["last_answers"] = dict(self.__dict__.get("_recorded") or {})
            return subproject

        @functools.cached_property
        def template(self) -> Any:
            template = super().template
            template.__dict__["vcs"] = None  # the value of copier's cached property
            return template

        @functools.cached_property
        def _compiled(self) -> dict[str, Any]:
            return {}

        def _render_string(self, string: str, extra_context: Any = None) -> str:
            if _plain(self.jinja_env, string):
                return string
            compiled = self._compiled.get(string)
            if compiled is None:
                compiled = self._compiled[string] = self.jinja_env.from_string(string)
            return compiled.render(**self._render_context(), **(extra_context or {}))

        @property
        def answers_relpath(self) -> Path:
            path = str(self.answers_file or self.template.answers_relpath)
            return Path(path) if _plain(self.jinja_env, path) else super().answers_relpath

        # The render limits and the --trust rule for filters. Every template string copier
        # renders (files, names, defaults, validators) goes through this environment;
        # tests/test_template_safety.py checks that copier still has what these override.
        @functools.cached_property
        def jinja_env(self) -> Any:
            env = super().jinja_env
            sandbox.guard(env, trusted=self.unsafe)
            return env

        def run_copy(self) -> None:
            super().run_copy()
            _show_message(self, "after")  # within the render limits, as the rest

        def _ask(self) -> None:
            _show_message(self, "before")  # where copier shows it: before the questions
            if self.defaults:
                return super()._ask()
            # Someone answers at a terminal: no time limit while they think, and Ctrl-C
            # stops a runaway default there.
            with sandbox.suspended(self):
                return super()._ask()

        def _execute_tasks(self, tasks: Any) -> None:
            # Tasks run only with --trust: the template author's own commands (an install,
            # a download) get the time and memory any command would.
            self.__dict__["_in_tasks"] = True
            try:
                with sandbox.suspended(self):
                    super()._execute_tasks(tasks)
            finally:
                self.__dict__["_in_tasks"] = False

    return FreshFolderWorker


def _plain(env: Any, text: str) -> bool:
    """Whether Jinja would render ``text`` as itself: one line, no delimiter, unchanged by
    the extensions' preprocessing. That preprocessing always runs, as compiling would run
    it: copier's yield tag resets itself there before each render."""
    unchanged = env.preprocess(text) == text
    markers = (
        env.block_start_string, env.variable_start_string, env.comment_start_string,
        env.line_statement_prefix, env.line_comment_prefix, "\n", "\r",
    )  # fmt: skip
    return unchanged and not any(marker and marker in text for marker in markers)


def _refuse_git_paths(destination: Path, source: str) -> None:
    """Refuse a render that holds a ``.git`` file or folder anywhere, whatever the
    template's ``_exclude`` says: git would read it as the project's repository, its
    configuration, hooks or a pointer to another repository, and run what it names at
    mlscaffold's first git command (copier only writes it; mlscaffold commits the tree)."""
    for folder, names, files in os.walk(destination):
        for name in [*names, *files]:
            if git.is_git_name(name):
                where = (Path(folder) / name).relative_to(destination).as_posix()
                raise MlscaffoldError(
                    f"template {source} renders {where}, which git would take for a "
                    "repository of its own: a template may not write git's files; "
                    "remove it from the template"
                )


def _check_size(destination: Path) -> None:
    """Refuse a render that is far larger than any project a template should produce."""
    limit = sandbox.max_bytes()
    total = 0
    for path in destination.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            if total > limit:
                raise MlscaffoldError(
                    f"the template produced more than {sandbox.size(limit)} (at {path.name}): "
                    f"templates hold code and documents, not data; raise {sandbox.MAX_BYTES_ENV} "
                    "if this is intended"
                )


def _check_recordable(answers: Mapping[str, Any]) -> None:
    """Refuse an answer the state file cannot hold, before anything is written: copier
    takes YAML answers, and TOML has no null (a yaml question answered with nothing)."""
    for key, value in answers.items():
        if isinstance(value, (str, int, float)):  # bool is an int: all plain TOML values
            continue
        import tomlkit

        try:
            tomlkit.dumps({key: value})
        except Exception:  # tomlkit raises several types for values it cannot write
            raise MlscaffoldError(
                f"the answer {_shown(value)} to {key!r} cannot be recorded in {STATE_FILE} "
                "(TOML has no null or empty value): give one, e.g. -d "
                f"{key}=[] or -d {key}=0"
            ) from None


def _check_known(data: Mapping[str, Any], questions: set[str]) -> None:
    unknown = sorted(set(data) - set(questions))
    if unknown:
        raise MlscaffoldError(
            f"the template has no question {', '.join(map(repr, unknown))}: "
            f"known questions are {', '.join(sorted(questions))}"
        )


def _remembered(worker: Any, questions: Mapping[str, Any]) -> dict[str, Any]:
    """The answers worth recording, as copier picks them: not secret, not hidden."""
    answers = worker.answers
    return {
        key: answers.combined[key]
        for key, spec in questions.items()
        if key in answers.combined
        and key not in answers.hidden
        and not (spec or {}).get("secret")
        and (spec or {}).get("when", True) is not False
    }


def _plugin_questions(plugins: Sequence[str]) -> dict[str, Any]:
    questions: dict[str, Any] = {}
    for name, result in plugin_calls("mlscaffold_questions", plugins):
        if not result:
            continue
        if not isinstance(result, Mapping):
            raise MlscaffoldError(
                f"plugin {name!r}, hook mlscaffold_questions returned {type(result).__name__}: "
                "it must return a dict of questions"
            )
        prefix = namespace(name)
        for key, spec in result.items():
            if not str(key).startswith(prefix) or not isinstance(spec, Mapping):
                raise MlscaffoldError(
                    f"plugin {name!r}, hook mlscaffold_questions: question {key!r} must be a "
                    f"dict named with the prefix {prefix!r}"
                )
            questions[str(key)] = dict(spec)
    return questions


def _ask(
    questions: Mapping[str, Any],
    data: Mapping[str, Any],
    answers: Mapping[str, Any],
    defaults: bool,
    user_defaults: Mapping[str, Any] | None,
    interactive: bool = True,
    trust: bool = False,
    project: Path | None = None,
    recorded: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Ask the plugins' questions with copier, so they get its prompts and validation;
    like the plugins' template layers, they read the machine only with ``trust``.
    ``recorded`` answers are taken as ``render`` takes the template's. Returns the
    answers and a note for each recorded one that no longer fits."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="mlscaffold-questions-") as folder:
        root = Path(folder)
        (root / "empty").mkdir()
        config = {"_subdirectory": "empty", **questions}
        (root / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        given = {k: v for k, v in data.items() if k in questions}
        last = {k: v for k, v in (recorded or {}).items() if k in questions and k not in given}
        try:
            worker = _copy(
                what="plugin questions",
                project=project,
                recorded=last,
                src_path=str(root),
                dst_path=root / "out",
                data={**answers, **given},
                skip_answered=True,
                # Without a terminal copier cannot prompt: as for the template's questions,
                # render with the defaults and refuse below what was left unanswered.
                defaults=defaults or not interactive,
                user_defaults=dict(user_defaults or {}),
                unsafe=trust,
                quiet=True,
            )
            answered = {*given, *last, *worker.answers.hidden}
            unasked = [q for q in questions if q not in answered]
            if unasked and not defaults and not interactive:
                raise MlscaffoldError(_no_terminal(unasked))
            remembered = _remembered(worker, questions)
            return remembered, _fallen_back(worker, last, remembered)
        except MlscaffoldError:
            raise
        except Exception as error:
            explained = _explain(error, "plugin questions", data=given, recorded=last)
            if explained is error:
                raise
            raise explained from None


def _render_layers(
    destination: Path,
    plugins: Sequence[str],
    answers: Mapping[str, Any],
    trust: bool,
    operation: str,
    project: Path | None = None,
) -> dict[str, str]:
    """Render each plugin's template layers and add their files, refusing any overlap;
    returns the plugin that owns each file the plugins added."""
    owners = {
        path.relative_to(destination).as_posix(): policies.TEMPLATE_OWNER
        for path in destination.rglob("*")
        if not path.is_dir()
    }
    calls = plugin_calls(
        "mlscaffold_templates", plugins, answers=dict(answers), operation=operation
    )
    for name, layers in calls:
        if layers is None:  # pluggy's convention: None means "nothing from me"
            continue
        if not isinstance(layers, (list, tuple)) or not all(
            isinstance(layer, (str, os.PathLike)) for layer in layers
        ):
            raise MlscaffoldError(
                f"plugin {name!r}, hook mlscaffold_templates returned {layers!r}: "
                "it must return a list of folders"
            )
        for layer in map(Path, layers):
            if not layer.is_dir():
                raise MlscaffoldError(
                    f"plugin {name!r}, hook mlscaffold_templates: template layer {layer} "
                    "is not a folder"
                )
            with tempfile.TemporaryDirectory(prefix="mlscaffold-layer-") as folder:
                out = Path(folder) / "out"
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        _copy(
                            what=f"plugin {name!r} template layer", project=project,
                            src_path=str(layer), dst_path=out, data=dict(answers),
                            defaults=True, unsafe=trust, quiet=True,
                        )  # fmt: skip
                except MlscaffoldError:
                    raise
                except Exception as error:
                    explained = _explain(error, f"plugin {name!r} template layer")
                    if explained is error:
                        raise MlscaffoldError(
                            f"plugin {name!r} template layer failed to render: {_one_line(error)}"
                        ) from None
                    raise explained from None
                _merge(out, destination, name, owners)
    return owners


def _plugin_rules(
    plugins: Sequence[str], answers: Mapping[str, Any], operation: str
) -> dict[str, list[tuple[str, policies.FileRule]]]:
    calls = plugin_calls(
        "mlscaffold_file_policies", plugins, answers=dict(answers), operation=operation
    )
    return {
        name: policies.parse_rules(raw, f"plugin {name!r}, hook mlscaffold_file_policies")
        for name, raw in calls
    }


def _merge(layer: Path, destination: Path, plugin: str, owners: dict[str, str]) -> None:
    for path in sorted(layer.rglob("*")):
        relative = path.relative_to(layer).as_posix()
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            if not target.is_relative_to(layer.resolve()):
                raise MlscaffoldError(
                    f"plugin {plugin!r} template layer has {relative}, a link that leads outside "
                    "the project: plugins may only write inside it"
                )
        if path.is_dir() and not path.is_symlink():
            continue
        if relative in owners:
            other = owners[relative]
            other = "the base template" if other == policies.TEMPLATE_OWNER else f"plugin {other!r}"
            raise MlscaffoldError(
                f"plugin {plugin!r} and {other} both write {relative}: "
                "a file has one owner; drop it from one of them"
            )
        owners[relative] = plugin
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)


def _checklist_items(
    plugins: Sequence[str], answers: Mapping[str, Any], template_dir: Path, operation: str
) -> list[checklists.ChecklistItem]:
    items: list[checklists.ChecklistItem] = []
    owners: dict[str, str] = {}
    for stage in STAGE_IDS:
        calls = plugin_calls(
            "mlscaffold_checklist_items", plugins,
            stage=stage, answers=dict(answers), template_dir=template_dir, operation=operation,
        )  # fmt: skip
        for name, result in calls:
            if result is None:
                continue
            if not isinstance(result, (list, tuple)):
                raise MlscaffoldError(
                    f"plugin {name!r}, hook mlscaffold_checklist_items returned "
                    f"{type(result).__name__}: it must return a list of items"
                )
            for entry in result:
                origin = "the base template" if name == "core" else f"plugin {name!r}"
                item = (
                    entry
                    if isinstance(entry, checklists.ChecklistItem)
                    else checklists.item_from_data(entry, origin)
                )
                if not item.applies_to(answers):
                    continue
                if item.stage != stage or not item.id.startswith(f"{name}."):
                    raise MlscaffoldError(
                        f"{origin}: checklist item {item.id!r} must be for stage {stage!r} "
                        f"and have an id starting with {name + '.'!r}"
                    )
                if item.id in owners:
                    raise MlscaffoldError(
                        f"{origin} and {owners[item.id]} both define checklist item {item.id!r}: "
                        "ids must be unique"
                    )
                owners[item.id] = origin
                items.append(item)
    return items


def _edit_pyproject(
    destination: Path, plugins: Sequence[str], answers: Mapping[str, Any], operation: str
) -> None:
    path = destination / "pyproject.toml"
    if not path.is_file():
        return
    editors = [impl.plugin_name for impl in pm.hook.mlscaffold_pyproject.get_hookimpls()]
    if not set(editors) & set(plugins):
        return
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as error:  # tomlkit raises several parse error types
        raise MlscaffoldError(
            f"the template made an invalid pyproject.toml ({error}), so plugins cannot edit it: "
            "fix the template"
        ) from None
    before = tomlkit.dumps(document)
    plugin_calls(
        "mlscaffold_pyproject", plugins,
        pyproject=document, answers=dict(answers), operation=operation,
    )  # fmt: skip
    after = tomlkit.dumps(document)
    if after != before:
        try:
            tomlkit.parse(after)
        except Exception as error:
            raise MlscaffoldError(f"plugins left pyproject.toml invalid ({error})") from None
        path.write_text(after, encoding="utf-8")


def _explain(
    error: Exception,
    what: str,
    data: Mapping[str, Any] | None = None,
    recorded: Mapping[str, Any] | None = None,
) -> Exception:
    """Turn what copier raises into a one-line message; anything unforeseen stays a bug.

    ``data`` and ``recorded`` are the answers given to copier (on the command line and
    from the state file), so a refused answer is blamed on where it came from.
    """
    from copier.errors import (
        CopierError,
        ForbiddenPathError,
        InvalidTypeError,
        UnsafeTemplateError,
        UserMessageError,
    )

    if isinstance(error, KeyboardInterrupt):  # copier's Ctrl-C at a prompt keeps its meaning
        cause = error.__cause__ or error.__context__  # SIGTERM's, say, with its exit code
        return cause if isinstance(cause, KeyboardInterrupt) else error
    message = _one_line(error)
    question = _question_at_fault(error)
    template_code = type(error).__module__.startswith("jinja2") or _template_line(error)
    # copier's own errors there (no terminal to ask...) say what they mean; any other is
    # a value that does not convert: an answer, or a default.
    own = isinstance(error, CopierError) and not isinstance(error, InvalidTypeError)
    if question and message == f'Question "{question[0]}" is required':  # copier's words
        return MlscaffoldError(
            f"{what} asks {question[0]!r}, which has no default and was not answered: "
            f"answer it with -d {question[0]}=VALUE"
        )
    if question and not template_code and not own:
        return _answer_error(error, what, question, data or {}, recorded or {})
    if isinstance(error, UnicodeDecodeError):
        return MlscaffoldError(
            f"{what} has a .jinja file that is not UTF-8 text ({error.reason} at "
            f"byte {error.start}): save it as UTF-8, or drop its .jinja suffix to copy it as is"
        )
    if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
        name = Path(str(error.filename or "")).name
        return MlscaffoldError(
            f"{what} makes a file name of {len(os.fsencode(name))} bytes ({name[:30]}...), "
            "longer than the file system allows: give shorter answers, or fix the template"
        )
    if isinstance(error, RecursionError):
        return MlscaffoldError(f"{what} is nested too deeply to render: simplify it")
    if isinstance(error, ForbiddenPathError):
        path = message.removesuffix(" is forbidden")
        return MlscaffoldError(
            f"{what} refers to {path}, a path outside the template or the project: "
            "a template may only read its own files and write inside the project"
        )
    if isinstance(error, UnsafeTemplateError):
        features = message.split(":", 1)[-1].strip().rstrip(".")
        return MlscaffoldError(
            f"{what} uses unsafe features ({features}): pass --trust only if you trust its author"
        )
    if message.startswith(("Validation error for question", "Invalid choice for")):
        return MlscaffoldError(f"{message}: change the answer with -d KEY=VALUE")
    if type(error).__name__ == "ProcessExecutionError":  # plumbum's, from a git copier ran
        stderr = _one_line(getattr(error, "stderr", "") or error)
        return MlscaffoldError(f"{what}: git failed ({stderr}); check the disk and git, then retry")
    if type(error).__module__.startswith("jinja2"):
        return MlscaffoldError(f"{what} failed to render: {message}")
    where = _template_line(error)
    if where:  # raised by the template's own code: {{ 1 / 0 }}, {{ '%d' % 'x' }}...
        return MlscaffoldError(
            f"{what} failed to render at {where}: {type(error).__name__}: {message}"
        )
    if isinstance(error, UserMessageError) or type(error).__module__.startswith("copier"):
        return MlscaffoldError(f"{what}: {message}")
    return error


# What each question type takes, for the message about an answer that is not one.
TYPE_HINTS = {
    "str": "text (not a list or a mapping)",
    "int": "a whole number, e.g. 3",
    "float": "a number, e.g. 0.5",
    "bool": "true or false",
    "json": "JSON, e.g. [1, 2]",
    "yaml": "YAML, e.g. [1, 2]",
}


def _question_at_fault(error: BaseException) -> tuple[str, Any] | None:
    """The question copier was reading an answer for when ``error`` was raised: the
    ``var_name`` and ``question`` of its questionnaire loop (``Worker._ask``), read from
    the traceback, as copier's errors do not name the question.
    tests/test_template_safety.py checks that copier still has them."""
    from copier._main import Worker

    found = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is Worker._ask.__code__:
            local = tb.tb_frame.f_locals
            if "var_name" in local:
                found = (local["var_name"], local.get("question"))
        tb = tb.tb_next
    return found


def _answer_error(
    error: Exception,
    what: str,
    question: tuple[str, Any],
    data: Mapping[str, Any],
    recorded: Mapping[str, Any],
) -> MlscaffoldError:
    name, spec = question
    message = _one_line(error)
    if message.startswith(("Validation error for question", "Invalid choice for")):
        problem = message
    else:
        try:
            kind = spec.get_type_name()
        except Exception:  # a templated type that fails to render: say what we know
            kind = str(getattr(spec, "type", "") or "an answer of its type")
        problem = f"it must be {TYPE_HINTS.get(kind, kind)}"
    if name in data:
        shown = _shown(data[name])
        return MlscaffoldError(
            f"the answer {shown} to {name!r} does not fit the question: {problem}; "
            f"change it with -d {name}=VALUE"
        )
    if name in recorded:
        shown = _shown(recorded[name])
        return MlscaffoldError(
            f"the answer {shown} to {name!r} recorded in {STATE_FILE} does not fit this "
            f"version of the template: {problem}; give a new one with -d {name}=VALUE"
        )
    return MlscaffoldError(
        f"{what}: the default answer to {name!r} does not fit its own question: {problem}; "
        "fix the template"
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _template_line(error: BaseException) -> str:
    """Where in the template the error was raised, as ``file line N``: the innermost of
    the traceback entries Jinja writes for template code (their globals hold the error)."""
    where = ""
    tb = error.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            where = f"{Path(tb.tb_frame.f_code.co_filename).name} line {tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _one_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

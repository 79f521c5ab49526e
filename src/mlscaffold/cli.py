"""The command line: maps options to library calls and shows their results.

Typer lives here only; library modules return values or raise MlscaffoldError.

Unlike the other modules, this one has no ``from __future__ import annotations``: typer
reads every command's annotations on each run, and evaluating them as strings there
took three quarters of building the command line (15 ms of a 0.2 s ``status``).
"""

import errno
import functools
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperCommand, TyperGroup

import mlscaffold
from mlscaffold import display
from mlscaffold.errors import MlscaffoldError

if TYPE_CHECKING:
    from rich.console import Console

#: Set by ``--quiet``: print only errors and --json output.
quiet_mode = False


# The machine, not mlscaffold, is at fault: a full disk, a quota, a read-only place.
ENVIRONMENT_ERRORS = {
    errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
}  # fmt: skip


class _Readable:
    """Summaries and usage lines as people read them, in ``--help`` and the CLI reference."""

    def get_short_help_str(self, limit: int = 45) -> str:
        # Whole: click cuts a summary at 45 characters and ends it with "...".
        text = getattr(self, "short_help", None) or (getattr(self, "help", None) or "")
        return " ".join(text.split("\n\n", 1)[0].split())

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        # typer writes a required argument as {dest} and an optional one as [path]; the
        # convention, click's and the README's, is DEST and [PATH].
        pieces = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [re.sub(r"^\{(\w+)\}|^\[(\w+)\]",
                       lambda m: m[1].upper() if m[1] else f"[{m[2].upper()}]", piece)
                for piece in pieces]  # fmt: skip


class _Command(_Readable, TyperCommand):
    pass


class _Group(_Readable, TyperGroup):
    """Catches the one user-facing error type once, for every command."""

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        from mlscaffold import interrupts

        try:
            with interrupts.armed():
                return super().invoke(ctx)
        except MlscaffoldError as error:
            _report(error)
            raise typer.Exit(code=error.exit_code) from None
        except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM/SIGHUP (see interrupts)
            _say("the command was stopped; nothing was changed", label="Interrupted:",
                 colour="yellow", err=True)  # fmt: skip
            raise typer.Exit(code=getattr(error, "exit_code", 130)) from None
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:  # a destination or file name the user gave
                name = repr(error.filename) if error.filename else "a name"
                _report(MlscaffoldError(
                    f"{name} is too long a name for the file system (names take at most 255 "
                    "bytes on most): choose a shorter one"
                ))  # fmt: skip
                raise typer.Exit(code=1) from None
            if error.errno not in ENVIRONMENT_ERRORS:
                raise  # anything else is a bug and keeps its traceback
            where = f" {error.filename}" if error.filename else ""
            _report(MlscaffoldError(
                f"cannot write{where}: {error.strerror}; nothing was changed: "
                "free some space or fix the permissions, then run the command again"
            ))  # fmt: skip
            raise typer.Exit(code=1) from None


def _report(error: MlscaffoldError) -> None:
    _say(error.message, label="Error:", colour="red", err=True)


def _say(message: str, *, label: str = "", colour: str = "", err: bool = False) -> None:
    """One line, printed without rich: errors, notes and the short results of quick commands.

    Importing rich costs more than everything else `status` or `check` does; tables and
    trees use it (``_console``). Colour only on a terminal, never when ``display.plain()``,
    and always with FORCE_COLOR otherwise.
    """
    if quiet_mode and not err:
        return
    force = False if display.plain() else True if os.environ.get("FORCE_COLOR") else None
    if label:
        message = f"{label if force is False else typer.style(label, fg=colour)} {message}"
    typer.echo(message, err=err, color=force)


def _problems(problems: list[str]) -> None:
    for problem in problems:
        _say(problem, label="Problem:", colour="yellow", err=True)


def _json(data: object) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@functools.cache
def _console() -> "Console":
    """rich's console for tables, trees and spinners, made on first use."""
    from rich.console import Console

    if display.plain():
        # Not a terminal to rich: no styles, no cursor codes, no animated spinner.
        return Console(highlight=False, quiet=quiet_mode, color_system=None, force_terminal=False)
    return Console(highlight=False, quiet=quiet_mode)


class _Typer(typer.Typer):
    """Commands, plugins' included, use ``_Command``."""

    def command(self, *args, cls=None, **kwargs):  # type: ignore[override]
        return super().command(*args, cls=cls or _Command, **kwargs)


# -h works as --help, on every command: sub-commands inherit it from the root's context.
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}

app = _Typer(
    cls=_Group,
    context_settings=HELP_OPTIONS,
    help="Start, run and keep up to date ML projects laid out across the six stages of an "
    "ML system: scoping, data, modeling, deployment, monitoring, business analysis.",
    epilog="Installed plugins may add commands of their own (see `mlscaffold plugins`); "
    "built-in commands start without loading plugins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


# Options that several commands share, spelled as copier spells them.
DataOption = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", metavar="KEY=VALUE", help="Answer a question (repeatable)."),
]
DataFileOption = Annotated[
    Path | None,
    typer.Option("--data-file", help="YAML file of answers; -d answers take precedence."),
]
DefaultsOption = Annotated[
    bool, typer.Option("--defaults", help="Take the default answer of every question not given.")
]
NoGitOption = Annotated[
    bool, typer.Option("--no-git", help="Do not create a git repository and first commit.")
]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mlscaffold {mlscaffold.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors (and --json output).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print every file created or changed.")
    ] = False,
) -> None:
    global quiet_mode
    quiet_mode = quiet
    _console.cache_clear()  # a new invocation in the same process (tests) starts afresh
    display.verbose = verbose and not quiet


def _complete_stage(incomplete: str) -> list[str]:
    from mlscaffold.stages import STAGE_IDS

    return [stage for stage in STAGE_IDS if stage.startswith(incomplete)]


def _complete_used(incomplete: str) -> list[str]:
    from mlscaffold.state import read_state
    from mlscaffold.status import find_project

    try:
        used = read_state(find_project(Path("."))).plugins
    except MlscaffoldError:
        return []
    return [name for name in used if name.startswith(incomplete)]


def _complete_plugin(incomplete: str) -> list[str]:
    from mlscaffold import plugins

    try:
        return [name for name in plugins.names() if name.startswith(incomplete)]
    except MlscaffoldError:  # a broken plugin must not break the shell
        return []


@app.command()
def new(
    dest: Annotated[
        Path,
        typer.Argument(
            help="Folder to create (absent or empty); its name is the default project name.",
            show_default=False,
        ),
    ],
    data: DataOption = None,
    data_file: DataFileOption = None,
    defaults: DefaultsOption = False,
    template: Annotated[
        str,
        typer.Option(
            help="Copier template: local path or git URL. Default: the built-in template."
        ),
    ] = "builtin:project",
    vcs_ref: Annotated[
        str | None, typer.Option(help="Git tag, branch or commit of the template to use.")
    ] = None,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Let the template run tasks, Jinja extensions and filters reading the machine.",
        ),
    ] = False,
    no_git: NoGitOption = False,
    monorepo: Annotated[
        bool,
        typer.Option(
            "--monorepo",
            help="Inside a git repository: add the project to it (staged for review) "
            "instead of giving the project a repository of its own.",
        ),
    ] = False,
    plugin: Annotated[
        list[str] | None,
        typer.Option(
            "--plugin",
            "-p",
            metavar="NAME",
            autocompletion=_complete_plugin,
            help="Use an installed plugin (repeatable); see `mlscaffold plugins`.",
        ),
    ] = None,
) -> None:
    """Create a new ML project from a template."""
    from mlscaffold.answers import load_data_file, parse_pairs
    from mlscaffold.project import create_project

    answers = load_data_file(data_file) if data_file else {}
    answers.update(parse_pairs(data or []))
    interactive = sys.stdin.isatty()
    if plugin is None and interactive and not defaults:
        plugin = _ask_plugins()
    # A spinner only when nothing will be asked: it would draw over copier's prompts.
    with (
        _working("Rendering the project", quiet=interactive and not defaults),
        _questions(),
        _template_messages(),
    ):
        created = create_project(
            dest,
            template=template,
            vcs_ref=vcs_ref,
            data=answers,
            defaults=defaults,
            trust=trust,
            use_git=not no_git,
            interactive=interactive,
            plugins=plugin or [],
            monorepo=monorepo,
        )
    for note in created.notes:
        _say(note, label="Note:", colour="yellow", err=True)
    if not quiet_mode:
        display.print_created(_console(), created)
    if created.state.template_source == "builtin:project":
        _say(
            "Next steps:\n"
            f"  1. cd {dest}\n"
            "  2. python3 -m venv .venv && . .venv/bin/activate && "
            f"pip install -e '.[dev]'{_checkout_argument()}\n"
            "  3. make all     # data -> train -> evaluate -> promote -> drift -> business\n"
            "Then work through stages/01-scoping ... 06-business-analysis; "
            "`mlscaffold status` shows where you stand."
        )


def _checkout_argument() -> str:
    """The folder this mlscaffold was installed from, as an argument for the project's
    ``pip install``: its dev extra requires mlscaffold (``ml-lifecycle-scaffold``), which a
    package index may not have when mlscaffold came from a checkout. Printed, never written
    into the project."""
    import json
    import shlex
    from importlib.metadata import PackageNotFoundError, distribution
    from urllib.parse import unquote, urlparse

    try:
        recorded = distribution(mlscaffold.DISTRIBUTION).read_text("direct_url.json") or "{}"
        url = urlparse(json.loads(recorded).get("url", ""))
    except (PackageNotFoundError, ValueError, AttributeError):
        return ""
    folder = Path(unquote(url.path)) if url.scheme == "file" else None
    return f" {shlex.quote(str(folder))}" if folder and folder.is_dir() else ""


def _working(message: str, quiet: bool):
    """A spinner on a terminal for what may take more than a second; nothing otherwise."""
    from contextlib import nullcontext

    if quiet or quiet_mode or not sys.stdout.isatty() or display.plain():
        return nullcontext()
    return _console().status(message)


def _questions():
    """copier's questions, asked as plain lines where escape sequences are not wanted."""
    from contextlib import nullcontext

    if not display.plain() or not sys.stdin.isatty():
        return nullcontext()
    from mlscaffold.prompts import plain_questions

    return plain_questions()


def _template_messages():
    """The template's own messages (copier's ``_message_before_copy`` and the others), on
    stderr as copier shows them; none with --quiet."""
    from contextlib import nullcontext

    if quiet_mode:
        return nullcontext()
    from mlscaffold.render import showing_messages

    return showing_messages(lambda text: typer.echo(text, err=True))


def _ask_plugins() -> list[str]:
    """Offer the installed plugins, as copier offers a question's choices."""
    from mlscaffold import plugins

    installed = plugins.installed()
    if not installed:
        return []
    import questionary  # comes with copier, which draws its prompts with it

    choices = [
        questionary.Choice(f"{p.name} ({p.distribution} {p.version})".replace(" ()", ""), p.name)
        for p in installed
    ]
    message = "Plugins to use in this project"
    if display.plain():
        from mlscaffold.prompts import ask

        question = {"type": "checkbox", "name": "plugins", "message": message, "choices": choices}
        return ask([question])["plugins"]
    picked = questionary.checkbox(message, choices=choices).ask()
    if picked is None:  # Ctrl-C at the prompt
        raise KeyboardInterrupt
    return picked


plugin_app = _Typer(
    cls=_Group,
    context_settings=HELP_OPTIONS,
    help="Write mlscaffold plugins.",
    no_args_is_help=True,
)
app.add_typer(plugin_app, name="plugin")


@plugin_app.command("new")
def plugin_new(
    name: Annotated[str, typer.Argument(help="Plugin name users pass to --plugin, e.g. acme.")],
    dest: Annotated[
        Path | None, typer.Option(help="Folder to create. Default: mlscaffold-NAME.")
    ] = None,
    data: DataOption = None,
    defaults: DefaultsOption = False,
    no_git: NoGitOption = False,
) -> None:
    """Create a plugin package (mlscaffold-NAME) with a tested example of each hook kind."""
    from mlscaffold.answers import parse_pairs
    from mlscaffold.project import create_project

    target = dest or Path(f"mlscaffold-{name}")
    answers = {**parse_pairs(data or []), "plugin_name": name}
    if _has_terminal() and not defaults:
        answers.update(_ask_plugin_questions(answers))
    create_project(
        target,
        template="builtin:plugin",
        data=answers,
        defaults=True,  # every question was asked above, or its default chosen
        use_git=not no_git,
        interactive=False,
    )
    _say(f"plugin package {target}", label="Created", colour="green")
    _say(
        "Next steps:\n"
        f"  cd {target}\n"
        "  python -m venv .venv && .venv/bin/pip install -e '.[test]'\n"
        "  .venv/bin/python -m pytest\n"
        f"  Then, in an environment with the plugin installed: mlscaffold new demo --plugin {name}"
    )


def _has_terminal() -> bool:
    return sys.stdin.isatty()


def _ask_plugin_questions(given: dict[str, str]) -> dict[str, str]:
    """Ask the plugin template's questions the way typer asks: the default is shown in
    brackets and taken on an empty answer, never pre-filled (typed text would be appended
    to it). The template validates the answers when it renders."""
    import jinja2
    import yaml

    from mlscaffold.sources import builtin_templates_dir

    config = yaml.safe_load((builtin_templates_dir() / "plugin" / "copier.yml").read_text())
    answers = dict(given)
    for key, spec in config.items():
        if key.startswith("_") or key in answers or not isinstance(spec, dict):
            continue
        if spec.get("when") is False:
            continue
        default = jinja2.Environment().from_string(str(spec.get("default", ""))).render(answers)
        answers[key] = typer.prompt(spec.get("help", key), default=default)
    return answers


@app.command("plugins")
def list_plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """List the installed plugins a project can use."""
    from mlscaffold import plugins

    found = [(p, plugins.stages_of(p.name)) for p in plugins.installed()]
    if as_json:
        rows = [
            {"name": p.name, "distribution": p.distribution, "version": p.version,
             "hooks": list(p.hooks), "stages": stages}
            for p, stages in found
        ]  # fmt: skip
        _json({"schema_version": 1, "plugins": rows})
        return
    if not found:
        _say("No plugins installed. Create one with `mlscaffold plugin new NAME`.")
        return
    rows = [("name", "distribution", "version", "stages", "hooks (mlscaffold_*)")]
    rows += [(p.name, p.distribution, p.version, ", ".join(stages),
              ", ".join(hook.removeprefix("mlscaffold_") for hook in p.hooks))
             for p, stages in found]  # fmt: skip
    for line in display.columns(rows):
        _say(line)


ProjectArgument = Annotated[
    Path, typer.Argument(help="The project, or any folder inside it.", show_default=False)
]
StagesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--stage",
        "-s",
        autocompletion=_complete_stage,
        help="Only this stage (repeatable): scoping, data, modeling, deployment, "
        "monitoring, business-analysis.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@app.command()
def status(
    path: ProjectArgument = Path("."),
    stage: StagesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show each stage's checklist progress; with --stage, every item and why it matters."""
    from mlscaffold.status import find_project, project_status

    report = project_status(find_project(path), stage or [])
    if as_json:
        _json(report.to_json())
        return
    _problems(report.problems)
    if stage:
        for stage_status in report.stages:
            display.print_stage_items(_console(), stage_status)
        return
    for line in display.summary(report):
        _say(line)


@app.command()
def check(
    path: ProjectArgument = Path("."),
    stage: StagesOption = None,
    run: Annotated[
        bool, typer.Option("--run", help="Also run the items' verification commands.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds each verification command may take.")
    ] = 300,
    as_json: JsonOption = False,
) -> None:
    """Gate on the checklists: exit 3 while a required item of the stages is open."""
    from mlscaffold.errors import EXIT_CHECK_FAILED
    from mlscaffold.status import find_project, project_status

    report = project_status(find_project(path), stage or [], run_commands=run, timeout=timeout)
    failing = [item for s in report.stages for item in s.required_open]
    passed = not failing and not report.problems
    if as_json:
        _json({**report.to_json(), "passed": passed})
    else:
        _problems(report.problems)
        for item in failing:
            detail = f" — {item.detail}" if item.detail else ""
            where = f" ({item.location})" if item.location else ""
            _say(f"{item.id}: {item.title}{detail}{where}", label="open", colour="red")
        names = ", ".join(s.stage.id for s in report.stages)
        if passed:
            _say(f"every required item of {names} is done", label="passed:", colour="green")
        else:
            _say(f"{len(failing)} required item(s) open, {len(report.problems)} problem(s) "
                 f"in {names}", label="failed:", colour="red")  # fmt: skip
    if not passed:
        raise typer.Exit(EXIT_CHECK_FAILED)


PathOption = Annotated[
    Path, typer.Option("--path", "-C", help="The project, or any folder inside it.")
]
VcsRefOption = Annotated[
    str | None, typer.Option(help="Git tag, branch or commit of the template to use.")
]
TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust",
        help="Let the template run tasks, Jinja extensions and filters reading the machine.",
    ),
]


@app.command()
def update(
    path: ProjectArgument = Path("."),
    vcs_ref: VcsRefOption = None,
    data: DataOption = None,
    data_file: DataFileOption = None,
    defaults: DefaultsOption = False,
    trust: TrustOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change and conflict; write nothing.")
    ] = False,
    replace_managed: Annotated[
        bool,
        typer.Option(
            "--replace-managed",
            help="Take the template's version of managed files you changed (yours stays in git).",
        ),
    ] = False,
    as_json: JsonOption = False,
    abort: Annotated[
        bool,
        typer.Option(
            "--abort",
            help="Undo an update that was killed part-way, putting the project back as it was.",
        ),
    ] = False,
) -> None:
    """Merge the template's and plugins' changes into the project (3-way, through git)."""
    if abort:
        from mlscaffold.update import abort_update

        head = abort_update(path)
        _say(f"the project is back at {head[:12]}, as it was before the update", label="Undone:",
             colour="green")  # fmt: skip
        return
    _update(path, vcs_ref=vcs_ref, data=data, data_file=data_file, defaults=defaults, trust=trust,
            dry_run=dry_run, replace_managed=replace_managed, as_json=as_json)  # fmt: skip


@app.command()
def add(
    plugin: Annotated[
        list[str],
        typer.Argument(help="Installed plugin(s) to start using.", autocompletion=_complete_plugin),
    ],
    path: PathOption = Path("."),
    data: DataOption = None,
    data_file: DataFileOption = None,
    defaults: DefaultsOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Start using plugins in an existing project (an update with them added).

    A plugin the project used before comes back with its answers and its checklist items'
    progress, as they were when it was removed."""
    _update(path, add=plugin, data=data, data_file=data_file, defaults=defaults,
            dry_run=dry_run, as_json=as_json)  # fmt: skip


@app.command()
def remove(
    plugin: Annotated[
        list[str],
        typer.Argument(
            help="Plugin(s) the project should stop using.", autocompletion=_complete_used
        ),
    ],
    path: PathOption = Path("."),
    data: DataOption = None,
    data_file: DataFileOption = None,
    defaults: DefaultsOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Stop using plugins (an update without them).

    Their files you changed stay, as yours; their answers and checklist progress are
    remembered in .mlscaffold.toml for when the plugin is added back."""
    _update(path, remove=plugin, data=data, data_file=data_file, defaults=defaults,
            dry_run=dry_run, as_json=as_json)  # fmt: skip


def _update(path: Path, *, as_json: bool = False, data=None, data_file=None, **options) -> None:
    from mlscaffold.answers import load_data_file, parse_pairs
    from mlscaffold.errors import EXIT_CONFLICTS
    from mlscaffold.update import update_project

    answers = load_data_file(data_file) if data_file else {}
    answers.update(parse_pairs(data or []))
    interactive = sys.stdin.isatty()
    quiet = interactive and not options.get("defaults")
    with _working("Rendering and merging", quiet=quiet), _questions(), _template_messages():
        result = update_project(path, data=answers, interactive=interactive, **options)
    for note in result.notes:
        _say(note, label="Note:", colour="yellow", err=True)
    if as_json:
        _json(display.update_json(result))
    elif not quiet_mode:
        display.print_update(_console(), result)
    if result.conflicts and not result.dry_run:
        raise typer.Exit(EXIT_CONFLICTS)


@app.command()
def adopt(
    path: ProjectArgument = Path("."),
    answers_file: Annotated[
        str | None,
        typer.Option(
            help="copier's answers file, relative to the project. Default: .copier-answers.yml."
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(help="Render this template version instead of the answers file's _commit."),
    ] = None,
    data: DataOption = None,
    trust: TrustOption = False,
) -> None:
    """Take over a project made by copier, so that mlscaffold can update it.

    Renders the template version and answers copier recorded, keeps it in git history as the
    project's first pristine snapshot, and stages a merge that changes none of your files
    (it adds .mlscaffold.toml): review it and `git commit`."""
    from mlscaffold.adopt import adopt_project
    from mlscaffold.answers import parse_pairs

    with _working("Rendering the recorded version", quiet=False):
        adopted = adopt_project(path, answers_file=answers_file, vcs_ref=vcs_ref,
                                data=parse_pairs(data or []), trust=trust)  # fmt: skip
    for note in adopted.notes:
        _say(note, label="Note:", colour="yellow", err=True)
    state = adopted.state
    _say(f"{adopted.project} from {state.template_source} {state.template_version}".rstrip(),
         label="Adopted", colour="green")  # fmt: skip
    if adopted.differing:
        shown = ", ".join(adopted.differing[:5]) + (", ..." if len(adopted.differing) > 5 else "")
        _say(f"{len(adopted.differing)} file(s) differ from the template's render: your edits, "
             f"kept ({shown})")  # fmt: skip
    _say("Review the staged merge and `git commit` it; then `mlscaffold update` brings in newer "
         "template versions.")  # fmt: skip


@app.command()
def files(path: ProjectArgument = Path("."), as_json: JsonOption = False) -> None:
    """List the generated files: owner, update policy, and whether you changed them."""
    from mlscaffold.update import list_files

    rows = list_files(path)
    if as_json:
        _json({"schema_version": 1, "files": rows})
    elif not quiet_mode:
        display.print_files(_console(), rows)


@app.command()
def diff(path: ProjectArgument = Path(".")) -> None:
    """Show what the project changed since its last pristine snapshot (git diff)."""
    from mlscaffold.update import diff_since_snapshot

    _say(diff_since_snapshot(path).rstrip("\n"))


def main() -> None:
    from mlscaffold import interrupts

    interrupts.install()
    try:
        os.getcwd()
    except FileNotFoundError:  # copier and git need one; say so instead of failing deep inside
        _report(MlscaffoldError("the current folder no longer exists: cd to one that does"))
        raise SystemExit(1) from None
    if _may_name_a_plugin_command(sys.argv[1:]):
        try:
            # Plugins may add commands, so they load before the command line is parsed.
            add_plugin_commands(app)
        except MlscaffoldError as error:
            _report(error)
            raise SystemExit(error.exit_code) from None
    with interrupts.scratch_root():
        app(prog_name="mlscaffold")


def add_plugin_commands(target: typer.Typer) -> None:
    """Let each plugin add its commands to ``target``; an exception one of them raises
    becomes one line naming the plugin, as a built-in command's error is."""
    from mlscaffold import plugins

    for name in plugins.names():
        commands = len(target.registered_commands)
        groups = len(target.registered_groups)
        plugins.call("mlscaffold_commands", [name], app=target)
        for info in target.registered_commands[commands:]:
            info.callback = _guarded(name, info.callback)
        for group in target.registered_groups[groups:]:
            if group.typer_instance is not None:
                _guard_group(name, group.typer_instance)


def _guard_group(plugin: str, group: typer.Typer) -> None:
    for info in group.registered_commands:
        info.callback = _guarded(plugin, info.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _guard_group(plugin, sub.typer_instance)


def _guarded(plugin: str, callback):
    if callback is None:
        return None
    import click

    @functools.wraps(callback)  # typer reads the parameters through __wrapped__
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except (MlscaffoldError, click.exceptions.Exit, click.exceptions.Abort,
                click.ClickException):  # fmt: skip
            raise  # the message, the exit code or the usage error typer shows anyway
        except Exception as error:
            name = getattr(callback, "__name__", "command")
            text = str(error).strip().splitlines()
            raise MlscaffoldError(
                f"plugin {plugin!r} failed in its command {name} ({type(error).__name__}"
                f"{': ' + text[0] if text else ''}): report it to the plugin's authors"
            ) from None

    return run


def _may_name_a_plugin_command(args: list[str]) -> bool:
    """False when the command line names a built-in command: it then runs without loading
    every installed plugin first (commands that use plugins load them when they do)."""
    if "_MLSCAFFOLD_COMPLETE" in os.environ:  # shell completion lists every command
        return True
    # No option before the command takes a value, so the first word is the command;
    # with none (`--help`, `--version`) the command line names no plugin's command.
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command is None:
        return False
    builtins = {info.name or info.callback.__name__.replace("_", "-")
                for info in app.registered_commands if info.callback}  # fmt: skip
    builtins |= {info.name for info in app.registered_groups}
    return command not in builtins

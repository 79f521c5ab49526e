"""``render``: the pure function at the heart of mlscaffold.

(template at a ref, answers) -> a pristine tree in an empty directory. copier does the
rendering, the questions and their validation; mlscaffold adds the stage checklists.
``new`` and ``update`` differ only in where the pristine tree goes afterwards.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlscaffold import __version__, checklists
from mlscaffold.errors import MlscaffoldError
from mlscaffold.state import BUILTIN_PREFIX

TEMPLATE_CONFIG_FILES = ("copier.yml", "copier.yaml")
# Matches what copier itself accepts as a remote template (URLs, scp-like git, its shortcuts).
REMOTE_TEMPLATE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|gh:|gl:)", re.IGNORECASE)


@dataclass
class Rendered:
    answers: dict[str, Any]
    template_version: str
    template_commit: str = ""
    notes: list[str] = field(default_factory=list)


def builtin_templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the repo root."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def resolve_source(source: str, vcs_ref: str | None) -> str:
    """Turn the user's template source into what copier opens, or explain the problem."""
    if source.startswith(BUILTIN_PREFIX):
        name = source.removeprefix(BUILTIN_PREFIX)
        path = builtin_templates_dir() / name
        if not name or "/" in name or not path.is_dir():
            raise MlscaffoldError(f"there is no built-in template {name!r}: use builtin:project")
        if vcs_ref:
            raise MlscaffoldError(
                "--vcs-ref applies to git templates; the built-in template's version is "
                f"mlscaffold's own ({__version__}): drop --vcs-ref"
            )
        return str(path)
    if REMOTE_TEMPLATE.match(source):
        return source
    path = Path(source).expanduser()
    if not path.is_dir():
        raise MlscaffoldError(
            f"template {source} does not exist or is not a folder: give the path or git URL "
            "of a copier template"
        )
    if not any((path / name).is_file() for name in TEMPLATE_CONFIG_FILES):
        raise MlscaffoldError(
            f"template {source} is not a copier template (no copier.yml in it): "
            "check the path"
        )
    if vcs_ref and not (path / ".git").exists():
        raise MlscaffoldError(
            f"--vcs-ref {vcs_ref} needs a git template, but {source} is not a git repository: "
            "drop --vcs-ref or point --template at the repository"
        )
    return str(path.resolve())


def render(
    source: str,
    destination: Path,
    *,
    data: Mapping[str, Any] | None = None,
    vcs_ref: str | None = None,
    defaults: bool = False,
    user_defaults: Mapping[str, Any] | None = None,
    trust: bool = False,
    interactive: bool = True,
) -> Rendered:
    """Render ``source`` into the empty folder ``destination`` and return the answers.

    ``data`` answers questions without asking; ``defaults`` takes the default of every
    question not answered; ``user_defaults`` replaces a question's default. Raises
    MlscaffoldError for anything the user can fix; ``destination`` may then hold a partial
    render, so callers render into a folder they throw away on error.
    """
    # copier is heavy: import it only when a render happens, so `--help` stays fast.
    import copier
    from copier.errors import CopierError
    from plumbum import ProcessExecutionError

    copier_src = resolve_source(source, vcs_ref)
    data = dict(data or {})
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with copier.Worker(
                src_path=copier_src,
                dst_path=destination,
                data=data,
                vcs_ref=vcs_ref,
                defaults=defaults,
                user_defaults=dict(user_defaults or {}),
                unsafe=trust,
                quiet=True,
                cleanup_on_error=False,
            ) as worker:
                template = worker.template
                questions = template.questions_data
                unknown = sorted(set(data) - set(questions))
                if unknown:
                    raise MlscaffoldError(
                        f"the template has no question {', '.join(map(repr, unknown))}: "
                        f"known questions are {', '.join(questions)}"
                    )
                if not defaults and not interactive and set(questions) - set(data):
                    raise MlscaffoldError(
                        "there is no terminal to ask the template's questions: pass --defaults "
                        "to take the defaults (and -d KEY=VALUE for the answers you want)"
                    )
                worker.run_copy()
                answers = {
                    key: worker.answers.combined[key]
                    for key, spec in questions.items()
                    if key in worker.answers.combined and not (spec or {}).get("secret")
                }
                items = checklists.select(checklists.load_items(template.local_abspath), answers)
                checklists.write_checklists(destination, items)
                if source.startswith(BUILTIN_PREFIX):
                    version, commit = __version__, ""
                else:
                    version = str(template.version or template.commit or "")
                    commit = template.commit_hash or ""
        notes.extend(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    except MlscaffoldError:
        raise
    except (CopierError, ValueError, ProcessExecutionError) as error:
        raise _explain(error, source, vcs_ref) from None
    except Exception as error:
        if type(error).__module__.startswith("jinja2"):
            raise MlscaffoldError(f"template {source} failed to render: {_one_line(error)}") from None
        raise
    return Rendered(answers=answers, template_version=version, template_commit=commit, notes=notes)


def _explain(error: Exception, source: str, vcs_ref: str | None) -> Exception:
    """Turn what copier raises into a one-line message; anything unforeseen stays a bug."""
    from copier.errors import UnsafeTemplateError, UserMessageError
    from plumbum import ProcessExecutionError

    message = _one_line(error)
    if isinstance(error, UnsafeTemplateError):
        features = message.split(":", 1)[-1].strip().rstrip(".")
        return MlscaffoldError(
            f"template {source} uses unsafe features ({features}): "
            "pass --trust only if you trust its author"
        )
    if vcs_ref and (isinstance(error, ProcessExecutionError) or "Unknown revision" in message):
        return MlscaffoldError(
            f"--vcs-ref {vcs_ref} was not found in template {source}: "
            "list its tags with `git tag` there"
        )
    if message.startswith(("Validation error for question", "Invalid choice for")):
        return MlscaffoldError(f"{message}: change the answer with -d KEY=VALUE")
    if isinstance(error, ProcessExecutionError):
        return MlscaffoldError(f"git could not read template {source}: {_one_line(error.stderr)}")
    if isinstance(error, UserMessageError) or type(error).__module__.startswith("copier"):
        return MlscaffoldError(f"template {source}: {message}")
    return error


def _one_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

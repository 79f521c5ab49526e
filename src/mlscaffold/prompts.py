"""Questions asked a line at a time, without escape sequences: for NO_COLOR and TERM=dumb.

copier draws its questions with questionary (prompt_toolkit), which hides and moves the
cursor, asks the terminal where it is and sets bold and reverse video, whatever NO_COLOR or
TERM say. Where the user asked for none of that, mlscaffold asks the same questions, with
copier's defaults, choices, validation and conversion, as plain lines on stderr (stdout may
be JSON) read from stdin. Line editing is the terminal's own: readline would send escapes too.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any


@contextmanager
def plain_questions() -> Iterator[None]:
    """copier asks every question through ``copier._main.unsafe_prompt`` (questionary's);
    this puts ``ask`` there while the block runs. That name is copier's private one:
    tests/test_cli_habits.py pins it, so a copier that asks another way fails a test."""
    import copier._main as copier_main

    original = copier_main.unsafe_prompt
    copier_main.unsafe_prompt = ask
    try:
        yield
    finally:
        copier_main.unsafe_prompt = original


def ask(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any] | None = None, **_: Any
) -> dict[str, Any]:
    """questionary's ``unsafe_prompt``, for the kinds of question copier asks: input, path,
    password, confirm, select and checkbox. EOF raises EOFError, Ctrl-C KeyboardInterrupt,
    as questionary does."""
    result: dict[str, Any] = {}
    for question in questions:
        when = question.get("when")
        if when is not None and not when({**(answers or {}), **result}):
            continue
        convert: Callable[[Any], Any] = question.get("filter") or (lambda value: value)
        result[question["name"]] = convert(_answer(question))
    return result


def _answer(question: Mapping[str, Any]) -> Any:
    kind = question.get("type", "input")
    message = " ".join(str(question.get("message", question["name"])).split())
    default = question.get("default")
    validate = question.get("validate")
    if kind in ("select", "checkbox"):
        choices = list(question.get("choices") or [])
        _write(f"{message}\n")
        for number, choice in enumerate(choices, 1):
            marks = ["default"] if _is_default(kind, choice, default) else []
            marks += [f"unavailable: {choice.disabled}"] if choice.disabled else []
            note = f" ({', '.join(marks)})" if marks else ""
            _write(f"  {number}. {_title(choice)}{note}\n")
    while True:
        if kind == "confirm":
            value = _confirm(message, bool(default))
        elif kind == "select":
            value = _select(choices, default)
        elif kind == "checkbox":
            value = _checkbox(choices)
        elif kind == "password":
            line = getpass.getpass(f"{message}: ", stream=sys.stderr)
            value = line or ("" if default is None else str(default))
        else:
            value = _text(message, default, multiline=bool(question.get("multiline")))
        if value is _AGAIN:
            continue
        verdict = validate(value) if validate else True
        if verdict is True:
            return value
        _write(f"  {verdict or 'Invalid input'}\n")


_AGAIN = object()  # the line was not an answer: ask again


def _text(message: str, default: Any, *, multiline: bool) -> Any:
    shown = "" if default in (None, "") else f" [{default}]"
    if not multiline:
        return _read(f"{message}{shown}: ").strip() or ("" if default is None else str(default))
    _write(f"{message}{shown} (end with an empty line):\n")
    lines = []
    while line := _read(""):
        lines.append(line)
    return "\n".join(lines) if lines else ("" if default is None else str(default))


def _confirm(message: str, default: bool) -> Any:
    line = _read(f"{message} [{'Y/n' if default else 'y/N'}]: ").strip().lower()
    if not line:
        return default
    if line in ("y", "yes", "n", "no"):
        return line.startswith("y")
    _write("  Answer y or n.\n")
    return _AGAIN


def _select(choices: list[Any], default: Any) -> Any:
    fallback = next((i for i, c in enumerate(choices, 1) if _is_default("select", c, default)), 0)
    line = _read(f"Choose 1-{len(choices)}" + (f" [{fallback}]" if fallback else "") + ": ")
    picked = _pick(choices, line.strip() or str(fallback))
    if picked is None or len(picked) != 1:
        _write(f"  Answer with one number from 1 to {len(choices)}.\n")
        return _AGAIN
    return picked[0]


def _checkbox(choices: list[Any]) -> Any:
    checked = [str(i) for i, c in enumerate(choices, 1) if c.checked]
    line = _read(
        "Choose any, separated by commas; 0 for none"
        + (f" [{','.join(checked)}]" if checked else " [0]") + ": "
    ).strip()  # fmt: skip
    picked = _pick(choices, line or ",".join(checked) or "0")
    if picked is None:
        _write(f"  Answer with numbers from 1 to {len(choices)}, or 0 for none.\n")
        return _AGAIN
    return picked


def _pick(choices: list[Any], line: str) -> list[Any] | None:
    """The values of the choices a line names by number, or None if it names another."""
    words = [w.strip() for w in line.replace(" ", ",").split(",") if w.strip()]
    if words == ["0"]:
        return []
    values = []
    for word in words:
        if not word.isdigit() or not 1 <= int(word) <= len(choices):
            return None
        choice = choices[int(word) - 1]
        if choice.disabled:
            return None
        values.append(choice.value)
    return values


def _is_default(kind: str, choice: Any, default: Any) -> bool:
    if kind == "checkbox":
        return bool(choice.checked)
    return default is not None and (choice is default or choice.value == getattr(
        default, "value", default
    ))  # fmt: skip


def _title(choice: Any) -> str:
    title = choice.title
    return title if isinstance(title, str) else "".join(part[1] for part in title)


def _write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _read(prompt: str) -> str:
    _write(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")

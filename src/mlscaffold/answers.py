"""Answers the user gives on the command line: ``-d KEY=VALUE`` and ``--data-file``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mlscaffold.errors import MlscaffoldError

# The keys copier writes first in the answers file a template renders.
COPIER_BOOKKEEPING = {"_src_path", "_commit"}


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MlscaffoldError(
                f"--data {pair!r} is not KEY=VALUE: write it like -d author_name=Ada"
            )
        data[key.strip()] = value
    check(data, "-d")
    return data


def load_data_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML (or JSON) mapping, as copier's ``--data-file`` reads them, or
    from the answers file of a project copier made."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MlscaffoldError(f"--data-file {path} does not exist: check the path") from None
    except OSError as error:  # a folder, no permission, a name too long...
        raise MlscaffoldError(
            f"--data-file {path} cannot be read ({error.strerror or type(error).__name__})"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MlscaffoldError(
            f"--data-file {path} is not UTF-8 text (byte {raw[error.start]:#04x} at offset "
            f"{error.start}): save it as UTF-8"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise MlscaffoldError(
            f"--data-file {path} is not valid YAML{line}: fix its syntax"
        ) from None
    except RecursionError:  # YAML nested thousands deep: no question takes that
        raise MlscaffoldError(f"--data-file {path} is nested too deeply: flatten it") from None
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise MlscaffoldError(
            f"--data-file {path} must hold a mapping of question names to answers, "
            "e.g. 'author_name: Ada'"
        )
    if COPIER_BOOKKEEPING & set(data):
        # A copier answers file (.copier-answers.yml): its `_` keys are copier's record of
        # the template, not answers; the rest answers the questions.
        data = {key: value for key, value in data.items() if not key.startswith("_")}
    check(data, f"--data-file {path}")
    return data


def check(answers: Mapping[str, Any], origin: str) -> None:
    """Refuse answers no template question can take, before copier sees them.

    Names starting with ``_`` are copier's settings and the variables it adds to every
    render (``_copier_conf``, ``_folder_name``...): an answer by that name would replace
    them. Text must be UTF-8: a value from a command line or file name in another
    encoding reaches Python as lone surrogates, which cannot be written to any file.
    """
    for key, value in answers.items():
        if key.startswith("_"):
            raise MlscaffoldError(
                f"{origin}: {key!r} is reserved (names starting with '_' are the "
                "template's settings, not questions): answer the template's questions only"
            )
        if not is_text(key) or not is_text(value):
            raise MlscaffoldError(
                f"{origin}: the answer to {key!r} holds bytes that are not UTF-8 text: "
                "give it as UTF-8 text with -d KEY=VALUE"
            )


def is_text(value: Any, depth: int = 0) -> bool:
    """Whether ``value``, and every text inside it, can be written as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if depth > 50:  # deeper data is refused by copier's own checks, not here
        return True
    if isinstance(value, Mapping):
        return all(is_text(k, depth + 1) and is_text(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(is_text(item, depth + 1) for item in value)
    return True

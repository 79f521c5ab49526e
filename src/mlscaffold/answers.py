"""Answers the user gives on the command line: ``-d KEY=VALUE`` and ``--data-file``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from mlscaffold.errors import MlscaffoldError


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MlscaffoldError(
                f"--data {pair!r} is not KEY=VALUE: write it like -d author_name=Ada"
            )
        data[key.strip()] = value
    return data


def load_data_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML (or JSON) mapping, as copier's ``--data-file`` reads them."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MlscaffoldError(f"--data-file {path} does not exist: check the path") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise MlscaffoldError(
            f"--data-file {path} cannot be read ({error.__class__.__name__})"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise MlscaffoldError(
            f"--data-file {path} is not valid YAML{line}: fix its syntax"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise MlscaffoldError(
            f"--data-file {path} must hold a mapping of question names to answers, "
            "e.g. 'author_name: Ada'"
        )
    return data

"""The charter check: a charter with TODO placeholders has not been agreed yet."""

from __future__ import annotations

import re

from ..config import Paths

CHARTER = "01-scoping/charter.md"
PLACEHOLDER = re.compile(r"\bTODO\b")


def placeholders(paths: Paths) -> list[str]:
    """Each remaining placeholder as 'line N: text'."""
    path = paths.stages / CHARTER
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        f"line {n}: {line.strip()}" for n, line in enumerate(lines, 1) if PLACEHOLDER.search(line)
    ]

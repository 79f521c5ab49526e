"""Built-in behaviour, through the same hooks as any plugin: the template's checklists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlscaffold import hookimpl


@hookimpl
def mlscaffold_checklist_items(stage: str, answers: dict[str, Any], template_dir: Path):
    # Imported here: plugins load for every command, `--help` included, and this is heavy.
    from mlscaffold.checklists import load_items

    return [item for item in load_items(template_dir) if item.stage == stage]

"""Stage 2, data: ingest once, split, infer the schema from train, validate, report."""

from __future__ import annotations

import json
from typing import Any

from ..config import Paths
from .ingest import ingest
from .report import write_report
from .schema import infer_schema, raise_problems, validate
from .split import check_disjoint, drop_duplicates, split

SPLITS = ("train", "valid", "test")


def run(paths: Paths) -> dict[str, Any]:
    """Build data/processed from data/raw and code alone; returns a summary."""
    project = paths.config("project")
    data_cfg = project["data"]
    frame, manifest = ingest(paths, data_cfg)
    target = data_cfg["target"]
    unique, dropped = drop_duplicates(frame, target)
    parts = split(unique, project)
    check_disjoint(parts, target)
    schema = infer_schema(parts["train"], target, project["project"]["problem_type"])
    raise_problems(validate(frame, schema), "raw data")
    for name in SPLITS:
        raise_problems(validate(parts[name], schema), f"the {name} split")
    paths.processed.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        parts[name].to_csv(paths.split(name), index=False)
    (paths.processed / "schema.json").write_text(json.dumps(schema, indent=2) + "\n")
    summary = {
        "rows": len(frame),
        "duplicates_dropped": dropped,
        "sha256": manifest["sha256"],
        **{f"{name}_rows": len(parts[name]) for name in SPLITS},
    }
    write_report(paths, frame, parts, schema, summary)
    return summary


def load_split(paths: Paths, name: str):
    import pandas as pd

    from ..errors import ProjectError

    path = paths.split(name)
    if not path.is_file():
        raise ProjectError(f"{path} is missing: run `make data` first")
    return pd.read_csv(path)


def load_schema(paths: Paths) -> dict[str, Any]:
    from ..errors import ProjectError

    path = paths.processed / "schema.json"
    if not path.is_file():
        raise ProjectError(f"{path} is missing: run `make data` first")
    return json.loads(path.read_text())

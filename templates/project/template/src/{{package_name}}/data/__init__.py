"""Stage 2, data: ingest once, split, infer the schema from train, validate, report."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..config import Paths
from ..errors import ProjectError
from .ingest import ingest
from .report import write_report
from .schema import as_text, infer_schema, raise_problems, unseen, validate
from .split import check_disjoint, drop_duplicates, split

SPLITS = ("train", "valid", "test")


def run(paths: Paths) -> dict[str, Any]:
    """Build data/processed from the configured source and code alone; returns a summary."""
    project = paths.config("project")
    data_cfg = project["data"]
    problem_type = project["project"]["problem_type"]
    frame, manifest = ingest(paths, data_cfg)
    target = data_cfg["target"]
    labelled = frame[frame[target].notna()]
    check_target(labelled, data_cfg, problem_type)
    unique, dropped = drop_duplicates(labelled, target)
    parts = split(unique, project)
    check_disjoint(parts, target)
    schema = infer_schema(parts["train"], target, problem_type, data_cfg)
    raise_problems(validate(labelled, schema, allow_unseen=True), "raw data")
    for name in SPLITS:
        raise_problems(validate(parts[name], schema, allow_unseen=True), f"the {name} split")
    paths.processed.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        parts[name].to_csv(paths.split(name), index=False)
    (paths.processed / "schema.json").write_text(json.dumps(schema, indent=2) + "\n")
    summary = {
        "source": manifest["source"],
        "rows": len(frame),
        "unlabelled_dropped": len(frame) - len(labelled),
        "duplicates_dropped": dropped,
        "windows": len(manifest.get("windows", [])),
        "sha256": manifest["data_sha256"],
        "features": len(schema["features"]),
        "unseen_values": sum(unseen(parts[n], schema) for n in ("valid", "test")),
        **{f"{name}_rows": len(parts[name]) for name in SPLITS},
    }
    write_report(paths, frame, parts, schema, summary)
    return summary


def check_target(frame, data_cfg: dict[str, Any], problem_type: str) -> None:
    """The target must hold what the problem type needs, and the positive class must be in it."""
    target = frame[data_cfg["target"]]
    if problem_type == "regression":
        if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
            raise ProjectError(
                f"target {data_cfg['target']!r} holds text, not numbers: a regression needs "
                'numbers (or set problem_type = "classification")'
            )
        return
    labels = sorted(as_text(target).dropna().unique())
    if len(labels) != 2:
        raise ProjectError(
            f"target {data_cfg['target']!r} has {len(labels)} labels ({labels[:10]}): this "
            "project predicts one class against another; map the labels to two first"
        )
    if str(data_cfg["positive_label"]) not in labels:
        raise ProjectError(
            f"positive_label {data_cfg['positive_label']!r} in configs/project.toml is not a "
            f"label of {data_cfg['target']!r} (labels: {labels}): set it, and positive_name, "
            "to the class the model must find"
        )
    if not (target == data_cfg["positive_label"]).any():
        written = target[as_text(target) == str(data_cfg["positive_label"])].iloc[0]
        raise ProjectError(
            f"positive_label {data_cfg['positive_label']!r} is written as {written!r} in the "
            f"data: write it so in configs/project.toml"
        )


def load_split(paths: Paths, name: str) -> pd.DataFrame:
    path = paths.split(name)
    if not path.is_file():
        raise ProjectError(f"{path} is missing: run `make data` first")
    return pd.read_csv(path)


def load_schema(paths: Paths) -> dict[str, Any]:
    path = paths.processed / "schema.json"
    if not path.is_file():
        raise ProjectError(f"{path} is missing: run `make data` first")
    return json.loads(path.read_text())

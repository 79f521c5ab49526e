"""The quality gate, and the deployment record it writes.

A model is promoted only when it beats the baseline over the whole interval of the gate
(modeling/gate.py), and is not worse than the model currently promoted on the same test
rows. Promotion copies it to models/promoted.joblib and records in models/promoted.json what
is now deployed: the model, its hash, metrics and input schema, and the decision threshold
with the lowest cost on the validation split. Nothing else writes that record; everything
that serves or values predictions reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

from ..business.value import cost_optimal_threshold
from ..config import Paths
from ..data import load_schema, load_split
from ..errors import ProjectError
from ..modeling import gate, tracking
from ..modeling.artifacts import MODEL_FILE, Artifact, load
from .deployment import ARTIFACT, RECORD, load_deployment, read_record, sha256

THRESHOLD_RULE = "lowest cost per 1,000 validation cases, costs from configs/project.toml"


def decision_threshold(paths: Paths, artifact: Artifact) -> float | None:
    """The cost-optimal threshold on the validation split (None for regression)."""
    if not artifact.classification:
        return None
    valid = load_split(paths, "valid")
    positive = (
        valid[artifact.metadata["target"]] == artifact.metadata["positive_label"]
    ).to_numpy()
    costs = paths.config("project")["costs"]
    return cost_optimal_threshold(positive, artifact.scores(valid), costs)


def promote(paths: Paths) -> dict[str, Any]:
    """Promote the trained model if it passes the gate; returns the deployment record."""
    metrics_path = paths.reports / "metrics.json"
    if not metrics_path.is_file():
        raise ProjectError(f"{metrics_path} is missing: run `make evaluate` first")
    report = json.loads(metrics_path.read_text())
    evaluation = paths.config("model")["evaluation"]
    metric = evaluation["gate_metric"]
    model, baseline = report["model"][metric], report["baseline"][metric]
    verdict = gate.check(report, evaluation)
    if not verdict.passed:
        raise ProjectError(
            f"model {report['model_version']} is not promoted: {verdict.reason}; "
            "models/promoted.json is unchanged"
        )
    artifact = load(paths)
    if report["model_version"] != artifact.metadata["model_version"]:
        raise ProjectError(
            f"reports/metrics.json evaluates model {report['model_version']}, but models/ holds "
            f"{artifact.metadata['model_version']}: run `make evaluate` first"
        )
    current = read_record(paths)
    if current is not None and current["model_version"] != report["model_version"]:
        promoted = load_deployment(paths).artifact
        versus = gate.against_promoted(artifact, promoted, load_split(paths, "test"), evaluation)
        if not versus.passed:
            raise ProjectError(f"model {report['model_version']} is not promoted: {versus.reason}")
    record = {
        "model_version": report["model_version"],
        "model_file": ARTIFACT,
        "model_sha256": "",
        "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "gate": {
            "metric": metric,
            "value": model,
            "baseline": baseline,
            "interval": report["gate"],
        },
        "threshold": decision_threshold(paths, artifact),
        "threshold_rule": THRESHOLD_RULE if artifact.classification else None,
        "metrics": {"model": report["model"], "baseline": report["baseline"]},
        "metadata": artifact.metadata,
        "schema": load_schema(paths),
    }
    # The artifact first, the record last: until the record is replaced, the old record's
    # hash no longer matches and nothing serves a half-promoted model.
    staged = paths.models / f".{ARTIFACT}.tmp"
    shutil.copyfile(paths.models / MODEL_FILE, staged)
    record["model_sha256"] = sha256(staged)
    os.replace(staged, paths.models / ARTIFACT)
    staged_record = paths.models / f".{RECORD}.tmp"
    staged_record.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(staged_record, paths.models / RECORD)
    summary = {key: record[key] for key in ("gate", "threshold", "model_sha256", "promoted_at")}
    tracking.record(paths, "promote", summary, artifact.metadata)
    return record

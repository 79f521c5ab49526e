"""The quality gate: a model is promoted only when it beats the baseline, and the model
currently promoted, on the gate metric."""

from __future__ import annotations

import json
import time
from typing import Any

from ..config import Paths
from ..errors import ProjectError
from ..modeling import gate, tracking
from ..modeling.artifacts import load
from ..modeling.metrics import HIGHER_IS_BETTER

PROMOTED = "promoted.json"


def promote(paths: Paths) -> dict[str, Any]:
    metrics_path = paths.reports / "metrics.json"
    if not metrics_path.is_file():
        raise ProjectError(f"{metrics_path} is missing: run `make evaluate` first")
    report = json.loads(metrics_path.read_text())
    evaluation = paths.config("model")["evaluation"]
    metric = evaluation["gate_metric"]
    model, baseline = report["model"][metric], report["baseline"][metric]
    verdict = gate.check(report, evaluation)
    if not verdict.passed:
        raise ProjectError(f"model {report['model_version']} is not promoted: {verdict.reason}")
    current_path = paths.models / PROMOTED
    if current_path.is_file():
        current = json.loads(current_path.read_text())
        better = (
            model >= current["value"] if HIGHER_IS_BETTER[metric] else model <= current["value"]
        )
        if current["model_version"] != report["model_version"] and not better:
            raise ProjectError(
                f"model {report['model_version']} is not promoted: its {metric} {model:.4f} is "
                f"worse than the promoted model's {current['value']:.4f}"
            )
    decision = {
        "model_version": report["model_version"],
        "metric": metric,
        "value": model,
        "baseline": baseline,
        "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    current_path.write_text(json.dumps(decision, indent=2) + "\n")
    tracking.record(paths, "promote", decision, load(paths).metadata)
    return decision

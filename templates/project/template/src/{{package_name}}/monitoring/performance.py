"""Performance on labelled recent data: when the outcomes of past predictions arrive, the
model's metric on them is compared with its metric on the validation split.

Drift says the inputs changed; this says whether the model got worse, which is what matters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Paths
from ..data import load_schema
from ..data.schema import raise_problems, validate
from ..errors import ProjectError
from ..modeling.artifacts import load
from ..modeling.gate import metric_rows
from ..modeling.metrics import HIGHER_IS_BETTER, positive_mask


def check(paths: Paths, labelled: pd.DataFrame) -> dict[str, Any]:
    """The metric on ``labelled`` (features and the target) with its bootstrap interval,
    against the validation metric recorded at training; "degraded" only when the whole
    interval is worse than the validation value by more than the tolerance."""
    cfg = paths.config("monitoring")["performance"]
    metric = cfg["metric"] or paths.config("model")["evaluation"]["gate_metric"]
    artifact = load(paths)
    target = artifact.metadata["target"]
    if len(labelled) < cfg["min_rows"]:
        raise ProjectError(
            f"{len(labelled)} labelled rows; the performance check needs at least "
            f"{cfg['min_rows']} (min_rows in [performance] of configs/monitoring.toml)"
        )
    if target not in labelled.columns:
        raise ProjectError(f"the labelled data has no target column {target!r}")
    raise_problems(validate(labelled, load_schema(paths)), "the labelled data")
    truth = labelled[target]
    if artifact.classification:
        truth = positive_mask(truth, artifact.metadata["positive_label"])
    truth = np.asarray(truth, dtype=float)
    if metric == "roc_auc" and len(np.unique(truth)) < 2:
        raise ProjectError("the labelled rows hold one class only: ROC AUC needs both")
    scores = artifact.scores(labelled)
    rng = np.random.default_rng(cfg["seed"])
    rows = rng.integers(0, len(truth), (cfg["resamples"], len(truth)))
    samples = metric_rows(metric, truth[rows], scores[rows])
    alpha = (1 - cfg["confidence"]) / 2
    low, high = np.quantile(samples[~np.isnan(samples)], [alpha, 1 - alpha])
    value = float(metric_rows(metric, truth[None, :], scores[None, :])[0])
    validation = artifact.metadata["validation"][metric]
    higher = HIGHER_IS_BETTER[metric]
    # The line the whole interval must cross: validation made worse by the tolerance.
    line = validation * (1 - cfg["tolerance"] if higher else 1 + cfg["tolerance"])
    degraded = high < line if higher else low > line
    return {
        "model_version": artifact.metadata["model_version"],
        "metric": metric,
        "rows": len(labelled),
        "value": value,
        "low": float(low),
        "high": float(high),
        "confidence": cfg["confidence"],
        "validation": validation,
        "degraded_beyond": line,
        "decision": "retrain" if degraded else "ok",
    }


def run(paths: Paths, labelled_path: Path) -> dict[str, Any]:
    if not labelled_path.is_file():
        raise ProjectError(f"{labelled_path} does not exist")
    report = check(paths, pd.read_csv(labelled_path))
    report["source"] = str(labelled_path)
    folder = paths.reports / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "performance.json").write_text(json.dumps(report, indent=2) + "\n")
    return report

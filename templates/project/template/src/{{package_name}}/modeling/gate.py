"""The promotion gate, stated as a confidence interval: the model's improvement over the
baseline on the test split, resampled with the rows paired (both are scored on the same
bootstrap sample), must lie above ``gate_min_improvement`` over the whole interval.

A point estimate (AUC 0.56 > 0.55) passes on a lucky split; the interval says how lucky the
split would have to be, and on a few hundred test rows it is wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import ProjectError
from .artifacts import Artifact
from .metrics import HIGHER_IS_BETTER, positive_mask


def _auc(positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` (Mann-Whitney, ties counted half); NaN for a row
    whose sample holds one class only."""
    ranks = rankdata(scores, axis=1)
    n_pos = positive.sum(axis=1)
    n_neg = positive.shape[1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * positive).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def metric_rows(metric: str, truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``metric`` on each row of resampled ``truth`` and ``scores`` (2-D arrays); for
    classification ``truth`` is 1 for the positive class and ``scores`` its probability."""
    if metric == "roc_auc":
        return _auc(truth.astype(bool), scores)
    if metric == "brier":
        return ((scores - truth) ** 2).mean(axis=1)
    if metric == "accuracy":
        return ((scores >= 0.5) == truth.astype(bool)).mean(axis=1)
    if metric == "mae":
        return np.abs(truth - scores).mean(axis=1)
    if metric == "rmse":
        return np.sqrt(((truth - scores) ** 2).mean(axis=1))
    if metric == "r2":
        spread = ((truth - truth.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1 - ((truth - scores) ** 2).sum(axis=1) / spread
    raise ValueError(f"the gate has no metric {metric!r}: use {sorted(HIGHER_IS_BETTER)}")


def improvement_interval(
    truth: np.ndarray,
    model_scores: np.ndarray,
    baseline_scores: np.ndarray,
    metric: str,
    cfg: dict[str, Any],
) -> dict[str, Any]:
    """The improvement of the model over the baseline (positive: better, whatever the metric's
    direction) on these rows, and its paired percentile bootstrap interval."""
    truth = np.asarray(truth, dtype=float)
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    rng = np.random.default_rng(cfg.get("gate_seed", 7))
    rows = rng.integers(0, len(truth), (int(cfg["gate_resamples"]), len(truth)))
    everything = np.arange(len(truth))[None, :]

    def improvement(index: np.ndarray) -> np.ndarray:
        model = metric_rows(metric, truth[index], np.asarray(model_scores)[index])
        baseline = metric_rows(metric, truth[index], np.asarray(baseline_scores)[index])
        return sign * (model - baseline)

    # In chunks: resamples x rows of a large test split would not fit in memory at once.
    samples = np.concatenate([improvement(chunk) for chunk in np.array_split(rows, 20)])
    samples = samples[~np.isnan(samples)]
    if len(samples) == 0:
        raise ProjectError(
            f"{metric} cannot be computed on these {len(truth)} rows (one class only?): "
            "the test split needs cases of both classes"
        )
    alpha = (1 - cfg["gate_confidence"]) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return {
        "metric": metric,
        "improvement": float(improvement(everything)[0]),
        "low": float(low),
        "high": float(high),
        "confidence": cfg["gate_confidence"],
        "resamples": len(samples),
        "min_improvement": cfg["gate_min_improvement"],
    }


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str


def check(report: dict[str, Any], cfg: dict[str, Any]) -> Verdict:
    """Whether the evaluated model (``reports/metrics.json``) may be promoted under the gate
    of ``[evaluation]`` in configs/model.toml, and why."""
    interval = report.get("gate")
    if interval is None or interval["metric"] != cfg["gate_metric"]:
        return Verdict(False, "the gate's interval is missing or stale: run `make evaluate` again")
    stale = interval["confidence"] != cfg["gate_confidence"]
    if stale or interval["min_improvement"] != cfg["gate_min_improvement"]:
        return Verdict(False, "the gate settings changed since evaluation: run `make evaluate`")
    shown = (
        f"its {interval['metric']} improvement over the baseline is "
        f"{interval['improvement']:+.4f}, {interval['confidence']:.0%} interval "
        f"[{interval['low']:+.4f}, {interval['high']:+.4f}]"
    )
    if interval["low"] > cfg["gate_min_improvement"]:
        return Verdict(True, f"{shown}, above {cfg['gate_min_improvement']}")
    return Verdict(
        False,
        f"{shown}, which does not lie above {cfg['gate_min_improvement']}: the test split "
        "cannot tell the model from the baseline",
    )


def against_promoted(
    candidate: Artifact, promoted: Artifact, test: pd.DataFrame, cfg: dict[str, Any]
) -> Verdict:
    """Whether ``candidate`` may replace the promoted model: both are scored on the same test
    rows, and the candidate is refused only when the whole interval of its improvement lies
    below zero. Point estimates from two different test splits (after retraining on new data
    the split changes) would refuse a model over noise."""
    if not set(promoted.features) <= set(test.columns):
        return Verdict(True, "the promoted model takes other features: not compared")
    truth = test[candidate.metadata["target"]]
    if candidate.classification:
        truth = positive_mask(truth, candidate.metadata["positive_label"])
    interval = improvement_interval(
        np.asarray(truth, dtype=float),
        candidate.scores(test),
        promoted.scores(test),
        cfg["gate_metric"],
        cfg,
    )
    shown = (
        f"its {interval['metric']} improvement over the promoted model on the same "
        f"{len(test)} test rows is {interval['improvement']:+.4f}, "
        f"{interval['confidence']:.0%} interval [{interval['low']:+.4f}, {interval['high']:+.4f}]"
    )
    if interval["high"] < 0:
        return Verdict(False, f"{shown}: it is worse than the model it would replace")
    return Verdict(True, shown)

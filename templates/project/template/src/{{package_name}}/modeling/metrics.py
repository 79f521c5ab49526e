"""Offline metrics, with the positive class named explicitly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics

from ..data.schema import as_text

# For each metric: does a higher value mean a better model?
HIGHER_IS_BETTER = {
    "accuracy": True,
    "roc_auc": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "brier": False,
    "mae": False,
    "rmse": False,
    "r2": True,
}


def positive_mask(truth: pd.Series | np.ndarray, positive_label: Any) -> np.ndarray:
    """True where the label is the positive class; 1, 1.0 and "1" are the same label."""
    return (as_text(pd.Series(np.asarray(truth))) == str(positive_label)).to_numpy()


def classification_metrics(positive: np.ndarray, scores: np.ndarray, threshold: float = 0.5):
    """``positive``: 1 where the true class is the positive one; ``scores``: its probability."""
    flagged = (scores >= threshold).astype(int)
    single_class = len(np.unique(positive)) < 2
    return {
        "accuracy": float(metrics.accuracy_score(positive, flagged)),
        "roc_auc": 0.5 if single_class else float(metrics.roc_auc_score(positive, scores)),
        "precision": float(metrics.precision_score(positive, flagged, zero_division=0)),
        "recall": float(metrics.recall_score(positive, flagged, zero_division=0)),
        "f1": float(metrics.f1_score(positive, flagged, zero_division=0)),
        "brier": float(metrics.brier_score_loss(positive, scores)),
    }


def regression_metrics(truth: np.ndarray, predicted: np.ndarray):
    return {
        "mae": float(metrics.mean_absolute_error(truth, predicted)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(truth, predicted))),
        "r2": float(metrics.r2_score(truth, predicted)),
    }

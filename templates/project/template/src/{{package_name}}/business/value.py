"""Costs of decisions: the arithmetic shared by scoping (before a model) and business
analysis (after one)."""

from __future__ import annotations

import numpy as np

# The decision thresholds considered: a grid fine enough for cost curves, coarse enough that
# the choice does not chase noise in the validation split.
THRESHOLDS = np.round(np.linspace(0.01, 0.99, 99), 2)


def confusion(positive: np.ndarray, flagged: np.ndarray) -> dict[str, int]:
    positive, flagged = positive.astype(bool), flagged.astype(bool)
    return {
        "tp": int(np.sum(positive & flagged)),
        "fp": int(np.sum(~positive & flagged)),
        "fn": int(np.sum(positive & ~flagged)),
        "tn": int(np.sum(~positive & ~flagged)),
    }


def cost_per_1000(counts: dict[str, int], costs: dict[str, float]) -> float:
    """Expected cost per 1,000 cases of the decisions in a confusion matrix."""
    total = sum(counts.values())
    spent = (
        counts["tp"] * costs["true_positive"]
        + counts["fp"] * costs["false_positive"]
        + counts["fn"] * costs["false_negative"]
        + counts["tn"] * costs["true_negative"]
    )
    return 1000 * spent / total


def cost_curve(positive: np.ndarray, scores: np.ndarray, costs: dict[str, float]) -> list[float]:
    """Cost per 1,000 cases of flagging every case scored at or above each of THRESHOLDS."""
    return [cost_per_1000(confusion(positive, scores >= t), costs) for t in THRESHOLDS]


def cost_optimal_threshold(
    positive: np.ndarray, scores: np.ndarray, costs: dict[str, float]
) -> float:
    """The threshold with the lowest cost on these cases (the lowest one on a tie).

    The one place the decision threshold is chosen: promotion records it from the
    validation split, and the service, batch scoring and the business report read it there.
    """
    return float(THRESHOLDS[int(np.argmin(cost_curve(positive, scores, costs)))])


def required_recall(prevalence: float, precision: float, costs: dict[str, float]) -> float | None:
    """The recall a model of this precision needs to cost less than the best no-ML policy.

    Per case, a model with recall r and precision q costs A + r*B (linear in r); None
    when no recall is enough at this precision.
    """
    p = prevalence
    flag_all = p * costs["true_positive"] + (1 - p) * costs["false_positive"]
    flag_none = p * costs["false_negative"] + (1 - p) * costs["true_negative"]
    best = min(flag_all, flag_none)
    a = flag_none
    b = p * (
        costs["true_positive"]
        - costs["false_negative"]
        + (1 - precision) / precision * (costs["false_positive"] - costs["true_negative"])
    )
    if b >= 0:
        return None
    needed = (best - a) / b
    return needed if needed <= 1 else None


def break_even_precision(costs: dict[str, float]) -> float:
    """Below this precision, flagging a case costs more than it saves."""
    saved = costs["false_negative"] - costs["true_positive"]
    spent = costs["false_positive"] - costs["true_negative"]
    return spent / (spent + saved)

"""The cost of the no-ML policies and what a model must reach to pay off (Rules of ML #1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..business.value import break_even_precision, required_recall
from ..config import Paths
from ..data.dataset import load_source


def analyse(paths: Paths) -> dict[str, Any]:
    project = paths.config("project")
    data = project["data"]
    # The configured data, own or bundled; rows without an outcome say nothing about costs.
    frame, _ = load_source(paths, data)
    frame = frame[frame[data["target"]].notna()]
    target = frame[data["target"]].to_numpy()
    if project["project"]["problem_type"] == "regression":
        cost = project["costs"]["per_unit_error"]
        return {
            "problem_type": "regression",
            "rows": len(frame),
            "cost_per_1000_predicting_mean": float(
                1000 * cost * np.abs(target - target.mean()).mean()
            ),
            "cost_per_1000_predicting_median": float(
                1000 * cost * np.abs(target - np.median(target)).mean()
            ),
        }
    costs = project["costs"]
    p = float(np.mean(target == data["positive_label"]))
    flag_all = 1000 * (p * costs["true_positive"] + (1 - p) * costs["false_positive"])
    flag_none = 1000 * (p * costs["false_negative"] + (1 - p) * costs["true_negative"])
    return {
        "problem_type": "classification",
        "rows": len(frame),
        "positive_class": data.get("positive_name", data["positive_label"]),
        "prevalence": p,
        "cost_per_1000_flag_all": flag_all,
        "cost_per_1000_flag_none": flag_none,
        "best_no_ml_policy": "flag all" if flag_all <= flag_none else "flag none",
        "break_even_precision": break_even_precision(costs),
        "required_recall_at_precision": {
            str(q): required_recall(p, q, costs) for q in (0.5, 0.7, 0.9)
        },
    }

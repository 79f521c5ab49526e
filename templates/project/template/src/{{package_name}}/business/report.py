"""Business value of the model against the no-ML policies, with bootstrap intervals.

The decision threshold is chosen on the validation split and judged on the test split,
so the reported value is not flattered by choosing on the data it is measured on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..config import Paths
from ..data import load_split
from ..modeling.artifacts import load
from ..reporting import fill_block, image, save_figure, table, write_html
from .value import confusion, cost_per_1000

IMPACT_REPORT = "06-business-analysis/impact-report.md"
THRESHOLDS = np.round(np.linspace(0.01, 0.99, 99), 2)


def bootstrap(statistic: Callable[[np.ndarray], float], size: int, cfg: dict[str, Any]):
    """The statistic on the data and its percentile interval over resampled rows."""
    rng = np.random.default_rng(cfg["seed"])
    samples = [statistic(rng.integers(0, size, size)) for _ in range(cfg["resamples"])]
    alpha = (1 - cfg["confidence"]) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return {"value": statistic(np.arange(size)), "low": float(low), "high": float(high)}


def classification_value(paths: Paths, project: dict, business: dict) -> dict[str, Any]:
    artifact = load(paths)
    costs, target = project["costs"], project["data"]["target"]
    label = project["data"]["positive_label"]
    valid, test = load_split(paths, "valid"), load_split(paths, "test")
    valid_positive, valid_scores = (valid[target] == label).to_numpy(), artifact.scores(valid)
    valid_curve = [
        cost_per_1000(confusion(valid_positive, valid_scores >= t), costs) for t in THRESHOLDS
    ]
    threshold = float(THRESHOLDS[int(np.argmin(valid_curve))])
    positive, scores = (test[target] == label).to_numpy(), artifact.scores(test)
    zero_rule = artifact.baseline.predict(test[artifact.features]) == label
    decisions = {
        "refer all": np.ones(len(test), dtype=bool),
        "zero-rule (refer none)" if not zero_rule.any() else "zero-rule": zero_rule,
        "model at 0.5": scores >= 0.5,
        f"model at {threshold:.2f} (cost-optimal on validation)": scores >= threshold,
    }
    cfg = business["bootstrap"]
    policies = {
        name: bootstrap(
            lambda rows, f=flagged: cost_per_1000(confusion(positive[rows], f[rows]), costs),
            len(test),
            cfg,
        )
        for name, flagged in decisions.items()
    }
    model_name = list(decisions)[-1]
    best_no_ml = min(list(decisions)[:2], key=lambda name: policies[name]["value"])

    def savings(rows: np.ndarray) -> float:
        before = cost_per_1000(confusion(positive[rows], decisions[best_no_ml][rows]), costs)
        return before - cost_per_1000(confusion(positive[rows], decisions[model_name][rows]), costs)

    test_curve = [cost_per_1000(confusion(positive, scores >= t), costs) for t in THRESHOLDS]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(THRESHOLDS, valid_curve, label="model, validation")
    axis.plot(THRESHOLDS, test_curve, label="model, test")
    for name in list(decisions)[:2]:
        axis.axhline(policies[name]["value"], linestyle="--", label=name)
    axis.axvline(threshold, color="grey", linestyle=":")
    axis.set(xlabel="decision threshold", ylabel="cost per 1,000 cases", title="Value by threshold")
    axis.legend()
    return {
        "problem_type": "classification",
        "threshold": threshold,
        "policies": policies,
        "best_no_ml_policy": best_no_ml,
        "model_policy": model_name,
        "savings_per_1000": bootstrap(savings, len(test), cfg),
        "figure": save_figure(figure, paths.figures / "business-value.png"),
    }


def regression_value(paths: Paths, project: dict, business: dict) -> dict[str, Any]:
    artifact = load(paths)
    test = load_split(paths, "test")
    truth = test[project["data"]["target"]].to_numpy()
    cost = project["costs"]["per_unit_error"]
    errors = {
        "baseline": np.abs(truth - artifact.scores(test, "baseline")),
        "model": np.abs(truth - artifact.scores(test)),
    }
    cfg = business["bootstrap"]
    policies = {
        name: bootstrap(lambda rows, e=error: float(1000 * cost * e[rows].mean()), len(test), cfg)
        for name, error in errors.items()
    }
    saving = bootstrap(
        lambda rows: float(1000 * cost * (errors["baseline"][rows] - errors["model"][rows]).mean()),
        len(test),
        cfg,
    )
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist([errors["baseline"], errors["model"]], bins=30, label=["baseline", "model"])
    axis.set(xlabel="absolute error", ylabel="cases", title="Errors of model and baseline")
    axis.legend()
    return {
        "problem_type": "regression",
        "policies": policies,
        "best_no_ml_policy": "baseline",
        "model_policy": "model",
        "savings_per_1000": saving,
        "figure": save_figure(figure, paths.figures / "business-value.png"),
    }


def run(paths: Paths) -> dict[str, Any]:
    project, business = paths.config("project"), paths.config("business")
    if project["project"]["problem_type"] == "classification":
        result = classification_value(paths, project, business)
    else:
        result = regression_value(paths, project, business)
    figure = result.pop("figure")
    per_month = business["volume"]["cases_per_month"] / 1000
    result["savings_per_month"] = {k: v * per_month for k, v in result["savings_per_1000"].items()}
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "business.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        {"policy": name, "cost per 1,000": v["value"], "low": v["low"], "high": v["high"]}
        for name, v in result["policies"].items()
    ]
    write_html(
        paths.reports / "business.html",
        "Business value",
        [
            (
                "Cost per 1,000 cases (95% bootstrap interval)",
                table(rows, ["policy", "cost per 1,000", "low", "high"]),
            ),
            ("Savings of the model over the best no-ML policy", _savings_sentence(result)),
            ("Value by decision threshold", image(figure, "value")),
        ],
    )
    fill_block(paths.stages / IMPACT_REPORT, "business", impact_block(result))
    return result


def _savings_sentence(result: dict[str, Any]) -> str:
    s, m = result["savings_per_1000"], result["savings_per_month"]
    return (
        f"<p>{s['value']:.1f} per 1,000 cases (interval {s['low']:.1f} to {s['high']:.1f}); "
        f"{m['value']:.1f} per month at the configured volume.</p>"
    )


def impact_block(result: dict[str, Any]) -> str:
    lines = ["| policy | cost per 1,000 cases | 95% interval |", "|---|---|---|"]
    lines += [
        f"| {name} | {v['value']:.1f} | {v['low']:.1f} – {v['high']:.1f} |"
        for name, v in result["policies"].items()
    ]
    s, m = result["savings_per_1000"], result["savings_per_month"]
    lines += [
        "",
        f"The model ({result['model_policy']}) saves {s['value']:.1f} per 1,000 cases "
        f"against {result['best_no_ml_policy']} (95% interval {s['low']:.1f} to "
        f"{s['high']:.1f}), {m['value']:.1f} per month at the configured volume.",
    ]
    return "\n".join(lines)

"""Business value of the deployed model against the no-ML policies, with bootstrap intervals.

It values the model that is deployed (models/promoted.json) at the decision threshold
recorded there, chosen on the validation split by promotion; the value is measured on the
test split, so it is not flattered by choosing on the data it is measured on. Everything it
writes goes to reports/ (business.json, .html, .md): the impact report is written by people.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..config import Paths
from ..data import load_split
from ..reporting import image, money, save_figure, table, write_html
from ..serving.deployment import Deployment, load_deployment
from .value import THRESHOLDS, confusion, cost_curve, cost_per_1000


def bootstrap(statistic: Callable[[np.ndarray], float], size: int, cfg: dict[str, Any]):
    """The statistic on the data and its percentile interval over resampled rows."""
    rng = np.random.default_rng(cfg["seed"])
    samples = [statistic(rng.integers(0, size, size)) for _ in range(cfg["resamples"])]
    alpha = (1 - cfg["confidence"]) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return {"value": float(statistic(np.arange(size))), "low": float(low), "high": float(high)}


def classification_value(paths: Paths, deployment: Deployment, project: dict, business: dict):
    costs, metadata = project["costs"], deployment.record["metadata"]
    target, label = metadata["target"], metadata["positive_label"]
    threshold = deployment.threshold
    valid, test = load_split(paths, "valid"), load_split(paths, "test")
    scores = deployment.artifact.scores(test)
    positive = (test[target] == label).to_numpy()
    deployed = f"model at {threshold:.2f} (deployed)"
    decisions = {
        "refer all": np.ones(len(test), dtype=bool),
        "refer none": np.zeros(len(test), dtype=bool),
        "model at 0.50": scores >= 0.5,
        deployed: scores >= threshold,
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
    best_no_ml = min(["refer all", "refer none"], key=lambda name: policies[name]["value"])

    def savings(rows: np.ndarray) -> float:
        before = cost_per_1000(confusion(positive[rows], decisions[best_no_ml][rows]), costs)
        return before - cost_per_1000(confusion(positive[rows], decisions[deployed][rows]), costs)

    valid_positive = (valid[target] == label).to_numpy()
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(
        THRESHOLDS,
        cost_curve(valid_positive, deployment.artifact.scores(valid), costs),
        label="model, validation",
    )
    axis.plot(THRESHOLDS, cost_curve(positive, scores, costs), label="model, test")
    for name in ("refer all", "refer none"):
        axis.axhline(policies[name]["value"], linestyle="--", label=name)
    axis.axvline(threshold, color="grey", linestyle=":", label="deployed threshold")
    axis.set(xlabel="decision threshold", ylabel="cost per 1,000 cases", title="Cost by threshold")
    axis.legend()
    return {
        "threshold": threshold,
        "policies": policies,
        "best_no_ml_policy": best_no_ml,
        "model_policy": deployed,
        "confusion_matrix": confusion(positive, decisions[deployed]),
        "positive_class": metadata.get("positive_name") or str(label),
        "savings_per_1000": bootstrap(savings, len(test), cfg),
        "figure": save_figure(figure, paths.figures / "business-value.png"),
    }


def regression_value(paths: Paths, deployment: Deployment, project: dict, business: dict):
    target = deployment.target
    train, test = load_split(paths, "train"), load_split(paths, "test")
    truth = test[target].to_numpy()
    cost = project["costs"]["per_unit_error"]
    # The no-ML policies of the scoping stage: one number for every case.
    errors = {
        "predict the training mean": np.abs(truth - train[target].mean()),
        "predict the training median": np.abs(truth - train[target].median()),
        "model (deployed)": np.abs(truth - deployment.artifact.scores(test)),
    }
    cfg = business["bootstrap"]
    policies = {
        name: bootstrap(lambda rows, e=error: float(1000 * cost * e[rows].mean()), len(test), cfg)
        for name, error in errors.items()
    }
    best_no_ml = min(list(errors)[:2], key=lambda name: policies[name]["value"])
    saving = bootstrap(
        lambda rows: float(
            1000 * cost * (errors[best_no_ml][rows] - errors["model (deployed)"][rows]).mean()
        ),
        len(test),
        cfg,
    )
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(
        [errors[best_no_ml], errors["model (deployed)"]], bins=30, label=[best_no_ml, "model"]
    )
    axis.set(xlabel="absolute error", ylabel="cases", title="Errors of the model and without one")
    axis.legend()
    return {
        "threshold": None,
        "policies": policies,
        "best_no_ml_policy": best_no_ml,
        "model_policy": "model (deployed)",
        "savings_per_1000": saving,
        "figure": save_figure(figure, paths.figures / "business-value.png"),
    }


def run(paths: Paths) -> dict[str, Any]:
    project, business = paths.config("project"), paths.config("business")
    deployment = load_deployment(paths)
    if deployment.threshold is not None:
        result = classification_value(paths, deployment, project, business)
    else:
        result = regression_value(paths, deployment, project, business)
    figure = result.pop("figure")
    volume = business["volume"]["cases_per_month"]
    result = {
        "model_version": deployment.model_version,
        "problem_type": "classification" if deployment.threshold is not None else "regression",
        "currency": business["money"]["currency"],
        "cases_per_month": volume,
        "test_rows": len(load_split(paths, "test")),
        "confidence": business["bootstrap"]["confidence"],
        **result,
    }
    result["savings_per_month"] = {
        k: v * volume / 1000 for k, v in result["savings_per_1000"].items()
    }
    result["summary"] = summary(result, business["money"])
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "business.json").write_text(json.dumps(result, indent=2) + "\n")
    (paths.reports / "business.md").write_text(markdown(result, business["money"]))
    _write_html(paths, result, business["money"], figure)
    return result


def summary(result: dict[str, Any], money_cfg: dict[str, Any]) -> str:
    """One paragraph for a stakeholder; it claims a saving only when the interval does."""
    m = result["savings_per_month"]

    def fmt(value: float) -> str:
        return money(value, money_cfg)

    level = f"{result['confidence']:.0%}"
    at = (
        ""
        if result["threshold"] is None
        else f" at its decision threshold {result['threshold']:.2f}"
    )
    context = (
        f"Measured on {result['test_rows']} held-out cases, at {result['cases_per_month']:,} "
        f"cases a month, against “{result['best_no_ml_policy']}” (the cheaper way without a model)"
    )
    if m["low"] > 0:
        verdict = (
            f"the deployed model{at} saves an estimated {fmt(m['value'])} a month "
            f"({level} interval {fmt(m['low'])} to {fmt(m['high'])})."
        )
    elif m["high"] < 0:
        verdict = (
            f"the deployed model{at} costs an estimated {fmt(-m['value'])} a month more "
            f"({level} interval {fmt(-m['high'])} to {fmt(-m['low'])} more): at these unit "
            "costs it does not pay off."
        )
    else:
        verdict = (
            f"the data cannot tell whether the deployed model{at} saves or costs money: the "
            f"estimate is {fmt(m['value'])} a month, but the {level} interval runs from "
            f"{fmt(m['low'])} to {fmt(m['high'])} and includes no difference at all. More "
            "labelled cases or an online test are needed before claiming a saving."
        )
    return (
        f"{context}, {verdict} The estimate assumes the unit costs in configs/project.toml "
        "and that live cases resemble the test cases."
    )


def confusion_rows(counts: dict[str, int], name: str) -> list[dict[str, Any]]:
    return [
        {"": f"actually {name}", "flagged": counts["tp"], "not flagged": counts["fn"]},
        {"": f"actually not {name}", "flagged": counts["fp"], "not flagged": counts["tn"]},
    ]


def markdown(result: dict[str, Any], money_cfg: dict[str, Any]) -> str:
    level = f"{result['confidence']:.0%}"
    lines = [
        f"# Business value of model {result['model_version']}",
        "",
        result["summary"],
        "",
        f"| policy | cost per 1,000 cases | {level} interval |",
        "|---|---|---|",
        *[
            f"| {name} | {money(v['value'], money_cfg)} | "
            f"{money(v['low'], money_cfg)} to {money(v['high'], money_cfg)} |"
            for name, v in result["policies"].items()
        ],
    ]
    if "confusion_matrix" in result:
        c = result["confusion_matrix"]
        lines += [
            "",
            f"Decisions on the {result['test_rows']} test cases at the deployed threshold "
            f"{result['threshold']:.2f}:",
            "",
            "| | flagged | not flagged |",
            "|---|---|---|",
            *[
                f"| {row['']} | {row['flagged']} | {row['not flagged']} |"
                for row in confusion_rows(c, result["positive_class"])
            ],
        ]
    return "\n".join(lines) + "\n"


def _write_html(paths: Paths, result: dict, money_cfg: dict, figure: str) -> None:
    level = f"{result['confidence']:.0%}"
    rows = [
        {
            "policy": name,
            "cost per 1,000 cases": money(v["value"], money_cfg),
            f"{level} interval": f"{money(v['low'], money_cfg)} to {money(v['high'], money_cfg)}",
        }
        for name, v in result["policies"].items()
    ]
    sections = [
        ("Summary", f"<p>{html.escape(result['summary'])}</p>"),
        (
            f"Cost per 1,000 cases ({level} bootstrap interval)",
            table(rows, ["policy", "cost per 1,000 cases", f"{level} interval"]),
        ),
    ]
    if "confusion_matrix" in result:
        sections.append(
            (
                f"Decisions at the deployed threshold {result['threshold']:.2f} (test split)",
                table(
                    confusion_rows(result["confusion_matrix"], result["positive_class"]),
                    ["", "flagged", "not flagged"],
                ),
            )
        )
    sections.append(("Value by decision threshold", image(figure, "value")))
    write_html(
        paths.reports / "business.html",
        f"Business value of model {result['model_version']}",
        sections,
    )

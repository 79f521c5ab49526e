"""Evaluate model and baseline on the held-out test split: overall, by slice, calibration."""

from __future__ import annotations

import html
import json
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

from ..config import Paths
from ..data import load_schema, load_split
from ..data.report import association, target_numbers
from ..data.schema import as_text
from ..errors import ProjectError
from ..reporting import image, save_figure, table, write_html
from . import tracking
from .artifacts import Artifact, load
from .features import column_kinds
from .gate import check, improvement_interval
from .metrics import classification_metrics, positive_mask, regression_metrics


def score(artifact: Artifact, frame: pd.DataFrame, which: str) -> dict[str, float]:
    scores = artifact.scores(frame, which)
    truth = frame[artifact.metadata["target"]]
    if artifact.classification:
        return classification_metrics(
            positive_mask(truth, artifact.metadata["positive_label"]), scores
        )
    return regression_metrics(truth.to_numpy(), scores)


def slice_features(train: pd.DataFrame, schema: dict[str, Any], named: list[str]) -> list[str]:
    """The features named in configs/model.toml, or every categorical one and the two numeric
    ones most associated with the target."""
    unknown = sorted(set(named) - set(schema["features"]))
    if unknown:
        raise ProjectError(
            f"slice_features in configs/model.toml names {unknown}, which are not features: "
            f"use some of {list(schema['features'])}"
        )
    if named:
        return list(named)
    categorical, numeric = column_kinds(schema["features"])
    target = target_numbers(train, schema)
    ranked = sorted(numeric, key=lambda c: -(association(train[c], "numeric", target) or 0))
    return categorical + ranked[:2]


def slices(artifact: Artifact, train: pd.DataFrame, test: pd.DataFrame, features: list[str]):
    """Numbers split at their training median, categories one by one (the ten most common),
    missing values apart: a gap one average would hide."""
    result = {}
    for feature in features:
        if pd.api.types.is_numeric_dtype(train[feature]):
            median = float(train[feature].median())
            parts = {
                f"{feature} below median {median:.4g}": test[test[feature] <= median],
                f"{feature} above median {median:.4g}": test[test[feature] > median],
            }
        else:
            values = as_text(test[feature])
            common = as_text(train[feature]).value_counts().index[:10]
            parts = {f"{feature} = {value}": test[(values == value).to_numpy()] for value in common}
        parts[f"{feature} missing"] = test[test[feature].isna().to_numpy()]
        for name, part in parts.items():
            if len(part) >= 5:
                result[name] = {"rows": len(part), **score(artifact, part, "model")}
    return result


def gate_interval(artifact: Artifact, test: pd.DataFrame, cfg: dict[str, Any]) -> dict[str, Any]:
    truth = test[artifact.metadata["target"]]
    if artifact.classification:
        truth = positive_mask(truth, artifact.metadata["positive_label"])
    return improvement_interval(
        np.asarray(truth, dtype=float),
        artifact.scores(test),
        artifact.scores(test, "baseline"),
        cfg["gate_metric"],
        cfg,
    )


def evaluate(paths: Paths) -> dict[str, Any]:
    artifact = load(paths)
    evaluation = paths.config("model")["evaluation"]
    schema = load_schema(paths)
    train, test = load_split(paths, "train"), load_split(paths, "test")
    features = slice_features(train, schema, evaluation.get("slice_features", []))
    report: dict[str, Any] = {
        "model_version": artifact.metadata["model_version"],
        "data_sha256": artifact.metadata["data_sha256"],
        "estimator": artifact.metadata["estimator"],
        "test_rows": len(test),
        "baseline": score(artifact, test, "baseline"),
        "model": score(artifact, test, "model"),
        "slices": slices(artifact, train, test, features),
        "selection": artifact.metadata.get("selection"),
        "gate": gate_interval(artifact, test, evaluation),
    }
    verdict = check(report, evaluation)
    report["gate"].update(passed=verdict.passed, reason=verdict.reason)
    figures = _figures(paths, artifact, test, report)
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    _write_html(paths, report, figures)
    # For the model card's authors to copy from: the pipeline never edits tracked documents.
    (paths.reports / "model-card-metrics.md").write_text(model_card_block(report) + "\n")
    metrics = {f"test_{name}": value for name, value in report["model"].items()}
    tracking.record(paths, "evaluate", {"metrics": metrics}, artifact.metadata)
    return report


def _figures(paths: Paths, artifact: Artifact, test: pd.DataFrame, report: dict) -> list[str]:
    scores, baseline = artifact.scores(test), artifact.scores(test, "baseline")
    truth = test[artifact.metadata["target"]]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    if artifact.classification:
        positive = positive_mask(truth, artifact.metadata["positive_label"])
        for name, values in (("model", scores), ("baseline", baseline)):
            fpr, tpr, _ = roc_curve(positive, values)
            style = "-" if name == "model" else "--"
            auc = report[name]["roc_auc"]
            axes[0].plot(fpr, tpr, style, label=f"{name} (AUC {auc:.3f})")
        axes[0].set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        observed, predicted = calibration_curve(positive, scores, n_bins=8, strategy="quantile")
        report["calibration"] = {"predicted": predicted.tolist(), "observed": observed.tolist()}
        axes[1].plot(predicted, observed, "o-", label="model")
        axes[1].plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
        axes[1].axhline(positive.mean(), linestyle="--", label="baseline (prevalence)")
        axes[1].set(
            xlabel="predicted probability", ylabel="observed frequency", title="Calibration"
        )
    else:
        truth = truth.to_numpy()
        residuals = truth - scores
        axes[0].scatter(scores, residuals, s=8, label="model")
        axes[0].axhline(0, linestyle=":", color="grey")
        axes[0].set(xlabel="prediction", ylabel="residual", title="Residuals")
        axes[1].hist(
            [np.abs(truth - baseline), np.abs(residuals)], bins=30, label=["baseline", "model"]
        )
        axes[1].set(xlabel="absolute error", title="Errors of model and baseline")
    for axis in axes:
        if axis.get_legend_handles_labels()[0]:
            axis.legend()
    return [save_figure(figure, paths.figures / "evaluation.png")]


def _write_html(paths: Paths, report: dict, figures: list[str]) -> None:
    names = sorted(report["model"])
    overall = [
        {"metric": m, "baseline": report["baseline"][m], "model": report["model"][m]} for m in names
    ]
    slice_rows = [{"slice": name, **values} for name, values in report["slices"].items()]
    selection = report.get("selection") or {"scores": {}, "metric": "", "folds": 0}
    cv_rows = [
        {"estimator": name, "mean": v["mean"], "std": v["std"]}
        for name, v in selection["scores"].items()
    ]
    write_html(
        paths.reports / "evaluation.html",
        f"Evaluation of model {report['model_version']}",
        [
            (
                "Model against baseline (test split)",
                table(overall, ["metric", "baseline", "model"]),
            ),
            (
                "Promotion gate",
                f"<p>{'passes' if report['gate']['passed'] else 'fails'}: "
                f"{html.escape(report['gate']['reason'])}</p>",
            ),
            (
                f"Candidates, {selection['folds']}-fold cross-validated {selection['metric']} "
                "on the training split",
                table(cv_rows, ["estimator", "mean", "std"]),
            ),
            ("Curves", "".join(image(f, "evaluation") for f in figures)),
            ("Slices", table(slice_rows, ["slice", "rows", *names])),
        ],
    )


def model_card_block(report: dict[str, Any]) -> str:
    names = sorted(report["model"])
    lines = [
        f"Model version `{report['model_version']}`, data `{report['data_sha256'][:12]}`, "
        f"evaluated on {report['test_rows']} held-out rows; estimator "
        f"`{report['estimator']}`, chosen by cross-validation over the candidates.",
        "",
        f"Promotion gate: {'passes' if report['gate']['passed'] else 'fails'}; "
        f"{report['gate']['reason']}.",
        "",
        "| metric | baseline | model |",
        "|---|---|---|",
        *[f"| {m} | {report['baseline'][m]:.4f} | {report['model'][m]:.4f} |" for m in names],
        "",
        "| slice | rows | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
        *[
            f"| {name} | {values['rows']} | " + " | ".join(f"{values[m]:.4f}" for m in names) + " |"
            for name, values in report["slices"].items()
        ],
    ]
    return "\n".join(lines)

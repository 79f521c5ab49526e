"""Evaluate model and baseline on the held-out test split: overall, by slice, calibration."""

from __future__ import annotations

import json
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

from ..config import Paths
from ..data import load_split
from ..reporting import image, save_figure, table, write_html
from . import tracking
from .artifacts import Artifact, load
from .metrics import classification_metrics, regression_metrics


def score(artifact: Artifact, frame: pd.DataFrame, which: str) -> dict[str, float]:
    scores = artifact.scores(frame, which)
    truth = frame[artifact.metadata["target"]].to_numpy()
    if artifact.classification:
        return classification_metrics(truth == artifact.metadata["positive_label"], scores)
    return regression_metrics(truth, scores)


def slices(artifact: Artifact, train: pd.DataFrame, test: pd.DataFrame, features: list[str]):
    """Each feature split at its training median: a gap one average would hide."""
    result = {}
    for feature in features:
        if feature not in test.columns:
            continue
        median = float(train[feature].median())
        for name, part in (
            ("below", test[test[feature] <= median]),
            ("above", test[test[feature] > median]),
        ):
            if len(part) >= 5:
                result[f"{feature} {name} median {median:.4g}"] = {
                    "rows": len(part),
                    **score(artifact, part, "model"),
                }
    return result


def evaluate(paths: Paths) -> dict[str, Any]:
    artifact = load(paths)
    model_cfg = paths.config("model")
    train, test = load_split(paths, "train"), load_split(paths, "test")
    report: dict[str, Any] = {
        "model_version": artifact.metadata["model_version"],
        "data_sha256": artifact.metadata["data_sha256"],
        "test_rows": len(test),
        "baseline": score(artifact, test, "baseline"),
        "model": score(artifact, test, "model"),
        "slices": slices(artifact, train, test, model_cfg["evaluation"]["slice_features"]),
    }
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
    scores = artifact.scores(test)
    truth = test[artifact.metadata["target"]].to_numpy()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    if artifact.classification:
        positive = truth == artifact.metadata["positive_label"]
        fpr, tpr, _ = roc_curve(positive, scores)
        axes[0].plot(fpr, tpr, label=f"model (AUC {report['model']['roc_auc']:.3f})")
        axes[0].plot([0, 1], [0, 1], "--", label="baseline (AUC 0.5)")
        axes[0].set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        observed, predicted = calibration_curve(positive, scores, n_bins=8, strategy="quantile")
        report["calibration"] = {"predicted": predicted.tolist(), "observed": observed.tolist()}
        axes[1].plot(predicted, observed, "o-", label="model")
        axes[1].plot([0, 1], [0, 1], "--", label="perfectly calibrated")
        axes[1].set(
            xlabel="predicted probability", ylabel="observed frequency", title="Calibration"
        )
    else:
        residuals = truth - scores
        axes[0].scatter(scores, residuals, s=8)
        axes[0].axhline(0, linestyle="--")
        axes[0].set(xlabel="prediction", ylabel="residual", title="Residuals")
        axes[1].hist(residuals, bins=30)
        axes[1].set(xlabel="residual", title="Residual distribution")
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
    write_html(
        paths.reports / "evaluation.html",
        f"Evaluation of model {report['model_version']}",
        [
            (
                "Model against baseline (test split)",
                table(overall, ["metric", "baseline", "model"]),
            ),
            ("Curves", "".join(image(f, "evaluation") for f in figures)),
            ("Slices", table(slice_rows, ["slice", "rows", *names])),
        ],
    )


def model_card_block(report: dict[str, Any]) -> str:
    names = sorted(report["model"])
    lines = [
        f"Model version `{report['model_version']}`, data `{report['data_sha256'][:12]}`, "
        f"evaluated on {report['test_rows']} held-out rows.",
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

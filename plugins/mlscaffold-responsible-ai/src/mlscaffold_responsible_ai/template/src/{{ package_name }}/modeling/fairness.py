"""Model quality by group (fairlearn's MetricFrame), added by mlscaffold-responsible-ai.

Run `python -m <package>.modeling.fairness` after `make evaluate`; `--check` exits with 1
when the gap between groups is larger than configs/fairness.toml allows.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import mean_absolute_error, precision_score, recall_score

from ..config import Paths, project_paths
from ..data import load_split
from ..errors import ProjectError
from ..reporting import fill_block, table, write_html
from .artifacts import Artifact, load

FAIRNESS_DOC = "03-modeling/fairness.md"


def groups(frame: pd.DataFrame, spec: dict[str, Any], reference: pd.DataFrame) -> pd.Series:
    """The group of each row; numeric features are cut at the reference data's quantiles."""
    feature = spec["feature"]
    if feature not in frame.columns:
        raise ProjectError(f"configs/fairness.toml: group feature {feature!r} is not in the data")
    values = frame[feature]
    if "bins" not in spec:
        return values.astype(str).rename(spec["name"])
    edges = np.unique(np.quantile(reference[feature], np.linspace(0, 1, spec["bins"] + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    labels = [f"band {i + 1} of {len(edges) - 1}" for i in range(len(edges) - 1)]
    return pd.cut(values, edges, labels=labels).astype(str).rename(spec["name"])


def metric_frame(artifact: Artifact, frame: pd.DataFrame, sensitive: pd.Series) -> MetricFrame:
    truth = frame[artifact.metadata["target"]].to_numpy()
    scores = artifact.scores(frame)
    if artifact.classification:
        positive = truth == artifact.metadata["positive_label"]
        metrics = {
            "recall": recall_score,
            "precision": precision_score,
            "selection_rate": selection_rate,
        }
        return MetricFrame(
            metrics=metrics,
            y_true=positive,
            y_pred=scores >= 0.5,
            sensitive_features=sensitive.to_numpy(),
        )
    return MetricFrame(
        metrics={"mae": mean_absolute_error},
        y_true=truth,
        y_pred=scores,
        sensitive_features=sensitive.to_numpy(),
    )


def evaluate_groups(paths: Paths) -> dict[str, Any]:
    cfg = paths.config("fairness")
    artifact = load(paths)
    train, test = load_split(paths, "train"), load_split(paths, "test")
    report: dict[str, Any] = {"model_version": artifact.metadata["model_version"], "groups": {}}
    for spec in cfg["group"]:
        frame = metric_frame(artifact, test, groups(test, spec, train))
        gap_metric = "recall" if artifact.classification else "mae"
        difference = float(frame.difference()[gap_metric])
        report["groups"][spec["name"]] = {
            "by_group": {
                metric: {str(k): float(v) for k, v in column.items()}
                for metric, column in frame.by_group.items()
            },
            "rows": {
                str(k): int(v)
                for k, v in test.groupby(groups(test, spec, train), observed=True).size().items()
            },
            "gap_metric": gap_metric,
            "difference": difference,
            "within_threshold": difference <= cfg["thresholds"]["max_difference"],
        }
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / "fairness.json").write_text(json.dumps(report, indent=2) + "\n")
    sections = []
    for name, result in report["groups"].items():
        rows = [
            {
                "group": group,
                "rows": result["rows"].get(group),
                **{metric: values[group] for metric, values in result["by_group"].items()},
            }
            for group in result["rows"]
        ]
        columns = ["group", "rows", *result["by_group"]]
        sections.append(
            (
                f"{name}: gap in {result['gap_metric']} {result['difference']:.3f}",
                table(rows, columns),
            )
        )
    write_html(paths.reports / "fairness.html", "Model quality by group", sections)
    fill_block(paths.stages / FAIRNESS_DOC, "fairness", fairness_block(report))
    return report


def fairness_block(report: dict[str, Any]) -> str:
    lines = [f"Model `{report['model_version']}` on the test split.", ""]
    for name, result in report["groups"].items():
        verdict = "within" if result["within_threshold"] else "OVER"
        lines.append(
            f"- **{name}**: gap in {result['gap_metric']} {result['difference']:.3f} "
            f"({verdict} the threshold); rows per group {result['rows']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        report = evaluate_groups(project_paths())
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, result in report["groups"].items():
        print(f"{name}: gap in {result['gap_metric']} {result['difference']:.3f}")
    over = [n for n, r in report["groups"].items() if not r["within_threshold"]]
    if over and "--check" in args:
        print(f"Gap over the threshold for: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

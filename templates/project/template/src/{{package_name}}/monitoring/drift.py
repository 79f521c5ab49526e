"""Distribution shift per feature: KS test and PSI for numbers, chi-squared for categories.

Reference data is the training split; current data is the test split (optionally with
a simulated shift), a CSV file, or the service's prediction log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from ..config import Paths
from ..data import load_split
from ..errors import ProjectError
from ..reporting import image, save_figure, table, write_html

EPSILON = 1e-4  # keeps PSI finite when a bin is empty on one side


def psi(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    """Population Stability Index over quantile bins of the reference."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.histogram(reference, edges)[0] / len(reference) + EPSILON
    actual = np.histogram(current, edges)[0] / max(len(current), 1) + EPSILON
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def compare(reference: pd.DataFrame, current: pd.DataFrame, cfg: dict[str, Any]) -> dict[str, Any]:
    features = {}
    for column in reference.columns:
        if column not in current.columns:
            raise ProjectError(f"current data has no column {column!r}")
        ref, cur = reference[column].dropna(), current[column].dropna()
        if pd.api.types.is_numeric_dtype(ref):
            result = stats.ks_2samp(ref, cur)
            value = psi(ref.to_numpy(), cur.to_numpy(), cfg["psi_bins"])
            drifted = result.pvalue < cfg["ks_p_value"] or value > cfg["psi_threshold"]
            features[column] = {
                "kind": "numeric",
                "ks_statistic": float(result.statistic),
                "ks_p_value": float(result.pvalue),
                "psi": value,
                "drifted": bool(drifted),
            }
        else:
            counts = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0)
            _, p_value, _, _ = stats.chi2_contingency(counts.to_numpy().T + EPSILON)
            features[column] = {
                "kind": "categorical",
                "chi2_p_value": float(p_value),
                "drifted": bool(p_value < cfg["chi2_p_value"]),
            }
    drifting = sorted(name for name, result in features.items() if result["drifted"])
    share = len(drifting) / max(len(features), 1)
    return {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "thresholds": {k: cfg[k] for k in ("ks_p_value", "psi_threshold", "chi2_p_value")},
        "features": features,
        "drifting": drifting,
        "share_drifting": share,
        "decision": "retrain" if drifting and share >= cfg["retrain_share"] else "no-retrain",
    }


def read_current(path: Path) -> pd.DataFrame:
    """A CSV file, or the service's prediction log (JSON lines with a `features` object)."""
    if not path.is_file():
        raise ProjectError(f"{path} does not exist")
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if not records:
            raise ProjectError(f"{path} holds no predictions yet")
        return pd.DataFrame([record["features"] for record in records])
    return pd.read_csv(path)


def run(paths: Paths, current_path: Path | None = None, simulate_shift: bool = False):
    cfg = paths.config("monitoring")["drift"]
    target = paths.config("project")["data"]["target"]
    reference = load_split(paths, "train").drop(columns=[target])
    current = read_current(current_path) if current_path else load_split(paths, "test")
    current = current.drop(columns=[target], errors="ignore")
    if simulate_shift:
        feature = cfg["simulate_feature"] or reference.columns[0]
        shift = cfg["simulate_shift_sd"] * reference[feature].std()
        current = current.assign(**{feature: current[feature] + shift})
    report = compare(reference, current[reference.columns], cfg)
    report["current_source"] = str(current_path) if current_path else "test split"
    report["simulated_shift"] = simulate_shift
    folder = paths.reports / "drift"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drift-report.json").write_text(json.dumps(report, indent=2) + "\n")
    _write_html(paths, reference, current, report)
    return report


def _write_html(paths: Paths, reference: pd.DataFrame, current: pd.DataFrame, report: dict):
    shown = report["drifting"][:6]
    sections = []
    if shown:
        figure, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3), squeeze=False)
        for axis, feature in zip(axes[0], shown, strict=False):
            axis.hist(
                reference[feature].dropna(), bins=30, alpha=0.5, density=True, label="reference"
            )
            axis.hist(current[feature].dropna(), bins=30, alpha=0.5, density=True, label="current")
            axis.set(title=feature)
            axis.legend()
        encoded = save_figure(figure, paths.reports / "drift" / "drifting-features.png")
        sections.append(("Drifting features: reference against current", image(encoded, "drift")))
    rows = [{"feature": name, **result} for name, result in report["features"].items()]
    sections.insert(
        0,
        (
            "Decision",
            f"<p><b>{report['decision']}</b>: {len(report['drifting'])} of "
            f"{len(rows)} features drift</p>",
        ),
    )
    columns = ["feature", "kind", "ks_p_value", "psi", "chi2_p_value", "drifted"]
    sections.append(("Every feature", table(rows, columns)))
    write_html(paths.reports / "drift" / "drift-report.html", "Drift report", sections)

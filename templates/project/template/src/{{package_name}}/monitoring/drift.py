"""Distribution shift between a window of current data and the training split: one test per
feature (KS for numbers, chi-squared for categories) and one on the model's scores (prediction
drift), with the p-values corrected for the number of tests.

Current data is the test split (optionally with a simulated shift), a CSV file, or the
service's prediction log. The thresholds, and the false-alarm rate measured with them, are in
configs/monitoring.toml.
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
from ..data import load_schema, load_split
from ..data.schema import as_text
from ..errors import ProjectError
from ..reporting import image, save_figure, table, write_html

EPSILON = 1e-4  # keeps PSI finite when a bin is empty on one side
PREDICTION = "(model score)"  # the name of the prediction-drift test among the features
MISSING, OTHER = "(missing)", "(other)"
# Chi-squared p-values are too small when a category is expected fewer than 5 times in the
# window; such categories are pooled so the false-alarm rate stays as configured.
MIN_EXPECTED = 5


def psi(reference: np.ndarray, current: np.ndarray, bins: int) -> float:
    """Population Stability Index over quantile bins of the reference."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.histogram(reference, edges)[0] / len(reference) + EPSILON
    actual = np.histogram(current, edges)[0] / max(len(current), 1) + EPSILON
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def adjust(p_values: list[float], method: str) -> list[float]:
    """p-values corrected for testing them together: Holm or Bonferroni (family-wise error
    rate), or Benjamini-Hochberg (false discovery rate)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    if method == "bonferroni":
        adjusted = np.minimum(p * m, 1.0)
    elif method == "holm":
        stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
    elif method == "fdr_bh":
        scaled = p[order] * m / np.arange(1, m + 1)
        stepped = np.minimum.accumulate(scaled[::-1])[::-1]
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
    else:
        raise ProjectError(
            f"correction {method!r} in configs/monitoring.toml: use holm, bonferroni or fdr_bh"
        )
    return [float(v) for v in adjusted]


def ks_tests(pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[float, float]]:
    """(statistic, p-value) of the two-sample Kolmogorov-Smirnov test of each pair, with the
    asymptotic p-value of scipy's ``ks_2samp(method="asymp")``, all p-values in one call:
    the false-alarm test runs thousands of them."""
    statistics, sizes = [], []
    for ref, cur in pairs:
        ref, cur = np.sort(ref), np.sort(cur)
        values = np.concatenate([ref, cur])
        gap = np.searchsorted(ref, values, "right") / len(ref) - np.searchsorted(
            cur, values, "right"
        ) / len(cur)
        statistics.append(float(np.max(np.abs(gap))))
        sizes.append(round(len(ref) * len(cur) / (len(ref) + len(cur))))
    p_values = np.clip(stats.kstwo.sf(statistics, sizes), 0, 1) if pairs else []
    return [(d, float(p)) for d, p in zip(statistics, p_values, strict=True)]


def _numeric(pairs: dict[str, tuple[np.ndarray, np.ndarray]], bins: int) -> dict[str, dict]:
    results = {}
    tested = {name: pair for name, pair in pairs.items() if len(pair[0]) and len(pair[1])}
    for name in set(pairs) - set(tested):
        results[name] = {"kind": "numeric", "p_value": 1.0, "psi": 0.0, "note": "no values"}
    for (name, (ref, cur)), (statistic, p_value) in zip(
        tested.items(), ks_tests(list(tested.values())), strict=True
    ):
        results[name] = {
            "kind": "numeric",
            "ks_statistic": statistic,
            "p_value": p_value,
            "psi": psi(ref, cur, bins),
        }
    return results


def _categorical(ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    ref, cur = as_text(ref).fillna(MISSING), as_text(cur).fillna(MISSING)
    shares = ref.value_counts(normalize=True)
    kept = shares.index[shares * len(cur) >= MIN_EXPECTED]
    ref, cur = ref.where(ref.isin(kept), OTHER), cur.where(cur.isin(kept), OTHER)
    counts = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0)
    if len(counts) < 2:
        return {"kind": "categorical", "p_value": 1.0, "note": "one category"}
    _, p_value, _, _ = stats.chi2_contingency(counts.to_numpy().T)
    return {"kind": "categorical", "p_value": float(p_value)}


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    cfg: dict[str, Any],
    reference_scores: np.ndarray | None = None,
    current_scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """Test every column of ``reference`` (and the scores, when given) for a shift in
    ``current``; a test drifts when its corrected p-value is below ``alpha``."""
    if len(current) < cfg["min_rows"]:
        raise ProjectError(
            f"the current window has {len(current)} rows; the drift check needs at least "
            f"{cfg['min_rows']} (min_rows in configs/monitoring.toml): wait for more data"
        )
    missing = [column for column in reference.columns if column not in current.columns]
    if missing:
        raise ProjectError(f"current data has no column(s) {missing}")
    numeric = [
        column
        for column in reference.columns
        if pd.api.types.is_numeric_dtype(reference[column])
        and not pd.api.types.is_bool_dtype(reference[column])
    ]
    pairs = {}
    ref_values = reference[numeric].to_numpy(dtype=float)
    cur_values = current[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    for i, column in enumerate(numeric):
        ref, cur = ref_values[:, i], cur_values[:, i]
        pairs[column] = (ref[~np.isnan(ref)], cur[~np.isnan(cur)])
    if reference_scores is not None and current_scores is not None:
        pairs[PREDICTION] = (np.asarray(reference_scores), np.asarray(current_scores))
    found = _numeric(pairs, cfg["psi_bins"])
    tests: dict[str, dict[str, Any]] = {}
    for column in reference.columns:
        if column in found:
            tests[column] = found[column]
        else:
            tests[column] = _categorical(reference[column], current[column])
    if PREDICTION in found:
        tests[PREDICTION] = {**found[PREDICTION], "kind": "prediction"}
    adjusted = adjust([t["p_value"] for t in tests.values()], cfg["correction"])
    for result, value in zip(tests.values(), adjusted, strict=True):
        result["adjusted_p_value"] = value
        result["drifted"] = bool(value < cfg["alpha"])
    features = {name: t for name, t in tests.items() if name != PREDICTION}
    drifting = sorted(name for name, t in features.items() if t["drifted"])
    prediction = tests.get(PREDICTION)
    share = len(drifting) / max(len(features), 1)
    alarm = bool(drifting) or bool(prediction and prediction["drifted"])
    return {
        "reference_rows": len(reference),
        "current_rows": len(current),
        "thresholds": {k: cfg[k] for k in ("correction", "alpha", "min_rows")},
        "features": features,
        "prediction": prediction,
        "drifting": drifting,
        "share_drifting": share,
        "decision": "retrain" if alarm and share >= cfg["retrain_share"] else "no-retrain",
    }


def read_current(path: Path) -> pd.DataFrame:
    """A CSV file, or the service's prediction log (JSON lines with a `features` object)."""
    if not path.is_file():
        raise ProjectError(f"{path} does not exist")
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if not records:
            raise ProjectError(f"{path} holds no predictions yet")
        rows = [record["features"] for record in records if record.get("features")]
        if not rows:
            raise ProjectError(
                f"{path} holds no features (the service logs them only when asked): pass a "
                "CSV of recent inputs with --current"
            )
        return pd.DataFrame(rows)
    return pd.read_csv(path)


def model_scores(paths: Paths, frame: pd.DataFrame) -> np.ndarray | None:
    """The trained model's scores of ``frame``, or None before a model is trained."""
    from ..modeling.artifacts import MODEL_FILE, load

    if not (paths.models / MODEL_FILE).is_file():
        return None
    return load(paths).scores(frame)


def simulate(current: pd.DataFrame, reference: pd.DataFrame, cfg: dict[str, Any]):
    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    feature = cfg["simulate_feature"] or (numeric[0] if numeric else "")
    if feature not in numeric:
        raise ProjectError(
            "simulate_feature in configs/monitoring.toml must name a numeric feature"
        )
    shift = cfg["simulate_shift_sd"] * reference[feature].std()
    return current.assign(**{feature: current[feature] + shift})


def run(paths: Paths, current_path: Path | None = None, simulate_shift: bool = False):
    cfg = paths.config("monitoring")["drift"]
    train = load_split(paths, "train")
    features = list(load_schema(paths)["features"])
    reference = train[features]
    current = read_current(current_path) if current_path else load_split(paths, "test")
    missing = sorted(set(features) - set(current.columns))
    if missing:
        raise ProjectError(f"current data has no column(s) {missing}")
    current = current[features]
    if simulate_shift:
        current = simulate(current, reference, cfg)
    # The reference scores come from the validation split: on the training rows a flexible
    # model scores more confidently than on any new data, which would look like drift.
    valid = load_split(paths, "valid")[features]
    reference_scores, current_scores = model_scores(paths, valid), model_scores(paths, current)
    report = compare(reference, current, cfg, reference_scores, current_scores)
    report["current_source"] = str(current_path) if current_path else "test split"
    report["simulated_shift"] = simulate_shift
    folder = paths.reports / "drift"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drift-report.json").write_text(json.dumps(report, indent=2) + "\n")
    _write_html(paths, reference, current, report)
    return report


def _write_html(paths: Paths, reference: pd.DataFrame, current: pd.DataFrame, report: dict):
    shown = [f for f in report["drifting"] if pd.api.types.is_numeric_dtype(reference[f])][:6]
    prediction = report["prediction"]
    sections = [
        (
            "Decision",
            f"<p><b>{report['decision']}</b>: {len(report['drifting'])} of "
            f"{len(report['features'])} features drift; prediction drift: "
            f"{'not tested (no model)' if prediction is None else prediction['drifted']}. "
            f"Tests corrected by {report['thresholds']['correction']} at alpha "
            f"{report['thresholds']['alpha']}, on {report['current_rows']} current rows.</p>",
        )
    ]
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
    rows = [{"test": name, **result} for name, result in report["features"].items()]
    if prediction is not None:
        rows.insert(0, {"test": PREDICTION, **prediction})
    columns = ["test", "kind", "p_value", "adjusted_p_value", "psi", "drifted"]
    sections.append(("Every test", table(rows, columns)))
    write_html(paths.reports / "drift" / "drift-report.html", "Drift report", sections)

"""Feature expectations, inferred from the training split only and checked everywhere."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ProjectError

# New data often reaches past the training range (heavy tails), so the allowed range is the
# observed one widened by this share of its span on each side: it catches unit mistakes and
# corrupt values, not tails. Tighten it per feature in schema.json where you know better.
RANGE_TOLERANCE = 1.0


def infer_schema(train: pd.DataFrame, target: str, problem_type: str) -> dict[str, Any]:
    features = {}
    for column in train.columns.drop(target):
        values = train[column]
        if not pd.api.types.is_numeric_dtype(values):
            features[column] = {
                "dtype": "category",
                "values": sorted(map(str, values.dropna().unique())),
                "nullable": bool(values.isna().any()),
            }
            continue
        low, high = float(values.min()), float(values.max())
        span = high - low
        features[column] = {
            "dtype": "integer" if pd.api.types.is_integer_dtype(values) else "number",
            "observed_min": low,
            "observed_max": high,
            "min": low - RANGE_TOLERANCE * span,
            "max": high + RANGE_TOLERANCE * span,
            "nullable": bool(values.isna().any()),
        }
    target_spec: dict[str, Any] = {"name": target}
    if problem_type == "classification":
        target_spec["values"] = sorted(int(v) for v in train[target].unique())
    else:
        target_spec["min"], target_spec["max"] = (
            float(train[target].min()),
            float(train[target].max()),
        )
    return {"features": features, "target": target_spec, "problem_type": problem_type}


def validate(frame: pd.DataFrame, schema: dict[str, Any], require_target: bool = True) -> list[str]:
    """Every way ``frame`` breaks the schema, each naming the column (and row)."""
    problems = []
    features = schema["features"]
    target = schema["target"]["name"]
    expected = set(features) | ({target} if require_target else set())
    missing = sorted(expected - set(frame.columns))
    unexpected = sorted(set(frame.columns) - expected - {target})
    problems += [f"column {c!r} is missing" for c in missing]
    problems += [f"column {c!r} is not in the schema" for c in unexpected]
    for column, spec in features.items():
        if column not in frame.columns:
            continue
        problems += _check_column(frame[column], column, spec)
    if require_target and target in frame.columns and "values" in schema["target"]:
        bad = ~frame[target].isin(schema["target"]["values"])
        problems += [
            f"row {i}: target {frame[target][i]!r} is not an allowed label"
            for i in frame.index[bad][:5]
        ]
    return problems


def _check_column(values: pd.Series, column: str, spec: dict[str, Any]) -> list[str]:
    problems = []
    if not spec["nullable"] and values.isna().any():
        rows = list(values.index[values.isna()][:5])
        problems.append(f"column {column!r} has missing values (rows {rows})")
    present = values.dropna()
    if spec["dtype"] == "category":
        bad = ~present.astype(str).isin(spec["values"])
        return problems + [
            f"row {i}: {column!r} = {present[i]!r} is not a known category"
            for i in present.index[bad][:5]
        ]
    numbers = pd.to_numeric(present, errors="coerce")
    not_numbers = numbers.isna()
    problems += [
        f"row {i}: {column!r} = {present[i]!r} is not a number"
        for i in present.index[not_numbers][:5]
    ]
    numbers = numbers[~not_numbers]
    outside = (numbers < spec["min"]) | (numbers > spec["max"]) | ~np.isfinite(numbers)
    problems += [
        f"row {i}: {column!r} = {numbers[i]:g} is outside [{spec['min']:g}, {spec['max']:g}]"
        for i in numbers.index[outside][:5]
    ]
    return problems


def raise_problems(problems: list[str], what: str) -> None:
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise ProjectError(f"{what} does not match the schema: {shown}")

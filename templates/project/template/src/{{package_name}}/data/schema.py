"""Feature expectations, inferred from the training split only and checked everywhere.

Which columns are features, and of which kind, is decided here once: ``[data]`` in
configs/project.toml names identifiers, the time column and columns to drop, and may override
the inferred kind of any column. Training, serving, drift and reports read the result from
data/processed/schema.json.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ProjectError

# New data often reaches past the training range (heavy tails), so the allowed range is the
# observed one widened by this share of its span on each side: it catches unit mistakes and
# corrupt values, not tails. Tighten it per feature in schema.json where you know better.
RANGE_TOLERANCE = 1.0
# A text column is taken for dates when this share of its values looks like 2024-01-31,
# 31/01/2024 or 31.01.2024 (with or without a time): dates as features would let a model learn
# the calendar of the training period, which never comes again.
DATE_SHARE = 0.9
DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def as_text(values: pd.Series) -> pd.Series:
    """Category values as text, missing ones as None; 3.0 reads as "3", as an integer code
    read back from a CSV with gaps (hence floats) was written."""

    def text(value: Any) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return values.map(text).astype(object)


def feature_kinds(frame: pd.DataFrame, data_cfg: dict[str, Any]) -> tuple[dict, dict]:
    """``({column: "numeric" | "categorical"}, {column: why it is not a feature})``."""
    target = data_cfg["target"]
    ignored: dict[str, str] = {}
    for column in data_cfg.get("id_columns", []):
        ignored[column] = "identifier ([data] id_columns)"
    if data_cfg.get("time_column"):
        ignored[data_cfg["time_column"]] = "time of the row ([data] time_column)"
    for column in data_cfg.get("drop_columns", []):
        ignored[column] = "dropped ([data] drop_columns)"
    categorical, numeric = set(data_cfg.get("categorical", [])), set(data_cfg.get("numeric", []))
    named = set(ignored) | categorical | numeric
    unknown = sorted(named - set(frame.columns))
    if unknown:
        raise ProjectError(
            f"configs/project.toml [data] names {unknown}, which the data does not have: "
            f"its columns are {list(frame.columns)}"
        )
    if target in named:
        raise ProjectError(f"the target {target!r} is also listed as a feature or ignored column")
    kinds: dict[str, str] = {}
    for column in frame.columns:
        if column == target or column in ignored:
            continue
        values = frame[column]
        if column in categorical:
            kinds[column] = "categorical"
        elif column in numeric:
            if not pd.api.types.is_numeric_dtype(values):
                raise ProjectError(
                    f"[data] numeric lists {column!r}, but it holds text such as "
                    f"{values.dropna().iloc[0]!r}"
                )
            kinds[column] = "numeric"
        elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            present = values.dropna().astype(str)
            if len(present) and present.str.match(DATE).mean() >= DATE_SHARE:
                ignored[column] = (
                    "looks like dates: set it as time_column, or list it in categorical"
                )
            elif len(values) > 20 and values.notna().all() and values.is_unique:
                ignored[column] = "every value distinct, like an identifier: list it in categorical"
            else:
                kinds[column] = "categorical"
        else:
            kinds[column] = "numeric"
    if not kinds:
        raise ProjectError("no feature is left: check [data] id_columns and drop_columns")
    return kinds, ignored


def infer_schema(
    train: pd.DataFrame,
    target: str,
    problem_type: str,
    data_cfg: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data_cfg = {"target": target, **(data_cfg or {})}
    kinds, ignored = feature_kinds(train, data_cfg)
    features = {}
    for column, kind in kinds.items():
        values = train[column]
        if kind == "categorical":
            features[column] = {
                "dtype": "category",
                "values": sorted(as_text(values).dropna().unique()),
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
        target_spec["values"] = sorted(_plain(v) for v in train[target].dropna().unique())
    else:
        target_spec["min"], target_spec["max"] = (
            float(train[target].min()),
            float(train[target].max()),
        )
    return {
        "features": features,
        "ignored": ignored,
        "target": target_spec,
        "problem_type": problem_type,
    }


def _plain(value: Any) -> Any:
    """A label as JSON keeps it: numpy integers become int, text stays text."""
    if isinstance(value, np.integer | bool | np.bool_):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value if isinstance(value, str) else str(value)


def validate(
    frame: pd.DataFrame,
    schema: dict[str, Any],
    require_target: bool = True,
    allow_unseen: bool = False,
) -> list[str]:
    """Every way ``frame`` breaks the schema, each naming the column (and row).

    ``allow_unseen`` lets through what training did not show but the model handles: a new
    category, a gap in a column that had none, a number past the allowed range. The data
    stage allows them in the held-out splits, where they are a fact of the data (counted in
    the data report); the service and batch scoring do not, as there they are a question for
    the data's owner."""
    problems = []
    features = schema["features"]
    target = schema["target"]["name"]
    expected = set(features) | ({target} if require_target else set())
    missing = sorted(expected - set(frame.columns))
    # Identifier and time columns may come along (a batch keeps its ids); nothing else may.
    allowed = expected | {target} | set(schema.get("ignored", {}))
    unexpected = sorted(set(frame.columns) - allowed)
    problems += [f"column {c!r} is missing" for c in missing]
    problems += [f"column {c!r} is not in the schema" for c in unexpected]
    for column, spec in features.items():
        if column not in frame.columns:
            continue
        problems += _check_column(frame[column], column, spec, allow_unseen)
    if require_target and target in frame.columns:
        labels = frame[target]
        problems += [
            f"row {i}: the target is missing" for i in frame.index[labels.isna().to_numpy()][:5]
        ]
        if "values" in schema["target"]:
            known = {str(v) for v in schema["target"]["values"]}
            bad = labels.notna() & ~as_text(labels).isin(known)
            problems += [
                f"row {i}: target {labels[i]!r} is not an allowed label"
                for i in frame.index[bad.to_numpy()][:5]
            ]
    return problems


def _check_column(
    values: pd.Series, column: str, spec: dict[str, Any], allow_unseen: bool = False
) -> list[str]:
    problems = []
    if not spec["nullable"] and values.isna().any() and not allow_unseen:
        rows = list(values.index[values.isna()][:5])
        problems.append(f"column {column!r} has missing values (rows {rows})")
    present = values.dropna()
    if spec["dtype"] == "category":
        if allow_unseen:
            return problems
        bad = ~as_text(present).isin(spec["values"])
        return problems + [
            f"row {i}: {column!r} = {present[i]!r} is not a known category"
            for i in present.index[bad][:5]
        ]
    if pd.api.types.is_bool_dtype(present):
        return [*problems, f"column {column!r} holds true/false values, not numbers"]
    numbers = pd.to_numeric(present, errors="coerce")
    not_numbers = numbers.isna()
    problems += [
        f"row {i}: {column!r} = {present[i]!r} is not a number"
        for i in present.index[not_numbers][:5]
    ]
    numbers = numbers[~not_numbers]
    outside = ~np.isfinite(numbers)
    if not allow_unseen:
        outside |= (numbers < spec["min"]) | (numbers > spec["max"])
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


def unseen(frame: pd.DataFrame, schema: dict[str, Any]) -> int:
    """How many values of ``frame`` training did not show: new categories, new gaps, numbers
    past the allowed range."""
    count = 0
    for column, spec in schema["features"].items():
        values = frame[column]
        if not spec["nullable"]:
            count += int(values.isna().sum())
        if spec["dtype"] == "category":
            count += int((~as_text(values.dropna()).isin(spec["values"])).sum())
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            count += int(((numbers < spec["min"]) | (numbers > spec["max"])).sum())
    return count

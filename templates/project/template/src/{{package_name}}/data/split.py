"""Splits with a fixed seed, by time when rows carry one, with no row in two splits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..errors import ProjectError


def drop_duplicates(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """Identical rows would land in two splits and inflate every offline metric."""
    unique = frame.drop_duplicates().reset_index(drop=True)
    return unique, len(frame) - len(unique)


def event_times(values: pd.Series) -> np.ndarray:
    """Numbers (e.g. epoch seconds) as they are; text as dates, every one of which must parse."""
    if pd.api.types.is_numeric_dtype(values):
        times = values.to_numpy(dtype=float)
        unreadable = np.isnan(times)
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        unreadable = parsed.isna().to_numpy()
        times = parsed.to_numpy(dtype="datetime64[ns]").astype("int64")
    if unreadable.any():
        rows = list(values.index[unreadable][:5])
        raise ProjectError(
            f"time_column {values.name!r} has {int(unreadable.sum())} value(s) that are not "
            f"times (rows {rows}): fix or drop those rows in the source"
        )
    return times


def split(frame: pd.DataFrame, project: dict[str, Any]) -> dict[str, pd.DataFrame]:
    data = project["data"]
    seed = project["project"]["random_seed"]
    test_size, valid_size = data["test_size"], data["validation_size"]
    time_column = data.get("time_column") or ""
    if time_column:
        if time_column not in frame.columns:
            raise ProjectError(f"time_column {time_column!r} is not a column of the data")
        # Train on the past, validate and test on the future, as the model will be used.
        ordered = frame.iloc[np.argsort(event_times(frame[time_column]), kind="stable")]
        n_test = round(len(ordered) * test_size)
        rest, test = ordered.iloc[: len(ordered) - n_test], ordered.iloc[len(ordered) - n_test :]
        n_valid = round(len(rest) * valid_size)
        train, valid = rest.iloc[: len(rest) - n_valid], rest.iloc[len(rest) - n_valid :]
        return {"train": train, "valid": valid, "test": test}
    target = data["target"]
    classification = project["project"]["problem_type"] == "classification"
    rest, test = train_test_split(
        frame,
        test_size=test_size,
        random_state=seed,
        stratify=frame[target] if classification else None,
    )
    train, valid = train_test_split(
        rest,
        test_size=valid_size,
        random_state=seed,
        stratify=rest[target] if classification else None,
    )
    return {"train": train, "valid": valid, "test": test}


def check_disjoint(parts: dict[str, pd.DataFrame], target: str) -> None:
    """Refuse leakage: the same feature values may not appear in two splits."""
    keys = {
        name: set(pd.util.hash_pandas_object(part.drop(columns=[target]), index=False))
        for name, part in parts.items()
    }
    names = list(keys)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            shared = keys[first] & keys[second]
            if shared:
                raise ProjectError(
                    f"{len(shared)} row(s) appear in both the {first} and {second} splits: "
                    "remove duplicates before splitting"
                )

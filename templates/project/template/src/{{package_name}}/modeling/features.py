"""Preprocessing inside the model pipeline: what is fitted on the training split travels with
the model, so serving and batch scoring transform rows exactly as training did."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from ..data.schema import as_text

MISSING = "(missing)"


def as_categories(frame: pd.DataFrame) -> np.ndarray:
    """Categories as text, a missing value as a category of its own: that a value is missing
    often says something (no previous purchase, a test not ordered)."""
    return frame.apply(lambda column: as_text(column).fillna(MISSING)).to_numpy(dtype=object)


def column_kinds(features: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(categorical, numeric) column names, from schema.json's ``features``."""
    categorical = [c for c, spec in features.items() if spec["dtype"] == "category"]
    return categorical, [c for c in features if c not in categorical]


def preprocessor(features: dict[str, Any] | None, for_trees: bool) -> ColumnTransformer:
    """Linear models get medians for gaps, scaled numbers and one-hot categories; trees take
    gaps as they are (HistGradientBoosting learns where missing values go) and category codes.

    Without ``features`` (schema.json's), columns are typed by their dtype at fit time."""
    if features is None:
        categorical: Any = make_column_selector(dtype_exclude="number")
        numeric: Any = make_column_selector(dtype_include="number")
    else:
        categorical, numeric = column_kinds(features)
    text = FunctionTransformer(as_categories, feature_names_out="one-to-one")
    if for_trees:
        # Codes past the tree's bins would fail; rare categories share one code instead.
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, max_categories=250
        )
        steps = [("categorical", make_pipeline(text, encoder), categorical)]
        steps.append(("numeric", "passthrough", numeric))
    else:
        # A category first seen in production gets no column of its own: all zeros.
        encoder = OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False)
        steps = [("categorical", make_pipeline(text, encoder), categorical)]
        scaled = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        steps.append(("numeric", scaled, numeric))
    # Columns that are not features (identifiers, times) are dropped here, so a frame with
    # them can be scored as it comes.
    return ColumnTransformer([s for s in steps if callable(s[2]) or s[2]], remainder="drop")


def categorical_mask(features: dict[str, Any]) -> list[bool]:
    """Which outputs of the tree preprocessor are category codes (they come first)."""
    categorical, numeric = column_kinds(features)
    return [True] * len(categorical) + [False] * len(numeric)

"""Retraining on new data: a window of newly labelled rows joins the raw data (kept apart,
immutable, in data/raw/windows), and the data, train and evaluate steps run again on it.

Promotion stays a separate step: the retrained model is served only if it passes the gate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Paths
from ..data import run as build_data
from ..data.dataset import read_file
from ..data.ingest import add_window, remove_window
from ..errors import ProjectError
from ..modeling.evaluate import evaluate
from ..modeling.train import train


def retrain(paths: Paths, window_path: Path) -> dict[str, Any]:
    """Add the labelled rows of ``window_path`` (CSV or Parquet, the source's columns) and
    retrain; returns what was added and the new model's version and test metrics."""
    if not window_path.is_file():
        raise ProjectError(f"{window_path} does not exist")
    frame = read_file(window_path)
    target = paths.config("project")["data"]["target"]
    if target not in frame.columns or frame[target].isna().all():
        raise ProjectError(f"{window_path} has no labels in {target!r}: retraining needs them")
    window = add_window(paths, frame)
    try:
        summary = build_data(paths)
        metadata = train(paths)
        report = evaluate(paths)
    except ProjectError:
        remove_window(paths, window)
        raise
    return {
        "window": window,
        "train_rows": summary["train_rows"],
        "data_sha256": summary["sha256"],
        "model_version": metadata["model_version"],
        "gate": report["gate"],
    }

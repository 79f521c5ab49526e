"""Prediction shared by the service and batch jobs: the same code gives the same score."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..modeling.artifacts import Artifact


def predict(artifact: Artifact, frame: pd.DataFrame) -> list[dict[str, Any]]:
    scores = artifact.scores(frame)
    if not artifact.classification:
        return [{"prediction": float(value)} for value in scores]
    name = artifact.metadata.get("positive_name") or str(artifact.metadata["positive_label"])
    return [
        {"prediction": name if p >= 0.5 else f"not {name}", "probability": float(p)} for p in scores
    ]

"""The trained artifact: model, baseline and the metadata that makes a run traceable."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..config import Paths
from ..errors import ProjectError

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
# Below this many rows, gradient boosting runs on one thread: OpenMP's threads cost more than
# they save on small data, and on a busy machine their waiting turned a 0.4 s fit into 5 s and
# a one-row prediction into 170 ms.
THREADED_ROWS = 20_000


def threads_for(rows: int):
    """A context in which scikit-learn's OpenMP code uses threads only for large data."""
    if rows >= THREADED_ROWS:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="openmp")


@dataclass
class Artifact:
    model: Any
    baseline: Any
    metadata: dict[str, Any]

    @property
    def features(self) -> list[str]:
        return self.metadata["features"]

    @property
    def classification(self) -> bool:
        return self.metadata["problem_type"] == "classification"

    def scores(self, frame: pd.DataFrame, which: str = "model") -> np.ndarray:
        """Probability of the positive class (classification) or the prediction."""
        estimator = self.model if which == "model" else self.baseline
        features = frame[self.features]
        with threads_for(len(features)):
            if not self.classification:
                return estimator.predict(features)
            column = list(estimator.classes_).index(self.metadata["positive_label"])
            return estimator.predict_proba(features)[:, column]


def save(paths: Paths, artifact: Artifact) -> None:
    paths.models.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": artifact.model, "baseline": artifact.baseline}, paths.models / MODEL_FILE)
    (paths.models / METADATA_FILE).write_text(json.dumps(artifact.metadata, indent=2) + "\n")


def load(paths: Paths) -> Artifact:
    model_path = paths.models / MODEL_FILE
    if not model_path.is_file():
        raise ProjectError(f"{model_path} is missing: run `make train` first")
    # joblib unpickles: load only artifacts this project wrote itself.
    estimators = joblib.load(model_path)
    metadata = json.loads((paths.models / METADATA_FILE).read_text())
    return Artifact(estimators["model"], estimators["baseline"], metadata)

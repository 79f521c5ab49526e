"""What is deployed: the record promotion writes, and the one way to load what it names.

`promote` copies the model that passed the gate to models/promoted.joblib and writes
models/promoted.json: its version, sha256, metrics, input schema and decision threshold.
The service, batch scoring, the container and the business report all load through
``load_deployment``, so they serve and value the same model at the same threshold, and a
model that failed the gate (or a retrained one not yet promoted) is never served.

A tracker in ``modeling/trackers/`` that defines ``deployment(paths) -> Deployment | None``
is a model registry (the mlscaffold-mlflow plugin adds one): when it answers, the registry
says what is deployed; it raises ProjectError when its store holds no promoted model.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from ..config import Paths
from ..errors import ProjectError
from ..modeling import trackers
from ..modeling.artifacts import Artifact

RECORD = "promoted.json"
ARTIFACT = "promoted.joblib"


@dataclass(frozen=True)
class Deployment:
    record: dict[str, Any]
    artifact: Artifact

    @property
    def model_version(self) -> str:
        return self.record["model_version"]

    @property
    def threshold(self) -> float | None:
        """The cost-optimal decision threshold; None for regression."""
        return self.record["threshold"]

    @property
    def schema(self) -> dict[str, Any]:
        """The input schema of the data the deployed model was trained on."""
        return self.record["schema"]

    @property
    def target(self) -> str:
        return self.record["metadata"]["target"]

    def predict(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """One output per row: the decision at the deployed threshold and its probability,
        or the predicted value."""
        scores = self.artifact.scores(frame)
        if self.threshold is None:
            return [{"prediction": float(value)} for value in scores]
        metadata = self.record["metadata"]
        name = metadata.get("positive_name") or str(metadata["positive_label"])
        return [
            {"prediction": name if p >= self.threshold else f"not {name}", "probability": float(p)}
            for p in scores
        ]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def registries() -> list[Any]:
    """The tracker modules that are model registries (they define ``deployment``)."""
    modules = [
        importlib.import_module(f"{trackers.__name__}.{module.name}")
        for module in pkgutil.iter_modules(trackers.__path__)
    ]
    return [module for module in modules if hasattr(module, "deployment")]


def read_record(paths: Paths) -> dict[str, Any] | None:
    """The local promotion record, or None when nothing was promoted here."""
    path = paths.models / RECORD
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProjectError(f"{path} is not valid JSON ({error}): run `make promote`") from None


def load_deployment(paths: Paths) -> Deployment:
    """The promoted model with its record; ProjectError when nothing was promoted."""
    for registry in registries():
        # A registry that answers is the truth; None means it has no store to ask here.
        found = registry.deployment(paths)
        if found is not None:
            return found
    record = read_record(paths)
    if record is None:
        raise ProjectError(
            "no model has been promoted (models/promoted.json is missing): run `make promote`; "
            "only a model that passes the gate is served"
        )
    if "model_sha256" not in record:
        raise ProjectError(
            "models/promoted.json predates deployment records (no model file or hash): "
            "run `make promote` to record the model to serve"
        )
    path = paths.models / record["model_file"]
    if not path.is_file() or sha256(path) != record["model_sha256"]:
        raise ProjectError(
            f"{path} is not the model models/promoted.json records (missing or its sha256 "
            "differs): run `make promote` again"
        )
    # joblib unpickles: this is the file this project's own promotion wrote and hashed.
    estimators = joblib.load(path)
    return Deployment(
        record, Artifact(estimators["model"], estimators["baseline"], record["metadata"])
    )

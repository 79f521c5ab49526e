"""Train the baseline and the model named in configs/model.toml."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ..config import Paths
from ..data import load_split
from ..errors import ProjectError
from . import tracking
from .artifacts import MODEL_FILE, Artifact, save
from .metrics import classification_metrics, regression_metrics

ESTIMATORS = {"logistic_regression": LogisticRegression, "ridge": Ridge}


def build_model(model_cfg: dict[str, Any]) -> Pipeline:
    name = model_cfg["estimator"]
    if name not in ESTIMATORS:
        raise ProjectError(
            f"unknown estimator {name!r} in configs/model.toml: use {list(ESTIMATORS)}"
        )
    return make_pipeline(StandardScaler(), ESTIMATORS[name](**model_cfg.get("params", {})))


def build_baseline(strategy: str, classification: bool):
    return (
        DummyClassifier(strategy=strategy) if classification else DummyRegressor(strategy=strategy)
    )


def git_commit(paths: Paths) -> str | None:
    """The code version, when the project is a git repository with git installed."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def train(paths: Paths) -> dict[str, Any]:
    project, model_cfg = paths.config("project"), paths.config("model")
    target = project["data"]["target"]
    classification = project["project"]["problem_type"] == "classification"
    frame = load_split(paths, "train")
    features = [c for c in frame.columns if c != target]
    model = build_model(model_cfg["model"]).fit(frame[features], frame[target])
    baseline = build_baseline(model_cfg["baseline"]["strategy"], classification)
    baseline.fit(frame[features], frame[target])
    manifest = json.loads((paths.raw / "dataset.json").read_text())
    now = time.gmtime()
    metadata = {
        "model_version": time.strftime("%Y%m%dT%H%M%SZ", now) + "-" + manifest["sha256"][:8],
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
        "problem_type": project["project"]["problem_type"],
        "target": target,
        "positive_label": project["data"].get("positive_label"),
        "positive_name": project["data"].get("positive_name"),
        "features": features,
        "data_sha256": manifest["sha256"],
        "git_commit": git_commit(paths),
        "estimator": model_cfg["model"]["estimator"],
        "params": model_cfg["model"].get("params", {}),
        "baseline_strategy": model_cfg["baseline"]["strategy"],
        "train_rows": len(frame),
    }
    artifact = Artifact(model, baseline, metadata)
    valid = load_split(paths, "valid")
    truth, scores = valid[target].to_numpy(), artifact.scores(valid)
    if classification:
        metrics = classification_metrics(truth == metadata["positive_label"], scores)
    else:
        metrics = regression_metrics(truth, scores)
    metadata["validation"] = metrics
    save(paths, artifact)
    payload = {
        "params": metadata["params"],
        "metrics": {f"valid_{name}": value for name, value in metrics.items()},
        "data_sha256": metadata["data_sha256"],
        "git_commit": metadata["git_commit"],
        "model_file": str(paths.models / MODEL_FILE),
    }
    metadata["tracking"] = tracking.record(paths, "train", payload, metadata)
    save(paths, artifact)
    return metadata

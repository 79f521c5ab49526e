"""Train the baseline and the best of the candidate models in configs/model.toml.

The candidates are compared by cross-validation on the training split, the baseline among
them, so that the choice does not use the validation or test rows; the validation split then
decides whether calibrating the chosen classifier's probabilities helps.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline

from ..config import Paths
from ..data import load_schema, load_split
from ..errors import ProjectError
from . import tracking
from .artifacts import MODEL_FILE, Artifact, save, threads_for
from .features import categorical_mask, preprocessor
from .metrics import HIGHER_IS_BETTER, classification_metrics, positive_mask, regression_metrics

# name -> (classifier, regressor); None where the estimator does not do that problem type.
ESTIMATORS = {
    "logistic_regression": (LogisticRegression, None),
    "ridge": (None, Ridge),
    "hist_gradient_boosting": (HistGradientBoostingClassifier, HistGradientBoostingRegressor),
}
TREES = {"hist_gradient_boosting"}
# The scikit-learn scorer that cross-validation maximizes for each gate metric.
SCORERS = {
    "roc_auc": "roc_auc",
    "accuracy": "accuracy",
    "brier": "neg_brier_score",
    "mae": "neg_mean_absolute_error",
    "rmse": "neg_root_mean_squared_error",
    "r2": "r2",
}


def candidate_names(model_cfg: dict[str, Any]) -> list[str]:
    """``estimator = "auto"`` compares every candidate; a name trains that one alone."""
    if model_cfg["estimator"] == "auto":
        return list(model_cfg["candidates"])
    return [model_cfg["estimator"]]


def build_model(
    model_cfg: dict[str, Any],
    features: dict[str, Any] | None = None,
    problem_type: str | None = None,
    name: str | None = None,
) -> Pipeline:
    """The pipeline of candidate ``name`` (default: the first one): preprocessing, then the
    estimator with its ``[model.params.<name>]``. Without ``features`` (schema.json's), columns
    are typed by their dtype when the pipeline is fitted."""
    name = name or candidate_names(model_cfg)[0]
    if name not in ESTIMATORS:
        raise ProjectError(
            f"unknown estimator {name!r} in configs/model.toml: use {list(ESTIMATORS)}"
        )
    classifier, regressor = ESTIMATORS[name]
    if problem_type is None:
        problem_type = "classification" if regressor is None else "regression"
    estimator_type = classifier if problem_type == "classification" else regressor
    if estimator_type is None:
        raise ProjectError(f"{name} in configs/model.toml does not do {problem_type}")
    params = dict(model_cfg.get("params", {}).get(name, {}))
    trees = name in TREES
    transform = preprocessor(features, for_trees=trees)
    if trees and features is not None and any(categorical_mask(features)):
        params.setdefault("categorical_features", categorical_mask(features))
    if "random_state" in estimator_type().get_params():
        params.setdefault("random_state", 0)
    return Pipeline([("preprocess", transform), (name, estimator_type(**params))])


def build_baseline(strategy: str, classification: bool):
    return (
        DummyClassifier(strategy=strategy) if classification else DummyRegressor(strategy=strategy)
    )


def folds(cfg: dict[str, Any], classification: bool, by_time: bool, seed: int):
    """Folds that respect how the model will be used: later rows are never used to predict
    earlier ones when the data carries time."""
    if by_time:
        return TimeSeriesSplit(n_splits=cfg["cv_folds"])
    kind = StratifiedKFold if classification else KFold
    return kind(n_splits=cfg["cv_folds"], shuffle=True, random_state=seed)


def compare(frame, target: str, features, project, model_cfg) -> dict[str, Any]:
    """Cross-validated score of the baseline and of every candidate, on the training split."""
    problem_type = project["project"]["problem_type"]
    classification = problem_type == "classification"
    metric = model_cfg["evaluation"]["gate_metric"]
    cv = folds(
        model_cfg["model"],
        classification,
        bool(project["data"].get("time_column")),
        project["project"]["random_seed"],
    )
    X, y = frame[list(features)], frame[target]
    estimators = {"baseline": build_baseline(model_cfg["baseline"]["strategy"], classification)}
    for name in candidate_names(model_cfg["model"]):
        estimators[name] = build_model(model_cfg["model"], features, problem_type, name)
    results = {}
    for name, estimator in estimators.items():
        try:
            scores = cross_val_score(estimator, X, y, cv=cv, scoring=SCORERS[metric])
        except ValueError as error:  # e.g. fewer cases of a class than folds
            raise ProjectError(
                f"cross-validating {name} failed ({error}): lower cv_folds in "
                "configs/model.toml, or add rows"
            ) from None
        # Scorers maximize, so errors are negated; report them as the metric reads.
        scores = -scores if SCORERS[metric].startswith("neg_") else scores
        results[name] = {
            "mean": float(np.mean(scores)),
            "std": float(np.std(scores)),
            "folds": [float(s) for s in scores],
        }
    return {"metric": metric, "folds": cv.get_n_splits(), "scores": results}


def git_commit(paths: Paths) -> str | None:
    """The code version, when the project is a git repository with git installed."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def validation_metrics(artifact: Artifact, frame) -> dict[str, float]:
    truth, scores = frame[artifact.metadata["target"]], artifact.scores(frame)
    if artifact.classification:
        positive = positive_mask(truth, artifact.metadata["positive_label"])
        return classification_metrics(positive, scores)
    return regression_metrics(truth.to_numpy(), scores)


def train(paths: Paths) -> dict[str, Any]:
    with threads_for(len(load_split(paths, "train"))):
        return _train(paths)


def _train(paths: Paths) -> dict[str, Any]:
    project, model_cfg = paths.config("project"), paths.config("model")
    target = project["data"]["target"]
    problem_type = project["project"]["problem_type"]
    classification = problem_type == "classification"
    features = load_schema(paths)["features"]
    frame, valid = load_split(paths, "train"), load_split(paths, "valid")
    X, y = frame[list(features)], frame[target]
    selection = compare(frame, target, features, project, model_cfg)
    sign = 1 if HIGHER_IS_BETTER[selection["metric"]] else -1
    candidates = [n for n in selection["scores"] if n != "baseline"]
    chosen = max(candidates, key=lambda n: sign * selection["scores"][n]["mean"])
    selection["chosen"] = chosen
    model = build_model(model_cfg["model"], features, problem_type, chosen).fit(X, y)
    baseline = build_baseline(model_cfg["baseline"]["strategy"], classification).fit(X, y)
    manifest = json.loads((paths.raw / "dataset.json").read_text())
    now = time.gmtime()
    data_sha = manifest.get("data_sha256", manifest["sha256"])
    metadata = {
        "model_version": time.strftime("%Y%m%dT%H%M%SZ", now) + "-" + data_sha[:8],
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
        "problem_type": problem_type,
        "target": target,
        "positive_label": project["data"].get("positive_label"),
        "positive_name": project["data"].get("positive_name"),
        "features": list(features),
        "data_sha256": data_sha,
        "git_commit": git_commit(paths),
        "estimator": chosen,
        "params": model_cfg["model"].get("params", {}).get(chosen, {}),
        "baseline_strategy": model_cfg["baseline"]["strategy"],
        "train_rows": len(frame),
        "selection": selection,
    }
    artifact = Artifact(model, baseline, metadata)
    metrics = validation_metrics(artifact, valid)
    method = model_cfg["model"].get("calibration", "")
    if classification and method:
        by_time = bool(project["data"].get("time_column"))
        seed = project["project"]["random_seed"]
        calibrated = CalibratedClassifierCV(
            build_model(model_cfg["model"], features, problem_type, chosen),
            method=method,
            cv=folds(model_cfg["model"], True, by_time, seed),
        ).fit(X, y)
        candidate = Artifact(calibrated, baseline, metadata)
        calibrated_metrics = validation_metrics(candidate, valid)
        # Kept only where it helps: a lower Brier score on rows neither model was fitted on.
        keep = calibrated_metrics["brier"] < metrics["brier"]
        metadata["calibration"] = {
            "method": method,
            "kept": bool(keep),
            "valid_brier_before": metrics["brier"],
            "valid_brier_after": calibrated_metrics["brier"],
        }
        if keep:
            artifact, metrics = candidate, calibrated_metrics
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

"""MLflow experiment tracking and model registry (added by the mlscaffold-mlflow plugin).

By default the store is local, inside the project (models/mlflow/: a SQLite database and
an artifact folder, ignored by git); set MLFLOW_TRACKING_URI, or `tracking_uri` in
configs/mlflow.toml, to use the team's MLflow server instead.
"""

from __future__ import annotations

import os
from typing import Any

import joblib
import mlflow
from mlflow import MlflowClient
from mlflow.models import infer_signature

from ...config import Paths
from ...data import load_split

STORE = "mlflow"


def configure(paths: Paths) -> tuple[dict[str, Any], str]:
    """Point MLflow at the configured store; returns the config and the experiment id."""
    cfg = paths.config("mlflow")["mlflow"]
    store = paths.models / STORE
    local = f"sqlite:///{store / 'mlflow.db'}"
    uri = os.environ.get("MLFLOW_TRACKING_URI") or cfg.get("tracking_uri") or local
    if uri == local:
        store.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name(cfg["experiment"])
    if experiment is not None:
        return cfg, experiment.experiment_id
    location = (store / "artifacts").as_uri() if uri == local else None
    return cfg, mlflow.create_experiment(cfg["experiment"], artifact_location=location)


def record(paths: Paths, event: str, payload: dict[str, Any], metadata: dict[str, Any]):
    cfg, experiment_id = configure(paths)
    if event == "train":
        model = joblib.load(payload["model_file"])["model"]
        with mlflow.start_run(experiment_id=experiment_id, run_name=metadata["model_version"]):
            mlflow.log_params(payload["params"])
            mlflow.log_metrics(payload["metrics"])
            mlflow.set_tags(
                {
                    "model_version": metadata["model_version"],
                    "data_sha256": payload["data_sha256"],
                    "git_commit": payload["git_commit"] or "unknown",
                }
            )
            # An explicit signature documents the model's input and output for consumers.
            features = load_split(paths, "train")[metadata["features"]].head(50)
            signature = infer_signature(features, model.predict(features))
            logged = mlflow.sklearn.log_model(model, name="model", signature=signature)
            return {"run_id": mlflow.active_run().info.run_id, "model_uri": logged.model_uri}
    run = metadata.get("tracking", {}).get("mlflow_tracker")
    if run is None:  # trained before the plugin was added: nothing to attach to
        return None
    client = MlflowClient()
    if event == "evaluate":
        for name, value in payload["metrics"].items():
            client.log_metric(run["run_id"], name, value)
    elif event == "promote":
        version = mlflow.register_model(run["model_uri"], cfg["registered_model"])
        client.set_registered_model_alias(cfg["registered_model"], cfg["alias"], version.version)
        return version.version
    return None


def promoted_model(paths: Paths):
    """The model the registry's alias points at, loaded through MLflow."""
    cfg, _ = configure(paths)
    return mlflow.sklearn.load_model(f"models:/{cfg['registered_model']}@{cfg['alias']}")

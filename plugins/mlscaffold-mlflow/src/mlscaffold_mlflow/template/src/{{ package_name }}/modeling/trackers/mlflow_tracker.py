"""MLflow experiment tracking and model registry (added by the mlscaffold-mlflow plugin).

By default the store is local, inside the project (models/mlflow/: a SQLite database and
an artifact folder, ignored by git); set MLFLOW_TRACKING_URI, or `tracking_uri` in
configs/mlflow.toml, to use the team's MLflow server instead.

The registry is the truth of what is deployed: `promote` registers the model and points
the alias at it, with its promotion record (threshold, schema) attached, and the service,
batch scoring and the business report load the version the alias names (``deployment``).
"""

from __future__ import annotations

import json
import os
from typing import Any

import joblib
import mlflow
import skops.io
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from ...config import Paths
from ...data import load_split
from ...errors import ProjectError
from ...serving.deployment import RECORD, Deployment
from ..artifacts import Artifact

STORE = "mlflow"
# Read once, before anything here runs: mlflow.set_tracking_uri writes this variable too, and
# a later read would take one project's store for the team's server.
SERVER_ENV = os.environ.get("MLFLOW_TRACKING_URI")
# Loading the deployed model prints a download bar per artifact, even from the local store,
# into every pipeline step's output; a setting of the user's own wins.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
# Where each registered version's promotion record is kept, in its run's artifacts.
PROMOTION = f"promotion/{RECORD}"


def configure(paths: Paths) -> tuple[dict[str, Any], str]:
    """Point MLflow at the configured store; returns the config and the experiment id."""
    cfg = paths.config("mlflow")["mlflow"]
    store = paths.models / STORE
    local = f"sqlite:///{store / 'mlflow.db'}"
    uri = SERVER_ENV or cfg.get("tracking_uri") or local
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
            # MLflow stores the model with skops, which loads only the types it is told to
            # trust: those of the model this project has just trained (its preprocessing and
            # estimators), found by skops itself.
            trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
            logged = mlflow.sklearn.log_model(
                model, name="model", signature=signature, skops_trusted_types=trusted
            )
            return {"run_id": mlflow.active_run().info.run_id, "model_uri": logged.model_uri}
    run = metadata.get("tracking", {}).get("mlflow_tracker")
    if run is None:  # trained before the plugin was added: nothing to attach to
        return None
    client = MlflowClient()
    if event == "evaluate":
        for name, value in payload["metrics"].items():
            client.log_metric(run["run_id"], name, value)
    elif event == "promote":
        record = json.loads((paths.models / RECORD).read_text())
        client.log_dict(run["run_id"], record, PROMOTION)
        version = mlflow.register_model(run["model_uri"], cfg["registered_model"])
        for key in ("model_version", "threshold", "promoted_at"):
            client.set_model_version_tag(
                cfg["registered_model"], version.version, key, str(record[key])
            )
        client.set_registered_model_alias(cfg["registered_model"], cfg["alias"], version.version)
        return version.version
    return None


def deployment(paths: Paths) -> Deployment | None:
    """The version the alias names, with its promotion record: what is deployed.

    None when there is no registry to ask: no server configured and no local store (a
    container image, which carries models/promoted.json and the model it names).
    """
    cfg = paths.config("mlflow")["mlflow"]
    server = SERVER_ENV or cfg.get("tracking_uri")
    if not server and not (paths.models / STORE / "mlflow.db").is_file():
        return None
    configure(paths)
    name, alias = cfg["registered_model"], cfg["alias"]
    try:
        version = MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException:
        raise ProjectError(
            f"no version of {name!r} has the alias {alias!r} in the MLflow registry at "
            f"{mlflow.get_tracking_uri()}: run `make promote`"
        ) from None
    record = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/{PROMOTION}")
    model = mlflow.sklearn.load_model(f"models:/{name}@{alias}")
    return Deployment(record, Artifact(model, None, record["metadata"]))

"""mlscaffold plugin mlflow: experiment tracking and a model registry with MLflow.

Adds a tracker to the project's modeling stage (every training run logged with its
parameters, metrics, data hash and model), registers promoted models under an alias,
and the checklist items that go with them.
"""

from __future__ import annotations

from pathlib import Path

from mlscaffold import hookimpl

TEMPLATE = Path(__file__).parent / "template"
SOURCE_TRACKING = ["DMLS ch. 6", "cookiecutter-data-science: keep your modeling organized"]


@hookimpl
def mlscaffold_templates(answers):
    return [TEMPLATE]


@hookimpl
def mlscaffold_checklist_items(stage):
    items = {
        "modeling": [{
            "id": "mlflow.modeling.runs-tracked",
            "stage": "modeling",
            "title": "Every training run is in MLflow with its parameters, metrics, data and model",
            "why": "Runs that are not tracked cannot be compared, reproduced or audited.",
            "source": [*SOURCE_TRACKING, "ML Test Score Infra 2"],
            "required": True,
            "verify": {"kind": "file_exists", "path": "models/mlflow/mlflow.db"},
        }],
        "deployment": [{
            "id": "mlflow.deployment.registered",
            "stage": "deployment",
            "title": "The promoted model is a registered MLflow version under the serving alias",
            "why": "A registry tells which exact model serves, and rolls back to the previous one.",
            "source": ["Microsoft MLOps level 2-3", "Google MLOps level 1: model registry"],
            "required": True,
        }],
        "monitoring": [{
            "id": "mlflow.monitoring.compare-runs",
            "stage": "monitoring",
            "title": "Retrained models are compared with the serving one in MLflow first",
            "why": "A retrained model is not better by default; the comparison must be recorded.",
            "source": ["DMLS ch. 9", "Rules of ML #9"],
        }],
    }  # fmt: skip
    return items.get(stage, [])


@hookimpl
def mlscaffold_pyproject(pyproject):
    pyproject["project"]["dependencies"].append("mlflow>=3,<4")
    # The project's tests treat warnings as errors. Two come from inside MLflow itself and
    # say nothing about the project: a SQLAlchemy option its SQL store uses, and a type-hint
    # notice MLflow prints while importing its own chat-agent types. Only those pass.
    pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"].extend([
        "ignore::DeprecationWarning:mlflow.store.tracking.sqlalchemy_store",
        "ignore:.*Any type hint is inferred as AnyType:UserWarning",
    ])  # fmt: skip

"""mlscaffold plugin dagster: the pipeline as Dagster jobs, with retries, schedules and
retraining triggered by the drift check."""

from __future__ import annotations

from pathlib import Path

from mlscaffold import hookimpl

TEMPLATE = Path(__file__).parent / "template"


@hookimpl
def mlscaffold_templates(answers):
    return [TEMPLATE]


@hookimpl
def mlscaffold_checklist_items(stage, answers):
    package = answers["package_name"]
    items = {
        "deployment": [
            {
                "id": "dagster.deployment.pipeline-rerunnable",
                "stage": "deployment",
                "title": "The training job runs end to end under Dagster, and a second run "
                "rebuilds the same artifacts",
                "why": "A pipeline that needs a person to re-run a step by hand cannot retrain "
                "on its own.",
                "source": ["Google MLOps level 1: automated pipeline",
                           "DMLS ch. 9: stage 2, automated retraining"],
                "required": True,
                "verify": {"kind": "command", "timeout": 600,
                           "run": f"python -m {package}.orchestration training"},
            },
            {
                "id": "dagster.deployment.retries-set",
                "stage": "deployment",
                "title": "Steps retry passing failures with a delay set for where the pipeline "
                "runs",
                "why": "A lost mount at 3 a.m. should cost a retry, not a stale model.",
                "source": ["ML Test Score Infra 4: pipeline integration-tested",
                           "Dagster docs: op retries"],
                "required": False,
                "verify": {"kind": "file_contains", "path": "configs/orchestration.toml",
                           "pattern": r"^max_retries = [1-9]"},
            },
        ],
        "monitoring": [
            {
                "id": "dagster.monitoring.retraining-trigger",
                "stage": "monitoring",
                "title": "The drift check runs on a schedule and its decision triggers "
                "retraining (schedule switched on where the pipeline is deployed)",
                "why": "Drift that nobody acts on is only a report; the trigger closes the loop.",
                "source": ["DMLS ch. 9: when to retrain (drift-based trigger)",
                           "Google MLOps level 1: continuous training"],
                "required": True,
                "verify": {"kind": "file_contains", "path": "configs/orchestration.toml",
                           "pattern": r"\[schedules\.drift_check\][^\[]*^enabled = true"},
            },
        ],
    }  # fmt: skip
    return items.get(stage, [])


@hookimpl
def mlscaffold_pyproject(pyproject):
    pyproject["project"]["dependencies"].append("dagster>=1.9,<2")
    # `dagster dev` (the local UI) needs the webserver; deployments run without it.
    pyproject["project"]["optional-dependencies"]["dev"].append("dagster-webserver>=1.9,<2")

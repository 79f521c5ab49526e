"""mlscaffold plugin dask: batch prediction and hyperparameter search on a Dask cluster.

The project gets a `compute` package (`python -m <package>.compute batch|search`) that runs
on a LocalCluster on one machine, or on a real cluster when configs/compute.toml or
DASK_SCHEDULER_ADDRESS names a scheduler, with its test, deployment notes and checklist items.
"""

from __future__ import annotations

from pathlib import Path

from mlscaffold import hookimpl

TEMPLATE = Path(__file__).parent / "template"
SOURCE_DASK = "Dask docs: distributed, worker memory management"


@hookimpl
def mlscaffold_templates(answers):
    return [TEMPLATE]


@hookimpl
def mlscaffold_checklist_items(stage):
    items = {
        "deployment": [{
            "id": "dask.deployment.resources-set",
            "stage": "deployment",
            "title": "Worker count and memory limit per worker are set in configs/compute.toml "
                     "and match the cluster's `dask worker` flags",
            "why": "A worker without a memory limit takes down its machine; one with too little "
                   "spills to disk or is restarted mid-job.",
            "source": ["DMLS ch. 10", SOURCE_DASK],
            "required": True,
            "verify": {"kind": "file_contains", "path": "configs/compute.toml",
                       "pattern": r'(?s)^n_workers = [1-9].*^memory_limit = "[0-9.]+ ?[KMGT]i?B"'},
        }, {
            "id": "dask.deployment.batch-matches-single-process",
            "stage": "deployment",
            "title": "Distributed batch prediction gives the single-process predictions, "
                     "row for row",
            "why": "Scores that change with the runtime are training/serving skew by another "
                   "name.",
            "source": ["Rules of ML #32, #37", "ML Test Score Monitor 3"],
            "required": True,
            "verify": {"kind": "command", "run": "python -m pytest -q tests/test_dask_compute.py",
                       "timeout": 600},
        }],
        "monitoring": [{
            "id": "dask.monitoring.cluster-watched",
            "stage": "monitoring",
            "title": "The Dask dashboard or its metrics are watched during jobs: worker memory, "
                     "spilling, restarts and task errors",
            "why": "Batch jobs fail slowly: a worker that spills or restarts makes them late "
                   "before it makes them fail.",
            "source": ["DMLS ch. 8", "Dask docs: diagnosing performance"],
        }],
    }  # fmt: skip
    return items.get(stage, [])


@hookimpl
def mlscaffold_pyproject(pyproject):
    # A runtime dependency: the project's own code runs the workloads, on every worker.
    pyproject["project"]["dependencies"].append("dask[dataframe,distributed]>=2024.8,<2027")

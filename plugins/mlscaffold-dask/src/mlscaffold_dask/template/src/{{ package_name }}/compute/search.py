"""Hyperparameter search on Dask: scikit-learn's GridSearchCV over the project's own
pipeline, its fits spread over the workers through joblib's Dask backend.

The search does not change configs/model.toml: it reports the best value, and a person
puts it there, so that every trained model still comes from a reviewed configuration.
"""

from __future__ import annotations

import json
from typing import Any

import joblib
from distributed import Client
from sklearn.model_selection import GridSearchCV

from ..config import Paths
from ..data import load_split
from ..errors import ProjectError
from ..modeling.train import build_model, candidate_names

REPORT_FILE = "search.json"


def search(paths: Paths, client: Client) -> dict[str, Any]:
    """Run the grid of configs/compute.toml on the training split; writes reports/search.json."""
    cfg = paths.config("compute")["search"]
    model_cfg = paths.config("model")["model"]
    target = paths.config("project")["data"]["target"]
    # The search tunes the first candidate of [model] (the linear model by default).
    name = candidate_names(model_cfg)[0]
    pipeline = build_model(model_cfg, name=name)
    # The grid names the estimator's own parameters, as [model.params] does; the pipeline
    # needs them prefixed with the name of its last step.
    step, estimator = pipeline.steps[-1]
    unknown = sorted(set(cfg["grid"]) - set(estimator.get_params()))
    if unknown:
        raise ProjectError(
            f"[search] grid in configs/compute.toml names {unknown}, which {name} does not take"
        )
    grid = {f"{step}__{name}": values for name, values in cfg["grid"].items()}
    frame = load_split(paths, "train")
    features, truth = frame.drop(columns=[target]), frame[target]
    finder = GridSearchCV(pipeline, grid, cv=cfg["cv"], scoring=cfg["scoring"], n_jobs=-1)
    with joblib.parallel_config(backend="dask", client=client):
        finder.fit(features, truth)
    results = finder.cv_results_
    report = {
        "estimator": name,
        "scoring": cfg["scoring"],
        "cv": cfg["cv"],
        "train_rows": len(frame),
        "best_params": _plain(finder.best_params_, step),
        "best_score": float(finder.best_score_),
        "candidates": [
            {
                "params": _plain(params, step),
                "mean_score": float(mean),
                "std_score": float(std),
                "rank": int(rank),
            }
            for params, mean, std, rank in zip(
                results["params"],
                results["mean_test_score"],
                results["std_test_score"],
                results["rank_test_score"],
                strict=True,
            )
        ],
    }
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return report


def _plain(params: dict[str, Any], step: str) -> dict[str, Any]:
    return {name.removeprefix(f"{step}__"): value for name, value in params.items()}

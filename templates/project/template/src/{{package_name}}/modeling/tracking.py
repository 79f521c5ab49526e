"""Experiment tracking: a local log of every run, plus the trackers in ``trackers/``."""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from typing import Any

from ..config import Paths
from . import trackers

EXPERIMENT_LOG = "experiments.jsonl"


def record(paths: Paths, event: str, payload: dict[str, Any], metadata: dict[str, Any]):
    """Log one event of a run everywhere it is tracked; returns what trackers return."""
    paths.logs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entry = {"ts": stamp, "event": event, "model_version": metadata["model_version"], **payload}
    with (paths.logs / EXPERIMENT_LOG).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    results = {}
    for module in pkgutil.iter_modules(trackers.__path__):
        tracker = importlib.import_module(f"{trackers.__name__}.{module.name}")
        result = tracker.record(paths, event, payload, metadata)
        if result is not None:
            results[module.name] = result
    return results

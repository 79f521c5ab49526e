"""Batch prediction on Dask: the partitions of a CSV input are validated and scored on the
workers with the promoted model's own `predict`, so the result matches single-process scoring.

On a real cluster the workers read the input and write the output: both paths must be on
storage they share with this machine.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client

from ..config import Paths
from ..data.schema import raise_problems, validate
from ..errors import ProjectError
from ..serving.deployment import Deployment, load_deployment
from .cluster import settings


def input_files(source: Path) -> list[str]:
    """The CSV files behind ``source``: one file, every CSV in a folder, or a glob."""
    pattern = str(source / "*.csv") if source.is_dir() else str(source)
    files = sorted(glob.glob(pattern))
    if not files:
        raise ProjectError(f"no CSV file matches {pattern}")
    return files


def check(part: pd.DataFrame, schema: dict[str, Any], number: int) -> tuple[int, list[str]]:
    """One partition's row count and every way it breaks the schema."""
    features = part.drop(columns=[schema["target"]["name"]], errors="ignore")
    found = validate(features, schema, require_target=False)
    return len(part), [f"partition {number}: {problem}" for problem in found]


def score(part: pd.DataFrame, deployment: Deployment) -> pd.DataFrame:
    """One partition's rows followed by their prediction (and probability)."""
    features = part.drop(columns=[deployment.target], errors="ignore")
    scored = pd.DataFrame(deployment.predict(features), index=part.index)
    return pd.concat([part, scored], axis=1)


def predict_distributed(paths: Paths, client: Client, source: Path, destination: Path) -> int:
    """Score ``source`` into one CSV file; returns the rows scored. Refuses input that breaks
    the schema before anything is written."""
    model = load_deployment(paths)
    files = input_files(source)
    frame = dd.read_csv(files)
    if len(files) == 1:
        frame = frame.repartition(npartitions=settings(paths)["partitions"])
    schema = model.schema
    # Validation reads the input once and scoring once more, rather than holding all of it
    # in the workers' memory: input larger than the cluster's memory still goes through.
    checks = [dask.delayed(check)(part, schema, n) for n, part in enumerate(frame.to_delayed())]
    results = client.compute(checks, sync=True)
    raise_problems([problem for _, found in results for problem in found], str(source))
    # Sent to every worker once, rather than copied into each partition's task.
    artifact = client.scatter(model, broadcast=True)
    # Dask needs the output's columns and types up front: score the first rows here, with
    # the model itself (the scattered one is only a reference on this side).
    meta = score(frame.head(2, npartitions=1), model).iloc[:0]
    scored = frame.map_partitions(score, artifact, meta=meta)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # One file, written partition after partition in order, like the single-process output.
    scored.to_csv(
        str(destination), single_file=True, index=False, compute_kwargs={"scheduler": client}
    )
    return sum(rows for rows, _ in results)

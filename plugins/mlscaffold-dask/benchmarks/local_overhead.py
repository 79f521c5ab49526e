"""Local-mode overhead: the Dask workloads on a LocalCluster against the same work in one
process. Run it inside a project generated with the plugin, after `make all`:

    python /path/to/plugins/mlscaffold-dask/benchmarks/local_overhead.py PACKAGE

Prints a Markdown table of medians, in seconds, for the plugin's README.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.model_selection import GridSearchCV

RUNS = 5
SCALE = 1000  # the large batch input: the test split repeated this many times


def median_seconds(work, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(package: str, work: Path) -> None:
    config = importlib.import_module(f"{package}.config")
    batch = importlib.import_module(f"{package}.compute.batch")
    cluster = importlib.import_module(f"{package}.compute.cluster")
    search = importlib.import_module(f"{package}.compute.search")
    data = importlib.import_module(f"{package}.data")
    schema_module = importlib.import_module(f"{package}.data.schema")
    artifacts = importlib.import_module(f"{package}.modeling.artifacts")
    predict = importlib.import_module(f"{package}.serving.predict").predict
    train = importlib.import_module(f"{package}.modeling.train")
    paths = config.project_paths()
    small, large = work / "small.csv", work / "large.csv"
    test = data.load_split(paths, "test")
    test.to_csv(small, index=False)
    pd.concat([test] * SCALE, ignore_index=True).to_csv(large, index=False)

    def single_batch(source: Path) -> None:
        # What `python -m PACKAGE predict-batch` does: read, validate, predict, write.
        artifact = artifacts.load(paths)
        frame = pd.read_csv(source)
        features = frame.drop(columns=[artifact.metadata["target"]])
        problems = schema_module.validate(features, data.load_schema(paths), False)
        schema_module.raise_problems(problems, str(source))
        scored = pd.concat([frame, pd.DataFrame(predict(artifact, features))], axis=1)
        scored.to_csv(work / "single.csv", index=False)

    def single_search() -> None:
        cfg = paths.config("compute")["search"]
        pipeline = train.build_model(paths.config("model")["model"])
        step = pipeline.steps[-1][0]
        grid = {f"{step}__{name}": values for name, values in cfg["grid"].items()}
        target = paths.config("project")["data"]["target"]
        frame = data.load_split(paths, "train")
        finder = GridSearchCV(pipeline, grid, cv=cfg["cv"], scoring=cfg["scoring"], n_jobs=1)
        finder.fit(frame.drop(columns=[target]), frame[target])

    def start_and_stop() -> None:
        with cluster.connect(paths):
            pass

    rows = [("LocalCluster start and stop (2 workers)", None, median_seconds(start_and_stop, 3))]
    with cluster.connect(paths) as client:
        for source, count in [(small, len(test)), (large, len(test) * SCALE)]:
            single = median_seconds(lambda s=source: single_batch(s))
            spread = median_seconds(
                lambda s=source: batch.predict_distributed(paths, client, s, work / "dask.csv")
            )
            rows.append((f"batch prediction, {count} rows", single, spread))
        single = median_seconds(single_search)
        spread = median_seconds(lambda: search.search(paths, client))
        train_rows = len(data.load_split(paths, "train"))
        rows.append((f"grid search, 5 candidates x 3 folds, {train_rows} rows", single, spread))
    print("| work | one process (s) | LocalCluster (s) |")
    print("|---|---|---|")
    for label, single, spread in rows:
        print(f"| {label} | {'-' if single is None else f'{single:.2f}'} | {spread:.2f} |")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        main(sys.argv[1], Path(folder))

"""Workloads on Dask: `batch INPUT OUTPUT` scores CSV data, `search` tunes the model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import project_paths
from ..errors import ProjectError
from .cluster import connect


def _batch(paths, args) -> None:
    from .batch import input_files, predict_distributed

    input_files(args.input)  # a wrong path fails here, before a cluster starts
    with connect(paths) as client:
        count = predict_distributed(paths, client, args.input, args.output)
        workers = len(client.scheduler_info()["workers"])
    print(f"Scored {count} rows on {workers} workers into {args.output}")


def _search(paths, args) -> None:
    from .search import REPORT_FILE, search

    with connect(paths) as client:
        report = search(paths, client)
    for candidate in sorted(report["candidates"], key=lambda c: c["rank"]):
        print(
            f"{candidate['params']}: {report['scoring']} {candidate['mean_score']:.4f} "
            f"± {candidate['std_score']:.4f}"
        )
    best = ", ".join(f"{name} = {value!r}" for name, value in report["best_params"].items())
    print(f"Best: {best}. Report in reports/{REPORT_FILE}")
    print(f"To train with it, set {best} under [model.params] in configs/model.toml")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__)
    main_parser.add_argument("--root", type=Path, help="project folder (default: the current one)")
    commands = main_parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="score a CSV file, folder or glob into one CSV")
    batch.add_argument("input", type=Path, help="a CSV file, a folder of CSV files, or a glob")
    batch.add_argument("output", type=Path, help="the CSV file to write")
    batch.set_defaults(handler=_batch)
    search = commands.add_parser("search", help="grid search of configs/compute.toml")
    search.set_defaults(handler=_search)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.handler(project_paths(args.root), args)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


# The guard matters here: worker processes are spawned and import this module again.
if __name__ == "__main__":
    sys.exit(main())

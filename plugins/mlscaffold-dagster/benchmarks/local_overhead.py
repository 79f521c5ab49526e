"""What Dagster's local mode costs: the training pipeline run three ways, interleaved.

    cd a-project-made-with-the-plugin && python path/to/local_overhead.py PACKAGE [RUNS]

1. `make`'s way: `python -m PACKAGE data`, `train`, `evaluate`, `promote`, one process each;
2. the same four functions in one Python process (no orchestrator at all);
3. `python -m PACKAGE.orchestration training`: Dagster's in-process executor, ephemeral instance.

Prints the median, min and max of RUNS runs (default 5) after one warm-up round.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def main() -> None:
    package = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    one_process = (
        f"from {package}.config import project_paths\n"
        f"from {package}.data import run\n"
        f"from {package}.modeling.train import train\n"
        f"from {package}.modeling.evaluate import evaluate\n"
        f"from {package}.serving.promote import promote\n"
        "paths = project_paths()\n"
        "run(paths); train(paths); evaluate(paths); promote(paths)\n"
    )
    steps = ("data", "train", "evaluate", "promote")
    ways = {
        "four processes (make)": [[sys.executable, "-m", package, step] for step in steps],
        "one process, no orchestrator": [[sys.executable, "-c", one_process]],
        "Dagster, in-process executor": [
            [sys.executable, "-m", f"{package}.orchestration", "training"]
        ],
    }
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for round_ in range(runs + 1):
        for name, commands in ways.items():
            start = time.perf_counter()
            for command in commands:
                subprocess.run(command, check=True, capture_output=True)
            if round_:  # the first round warms caches
                samples[name].append(time.perf_counter() - start)
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f}-{max(values):.2f} |")


if __name__ == "__main__":
    main()

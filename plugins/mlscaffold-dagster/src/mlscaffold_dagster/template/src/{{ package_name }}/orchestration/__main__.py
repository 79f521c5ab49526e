"""Run a Dagster job in this process, as `dagster job execute` would, with the project's
one-line errors: `python -m <package>.orchestration training`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dagster import DagsterInstance, RunConfig

from ..config import project_paths
from ..errors import ProjectError
from .pipeline import DriftCheck, Project, build

JOBS = {"training": "training", "continual-learning": "continual_learning"}


def instance() -> DagsterInstance:
    # With DAGSTER_HOME set, runs land in the same history `dagster dev` shows; without it,
    # nothing is written outside the project.
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def run(name: str, root: Path | None, current: Path | None, simulate_shift: bool) -> int:
    paths = project_paths(root)
    definitions = build(paths)
    ops = {}
    if name == "continual-learning":
        check = DriftCheck(current=str(current or ""), simulate_shift=simulate_shift)
        ops["check_drift"] = check
    result = definitions.resolve_job_def(JOBS[name]).execute_in_process(
        # Step events stay in the run's history; the terminal shows what the steps say.
        run_config=RunConfig(ops=ops, loggers={"console": {"config": {"log_level": "INFO"}}}),
        resources={"project": Project(root=str(paths.root))},
        instance=instance(),
        raise_on_error=False,
    )
    steps = [event.step_key for event in result.all_events if event.is_step_success]
    print(f"{name}: {' -> '.join(steps) or 'no step'} ran")
    if result.success:
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.user_failure_data
            detail = error.description if error else event.step_failure_data.error.message
            print(f"error: step {event.step_key} failed: {detail.strip()}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__)
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--root", type=Path, help="project folder (default: the current one)")
    parser.add_argument("--current", type=Path, help="current data for the drift check")
    parser.add_argument(
        "--simulate-shift", action="store_true", help="shift one feature to see retraining run"
    )
    args = parser.parse_args(argv)
    try:
        return run(args.job, args.root, args.current, args.simulate_shift)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

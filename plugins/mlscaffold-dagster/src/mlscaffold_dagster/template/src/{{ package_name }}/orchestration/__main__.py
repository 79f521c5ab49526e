"""Run a Dagster job in this process, as `dagster job execute` would, with the project's
one-line errors: `python -m <package>.orchestration training`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, RunConfig

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
    runs = instance()
    result = definitions.resolve_job_def(JOBS[name]).execute_in_process(
        # Dagster's console log would print a traceback for a failing step; what the steps
        # said is read back from the run's log below instead, one line each.
        run_config=RunConfig(ops=ops, loggers={"console": {"config": {"log_level": "CRITICAL"}}}),
        resources={"project": Project(root=str(paths.root))},
        instance=runs,
        raise_on_error=False,
    )
    failures = []
    for entry in runs.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None:  # what the steps and the engine said
            print(f"{entry.step_key}: {entry.user_message}")
        elif event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            print(f"{event.step_key}: failed, retrying")
        elif event.is_step_failure:
            error = event.step_failure_data.user_failure_data
            detail = error.description if error else event.step_failure_data.error.message
            failures.append(f"error: step {event.step_key} failed: {detail.strip()}")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{name}: {'done' if result.success else 'failed'} (Dagster run {result.run_id[:8]})")
    return 0 if result.success else 1


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

"""The pipeline as Dagster jobs: training (data -> train -> evaluate -> promote) and continual
learning (drift check -> retraining only when the check says so), with retries and schedules.

Each op calls the same function as the project's command line, so a step behaves the same
under Dagster, `make` and the tests. Settings live in configs/orchestration.toml.
"""

# No `from __future__ import annotations`: Dagster reads the ops' type hints at runtime.
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    Backoff,
    Config,
    ConfigurableResource,
    DefaultScheduleStatus,
    Definitions,
    Failure,
    In,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    RetryPolicy,
    ScheduleDefinition,
    graph,
    job,
    op,
)

from ..config import Paths, project_paths
from ..errors import ProjectError


class Project(ConfigurableResource):
    """The project folder the ops work in (empty: $PROJECT_ROOT, else the current folder)."""

    root: str = ""

    def paths(self) -> Paths:
        return project_paths(self.root or None)


@contextmanager
def step(name: str):
    """A project error (bad config, a model that fails the gate) fails the run at once:
    retrying cannot fix it. Anything else (a full disk, a lost mount) is retried."""
    try:
        yield
    except ProjectError as error:
        raise Failure(description=f"{name}: {error}", allow_retries=False) from None


@op(ins={"start": In(Nothing)})
def prepare_data(context: OpExecutionContext, project: Project) -> None:
    from ..data import run

    with step("data"):
        summary = run(project.paths())
        context.log.info(f"{summary['train_rows']} train rows, raw sha256 {summary['sha256'][:12]}")


@op(ins={"data_ready": In(Nothing)})
def train_model(context: OpExecutionContext, project: Project) -> None:
    from ..modeling.train import train

    with step("train"):
        metadata = train(project.paths())
        context.log.info(f"trained {metadata['estimator']} as model {metadata['model_version']}")


@op(ins={"model_ready": In(Nothing)})
def evaluate_model(context: OpExecutionContext, project: Project) -> None:
    from ..modeling.evaluate import evaluate

    with step("evaluate"):
        report = evaluate(project.paths())
    metrics = ", ".join(f"{name} {value:.4f}" for name, value in sorted(report["model"].items()))
    context.log.info(f"model {metrics}")


@op(ins={"evaluated": In(Nothing)})
def promote_model(context: OpExecutionContext, project: Project) -> dict[str, Any]:
    from ..serving.promote import promote

    with step("promote"):
        decision = promote(project.paths())
    context.log.info(f"promoted model {decision['model_version']}")
    return decision


class DriftCheck(Config):
    """Run config of `check_drift`: where current data comes from."""

    current: str = ""  # a CSV file or logs/predictions.jsonl; empty: the test split
    simulate_shift: bool = False


@op(out={"retrain": Out(Nothing, is_required=False), "keep": Out(Nothing, is_required=False)})
def check_drift(context: OpExecutionContext, config: DriftCheck, project: Project):
    """Stage 5's decision: only the output it yields runs what follows it."""
    from ..monitoring.drift import run

    with step("drift"):
        current = Path(config.current) if config.current else None
        report = run(project.paths(), current, config.simulate_shift)
    drifting = ", ".join(report["drifting"]) or "none"
    context.log.info(f"drifting features: {drifting}; decision: {report['decision']}")
    yield Output(None, "retrain" if report["decision"] == "retrain" else "keep")


@graph(ins={"start": In(Nothing)})
def retrain(start) -> None:
    promote_model(evaluate_model(train_model(prepare_data(start))))


def settings(paths: Paths) -> dict[str, Any]:
    return paths.config("orchestration")


def build(paths: Paths) -> Definitions:
    """Jobs, schedules and resources, from the project's configs/orchestration.toml."""
    cfg = settings(paths)
    retries = cfg["retries"]
    policy = RetryPolicy(
        max_retries=retries["max_retries"],
        delay=retries["delay_seconds"],
        backoff=Backoff.EXPONENTIAL,
    )

    @job(op_retry_policy=policy, description="data -> train -> evaluate -> promote")
    def training() -> None:
        retrain()

    @job(op_retry_policy=policy, description="drift check, then retraining only on drift")
    def continual_learning() -> None:
        retrain(check_drift().retrain)

    def schedule(name: str, target, section: dict[str, Any]) -> ScheduleDefinition:
        status = DefaultScheduleStatus["RUNNING" if section["enabled"] else "STOPPED"]
        return ScheduleDefinition(
            name=name,
            job=target,
            cron_schedule=section["cron"],
            execution_timezone=cfg["schedules"]["timezone"],
            default_status=status,
        )

    return Definitions(
        jobs=[training, continual_learning],
        schedules=[
            schedule("drift_check", continual_learning, cfg["schedules"]["drift_check"]),
            schedule("retraining", training, cfg["schedules"]["retraining"]),
        ],
        resources={"project": Project()},
    )

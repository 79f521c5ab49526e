"""The six iterative stages of an ML system (Huyen, *Designing ML Systems*, ch. 1-2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    id: str
    number: int
    title: str

    @property
    def folder(self) -> str:
        """Where the stage lives in a generated project, e.g. ``stages/01-scoping``."""
        return f"stages/{self.number:02d}-{self.id}"


STAGES: tuple[Stage, ...] = (
    Stage("scoping", 1, "Project scoping"),
    Stage("data", 2, "Data engineering"),
    Stage("modeling", 3, "Model development"),
    Stage("deployment", 4, "Deployment"),
    Stage("monitoring", 5, "Monitoring and continual learning"),
    Stage("business-analysis", 6, "Business analysis"),
)

STAGE_IDS: tuple[str, ...] = tuple(stage.id for stage in STAGES)


def stage(stage_id: str) -> Stage:
    for candidate in STAGES:
        if candidate.id == stage_id:
            return candidate
    raise KeyError(stage_id)

"""Predictions by group over time (mlscaffold-responsible-ai): a model whose outputs move for
one group only can harm that group while every overall metric looks fine.

Compares each group's share of positive predictions (or mean prediction) on current data with
the validation data; needs no labels, so it works on live traffic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Paths, project_paths
from ..data import load_split
from ..modeling.artifacts import load
from ..modeling.fairness import groups
from .drift import read_current


def output_by_group(paths: Paths, frame: pd.DataFrame, spec: dict[str, Any]) -> dict[str, float]:
    artifact = load(paths)
    scores = artifact.scores(frame)
    outputs = (scores >= 0.5).astype(float) if artifact.classification else scores
    keys = groups(frame, spec, load_split(paths, "train"))
    return {str(k): float(v) for k, v in pd.Series(outputs).groupby(keys.to_numpy()).mean().items()}


def check(paths: Paths, current: pd.DataFrame) -> dict[str, Any]:
    cfg = paths.config("fairness")
    reference = load_split(paths, "valid")
    result: dict[str, Any] = {}
    for spec in cfg["group"]:
        before = output_by_group(paths, reference, spec)
        after = output_by_group(paths, current, spec)
        shifts = {g: after[g] - before[g] for g in before if g in after}
        flagged = sorted(g for g, s in shifts.items() if abs(s) > cfg["thresholds"]["max_shift"])
        result[spec["name"]] = {
            "reference": before,
            "current": after,
            "shift": shifts,
            "flagged": flagged,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = project_paths()
    current = read_current(Path(args[0])) if args else load_split(paths, "test")
    result = check(paths, current)
    flagged = {name: r["flagged"] for name, r in result.items() if r["flagged"]}
    for name, r in result.items():
        print(f"{name}: " + ", ".join(f"{g} {s:+.3f}" for g, s in r["shift"].items()))
    if flagged:
        print(f"Outputs moved for: {flagged}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

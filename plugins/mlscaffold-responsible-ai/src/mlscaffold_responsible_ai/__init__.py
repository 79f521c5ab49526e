"""mlscaffold plugin responsible-ai: harms, sensitive attributes, fairness by group and its
monitoring, with the ethics checklist items that go with them (deon, Model Cards,
Datasheets for Datasets, Huyen ch. 11)."""

from __future__ import annotations

from pathlib import Path

from mlscaffold import hookimpl

TEMPLATE = Path(__file__).parent / "template"

ITEMS = [
    ("scoping", "harms", "Who could be harmed by a wrong decision, and how, is written down",
     "Harms are cheapest to prevent before anything is built.",
     ["deon A.1-A.3, E.2", "DMLS ch. 11", "Model Cards §4.2"], True,
     {"kind": "file_exists", "path": "stages/01-scoping/harms.md"}),
    ("data", "sensitive-attributes",
     "Sensitive attributes, their lawful basis and retention are written down",
     "A group cannot be protected if nobody knows the data describes it.",
     ["Datasheets for Datasets §3.2", "deon B.1-B.3"], True, None),
    ("modeling", "fairness-by-group",
     "Model quality is evaluated for every relevant group and the gaps are reviewed",
     "An average can hide a group the model fails.",
     ["ML Test Score Model 7", "Model Cards §4.3, §4.7", "deon D.1-D.2"], True,
     {"kind": "file_exists", "path": "reports/fairness.json"}),
    ("monitoring", "group-metrics", "Predictions are monitored by group, not only overall",
     "Outputs can drift for one group while overall metrics look fine.",
     ["DMLS ch. 8, ch. 11", "deon D.4"], True, None),
    ("business-analysis", "harm-review",
     "Complaints, contested decisions and unintended uses are reviewed after launch",
     "Real use reveals harms that design reviews miss.",
     ["deon E.2, E.4", "DMLS ch. 11"], False, None),
]  # fmt: skip


@hookimpl
def mlscaffold_templates(answers):
    return [TEMPLATE]


@hookimpl
def mlscaffold_checklist_items(stage):
    return [
        {"id": f"responsible-ai.{s}.{slug}", "stage": s, "title": title, "why": why,
         "source": source, "required": required, **({"verify": verify} if verify else {})}
        for s, slug, title, why, source, required, verify in ITEMS
        if s == stage
    ]  # fmt: skip


@hookimpl
def mlscaffold_pyproject(pyproject):
    pyproject["project"]["dependencies"].append("fairlearn>=0.12,<1")

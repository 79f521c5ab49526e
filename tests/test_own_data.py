"""A team's own data: a generated project runs end to end on a mixed-type CSV (numbers, text
categories, missing values, an identifier, a date, text labels) after a change to its
configuration alone, and its own test suite passes on that data.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import random
import re
import sys
from pathlib import Path

import pytest
from conftest import REPO, project_env, run, snapshot

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.slow

SOURCE = "data/external/customers.csv"
# The only edits a team makes: where the data is and what its columns mean.
CONFIG = {
    "source": f'"{SOURCE}"',
    "target": '"churned"',
    "positive_label": '"yes"',
    "positive_name": '"churner"',
    "id_columns": '["customer_id"]',
    "time_column": '"signup_date"',
}
FEATURES = {"tenure_months", "monthly_charges", "support_tickets", "plan", "region"}


def write_customers(path: Path, rows: int = 1200, seed: int = 0) -> None:
    """Churn data as a team has it: churn depends on tenure, charges, tickets and plan; an id
    and a sign-up date come along; some charges, plans and regions are missing."""
    rng = random.Random(seed)
    ids = list(range(rows))
    rng.shuffle(ids)
    start = datetime.date(2022, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["customer_id", "signup_date", *sorted(FEATURES), "churned"])
        for number in range(rows):
            tenure = rng.gammavariate(2.0, 12.0)
            monthly = rng.gauss(60, 20)
            tickets = sum(rng.random() < 0.3 for _ in range(5))
            plan = rng.choices(["basic", "standard", "premium"], [0.5, 0.3, 0.2])[0]
            region = rng.choice(["north", "south", "east", "west"])
            logit = -1 - 0.05 * tenure + 0.02 * (monthly - 60) + 0.6 * tickets
            logit += 0.8 if plan == "basic" else -0.4
            churned = rng.random() < 1 / (1 + math.exp(-logit))
            values = {
                "monthly_charges": "" if rng.random() < 0.08 else round(monthly, 2),
                "plan": "" if rng.random() < 0.05 else plan,
                "region": "" if rng.random() < 0.1 else region,
                "support_tickets": tickets,
                "tenure_months": round(tenure, 1),
            }
            out.writerow(
                [
                    f"CUST-{ids[number]:06d}",
                    (start + datetime.timedelta(days=rng.randrange(900))).isoformat(),
                    *(values[name] for name in sorted(FEATURES)),
                    "yes" if churned else "no",
                ]
            )


def configure(project: Path) -> None:
    config = project / "configs" / "project.toml"
    text = config.read_text()
    for key, value in CONFIG.items():
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert count == 1, f"configs/project.toml has no single `{key} =` line"
    config.write_text(text)


def test_a_mixed_type_csv_runs_end_to_end_after_a_config_change(project_venv, tmp_path):
    env = project_env(project_venv)
    source_env = dict(env, PYTHONPATH=str(REPO / "src"))
    run([sys.executable, "-m", "mlscaffold", "new", "churn", "--defaults"], tmp_path, source_env)
    project = tmp_path / "churn"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    # The project's pin of the generator itself is for `mlscaffold status`; the test runs the
    # pipeline and the project's tests, which need the rest of the dev tools.
    dev = [
        requirement
        for requirement in pyproject["project"]["optional-dependencies"]["dev"]
        if not requirement.startswith(("ml-lifecycle-scaffold", "mlscaffold"))
    ]
    pip = [project_venv / "python", "-m", "pip", "install", "--quiet"]
    run([*pip, "-e", ".", *dev], project, env)

    before = snapshot(project)
    write_customers(project / SOURCE)
    configure(project)
    after = snapshot(project)
    changed = {p for p in before.keys() & after.keys() if before[p] != after[p]}
    added = {p for p in after.keys() - before.keys() if after[p][0] != "dir"}
    assert changed == {"configs/project.toml"}, "only the configuration changes"
    assert added == {SOURCE}

    run(["make", "all"], project, env)
    schema = json.loads((project / "data" / "processed" / "schema.json").read_text())
    assert set(schema["features"]) == FEATURES
    assert {"customer_id", "signup_date"} <= set(schema["ignored"])
    assert schema["features"]["plan"]["dtype"] == "category"
    assert schema["features"]["monthly_charges"]["nullable"]
    assert schema["target"]["values"] == ["no", "yes"]
    metadata = json.loads((project / "models" / "metadata.json").read_text())
    assert set(metadata["features"]) == FEATURES and metadata["positive_label"] == "yes"
    # What the fitted pipeline itself takes as input, not only what the metadata says.
    inputs = "import joblib, json; model = joblib.load('models/model.joblib')['model']; "
    inputs += "print(json.dumps(list(model.feature_names_in_)))"
    fitted = run([project_venv / "python", "-c", inputs], project, env)
    assert set(json.loads(fitted.stdout)) == FEATURES
    manifest = json.loads((project / "data" / "raw" / "dataset.json").read_text())
    assert manifest["source"] == SOURCE and manifest["rows"] == 1200
    test = list(csv.DictReader((project / "data" / "processed" / "test.csv").open()))
    train = list(csv.DictReader((project / "data" / "processed" / "train.csv").open()))
    # Split by time: every test customer signed up after every training customer.
    assert min(r["signup_date"] for r in test) > max(r["signup_date"] for r in train)
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert metrics["model"]["roc_auc"] > metrics["baseline"]["roc_auc"]
    assert metrics["gate"]["passed"], metrics["gate"]["reason"]
    assert (project / "reports" / "drift" / "drift-report.json").is_file()

    tests = run(
        [project_venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert " passed" in tests.stdout and " failed" not in tests.stdout

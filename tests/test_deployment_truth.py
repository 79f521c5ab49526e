"""A generated project serves what its gate promoted, at the threshold its business report
values, through a hardened API; and running it leaves the team's files alone.

The fast tests read a project rendered in-process; the slow ones install a project made by
the built wheel into a virtualenv and run it as its README says, with a real server.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import tomlkit
from conftest import REPO, TEMPLATE_DIR, project_env, run
from packaging.requirements import Requirement

from mlscaffold.testing import render_project

# Items whose verification reads what the pipeline writes: each is a measured fact (a file
# the gate or data stage writes, a metric against the baseline), never a person's judgement.
MEASURED_FACTS = {
    "core.data.schema",
    "core.data.raw-immutable",
    "core.data.lineage",
    "core.modeling.beats-baseline-auc",
    "core.modeling.beats-baseline-mae",
    "core.modeling.calibration",
    "core.deployment.gate",
}
PIPELINE_OUTPUTS = ("data/", "models/", "reports/", "logs/")


def toml(text: str) -> dict:
    return tomlkit.loads(text).unwrap()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_project(tmp_path_factory.mktemp("rendered") / "churn-model")


def test_the_dev_extra_installs_the_mlscaffold_that_generated_it(rendered):
    pyproject = toml((rendered / "pyproject.toml").read_text())
    version = toml((REPO / "pyproject.toml").read_text())["project"]["version"]
    requirements = [Requirement(r) for r in pyproject["project"]["optional-dependencies"]["dev"]]
    (scaffold,) = [r for r in requirements if r.name == "ml-lifecycle-scaffold"]
    assert scaffold.specifier.contains(version), f"{scaffold} does not admit {version}"
    every = [*pyproject["project"]["dependencies"], *requirements]
    assert not [r for r in every if Requirement(str(r)).name == "mlscaffold"], "owned by another"


def test_readme_and_makefile_work_where_only_python3_exists(rendered):
    readme = (rendered / "README.md").read_text()
    assert "python3 -m venv .venv" in readme and "python -m venv" not in readme
    assert "pypi.org/project/mlscaffold" not in readme
    assert "mlscaffold status" in readme
    assert re.search(r"^PYTHON \?= python3$", (rendered / "Makefile").read_text(), re.MULTILINE)


def test_the_charter_check_can_pass(rendered):
    """No instruction in the charter contains the placeholder it forbids."""
    charter = (rendered / "stages" / "01-scoping" / "charter.md").read_text()
    quoted = re.findall(r"`[^`\n]*\bTODO\b[^`\n]*`|\*[^*\n]*\bTODO\b[^*\n]*\*", charter)
    assert quoted == [], "an instruction names the placeholder the check forbids"
    filled = re.sub(r"\bTODO\b[^|\n]*", "agreed", charter)
    assert not re.search(r"\bTODO\b", filled)


def test_no_judgement_item_is_verified_by_what_the_pipeline_writes():
    items = toml((TEMPLATE_DIR / "checklists.toml").read_text())["item"]
    from_pipeline = {
        item["id"]
        for item in items
        if "verify" in item and str(item["verify"].get("path", "")).startswith(PIPELINE_OUTPUTS)
    }
    assert from_pipeline <= MEASURED_FACTS, from_pipeline - MEASURED_FACTS
    card = next(item for item in items if item["id"] == "core.modeling.model-card")
    assert card["verify"]["path"].startswith("stages/"), "the card is complete when people say"


def test_the_image_holds_only_the_promoted_model_and_checks_it(rendered):
    ignored = (rendered / ".dockerignore").read_text().splitlines()
    assert "models/*" in ignored
    assert {line for line in ignored if line.startswith("!models/")} == {
        "!models/promoted.json",
        "!models/promoted.joblib",
    }
    dockerfile = (rendered / "Dockerfile").read_text()
    check = dockerfile.index("RUN python -m churn_model deployed")
    assert dockerfile.index("COPY models ./models") < check < dockerfile.index("CMD")
    assert "data/processed" not in dockerfile, "the schema comes with the promotion record"


# ---- Slow: a project made by the built wheel, installed and run as a user runs it. ----


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def project(installed_cli, project_venv, tmp_path_factory) -> Path:
    """A project created with the defaults, installed with its dev extra, after `make all`."""
    where = tmp_path_factory.mktemp("truth")
    run([installed_cli, "new", "churn-model", "--defaults"], cwd=where)
    root = where / "churn-model"
    env = project_env(project_venv)
    run([project_venv / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]"], root, env)
    started = time.monotonic()
    run(["make", "all"], root, env)
    print(f"make all on defaults: {time.monotonic() - started:.1f} s")
    return root


@pytest.mark.slow
def test_make_all_leaves_the_tree_clean_and_status_runs_from_the_project_venv(
    project, project_venv
):
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    # `mlscaffold` here is the one the project's dev extra installed, as its README says.
    status = run([project_venv / "mlscaffold", "status", "--json"], project)
    items = [item for stage in json.loads(status.stdout)["stages"] for item in stage["items"]]
    done_unticked = {i["id"] for i in items if i["outcome"] == "done" and i["mark"] != "done"}
    assert done_unticked <= MEASURED_FACTS, done_unticked - MEASURED_FACTS
    assert "core.deployment.gate" in done_unticked
    for judged in ("core.modeling.model-card", "core.modeling.slices"):
        assert next(i for i in items if i["id"] == judged)["outcome"] == "open", judged


def post(base: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{base}/predict", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def too_large(port: int) -> bytes:
    """Announce a 2 MB body, send a little of it, and read what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2000000\r\n\r\n" + b" " * 65536
        )
        return connection.recv(4096)


@pytest.mark.slow
def test_the_service_serves_the_promotion_at_the_valued_threshold_and_refuses_bad_input(
    project, project_venv
):
    record = json.loads((project / "models" / "promoted.json").read_text())
    business = json.loads((project / "reports" / "business.json").read_text())
    port = free_port()
    command = [project_venv / "python", "-m", "churn_model", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [str(c) for c in command],
        cwd=project,
        env=project_env(project_venv),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/metadata", timeout=2) as response:
                    metadata = json.load(response)
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert metadata["model_version"] == record["model_version"] == business["model_version"]
        assert metadata["threshold"] == record["threshold"] == business["threshold"]
        assert 0 < metadata["threshold"] < 1

        row = {c: spec["observed_min"] for c, spec in record["schema"]["features"].items()}
        assert post(base, json.dumps({"instances": [row]}).encode())[0] == 200
        column = next(iter(row))
        secret = "a-value-that-must-never-come-back"
        for value in ["12.75", True, secret, None, -1e12]:
            status, text = post(base, json.dumps({"instances": [{**row, column: value}]}).encode())
            assert status == 422, (value, text)
            assert secret not in text and "12.75" not in text
        nan = json.dumps({"instances": [row]}).replace(json.dumps(row[column]), "NaN", 1)
        assert post(base, nan.encode())[0] == 422
        assert too_large(port).startswith(b"HTTP/1.1 413")
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_a_model_that_fails_the_gate_is_never_served(project, project_venv):
    env = project_env(project_venv)
    served = json.loads((project / "models" / "promoted.json").read_text())["model_version"]
    config = project / "configs" / "model.toml"
    original = config.read_text()
    # An improvement over the baseline no model can show: the gate must refuse.
    strict, changed = re.subn(
        r"gate_min_improvement = .*", "gate_min_improvement = 1000.0", original
    )
    assert changed == 1, "configs/model.toml no longer names the gate's threshold"
    config.write_text(strict)
    try:
        failed = subprocess.run(["make", "promote"], cwd=project, env=env, capture_output=True)
        assert failed.returncode != 0 and b"is not promoted" in failed.stderr
        trained = json.loads((project / "models" / "metadata.json").read_text())["model_version"]
        assert trained != served, "make promote retrained a new model"
        shown = run([project_venv / "python", "-m", "churn_model", "deployed"], project, env)
        assert served in shown.stdout and trained not in shown.stdout

        # With nothing promoted, serving refuses in one line, and `make serve` trains nothing.
        for name in ("promoted.json", "promoted.joblib"):
            (project / "models" / name).unlink()
        model = (project / "models" / "model.joblib").stat().st_mtime_ns
        refused = subprocess.run(
            ["make", "serve"], cwd=project, env=env, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode != 0
        errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "run `make promote`" in errors[0]
        assert "Traceback" not in refused.stderr
        assert (project / "models" / "model.joblib").stat().st_mtime_ns == model
    finally:
        config.write_text(original)

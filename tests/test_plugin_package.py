"""`mlscaffold plugin new`: the generated plugin package installs, passes its own tests,
is found through its entry point, and a project made with it passes its own test suite."""

from __future__ import annotations

import json
import os

import pytest
import tomlkit
from conftest import project_env, run

pytestmark = pytest.mark.slow


def test_plugin_package_from_template_to_project(installed_cli, project_venv, tmp_path):
    bin_dir = installed_cli.parent
    env = {k: v for k, v in os.environ.items() if k != "MLSCAFFOLD_LOAD_PLUGINS"}
    run([installed_cli, "plugin", "new", "acme", "--defaults"], tmp_path, env)
    package = tmp_path / "mlscaffold-acme"
    expected = {
        ".gitignore", ".mlscaffold.toml", "README.md", "pyproject.toml",
        "src/mlscaffold_acme/__init__.py",
        "src/mlscaffold_acme/template/stages/02-data/data-contract.yml.jinja",
        "src/mlscaffold_acme/template/tests/test_data_contract.py",
        "tests/test_plugin.py",
    }  # fmt: skip
    files = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert {f for f in files if not f.startswith(".git/")} == expected
    # one example of each of the seven hooks, and no more than a reader takes in at once
    assert len((package / "src/mlscaffold_acme/__init__.py").read_text().splitlines()) <= 100

    run([bin_dir / "python", "-m", "pip", "install", "--quiet", f"{package}[test]"], tmp_path, env)
    tests = run([bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], package, env)
    assert "3 passed" in tests.stdout

    listed = json.loads(run([installed_cli, "plugins", "--json"], tmp_path, env).stdout)["plugins"]
    acme = next(p for p in listed if p["name"] == "acme")
    assert (acme["distribution"], acme["version"]) == ("mlscaffold-acme", "0.1.0")
    assert acme["stages"] == ["data"]
    assert set(acme["hooks"]) == {
        "mlscaffold_checklist_items", "mlscaffold_commands", "mlscaffold_file_policies",
        "mlscaffold_migrations", "mlscaffold_pyproject", "mlscaffold_questions",
        "mlscaffold_templates",
    }  # fmt: skip

    run([installed_cli, "new", "demo", "--defaults", "--plugin", "acme"], tmp_path, env)
    project = tmp_path / "demo"
    state = tomlkit.parse((project / ".mlscaffold.toml").read_text())
    assert state["plugins"]["acme"] == {"distribution": "mlscaffold-acme", "version": "0.1.0"}
    assert (
        "pyyaml>=6,<7"
        in tomlkit.parse((project / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    assert (
        "`acme.data.contract-agreed`, required"
        in (project / "stages" / "02-data" / "CHECKLIST.md").read_text()
    )
    penv = project_env(project_venv)
    run([project_venv / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]"], project, penv)
    # The project's whole suite passes, and it includes the test the plugin added.
    suite = run(
        [project_venv / "python", "-m", "pytest", "-v", "-p", "no:cacheprovider"], project, penv
    )
    assert (
        "tests/test_data_contract.py::test_data_contract_names_producer_consumer_and_columns PASSED"
        in suite.stdout
    )

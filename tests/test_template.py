"""The built-in template, rendered with pytest-copie for every choice of every question."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import TEMPLATE_DIR

QUESTIONS = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
CHOICES = [
    (name, value)
    for name, spec in QUESTIONS.items()
    if not name.startswith("_") and "choices" in spec
    for value in spec["choices"]
]
UNRENDERED = re.compile(r"\{\{|\{%")  # closing braces alone are common (CSS, f-strings)


def render(copie, **answers):
    result = copie.copy(
        extra_answers={"project_name": "demo-project", **answers}, template_dir=TEMPLATE_DIR
    )
    assert result.exit_code == 0, result.exception
    return result.project_dir


@pytest.mark.parametrize(("question", "choice"), CHOICES, ids=[f"{q}={c}" for q, c in CHOICES])
def test_every_choice_renders_cleanly(copie, question, choice):
    project = render(copie, **{question: choice})
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ""}:
            text = path.read_text(encoding="utf-8")
            assert not UNRENDERED.search(text), f"unrendered Jinja in {path.relative_to(project)}"
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "demo-project"' in pyproject


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [("Churn.Model_v2", "churn_model_v2"), ("2024-churn", "_2024_churn"), ("x--y", "x_y")],
)
def test_the_package_name_defaults_to_an_importable_form_of_the_project_name(
    copie, project_name, package_name
):
    project = render(copie, project_name=project_name)
    assert (project / "src" / package_name / "__init__.py").is_file()


@pytest.mark.parametrize("python_version", QUESTIONS["python_version"]["choices"])
def test_python_version_sets_requires_python_and_ruff_target(copie, python_version):
    pyproject = (render(copie, python_version=python_version) / "pyproject.toml").read_text()
    assert f'requires-python = ">={python_version}"' in pyproject
    assert f'target-version = "py{python_version.replace(".", "")}"' in pyproject


@pytest.mark.parametrize(
    ("license_name", "expected"),
    [
        ("MIT", "MIT License"),
        ("Apache-2.0", "Apache License"),
        ("BSD-3-Clause", "Redistribution and use"),
    ],
)
def test_license_text_matches_the_answer(copie, license_name, expected):
    project = render(copie, license=license_name, author_name="Ada Lovelace")
    text = (project / "LICENSE").read_text()
    assert expected in text
    if license_name != "Apache-2.0":
        assert "Ada Lovelace" in text


def test_proprietary_has_no_license_file(copie):
    assert not (render(copie, license="Proprietary") / "LICENSE").exists()


@pytest.mark.parametrize("problem_type", ["classification", "regression"])
def test_problem_type_picks_the_bundled_dataset(copie, problem_type):
    project = render(copie, problem_type=problem_type)
    code = "\n".join(p.read_text() for p in (project / "src" / "demo_project").rglob("*.py"))
    loader = "load_breast_cancer" if problem_type == "classification" else "load_diabetes"
    assert loader in code
    assert "fetch_" not in code  # every dataset must ship with scikit-learn, no download


@pytest.mark.parametrize(("mode", "has_app", "has_batch"), [
    ("online", True, False), ("batch", False, True), ("both", True, True),
])  # fmt: skip
def test_prediction_mode_decides_service_and_batch_command(copie, mode, has_app, has_batch):
    project = render(copie, prediction_mode=mode)
    serving = project / "src" / "demo_project" / "serving"
    assert (serving / "app.py").exists() == has_app
    assert (serving / "batch.py").exists() == has_batch
    assert ("fastapi" in (project / "pyproject.toml").read_text()) == has_app


def test_stage_folders_and_project_files(copie):
    project = render(copie)
    for folder in ["01-scoping", "02-data", "03-modeling", "04-deployment", "05-monitoring",
                   "06-business-analysis"]:  # fmt: skip
        assert (project / "stages" / folder / "README.md").is_file(), folder
    for name in ["README.md", "pyproject.toml", "Makefile", "Dockerfile", ".gitignore",
                 ".github/workflows/ci.yml", "configs/project.toml"]:  # fmt: skip
        assert (project / name).is_file(), name
    for kept in ["data/raw", "models", "reports"]:
        assert (project / kept / ".gitkeep").is_file(), kept


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_the_longest_package_name_allowed_keeps_the_code_ruff_clean(copie, mode):
    import subprocess
    import sys

    project = render(copie, package_name="p" * 50, prediction_mode=mode)
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr

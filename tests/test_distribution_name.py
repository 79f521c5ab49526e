"""Nothing installs mlscaffold by the bare name `mlscaffold`: on the public package index that
name belongs to another project, so `pip install mlscaffold` would run a stranger's code (in a
user's CI, too). mlscaffold's distribution is `ml-lifecycle-scaffold`; the command and the
import name stay `mlscaffold`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import tomlkit
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mlscaffold import DISTRIBUTION
from mlscaffold.testing import render_project

BARE = "mlscaffold"
PLUGINS = sorted(p for p in (REPO / "plugins").iterdir() if (p / "pyproject.toml").is_file())

# An installer command naming the bare distribution, up to the end of the shell command.
INSTALL = re.compile(
    r"\b(?:pip3?|pipx|uv(?: pip| tool)?|poetry|pdm|conda|mamba)\s+(?:install|add)\b"
    r"[^\n;&|#`()]*?(?<![\w./-])mlscaffold(?![\w./-])"
)
# A requirement for it: mlscaffold>=0.1 anywhere, or "mlscaffold" / 'mlscaffold[x]' as an item
# of a list (of dependencies).
REQUIREMENT = re.compile(
    r"(?<![\w./-])mlscaffold\s*(?:\[[^\]]*\])?\s*(?:[<>!~=]=|[<>]|===?)\s*\d"
    r"|[\[,]\s*[\"']mlscaffold\s*(?:\[[^\]]*\])?\s*(?:;[^\"']*)?[\"']"
)
PAGE = re.compile(r"pypi\.(?:org|python\.org)/(?:project|simple|pypi)/mlscaffold(?![\w-])")


def _toml(text: str) -> dict:
    return tomlkit.parse(text).unwrap()


def bare_name_installs(text: str) -> list[str]:
    return [m[0] for pattern in (INSTALL, REQUIREMENT, PAGE) for m in pattern.finditer(text)]


def requirements(pyproject: Path) -> list[Requirement]:
    data = _toml(pyproject.read_text())
    project = data.get("project", {})
    found = [*project.get("dependencies", []), *data.get("build-system", {}).get("requires", [])]
    for extra in project.get("optional-dependencies", {}).values():
        found += extra
    for group in data.get("dependency-groups", {}).values():
        found += [r for r in group if isinstance(r, str)]
    return [Requirement(r) for r in found]


def offences(root: Path) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        parts = path.relative_to(root).parts
        if ".git" in parts or path.suffix in (".png", ".pyc", ".joblib", ".parquet"):
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        where = path.relative_to(root).as_posix()
        found += [f"{where}: {hit!r}" for hit in bare_name_installs(text)]
        if path.name == "pyproject.toml" and "{{" not in text:
            names = {canonicalize_name(r.name) for r in requirements(path)}
            found += [f"{where}: depends on {BARE}"] * (BARE in names)
    return found


def test_the_detector_finds_each_way_of_installing_the_bare_name():
    bad = [
        "pip install mlscaffold", "pip install -U mlscaffold==0.2", "uv tool install mlscaffold",
        "- run: pip install mlscaffold && mlscaffold check", 'dependencies = ["mlscaffold>=0.1"]',
        "dev = [\n  'mlscaffold',\n]", "[mlscaffold](https://pypi.org/project/mlscaffold/)",
        '"mlscaffold[test]>=1",', 'dev = ["pytest", "mlscaffold"]',
    ]  # fmt: skip
    good = [
        "pip install ./plugins/mlscaffold-dvc", "pip install -e '.[dev]' && mlscaffold check",
        "pip install mlscaffold-acme", "pip install ml-lifecycle-scaffold",
        ".venv/bin/mlscaffold new",
        'dependencies = ["ml-lifecycle-scaffold>=0.1,<0.2"]', 'HookspecMarker("mlscaffold")',
        "[project.entry-points.mlscaffold]", "pip install .  # then mlscaffold new x",
        "https://pypi.org/project/ml-lifecycle-scaffold/", 'GROUP = "mlscaffold"\n',
        "`pip install ml-lifecycle-scaffold` (the name `mlscaffold` is taken)",
    ]  # fmt: skip
    assert [b for b in bad if not bare_name_installs(b)] == []
    assert [g for g in good if bare_name_installs(g)] == []


def test_no_doc_plugin_or_template_source_installs_the_bare_name():
    found = []
    for name in ("README.md", "SECURITY.md", "mkdocs.yml", "pyproject.toml"):
        found += [f"{name}: {hit!r}" for hit in bare_name_installs((REPO / name).read_text())]
    for folder in ("docs", "plugins", "templates", "src", ".ci"):
        found += [f"{folder}/{o}" for o in offences(REPO / folder)]
    assert found == []


@pytest.mark.parametrize("plugin", [None, *(p.name.removeprefix("mlscaffold-") for p in PLUGINS)])
def test_no_generated_file_installs_the_bare_name(tmp_path, plugin):
    chosen = {}
    if plugin:
        chosen[plugin] = importlib.import_module("mlscaffold_" + plugin.replace("-", "_"))
    answer_sets = [{}, {"problem_type": "regression", "prediction_mode": "batch"}]
    for number, answers in enumerate(answer_sets if plugin is None else answer_sets[:1]):
        project = render_project(tmp_path / f"p{number}", plugins=chosen, answers=answers)
        assert offences(project) == []
        for requirement in requirements(project / "pyproject.toml"):
            if canonicalize_name(requirement.name) == DISTRIBUTION:
                assert requirement.specifier.contains(mlscaffold_version(), prereleases=True)


def test_the_plugin_skeleton_depends_on_the_distribution_name(tmp_path):
    skeleton = render_project(
        tmp_path / "mlscaffold-zz", template="builtin:plugin", answers={"plugin_name": "zz"}
    )
    assert offences(skeleton) == []
    assert_depends_on_this_version(skeleton / "pyproject.toml")


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_each_maintained_plugin_depends_on_the_distribution_name(plugin):
    assert_depends_on_this_version(plugin / "pyproject.toml")


def test_this_package_is_published_under_the_distribution_name():
    data = _toml((REPO / "pyproject.toml").read_text())
    assert data["project"]["name"] == DISTRIBUTION == "ml-lifecycle-scaffold"
    assert data["project"]["scripts"] == {"mlscaffold": "mlscaffold.cli:main"}


def mlscaffold_version() -> str:
    return _toml((REPO / "pyproject.toml").read_text())["project"]["version"]


def assert_depends_on_this_version(pyproject: Path) -> None:
    """It names mlscaffold by its distribution, with a range that admits this version."""
    (requirement,) = [r for r in requirements(pyproject)
                      if canonicalize_name(r.name) == DISTRIBUTION]  # fmt: skip
    assert requirement.specifier, f"{pyproject}: pin a range of {DISTRIBUTION}"
    assert requirement.specifier.contains(mlscaffold_version(), prereleases=True)


def test_the_generated_stage_gate_fails_the_build_and_runs_the_pinned_mlscaffold(tmp_path):
    """The CI's stage gate installs the project's dev extra, which pins mlscaffold by its
    distribution name, and nothing lets a failing step pass."""
    import yaml

    project = render_project(tmp_path / "gated")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    jobs = workflow["jobs"]
    assert not [name for name, job in jobs.items() if "continue-on-error" in job]
    assert not [
        step for job in jobs.values() for step in job["steps"] if "continue-on-error" in step
    ]
    runs = [step.get("run", "") for step in jobs["stage-gate"]["steps"]]
    install = next(i for i, run in enumerate(runs) if "pip install" in run)
    assert runs[install] == "pip install -e '.[dev]'"
    assert any(run.startswith("mlscaffold check") for run in runs[install + 1 :])
    dev = [Requirement(r) for r in _toml((project / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["dev"]]  # fmt: skip
    pinned = [r for r in dev if canonicalize_name(r.name) == DISTRIBUTION]
    assert pinned, f"the dev extra must pin {DISTRIBUTION}: the stage gate runs its mlscaffold"
    assert pinned[0].specifier.contains(mlscaffold_version(), prereleases=True)

"""What the plugin adds to a project, rendered in-process."""

import mlscaffold_responsible_ai
import tomlkit

from mlscaffold.testing import render_project


def test_plugin_adds_documents_code_items_and_dependency(tmp_path):
    project = render_project(
        tmp_path / "demo",
        plugins={"responsible-ai": mlscaffold_responsible_ai},
        answers={"problem_type": "regression"},
    )
    added = [
        "src/demo/modeling/fairness.py",
        "src/demo/monitoring/group_metrics.py",
        "configs/fairness.toml",
        "tests/test_fairness.py",
        "stages/01-scoping/harms.md",
        "stages/02-data/sensitive-attributes.md",
    ]
    for path in added:
        assert (project / path).is_file(), path
    assert 'feature = "sex"' in (project / "configs" / "fairness.toml").read_text()
    for folder, slug in [
        ("01-scoping", "scoping.harms"),
        ("05-monitoring", "monitoring.group-metrics"),
    ]:
        checklist = (project / "stages" / folder / "CHECKLIST.md").read_text()
        assert f"`responsible-ai.{slug}`, required" in checklist
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text())
    assert "fairlearn>=0.12,<1" in pyproject["project"]["dependencies"]

"""What the plugin adds to a project, rendered in-process (the Dask workloads themselves are
tested by the project's own tests/test_dask_compute.py, on a real LocalCluster)."""

import mlscaffold_dask
import pytest
import tomlkit

from mlscaffold.testing import render_project


@pytest.mark.parametrize(
    ("problem_type", "parameter", "scoring"),
    [("classification", "C", "roc_auc"), ("regression", "alpha", "neg_mean_absolute_error")],
)
def test_plugin_adds_compute_package_config_tests_docs_items_and_dependency(
    tmp_path, problem_type, parameter, scoring
):
    project = render_project(
        tmp_path / "demo", plugins={"dask": mlscaffold_dask}, answers={"problem_type": problem_type}
    )
    for path in [
        "configs/compute.toml",
        "src/demo/compute/__init__.py",
        "src/demo/compute/__main__.py",
        "src/demo/compute/cluster.py",
        "src/demo/compute/batch.py",
        "src/demo/compute/search.py",
        "tests/test_dask_compute.py",
        "stages/04-deployment/dask.md",
    ]:
        assert (project / path).is_file(), path
    compute = tomlkit.parse((project / "configs" / "compute.toml").read_text()).unwrap()
    assert compute["dask"]["address"] == ""
    assert (compute["dask"]["n_workers"], compute["dask"]["memory_limit"]) == (2, "2GiB")
    assert list(compute["search"]["grid"]) == [parameter]
    assert compute["search"]["scoring"] == scoring
    model = tomlkit.parse((project / "configs" / "model.toml").read_text()).unwrap()
    linear = model["model"]["candidates"][0]  # the candidate the search tunes
    assert parameter in model["model"]["params"][linear]  # a parameter the model has
    assert "python -m demo.compute batch" in (project / "stages/04-deployment/dask.md").read_text()
    deployment = (project / "stages" / "04-deployment" / "CHECKLIST.md").read_text()
    assert "`dask.deployment.resources-set`, required" in deployment
    assert "`dask.deployment.batch-matches-single-process`, required" in deployment
    monitoring = (project / "stages" / "05-monitoring" / "CHECKLIST.md").read_text()
    assert "`dask.monitoring.cluster-watched`" in monitoring
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text())
    assert "dask[dataframe,distributed]>=2024.8,<2027" in pyproject["project"]["dependencies"]
    assert pyproject["tool"]["pytest"]["ini_options"]["filterwarnings"] == ["error"]


def test_resources_item_is_verified_against_the_config(tmp_path):
    from mlscaffold.status import verify

    project = render_project(tmp_path / "demo", plugins={"dask": mlscaffold_dask})
    item = next(
        i for i in mlscaffold_dask.mlscaffold_checklist_items(stage="deployment")
        if i["id"] == "dask.deployment.resources-set"
    )  # fmt: skip
    assert verify(project, item["verify"], timeout=10) == (True, "")
    config = project / "configs" / "compute.toml"
    config.write_text(config.read_text().replace('memory_limit = "2GiB"', 'memory_limit = ""'))
    passed, detail = verify(project, item["verify"], timeout=10)
    assert not passed and "configs/compute.toml lacks" in detail

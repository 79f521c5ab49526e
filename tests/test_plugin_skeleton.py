"""`mlscaffold plugin new`: the skeleton implements every hook, and its own tests, which
test a new project, its command and the upgrade path with mlscaffold.testing, pass.

The slow test in test_plugin_package.py does the same from an installed wheel; this one
runs the skeleton's tests against the source tree, with the package's metadata on the path
as pip would write it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO

from mlscaffold import hookspecs
from mlscaffold.cli import app


def test_the_skeleton_implements_and_tests_every_hook(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    created = runner.invoke(app, ["plugin", "new", "acme-data", "--defaults", "--no-git"])
    assert created.exit_code == 0, created.output
    package = tmp_path / "mlscaffold-acme-data"
    module = (package / "src" / "mlscaffold_acme_data" / "__init__.py").read_text()
    hooks = sorted(name for name in dir(hookspecs) if name.startswith("mlscaffold_"))
    assert len(hooks) == 7
    implemented = re.findall(r"@hookimpl\ndef (mlscaffold_\w+)\(", module)
    assert sorted(implemented) == hooks

    site = tmp_path / "site"
    metadata = site / "mlscaffold_acme_data-0.1.0.dist-info"
    metadata.mkdir(parents=True)
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mlscaffold-acme-data\nVersion: 0.1.0\n"
    )
    (metadata / "entry_points.txt").write_text("[mlscaffold]\nacme-data = mlscaffold_acme_data\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTEST"))}
    env["HOME"] = str(tmp_path)  # no git identity, as on a fresh CI machine
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(package / "src"), str(REPO / "src")])
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    assert "3 passed" in tests.stdout

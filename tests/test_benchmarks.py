"""The benchmark script runs, at its smallest sizes, and writes every scenario (no timings are
asserted: speed is measured by running the script by hand, not by the test suite)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


def test_benchmark_script_writes_every_scenario(tmp_path):
    out = tmp_path / "RESULTS.md"
    script = REPO / "benchmarks" / "run.py"
    command = [sys.executable, str(script), "--quick", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    table = out.read_text()
    for scenario in ("| start-up |", "| create |", "| update |", "| scale |", "| status |"):
        assert scenario in table
    assert "copier 9." in table and "| ratio |" in table
    assert "| scale | update, 40 files |" in table
    assert "plugins (dagster, dask, dvc, mlflow, responsible-ai)" in table

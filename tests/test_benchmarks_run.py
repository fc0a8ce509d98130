"""The benchmarks still run (quick sizes): a renamed module or changed API breaks them silently
otherwise, since nothing else imports them. The figures themselves are not checked here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(("part", "numba"), [("writers", "1"), ("big-histograms", "1"), ("big-histograms", "0")])
def test_bench_io_quick_runs(part, numba):
    pytest.importorskip("torch")
    pytest.importorskip("tensorboardX")
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_io.py"), "--quick", "--reps", "1", "--only", part],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "CELLBOARD_NUMBA": numba},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "cellboard" in out.stdout and "x" in out.stdout
    if part == "big-histograms" and numba == "0":  # numpy's count, also as in a process without torch
        assert "numpy-alone:" in out.stdout

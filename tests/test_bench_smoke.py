"""`python -m bench --quick` still runs end to end: every figure is produced, none is judged.

Benchmarks are not tests: no timing is asserted here. This only keeps the harness from rotting
as the bot changes (a renamed setting, a moved hook, a fake that grew a new rule).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import FIGURE_KEYS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
# A deadline, not a wait: ~50 s on a quiet machine, but it shares the cores with the rest
# of a parallel run (74 s at a load of 3, over 120 s at 4.7).
@pytest.mark.timeout(330)
def test_quick_benchmark_run_prints_the_table_and_writes_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert "figure" in done.stdout
    assert "target" in done.stdout

    results = json.loads(output.read_text())
    assert results["quick"] is True
    assert "-m bench --quick" in results["command"]
    assert results["machine"]["cpu_count"]
    assert results["machine"]["python"]
    assert results["errors"] == {}
    figures = results["figures"]
    missing = [key for key in FIGURE_KEYS if key not in figures]
    assert not missing, f"figures missing from results.json: {missing}"
    for key in FIGURE_KEYS:
        assert isinstance(figures[key]["value"], int | float), key
        assert figures[key]["label"] in done.stdout, key

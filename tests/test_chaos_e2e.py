"""The chaos run of tests/chaos.py, one short seed: faults of every kind and SIGKILLs around
the real bot process; then nothing lost, nothing twice, nothing misdelivered, every request
answered and the ledger settled. The long run: `.venv/bin/python -m tests.chaos`."""

from __future__ import annotations

import pytest

from tests.chaos import run_chaos

pytestmark = pytest.mark.slow  # processes or a browser: out of the inner loop


@pytest.mark.timeout(120)
async def test_a_short_chaos_run_loses_nothing_and_repeats_nothing() -> None:
    report = await run_chaos(seed=1, requests=12, chats=3)
    assert report.kills, "the run killed the bot"
    assert not report.problems, str(report)

"""`python -m bench --quick` still runs end to end: every figure is produced, none is judged.

Benchmarks are not tests: no timing is asserted here. This only keeps the harness from rotting
as the bot changes (a renamed setting, a moved hook, a fake that grew a new rule). Each benchmark
is its own test, run in this process (the bot too, as `--quick` does: bench/inprocess.py), so
that a parallel run spreads them and no interpreter is started per figure. Full runs' bot
process (bench/botproc.py) is kept from rotting by the last test.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from bench.__main__ import BENCH_FIGURES, FIGURE_KEYS, _benches, main
from bench.common import flat_png
from bench.e2e import Tally
from bench.harness import BenchModel, BotProcess, Stage, StageOptions, unique_prompt


def test_each_benchmark_is_smoke_tested_for_its_own_figures() -> None:
    assert [bench.name for bench in _benches(True, Tally())] == list(BENCH_FIGURES)
    assert len(set(FIGURE_KEYS)) == len(FIGURE_KEYS)


# The flood run goes without the simulator's previews (`--previews off`), the latency run with
# them: each way is seen once.
OPTIONS = {"flood": ["--previews", "off"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BENCH_FIGURES))
def test_a_quick_run_prints_the_table_and_writes_every_figure(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results.json"
    options = OPTIONS.get(name, [])
    code = main(["--quick", "--only", name, *options, "--output", str(output)])
    printed = capsys.readouterr()

    results = json.loads(output.read_text())
    assert results["errors"] == {}, printed.err[-4000:]
    assert code == 0
    assert "figure" in printed.out
    assert "target" in printed.out
    assert results["quick"] is True
    assert shlex.join(["-m", "bench", "--quick", "--only", name, *options]) in results["command"]
    assert results["machine"]["cpu_count"]
    assert results["machine"]["python"]
    figures = results["figures"]
    missing = [key for key in BENCH_FIGURES[name] if key not in figures]
    assert not missing, f"figures missing from results.json: {missing}"
    for key in BENCH_FIGURES[name]:
        assert isinstance(figures[key]["value"], int | float), key
        assert figures[key]["label"] in printed.out, key
    previews = "off" if "--previews" in options else "on"
    assert results["previews"] == previews
    for key in ("bridge_latency_p50_ms", "telegram_429s"):  # runs whose jobs pass 35 %
        if key in figures:
            drawn = figures[key]["details"]["simulator_previews"]
            assert (drawn > 0) == (previews == "on"), f"{key}: {drawn} previews drawn"


@pytest.mark.slow
async def test_the_bot_process_of_full_runs_serves_a_job() -> None:
    """`--quick` keeps the bot in its process; full runs start bench/botproc.py, tried here."""
    model = BenchModel(step_delay=0, fixed_image=flat_png())
    async with Stage(StageOptions(model=model, telegram_pacing=False)) as stage:
        assert isinstance(stage.bot, BotProcess)
        user = stage.tg.user(7)
        prompt = unique_prompt("process", 1)
        stage.imagine(stage.tg.private_chat(user), user, prompt)
        await stage.until(lambda: prompt in stage.photos_by_prompt(), 60, "the result")
        assert stage.bot.rss()["VmRSS"] > 0
        assert not [w for w in stage.bot.warnings() if " ERROR " in w]

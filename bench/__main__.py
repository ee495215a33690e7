"""`python -m bench [--quick] [--only NAME ...] [--previews off]`: run the benchmarks, print the
table, write bench/results.json.

Figures and targets are those of issue 7. `--quick` runs tiny sizes in seconds, with the bot in
this process (bench/inprocess.py), so `make test` (tests/test_bench_smoke.py) keeps the harness
from rotting; its numbers mean nothing. `--previews off`: Midjourney's progress messages carry
no preview pictures (the simulator's `previews` knob), to see what previews cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backlog import bench_utilization
from bench.common import ROOT, Figure, bench_process, noise_png
from bench.e2e import Sizes, Tally, bench_latency
from bench.flood import bench_flood
from bench.memory import bench_memory

RESULTS = Path(__file__).resolve().parent / "results.json"
GRID_BYTES = 2 * 1024 * 1024

# Every figure the run must produce, by benchmark in run order (the smoke test checks them all).
BENCH_FIGURES: dict[str, tuple[str, ...]] = {
    "latency": (
        "bridge_latency_p50_ms",
        "bridge_latency_p99_ms",
        "bridge_latency_lockstep_p50_ms",
        "bridge_latency_lockstep_p99_ms",
        "bridge_latency_saturated_p50_ms",
        "bridge_throughput_jobs_per_s",
        "telegram_calls_per_job",
    ),
    "utilization": (
        "slot_utilization_pct",
        "slot_gap_p99_ms",
        "slot_utilization_stress_pct",
        "slot_gap_stress_p99_ms",
    ),
    "flood": ("telegram_429s",),
    "gateway": ("gateway_events_per_s", "parser_events_per_s"),
    "memory": ("rss_1000_queued_mb", "rss_growth_pct"),
    "database": ("db_transitions_per_s",),
}
FIGURE_KEYS = tuple(key for keys in BENCH_FIGURES.values() for key in keys)


async def _micro(name: str, args: dict[str, Any], quick: bool) -> dict[str, Any]:
    """One bench.micro benchmark: in a fresh child process, or in this one for `--quick`."""
    if quick:
        from bench import micro

        return await micro.in_this_process(name, args)
    return _micro_process(name, args)


def _micro_process(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one bench.micro benchmark in a fresh child process; return its JSON line."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.micro", name, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.micro {name} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def bench_gateway(quick: bool) -> list[Figure]:
    jobs = 10 if quick else 1000
    gateway = await _micro("gateway", {"jobs": jobs, "window": 30}, quick)
    parser = await _micro("parser", {"jobs": 50, **({"min_s": 0.02} if quick else {})}, quick)
    return [
        Figure(
            "gateway_events_per_s",
            "gateway events parsed + dispatched /s (one core)",
            gateway["events_per_s"],
            "events/s",
            target=5000,
            better="higher",
            details=gateway,
        ),
        Figure(
            "parser_events_per_s",
            "… of which the parser alone /s (one core)",
            parser["events_per_s"],
            "events/s",
            better="higher",
            details=parser,
        ),
    ]


async def bench_database(quick: bool) -> list[Figure]:
    result = await _micro("database", {"jobs": 10 if quick else 500}, quick)
    return [
        Figure(
            "db_transitions_per_s",
            "job state transitions /s, SQLite WAL (one core)",
            result["transitions_per_s"],
            "transitions/s",
            target=2000,
            better="higher",
            details=result,
        )
    ]


@dataclass(frozen=True)
class Bench:
    name: str
    run: Callable[[], Awaitable[list[Figure]]]


def _benches(quick: bool, tally: Tally, previews: bool = True) -> list[Bench]:
    sizes = replace(Sizes.quick() if quick else Sizes(), previews=previews)
    grid = noise_png(GRID_BYTES // 32 if quick else GRID_BYTES)
    return [
        Bench("latency", lambda: bench_latency(sizes, grid, tally)),
        Bench("utilization", lambda: bench_utilization(sizes, tally)),
        Bench("flood", lambda: bench_flood(sizes, tally)),
        Bench("gateway", lambda: bench_gateway(quick)),
        Bench("memory", lambda: bench_memory(sizes, tally)),
        Bench("database", lambda: bench_database(quick)),
    ]


def _format_value(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    value = figure.value
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return f"{text} {figure.unit}"


def _format_target(figure: Figure) -> str:
    if figure.target is None:
        return "—"
    sign = "≤" if figure.better == "lower" else "≥"
    target = f"{figure.target:,.0f}" if figure.target >= 1000 else f"{figure.target:g}"
    return f"{sign} {target} {figure.unit}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    for figure in figures:
        verdict = {True: "pass", False: "FAIL", None: "info"}[figure.passed]
        rows.append((figure.label, _format_value(figure), _format_target(figure), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": load,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


async def _run(
    quick: bool, only: set[str], previews: bool = True
) -> tuple[list[Figure], dict[str, str]]:
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    tally = Tally()
    for bench in _benches(quick, tally, previews):
        if only and bench.name not in only:
            continue
        started = time.monotonic()
        print(f"… {bench.name}", file=sys.stderr, flush=True)
        try:
            figures.extend(await bench.run())
        except Exception as exc:  # report it and go on: one broken run must not hide the rest
            errors[bench.name] = f"{type(exc).__name__}: {exc}"
            print(f"  {bench.name} failed: {errors[bench.name]}", file=sys.stderr, flush=True)
        print(f"  {bench.name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    if tally.lost:
        # Not a target of issue 7, but a benchmark that loses results must say so loudly.
        figures.append(
            Figure(
                "e2e_jobs_lost",
                "jobs finished by Midjourney but never delivered (sanity)",
                tally.total,
                "jobs",
                target=0,
                details=tally.lost,
            )
        )
    return figures, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument(
        "--only",
        nargs="*",
        default=[],
        choices=list(BENCH_FIGURES),
        metavar="NAME",
        help=f"run only these: {' '.join(BENCH_FIGURES)}",
    )
    parser.add_argument(
        "--previews",
        choices=("on", "off"),
        default="on",
        help="off: the simulator's progress messages carry no preview pictures",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)

    executable = Path(sys.executable)
    if executable.is_relative_to(Path.cwd()):
        executable = executable.relative_to(Path.cwd())
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join([str(executable), "-m", "bench", *given])
    started_at = datetime.now(UTC)
    started = time.monotonic()
    with bench_process():
        figures, errors = asyncio.run(
            _run(args.quick, set(args.only), previews=args.previews == "on")
        )
    elapsed = time.monotonic() - started

    print(table(figures))
    missed = [f.key for f in figures if f.passed is False]
    print(f"\n{len(figures)} figures, {len(missed)} missed targets, {elapsed:.0f} s ({command})")
    results = {
        "command": command,
        "cwd": str(ROOT),
        "quick": args.quick,
        "previews": args.previews,
        "started_at": started_at.isoformat(timespec="seconds"),
        "wall_time_s": round(elapsed, 1),
        "machine": machine(),
        "figures": {f.key: f.as_json() for f in figures},
        "targets": {f.key: f.target for f in figures},
        "missed": missed,
        "errors": errors,
    }
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

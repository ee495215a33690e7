"""Where a slot refill's time goes: `.venv/bin/python -m bench.refill [--jobs N]`.

The utilization stress run (bench/backlog.py: 50 ms jobs in lockstep, 3 slots, a backlog) with
bench/trace.py's stamps in the bot. Each result that freed a slot for a waiting job is followed
from the fake's stamp (as it goes onto the gateway) through the bot's seams to the next
interaction's arrival at the fake; both processes read the same monotonic clock. Prints the p50
and mean of each step in milliseconds.

Approximate under load: each seam takes its first stamp after the previous one, so when three
results land together a step may borrow a neighbour's stamp. The sums still hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from bisect import bisect_left
from pathlib import Path

from bench.backlog import backlog_run
from bench.common import loopback_only, quiet_logging
from bench.e2e import Sizes, Tally
from bench.trace import Stamp

# (trace stage, key prefix, what has happened by then), in the order a refill passes them.
SEAMS: tuple[tuple[str, str, str], ...] = (
    ("ws_received>", "final", "discord.py has read the result's frame"),
    ("raw_receive>", "final", "our raw listener has it"),
    ("on_mj_event>", "Completed:", "parsed, at the dispatcher"),
    ("launch>", "", "the next job's Launcher.launch starts"),
    ("submit>", "", "handed to the Discord backend"),
    ("write_bytes>", "", "aiohttp writes the request body"),
)
START = "the fake writes the result to the gateway"
END = "the interaction has reached the fake"


def refill_paths(
    finals: list[float], refills: list[float], stamps: list[Stamp]
) -> list[list[float]]:
    """For each result that freed a slot for a waiting job: the time it passed each seam, from
    the result's stamp (first) to the next interaction's arrival (last). A result whose path
    has a missing seam is left out."""
    series = [
        sorted(t for name, key, t in stamps if name == stage and key.startswith(prefix))
        for stage, prefix, _ in SEAMS
    ]
    series.append(sorted(refills))
    paths = []
    for final in sorted(finals)[: len(refills)]:
        path = [final]
        for times in series:
            index = bisect_left(times, path[-1])
            if index == len(times):
                break
            path.append(times[index])
        else:
            paths.append(path)
    return paths


def report(paths: list[list[float]]) -> str:
    names = [START, *(what for _, _, what in SEAMS), END]
    lines = [f"{len(paths)} refills; ms from the step before (p50 / mean):"]
    for step, name in enumerate(names[1:], start=1):
        took = [(path[step] - path[step - 1]) * 1000 for path in paths]
        lines.append(f"  {statistics.median(took):6.2f} / {statistics.mean(took):6.2f}  {name}")
    total = [(path[-1] - path[0]) * 1000 for path in paths]
    lines.append(f"  {statistics.median(total):6.2f} / {statistics.mean(total):6.2f}  in all")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refill", description=__doc__)
    parser.add_argument("--jobs", type=int, default=Sizes.util_jobs, help="jobs in the backlog")
    args = parser.parse_args(argv)
    loopback_only()
    quiet_logging()
    with tempfile.TemporaryDirectory(prefix="bench-refill-") as folder:
        trace_path = str(Path(folder) / "trace.json")
        run = asyncio.run(
            backlog_run(
                Sizes(util_jobs=args.jobs),
                Tally(),
                job_s=Sizes.util_stress_job_s,
                spread=0.0,
                run="refill",
                trace_path=trace_path,
            )
        )
        stamps: list[Stamp] = [tuple(s) for s in json.loads(Path(trace_path).read_text())]
    print(f"utilization {run.utilization_pct} %, gap {run.details['gap_ms']}")
    print(report(refill_paths(run.finals, run.refills, stamps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

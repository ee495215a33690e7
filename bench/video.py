"""`python -m bench.video [--quick] [--only NAME ...]`: the video figures of issue 17, printed.

- convert: an animated WebP grid like Midjourney's (125 frames, 624x624, about 10 MB) to the
  MP4 the bot sends, in a child process pinned to one core; p50 / p99 of the wall time.
- loop: event-loop lag p99 and extra resident memory (the process and its workers) while 3
  conversions run through bot.video_pool: the bot's pool of 2 threads of low priority, and for
  comparison 2 worker processes.
- e2e: Midjourney's final video message to its MP4 received by the fake Telegram, p50,
  3 videos in flight, through the whole bot against the fakes (bench/video_e2e.py).

`--quick` uses tiny files so tests/test_bench_video.py keeps this runnable; its numbers mean
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Figure, percentile, pin_to_one_core

# The shape of a real result: 125 frames, 624x624, 2.5-12.5 MB (see
# docs/midjourney-on-the-wire.md#video-messages).
FULL = {"frames": 125, "size": 624, "runs": 20}
QUICK = {"frames": 6, "size": 64, "runs": 2}

FIGURE_KEYS = (
    "video_convert_p50_s",
    "video_convert_cpu_p50_s",
    "video_convert_p99_s",
    "video_loop_lag_p99_ms",
    "video_loop_lag_process_p99_ms",
    "video_rss_extra_mb",
    "video_rss_extra_process_mb",
    "video_delivery_p50_s",
)


def grid_webp(frames: int, size: int, seed: int = 5) -> bytes:
    """An animated WebP 2x2 grid that moves and carries grain, so it compresses about as badly
    as Midjourney's (about 10 MB at 125 frames of 624x624)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    grain = Image.frombytes("RGB", (size * 2, size * 2), rng.randbytes(size * size * 12))
    base = Image.new("RGB", (size, size), (90, 120, 160))
    half = size // 2
    pictures = []
    for k in range(frames):
        shift = k * 3 % size
        picture = Image.blend(base, grain.crop((shift, k, shift + size, k + size)), 0.35)
        draw = ImageDraw.Draw(picture)
        for cell in range(4):
            x, y = (cell % 2) * half, (cell // 2) * half
            r = size // 16 + k % (size // 20 + 1)
            cx, cy = x + half // 3 + k % half // 2, y + half // 2
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(200, 60 * cell, 90))
        pictures.append(picture)
    out = io.BytesIO()
    pictures[0].save(
        out,
        "WEBP",
        save_all=True,
        append_images=pictures[1:],
        duration=42,
        loop=0,
        quality=60,
        method=0,
    )
    return out.getvalue()


def _sample(sizes: dict[str, int]) -> Path:
    """The sample file, made once per size and kept in the temp folder (it takes seconds)."""
    path = Path("/tmp") / f"mj-bench-grid-{sizes['frames']}x{sizes['size']}.webp"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(grid_webp(sizes["frames"], sizes["size"]))
        partial.replace(path)
    return path


# -- in a child process -------------------------------------------------------------------------


def child_convert(path: str, runs: int, pin: bool = True) -> dict[str, Any]:
    """Time `runs` conversions on one core."""
    from bot.video import for_telegram

    cpu = pin_to_one_core() if pin else None
    data = Path(path).read_bytes()
    times, cpu_times = [], []
    clip = None
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        clip = for_telegram(data, "image/webp")
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    assert clip is not None
    return {
        "cpu": cpu,
        "load_average": os.getloadavg(),
        "times": times,
        "cpu_time_p50_s": percentile(cpu_times, 50),
        "input_mb": len(data) / 2**20,
        "output_mb": len(clip.data) / 2**20,
        "frames": clip.frames,
    }


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and its children (the pool's workers), in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


async def _concurrent(path: str, kind: str, jobs: int, workers: int) -> dict[str, Any]:
    """Submit `jobs` conversions at once to the pool; sample loop lag and memory meanwhile."""
    from bot.video_pool import VideoConverter

    data = await asyncio.to_thread(Path(path).read_bytes)
    converter = VideoConverter(workers=workers, kind=kind)  # type: ignore[arg-type]
    baseline = _tree_rss_mb(os.getpid())
    # A warm-up conversion first: the figures are those of a running bot, not of its start.
    await converter.convert(data, "image/webp")
    lags: list[float] = []
    peak = baseline
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        tick = 0.005
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(tick)
            lags.append(max(0.0, time.perf_counter() - started - tick))
            peak = max(peak, _tree_rss_mb(os.getpid()))

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(converter.convert(data, "image/webp") for _ in range(jobs)))
    done.set()
    await watcher
    await converter.aclose()
    return {"lag_p99_ms": percentile(lags, 99) * 1000, "extra_mb": peak - baseline}


def child_concurrent(path: str, kind: str, jobs: int, workers: int) -> dict[str, Any]:
    return asyncio.run(_concurrent(path, kind, jobs, workers))


def _child(name: str, *args: Any, quick: bool = False) -> dict[str, Any]:
    """Run one child_* function of this module in a fresh interpreter; return its JSON.

    `--quick` calls it in this process, unpinned: its figures mean nothing, and a smoke run
    (tests/test_bench_video.py) need not start an interpreter per figure."""
    if quick:
        if name == "convert":
            return child_convert(*args, pin=False)
        return dict(globals()[f"child_{name}"](*args))
    code = (
        "import json, sys; from bench import video; "
        f"print(json.dumps(video.child_{name}(*json.loads(sys.argv[1]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.video {name} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- figures ------------------------------------------------------------------------------------


def bench_convert(sizes: dict[str, int]) -> list[Figure]:
    path = _sample(sizes)
    result = _child("convert", str(path), sizes["runs"], quick=sizes is QUICK)
    times = result["times"]
    note = (
        f"{sizes['frames']} frames {sizes['size']}x{sizes['size']}, "
        f"{result['input_mb']:.1f} MB WebP -> {result['output_mb']:.1f} MB MP4, "
        f"{len(times)} runs on cpu {result['cpu']}"
    )
    return [
        Figure(
            "video_convert_p50_s",
            "animated WebP grid -> MP4, one core, p50",
            percentile(times, 50),
            "s",
            target=2.0,
            details={**result, "sample": note},
        ),
        Figure(
            "video_convert_cpu_p50_s",
            "… its CPU time, p50 (the same without other load)",
            result["cpu_time_p50_s"],
            "s",
            details={"load_average": result["load_average"]},
        ),
        Figure(
            "video_convert_p99_s",
            "animated WebP grid -> MP4, one core, p99",
            percentile(times, 99),
            "s",
            target=4.0,
            details={"sample": note},
        ),
    ]


def bench_loop(sizes: dict[str, int]) -> list[Figure]:
    """The bot's pool (2 niced threads) against a pool of 2 niced processes, 3 videos each."""
    path = str(_sample(sizes))
    thread = _child("concurrent", path, "thread", 3, 2, quick=sizes is QUICK)
    process = _child("concurrent", path, "process", 3, 2, quick=sizes is QUICK)
    return [
        Figure(
            "video_loop_lag_p99_ms",
            "event-loop lag p99, 3 conversions (thread pool, the bot's)",
            thread["lag_p99_ms"],
            "ms",
            target=20,
            details=thread,
        ),
        Figure(
            "video_loop_lag_process_p99_ms",
            "… the same in a process pool (for comparison)",
            process["lag_p99_ms"],
            "ms",
            details=process,
        ),
        Figure(
            "video_rss_extra_mb",
            "extra RSS during 3 conversions (thread pool)",
            thread["extra_mb"],
            "MB",
            target=150,
            details={"process_pool_extra_mb": round(process["extra_mb"], 1)},
        ),
        Figure(
            "video_rss_extra_process_mb",
            "… the same in a process pool (bot + workers)",
            process["extra_mb"],
            "MB",
        ),
    ]


def bench_e2e(sizes: dict[str, int]) -> list[Figure]:
    """Final video message -> sendAnimation received, 3 videos in flight (bench/video_e2e.py)."""
    from bench.video_e2e import delivery_times

    grid = _sample(sizes).read_bytes()
    quick = sizes is QUICK
    times = asyncio.run(delivery_times(grid, videos=3, rounds=1 if quick else 3, smoke=quick))
    return [
        Figure(
            "video_delivery_p50_s",
            "final video message -> its MP4 received by Telegram, p50 (3 in flight)",
            percentile(times, 50),
            "s",
            target=3.0,
            details={"n": len(times), "times_s": [round(t, 3) for t in times]},
        )
    ]


BENCHES = {"convert": bench_convert, "loop": bench_loop, "e2e": bench_e2e}


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(prog="python -m bench.video")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), default=None)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    figures: list[Figure] = []
    for name, bench in BENCHES.items():
        if args.only and name not in args.only:
            continue
        figures += bench(sizes)
    from bench.__main__ import table

    print(table(figures))
    return figures


if __name__ == "__main__":
    main()

"""Small pieces shared by the benchmarks: figures, percentiles, pictures, RSS, loopback guard."""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

Better = Literal["lower", "higher"]


@dataclass
class Figure:
    """One number of the table, its target (None: reported only) and how it was obtained."""

    key: str
    label: str
    value: float | None
    unit: str
    target: float | None = None
    better: Better = "lower"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        if self.better == "lower":
            return self.value <= self.target
        return self.value >= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "target_is": None if self.target is None else f"{self.better} is better",
            "passed": self.passed,
            "details": self.details,
        }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated like numpy's default."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: list[float]) -> dict[str, float | int]:
    """p50/p90/p99/max in milliseconds, for the details of a figure."""
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p90_ms": round(percentile(seconds, 90) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "min_ms": round(min(seconds) * 1000, 2),
    }


def noise_png(target_bytes: int, seed: int = 7) -> bytes:
    """A PNG of random noise of about `target_bytes`.

    Noise does not compress, so the side is chosen from the byte count (3 bytes a pixel); a
    2 MB grid is then ~836x836. Seeded, so every run uploads the same bytes.
    """
    side = max(8, math.isqrt(target_bytes // 3))
    pixels = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def flat_png(side: int = 256) -> bytes:
    """A tiny PNG (a few hundred bytes) for runs where picture size does not matter."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 160)).save(out, "PNG")
    return out.getvalue()


def rss_mb(pid: int | None = None) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process in MiB, from /proc (Linux)."""
    path = Path(f"/proc/{pid or 'self'}/status")
    found: dict[str, float] = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = round(int(rest.split()[0]) / 1024, 2)  # kB -> MiB
    return found


_LOOPBACK = {"127.0.0.1", "localhost", "::1", None}


def loopback_only() -> None:
    """Refuse name look-ups of anything but this machine: a benchmark never leaves loopback."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            raise OSError(f"bench: network access to {name!r} is not allowed")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded


_NOISY = ("aiohttp.access", "discord", "httpx", "telegram")


def quiet_logging() -> None:
    """WARNING and above only: per-request INFO lines would cost time and flood the output."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(logging.WARNING)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextlib.contextmanager
def bench_process() -> Iterator[None]:
    """`loopback_only` and `quiet_logging` for the length of a run, undone afterwards: the smoke
    tests (tests/test_bench_smoke.py) run it inside a pytest worker, whose later tests must find
    name look-ups and log levels as they were (tests/test_user_gateway.py reads DEBUG lines)."""
    getaddrinfo = socket.getaddrinfo
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in ("", *_NOISY)}
    loopback_only()
    quiet_logging()
    try:
        yield
    finally:
        socket.getaddrinfo = getaddrinfo
        root.handlers[:] = handlers
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def pin_to_one_core() -> int | None:
    """Run this process (and threads it starts later) on a single CPU; return it, if possible."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        cpu = cpus[-1]
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        return None
    return cpu

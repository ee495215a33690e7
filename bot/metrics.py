"""Prometheus metrics of the bot, served on /metrics (bot/health.py).

Counters live at module level, as prometheus-client intends, and are fed by thin hooks: the
Telegram request layer (`ObservedRequest`: 429s and whether Telegram answers), the delivery of a
job (`JobOutcomes`: outcome and latency, once per job), the quota refusal, and the health
monitor (gateway reconnects). Gauges that describe a running bot (queue length, jobs in flight
per account) are read from its dispatcher at scrape time.

Grafana: docs/grafana/bot-dashboard.json charts every series below.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC
from typing import TYPE_CHECKING, Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from telegram.request import HTTPXRequest

from storage.models import utcnow

if TYPE_CHECKING:
    from bridge.dispatcher import Dispatcher
    from storage.models import Job

JOBS = Counter(
    "mj_jobs_total",
    "Jobs told to their chat, by kind and outcome (succeeded, failed); reason: why one failed.",
    ["kind", "outcome", "reason"],
)
RESULT_LATENCY = Histogram(
    "mj_result_latency_seconds",
    "From Midjourney's final message to the result (or failure) delivered in Telegram.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120, 300),
)
TELEGRAM_RATE_LIMITED = Counter(
    "mj_telegram_rate_limited_total", "Telegram Bot API answers 429 (flood control).", ["method"]
)
DISCORD_RATE_LIMITED = Counter(
    "mj_discord_rate_limited_total", "Discord REST answers 429 to the user account's calls."
)
GATEWAY_RECONNECTS = Counter(
    "mj_gateway_reconnects_total",
    "Discord gateway sessions lost and reconnecting (session: bot or user).",
    ["account", "session"],
)
QUOTA_REFUSALS = Counter(
    "mj_quota_refusals_total", "Requests refused for quota, by scope (chat or user).", ["scope"]
)

# Telegram methods are a fixed set, but a label value must never come from outside.
_METHOD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def quota_refused(scope: str) -> None:
    QUOTA_REFUSALS.labels(scope=scope).inc()


class JobOutcomes:
    """Delivery's hook (`delivered`), called once a job's result or failure is recorded as
    delivered: counts the job's outcome, once per job of this bot, and times its latency."""

    def __init__(self, remember: int = 10_000) -> None:
        self._counted: OrderedDict[int, None] = OrderedDict()
        self._remember = remember

    def delivered(self, job: Job) -> None:
        if job.id is None or job.id in self._counted:
            return
        self._counted[job.id] = None
        if len(self._counted) > self._remember:
            self._counted.popitem(last=False)
        outcome = job.status.value.lower()
        JOBS.labels(kind=job.kind.value, outcome=outcome, reason=job.error_kind or "").inc()
        if job.finished_at is not None:
            finished = job.finished_at
            if finished.tzinfo is None:  # SQLite hands back naive UTC
                finished = finished.replace(tzinfo=UTC)
            RESULT_LATENCY.observe(max(0.0, (utcnow() - finished).total_seconds()))


class TelegramLink:
    """Whether Telegram answers: the outcome of the latest calls, kept by ObservedRequest."""

    def __init__(self) -> None:
        self.last_ok: float | None = None  # monotonic time of the latest answered call
        self.failures = 0  # network failures since then
        self.last_error = ""

    def answered(self) -> None:
        self.last_ok, self.failures = time.monotonic(), 0

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        self.last_error = f"{type(error).__name__}: {error}"


class ObservedRequest(HTTPXRequest):
    """PTB's HTTP layer, counting 429s and telling `link` whether Telegram answered."""

    def __init__(self, link: TelegramLink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(url, *args, **kwargs)
        except Exception as exc:  # TimedOut, NetworkError: nothing came back
            self.link.failed(exc)
            raise
        if status >= 500:
            self.link.failed(RuntimeError(f"HTTP {status}"))
        else:
            self.link.answered()
        if status == 429:
            method = url.rsplit("/", 1)[-1]
            if not set(method) <= _METHOD_CHARS or len(method) > 40:
                method = "other"
            TELEGRAM_RATE_LIMITED.labels(method=method).inc()
        return status, payload


class _DispatcherGauges(Collector):
    """Queue length and jobs in flight per account of every running dispatcher."""

    def __init__(self) -> None:
        self.dispatchers: weakref.WeakSet[Dispatcher] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily("mj_queue_length", "Jobs waiting for a Midjourney slot.")
        running = GaugeMetricFamily(
            "mj_jobs_in_flight", "Jobs running in Midjourney, per account.", labels=["account"]
        )
        total = 0
        for dispatcher in list(self.dispatchers):
            total += dispatcher.waiting
            for name, account in dispatcher.accounts.items():
                running.add_metric([name], account.running)
        waiting.add_metric([], total)
        yield waiting
        yield running

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # collected at scrape time only


_GAUGES = _DispatcherGauges()
REGISTRY.register(_GAUGES)


def watch_dispatcher(dispatcher: Dispatcher) -> None:
    _GAUGES.dispatchers.add(dispatcher)

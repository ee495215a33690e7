"""In-process benchmarks of the bridge's hot paths, each run in a fresh child process pinned to
one core: `python -m bench.micro {gateway,parser,database} '<json args>'` prints one JSON line.

A fresh process keeps the figures clear of whatever the end-to-end runs left on the heap; the
pinning makes "per second on one core" literal (aiosqlite's worker thread inherits it).
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.common import loopback_only, pin_to_one_core, quiet_logging
from bridge.accounts import Account
from bridge.backend import EventSink
from bridge.dispatcher import Dispatcher
from bridge.events import JobEvent, JobFailed, JobSucceeded
from bridge.interactions import Interaction
from bridge.parser import parse
from storage.db import Database
from storage.jobs import create_job, move_job, set_job
from storage.models import Job, JobStatus
from storage.quota import charge, reserve

JSON = dict[str, Any]
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "samples"
Payload = tuple[str, JSON]


# -- realistic gateway payloads ------------------------------------------------------------------


def _sample(name: str) -> JSON:
    return dict(json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))["data"])


@dataclass
class _Templates:
    """Recorded-shape messages (tests/data/samples): the first reply, a progress edit with its
    preview, and a finished grid with its PNG and nine buttons."""

    waiting: JSON = field(default_factory=lambda: _sample("01_waiting_to_start"))
    progress: JSON = field(default_factory=lambda: _sample("02_progress_15_fast"))
    final: JSON = field(default_factory=lambda: _sample("08_imagine_grid_fast"))


def job_payloads(templates: _Templates, n: int, nonce: str, prompt: str) -> list[Payload]:
    """The six dispatches Midjourney makes for one /imagine: the reply carrying our nonce,
    three progress edits of it, the final grid (new id, no nonce) and the reply's deletion."""
    base = 1_400_000_000_000_000_000 + n * 16
    reply_id, interaction_id, final_id = str(base), str(base + 1), str(base + 2)
    job_hash = f"{n:08x}-67c7-4d74-b173-8430c98c7631"
    meta = {**templates.waiting["interaction_metadata"], "id": interaction_id}
    head = f"**{prompt}** - <@1012983546824114217>"

    waiting = copy.deepcopy(templates.waiting)
    waiting.update(id=reply_id, nonce=nonce, interaction_metadata=meta)
    waiting["content"] = f"{head} (Waiting to start)"
    payloads: list[Payload] = [("MESSAGE_CREATE", waiting)]
    for percent in (15, 46, 78):
        progress = copy.deepcopy(templates.progress)
        progress.update(id=reply_id, interaction_metadata=meta)
        progress["content"] = f"{head} ({percent}%) (fast)"
        payloads.append(("MESSAGE_UPDATE", progress))
    final = copy.deepcopy(templates.final)
    final.update(id=final_id, interaction_metadata=meta)
    final["content"] = f"{head} (fast)"
    old_hash = "7af96d1a-67c7-4d74-b173-8430c98c7631"
    for attachment in final["attachments"]:
        attachment["filename"] = attachment["filename"].replace(old_hash, job_hash)
        attachment["url"] = attachment["url"].replace(old_hash, job_hash)
    for row in final["components"]:
        for button in row["components"]:
            button["custom_id"] = button["custom_id"].replace(old_hash, job_hash)
    payloads.append(("MESSAGE_CREATE", final))
    payloads.append(("MESSAGE_DELETE", {"id": reply_id, "channel_id": waiting["channel_id"]}))
    return payloads


def interleave(per_job: list[list[Payload]], window: int) -> list[Payload]:
    """`window` jobs run at once, so their messages interleave step by step, as on a gateway."""
    ordered: list[Payload] = []
    for start in range(0, len(per_job), window):
        group = per_job[start : start + window]
        for step in range(max(len(p) for p in group)):
            ordered.extend(p[step] for p in group if step < len(p))
    return ordered


# -- 6: gateway events through parser and dispatcher -----------------------------------------


class _NullBackend:
    """A backend whose Discord accepts every interaction and says nothing by itself: the
    benchmark plays Midjourney's messages into the sink."""

    def __init__(self, expected: int) -> None:
        self.sink: EventSink | None = None
        self.sent: dict[str, str] = {}  # prompt -> nonce
        self.all_sent = asyncio.Event()
        self._expected = expected

    async def start(self, sink: EventSink) -> None:
        self.sink = sink

    async def submit(self, interaction: Interaction) -> None:
        self.sent[interaction.prompt] = interaction.nonce
        if len(self.sent) >= self._expected:
            self.all_sent.set()

    async def fetch(self, url: str) -> bytes:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def _add_jobs(db: Database, prompts: list[str]) -> None:
    """Jobs as the bot stores them: a row and its quota reservation, in one transaction each."""
    for n, prompt in enumerate(prompts):
        async with db.transaction() as session:
            job = await create_job(
                session=session, job=Job(chat_id=1 + n % 20, user_id=1 + n % 20, prompt=prompt)
            )
            assert job.id is not None
            await reserve(
                session=session,
                job_id=job.id,
                chat_id=job.chat_id,
                user_id=job.user_id,
                day="2025-01-01",
                units=1,
                chat_limit=None,
                user_limit=None,
            )


async def gateway(jobs: int, window: int) -> JSON:
    """Events/s of parse + Dispatcher.on_mj_event, with `jobs` jobs holding slots.

    Timed: every payload parsed and handed to the dispatcher (Started/Progress write the job row,
    as in production), then until every job's outcome is written (JobSucceeded): a result
    message costs the dispatcher that write, so it is counted.
    """
    with tempfile.TemporaryDirectory(prefix="bench-gw-") as tmp:
        async with Database(f"sqlite+aiosqlite:///{Path(tmp) / 'gw.db'}") as db:
            prompts = [f"bench gateway job {n:05d} a red fox --ar 1:1" for n in range(jobs)]
            await _add_jobs(db, prompts)
            backend = _NullBackend(jobs)
            # Every job in flight at once, so the timed part is Midjourney's messages only.
            dispatcher = Dispatcher(
                db=db,
                accounts=[Account("main", backend, jobs)],
                queue_limit=jobs,
                job_timeout=600,
            )
            finished = 0
            all_done = asyncio.Event()

            async def on_event(event: JobEvent) -> None:
                nonlocal finished
                if isinstance(event, JobSucceeded | JobFailed):
                    finished += 1
                    if finished == jobs:
                        all_done.set()

            dispatcher.subscribe(on_event)
            await dispatcher.start()
            try:
                async with asyncio.timeout(120):  # every job sent: all slots wait for news
                    await backend.all_sent.wait()
                templates = _Templates()
                per_job = [
                    job_payloads(templates, n, backend.sent[p], p) for n, p in enumerate(prompts)
                ]
                payloads = interleave(per_job, window)

                started = time.perf_counter()
                for event_name, data in payloads:
                    parsed = parse(event_name, data)
                    if parsed is not None:
                        await dispatcher.on_mj_event(parsed)
                fed = time.perf_counter()
                async with asyncio.timeout(120):
                    await all_done.wait()
                ended = time.perf_counter()
            finally:
                await dispatcher.aclose()
    return {
        "events": len(payloads),
        "jobs": jobs,
        "interleave_window": window,
        "seconds": round(ended - started, 4),
        "events_per_s": round(len(payloads) / (ended - started), 1),
        "feed_only_events_per_s": round(len(payloads) / (fed - started), 1),
        "succeeded": finished,
        "event_mix": "per job: CREATE waiting, 3x UPDATE progress, CREATE final, DELETE",
    }


def parser(jobs: int, min_s: float = 0.5) -> JSON:
    """Events/s of `bridge.parser.parse` alone over the same payload mix."""
    templates = _Templates()
    payloads = interleave(
        [job_payloads(templates, n, str(10**18 + n), f"prompt {n}") for n in range(jobs)], 30
    )
    rounds = 0
    started = time.perf_counter()
    # Repeat the mix until at least 0.5 s has passed, so the figure is not a timer artefact.
    while True:
        for event_name, data in payloads:
            parse(event_name, data)
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_s:
            break
    events = rounds * len(payloads)
    return {
        "events": events,
        "seconds": round(elapsed, 4),
        "events_per_s": round(events / elapsed),
    }


# -- 8: job state transitions on SQLite WAL ---------------------------------------------------


async def database(jobs: int) -> JSON:
    """Transitions/s of a job's status writes, each in its own transaction, made exactly as
    the dispatcher makes them: queued -> submitted (move_job: `Launcher.launch` sends what it kept
    from the submission, and checks "still queued" in the UPDATE), -> running (Midjourney's
    first reply),
    -> succeeded with the result columns and the quota charge (`Journal.succeed`). Progress
    percentages are not written (see bridge/intake.py)."""
    buttons = [
        {
            "custom_id": f"MJ::JOB::upsample::{n}::7af96d1a-67c7-4d74-b173-8430c98c7631",
            "label": f"U{n}",
            "emoji": "",
            "style": 2,
            "row": 0,
        }
        for n in range(1, 5)
    ]
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        async with Database(f"sqlite+aiosqlite:///{Path(tmp) / 'db.db'}") as db:
            prompts = [f"p {n}" for n in range(jobs)]
            await _add_jobs(db, prompts)
            async with db.transaction() as session:
                ids = list((await session.exec(select(Job.id).order_by(col(Job.id)))).all())

            async def submitted(session: AsyncSession, job_id: int) -> None:
                await move_job(
                    session=session,
                    job_id=job_id,
                    from_status=JobStatus.QUEUED,
                    status=JobStatus.SUBMITTED,
                    nonce=str(job_id),
                    account="main",
                )

            async def running(session: AsyncSession, job_id: int) -> None:
                await set_job(
                    session=session,
                    job_id=job_id,
                    status=JobStatus.RUNNING,
                    progress=None,
                    progress_message_id="1400000000000000001",
                    interaction_id="1400000000000000002",
                )

            async def succeeded(session: AsyncSession, job_id: int) -> None:
                await set_job(
                    session=session,
                    job_id=job_id,
                    status=JobStatus.SUCCEEDED,
                    progress=100,
                    result_message_id=str(1_400_000_000_000_000_003 + job_id),  # unique
                    result_url="https://cdn.example/a.png",
                    result_filename="a.png",
                    result_kind="grid",
                    buttons=buttons,
                    texts=[],
                )
                await charge(session=session, job_id=job_id)

            started = time.perf_counter()
            # Step by step across all jobs, as many jobs in flight would interleave.
            for step in (submitted, running, succeeded):
                for job_id in ids:
                    assert job_id is not None
                    async with db.transaction() as session:
                        await step(session, job_id)
            elapsed = time.perf_counter() - started
    transitions = jobs * 3
    return {
        "transitions": transitions,
        "seconds": round(elapsed, 4),
        "transitions_per_s": round(transitions / elapsed, 1),
        "per_job": "submitted (move_job: one UPDATE), running, succeeded (+ quota charge)",
        "journal": "WAL, synchronous=NORMAL (storage.db)",
    }


async def in_this_process(name: str, args: JSON) -> JSON:
    """One benchmark in the caller's process and loop, unpinned: for `--quick` runs, whose
    figures mean nothing, so that a smoke run does not start an interpreter per figure."""
    if name == "gateway":
        return await gateway(**args)
    if name == "parser":
        return parser(**args)
    if name == "database":
        return await database(**args)
    raise ValueError(f"unknown micro benchmark {name!r}")


def main(argv: list[str]) -> int:
    name, args = argv[1], json.loads(argv[2])
    loopback_only()
    quiet_logging()
    cpu = pin_to_one_core()
    if name == "gateway":
        result = asyncio.run(gateway(**args))
    elif name == "parser":
        result = parser(**args)
    elif name == "database":
        result = asyncio.run(database(**args))
    else:
        raise SystemExit(f"unknown micro benchmark {name!r}")
    result["pinned_cpu"] = cpu
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

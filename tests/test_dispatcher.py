"""The dispatcher against the simulator backend: slots, queue limit, refusals, restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.accounts import Account
from bridge.dispatcher import Dispatcher
from bridge.errors import QueueFull
from bridge.events import CancelOutcome, JobFailed, JobProgress, JobSucceeded
from bridge.interactions import Interaction
from bridge.parser import parse
from bridge.prompts import prompt_key
from bridge.simulator import MidjourneyModel, SimulatorBackend
from storage.db import Database
from storage.jobs import get_job, update_job
from storage.models import Job, JobKind, JobStatus, QuotaState
from tests.busy_database import database_busy
from tests.helpers import Recorder, add_job, quota_state

SAMPLES = Path(__file__).parent / "data" / "samples"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}") as database:
        yield database


def dispatcher(db: Database, model: MidjourneyModel, **limits: float) -> Dispatcher:
    options = {"concurrency": 2, "queue_limit": 10, "job_timeout": 5.0, **limits}
    return Dispatcher(
        db=db,
        accounts=[Account("main", SimulatorBackend(model), int(options["concurrency"]))],
        queue_limit=int(options["queue_limit"]),
        job_timeout=options["job_timeout"],
    )


async def test_success_charges_and_failure_refunds(db: Database) -> None:
    model = MidjourneyModel(
        step_delay=0.001, image_size=64, error_words={"nsfw": ("Banned prompt detected", "Sorry!")}
    )
    recorder = Recorder()
    async with dispatcher(db, model) as mj:
        mj.subscribe(recorder)
        good = await add_job(db, prompt="a calm lake")
        bad = await add_job(db, prompt="something nsfw")
        await mj.submit(good, chat_id=1)
        await mj.submit(bad, chat_id=1)
        finished = await recorder.finished(2)
        assert mj.in_flight == 0
    by_job = {e.job_id: e for e in finished}
    assert isinstance(by_job[good], JobSucceeded)
    failed = by_job[bad]
    assert isinstance(failed, JobFailed)
    assert failed.reason == "banned_prompt"
    assert await quota_state(db, good) is QuotaState.CHARGED
    assert await quota_state(db, bad) is QuotaState.REFUNDED


async def test_a_refused_interaction_fails_at_once_and_frees_the_slot(db: Database) -> None:
    model = MidjourneyModel(step_delay=0.001, image_size=64)
    recorder = Recorder()
    async with dispatcher(db, model, concurrency=1) as mj:
        mj.subscribe(recorder)
        # A button on a Discord message that does not exist: Discord answers 404.
        stale = await add_job(
            db, kind=JobKind.ACTION, prompt="p", custom_id="MJ::JOB::x", target_message_id="999"
        )
        fresh = await add_job(db, prompt="after the refusal")
        await mj.submit(stale, chat_id=1)
        await mj.submit(fresh, chat_id=1)
        finished = await recorder.finished(2)
    by_job = {e.job_id: e for e in finished}
    assert isinstance(by_job[stale], JobFailed)
    assert by_job[stale].reason == "discord_rejected"
    assert "Unknown Message" in by_job[stale].detail
    assert isinstance(by_job[fresh], JobSucceeded)
    assert await quota_state(db, stale) is QuotaState.REFUNDED


async def test_the_waiting_queue_is_bounded(db: Database) -> None:
    model = MidjourneyModel(step_delay=0.001, image_size=64, hang_words={"hang"})
    async with dispatcher(db, model, concurrency=1, queue_limit=2) as mj:
        first = await add_job(db, prompt="hang on")
        assert await mj.submit(first, chat_id=1) == 0
        await asyncio.sleep(0.05)  # let the slot take it
        assert await mj.submit(await add_job(db, prompt="hang 2"), chat_id=1) == 1
        assert await mj.submit(await add_job(db, prompt="hang 3"), chat_id=1) == 2
        with pytest.raises(QueueFull):
            await mj.submit(await add_job(db, prompt="one too many"), chat_id=1)
        assert (mj.in_flight, mj.waiting) == (1, 2)


async def test_jobs_in_flight_at_a_restart_are_adopted_and_finish(db: Database) -> None:
    model = MidjourneyModel(step_delay=0.05, image_size=64)
    recorder = Recorder()
    first = dispatcher(db, model, concurrency=1)
    first.subscribe(recorder)
    await first.start()
    job_id = await add_job(db, prompt="a slow bridge")
    await first.submit(job_id, chat_id=1)
    await recorder.until(JobProgress)  # Midjourney's "Waiting to start" has been seen
    # The bot dies (its slot tasks vanish); Midjourney carries on, and its messages go to
    # whichever instance starts next.
    for task in first._workers:
        task.cancel()
    await asyncio.gather(*first._workers, return_exceptions=True)
    async with db.transaction() as session:
        job = await get_job(session=session, job_id=job_id)
    assert job is not None
    assert job.status is JobStatus.RUNNING

    backend = first.accounts["main"].backend
    second = Dispatcher(
        db=db, accounts=[Account("main", backend, 1)], queue_limit=5, job_timeout=5.0
    )
    second.subscribe(recorder)
    await second.start()
    try:
        finished = await recorder.finished(1)
    finally:
        await second.aclose()
    assert isinstance(finished[0], JobSucceeded)
    assert len(model.interactions) == 1, "an adopted job must not be sent again"


def test_prompt_key_ignores_parameters_links_and_spacing() -> None:
    sent = "https://example.com/a.png  A red   fox --ar 3:2 --v 6.1"
    echoed = "<https://s.mj.run/abc> a red fox --ar 3:2 --v 6.1 --style raw"
    assert prompt_key(sent) == prompt_key(echoed) == "a red fox"


async def test_update_job_rejects_unknown_ids(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(LookupError):
            await update_job(session=session, job_id=404, status=JobStatus.FAILED)


class _HistoryOnly:
    """A backend whose channel already holds a result; it records what is sent."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.sent: list[Interaction] = []
        self._history = history
        self._changed = asyncio.Condition()

    async def start(self, sink: Any) -> None: ...

    async def submit(self, interaction: Interaction) -> None:
        async with self._changed:
            self.sent.append(interaction)
            self._changed.notify_all()

    async def until_sent(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), 5)

    async def history(self, limit: int) -> list[dict[str, Any]]:
        return self._history

    async def aclose(self) -> None: ...


def _posted_result(prompt: str, when: datetime) -> dict[str, Any]:
    """The recorded grid sample, posted at `when` with this prompt, unknown ids."""
    sample = json.loads((SAMPLES / "08_imagine_grid_fast.json").read_text())["data"]
    snowflake = (int(when.timestamp() * 1000) - 1_420_070_400_000) << 22
    content = sample["content"].replace("a red fox in a snowy forest, golden hour", prompt)
    return {**sample, "id": str(snowflake), "content": content}


@pytest.mark.parametrize(
    ("offset", "taken"), [(timedelta(seconds=5), True), (-timedelta(hours=1), False)]
)
async def test_a_job_sent_just_before_a_stop_takes_its_late_result_from_history(
    db: Database, offset: timedelta, taken: bool
) -> None:
    # Sent, then the bot stopped before Midjourney's first reply; the job finished meanwhile,
    # and the reply that echoed the nonce was deleted: only the result is left in the channel.
    job_id = await add_job(db, prompt="a quiet pond --ar 1:1")
    async with db.transaction() as session:
        job = await update_job(
            session=session, job_id=job_id, status=JobStatus.SUBMITTED, nonce="123"
        )
    posted = job.created_at.replace(tzinfo=UTC) + offset
    backend = _HistoryOnly([_posted_result("a quiet pond", posted)])
    mj = Dispatcher(db=db, accounts=[Account("main", backend, 1)], queue_limit=5, job_timeout=0.3)
    recorder = Recorder()
    mj.subscribe(recorder)
    await mj.start()
    try:
        [outcome] = await recorder.finished(1)
    finally:
        await mj.aclose()
    if taken:  # a result posted after the job was made: its own, nothing sent again
        assert isinstance(outcome, JobSucceeded)
        assert backend.sent == []
    else:  # an older result of the same prompt is somebody else's: sent again, then no news
        assert isinstance(outcome, JobFailed)
        assert [i.nonce for i in backend.sent] == ["123"]


async def _row(db: Database, job_id: int) -> Job:
    async with db.transaction() as session:
        job = await get_job(session=session, job_id=job_id)
    assert job is not None
    return job


async def test_a_freed_slot_sends_its_next_job_while_the_database_is_busy(db: Database) -> None:
    # Midjourney's time is what the bridge must not waste: the slot goes to the next job as
    # soon as a result arrives (before the result is recorded), and a job queued here is sent
    # beside its SUBMITTED write, not after it.
    backend = _HistoryOnly([])
    mj = Dispatcher(db=db, accounts=[Account("main", backend, 1)], queue_limit=5, job_timeout=5)
    recorder = Recorder()
    mj.subscribe(recorder)
    await mj.start()
    try:
        # Made after the start, as the bot makes them: the start claims any job already there.
        first = await add_job(db, prompt="a quiet pond", **mj.ownership())
        second = await add_job(db, prompt="a river", **mj.ownership())
        rows = [await _row(db, first), await _row(db, second)]
        async with database_busy(db):
            await mj.submit(first, chat_id=1, job=rows[0])
            await mj.submit(second, chat_id=2, job=rows[1])
            await backend.until_sent(1)
            result = parse("MESSAGE_CREATE", _posted_result("a quiet pond", datetime.now(UTC)))
            assert result is not None
            assert mj.waiting == 1
            await mj.on_mj_event(result)
            # Within on_mj_event: the finished job's own task wakes a turn of the loop later,
            # behind whatever else is ready on a busy bot.
            assert mj.waiting == 0, "the slot went to the next job at once"
            await backend.until_sent(2)
            assert [i.prompt for i in backend.sent] == ["a quiet pond", "a river"]
            assert not await recorder.finished_so_far(), "nothing can be recorded yet"
        [outcome] = await recorder.finished(1)
        assert isinstance(outcome, JobSucceeded)
        assert outcome.job_id == first
        sent = await _row(db, second)
        # Written once the database was free: a restart knows it is at Midjourney.
        assert (sent.status, sent.nonce, sent.account) == (
            JobStatus.SUBMITTED,
            backend.sent[1].nonce,
            "main",
        )
    finally:
        await mj.aclose()


async def test_with_its_leases_in_doubt_a_process_stores_a_job_before_sending_it(
    db: Database,
) -> None:
    # Another process may take over jobs whose leases ran out; its SUBMITTED write is guarded by
    # the job's status, so a job goes out from one process only. Here the last renewal is as
    # good as half a lease ago (a stuck database): the write must come first.
    backend = _HistoryOnly([])
    mj = Dispatcher(db=db, accounts=[Account("main", backend, 1)], queue_limit=5, job_timeout=5)
    await mj.start()
    try:
        job_id = await add_job(db, prompt="a quiet pond", **mj.ownership())
        row = await _row(db, job_id)
        mj._leases.renewed(-mj.lease_s)  # renewed long ago: the leases are in doubt
        async with database_busy(db):
            await mj.submit(job_id, chat_id=1, job=row)
            await asyncio.sleep(0.1)
            assert backend.sent == []
        await backend.until_sent(1)
        assert (await _row(db, job_id)).nonce == backend.sent[0].nonce
    finally:
        await mj.aclose()


async def test_a_cancel_that_races_the_result_leaves_the_result_to_be_delivered(
    db: Database,
) -> None:
    model = MidjourneyModel(step_delay=0.05, image_size=64)
    recorder = Recorder()
    async with dispatcher(db, model, concurrency=1) as mj:
        mj.subscribe(recorder)
        job_id = await add_job(db, prompt="a racing snail")
        await mj.submit(job_id, chat_id=1)
        progress = await recorder.until(JobProgress)
        assert progress[-1].cancellable, "Midjourney's progress message offers Cancel Job"
        backend = mj.accounts["main"].backend
        send = backend.submit

        async def late(interaction: Interaction) -> None:
            # The press reaches Midjourney only once the job has finished there.
            if (interaction.custom_id or "").startswith("MJ::CancelJob::"):
                await recorder.finished(1)
            await send(interaction)

        backend.submit = late  # type: ignore[method-assign]
        assert await mj.cancel(job_id) is CancelOutcome.FINISHED
        assert await mj.cancel(job_id) is CancelOutcome.FINISHED
    assert isinstance((await recorder.finished(1))[0], JobSucceeded)
    assert await quota_state(db, job_id) is QuotaState.CHARGED


async def test_a_cancelled_waiting_job_leaves_the_queue_refunded_and_never_runs(
    db: Database,
) -> None:
    model = MidjourneyModel(step_delay=0.001, image_size=64, hang_words={"hang"})
    recorder = Recorder()
    async with dispatcher(db, model, concurrency=1) as mj:
        mj.subscribe(recorder)
        running = await add_job(db, prompt="hang on")
        waiting = await add_job(db, prompt="never sent")
        await mj.submit(running, chat_id=1)
        assert await mj.submit(waiting, chat_id=2) == 1
        assert await mj.cancel(waiting) is CancelOutcome.CANCELLED
        failed = await recorder.finished(1)
        assert mj.waiting == 0
        await recorder.until(JobProgress)  # the running job reached Midjourney
    assert failed == [JobFailed(waiting, "cancelled", "")]
    assert await quota_state(db, waiting) is QuotaState.REFUNDED
    assert [prompt_of_payload(p) for p in model.interactions] == ["hang on"]


def prompt_of_payload(payload: dict[str, Any]) -> str:
    return str(payload["data"]["options"][0]["value"])

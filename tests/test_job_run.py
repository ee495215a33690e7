"""The pieces of a job's run on their own, with in-memory stubs: no database, no network.

bridge/intake.py (Midjourney's messages), bridge/launch.py (the send), bridge/outcomes.py
(the wait and what comes of it), bridge/runs.py (the runs in hand), bridge/journal.py (the
writes and the events, over stand-ins for storage's lifecycle calls) and bridge/lease_upkeep.py
(the leases kept and the claimed jobs picked up, over stand-ins for storage's lease calls).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bridge import journal as journal_module
from bridge import lease_upkeep as lease_upkeep_module
from bridge.accounts import Account
from bridge.correlation import Correlator
from bridge.errors import BridgeError, DiscordMaybeSent
from bridge.events import (
    CancelOutcome,
    Failure,
    JobAsks,
    JobFailed,
    JobProgress,
    JobStarted,
    JobSucceeded,
    ResultDeleted,
)
from bridge.health import AccountPool
from bridge.inpaint import InpaintRefused
from bridge.intake import Intake
from bridge.interactions import Interaction
from bridge.journal import Journal
from bridge.launch import Launcher
from bridge.lease_upkeep import LeaseUpkeep
from bridge.messages import (
    Button,
    Completed,
    Deleted,
    ErrorKind,
    Failed,
    IframeOpened,
    InteractionAck,
    MessageRef,
    ModalOpened,
    Progress,
    ResultKind,
)
from bridge.outcomes import Outcomes
from bridge.recovery import LeaseClock
from bridge.runs import Order, Run, Runs
from bridge.slots import Line, Slot, Turn
from storage.models import Job, JobKind, JobStatus

CHANNEL = "7"


class StubBackend:
    def __init__(self, refuse: BridgeError | None = None) -> None:
        self.sent: list[Interaction] = []
        self.refuse = refuse

    async def submit(self, interaction: Interaction) -> None:
        self.sent.append(interaction)
        if self.refuse is not None:
            raise self.refuse


class StubJournal:
    """Records what a run would write and tell; rows live in a dict."""

    def __init__(self, *rows: Job) -> None:
        self.rows = {row.id: row for row in rows}
        self.events: list[object] = []
        self.writes: list[tuple[Any, ...]] = []
        self.taken: set[str] = set()  # result messages another job has already
        self.broken = False  # progress writes raise
        self.mask_refused = False

    async def emit(self, event: object) -> None:
        self.events.append(event)

    def store_beside(self, job_id: int, changes: dict[str, object]) -> None:
        self.writes.append(("beside", job_id, changes))

    async def store_launch(
        self, job_id: int, order: Order | None, nonce: str, account: Account
    ) -> Order | None:
        self.writes.append(("launch", job_id))
        if order is None:
            job = self.rows.get(job_id)
            if job is None or job.status is not JobStatus.QUEUED:
                return None
            order = Order.of(job)
        return order.on(account)

    async def read(self, job_id: int) -> Job | None:
        return self.rows.get(job_id)

    async def update(self, job_id: int, **changes: object) -> Job:
        self.writes.append(("update", job_id, changes))
        job = self.rows[job_id]
        for name, value in changes.items():
            setattr(job, name, value)
        return job

    async def progress(
        self, job_id: int, percent: int | None, message_id: str, interaction_id: str | None
    ) -> None:
        if self.broken:
            raise RuntimeError("database gone")
        self.writes.append(("progress", job_id, message_id, interaction_id))

    async def send_mask(self, backend: object, job_id: int, custom_id: str) -> None:
        self.writes.append(("mask", job_id, custom_id))
        if self.mask_refused:
            raise InpaintRefused("no mask was painted for this job")

    async def succeed(self, job_id: int, result: Completed) -> bool:
        self.writes.append(("succeed", job_id, result.ref.message_id))
        return result.ref.message_id not in self.taken

    async def fail(self, job_id: int, reason: str, detail: str) -> None:
        self.writes.append(("fail", job_id, str(reason), detail))


def account(backend: StubBackend | None = None, concurrency: int = 1) -> Account:
    return Account("main", backend or StubBackend(), concurrency, channel_id=CHANNEL)  # type: ignore[arg-type]


def order(prompt: str = "a red fox") -> Order:
    return Order(JobKind.IMAGINE, prompt, (), None, None, 0)


def ref(message_id: str, **fields: Any) -> MessageRef:
    return MessageRef(message_id, CHANNEL, **fields)


def progress(message_id: str, percent: int, prompt: str = "a red fox", **fields: Any) -> Progress:
    return Progress(ref=ref(message_id, **fields), prompt=prompt, percent=percent)


def grid(message_id: str, prompt: str = "a red fox", **fields: Any) -> Completed:
    return Completed(ref(message_id, **fields), prompt, ResultKind.GRID, None, None)


def intake_of(journal: StubJournal, guess_delay: float = 0.0) -> tuple[Intake, Runs]:
    runs = Runs(Correlator())
    return Intake(runs, journal, guess_delay=guess_delay), runs  # type: ignore[arg-type]


async def turns_until(condition: Callable[[], bool]) -> None:
    """Let other tasks run until `condition` holds (a few loop turns, no clock)."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


def freed() -> tuple[Slot, list[Account]]:
    """A held slot that records each give-back."""
    given: list[Account] = []
    target = account()
    target.running = 1
    return Slot(target, given.append), given


# -- intake -------------------------------------------------------------------------------


async def test_progress_is_written_when_its_ids_change_and_told_at_every_percent() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal)
    run = runs.track(1, order(), "n1", account())
    cancel = (Button("MJ::CancelJob::ByJobid::abc"),)
    await intake.take(progress("m1", 10, nonce="n1"))
    await intake.take(replace(progress("m1", 50), buttons=cancel))
    # The other session's copy: the same message, with the fields only one session is shown.
    await intake.take(replace(progress("m1", 50, nonce="n1"), buttons=cancel))
    assert journal.writes == [("progress", 1, "m1", None)]
    assert journal.events == [JobProgress(1, 10), JobProgress(1, 50, cancellable=True)]
    assert run.cancel == ("m1", "MJ::CancelJob::ByJobid::abc", 0)


async def test_a_failed_progress_write_is_tried_again_by_the_next_message() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal)
    run = runs.track(1, order(), "n1", account())
    journal.broken = True
    with pytest.raises(RuntimeError):
        await intake.take(progress("m1", 10, nonce="n1"))
    assert run.stored is None
    journal.broken = False
    await intake.take(progress("m1", 20))
    assert journal.writes == [("progress", 1, "m1", None)]


async def test_a_result_settles_its_run_and_frees_the_slot_before_it_is_recorded() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal)
    run = runs.track(1, order(), "n1", account())
    run.slot, given = freed()
    await intake.take(progress("m1", 10, nonce="n1"))
    await intake.take(grid("m2", reference_id="m1"))
    assert isinstance(run.outcome, Completed)
    assert not run.track.open
    assert len(given) == 1, "the next job's send does not wait for the bookkeeping"
    assert [w[0] for w in journal.writes] == ["progress"]


async def test_a_deleted_progress_message_is_nothing_and_any_other_may_be_a_result() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal)
    runs.track(1, order(), "n1", account())
    await intake.take(progress("m1", 10, nonce="n1"))
    await intake.take(Deleted("m1", CHANNEL))
    await intake.take(Deleted("m9", CHANNEL))
    assert journal.events[1:] == [ResultDeleted("m9")]


async def test_a_message_only_a_shared_prompt_points_at_goes_to_the_oldest_job_later() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal, guess_delay=0.01)
    first = runs.track(1, order(), "n1", account())
    second = runs.track(2, order(), "n2", account())
    await intake.take(grid("m1"))
    assert first.outcome is None, "it waits for a better copy"
    assert second.outcome is None
    await asyncio.gather(*intake.pending())
    assert isinstance(first.outcome, Completed)
    assert second.outcome is None


async def test_a_better_copy_within_the_guess_delay_wins() -> None:
    journal = StubJournal()
    intake, runs = intake_of(journal, guess_delay=0.05)
    first = runs.track(1, order(), "n1", account())
    second = runs.track(2, order(), "n2", account())
    await intake.take(grid("m1"))
    await intake.take(grid("m1", nonce="n2"))
    await asyncio.gather(*intake.pending())
    assert first.outcome is None
    assert isinstance(second.outcome, Completed)


async def test_acks_and_forms_and_the_users_answer() -> None:
    journal = StubJournal(Job(id=1, chat_id=1, prompt="p"))
    intake, runs = intake_of(journal)
    run = runs.track(1, order(), "n1", account())
    await intake.take(InteractionAck("n1", "i1", accepted=True))
    assert run.track.interaction_ids == ["i1"]
    await intake.take(ModalOpened("n1", "i2", "MJ::OutpaintCustomZoomModal::x", ("f",)))
    assert run.modal is not None
    assert journal.events == []
    asks = ModalOpened("n1", "i3", "MJ::AnimateModal::x", ("f",))
    await intake.take(asks)
    assert journal.events == [JobAsks(1)]
    assert await intake.answer(1, "slowly") is True
    assert (run.modal, run.asking) == (asks, None)
    assert journal.writes == [("update", 1, {"modal_text": "slowly"})]
    assert await intake.answer(1, "again") is False, "nothing waits any more"


async def test_a_refused_interaction_settles_the_run() -> None:
    intake, runs = intake_of(StubJournal())
    run = runs.track(1, order(), "n1", account())
    await intake.take(InteractionAck("n1", "i1", accepted=False))
    assert run.outcome is Failure.REFUSED


async def test_midjourneys_stopped_is_our_cancel_only_when_we_pressed_it() -> None:
    intake, runs = intake_of(StubJournal())
    run = runs.track(1, order(), "n1", account())
    stopped = Failed(ref("m1", nonce="n1"), ErrorKind.STOPPED, "Job stopped", "")
    run.cancelling = True
    await intake.take(stopped)
    assert run.outcome is Failure.CANCELLED
    other = runs.track(2, order("a cat"), "n2", account())
    await intake.take(replace(stopped, ref=ref("m2", nonce="n2")))
    assert isinstance(other.outcome, Failed)


async def test_the_catch_up_settles_late_results_and_marks_the_traceless_for_resending() -> None:
    intake, runs = intake_of(StubJournal())
    job = Job(id=1, chat_id=1, prompt="a red fox", nonce="n1", status=JobStatus.SUBMITTED)
    found = runs.adopt(job, account())
    lost = runs.adopt(replace_job(job, id=2, prompt="a blue owl", nonce="n2"), account())
    # A message Discord made an hour after the jobs were.
    late = grid(str((int(time.time() * 1000) + 3_600_000 - 1_420_070_400_000) << 22))
    await intake.catch_up([None, late], [found, lost])
    assert found.outcome == late
    assert lost.outcome is None
    assert lost.resend


def replace_job(job: Job, **changes: Any) -> Job:
    return Job(**{**job.model_dump(), **changes})


# -- runs -----------------------------------------------------------------------------------


def test_an_adopted_run_keeps_what_its_row_knows_and_a_release_forgets_it() -> None:
    runs = Runs(Correlator())
    job = Job(
        id=3, chat_id=1, prompt="p", nonce="n3", status=JobStatus.RUNNING,
        progress_message_id="m3", interaction_id="i3",
    )  # fmt: skip
    run = runs.adopt(job, account())
    assert run.stored == ("m3", "i3")
    assert run.track.since is not None
    assert run.track.since.tzinfo is not None
    assert runs.correlator.match(progress("m3", 5)) is run.track
    assert len(runs) == 1
    assert runs.open(3) is run
    run.settle(grid("m4"))
    assert runs.open(3) is None
    assert runs.get(3) is run
    runs.release(3)
    assert runs.get(3) is None
    assert len(runs) == 0
    assert runs.correlator.match(grid("m4")) is None, "its result is nobody's now"


# -- launch ---------------------------------------------------------------------------------


async def test_with_sure_leases_a_kept_job_is_sent_with_its_write_beside_the_send() -> None:
    journal = StubJournal()
    runs = Runs(Correlator())
    leases = LeaseClock(60.0)
    leases.renewed(leases.now())
    launcher = Launcher(runs, journal, leases)  # type: ignore[arg-type]
    backend = StubBackend()
    slot = Slot(account(backend), lambda _: None)
    launcher.keep(1, Job(id=1, chat_id=1, prompt="a red fox"))
    run = await launcher.launch(1, slot)
    assert run is not None
    assert run.slot is slot
    assert runs.get(1) is run
    assert [w[0] for w in journal.writes] == ["beside"]
    assert journal.events == [JobStarted(1)]
    assert [i.prompt for i in backend.sent] == ["a red fox"]
    assert backend.sent[0].nonce == run.track.nonce


async def test_with_leases_in_doubt_the_row_is_read_and_stored_before_the_send() -> None:
    journal = StubJournal(Job(id=1, chat_id=1, prompt="p", status=JobStatus.QUEUED))
    runs = Runs(Correlator())
    launcher = Launcher(runs, journal, LeaseClock(60.0))  # type: ignore[arg-type]
    backend = StubBackend()
    assert await launcher.launch(1, Slot(account(backend), lambda _: None)) is not None
    assert journal.writes == [("launch", 1)]
    journal.rows[1].status = JobStatus.SUBMITTED  # another process sent it
    runs.release(1)
    assert await launcher.launch(1, Slot(account(backend), lambda _: None)) is None
    assert len(backend.sent) == 1
    assert runs.get(1) is None


async def test_a_refused_send_fails_the_job_and_a_maybe_sent_one_waits() -> None:
    journal = StubJournal(
        Job(id=1, chat_id=1, prompt="p", status=JobStatus.QUEUED),
        Job(id=2, chat_id=1, prompt="q", status=JobStatus.QUEUED),
    )
    launcher = Launcher(Runs(Correlator()), journal, LeaseClock(60.0))  # type: ignore[arg-type]
    refused = StubBackend(refuse=BridgeError("no such channel"))
    assert await launcher.launch(1, Slot(account(refused), lambda _: None)) is None
    assert journal.writes[-1] == ("fail", 1, "discord_rejected", "no such channel")
    maybe = StubBackend(refuse=DiscordMaybeSent("timed out"))
    assert await launcher.launch(2, Slot(account(maybe), lambda _: None)) is not None


async def test_an_adopted_job_is_sent_again_only_without_a_trace() -> None:
    job = Job(id=1, chat_id=1, prompt="p", nonce="n1", status=JobStatus.SUBMITTED)
    journal = StubJournal(job)
    runs = Runs(Correlator())
    launcher = Launcher(runs, journal, LeaseClock(60.0))  # type: ignore[arg-type]
    backend = StubBackend()
    run = runs.adopt(job, account(backend))
    slot = Slot(run.account, lambda _: None)
    assert await launcher.adopt(1, slot) is run
    assert backend.sent == []
    run.resend = True
    assert await launcher.adopt(1, slot) is run
    assert [i.nonce for i in backend.sent] == ["n1"], "the same nonce: Discord drops a repeat"
    assert await launcher.adopt(9, slot) is None


# -- outcomes -------------------------------------------------------------------------------


def outcomes_of(journal: StubJournal, paused: list[tuple[str, str]]) -> Outcomes:
    async def pause(reason: str, name: str) -> None:
        paused.append((reason, name))

    return Outcomes(journal, Correlator(), job_timeout=0.05, pause=pause)  # type: ignore[arg-type]


def run_of(backend: StubBackend | None = None, job_id: int = 1) -> Run:
    return Runs(Correlator()).track(job_id, order(), f"n{job_id}", account(backend))


async def test_a_result_is_recorded_and_a_silent_job_times_out() -> None:
    journal = StubJournal()
    outcomes = outcomes_of(journal, [])
    run = run_of()
    slot, given = freed()
    run.settle(grid("m1"))
    await outcomes.await_outcome(run, slot)
    assert journal.writes == [("succeed", 1, "m1")]
    assert len(given) == 1
    silent = run_of(job_id=2)
    await outcomes.await_outcome(silent, freed()[0])
    assert journal.writes[-1] == ("fail", 2, "timeout", "")


async def test_a_result_that_was_another_jobs_puts_the_run_back_to_waiting() -> None:
    journal = StubJournal()
    journal.taken.add("m1")
    outcomes = outcomes_of(journal, [])
    run = run_of()
    slot, _ = freed()
    run.settle(grid("m1"))
    task = asyncio.create_task(outcomes.await_outcome(run, slot))
    await turns_until(lambda: run.outcome is None)
    assert run.track.open, "back at Midjourney"
    assert slot.held, "holding a slot again"
    run.settle(grid("m2"))
    await task
    assert [w[2] for w in journal.writes] == ["m1", "m2"]


async def test_an_error_that_wants_a_person_fails_the_job_and_pauses_its_account() -> None:
    journal = StubJournal()
    paused: list[tuple[str, str]] = []
    run = run_of()
    run.settle(Failed(ref("m1"), ErrorKind.CREDITS_EXHAUSTED, "Credits exhausted", "Top up"))
    await outcomes_of(journal, paused).await_outcome(run, freed()[0])
    assert journal.writes == [("fail", 1, "credits_exhausted", "Top up")]
    assert paused == [("Credits exhausted: Top up", "main")]


async def test_midjourneys_form_is_filled_in_with_the_jobs_words() -> None:
    journal = StubJournal(Job(id=1, chat_id=1, prompt="a red fox", modal_text=None))
    backend = StubBackend()
    run = run_of(backend)
    run.modal = ModalOpened("n1", "i1", "MJ::OutpaintCustomZoomModal::x", ("f1", "f2"))
    run.news.set()
    task = asyncio.create_task(outcomes_of(journal, []).await_outcome(run, freed()[0]))
    await turns_until(lambda: bool(backend.sent))
    sent = backend.sent[0]
    assert (sent.modal_id, sent.fields) == ("i1", (("f1", "a red fox"),))
    assert run.track.nonce == sent.nonce == journal.rows[1].nonce
    run.settle(Failure.CANCELLED)
    await task


async def test_a_refused_mask_fails_the_job() -> None:
    journal = StubJournal()
    journal.mask_refused = True
    run = run_of()
    run.iframe = IframeOpened("n1", "i1", "MJ::iframe::t")
    await outcomes_of(journal, []).await_outcome(run, freed()[0])
    # The outcome's own failure after it changes nothing: the job has failed already.
    assert journal.writes[:2] == [
        ("mask", 1, "MJ::iframe::t"),
        ("fail", 1, "inpaint_refused", "no mask was painted for this job"),
    ]
    assert run.outcome is Failure.INPAINT_REFUSED


async def test_cancel_presses_cancel_job_or_says_why_not() -> None:
    outcomes = outcomes_of(StubJournal(), [])
    backend = StubBackend()
    run = run_of(backend)
    assert await outcomes.cancel(run) is CancelOutcome.NOT_NOW, "no Cancel Job offered yet"
    run.cancel = ("m1", "MJ::CancelJob::ByJobid::abc", 64)
    assert await outcomes.cancel(run) is CancelOutcome.CANCELLED
    assert run.outcome is Failure.CANCELLED
    assert (backend.sent[0].custom_id, backend.sent[0].message_flags) == (run.cancel[1], 64)
    refused = run_of(StubBackend(refuse=BridgeError("Unknown Message")), job_id=2)
    refused.cancel = ("m2", "MJ::CancelJob::ByJobid::def", 0)
    assert await outcomes.cancel(refused) is CancelOutcome.NOT_NOW
    assert not refused.cancelling
    assert refused.outcome is None


# -- journal --------------------------------------------------------------------------------


class StubDatabase:
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[object]:
        yield object()


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """storage/jobs.py's lifecycle calls as the journal makes them, recorded."""
    calls: list[tuple[Any, ...]] = []
    gate = asyncio.Event()

    async def launch_job(*, session: object, job_id: int, **changes: Any) -> bool:
        await gate.wait()
        calls.append(("launch", job_id))
        return True

    async def fail_job(*, session: object, job_id: int, kind: str, detail: str) -> bool:
        calls.append(("fail", job_id, kind))
        return job_id != 9  # job 9 has finished already

    async def succeed_job(*, session: object, job_id: int, **result: Any) -> None:
        if result["result_message_id"] == "taken":
            raise IntegrityError("UPDATE job", {}, Exception("UNIQUE"))
        calls.append(("succeed", job_id))

    for name, fake in (("launch_job", launch_job), ("fail_job", fail_job),
                       ("succeed_job", succeed_job)):  # fmt: skip
        monkeypatch.setattr(journal_module, name, fake)
    calls.append(gate)
    return calls


async def test_every_later_write_waits_for_the_launch_beside_the_send(
    lifecycle: list[Any],
) -> None:
    gate = lifecycle.pop()
    journal = Journal(StubDatabase())  # type: ignore[arg-type]
    journal.store_beside(1, {"nonce": "n1"})
    failing = asyncio.create_task(journal.fail(1, Failure.TIMEOUT, ""))
    await asyncio.sleep(0.01)
    assert lifecycle == [], "the failure waits for SUBMITTED"
    gate.set()
    await failing
    assert lifecycle == [("launch", 1), ("fail", 1, "timeout")]


async def test_a_stop_lets_the_launch_writes_land_even_of_released_jobs(
    lifecycle: list[Any],
) -> None:
    gate = lifecycle.pop()
    journal = Journal(StubDatabase())  # type: ignore[arg-type]
    journal.store_beside(1, {})
    journal.forget(1)
    draining = asyncio.create_task(journal.drain())
    await asyncio.sleep(0.01)
    assert not draining.done()
    gate.set()
    await draining
    assert lifecycle == [("launch", 1)]


async def test_outcomes_are_told_once_and_a_broken_listener_stops_no_other(
    lifecycle: list[Any],
) -> None:
    lifecycle.pop()
    journal = Journal(StubDatabase())  # type: ignore[arg-type]
    heard: list[object] = []

    async def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    async def listener(event: object) -> None:
        heard.append(event)

    journal.subscribe(broken)  # type: ignore[arg-type]
    journal.subscribe(listener)  # type: ignore[arg-type]
    assert await journal.succeed(1, grid("m1")) is True
    assert await journal.succeed(2, grid("taken")) is False
    await journal.fail(3, Failure.LOST, "gone")
    await journal.fail(9, Failure.LOST, "")  # finished already: nothing to tell
    assert heard == [JobSucceeded(1), JobFailed(3, "lost", "gone")]


# -- lease upkeep ---------------------------------------------------------------------------


class HistoryBackend(StubBackend):
    def __init__(self, messages: list[dict[str, Any]] | None) -> None:
        super().__init__()
        self.messages = messages  # None: the channel's history is unavailable
        self.reads = 0

    async def history(self, limit: int) -> list[dict[str, Any]]:
        self.reads += 1
        if self.messages is None:
            raise BridgeError("history unavailable")
        return self.messages


class Claims:
    """storage/leases.py's calls as the upkeep makes them: each recorded; what a claim of our
    own jobs returns (`mine`) and what each later claim of a stopped process's does."""

    def __init__(self, mine: list[Job], *theirs: list[Job], broken: int = 0) -> None:
        self.mine = mine
        self.theirs = list(theirs)
        self.broken = broken  # renewals that raise first
        self.calls: list[tuple[object, ...]] = []

    async def claim_jobs(
        self, *, session: object, owner: str, lease_s: float, mine: bool
    ) -> list[Job]:
        self.calls.append(("claim", owner, mine))
        if mine:
            return self.mine
        return self.theirs.pop(0) if self.theirs else []

    async def renew_leases(self, *, session: object, owner: str, lease_s: float) -> int:
        self.calls.append(("renew", owner))
        if self.broken:
            self.broken -= 1
            raise RuntimeError("database gone")
        return 0


def upkeep_of(
    monkeypatch: pytest.MonkeyPatch, claims: Claims, backend: StubBackend, lease_s: float = 60.0
) -> tuple[LeaseUpkeep, Line, Runs, StubJournal, list[tuple[int, int]], LeaseClock]:
    """A lease upkeep over one account "main"; each refill records the line's (queued jobs,
    all jobs) at that moment."""
    for name in ("claim_jobs", "renew_leases"):
        monkeypatch.setattr(lease_upkeep_module, name, getattr(claims, name))
    journal = StubJournal()
    intake, runs = intake_of(journal)
    pool = AccountPool([account(backend)])
    line = Line(pool.names())
    leases = LeaseClock(lease_s, clock=lambda: 0.0)
    refills: list[tuple[int, int]] = []
    upkeep = LeaseUpkeep(
        db=StubDatabase(), owner="main", leases=leases, pool=pool, line=line, runs=runs,  # type: ignore[arg-type]
        intake=intake, journal=journal, refill=lambda _: refills.append((line.queued, len(line))),  # type: ignore[arg-type]
    )  # fmt: skip
    return upkeep, line, runs, journal, refills, leases


def claimed(job_id: int, status: JobStatus, account: str | None = "main", **fields: Any) -> Job:
    return Job(id=job_id, chat_id=1, prompt=f"job {job_id}", status=status, account=account,
               nonce=f"n{job_id}", **fields)  # fmt: skip


def turns_of(line: Line) -> list[Turn]:
    target = account()
    return list(iter(lambda: line.next_for(target), None))


async def test_our_claimed_jobs_wait_again_are_followed_up_after_the_history_or_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claims = Claims([
        claimed(1, JobStatus.QUEUED),
        claimed(2, JobStatus.SUBMITTED),
        claimed(3, JobStatus.PREPARING),
        claimed(4, JobStatus.RUNNING, account="removed"),
        claimed(5, JobStatus.SUCCEEDED),  # the delivery's
    ])  # fmt: skip
    backend = HistoryBackend([])
    upkeep, line, runs, journal, refills, leases = upkeep_of(monkeypatch, claims, backend)
    assert not leases.sure
    await upkeep.claim_mine()
    assert claims.calls == [("claim", "main", True)]
    assert leases.sure
    assert backend.reads == 1
    run = runs.get(2)
    assert run is not None
    assert run.resend, "no trace of it in the history: sent again"
    # The queued job can take a slot at once; the adopted one only after the catch-up.
    assert refills == [(1, 1), (1, 2)]
    assert turns_of(line) == [Turn(2, adopted=True), Turn(1, adopted=False)]
    assert journal.writes == [
        ("fail", 3, "lost", "interrupted while uploading pictures"),
        ("fail", 4, "lost", "its account is no longer configured"),
    ]
    assert journal.events == []


async def test_without_the_history_an_adopted_job_waits_for_new_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claims = Claims([claimed(2, JobStatus.RUNNING)])
    upkeep, line, runs, _, _, _ = upkeep_of(monkeypatch, claims, HistoryBackend(None))
    await upkeep.claim_mine()
    run = runs.get(2)
    assert run is not None
    assert not run.resend, "maybe at Midjourney: never sent twice"
    assert turns_of(line) == [Turn(2, adopted=True)]


async def test_the_upkeep_renews_takes_over_and_outlives_a_failed_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs = [
        claimed(7, JobStatus.SUCCEEDED),
        claimed(8, JobStatus.FAILED, error_kind="timeout", error="no answer"),
        claimed(9, JobStatus.QUEUED, account=None),
    ]
    claims = Claims([], theirs, broken=1)
    upkeep, line, _, journal, _, leases = upkeep_of(
        monkeypatch, claims, HistoryBackend([]), lease_s=0.003
    )
    keeping = asyncio.create_task(upkeep.keep())
    for _ in range(2000):
        if journal.events:
            break
        await asyncio.sleep(0.001)
    keeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await keeping
    assert claims.calls[:3] == [("renew", "main"), ("renew", "main"), ("claim", "main", False)]
    assert leases.sure
    # A stopped process's finished jobs are told, so that this process delivers them.
    assert journal.events == [JobSucceeded(7), JobFailed(8, "timeout", "no answer")]
    assert list(line) == [9]

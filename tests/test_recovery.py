"""Restart recovery's plain logic: sorting claimed jobs, announcing taken-over outcomes, the
lease clock, reading history. No database, no network."""

from __future__ import annotations

from bridge.accounts import Account
from bridge.events import JobFailed, JobSucceeded
from bridge.health import AccountPool
from bridge.messages import Started
from bridge.recovery import LeaseClock, history_events, outcomes_of, sort_claimed
from storage.models import Job, JobStatus


def job(job_id: int, status: JobStatus, account: str | None = None, **fields: object) -> Job:
    return Job(
        id=job_id, chat_id=1, user_id=1, prompt="p", status=status, account=account, **fields
    )


def pool(*names: str) -> AccountPool:
    return AccountPool([Account(name, backend=None, concurrency=1) for name in names])  # type: ignore[arg-type]


def test_claimed_jobs_are_sorted_by_what_becomes_of_them() -> None:
    claimed = sort_claimed(
        [
            job(1, JobStatus.QUEUED),
            job(2, JobStatus.RUNNING, "b"),
            job(3, JobStatus.SUBMITTED),  # from before the pool: the first account's
            job(4, JobStatus.PREPARING),
            job(5, JobStatus.RUNNING, "gone"),
            job(6, JobStatus.SUCCEEDED, "a"),
        ],
        pool("a", "b"),
    )
    assert [j.id for j in claimed.queued] == [1]
    assert {name: [j.id for j in jobs] for name, jobs in claimed.in_flight.items()} == {
        "b": [2],
        "a": [3],
    }
    assert claimed.interrupted == [4]
    assert claimed.gone == [5]


def test_outcomes_a_stopped_process_never_delivered_are_announced() -> None:
    jobs = [
        job(1, JobStatus.SUCCEEDED),
        job(2, JobStatus.FAILED, error_kind="timeout", error=""),
        job(3, JobStatus.RUNNING),
    ]
    assert outcomes_of(jobs) == [JobSucceeded(1), JobFailed(2, "timeout", "")]


def test_leases_are_sure_for_half_a_lease_after_a_renewal() -> None:
    now = [100.0]
    clock = LeaseClock(60.0, clock=lambda: now[0])
    assert not clock.sure
    clock.renewed(100.0)
    now[0] = 129.0
    assert clock.sure
    now[0] = 130.5
    assert not clock.sure
    assert clock.renew_every == 20.0


def test_history_is_read_oldest_first() -> None:
    base = {"channel_id": "2", "author": {"id": "936929561302675456"}, "attachments": []}
    newest = {**base, "id": "20", "content": "**a fox** - <@1> (fast)", "components": []}
    oldest = {**base, "id": "10", "content": "**a fox** - <@1> (Waiting to start)"}
    events = history_events([newest, oldest])
    assert isinstance(events[0], Started)
    assert events[0].ref.message_id == "10"
    assert len(events) == 2

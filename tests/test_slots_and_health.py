"""The account pool and the line of jobs waiting for a slot, as plain state: no database,
no network."""

from __future__ import annotations

import pytest

from bridge.accounts import Account
from bridge.health import AccountPool, paused_key
from bridge.slots import Line, Slot, Turn
from bridge.status import AccountStatus


def account(name: str, concurrency: int = 2, running: int = 0) -> Account:
    return Account(name, backend=None, concurrency=concurrency, running=running)  # type: ignore[arg-type]


def test_new_work_goes_to_the_healthy_account_with_most_free_slots() -> None:
    a, b = account("a", running=1), account("b", running=0)
    pool = AccountPool([a, b])
    assert pool.pick() is b
    assert pool.pause("b", "captcha") is b
    assert pool.pause("b", "again") is None, "the first reason stands"
    assert pool.pick() is a
    assert pool.paused is None
    assert pool.free == 1
    pool.pause("a", "plan")
    assert pool.paused == "plan; captcha"
    assert pool.status() == (
        AccountStatus("a", 1, 2, "plan"),
        AccountStatus("b", 0, 2, "captcha"),
    )
    assert pool.resume() == [a, b]
    assert pool.paused is None
    assert paused_key(a) == "paused:a"


def test_a_pool_needs_an_account() -> None:
    with pytest.raises(ValueError, match="at least one"):
        AccountPool([])


def test_adopted_jobs_go_first_then_waiting_ones_each_on_an_account_it_may_run_on() -> None:
    a, b = account("a"), account("b")
    line = Line(["a", "b"])
    assert line.queue(1, 10, account="b") == 1  # pinned: pictures are on b's channel
    assert line.queue(2, 20) == 2
    line.adopt("a", [5])
    assert len(line) == 3
    assert line.queued == 2
    assert line.next_for(a) == Turn(5, adopted=True)
    assert line.next_for(a) == Turn(20, adopted=False), "10 waits for b"
    assert line.next_for(a) is None
    assert line.next_for(b) == Turn(10, adopted=False)


def test_a_paused_account_follows_up_its_adopted_jobs_but_takes_no_new_one() -> None:
    a = account("a", concurrency=1)
    line = Line(["a"])
    line.queue(1, 10)
    line.adopt("a", [5])
    a.paused = "captcha"
    assert line.next_for(a) == Turn(5, adopted=True)
    assert line.next_for(a) is None
    assert line.held_by("a", everything=True) == (10,)
    assert line.held_by("a", everything=False) == ()


def test_a_cancelled_job_leaves_the_line() -> None:
    line = Line(["a"])
    line.queue(1, 10, account="a")
    line.queue(1, 11)
    assert line.remove(10)
    assert not line.remove(10)
    assert (line.place(11), line.place(10)) == (1, 0)
    assert list(line) == [11]


def test_a_slot_is_given_back_once_and_hands_over_its_place() -> None:
    freed: list[str] = []
    a = account("a", running=1)
    slot = Slot(a, lambda acc: freed.append(acc.name))
    slot.give_back()
    slot.give_back()
    assert (a.running, freed) == (0, ["a"])
    slot.take_again()
    slot.take_again()
    assert a.running == 1

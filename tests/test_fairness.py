"""Jobs are served round-robin across chats: a flooding group cannot starve a private chat."""

from __future__ import annotations

import pytest

from bridge.fair_queue import FairQueue
from bridge.simulator import MidjourneyModel
from tests.fakes.discord import FakeDiscord, prompt_of
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import Stack, discord_fake_wait


def test_lanes_take_turns_and_keep_their_own_order() -> None:
    queue = FairQueue()
    for job in (1, 2, 3, 4):
        queue.append(-100, job)  # a busy group
    queue.append(7, 5)  # a private chat, later
    queue.append(8, 6)
    assert list(queue) == [1, 5, 6, 2, 3, 4]
    assert queue.index(6) == 2
    assert [queue.popleft() for _ in range(len(queue))] == [1, 5, 6, 2, 3, 4]
    assert not queue
    with pytest.raises(IndexError):
        queue.popleft()


def test_a_newcomer_takes_the_next_turn_not_the_last() -> None:
    queue = FairQueue()
    queue.append(-100, 1)
    queue.append(-100, 2)
    assert queue.popleft() == 1
    queue.append(7, 3)
    queue.append(-100, 4)
    assert list(queue) == [2, 3, 4]  # turns: the group's 2, the newcomer's 3, the group's 4
    with pytest.raises(ValueError, match="1"):
        queue.index(1)



async def test_a_private_job_is_not_stuck_behind_a_groups_backlog(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.hang_words = {"forever"}
    # The hung job holds the only slot until the backlog and the private job are queued.
    await stack.start(mj_concurrency=1, mj_job_timeout_s=2.0)
    group, ann = tg.group(-300, "Busy"), tg.user(61)
    tg.send_text(group, ann, "/imagine@mj_test_bot a clock that runs forever")
    await discord_fake_wait(discord_fake, 1)
    for n in range(5):
        tg.send_text(group, ann, f"/imagine@mj_test_bot group picture {n}")
    await tg.wait_for(
        STATUS_EDITS,
        lambda c: c.params["chat_id"] == -300 and "Queued" in c.text,
        count=5,
    )
    bob = tg.user(62)
    tg.send_text(tg.private_chat(bob), bob, "/imagine a quiet pond")

    await tg.wait_for_results(lambda c: c.ok, count=6, timeout=15)
    order = [prompt_of(p) for p in discord_fake.interactions]
    # Served in turns: the hung job, the group's next, then the private chat's — not 7th.
    assert order.index("a quiet pond") == 2, order
    # The place shown was true: behind the group's next job (the hung one holds the only slot).
    shown = [c.text for c in tg.calls_of(STATUS_EDITS) if c.params["chat_id"] == 62]
    assert "number 2 in line" in shown[0], shown


def test_a_removed_job_is_not_served_and_costs_its_chat_no_turn() -> None:
    queue = FairQueue()
    for chat, job in ((1, 10), (1, 11), (2, 20)):
        queue.append(chat, job)
    assert queue.remove(11)
    assert not queue.remove(11)
    assert 11 not in queue
    assert list(queue) == [10, 20]
    assert [queue.popleft(), queue.popleft()] == [10, 20]

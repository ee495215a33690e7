"""Correlation on its own: which job a Midjourney message is about; no database, no network."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime

from bridge.correlation import Ambiguous, Correlator, Track, hash_of
from bridge.messages import (
    Button,
    Completed,
    Deleted,
    ErrorKind,
    Failed,
    InteractionAck,
    MessageRef,
    Progress,
    ResultKind,
    Started,
)

CHANNEL = "2"
HASH_A = "0b3c7d1e-1111-4aaa-8bbb-000000000001"
HASH_B = "0b3c7d1e-2222-4aaa-8bbb-000000000002"


def ref(message_id: str, **fields: object) -> MessageRef:
    return MessageRef(message_id, CHANNEL, **fields)  # type: ignore[arg-type]


def started(message_id: str, prompt: str = "a red fox", **fields: object) -> Started:
    return Started(ref=ref(message_id, **fields), prompt=prompt)


def progress(message_id: str, prompt: str = "a red fox", job_hash: str | None = None) -> Progress:
    cancel = (Button(f"MJ::CancelJob::ByJobid::{job_hash}", "Cancel Job", style=4),)
    event = Progress(ref=ref(message_id), prompt=prompt, percent=46)
    return replace(event, buttons=cancel) if job_hash else event


def grid(
    message_id: str, prompt: str = "a red fox", job_hash: str | None = None, **fields: object
) -> Completed:
    return Completed(
        ref=ref(message_id, **fields),
        prompt=prompt,
        kind=ResultKind.GRID,
        image=None,
        job_hash=job_hash,
    )


def two_jobs(prompt: str = "a red fox") -> tuple[Correlator, Track, Track]:
    correlator = Correlator()
    first = correlator.track(1, prompt=prompt, nonce="n1", channel_id=CHANNEL)
    second = correlator.track(2, prompt=prompt, nonce="n2", channel_id=CHANNEL)
    return correlator, first, second


def apply(correlator: Correlator, track: Track, event: Started | Progress | Completed) -> None:
    correlator.applied(event)
    correlator.bind(track, event.ref, hash_of(event))


def test_the_nonce_of_the_first_reply_names_its_job_then_the_message_id_does() -> None:
    correlator, _, second = two_jobs()
    first_reply = started("100", nonce="n2")
    assert correlator.match(first_reply) is second
    apply(correlator, second, first_reply)
    # The listener's copy of a later edit shows no nonce: the message id is enough.
    assert correlator.match(progress("100")) is second


def test_the_ack_binds_the_interaction_id_that_the_result_carries() -> None:
    correlator, first, _ = two_jobs()
    ack = InteractionAck(nonce="n1", interaction_id="900", accepted=True)
    assert correlator.for_nonce(ack.nonce) is first
    correlator.bind(first, MessageRef("", "", interaction_id="900"))
    assert correlator.match(grid("101", interaction_id="900")) is first


def test_a_result_answering_a_bound_progress_message_is_that_jobs() -> None:
    correlator, first, second = two_jobs()
    apply(correlator, first, started("100", nonce="n1"))
    apply(correlator, second, started("200", nonce="n2"))
    # Same prompt, no nonce, no metadata: only message_reference tells them apart.
    assert correlator.match(grid("201", reference_id="200")) is second


def test_the_job_hash_of_a_progress_message_names_the_result() -> None:
    correlator, first, second = two_jobs()
    apply(correlator, first, started("100", nonce="n1"))
    apply(correlator, second, started("200", nonce="n2"))
    apply(correlator, first, progress("100", job_hash=HASH_A))
    apply(correlator, second, progress("200", job_hash=HASH_B))
    assert correlator.match(grid("201", job_hash=HASH_B)) is second
    assert correlator.match(grid("101", job_hash=HASH_A)) is first


def test_a_derived_result_answers_the_message_whose_button_was_pressed() -> None:
    correlator = Correlator()
    u1 = correlator.track(
        1, prompt="a fox", target_message_id="50", custom_id="MJ::JOB::upsample::1::h"
    )
    u2 = correlator.track(
        2, prompt="a fox", target_message_id="50", custom_id="MJ::JOB::upsample::2::h"
    )
    image_2 = replace(grid("301", prompt="a fox", reference_id="50"), index=2)
    assert correlator.match(image_2) is u2
    assert correlator.match(replace(image_2, index=1)) is u1


def test_the_prompt_is_the_last_resort_also_for_a_job_an_ack_bound() -> None:
    correlator = Correlator()
    job = correlator.track(1, prompt="a lighthouse --ar 3:2", nonce="n1", channel_id=CHANNEL)
    correlator.bind(job, MessageRef("", "", interaction_id="900"))
    apply(correlator, job, started("100", prompt="a lighthouse --ar 3:2", nonce="n1"))
    # The result with no nonce, no metadata, no reference, no known hash.
    assert correlator.match(grid("101", prompt="a lighthouse --ar 3:2 --v 8.1")) is job


def test_two_jobs_of_one_prompt_are_ambiguous_until_the_oldest_is_asked_for() -> None:
    correlator, first, second = two_jobs()
    bare = grid("101")
    assert correlator.match(bare) == Ambiguous((1, 2))
    assert correlator.match(bare, oldest=True) is first
    # A first reply goes only to a job that has none yet.
    apply(correlator, first, started("100", nonce="n1"))
    assert correlator.match(started("200")) is second


def test_old_history_is_matched_by_keys_only() -> None:
    correlator, _, _ = two_jobs()
    assert correlator.match(grid("101"), guess=False) is None


def test_messages_of_other_channels_and_finished_jobs_are_nobodys() -> None:
    correlator = Correlator()
    job = correlator.track(1, prompt="a red fox", channel_id=CHANNEL)
    foreign = replace(grid("101"), ref=MessageRef("101", "other-channel"))
    assert correlator.match(foreign) is None
    apply(correlator, job, grid("102", nonce=None))
    correlator.release(1, result_message_id="102")
    correlator.track(2, prompt="a red fox", channel_id=CHANNEL)
    # Midjourney edits the finished grid (a used button turns blue): not the new job's.
    assert correlator.match(replace(grid("102"), buttons=(Button("x"),))) is None
    assert not correlator.is_progress("102")


def test_a_message_seen_by_both_sessions_is_taken_once() -> None:
    correlator, first, _ = two_jobs()
    from_user = progress("100")
    from_user = replace(from_user, ref=ref("100", nonce="n1", interaction_id="900"))
    from_listener = progress("100")
    assert not correlator.duplicate(from_user)
    apply(correlator, first, from_user)
    assert correlator.duplicate(from_listener)
    # A new state of the same message is not a copy.
    assert not correlator.duplicate(replace(from_listener, percent=78))
    deleted = Deleted("100", CHANNEL)
    correlator.applied(deleted)
    assert correlator.duplicate(deleted)


def test_what_is_remembered_of_a_message_holds_none_of_it() -> None:
    # Thousands are remembered: a digest each, not the event with its buttons and pictures.
    correlator, first, _ = two_jobs()
    prompt = " ".join(["a red fox", str(id(correlator))])  # a string of this test's own
    event = replace(progress("100"), prompt=prompt)
    held = sys.getrefcount(prompt)
    apply(correlator, first, event)
    assert sys.getrefcount(prompt) == held
    assert correlator.duplicate(replace(event, ref=ref("100", nonce="n1")))


def test_an_unmatched_copy_does_not_hide_the_copy_that_carries_the_key() -> None:
    correlator, _, second = two_jobs()
    from_listener = grid("201")
    assert isinstance(correlator.match(from_listener), Ambiguous)
    # Not applied, so the user session's copy still counts, and it names the job.
    from_user = grid("201", interaction_id="901")
    correlator.bind(second, MessageRef("", "", interaction_id="901"))
    assert not correlator.duplicate(from_user)
    assert correlator.match(from_user) is second


def test_a_modal_submit_answers_to_its_new_nonce() -> None:
    correlator, first, _ = two_jobs()
    correlator.set_nonce(first, "n1b")
    assert correlator.match(started("100", nonce="n1b")) is first
    assert correlator.match(started("100", nonce="n1")) is not first


def test_a_late_result_is_taken_only_when_posted_after_the_job_and_nobody_has_it() -> None:
    correlator = Correlator()
    since = datetime(2026, 12, 1, tzinfo=UTC)
    job = correlator.track(1, prompt="a crane", since=since)
    before = str((int(since.timestamp() * 1000) - 1_420_070_400_000 - 1000) << 22)
    after = str((int(since.timestamp() * 1000) - 1_420_070_400_000 + 1000) << 22)
    error = Failed(
        ref=ref(after), kind=ErrorKind.BANNED_PROMPT, title="t", reason="", prompt="a crane"
    )
    assert correlator.late_result(job, [grid(before, prompt="a crane"), None]) is None
    assert correlator.late_result(job, [grid(after, prompt="a boat"), error]) is error

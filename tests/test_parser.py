"""Tests for bridge.parser: one case per recorded-shape sample, plus the helpers one by one.

Each tests/data/samples/*.json holds {"event", "note", "data", "expect"}. `expect` is null when
parse() must return None; otherwise it lists only the fields that matter for that sample, using
the names of _EXTRACTORS below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from bridge.messages import (
    Button,
    Completed,
    Deleted,
    ErrorKind,
    Failed,
    MessageRef,
    MjEvent,
    Progress,
    ResultKind,
    Started,
)
from bridge.parser import buttons, content_prompt, job_hash, message_ref, parse

SAMPLES_DIR = Path(__file__).parent / "data" / "samples"
SAMPLE_FILES = sorted(SAMPLES_DIR.glob("*.json"))

HASH = "7af96d1a-67c7-4d74-b173-8430c98c7631"
SIGNED = "?ex=6751e2a0&is=67509120&hm=3f9c1d7e2a8b4c6d0e5f7a9b1c3d5e7f&"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _image_fields(image: Any) -> dict[str, Any] | None:
    return None if image is None else asdict(image)


# How to read each `expect` key off a parse result. A key missing here fails the test, so a
# typo in a sample cannot make it pass silently.
_EXTRACTORS: dict[str, Callable[[Any], Any]] = {
    "type": lambda event: type(event).__name__,
    "kind": lambda event: event.kind.value,
    "error": lambda event: event.kind.value,
    "prompt": lambda event: event.prompt,
    "queued": lambda event: event.queued,
    "percent": lambda event: event.percent,
    "preview": lambda event: _image_fields(event.previews[0] if event.previews else None),
    "previews": lambda event: [image.filename for image in event.previews],
    "image": lambda event: _image_fields(event.image),
    "index": lambda event: event.index,
    "job_hash": lambda event: event.job_hash,
    "mode": lambda event: event.mode,
    "texts": lambda event: list(event.texts),
    "buttons": lambda event: [button.custom_id for button in event.buttons],
    "title": lambda event: event.title,
    "reason": lambda event: event.reason,
    "ref": lambda event: asdict(event.ref),
    "message_id": lambda event: event.message_id,
    "channel_id": lambda event: event.channel_id,
}


def _assert_matches(event: MjEvent, expect: dict[str, Any]) -> None:
    for key, wanted in expect.items():
        assert key in _EXTRACTORS, f"unknown expect key {key!r}"
        observed = _EXTRACTORS[key](event)
        if isinstance(wanted, dict) and isinstance(observed, dict):
            # Nested expectations (ref, image, preview) list only the fields they care about.
            observed = {field: observed[field] for field in wanted}
        assert observed == wanted, f"{key}: {observed!r} != {wanted!r}"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[path.stem for path in SAMPLE_FILES])
def test_sample(path: Path) -> None:
    sample = _load(path)
    event = parse(sample["event"], sample["data"])
    expect = sample["expect"]
    if expect is None:
        assert event is None
    else:
        assert event is not None, sample["note"]
        _assert_matches(event, expect)


def test_there_are_enough_samples() -> None:
    assert len(SAMPLE_FILES) >= 65


def test_every_error_kind_but_unknown_has_a_sample() -> None:
    produced = set()
    for path in SAMPLE_FILES:
        sample = _load(path)
        event = parse(sample["event"], sample["data"])
        if isinstance(event, Failed):
            produced.add(event.kind)
    assert set(ErrorKind) - {ErrorKind.UNKNOWN} <= produced


def test_every_result_kind_has_a_sample() -> None:
    produced = set()
    for path in SAMPLE_FILES:
        sample = _load(path)
        event = parse(sample["event"], sample["data"])
        if isinstance(event, Completed):
            produced.add(event.kind)
    assert produced == set(ResultKind)


# --- parse(): dispatch and edge cases ------------------------------------------------------


def _mj_message(content: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "2",
        "channel_id": "1",
        "author": {"id": "936929561302675456", "bot": True},
        "content": content,
        **extra,
    }


def test_unknown_event_is_ignored() -> None:
    assert parse("TYPING_START", _mj_message("**x** - <@1> (10%) (fast)")) is None


def test_message_without_author_is_ignored() -> None:
    assert parse("MESSAGE_UPDATE", {"id": "2", "channel_id": "1", "content": "(10%)"}) is None


def test_delete_needs_no_author() -> None:
    assert parse("MESSAGE_DELETE", {"id": "9", "channel_id": "1"}) == Deleted("9", "1")


def test_percent_inside_the_prompt_is_not_progress() -> None:
    event = parse(
        "MESSAGE_UPDATE", _mj_message("**a (50%) sale poster** - <@1> (Waiting to start)")
    )
    assert event == Started(ref=MessageRef("2", "1"), prompt="a (50%) sale poster")


def test_the_footer_line_is_not_read_as_status() -> None:
    content = "**x** - <@1> (fast)\n-# Tip: (50%) off yearly plans"
    png = {"url": f"https://cdn.discordapp.com/attachments/1/2/u_{HASH}.png", "filename": "u.png"}
    row = {"type": 1, "components": [{"type": 2, "custom_id": f"MJ::JOB::upsample::1::{HASH}"}]}
    event = parse("MESSAGE_CREATE", _mj_message(content, attachments=[png], components=[row]))
    assert isinstance(event, Completed)
    assert (event.kind, event.mode) == (ResultKind.GRID, "fast")


def test_a_warning_is_never_a_result_but_its_content_still_counts() -> None:
    warning = {"title": "Deprecated parameter", "color": 0xFFFF00, "image": {"url": "x.png"}}
    assert parse("MESSAGE_CREATE", _mj_message("", embeds=[warning])) is None
    waiting = _mj_message("**x --hd** - <@1> (Waiting to start)", embeds=[warning])
    assert parse("MESSAGE_CREATE", waiting) == Started(ref=MessageRef("2", "1"), prompt="x --hd")


def test_a_video_file_is_a_video_result_never_an_image() -> None:
    mp4 = {"url": f"https://cdn.discordapp.com/attachments/1/2/u_{HASH}.mp4", "filename": "u.mp4"}
    row = {"type": 1, "components": [{"type": 2, "custom_id": f"MJ::JOB::upsample::1::{HASH}"}]}
    for typed in (mp4, {**mp4, "content_type": "video/mp4"}):
        message = _mj_message(
            "**x --video 1** - <@1> (fast)", attachments=[typed], components=[row]
        )
        event = parse("MESSAGE_CREATE", message)
        assert isinstance(event, Completed)
        assert event.kind is ResultKind.VIDEO


def test_video_buttons_make_a_video_result_whatever_their_labels_say() -> None:
    webp = {
        "url": f"https://cdn.discordapp.com/attachments/1/2/u_{HASH}.webp",
        "filename": "v.webp",
    }
    ups = [
        {"type": 2, "label": f"U{n}", "custom_id": f"MJ::JOB::video_virtual_upscale::{n}::{HASH}"}
        for n in range(1, 5)
    ]
    message = _mj_message(
        "**x** - <@1> (fast)", attachments=[webp], components=[{"type": 1, "components": ups}]
    )
    event = parse("MESSAGE_CREATE", message)
    assert isinstance(event, Completed)
    assert (event.kind, event.index) == (ResultKind.VIDEO, None)


def test_a_nonce_on_a_final_message_is_kept_as_a_hint_only() -> None:
    png = {
        "url": f"https://cdn.discordapp.com/attachments/1/2/u_x_{HASH}.png",
        "filename": "x.png",
    }
    row = {"type": 1, "components": [{"type": 2, "custom_id": f"MJ::JOB::upsample::1::{HASH}"}]}
    final = _mj_message("**x** - <@1> (fast)", attachments=[png], components=[row], nonce=77)
    event = parse("MESSAGE_CREATE", final)
    assert isinstance(event, Completed)  # the status text decides, not the nonce
    assert event.ref.nonce == "77"


def test_grid_without_buttons_is_not_yet_completed() -> None:
    png = {
        "url": f"https://cdn.discordapp.com/attachments/1/2/u_x_{HASH}.png",
        "filename": "x.png",
    }
    assert parse("MESSAGE_CREATE", _mj_message("**x** - <@1> (fast)", attachments=[png])) is None


def test_job_hash_falls_back_to_the_buttons() -> None:
    png = {"url": "https://cdn.discordapp.com/attachments/1/2/image.png", "filename": "image.png"}
    row = {"type": 1, "components": [{"type": 2, "custom_id": f"MJ::JOB::upsample::1::{HASH}"}]}
    message = _mj_message("**x** - <@1> (fast)", attachments=[png], components=[row])
    event = parse("MESSAGE_CREATE", message)
    assert isinstance(event, Completed)
    assert event.job_hash == HASH


def test_stopped_and_progress_keep_the_ephemeral_flag() -> None:
    event = parse("MESSAGE_UPDATE", _mj_message("**x** - <@1> (Stopped)", flags=64))
    assert isinstance(event, Failed)
    assert (event.kind, event.ref.flags) == (ErrorKind.STOPPED, 64)


def test_progress_without_preview() -> None:
    event = parse("MESSAGE_UPDATE", _mj_message("**x** - <@1> (0%) (relaxed)"))
    assert event == Progress(ref=MessageRef("2", "1"), prompt="x", percent=0)


# --- job_hash ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            f"https://cdn.discordapp.com/attachments/1/2/fox_painter_a_red_fox_{HASH}.png{SIGNED}",
            HASH,
            id="discord-cdn-png-signed",
        ),
        pytest.param(f"fox_painter_a_red_fox_{HASH}.png", HASH, id="bare-filename"),
        pytest.param(
            f"https://cdn.discordapp.com/attachments/1/2/{HASH}_grid_0.webp{SIGNED}",
            HASH,
            id="uuid-grid-preview",
        ),
        pytest.param("abc123def_grid_0.webp", "abc123def", id="non-uuid-grid-preview"),
        pytest.param(f"https://cdn.midjourney.com/{HASH}/0_0.png", HASH, id="midjourney-cdn"),
        pytest.param(f"https://cdn.midjourney.com/{HASH}/0_3.webp", HASH, id="midjourney-cdn-3"),
        pytest.param(
            f"https://media.discordapp.net/ephemeral-attachments/1/2/u_{HASH}.png?width=1040",
            HASH,
            id="media-proxy-ephemeral",
        ),
        pytest.param(f"https://midjourney.com/jobs/{HASH}?index=0", HASH, id="job-page"),
        pytest.param(f"user_{HASH}_0_0.png", HASH, id="tile-suffix"),
        pytest.param(
            f"https://cdn.discordapp.com/attachments/1/2/grid_0.webp{SIGNED}",
            None,
            id="bare-preview-names-no-job",
        ),
        pytest.param(
            f"https://cdn.discordapp.com/attachments/1/2/x.png?hm={HASH}&", None, id="query-only"
        ),
        pytest.param("fox_photo.png", None, id="user-upload"),
        pytest.param("", None, id="empty"),
    ],
)
def test_job_hash(url: str, expected: str | None) -> None:
    assert job_hash(url) == expected


# --- buttons -------------------------------------------------------------------------------


def test_buttons_flattens_rows_and_keeps_row_index() -> None:
    components = [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "label": "U1",
                    "custom_id": f"MJ::JOB::upsample::1::{HASH}",
                },
                {
                    "type": 2,
                    "style": 2,
                    "emoji": {"name": "🔄"},
                    "custom_id": f"MJ::JOB::reroll::0::{HASH}::SOLO",
                },
            ],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 1,
                    "label": "V1",
                    "custom_id": f"MJ::JOB::variation::1::{HASH}",
                },
                {"type": 2, "style": 5, "label": "Web", "url": "https://midjourney.com/jobs/x"},
                {"type": 3, "custom_id": "MJ::Settings::VersionSelector", "options": []},
            ],
        },
    ]
    assert buttons(components) == (
        Button(f"MJ::JOB::upsample::1::{HASH}", label="U1", style=2, row=0),
        Button(f"MJ::JOB::reroll::0::{HASH}::SOLO", emoji="🔄", style=2, row=0),
        Button(f"MJ::JOB::variation::1::{HASH}", label="V1", style=1, row=1),
    )


def test_buttons_of_nothing() -> None:
    assert buttons([]) == ()
    assert buttons([{"type": 1}]) == ()


# --- content_prompt ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("**a red fox --v 6.1** - <@1> (fast)", "a red fox --v 6.1"),
        ("**** - <@1> (fast)", ""),
        ("**<https://s.mj.run/AAA> cat** - Image #1 <@1>", "<https://s.mj.run/AAA> cat"),
        ("**a** - <@1> (fast)\n-# see **docs**", "a"),
        ("Displaying...", None),
        ("", None),
    ],
)
def test_content_prompt(content: str, expected: str | None) -> None:
    assert content_prompt(content) == expected


# --- message_ref ---------------------------------------------------------------------------


def test_message_ref_reads_interaction_metadata() -> None:
    data = {
        "id": "30",
        "channel_id": "10",
        "nonce": "77",
        "flags": 64,
        "interaction_metadata": {"id": "55", "type": 2, "name": "imagine"},
        "interaction": {"id": "older", "type": 2, "name": "imagine"},
        "message_reference": {"message_id": "29", "channel_id": "10"},
    }
    assert message_ref(data) == MessageRef(
        message_id="30",
        channel_id="10",
        nonce="77",
        interaction_id="55",
        reference_id="29",
        flags=64,
    )


def test_message_ref_falls_back_to_the_older_interaction_field() -> None:
    data = {"id": "30", "channel_id": "10", "interaction": {"id": "44", "name": "blend"}}
    assert message_ref(data) == MessageRef("30", "10", interaction_id="44")


def test_message_ref_of_a_bare_message() -> None:
    # A numeric nonce (the client's choice) comes back as text; a null flags field is 0.
    data = {"id": "30", "channel_id": "10", "nonce": 123, "flags": None}
    assert message_ref(data) == MessageRef("30", "10", nonce="123")

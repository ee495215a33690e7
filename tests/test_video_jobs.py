"""What makes a job a video, the prompt of a video from pictures, and the simulator's rewrite."""

from __future__ import annotations

import pytest

from bot.refusals import Refusal
from bot.settings import Settings
from bot.video_jobs import (
    TURBO_REFUSED,
    USAGE,
    button_kind,
    check_video,
    turbo_refused,
    video_prompt,
)
from bridge.simulator.video import rewritten
from storage.models import Job, JobKind

HASH = "3c1e8a52-9b7d-4f06-a2c4-5e8d1b7f9a30"


@pytest.mark.parametrize(
    ("custom_id", "parent_kind", "kind"),
    [
        (f"MJ::JOB::animate_high::1::{HASH}::SOLO", "upscale", JobKind.VIDEO),
        (f"MJ::JOB::animate_low::1::{HASH}::SOLO", "upscale_hd", JobKind.VIDEO),
        (f"MJ::JOB::animate_high_extend::2::{HASH}", "video", JobKind.VIDEO),
        (f"MJ::JOB::animate_low_extend::4::{HASH}", "video", JobKind.VIDEO),
        (f"MJ::JOB::reroll::0::{HASH}::SOLO", "video", JobKind.VIDEO),
        (f"MJ::JOB::reroll::0::{HASH}::SOLO", "grid", JobKind.ACTION),
        (f"MJ::JOB::video_virtual_upscale::2::{HASH}", "video", JobKind.ACTION),
        (f"MJ::JOB::upsample::2::{HASH}", "grid", JobKind.ACTION),
    ],
)
def test_a_button_makes_a_video_job_only_when_midjourney_makes_a_new_video(
    custom_id: str, parent_kind: str, kind: JobKind
) -> None:
    assert button_kind(custom_id, Job(chat_id=1, result_kind=parent_kind)) is kind


def test_the_first_picture_starts_the_video_and_a_second_one_ends_it() -> None:
    assert video_prompt(["https://a/1.jpg"], "leaves fall --motion low") == (
        "https://a/1.jpg leaves fall --motion low --video"
    )
    assert video_prompt(["https://a/1.jpg", "https://a/2.jpg"], "") == (
        "https://a/1.jpg --video --end https://a/2.jpg"
    )
    assert video_prompt(["https://a/1.jpg"], "waves --video --loop") == (
        "https://a/1.jpg waves --video --loop"
    )


def test_turbo_is_refused_for_video_prompts_only() -> None:
    assert turbo_refused("https://a/1.jpg waves --video --turbo")
    assert not turbo_refused("a red fox --turbo")
    assert not turbo_refused("https://a/1.jpg waves --video")
    for count, prompt, message in ((1, "waves --turbo", TURBO_REFUSED), (0, "waves", USAGE)):
        with pytest.raises(Refusal) as refused:
            check_video(count, prompt, 2000, "too long")
        assert refused.value.message == message
    with pytest.raises(Refusal, match="second one"):
        check_video(3, "waves", 2000, "too long")
    check_video(2, "", 2000, "too long")


def test_a_video_costs_eight_unless_job_costs_says_otherwise() -> None:
    base = {"telegram_bot_token": "1:x", "midjourney_backend": "simulator", "_env_file": None}
    assert Settings(**base).cost_of(JobKind.VIDEO) == 8  # type: ignore[arg-type]
    assert Settings(**base).cost_of(JobKind.IMAGINE) == 1  # type: ignore[arg-type]
    costs = Settings(**base, job_costs={"video": 3})  # type: ignore[arg-type]
    assert costs.cost_of(JobKind.VIDEO) == 3


def test_the_simulator_echoes_a_video_prompt_as_midjourney_rewrites_it() -> None:
    ids = iter(["AbC1", "XyZ2"])
    prompt = "https://cdn.example/a.png waves --ar 16:9 --loop --video --q 2 --sref 123 --bs 2"
    assert rewritten(prompt, lambda: next(ids)) == (
        "<https://s.mj.run/AbC1> waves --end loop --bs 2 --video 1 --aspect 1:1"
    )

"""Midjourney's video (docs/midjourney-on-the-wire.md#video), as the model plays it.

- Animate (High/Low motion) under an upscale: an `Animating...` placeholder replying to the
  upscale, edited to "Creating video with prompt **...** (Waiting to start)", progress edits
  that carry four 256x256 step frames from 35 %, then a new message replying to the upscale
  with one animated WebP (a 2x2 of four clips) and the buttons U1-U4 =
  `MJ::JOB::video_virtual_upscale::N::<uuid>` (no `::SOLO`), reroll and a link.
- `video_virtual_upscale::N`: a reply with that clip alone as an MP4 and the buttons
  `MJ::JOB::animate_high_extend::N::<uuid>` / `animate_low_extend`, labels "Extend (High
  motion)" / "Extend (Low motion)".
- Extend: a job like Animate that ends in one clip about 4 s longer, extendable again up to
  four times (about 21 s).
- Remix on: Animate and Extend open `MJ::AnimateModal::<uuid>::<index>::<low|high>::<0|1>`
  (1 for extend) with the field `MJ::AnimateModal::prompt`; its submit starts the job with the
  typed motion prompt.
- A prompt video (/imagine `<image url> [text] --video ...`): the echoed prompt is rewritten:
  the link shortened to `s.mj.run`, `--video` -> `--video 1`, `--loop` -> `--end loop`,
  `--aspect W:H` appended, image parameters dropped; its result replies to the progress
  message. `--turbo` is refused with Midjourney's words.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.simulator import hooks, jobs
from bridge.simulator import model as base
from bridge.simulator.buttons import button, rows
from bridge.simulator.hooks import Turn
from bridge.simulator.model import MidjourneyModel, option
from bridge.simulator.video_media import clip_mp4, grid_webp, step_frame

TURBO_REFUSAL = "Turbo mode isn't supported for video jobs"
_STEP_FROM = 35  # step frames ride along from about this percent
_CLIP_SECONDS = 5
_EXTEND_SECONDS = 4
_MAX_EXTENDS = 4
# Image parameters Midjourney drops from a video prompt (with their values, if any).
_DROPPED = re.compile(
    r"(?<!\S)--(?:ar|aspect|sref|oref|ow|sw|sv|q|quality|hd|sd|chaos|c|stylize|s|weird|w|"
    r"tile|style|v|version|niji|exp|p|draft|fast|relax)(?!\S)(?:\s+(?!--)\S+)?",
    re.IGNORECASE,
)
_LINK = re.compile(r"<?(?:https?|sim)://\S+?>?(?=\s|$)")
_VIDEO_FLAG = re.compile(r"(?<!\S)--video(?:\s+1)?(?!\S)")
_LOOP_FLAG = re.compile(r"(?<!\S)--loop(?!\S)")
_MOTION = re.compile(r"(?<!\S)--motion\s+(high|low)")


@dataclass
class VideoSettings:
    """The model's video knobs (real Midjourney: 624 px, 5 s at 24 fps; tests use tiny ones)."""

    side: int = 624
    fps: int = 24
    step_side: int = 256
    steps: tuple[int, ...] = (12, 35, 62, 83)
    # The same animated WebP for every video grid (benchmarks); None draws one.
    fixed_grid: bytes | None = None


@dataclass
class _Video:
    """A video result the model made: its prompt, clips and how long they run."""

    prompt: str
    seconds: int
    extends: int = 0
    clips: dict[int, bytes] = field(default_factory=dict)


def knobs(model: MidjourneyModel) -> VideoSettings:
    found = model.state.get("video_settings")
    if found is None:
        found = model.state["video_settings"] = VideoSettings()
    return found  # type: ignore[no-any-return]


def _videos(model: MidjourneyModel) -> dict[str, _Video]:
    return model.state.setdefault("videos", {})  # type: ignore[no-any-return]


def _open_forms(model: MidjourneyModel) -> dict[str, dict[str, Any]]:
    return model.state.setdefault("animate_forms", {})  # type: ignore[no-any-return]


def video_buttons(job_hash: str) -> list[dict[str, Any]]:
    ups = [
        button(f"MJ::JOB::video_virtual_upscale::{n}::{job_hash}", f"U{n}") for n in range(1, 5)
    ]
    reroll = button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    link = {"type": 2, "style": 5, "label": "\u200b", "url": f"https://midjourney.com/jobs/{job_hash}"}
    return rows([*ups, reroll, link])


def extend_buttons(job_hash: str, index: int) -> list[dict[str, Any]]:
    return rows(
        [
            button(f"MJ::JOB::animate_high_extend::{index}::{job_hash}", "Extend (High motion)"),
            button(f"MJ::JOB::animate_low_extend::{index}::{job_hash}", "Extend (Low motion)"),
        ]
    )


def rewritten(prompt: str, short_id: Callable[[], str]) -> str:
    """A video prompt as Midjourney echoes it (docs/midjourney-on-the-wire.md#starting-a-video)."""
    text = _LINK.sub(lambda _: f"<https://s.mj.run/{short_id()}>", prompt)
    text = _DROPPED.sub(" ", text)
    text = _LOOP_FLAG.sub("--end loop", text)
    text = _VIDEO_FLAG.sub(" ", text)
    text = " ".join(text.split())
    return f"{text} --video 1 --aspect 1:1"


def is_video_prompt(prompt: str) -> bool:
    return _VIDEO_FLAG.search(prompt) is not None


def _reference(turn: Turn, message_id: str | None) -> dict[str, Any]:
    return {"type": 0, "message_id": message_id, "channel_id": turn.channel_id}


async def run_video(
    model: MidjourneyModel,
    turn: Turn,
    prompt: str,
    *,
    motion: str | None,
    reply_to: str | None,
    extend_of: _Video | None = None,
    placeholder: bool,
) -> None:
    """One video job from the first message to the result (see
    docs/midjourney-on-the-wire.md#video-messages)."""
    settings = knobs(model)
    discord, channel_id, delay = turn.discord, turn.channel_id, turn.delay
    echoed = prompt if motion is None else f"{prompt} --motion {motion} --video 1 --aspect 1:1"
    mention = f"<@{model.user_id}>"
    mode = model.mode(prompt)
    refusal = [("Invalid parameter", TURBO_REFUSAL)] if "--turbo" in prompt.split() else []
    refusal += [found for word, found in model.error_words.items() if word in prompt]
    if refusal:
        await asyncio.sleep(delay)
        title, description = refusal[0]
        error = model.message(turn, "")
        error["embeds"] = [{"title": title, "description": description, "color": 0xFF0000}]
        error["nonce"] = turn.nonce
        await discord.create_message(channel_id, error)
        return
    waiting = f"Creating video with prompt **{echoed}** - {mention} (Waiting to start)"
    if placeholder:
        first = model.message(turn, "Animating...")
        first.update(nonce=turn.nonce, message_reference=_reference(turn, reply_to))
        progress = await discord.create_message(channel_id, first)
        await asyncio.sleep(delay / 2)
        await discord.update_message(progress["id"], {"content": waiting})
    else:
        first = model.message(turn, waiting)
        first["nonce"] = turn.nonce
        progress = await discord.create_message(channel_id, first)
    if any(word in prompt for word in model.hang_words):
        return
    job_hash = str(uuid.uuid4())
    for percent in settings.steps:
        await asyncio.sleep(delay)
        changes: dict[str, Any] = {"content": f"**{echoed}** - {mention} ({percent}%) ({mode})"}
        if percent >= _STEP_FROM:
            changes["attachments"] = await asyncio.to_thread(
                _step_attachments, discord, echoed, job_hash, settings, percent
            )
        await discord.update_message(progress["id"], changes)
    await asyncio.sleep(delay)
    link = f"[(Open on website for full quality)](<https://midjourney.com/jobs/{job_hash}>)"
    content = f"**{echoed}** - {mention} {link} ({mode})"
    reference = _reference(turn, reply_to if reply_to else progress["id"])
    seconds = _CLIP_SECONDS if extend_of is None else extend_of.seconds + _EXTEND_SECONDS
    video = _Video(echoed, seconds, extends=0 if extend_of is None else extend_of.extends + 1)
    _videos(model)[job_hash] = video
    model.prompts[job_hash] = echoed
    slug = re.sub(r"[^a-z0-9]+", "_", prompt.lower())[:40].strip("_") or "video"
    if extend_of is None and settings.fixed_grid is not None:
        data = settings.fixed_grid
        name, kind = f"mjuser_{slug}_{job_hash}.webp", "image/webp"
        components = video_buttons(job_hash)
    elif extend_of is None:
        data = await asyncio.to_thread(
            grid_webp,
            echoed,
            job_hash,
            side=settings.side,
            frames=settings.fps * seconds,
            fps=settings.fps,
        )
        name, kind = f"mjuser_{slug}_{job_hash}.webp", "image/webp"
        components = video_buttons(job_hash)
    else:
        data = await asyncio.to_thread(
            clip_mp4,
            echoed,
            job_hash,
            0,
            side=settings.side,
            frames=settings.fps * seconds,
            fps=settings.fps,
        )
        name, kind = f"mjuser_{slug}_{job_hash}_0.mp4", "video/mp4"
        components = extend_buttons(job_hash, 1) if video.extends < _MAX_EXTENDS else []
        video.clips[1] = data
    result = model.message(turn, content)
    result["attachments"] = [_attachment(discord, name, data, kind, settings.side)]
    result["components"] = components
    result["message_reference"] = reference
    sent = await discord.create_message(channel_id, result)
    model.results[turn.nonce] = {"message": sent, "image": data, "hash": job_hash}
    await discord.delete_message(progress["id"])


def _attachment(discord: Any, name: str, data: bytes, kind: str, side: int) -> dict[str, Any]:
    url = discord.put_cdn(name, data, kind)
    return {
        "id": discord.new_id(),
        "filename": name,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": kind,
        "width": side,
        "height": side,
    }


def _step_attachments(
    discord: Any, prompt: str, job_hash: str, settings: VideoSettings, percent: int
) -> list[dict[str, Any]]:
    step = settings.steps.index(percent)
    found = []
    for cell in range(4):
        data = step_frame(prompt, f"{job_hash}{cell}", cell, settings.step_side, percent)
        name = f"{job_hash}_{cell}_step_{step}.jpeg"
        found.append(_attachment(discord, name, data, "image/jpeg", settings.step_side))
    return found


# -- the buttons and the form ------------------------------------------------------------------

_ANIMATE = re.compile(r"^MJ::JOB::animate_(high|low)(_extend)?::(\d+)::([0-9a-f-]{36})")


@hooks.on_button("MJ::JOB::animate_high::", "MJ::JOB::animate_low::")
@hooks.on_button("MJ::JOB::animate_high_extend::", "MJ::JOB::animate_low_extend::")
async def animate(model: MidjourneyModel, turn: Turn) -> None:
    """Animate an upscale, or extend a clip; under remix, the form asks for the motion first."""
    match = _ANIMATE.match(turn.custom_id)
    if match is None:
        return
    motion, extend, index, job_hash = match.groups()
    pressed = turn.payload.get("message_id")
    job = {"motion": motion, "extend": bool(extend), "index": int(index), "hash": job_hash}
    job["reply_to"] = pressed
    if model.remix:
        form = f"MJ::AnimateModal::{job_hash}::{index}::{motion}::{1 if extend else 0}"
        _open_forms(model)[turn.interaction_id] = job
        text_input = {"type": 4, "custom_id": "MJ::AnimateModal::prompt", "style": 2}
        modal = {
            "custom_id": form,
            "title": "Animate",
            "components": [{"type": 1, "components": [text_input]}],
        }
        await turn.discord.dispatch(
            "INTERACTION_MODAL_CREATE", {**turn.ack, **modal}, audience="users"
        )
        return
    await _start(model, turn, job, None)


@hooks.on_modal("MJ::AnimateModal::")
async def animate_form(model: MidjourneyModel, turn: Turn) -> None:
    job = _open_forms(model).pop(str(turn.data.get("id")), None)
    if job is None:
        return  # a form nobody opened: Midjourney never answers
    typed = str(turn.data["components"][0]["components"][0]["value"])
    await _start(model, turn, job, typed)


async def _start(
    model: MidjourneyModel, turn: Turn, job: dict[str, Any], typed: str | None
) -> None:
    job_hash = job["hash"]
    base = _videos(model).get(job_hash) if job["extend"] else None
    source = base.prompt if base is not None else model.prompts.get(job_hash, "")
    prompt = _strip_video_tail(typed if typed is not None else source)
    await run_video(
        model,
        turn,
        prompt,
        motion=job["motion"],
        reply_to=job["reply_to"],
        extend_of=base if job["extend"] else None,
        placeholder=True,
    )


def _strip_video_tail(prompt: str) -> str:
    text = re.sub(r"(?<!\S)--(?:motion\s+\S+|video(?:\s+1)?|aspect\s+\S+)", " ", prompt)
    return " ".join(text.split())


@hooks.on_button("MJ::JOB::video_virtual_upscale::")
async def clip(model: MidjourneyModel, turn: Turn) -> None:
    """One clip of a video grid, alone as an MP4 with its Extend buttons."""
    match = re.match(r"^MJ::JOB::video_virtual_upscale::(\d)::([0-9a-f-]{36})", turn.custom_id)
    if match is None:
        return
    index, job_hash = int(match.group(1)), match.group(2)
    video = _videos(model).get(job_hash)
    if video is None:
        return
    settings = knobs(model)
    await asyncio.sleep(turn.delay / 2)
    data = video.clips.get(index)
    if data is None:
        data = await asyncio.to_thread(
            clip_mp4,
            video.prompt,
            job_hash,
            index - 1,
            side=settings.side,
            frames=settings.fps * video.seconds,
            fps=settings.fps,
        )
        video.clips[index] = data
    name = f"mjuser_{job_hash}_{index - 1}.mp4"
    content = f"**{video.prompt}** - Video #{index} <@{model.user_id}>"
    message = model.message(turn, content)
    message["attachments"] = [_attachment(turn.discord, name, data, "video/mp4", settings.side)]
    message["components"] = extend_buttons(job_hash, index)
    message["message_reference"] = _reference(turn, turn.payload.get("message_id"))
    message["nonce"] = turn.nonce
    sent = await turn.discord.create_message(turn.channel_id, message)
    model.results[turn.nonce] = {"message": sent, "image": data, "hash": job_hash}


@hooks.on_command("imagine")
async def imagine(model: MidjourneyModel, turn: Turn) -> None:
    """/imagine: a prompt with --video is a prompt video; any other is a picture grid."""
    prompt = option(turn.data, "prompt")
    if not is_video_prompt(prompt):
        await base._imagine(model, turn)  # the model's own /imagine: a picture grid
        return
    echoed = rewritten(prompt, turn.discord.new_id)
    await run_video(model, turn, echoed, motion=None, reply_to=None, placeholder=False)


@hooks.on_button("MJ::JOB::reroll::")
async def reroll(model: MidjourneyModel, turn: Turn) -> None:
    """🔄 under a video grid makes the video again; under a picture, the grid again."""
    match = re.match(r"^MJ::JOB::reroll::0::([0-9a-f-]{36})", turn.custom_id)
    video = _videos(model).get(match.group(1)) if match else None
    if video is None:
        await jobs.job_button(model, turn)  # the model's own picture buttons
        return
    prompt = _strip_video_tail(video.prompt)
    motion = _MOTION.search(video.prompt)
    await run_video(
        model,
        turn,
        prompt,
        motion=motion.group(1) if motion else "low",
        reply_to=turn.payload.get("message_id"),
        placeholder=True,
    )

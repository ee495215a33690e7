"""A video result plays as an animation in the job's message, never as a still grid.

The simulator does not model video; this test plugs a minimal video answer into its hook
table, shaped like Midjourney's (one animated WebP, U1-U4 `video_virtual_upscale`).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from bot.settings import Settings
from bridge.simulator import MidjourneyModel, SimulatorBackend, hooks
from bridge.simulator.buttons import button, link, rows
from tests.fakes.telegram import FakeTelegram
from tests.helpers import StartBot, keyboard


def _animated_webp() -> bytes:
    frames = [Image.new("RGB", (48, 48), colour) for colour in ("navy", "teal", "gold")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=40)
    return out.getvalue()


async def _video_job(model: MidjourneyModel, turn: hooks.Turn) -> None:
    """Midjourney's answer to a prompt video: Waiting to start, then the 2x2 animated WebP."""
    prompt = f"{turn.data['options'][0]['value']} --video 1 --aspect 1:1"
    head = f"**{prompt}** - <@{model.user_id}>"
    first = model.message(turn, f"Creating video with prompt {head} (Waiting to start)")
    first["nonce"] = turn.nonce
    progress = await turn.discord.create_message(turn.channel_id, first)
    job = model.new_hash()
    data = _animated_webp()
    name = f"mjuser_video_{job}.webp"
    url = turn.discord.put_cdn(name, data, "image/webp")
    final = model.message(turn, f"{head} (fast)")
    final["attachments"] = [
        {"id": turn.discord.new_id(), "filename": name, "url": url, "size": len(data),
         "content_type": "image/webp", "width": 48, "height": 48}
    ]  # fmt: skip
    final["components"] = rows(
        [button(f"MJ::JOB::video_virtual_upscale::{n}::{job}", f"U{n}") for n in range(1, 5)]
        + [button(f"MJ::JOB::reroll::0::{job}::SOLO", emoji="🔄"), link(job)]
    )
    await turn.discord.create_message(turn.channel_id, final)
    await turn.discord.delete_message(progress["id"])


@pytest.fixture
def video_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "COMMANDS", {**hooks.COMMANDS, "imagine": _video_job})


@pytest.mark.usefixtures("video_hook")
async def test_a_video_result_plays_as_an_animation_and_never_as_a_still_grid(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings(), SimulatorBackend(MidjourneyModel(step_delay=0.005)))
    ann = tg.user(501)
    tg.send_text(tg.private_chat(ann), ann, "/imagine https://example.com/boat.png waves --video")

    (video,) = await tg.wait_for(
        "editMessageMedia",
        lambda call: (call.params.get("media") or {}).get("type") == "animation",
    )
    # No still of it, and its U1-U4 are clips, never image upscales.
    stills = [c for c in tg.calls_of(("sendPhoto", "editMessageMedia")) if c.is_result]
    assert stills == [video]
    # The labels, not the markup's text: a callback token is random and may hold "U1".
    labels = [key["text"] for row in keyboard(video) for key in row]
    assert "🎬 1" in labels
    assert "U1" not in labels

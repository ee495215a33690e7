"""Progress previews without a network: what the simulator sends, what the parser reads, and
the photo the bot makes of them (bot/previews.py)."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

from PIL import Image

from bot import progress
from bot.previews import preview_photo
from bridge.parser import parse
from bridge.simulator import MidjourneyModel
from storage.models import Job


class _Channel:
    """Discord as the model writes to it: every message state, and a CDN."""

    def __init__(self) -> None:
        self.states: list[dict[str, Any]] = []
        self.cdn: dict[str, bytes] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._next = 0

    def new_id(self) -> str:
        self._next += 1
        return str(1000 + self._next)

    def put_cdn(self, filename: str, data: bytes, content_type: str = "image/png") -> str:
        url = f"https://cdn.example/{self.new_id()}/{filename}?ex=1&"
        self.cdn[url] = data
        return url

    def cdn_bytes(self, url: str) -> bytes | None:
        return self.cdn.get(url)

    async def create_message(self, channel_id: str, data: dict[str, Any]) -> dict[str, Any]:
        message = {**data, "id": self.new_id(), "channel_id": channel_id}
        self._messages[message["id"]] = message
        self.states.append(dict(message))
        return message

    async def update_message(self, message_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        message = self._messages[message_id]
        message.update(changes)
        self.states.append(dict(message))
        return message

    async def delete_message(self, message_id: str) -> None:
        self._messages.pop(message_id, None)

    async def dispatch(self, event: str, data: dict[str, Any], *, audience: str = "all") -> None:
        pass


def _imagine(prompt: str) -> dict[str, Any]:
    option = {"type": 3, "name": "prompt", "value": prompt}
    return {
        "type": 2,
        "nonce": "n1",
        "channel_id": "9",
        "data": {"name": "imagine", "options": [option], "attachments": []},
    }


def _picture(colour: str, side: int = 16, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, fmt)
    return out.getvalue()


async def test_the_model_sends_grid_previews_from_35_percent_as_midjourney_does() -> None:
    model, channel = MidjourneyModel(step_delay=0, steps=(20, 46, 78)), _Channel()
    await model.on_interaction(_imagine("a red fox"), channel)  # type: ignore[arg-type]

    progress = [parse("MESSAGE_UPDATE", state) for state in channel.states[1:4]]
    assert [event.percent for event in progress] == [20, 46, 78]  # type: ignore[union-attr]
    assert progress[0].previews == ()  # type: ignore[union-attr]
    for event in progress[1:]:
        (preview,) = event.previews  # type: ignore[union-attr]
        assert preview.filename.endswith("_grid_0.webp")
        assert (preview.content_type, preview.width, preview.height) == ("image/webp", 512, 512)
        with Image.open(io.BytesIO(channel.cdn[preview.url])) as drawn:
            assert (drawn.format, drawn.size) == ("WEBP", (512, 512))
    job_hash = progress[1].previews[0].filename.removesuffix("_grid_0.webp")  # type: ignore[union-attr]
    assert job_hash in channel.states[-1]["attachments"][0]["filename"]  # the result's own uuid


async def test_the_model_can_send_progress_without_previews() -> None:
    model = MidjourneyModel(step_delay=0, steps=(46, 78), previews=False)
    channel = _Channel()
    await model.on_interaction(_imagine("a red fox"), channel)  # type: ignore[arg-type]
    assert all(not state["attachments"] for state in channel.states[:-1])


def test_one_preview_is_sent_as_it_is_drawn() -> None:
    photo = preview_photo([_picture("red", 32, "WEBP")])
    assert photo is not None
    with Image.open(io.BytesIO(photo)) as shown:
        assert (shown.format, shown.size) == ("JPEG", (32, 32))


def test_four_cells_become_one_2x2_picture_in_reading_order() -> None:
    photo = preview_photo([_picture(c) for c in ("red", "lime", "blue", "white")])
    assert photo is not None
    with Image.open(io.BytesIO(photo)) as shown:
        assert shown.size == (32, 32)
        picture = shown.convert("RGB")
    corners = [picture.getpixel(xy) for xy in ((8, 8), (24, 8), (8, 24), (24, 24))]
    assert [max(range(3), key=lambda n, c=c: c[n]) for c in corners[:3]] == [0, 1, 2]
    assert min(corners[3]) > 200


def test_a_cell_that_is_missing_or_unreadable_stays_dark_and_none_at_all_gives_none() -> None:
    photo = preview_photo([_picture("red"), None, b"<html>", _picture("white")])
    assert photo is not None
    with Image.open(io.BytesIO(photo)) as shown:
        picture = shown.convert("RGB")
    assert max(picture.getpixel((24, 8))) < 80  # the missing cell
    assert preview_photo([None, b"not a picture"]) is None
    assert preview_photo([]) is None


async def test_previews_are_drawn_one_at_a_time_in_a_thread_of_their_own(
    monkeypatch: Any,
) -> None:
    # Each thread that runs Pillow keeps a malloc arena of its own (README "Performance").
    drawing: list[str] = []
    at_once = peak = 0

    def draw(pictures: list[bytes | None]) -> bytes:
        nonlocal at_once, peak
        at_once += 1
        peak = max(peak, at_once)
        drawing.append(threading.current_thread().name)
        time.sleep(0.01)  # long enough for a second thread to overlap, were there one
        at_once -= 1
        return b"jpeg"

    async def fetch(url: str, account: str | None) -> bytes:
        return b"webp"

    monkeypatch.setattr(progress, "preview_photo", draw)
    editor = progress.ProgressEditor(
        bot=None, db=None, status=None, interval=1, fetch=fetch  # type: ignore[arg-type]
    )
    jobs = [progress._Status(Job(id=n, chat_id=n), n, previews=(f"u{n}",)) for n in range(6)]
    await asyncio.gather(*(editor._prepare(status) for status in jobs))
    await editor.aclose()
    assert [status.photo for status in jobs] == [b"jpeg"] * 6
    assert peak == 1
    assert {name.rsplit("_", 1)[0] for name in drawing} == {"previews"}

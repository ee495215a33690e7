"""The newcomer's path (MIDJOURNEY_BACKEND=simulator, only a Telegram token) and delivery edges."""

from __future__ import annotations

import io
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image
from telegram.request import RequestData

from bot import metrics
from bot.logs import configure_logging
from bot.settings import Settings
from bridge.simulator import MidjourneyModel, SimulatorBackend
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import (
    DISCORD_BOT_TOKEN,
    DISCORD_USER_TOKEN,
    TELEGRAM_TOKEN,
    Stack,
    StartBot,
    keyboard,
    photo_bytes,
    reply_to,
)


async def test_simulator_needs_only_a_telegram_token(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())  # the default backend here is the built-in simulator
    ann = tg.user(61)
    request = tg.send_text(tg.private_chat(ann), ann, "/imagine a paper boat on a pond")
    photo = (await tg.wait_for_results())[0]
    assert reply_to(photo) == request["message_id"]
    assert len([b for row in keyboard(photo) for b in row]) == 9
    width, height = Image.open(io.BytesIO(photo_bytes(photo))).size
    assert (width, height) == (1024, 1024)


async def test_imagine_without_a_prompt_explains_the_usage(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    ann = tg.user(62)
    tg.send_text(tg.private_chat(ann), ann, "/imagine")
    tg.send_text(tg.private_chat(ann), ann, "/imagine@mj_test_bot   ")
    replies = await tg.wait_for("sendMessage", count=2)
    assert all("/imagine a red fox" in c.params["text"] for c in replies)
    assert tg.results() == []


async def test_imagine_addressed_to_the_bot_in_a_group(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    group = tg.group(-1001, "Artists", type="supergroup")
    ann = tg.user(63)
    tg.send_text(group, ann, "/imagine@mj_test_bot a tiny robot")
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == -1001
    assert photo.caption == "a tiny robot\n👤 for Ann"  # in a group: who asked


async def test_progress_edits_are_throttled_per_chat(
    tg: FakeTelegram,
    make_settings: Callable[..., Settings],
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interval = 0.2
    # When the bot hands each progress edit to its HTTP client, that is, once its pacing let it
    # go: the fake's clock also counts how long each request waited for the shared event loop
    # on the way, which the bot does not control (one gap of 0.17 s at a load of 4).
    sent: list[float] = []
    do_request = metrics.ObservedRequest.do_request

    async def stamped(
        self: Any, url: str, *, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        parameters = json.dumps(request_data.json_parameters if request_data else {})
        if url.endswith(STATUS_EDITS) and "%" in parameters:
            sent.append(time.monotonic())
        return await do_request(self, url, request_data=request_data, **kwargs)

    monkeypatch.setattr(metrics.ObservedRequest, "do_request", stamped)
    model = MidjourneyModel(step_delay=0.04, steps=tuple(range(5, 100, 5)), image_size=128)
    await start_bot(make_settings(progress_edit_interval_s=interval), SimulatorBackend(model))
    ann = tg.user(64)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine first")
    tg.send_text(chat, ann, "/imagine second")
    await tg.wait_for_results(count=2)

    edits = [c for c in tg.calls_of(STATUS_EDITS) if "%" in c.text]
    assert len(edits) >= 2
    assert len(sent) == len(edits)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    # 19 progress steps per job arrived in ~0.8 s; the bot sent one edit per interval at most.
    assert min(gaps) >= interval * 0.9
    assert len(edits) < 19


async def test_a_picture_over_telegram_limits_is_downscaled_and_the_original_kept(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8000, 2500), "navy").save(out, "PNG")
    original = out.getvalue()
    model = MidjourneyModel(step_delay=0.01, fixed_image=original)
    await start_bot(make_settings(), SimulatorBackend(model))
    ann = tg.user(65)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine a very wide panorama")

    # A deadline, not a wait: drawing, previewing and shrinking 20 megapixels takes seconds
    # of CPU when the suite shares the cores.
    photo = (await tg.wait_for_results(timeout=20))[0]
    width, height = Image.open(io.BytesIO(photo_bytes(photo))).size
    assert width + height <= 10_000
    assert "original" in photo.caption
    original_button = keyboard(photo)[-1][0]
    assert original_button["text"] == "📎 Original"

    message = tg.message(65, photo.result["message_id"])
    assert message is not None
    tg.press_button(chat, ann, message, original_button["callback_data"])
    document = (await tg.wait_for("sendDocument"))[0]
    assert photo_bytes(document) == original
    assert reply_to(document) == photo.result["message_id"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
async def test_no_secret_reaches_the_logs(
    tg: FakeTelegram, stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    secrets = [TELEGRAM_TOKEN, DISCORD_USER_TOKEN, DISCORD_BOT_TOKEN]
    configure_logging("DEBUG", secrets)
    await stack.start(log_level="DEBUG")
    ann = tg.user(66)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a locked safe")
    await tg.wait_for_results()
    logging.getLogger("probe").info("token in a message: %s", DISCORD_USER_TOKEN)

    err = capfd.readouterr().err
    assert "token in a message: ***" in err  # the filter really ran over this output
    for secret in secrets:
        assert secret not in err


async def test_progress_shows_accepted_then_the_percentages_in_order(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    # Steps slower than the edit interval: every state Midjourney reports has its turn.
    await start_bot(make_settings(simulator_step_s=0.15, progress_edit_interval_s=0.05))
    ann = tg.user(64)
    tg.send_text(tg.private_chat(ann), ann, "a slow sunrise")
    await tg.wait_for_results()
    # The status is a photo (its caption is edited, or a preview put in with its caption) or,
    # for some jobs, a text.
    shown = [
        c.caption or c.params.get("text", "")
        for c in tg.calls_of(STATUS_EDITS)
        if c.chat_id == ann["id"] and not c.carries_result
    ]
    assert shown[0] == "✅ Midjourney accepted the job; it starts in a moment…", shown
    percents = [int(text.split("… ")[1].split("%")[0]) for text in shown[1:]]
    assert percents, shown
    assert percents == sorted(percents), percents

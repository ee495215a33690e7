"""The simulator speaks today's Midjourney: Cancel Job, WebP grids, V7 buttons, Redo, rated.

Each test drives the simulator backend with interactions, as the dispatcher does, and reads
what it posts through the real parser and button classification.
"""

from __future__ import annotations

import asyncio

from bridge.buttons import ButtonKind, classify
from bridge.messages import Completed, ErrorKind, Failed, Progress, ResultKind, Started
from bridge.parser import parse
from tests.simulated import Channel


async def test_a_webp_grid_with_a_link_replying_to_its_progress_message() -> None:
    async with Channel() as channel:
        nonce = await channel.send(command="imagine", prompt="a paper boat --v 7")
        grid = await channel.result(nonce)
        started = next(e for e in channel.events if isinstance(e, Started))
        attachment = grid["attachments"][0]
        assert attachment["content_type"] == "image/webp"
        assert attachment["filename"].endswith(".webp")
        assert any(c.get("style") == 5 for r in grid["components"] for c in r["components"])
        assert "midjourney.com/jobs/" in grid["content"]
        event = parse("MESSAGE_CREATE", grid)
        assert isinstance(event, Completed)
        assert event.kind is ResultKind.GRID
        assert event.ref.reference_id == started.ref.message_id
        assert [e for e in channel.events if isinstance(e, Progress)]


async def test_cancel_job_stops_the_job_and_its_progress_ends_stopped() -> None:
    async with Channel(step_delay=0.05) as channel:
        nonce = await channel.send(command="imagine", prompt="a slow lighthouse")
        for _ in range(200):
            started = [e for e in channel.events if isinstance(e, Started)]
            if started:
                break
            await asyncio.sleep(0.005)
        progress = channel.message(started[0].ref.message_id)
        (cancel,) = channel.custom_ids(progress)
        assert classify(cancel).kind is ButtonKind.CANCEL
        await channel.send(**channel.press(progress, ButtonKind.CANCEL))
        for _ in range(200):
            if any(isinstance(e, Failed) for e in channel.events):
                break
            await asyncio.sleep(0.01)
        (stopped,) = [e for e in channel.events if isinstance(e, Failed)]
        assert stopped.kind is ErrorKind.STOPPED
        assert stopped.ref.message_id == progress["id"]
        await asyncio.sleep(0.2)
        assert nonce not in channel.model.results  # no picture after a cancel


async def test_v7_single_and_its_subtle_upscale_with_redo_buttons_and_the_rated_notice() -> None:
    async with Channel() as channel:
        grid = await channel.result(await channel.send(command="imagine", prompt="a red kite"))
        solo = await channel.result(await channel.send(**channel.press(grid, ButtonKind.UPSCALE)))
        kinds = {classify(c).kind for c in channel.custom_ids(solo)}
        assert {
            ButtonKind.UPSCALE_SUBTLE,
            ButtonKind.UPSCALE_CREATIVE,
            ButtonKind.VARY_SUBTLE,
            ButtonKind.VARY_STRONG,
            ButtonKind.VARY_REGION,
            ButtonKind.ZOOM,
            ButtonKind.CUSTOM_ZOOM,
            ButtonKind.PAN,
            ButtonKind.ANIMATE,
            ButtonKind.BOOKMARK,
        } <= kinds
        region = next(c for c in channel.custom_ids(solo) if c.startswith("MJ::Inpaint::"))
        assert region.startswith("MJ::Inpaint::1::")
        assert region.endswith("::SOLO")
        assert solo["attachments"][0]["content_type"] == "image/png"

        subtle = await channel.result(
            await channel.send(**channel.press(solo, ButtonKind.UPSCALE_SUBTLE))
        )
        assert " - Upscaled (Subtle) by <@" in subtle["content"]
        event = parse("MESSAGE_CREATE", subtle)
        assert isinstance(event, Completed)
        assert event.kind is ResultKind.UPSCALE_HD
        labels = [(b.label, classify(b.custom_id, b.label).kind) for b in event.buttons]
        assert ("Redo Upscale (Subtle)", ButtonKind.REDO_UPSCALE) in labels
        assert not {ButtonKind.ZOOM, ButtonKind.PAN, ButtonKind.VARY_REGION} & {
            k for _, k in labels
        }

        before = len(channel.backend._messages)
        await channel.send(**channel.press(solo, ButtonKind.BOOKMARK))
        for _ in range(200):
            if len(channel.backend._messages) > before:
                break
            await asyncio.sleep(0.005)
        notice = list(channel.backend._messages.values())[-1]
        assert notice["content"].startswith("You have successfully rated [this job](")
        assert notice["message_reference"]["message_id"] == solo["id"]
        assert parse("MESSAGE_CREATE", notice) is None  # no job news


async def test_finished_grids_carry_the_nonce_or_not_as_the_knob_says() -> None:
    for final_nonce in (False, True):
        async with Channel(final_nonce=final_nonce) as channel:
            nonce = await channel.send(command="imagine", prompt="a tin robot")
            grid = await channel.result(nonce)
            assert (grid.get("nonce") == nonce) is final_nonce

"""Buttons that make no picture: Cancel Job on a progress message, Bookmark (❤) on a single.

Cancel Job (`MJ::CancelJob::ByJobid::<uuid>`) stops the running job at its next step; its
progress message then ends "(Stopped)" (model.py). Bookmark (`MJ::BOOKMARK::<uuid>`) makes no
job: Midjourney answers "You have successfully rated [this job](<link>) with 😍", a reply to
the message whose button was pressed (tests/data/samples/61_v7_rated_notice.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.simulator.hooks import Turn, on_button

if TYPE_CHECKING:
    from bridge.simulator.model import MidjourneyModel

_CANCEL = "MJ::CancelJob::ByJobid::"
_BOOKMARK = "MJ::BOOKMARK::"


@on_button(_CANCEL)
async def cancel(model: MidjourneyModel, turn: Turn) -> None:
    model.cancelled.add(turn.custom_id.removeprefix(_CANCEL))


@on_button(_BOOKMARK)
async def bookmark(model: MidjourneyModel, turn: Turn) -> None:
    pressed = str(turn.payload.get("message_id"))
    guild = turn.payload.get("guild_id") or "@me"
    link = f"https://discord.com/channels/{guild}/{turn.channel_id}/{pressed}"
    notice = model.message(turn, f"You have successfully rated [this job]({link}) with 😍")
    notice["message_reference"] = {"type": 0, "message_id": pressed, "channel_id": turn.channel_id}
    await turn.discord.create_message(turn.channel_id, notice)

"""The keys under a result: laid out from Midjourney's buttons (bot/keyboards.py) and stored as
tokens (storage/buttons.py), in the order they show, before the result goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot.keyboards import ORIGINAL, Key, RegionButton, layout, markup
from bot.texts import texts
from bot.video_jobs import is_video_clip
from bridge.messages import ResultKind
from storage.buttons import add_buttons
from storage.db import Database
from storage.models import Job, JobStatus

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

UPSCALES = {ResultKind.UPSCALE.value, ResultKind.UPSCALE_HD.value}
# Results that are prompts to pick from, each with a button that draws it.
SUGGESTIONS = {ResultKind.DESCRIBE.value: "describe", ResultKind.SHORTEN.value: "shorten"}
# Results that are words alone, with no keys.
TEXT_ONLY = {ResultKind.INFO.value, ResultKind.NOTICE.value}


@dataclass(frozen=True, slots=True)
class Keys:
    """The keyboard under a result: rows of keys and their stored tokens, in the same order."""

    rows: list[list[Key]]
    tokens: list[str]

    def markup(self, region: RegionButton | None = None) -> InlineKeyboardMarkup | None:
        return markup(self.rows, self.tokens, region)


async def add_keys(session: AsyncSession, job: Job, *, region: bool) -> Keys:
    """Store the buttons under a result (a picture's "original" button is known before the
    download only for an upscale: see add_original); `region`: offer Vary (Region)."""
    assert job.id is not None
    if job.status is not JobStatus.SUCCEEDED or job.result_kind in TEXT_ONLY:
        return Keys([], [])
    suggested: list[str] | None = None
    if job.result_kind in SUGGESTIONS:
        suggested = job.texts
        rows = [[Key(f"{n}\ufe0f\u20e3", "imagine") for n in range(1, len(suggested) + 1)]]
    else:
        # A clip's 📎 sends Midjourney's own MP4, as an upscale's sends its PNG.
        original = job.result_kind in UPSCALES or is_video_clip(job)
        rows = layout(job.buttons, texts(job.language), original=original, region=region)
    tokens = await add_buttons(
        session=session,
        chat_id=job.chat_id,
        job_id=job.id,
        buttons=[(key.action, key.custom_id, key.kind) for row in rows for key in row],
        texts=suggested,
    )
    return Keys(rows, [t.token for t in tokens])


async def add_original(db: Database, job: Job, keys: Keys) -> Keys:
    """The keys with 📎 Original added: the picture was shrunk to fit Telegram, and the
    untouched file is one tap away."""
    assert job.id is not None
    original = Key(texts(job.language)(ORIGINAL), "original")
    async with db.transaction() as session:
        (token,) = await add_buttons(
            session=session,
            chat_id=job.chat_id,
            job_id=job.id,
            buttons=[(original.action, original.custom_id, original.kind)],
        )
    return Keys([*keys.rows, [original]], [*keys.tokens, token.token])

"""A job's one message: posted when the job is made, edited as it goes, holding its outcome.

A picture job's message is a photo: a placeholder, then Midjourney's progress previews (each
with its caption in the same editMessageMedia), whose caption tells the progress; the result
is put into it with editMessageMedia, and a failure puts the placeholder back. Repeating that
edit after a restart changes nothing the user sees, so delivery has nothing it could send
twice. A job of words (describe, shorten, /info, a mode switch) has a text message that its
result replaces. Only when that message is gone (deleted by the user, or never posted) is a new
one posted, and it is recorded before the result goes into it: a kill in between leaves at most
a spare placeholder, never a second result.
"""

from __future__ import annotations

import functools
import io
import logging

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    InputMedia,
    InputMediaAnimation,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest

from bot.mj_commands import DRAWING_KINDS
from storage.models import Job

_log = logging.getLogger(__name__)

# A video's message is a photo too: its result, an animation, goes in with editMessageMedia.
PICTURE_KINDS = DRAWING_KINDS
_PLACEHOLDER_SIDE = 512


def shows_picture(job: Job) -> bool:
    """Whether the job's message is a photo (its result is a picture)."""
    return job.kind in PICTURE_KINDS


def gone(exc: BadRequest) -> bool:
    """The message can no longer take this edit: deleted, or not of the right kind."""
    message = exc.message.lower()
    return any(
        words in message
        for words in ("not found", "there is no media", "there is no text", "can't be edited")
    )


def unchanged(exc: BadRequest) -> bool:
    return "not modified" in exc.message.lower()


@functools.cache
def placeholder_png() -> bytes:
    """The picture a job's message shows until Midjourney's: a plain dark square."""
    from PIL import Image  # loaded on first use: most of the bot never needs Pillow

    buffer = io.BytesIO()
    Image.new("RGB", (_PLACEHOLDER_SIDE, _PLACEHOLDER_SIDE), (43, 45, 49)).save(buffer, "PNG")
    return buffer.getvalue()


def _uploaded(media: InputMedia, shown: Message | None) -> InputMedia:
    """`media` by the file_id Telegram gave it in `shown`, or itself when `shown` does not
    tell."""
    file_id: str | None = None
    if shown is not None:
        if isinstance(media, InputMediaPhoto) and shown.photo:
            file_id = shown.photo[-1].file_id
        elif isinstance(media, InputMediaAnimation) and shown.animation:
            file_id = shown.animation.file_id
        elif isinstance(media, InputMediaDocument) and shown.document:
            file_id = shown.document.file_id
    if file_id is None:
        return media
    return type(media)(
        file_id,
        caption=media.caption,
        parse_mode=media.parse_mode,
        caption_entities=media.caption_entities,
    )


def reply_to(job: Job) -> ReplyParameters | None:
    if job.request_message_id is None:
        return None
    return ReplyParameters(job.request_message_id, allow_sending_without_reply=True)


class StatusMessages:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._placeholder: str | None = None  # Telegram's file_id once uploaded

    async def post(self, job: Job, body: str, *, picture: bool | None = None) -> Message:
        """Post the job's message (a reply to its request), a photo if `picture` (default:
        if the job draws); raises TelegramError."""
        if not (shows_picture(job) if picture is None else picture):
            return await self._bot.send_message(job.chat_id, body, reply_parameters=reply_to(job))
        photo: str | InputFile = self._placeholder or InputFile(
            placeholder_png(), filename="drawing.png"
        )
        message = await self._bot.send_photo(
            job.chat_id, photo, caption=body, reply_parameters=reply_to(job)
        )
        if message.photo:
            self._placeholder = message.photo[-1].file_id
        return message

    async def edit(
        self,
        job: Job,
        message_id: int,
        body: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        picture: bool | None = None,
    ) -> None:
        """Say `body` in the job's message (its caption for a photo); an edit that changes
        nothing is no error. Raises BadRequest when the message is gone (see `gone`)."""
        try:
            if shows_picture(job) if picture is None else picture:
                await self._bot.edit_message_caption(
                    job.chat_id, message_id, caption=body, reply_markup=markup
                )
            else:
                await self._bot.edit_message_text(
                    body, job.chat_id, message_id, reply_markup=markup
                )
        except BadRequest as exc:
            if not unchanged(exc):
                raise

    async def show(
        self,
        job: Job,
        message_id: int,
        photo: bytes,
        body: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Put `photo` (a progress preview) into the job's photo message, captioned `body`:
        one call, like the caption edit it stands for. Raises BadRequest as `edit` does."""
        media = InputMediaPhoto(photo, caption=body, filename="preview.jpg")
        try:
            await self._bot.edit_message_media(media, job.chat_id, message_id, reply_markup=markup)
        except BadRequest as exc:
            if not unchanged(exc):
                raise

    async def clear(self, job: Job, message_id: int, body: str) -> None:
        """Put the placeholder back into the job's photo message, captioned `body` (its
        failure): no half-drawn preview of a job that failed (Midjourney's output filter is one
        reason) stays in the chat. One call, like the caption edit it stands for; raises
        BadRequest as `edit` does."""
        photo: str | bytes = self._placeholder or placeholder_png()
        media = InputMediaPhoto(photo, caption=body, filename="drawing.png")
        try:
            message = await self._bot.edit_message_media(media, job.chat_id, message_id)
        except BadRequest as exc:
            if not unchanged(exc):
                raise
            return
        if isinstance(message, Message) and message.photo:
            self._placeholder = message.photo[-1].file_id

    async def put_again(
        self,
        job: Job,
        message_id: int,
        media: InputMedia,
        shown: Message | None,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        """Put an outcome in once more, after a progress edit that may have landed over it:
        by the file_id of `shown` (the first put's answer), so nothing is uploaded twice.
        Raises as `edit` does (a delivery that fails here is tried again whole)."""
        again = _uploaded(media, shown)
        try:
            await self._bot.edit_message_media(again, job.chat_id, message_id, reply_markup=markup)
        except BadRequest as exc:
            if not unchanged(exc):
                raise

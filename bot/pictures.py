"""Pictures users send: which ones we take, and getting them from Telegram to Discord.

Bytes travel Telegram -> this process -> Discord. A Telegram file URL is never handed to anyone:
it contains the bot token.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, Message

from bot.commands import parse_command
from bot.mj_commands import PICTURE_COMMANDS
from bridge.interactions import Upload
from bridge.staging import Stage

# getFile downloads at most 20 MB.
MAX_DOWNLOAD = 20 * 1024 * 1024
_IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


@dataclass(frozen=True, slots=True)
class Picture:
    file_id: str
    file_size: int | None
    filename: str

    @property
    def too_big(self) -> bool:
        return self.file_size is not None and self.file_size > MAX_DOWNLOAD


def picture_of(message: Message | None) -> Picture | None:
    """The picture a message carries: a photo, or an image sent as a file."""
    if message is None:
        return None
    if message.photo:
        largest = message.photo[-1]
        return Picture(largest.file_id, largest.file_size, f"{largest.file_unique_id}.jpg")
    document = message.document
    if document is not None and document.mime_type in _IMAGE_TYPES:
        name = document.file_name or document.file_unique_id + _IMAGE_TYPES[document.mime_type]
        return Picture(document.file_id, document.file_size, name)
    return None


def caption_command(text: str | None, bot_username: str) -> tuple[str, str] | None:
    """("imagine", "the rest") for a caption like "/imagine@this_bot the rest"."""
    parsed = parse_command(text, bot_username)
    return parsed if parsed is not None and parsed[0] in PICTURE_COMMANDS else None


async def download(bot: Bot, picture: Picture) -> bytes:
    file = await bot.get_file(picture.file_id)
    return bytes(await file.download_as_bytearray())


async def to_prompt_urls(bot: Bot, stage: Stage, pictures: tuple[Picture, ...]) -> list[str]:
    """Publish pictures on Discord; their URLs start an image prompt."""
    return [await stage.publish(await download(bot, p), p.filename) for p in pictures]


async def to_uploads(bot: Bot, stage: Stage, pictures: tuple[Picture, ...]) -> list[Upload]:
    """Upload pictures for a slash command that takes attachments (describe, blend)."""
    return [await stage.upload(await download(bot, p), p.filename) for p in pictures]

"""Pictures with a command: image prompts (/imagine), /describe, /blend and /video.

A command arrives as the caption of a picture or an album, or as a text reply to one.
"""

from __future__ import annotations

import re

from telegram import Bot, Message, ReplyParameters, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.albums import Album
from bot.handlers.chat_settings import apply_chat_defaults
from bot.handlers.imagine import MAX_PROMPT_LENGTH, imagine
from bot.pictures import caption_command, picture_of
from bot.prompt_guard import check_prompt
from bot.services import BotContext, Services
from bot.submission import Refusal, Request, launch_job, reserve_job
from bot.texts import language_of, text
from bot.video_jobs import video_problem
from storage.models import JobKind

MAX_PICTURES = 5
_DIMENSIONS = re.compile(r"^--ar\s+(2:3|1:1|3:2)$")
_KINDS = {
    "imagine": JobKind.IMAGINE,
    "describe": JobKind.DESCRIBE,
    "blend": JobKind.BLEND,
    "video": JobKind.VIDEO,
}


def _problem(album: Album) -> tuple[str, dict[str, object]] | None:
    """Why these pictures cannot go with this command, as a text key and its values."""
    assert album.command is not None
    command, args = album.command
    count = len(album.pictures)
    if any(picture.too_big for picture in album.pictures):
        return "picture_too_big", {}
    if command == "imagine":
        if count > MAX_PICTURES:
            return "too_many_pictures", {"limit": MAX_PICTURES}
        if not args and count < 2:
            return "usage_image_prompt", {}
        if len(args) > MAX_PROMPT_LENGTH:
            return "prompt_too_long", {"length": len(args), "limit": MAX_PROMPT_LENGTH}
    elif command == "video":
        return video_problem(count, args, MAX_PROMPT_LENGTH)
    elif command == "describe" and count != 1:
        return "describe_one", {}
    elif command == "blend":
        if not 2 <= count <= MAX_PICTURES:
            return "blend_count", {}
        if args and not _DIMENSIONS.match(args):
            return "blend_dims", {}
    return None


async def run_album(album: Album, services: Services, bot: Bot) -> None:
    """Check the pictures, then reserve and launch the job they ask for."""
    assert album.command is not None
    lang = album.language
    reply = ReplyParameters(album.first_message_id, allow_sending_without_reply=True)
    problem = _problem(album)
    if problem is not None:
        key, values = problem
        await bot.send_message(album.chat_id, text(lang, key, **values), reply_parameters=reply)
        return
    command, args = album.command
    # The same checks as a plain /imagine: the caption is its prompt.
    checked = command in ("imagine", "video") and args
    if checked and (refusal := check_prompt(services.settings, args, lang)) is not None:
        await bot.send_message(album.chat_id, refusal, reply_parameters=reply)
        return
    if command == "imagine":
        # A video takes no picture parameters (Midjourney drops them): no chat defaults.
        args = await apply_chat_defaults(services.db, album.chat_id, args)
    request = Request(
        chat_id=album.chat_id,
        chat_is_group=album.chat_is_group,
        user_id=album.user_id,
        language=lang,
        kind=_KINDS[command],
        prompt=args,
        reply_to=album.first_message_id,
        pictures=tuple(album.pictures),
    )
    try:
        job = await reserve_job(services, request)
    except Refusal as refusal:
        await bot.send_message(album.chat_id, refusal.text(lang), reply_parameters=reply)
        return
    await launch_job(services, bot, job, request.pictures)


def album_of(message: Message, update: Update, command: tuple[str, str] | None) -> Album:
    user = update.effective_user
    return Album(
        chat_id=message.chat.id,
        chat_is_group=message.chat.type != "private",
        user_id=user.id if user else None,
        language=language_of(user.language_code if user else None),
        first_message_id=message.message_id,
        command=command,
    )


async def on_picture(update: Update, context: BotContext) -> None:
    """A photo or image file: with a command caption it is a job; an album is collected first."""
    message = update.effective_message
    assert message is not None
    picture = picture_of(message)
    command = caption_command(message.caption, context.bot.username)
    part = album_of(message, update, command)
    if picture is None:  # an image file of a kind Midjourney does not take (GIF, SVG, ...)
        if command is not None or message.chat.type == "private":
            await message.reply_text(text(part.language, "not_an_image"))
        return
    part.pictures.append(picture)
    part.message_ids.append(message.message_id)
    services, bot = context.services, context.bot
    if message.media_group_id:
        services.albums.add(
            message.media_group_id, part, lambda album: run_album(album, services, bot)
        )
        return
    if command is not None:
        await run_album(part, services, bot)
    elif message.chat.type == "private":
        await message.reply_text(text(part.language, "picture_hint"))


async def on_reply_command(update: Update, context: BotContext) -> None:
    """/imagine, /describe or /blend sent as a reply to a picture (or to a part of an album)."""
    message = update.effective_message
    assert message is not None
    target = message.reply_to_message
    command = caption_command(message.text, context.bot.username)
    assert command is not None
    assert target is not None
    album = album_of(message, update, command)
    known = context.services.albums.recent(message.chat.id, target.message_id)
    if known is not None:
        album.pictures.extend(known.pictures)
    elif (picture := picture_of(target)) is not None:
        album.pictures.append(picture)
    elif command[0] == "imagine":
        await imagine(update, context)  # a reply to something else: a plain /imagine
        return
    await run_album(album, context.services, context.bot)


async def not_an_image(update: Update, context: BotContext) -> None:
    """A file that is not a picture, sent to the bot in private."""
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    await message.reply_text(
        text(language_of(user.language_code if user else None), "not_an_image")
    )


async def usage(update: Update, context: BotContext) -> None:
    """/describe, /blend or /video without a picture to work on."""
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    command = caption_command(message.text, context.bot.username)
    keys = {"blend": "usage_blend", "video": "usage_video"}
    key = keys.get(command[0], "usage_describe") if command else "usage_describe"
    await message.reply_text(text(lang, key))


_PICTURE = filters.PHOTO | filters.Document.IMAGE
_REPLY_TO_PICTURE = filters.REPLY & filters.UpdateType.MESSAGE

HANDLERS = [
    MessageHandler(_PICTURE, on_picture),
    CommandHandler(
        ["imagine", "describe", "blend", "video"], on_reply_command, filters=_REPLY_TO_PICTURE
    ),
    CommandHandler(["describe", "blend", "video"], usage),
    MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, not_an_image),
]

"""Pictures with a command: image prompts (/imagine), /describe, /blend and /video.

A command arrives as the caption of a picture or an album, or as a text reply to one.
"""

from __future__ import annotations

import re

from telegram import Bot, Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.albums import Album
from bot.handlers.chat_settings import apply_chat_defaults
from bot.handlers.imagine import MAX_PROMPT_LENGTH, TOO_LONG, imagine
from bot.pictures import caption_command, picture_of
from bot.prompt_guard import check_prompt
from bot.refusals import Refusal, send_refusal
from bot.services import BotContext, Services
from bot.submission import Request, requester, submit
from bot.texts import N_, texts
from bot.video_jobs import USAGE as VIDEO_USAGE
from bot.video_jobs import check_video
from storage.models import JobKind

MAX_PICTURES = 5
_DIMENSIONS = re.compile(r"^--ar\s+(2:3|1:1|3:2)$")
_KINDS = {
    "imagine": JobKind.IMAGINE,
    "describe": JobKind.DESCRIBE,
    "blend": JobKind.BLEND,
    "video": JobKind.VIDEO,
}
NOT_AN_IMAGE = N_("I can only use pictures (JPEG, PNG or WebP).")


def check_album(album: Album) -> None:
    """Raise Refusal when these pictures cannot go with this command."""
    assert album.command is not None
    command, args = album.command
    count = len(album.pictures)
    if any(picture.too_big for picture in album.pictures):
        raise Refusal(
            N_("That picture is over Telegram's 20 MB download limit; please send a smaller one.")
        )
    if command == "imagine":
        if count > MAX_PICTURES:
            raise Refusal(N_("Please use at most {limit} pictures."), limit=MAX_PICTURES)
        if not args and count < 2:
            raise Refusal(N_("Add what to draw after /imagine, or send 2–5 pictures together."))
        if len(args) > MAX_PROMPT_LENGTH:
            raise Refusal(TOO_LONG, length=len(args), limit=MAX_PROMPT_LENGTH)
    elif command == "video":
        check_video(count, args, MAX_PROMPT_LENGTH, TOO_LONG)
    elif command == "describe" and count != 1:
        raise Refusal(N_("/describe works on one picture at a time."))
    elif command == "blend":
        if not 2 <= count <= MAX_PICTURES:
            raise Refusal(N_("/blend needs 2 to 5 pictures, sent together as an album."))
        if args and not _DIMENSIONS.match(args):
            raise Refusal(N_("/blend takes only a shape: --ar 2:3, --ar 1:1 or --ar 3:2."))


async def run_album(album: Album, services: Services, bot: Bot) -> None:
    """Check the pictures, then submit the job they ask for; a refusal replies to the first."""
    _ = texts(album.language)
    try:
        await _submit_album(album, services, bot)
    except Refusal as refusal:
        await send_refusal(bot, album.chat_id, album.first_message_id, refusal, _)


async def _submit_album(album: Album, services: Services, bot: Bot) -> None:
    assert album.command is not None
    check_album(album)
    command, args = album.command
    # The same checks as a plain /imagine: the caption is its prompt.
    if command in ("imagine", "video") and args:
        problem = check_prompt(services.settings, args, texts(album.language))
        if problem is not None:
            raise Refusal("{problem}", problem=problem)
    if command == "imagine":
        # A video takes no picture parameters (Midjourney drops them): no chat defaults.
        args = await apply_chat_defaults(services.db, album.chat_id, args)
    request = Request(
        chat_id=album.chat_id,
        chat_is_group=album.chat_is_group,
        user_id=album.user_id,
        language=album.language,
        kind=_KINDS[command],
        prompt=args,
        reply_to=album.first_message_id,
        pictures=tuple(album.pictures),
        requested_by=album.requested_by,
    )
    await submit(services, bot, request)


def album_of(
    message: Message, update: Update, context: BotContext, command: tuple[str, str] | None
) -> Album:
    user = update.effective_user
    return Album(
        chat_id=message.chat.id,
        chat_is_group=message.chat.type != "private",
        user_id=user.id if user else None,
        language=context.language,
        requested_by=requester(message.chat, user),
        first_message_id=message.message_id,
        command=command,
    )


async def on_picture(update: Update, context: BotContext) -> None:
    """A photo or image file: with a command caption it is a job; an album is collected first."""
    message = update.effective_message
    assert message is not None
    picture = picture_of(message)
    command = caption_command(message.caption, context.bot.username)
    part = album_of(message, update, context, command)
    if picture is None:  # an image file of a kind Midjourney does not take (GIF, SVG, ...)
        if command is not None or message.chat.type == "private":
            await message.reply_text(context.texts(NOT_AN_IMAGE))
        return
    _ = context.texts
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
        await message.reply_text(
            _(
                "To use this picture, send it with a caption: /imagine <prompt> to draw from it, "
                "or /describe to get prompts for it."
            )
        )


async def on_reply_command(update: Update, context: BotContext) -> None:
    """/imagine, /describe or /blend sent as a reply to a picture (or to a part of an album)."""
    message = update.effective_message
    assert message is not None
    target = message.reply_to_message
    command = caption_command(message.text, context.bot.username)
    assert command is not None
    assert target is not None
    album = album_of(message, update, context, command)
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
    await message.reply_text(context.texts(NOT_AN_IMAGE))


async def usage(update: Update, context: BotContext) -> None:
    """/describe, /blend or /video without a picture to work on."""
    message = update.effective_message
    assert message is not None
    _ = context.texts
    command = caption_command(message.text, context.bot.username)
    if command and command[0] == "video":
        body = _(VIDEO_USAGE)
    elif command and command[0] == "blend":
        body = _(
            "Send 2–5 pictures as an album with the caption /blend (optionally --ar 2:3, 1:1 or "
            "3:2)."
        )
    else:
        body = _("Send a picture with the caption /describe, or reply /describe to a picture.")
    await message.reply_text(body)


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

"""Pictures with a command: image prompts (/imagine), /describe, /blend, /video (the picture
commands of bot/mj_commands.py).

A command arrives as the caption of a picture or an album, or as a text reply to one.
"""

from __future__ import annotations

from telegram import Bot, Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.albums import Album
from bot.handlers.chat_settings import apply_chat_defaults
from bot.handlers.imagine import prompt_command
from bot.mj_commands import COMMANDS, PICTURE_COMMANDS
from bot.pictures import caption_command, picture_of
from bot.prompt_guard import check_prompt
from bot.refusals import Refusal, send_refusal
from bot.services import BotContext, Services
from bot.submission import Request, requester, submit
from bot.texts import N_, texts

NOT_AN_IMAGE = N_("I can only use pictures (JPEG, PNG or WebP).")


def check_album(album: Album) -> None:
    """Raise Refusal when these pictures cannot go with this command."""
    assert album.command is not None
    command, args = album.command
    if any(picture.too_big for picture in album.pictures):
        raise Refusal(
            N_("That picture is over Telegram's 20 MB download limit; please send a smaller one.")
        )
    check = COMMANDS[command].pictures
    assert check is not None  # caption_command takes picture commands only
    check(len(album.pictures), args)


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
    if COMMANDS[command].prompt and args:
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
        kind=COMMANDS[command].kind,
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
    elif COMMANDS[command[0]].alone:
        await prompt_command(update, context)  # a reply to something else: a plain /imagine
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
    command = caption_command(message.text, context.bot.username)
    name = command[0] if command else "describe"
    await message.reply_text(context.texts(COMMANDS[name].usage))


_PICTURE = filters.PHOTO | filters.Document.IMAGE
_REPLY_TO_PICTURE = filters.REPLY & filters.UpdateType.MESSAGE

HANDLERS = [
    MessageHandler(_PICTURE, on_picture),
    CommandHandler(sorted(PICTURE_COMMANDS), on_reply_command, filters=_REPLY_TO_PICTURE),
    # Picture commands that take no prompt on their own: without a picture, how to use them.
    CommandHandler([name for name in PICTURE_COMMANDS if not COMMANDS[name].alone], usage),
    MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, not_an_image),
]

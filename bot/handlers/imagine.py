"""/imagine <prompt> and /shorten <prompt>."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import CommandHandler

from bot.handlers.chat_settings import apply_chat_defaults
from bot.prompt_guard import check_prompt
from bot.services import BotContext
from bot.submission import Refusal, Request, launch_job, reserve_job
from bot.texts import language_of, text
from storage.models import JobKind

# Midjourney reads roughly the first 60 words; a prompt past this is almost surely a paste slip.
MAX_PROMPT_LENGTH = 2000


def prompt_of(text_: str, entities: tuple[MessageEntity, ...]) -> str:
    """The text after the leading /command (or /command@bot), spacing inside kept."""
    command = next((e for e in entities if e.type == MessageEntity.BOT_COMMAND), None)
    start = command.offset + command.length if command and command.offset == 0 else 0
    return text_[start:].strip()


def prompt_refusal(context: BotContext, prompt: str, lang: str) -> str | None:
    """Why the prompt cannot go to Midjourney (length, banned term, bad parameter), or None.

    Checked before any quota is reserved or anything is sent: a banned prompt risks the account.
    """
    if len(prompt) > MAX_PROMPT_LENGTH:
        return text(lang, "prompt_too_long", length=len(prompt), limit=MAX_PROMPT_LENGTH)
    return check_prompt(context.services.settings, prompt, lang)


async def _submit(context: BotContext, message: Message, request: Request) -> None:
    services = context.services
    try:
        job = await reserve_job(services, request)
    except Refusal as refusal:
        await message.reply_text(refusal.text(request.language))
        return
    await launch_job(services, context.bot, job)


async def _prompt_command(
    update: Update, context: BotContext, kind: JobKind, usage_key: str
) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None
    assert chat is not None
    assert message.text is not None
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    prompt = prompt_of(message.text, message.entities)
    if not prompt:
        await message.reply_text(text(lang, usage_key))
        return
    if (refusal := prompt_refusal(context, prompt, lang)) is not None:
        await message.reply_text(refusal)
        return
    if kind is JobKind.IMAGINE:
        prompt = await apply_chat_defaults(context.services.db, chat.id, prompt)
    request = Request(
        chat_id=chat.id,
        chat_is_group=chat.type != "private",
        user_id=user.id if user else None,
        language=lang,
        kind=kind,
        prompt=prompt,
        reply_to=message.message_id,
    )
    await _submit(context, message, request)


async def imagine(update: Update, context: BotContext) -> None:
    """Queue a new grid for the prompt, with the chat's default parameters."""
    await _prompt_command(update, context, JobKind.IMAGINE, "usage_imagine")


async def shorten(update: Update, context: BotContext) -> None:
    """Ask Midjourney for shorter versions of the prompt; they come back with buttons."""
    await _prompt_command(update, context, JobKind.SHORTEN, "usage_shorten")


HANDLERS = [CommandHandler("imagine", imagine), CommandHandler("shorten", shorten)]

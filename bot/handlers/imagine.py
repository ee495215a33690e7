"""/imagine <prompt>."""

from __future__ import annotations

from telegram import MessageEntity, Update
from telegram.ext import CommandHandler

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


async def imagine(update: Update, context: BotContext) -> None:
    """Queue a new grid for the prompt."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None
    assert chat is not None
    assert message.text is not None
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    prompt = prompt_of(message.text, message.entities)
    if not prompt:
        await message.reply_text(text(lang, "usage_imagine"))
        return
    if len(prompt) > MAX_PROMPT_LENGTH:
        await message.reply_text(
            text(lang, "prompt_too_long", length=len(prompt), limit=MAX_PROMPT_LENGTH)
        )
        return
    request = Request(
        chat_id=chat.id,
        chat_is_group=chat.type != "private",
        user_id=user.id if user else None,
        language=lang,
        kind=JobKind.IMAGINE,
        prompt=prompt,
        reply_to=message.message_id,
    )
    services = context.services
    try:
        job = await reserve_job(services, request)
    except Refusal as refusal:
        await message.reply_text(refusal.text(lang))
        return
    await launch_job(services, context.bot, job)


HANDLERS = [CommandHandler("imagine", imagine)]

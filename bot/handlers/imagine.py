"""Prompt commands (/imagine <prompt>, /shorten <prompt>: bot/mj_commands.py lists them); in a
private chat plain text is a prompt too."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.commands import parse_command
from bot.handlers.chat_settings import apply_chat_defaults
from bot.mj_commands import MAX_PROMPT_LENGTH, PROMPT_COMMANDS, TOO_LONG, USAGE
from bot.prompt_guard import check_prompt
from bot.refusals import Refusal
from bot.services import BotContext
from bot.submission import Request, requester, submit
from storage.models import JobKind


def check_prompt_or_refuse(context: BotContext, prompt: str) -> None:
    """Raise Refusal when the prompt cannot go to Midjourney (length, banned term, parameter).

    Checked before any quota is reserved or anything is sent: a banned prompt risks the account.
    """
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise Refusal(TOO_LONG, length=len(prompt), limit=MAX_PROMPT_LENGTH)
    problem = check_prompt(context.services.settings, prompt, context.texts)
    if problem is not None:
        raise Refusal("{problem}", problem=problem)


async def submit_prompt(context: BotContext, message: Message, kind: JobKind, prompt: str) -> None:
    """The checks, the chat's defaults (for /imagine) and the job, replying to `message`."""
    if not prompt:
        await message.reply_text(context.texts(USAGE[kind]))
        return
    check_prompt_or_refuse(context, prompt)
    chat = message.chat
    if kind is JobKind.IMAGINE:
        prompt = await apply_chat_defaults(context.services.db, chat.id, prompt)
    user = message.from_user
    request = Request(
        chat_id=chat.id,
        chat_is_group=chat.type != "private",
        user_id=user.id if user else None,
        language=context.language,
        kind=kind,
        prompt=prompt,
        reply_to=message.message_id,
        requested_by=requester(chat, user),
    )
    await submit(context.services, context.bot, request)


async def prompt_command(update: Update, context: BotContext) -> None:
    """/imagine, /shorten...: the prompt after the command goes to Midjourney's command."""
    message = update.effective_message
    assert message is not None
    parsed = parse_command(message.text, context.bot.username)
    assert parsed is not None  # CommandHandler matched it
    name, prompt = parsed
    await submit_prompt(context, message, PROMPT_COMMANDS[name].kind, prompt)


async def imagine(update: Update, context: BotContext) -> None:
    """Queue a new grid for the prompt, with the chat's default parameters."""
    await prompt_command(update, context)


async def plain_prompt(update: Update, context: BotContext) -> None:
    """Text without a command in a private chat: a prompt, as if sent with /imagine."""
    message = update.effective_message
    assert message is not None
    await submit_prompt(context, message, JobKind.IMAGINE, (message.text or "").strip())


# Private chats only: in groups people talk to each other, and the bot keeps to commands and
# to replies to its own questions (bot.handlers.replies runs before this).
PLAIN_TEXT = (
    filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
)

HANDLERS = [CommandHandler(list(PROMPT_COMMANDS), prompt_command)]
PLAIN_HANDLERS = [MessageHandler(PLAIN_TEXT, plain_prompt)]

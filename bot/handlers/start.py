"""/start and /help."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.mj_commands import help_lines
from bot.services import BotContext
from bot.settings import Settings
from bot.texts import N_, Texts
from bridge.versions import VERSIONS

# The /help text (a constant: tests render it in every language). The commands' own lines
# (bot/mj_commands.py) follow the first paragraph, as part of {how}.
HELP = N_(
    "🎨 <b>How to use me</b>\n"
    "/imagine &lt;prompt&gt; — draw a 2×2 grid. Midjourney parameters such as "
    "--ar 16:9, --v 8.1 --hd, --stylize 250 or --no text go at the end. "
    "Models: {versions} (the first is Midjourney's default).\n"
    "{how}\n\n"
    "Under a grid: U1–U4 upscale one picture, V1–V4 vary it, 🔄 draws the grid again. "
    "Under an upscale: vary, zoom out, pan and upscale further.\n\n"
    "/settings — default version, aspect ratio, stylize, speed and language\n"
    "/quota — what is left today\n\n"
    "{quota}"
)


async def start(update: Update, context: BotContext) -> None:
    """Greet the user and show an example."""
    assert update.effective_message is not None
    assert update.effective_chat is not None
    _ = context.texts
    if update.effective_chat.type == Chat.PRIVATE:
        body = _(
            "👋 Hi! I bring Midjourney to Telegram.\n\n"
            "Send me what you want to see, for example:\n"
            "a red fox in the snow --ar 3:2\n\n"
            "I'll show the progress and send back a grid of four pictures with buttons to "
            "upscale (U1–U4), make variations (V1–V4) or try again (🔄). /help tells more."
        )
    else:
        body = _(
            "👋 Hi! I bring Midjourney to this group.\n\n"
            "Write /imagine@{bot} and what you want to see, for example:\n"
            "/imagine@{bot} a red fox in the snow --ar 3:2\n\n"
            "I'll show the progress and send back a grid of four pictures with buttons to "
            "upscale (U1–U4), make variations (V1–V4) or try again (🔄). /help tells more.",
            bot=context.bot.username,
        )
    await update.effective_message.reply_text(body)


def help_text(_: Texts, settings: Settings, *, in_group: bool, bot: str | None) -> str:
    """The /help body (HTML) in a private chat, or in a group where the bot is `bot`."""
    if in_group:
        how = _(
            "In this group write /imagine@{bot} &lt;prompt&gt;; I answer commands and replies "
            "to my questions only.",
            bot=bot,
        )
        quota = _.plural(
            "Each job counts against a daily quota: {n} job a day per person, {chat} for the "
            "whole group.",
            "Each job counts against a daily quota: {n} jobs a day per person, {chat} for the "
            "whole group.",
            settings.user_daily_quota,
            chat=settings.chat_daily_quota,
        )
    else:
        how = _("In this chat any text without a command is a prompt, as if sent with /imagine.")
        quota = _.plural(
            "Each job counts against a daily quota of {n} job.",
            "Each job counts against a daily quota of {n} jobs.",
            settings.user_daily_quota,
        )
    how = f"{how}\n\n{help_lines(_)}"
    return _(
        HELP,
        how=how,
        quota=quota,
        versions=", ".join(version.label for version in VERSIONS),
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explain the commands, the buttons and the quota."""
    assert update.effective_message is not None
    assert update.effective_chat is not None
    in_group = update.effective_chat.type != Chat.PRIVATE
    body = help_text(
        context.texts, context.services.settings, in_group=in_group, bot=context.bot.username
    )
    await update.effective_message.reply_text(body, parse_mode=ParseMode.HTML)


HANDLERS = [CommandHandler("start", start), CommandHandler("help", help_command)]

"""The bot's operators (ADMIN_USER_IDS): chat access, statistics, the Midjourney account.

/allow and /deny let a chat in or out, /stats shows the queue and jobs per chat, /resume sends
jobs again after a pause. /mjinfo, /fast and /relax run Midjourney's /info and mode commands as
jobs like any other (they wait for a slot, are correlated and time out the same way; Delivery
turns the result into text). They draw nothing, so they take no quota: Job.cost is 0, no
ledger entry is made, and charge and refund then find nothing to settle.
"""

from __future__ import annotations

from telegram import Update

from bot.admin import require_operator
from bot.commands import new_commands
from bot.services import BotContext
from bot.submission import check_capacity, launch_job
from storage.chat_stats import chat_stats
from storage.chats import quota_window, set_allowed
from storage.jobs import create_job
from storage.models import Job, JobKind, JobStatus


async def _set_access(update: Update, context: BotContext, *, allowed: bool) -> None:
    message = update.effective_message
    assert message is not None
    if not await require_operator(context, message):
        return
    _ = context.texts
    args = list(context.args or [])
    chat = message.chat
    if not args:
        chat_id, chat_type, title = chat.id, chat.type, chat.title
    elif len(args) == 1 and args[0].lstrip("-").isdigit():
        chat_id, chat_type, title = int(args[0]), None, None
    else:
        await message.reply_text(_("Usage: /allow or /deny, optionally followed by a chat id."))
        return
    async with context.services.db.transaction() as session:
        await set_allowed(
            session=session, chat_id=chat_id, allowed=allowed, type=chat_type, title=title
        )
    if allowed:
        await message.reply_text(_("✅ Chat {chat_id} may use the bot.", chat_id=chat_id))
    else:
        await message.reply_text(
            _("🚫 Chat {chat_id} may no longer use the bot.", chat_id=chat_id)
        )


async def allow(update: Update, context: BotContext) -> None:
    """Let this chat (or the chat id given) use the bot."""
    await _set_access(update, context, allowed=True)


async def deny(update: Update, context: BotContext) -> None:
    """Stop this chat (or the chat id given) from using the bot."""
    await _set_access(update, context, allowed=False)


async def stats(update: Update, context: BotContext) -> None:
    """Jobs per chat (today and in all), failures, and the Midjourney queue."""
    message = update.effective_message
    assert message is not None
    if not await require_operator(context, message):
        return
    _ = context.texts
    services = context.services
    window = quota_window(tz=services.settings.quota_tz)
    async with services.db.transaction() as session:
        rows = await chat_stats(session=session, day=window.day)
    status = services.dispatcher.status()
    lines = [
        _(
            "📊 Midjourney: {running} running, {waiting} waiting.",
            running=status.in_flight,
            waiting=status.waiting,
        )
    ]
    for account in status.accounts:
        state = _("healthy") if account.paused is None else f"⏸ {account.paused}"
        lines.append(
            _(
                "• {account}: {running}/{concurrency} running, {state}",
                account=account.name,
                running=account.running,
                concurrency=account.concurrency,
                state=state,
            )
        )
    for row in rows:
        label = f"{row.title} ({row.chat_id})" if row.title else str(row.chat_id)
        lines.append(
            _(
                "{chat}: today {today} ({today_failed} failed) · total {total} ({failed} failed)",
                chat=label,
                today=row.today,
                today_failed=row.today_failed,
                total=row.total,
                failed=row.failed,
            )
        )
    if not rows:
        lines.append(_("No jobs yet."))
    await message.reply_text("\n".join(lines))


async def resume(update: Update, context: BotContext) -> None:
    """Resume sending jobs after Midjourney paused an account."""
    message = update.effective_message
    assert message is not None
    if not await require_operator(context, message):
        return
    _ = context.texts
    services = context.services
    if not services.dispatcher.status().any_paused:
        await message.reply_text(_("Nothing is paused."))
        return
    await services.dispatcher.resume()
    await message.reply_text(_("▶️ Resumed: queued jobs go to Midjourney again."))


async def _run_account_command(update: Update, context: BotContext, kind: JobKind) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    # Operators only: the account is shared by every chat, and its plan is private.
    if user is None or not await require_operator(context, message):
        return
    services = context.services
    check_capacity(services)  # a Refusal goes to the one refusal handler
    job = Job(
        chat_id=message.chat.id,
        user_id=user.id,
        language=context.language,
        kind=kind,
        prompt="",  # these commands take no options
        cost=0,
        request_message_id=message.message_id,
        status=JobStatus.QUEUED,
        **services.dispatcher.ownership(),
    )
    async with services.db.transaction() as session:
        job = await create_job(session=session, job=job)
    await launch_job(services, context.bot, job)


async def mjinfo(update: Update, context: BotContext) -> None:
    """Show the account's plan, fast time left and queues (Midjourney's /info)."""
    await _run_account_command(update, context, JobKind.INFO)


async def fast(update: Update, context: BotContext) -> None:
    """Switch the account to fast mode."""
    await _run_account_command(update, context, JobKind.FAST)


async def relax(update: Update, context: BotContext) -> None:
    """Switch the account to relax mode."""
    await _run_account_command(update, context, JobKind.RELAX)


HANDLERS = new_commands(
    {
        "allow": allow,
        "deny": deny,
        "stats": stats,
        "resume": resume,
        "mjinfo": mjinfo,
        "fast": fast,
        "relax": relax,
    }
)

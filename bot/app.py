"""Building the PTB application and running it beside the bridge in one event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes

from bot import dedup, menu, metrics, startup
from bot.access import GATE, GATE_GROUP
from bot.albums import AlbumCollector
from bot.delivery import Delivery
from bot.handlers import (
    buttons,
    cancel,
    chat_settings,
    fallback,
    groups,
    imagine,
    language,
    moderation,
    operators,
    pictures,
    quota,
    replies,
    start,
)
from bot.health import Health
from bot.miniapp.links import MiniAppLinks
from bot.miniapp.region import Region
from bot.polling import HoldingApplication, HoldingBot
from bot.ratelimit import ChatPacedRateLimiter
from bot.services import BotApplication, BotContext, Services
from bot.settings import Backend as BackendName
from bot.settings import Settings
from bridge.accounts import Account
from bridge.backend import Backend
from bridge.discord_backend import DiscordBackend
from bridge.dispatcher import Dispatcher

if TYPE_CHECKING:
    from bot.miniapp.server import MiniAppServer

_log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    calls: metrics.TelegramLink | None = None,
    updates: metrics.TelegramLink | None = None,
) -> BotApplication:
    """The PTB application; `calls` and `updates` learn whether Telegram answers the Bot API
    calls and the long polls (bot/health.py)."""
    root = settings.telegram_api_url
    # Confirms an update to Telegram only once it is handled (bot/polling.py).
    bot = HoldingBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        # PTB's own defaults (256 and 1 connections), observed for 429s and reachability.
        request=metrics.ObservedRequest(
            calls or metrics.TelegramLink(), connection_pool_size=256, media_write_timeout=60
        ),
        get_updates_request=metrics.ObservedRequest(
            updates or metrics.TelegramLink(), connection_pool_size=1
        ),
        # Retries every 429 after its retry_after; paces groups (20 a minute) and private
        # chats (about one message a second).
        rate_limiter=ChatPacedRateLimiter(max_retries=5, scale=settings.telegram_chat_rate),
    )
    application = (
        ApplicationBuilder()
        .bot(bot)
        .application_class(HoldingApplication)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(True)
        .job_queue(None)  # nothing is scheduled through PTB (no APScheduler installed)
        .build()
    )
    # Updates handed over again are dropped first; the gate then stops updates from chats or
    # members refused.
    application.add_handler(dedup.SEEN, group=dedup.SEEN_GROUP)
    application.add_handler(GATE, group=GATE_GROUP)
    application.add_handler(dedup.REMEMBER, group=dedup.REMEMBER_GROUP)
    application.add_handlers(
        [
            *start.HANDLERS,
            # Commands by audience: everyone's quota, group admins, the bot's operators.
            *quota.HANDLERS,
            *moderation.HANDLERS,
            *operators.HANDLERS,
            *groups.HANDLERS,
            *chat_settings.HANDLERS,
            *language.HANDLERS,
            *pictures.HANDLERS,  # before imagine: it takes /imagine replying to a picture
            *imagine.HANDLERS,
            *buttons.HANDLERS,
            *cancel.HANDLERS,
            *replies.HANDLERS,  # before plain prompts: an answer to a question is not a prompt
            *imagine.PLAIN_HANDLERS,
            *fallback.HANDLERS,
        ]
    )
    application.add_error_handler(groups.on_chat_migrated)
    application.add_error_handler(fallback.on_error)  # refusals, then everything else
    return application  # type: ignore[return-value]


def make_accounts(settings: Settings, backend: Backend | None = None) -> list[Account]:
    """The Midjourney accounts: the simulator, `backend` (tests), or Discord's pool."""
    if backend is not None or settings.midjourney_backend is BackendName.SIMULATOR:
        if backend is None:
            # Imported only when asked for: it draws with Pillow, which a real bot loads lazily.
            from bridge.simulator import MidjourneyModel, SimulatorBackend

            backend = SimulatorBackend(MidjourneyModel(step_delay=settings.simulator_step_s))
        return [Account("main", backend, settings.mj_concurrency)]
    assert settings.discord_bot_token is not None
    accounts = []
    for config in settings.accounts:
        channel_id = str(config.channel_id)
        discord = DiscordBackend(
            api_url=settings.discord_api_url,
            gateway_url=settings.discord_gateway_url,
            user_token=config.user_token.get_secret_value(),
            bot_token=settings.discord_bot_token.get_secret_value(),
            guild_id=str(config.guild_id or settings.discord_guild_id),
            channel_id=channel_id,
            activity_url=settings.discord_activity_url,
            guild_ready_timeout=settings.discord_guild_ready_s,
        )
        mode = config.mode.value if config.mode else None
        accounts.append(Account(config.name, discord, config.concurrency, mode, channel_id))
    return accounts


async def _receive_updates(
    application: BotApplication, settings: Settings, poll_timeout: float
) -> None:
    """Long polling, or PTB's webhook server when TELEGRAM_WEBHOOK_URL is set."""
    updater = application.updater
    assert updater is not None
    url = settings.telegram_webhook_url
    if url is None:
        await updater.start_polling(
            poll_interval=0, timeout=int(poll_timeout), allowed_updates=Update.ALL_TYPES
        )
        return
    assert settings.telegram_webhook_secret is not None
    await updater.start_webhook(
        listen=settings.telegram_webhook_listen,
        port=settings.telegram_webhook_port,
        url_path=urlsplit(url).path.lstrip("/"),
        webhook_url=url,
        secret_token=settings.telegram_webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )


async def run(
    settings: Settings,
    *,
    stop: asyncio.Event,
    backend: Backend | None = None,
    poll_timeout: float = 10,
    on_ready: Callable[[], None] | None = None,
    startup_retry_s: float = 1.0,
) -> None:
    """Serve until `stop` is set; in-flight jobs stay in the database for the next start.

    `on_ready` is called once everything has started. The database and Telegram are waited
    for (bot/startup.py), retrying first after `startup_retry_s`, then doubling.
    """
    accounts = make_accounts(settings, backend)
    wait = {"wait_s": settings.startup_wait_s, "first_delay_s": startup_retry_s}
    async with await startup.open_database(settings.database_url, **wait) as db:
        dispatcher = Dispatcher(
            db=db,
            accounts=accounts,
            queue_limit=settings.mj_queue_limit,
            job_timeout=settings.mj_job_timeout_s,
            instance=settings.instance_name,
            lease_s=settings.job_lease_s,
        )
        calls, updates = metrics.TelegramLink(), metrics.TelegramLink()
        application = build_application(settings, calls, updates)
        limiter = application.bot.rate_limiter
        assert isinstance(limiter, ChatPacedRateLimiter)
        delivery = Delivery(
            bot=application.bot,
            db=db,
            fetch=dispatcher.fetch,
            progress_interval=settings.progress_edit_interval_s,
            admin_ids=settings.admin_user_ids,
            has_room=limiter.has_room,
            miniapp=(
                MiniAppLinks(settings.miniapp_public_url, settings.miniapp_name, application.bot)
                if settings.miniapp_public_url
                else None
            ),
        )
        dispatcher.subscribe(delivery.on_event)
        delivery.on_delivered = metrics.JobOutcomes().delivered
        metrics.watch_dispatcher(dispatcher)
        polling = settings.telegram_receive_updates and settings.telegram_webhook_url is None
        health = Health(
            db=db,
            dispatcher=dispatcher,
            telegram=updates if polling else calls,
            polling=polling,
            stale_after_s=poll_timeout + 30,
            grace_s=settings.health_grace_s,
        )
        for account in accounts:
            if isinstance(account.backend, DiscordBackend):
                account.backend.on_account_lost = partial(dispatcher.pause, account=account.name)
                account.backend.rest.on_rate_limited = metrics.DISCORD_RATE_LIMITED.inc
        albums = AlbumCollector(settings.album_wait_s)
        services = Services(settings, db, dispatcher, delivery, albums)
        application.bot_data["services"] = services
        miniapp: MiniAppServer | None = None
        await startup.reach_telegram(application.bot, **wait)
        async with application:  # initialize (getMe, done above) ... shutdown
            await menu.publish(application.bot, db)
            await dispatcher.start()
            try:
                if settings.miniapp_public_url:
                    # Imported here, as health.py's server: aiohttp's web server is about
                    # 2 MiB of RSS that a bot without these never needs (README "Performance").
                    from bot.miniapp.server import MiniAppServer, build_app

                    page = build_app(
                        Region(services, application.bot),
                        settings.telegram_bot_token.get_secret_value(),
                    )
                    miniapp = MiniAppServer(
                        page, host=settings.miniapp_listen, port=settings.miniapp_port
                    )
                    await miniapp.start()
                await application.start()
                if settings.telegram_receive_updates:
                    await _receive_updates(application, settings, poll_timeout)
                await delivery.resume(owner=settings.instance_name)
                if settings.health_port is not None:
                    await health.start(settings.health_listen, settings.health_port)
                _log.info(
                    "bot running: open https://t.me/%s in Telegram and send /start "
                    "(Ctrl-C stops it)",
                    application.bot.username,
                    extra={"backend": settings.midjourney_backend.value},
                )
                if on_ready is not None:
                    on_ready()
                await stop.wait()
            finally:
                await health.aclose()
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
                if miniapp is not None:
                    await miniapp.aclose()
                await albums.aclose()
                await dispatcher.aclose()
                await delivery.aclose()

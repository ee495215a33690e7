"""What a Mini App request may do: the same rules as a tap on the button it came from.

A token (from the page's URL or the Mini App link's `startapp`) names a stored button, hence
one job and one chat. The user from Telegram's init data must be that private chat's user or a
member of that group, not banned, in a chat that may use the bot; the job then goes through the
same reservation (queue, quota) and launch as a tap.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError

from bot.access import standing
from bot.miniapp.initdata import InitData
from bot.miniapp.mask import picture_size
from bot.prompt_guard import check_prompt
from bot.services import Services
from bot.submission import Refusal, Request, launch_job, reserve_job
from bot.texts import language_of
from bridge.errors import BridgeError
from storage.buttons import find_token
from storage.errors import UnknownToken
from storage.jobs import get_job
from storage.masks import put_mask
from storage.models import ButtonToken, Job, JobKind, JobStatus

_log = logging.getLogger(__name__)

REGION_ACTION = "region"  # ButtonToken.action of 🖌 Vary (Region)
_NOT_MEMBERS = frozenset({"left", "kicked"})
_PICTURES_KEPT = 8


class Denied(Exception):
    """Refused (HTTP 403): `key` names the page's message, `text` is the bot's own words."""

    def __init__(self, key: str, text: str | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.text = text


@dataclass(frozen=True, slots=True)
class Opened:
    """A button that this user may use now."""

    button: ButtonToken
    parent: Job
    user: InitData
    language: str


class Region:
    """The Mini App's view of the bot: open a button, show its picture, submit a mask."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self._services = services
        self._bot = bot
        self._pictures: OrderedDict[int, tuple[bytes, tuple[int, int]]] = OrderedDict()

    async def open(self, user: InitData, token: str) -> Opened:
        """The button behind `token`, if `user` may press it; otherwise Denied."""
        services = self._services
        try:
            async with services.db.transaction() as session:
                button = await find_token(session=session, token=token)
                parent = await get_job(session=session, job_id=button.job_id)
        except UnknownToken:
            raise Denied("expired") from None
        usable = parent is not None and parent.status is JobStatus.SUCCEEDED
        if button.action != REGION_ACTION or button.used_at is not None or not usable:
            raise Denied("expired")
        assert parent is not None
        chat_id = button.chat_id
        if not await self._member(chat_id, user.user_id):
            raise Denied("foreign")
        operator = user.user_id in services.settings.admin_user_ids
        allowed, banned, language = await standing(
            services, chat_id, user.user_id, operator=operator
        )
        if not allowed or banned:
            raise Denied("foreign")
        return Opened(button, parent, user, language_of(language or user.language_code))

    async def _member(self, chat_id: int, user_id: int) -> bool:
        if chat_id > 0:  # a private chat's id is its user's id
            return chat_id == user_id
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            _log.info("membership not known", extra={"chat_id": chat_id}, exc_info=True)
            return False
        return member.status not in _NOT_MEMBERS

    async def picture(self, opened: Opened) -> tuple[bytes, tuple[int, int]]:
        """The upscale's bytes and size (kept for a few jobs: the page and its submit)."""
        parent = opened.parent
        assert parent.id is not None
        kept = self._pictures.get(parent.id)
        if kept is not None:
            self._pictures.move_to_end(parent.id)
            return kept
        if parent.result_url is None:
            raise Denied("expired")
        try:
            data = await self._services.dispatcher.fetch(parent.result_url, parent.account)
            size = await asyncio.to_thread(picture_size, data)
        except (BridgeError, OSError) as exc:
            raise Denied("expired") from exc
        self._pictures[parent.id] = (data, size)
        while len(self._pictures) > _PICTURES_KEPT:
            self._pictures.popitem(last=False)
        return data, size

    async def submit(self, opened: Opened, prompt: str, mask: bytes) -> None:
        """Reserve the job as a tap would, keep its mask, and launch it."""
        services = self._services
        lang = opened.language
        refused = check_prompt(services.settings, prompt, lang) if prompt else None
        if refused is not None:
            raise Denied("refused", refused)
        button, parent = opened.button, opened.parent
        request = Request(
            chat_id=button.chat_id,
            chat_is_group=button.chat_id < 0,
            user_id=opened.user.user_id,
            language=lang,
            kind=JobKind.ACTION,
            prompt=prompt or parent.prompt,
            reply_to=parent.delivered_message_id,
            label=button.label,
            custom_id=button.custom_id,
            parent=parent,
        )
        try:
            job = await reserve_job(services, request)
        except Refusal as refusal:
            raise Denied("refused", refusal.text(lang)) from None
        assert job.id is not None
        async with services.db.transaction() as session:
            await put_mask(session=session, job_id=job.id, png=mask)
        await launch_job(services, self._bot, job)

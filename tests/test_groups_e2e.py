"""Group chats end to end: shared quota, admins, access, bans, concurrency and migration.

The real bot runs against the fake Telegram with the simulator backend.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import col, func, select
from telegram import Update
from telegram.error import ChatMigrated
from telegram.ext import Application

import bot.app
import bot.submission
from bot.refusals import QuotaRefusal
from bot.settings import Settings
from bot.texts import countdown, texts
from bridge.simulator import MidjourneyModel, SimulatorBackend
from storage.chats import quota_window
from storage.db import Database
from storage.models import ButtonToken, Job, JobKind, JobStatus, QuotaEntry
from storage.quota import quota_day, used_units
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram
from tests.helpers import StartBot, button

JSONDict = dict[str, Any]
BOT = "@mj_test_bot"
ANONYMOUS_ADMIN = 1087968824  # GroupAnonymousBot
CHANNEL_BOT = 136817688  # "from" of messages a channel posts in a group
OPERATOR = 900

Apps = list[Application[Any, Any, Any, Any, Any, Any]]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Apps:
    """Records the applications bot.app.run builds."""
    built: Apps = []
    original = bot.app.build_application

    def build(settings: Settings, *links: Any) -> Any:
        application = original(settings, *links)
        built.append(application)
        return application

    monkeypatch.setattr(bot.app, "build_application", build)
    return built


@pytest.fixture
def launch(
    make_settings: Callable[..., Settings], start_bot: StartBot
) -> Callable[..., Awaitable[Settings]]:
    """Start the bot (fast simulator) with these settings; returns them."""

    async def start(backend: SimulatorBackend | None = None, **overrides: Any) -> Settings:
        settings = make_settings(**overrides)
        model = MidjourneyModel(step_delay=0.01, image_size=128)
        await start_bot(settings, backend or SimulatorBackend(model))
        return settings

    return start


# ---------------------------------------------------------------- helpers


def sent_to(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [c.params["text"] for c in tg.calls_of("sendMessage") if c.chat_id == chat_id]


en = texts("en")
BANNED = en("Sorry, an admin of this group has turned the bot off for you.")
BAN_DONE = "🚫 {name} can no longer use the bot in this group."
DENY_DONE = "🚫 Chat {chat_id} may no longer use the bot."
SET_CHAT = (
    "✅ This group can now run {n} job a day: {left} left today.",
    "✅ This group can now run {n} jobs a day: {left} left today.",
)
CHAT_DEFAULT = (
    "✅ This group is back to the default of {n} job a day: {left} left today.",
    "✅ This group is back to the default of {n} jobs a day: {left} left today.",
)
SET_USER = (
    "✅ {name} can now run {n} job a day in this group: {left} left today.",
    "✅ {name} can now run {n} jobs a day in this group: {left} left today.",
)
USER_DEFAULT = (
    "✅ {name} is back to the default of {n} job a day: {left} left today.",
    "✅ {name} is back to the default of {n} jobs a day: {left} left today.",
)


def en_plural(forms: tuple[str, str], n: int, **values: object) -> str:
    return en.plural(*forms, n, **values)


def quota_refusal(scope: str, limit: int) -> re.Pattern[str]:
    """The refusal of a used-up quota, whatever the countdown to the reset says."""
    marker = "\x00"
    text = QuotaRefusal(scope, limit, quota_window().resets_at).render(en)
    wait = countdown(en, quota_window().resets_at)
    pattern = re.escape(text.replace(wait, marker)).replace(marker, r"(?:\d+ h )?\d+ min")
    return re.compile(pattern)


async def said(
    tg: FakeTelegram, chat_id: int, body: str | re.Pattern[str], count: int = 1
) -> None:
    """Wait until the bot has sent `body` (a text, or a pattern it matches) `count` times."""

    def matches(text: str) -> bool:
        return text == body if isinstance(body, str) else body.fullmatch(text) is not None

    await tg.wait_for(
        "sendMessage", lambda c: c.chat_id == chat_id and matches(c.params["text"]), count=count
    )


async def photos(tg: FakeTelegram, count: int) -> list[Call]:
    return await tg.wait_for_results(lambda c: c.ok, count=count, timeout=10)


async def settle(seconds: float = 0.4) -> None:
    """Give the bot time to do what it must not do (nothing, for an ignored update)."""
    await asyncio.sleep(seconds)


async def jobs_of(settings: Settings, **where: Any) -> list[Job]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        query = select(Job).order_by(col(Job.id))
        for name, value in where.items():
            query = query.where(getattr(Job, name) == value)
        return list((await session.exec(query)).all())


async def used(settings: Settings, chat_id: int, user_id: int | None = None) -> int:
    async with Database(settings.database_url) as db, db.transaction() as session:
        return await used_units(session=session, day=quota_day(), chat_id=chat_id, user_id=user_id)


def send_as_chat(tg: FakeTelegram, chat: JSONDict, sender_chat: JSONDict, body: str) -> JSONDict:
    """A message posted as a chat: an anonymous admin (the group itself) or a channel.

    The fake has no public call for `sender_chat`; `_deliver` stores and queues the message.
    """
    stand_in = ANONYMOUS_ADMIN if sender_chat["id"] == chat["id"] else CHANNEL_BOT
    sender = {"id": stand_in, "is_bot": True, "first_name": "Group", "username": "GroupBot"}
    entities = [{"type": "bot_command", "offset": 0, "length": len(body.split()[0])}]
    content = {"text": body, "entities": entities, "sender_chat": sender_chat}
    return tg._deliver(chat, sender, content)


def tap(tg: FakeTelegram, chat: JSONDict, user: JSONDict, grid: Call, label: str) -> str:
    message = tg.message(chat["id"], grid.result["message_id"])
    assert message is not None
    return tg.press_button(chat, user, message, button(grid, label)["callback_data"])


def alerts(tg: FakeTelegram, query_ids: set[str]) -> list[str]:
    return [
        c.params.get("text", "")
        for c in tg.calls_of("answerCallbackQuery")
        if c.params["callback_query_id"] in query_ids and c.params.get("show_alert")
    ]


# ---------------------------------------------------------------- quota


async def test_members_share_the_group_pool_and_each_has_a_cap(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=3, user_daily_quota=2)
    group = tg.group(-2001, "Artists")
    ann, bob, cat = tg.user(201), tg.user(202), tg.user(203)

    tg.send_text(group, ann, f"/imagine{BOT} a fox")
    tg.send_text(group, ann, f"/imagine{BOT} a wolf")
    await photos(tg, 2)
    tg.send_text(group, ann, f"/imagine{BOT} a bear")
    await said(tg, group["id"], quota_refusal("user", 2))
    tg.send_text(group, bob, f"/imagine{BOT} an owl")
    await photos(tg, 3)
    tg.send_text(group, cat, f"/imagine{BOT} a hare")
    await said(tg, group["id"], quota_refusal("chat", 3))

    # A private chat has no pool: only Cat's own cap applies, however busy the group was.
    private = tg.private_chat(cat)
    for prompt in ("a lynx", "a mole"):
        tg.send_text(private, cat, f"/imagine {prompt}")
        await photos(tg, 4 if prompt == "a lynx" else 5)
    tg.send_text(private, cat, "/imagine a seal")
    await said(tg, cat["id"], quota_refusal("user", 2))

    assert await used(settings, group["id"]) == 3
    assert await used(settings, group["id"], ann["id"]) == 2
    assert await used(settings, cat["id"], cat["id"]) == 2


async def test_costs_per_action_and_the_quota_zone_are_configurable(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(
        user_daily_quota=3, job_costs={"action": 2}, quota_timezone="Asia/Shanghai"
    )
    ann = tg.user(221)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine a kite")
    [grid] = await photos(tg, 1)
    tap(tg, chat, ann, grid, "U1")  # 1 + 2 = the whole cap of 3
    await photos(tg, 2)
    tap(tg, chat, ann, grid, "V1")
    refusal = quota_refusal("user", 3)
    await tg.wait_for(
        "answerCallbackQuery", lambda c: refusal.fullmatch(c.params.get("text") or "") is not None
    )
    day = quota_day(tz=settings.quota_tz)
    async with Database(settings.database_url) as db, db.transaction() as session:
        assert await used_units(session=session, day=day, chat_id=chat["id"]) == 3


async def test_quota_shows_what_is_left_and_when_it_resets(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    await launch(chat_daily_quota=5, user_daily_quota=3)
    group = tg.group(-2002, "Painters")
    ann, li = tg.user(211), tg.user(212, language_code="zh-hans")
    tg.send_text(group, ann, f"/imagine{BOT} a lake")
    await photos(tg, 1)

    tg.send_text(group, ann, f"/quota{BOT}")
    [reply] = (await tg.wait_for("sendMessage", lambda c: "🎟" in c.params["text"]))[-1:]
    lines = reply.params["text"].splitlines()
    assert lines[0] == "🎟 This group: 4 jobs left today of 5."
    assert lines[1] == "🎟 You: 2 jobs left today of 3."
    assert re.fullmatch(r"The quota resets in (\d+ h )?\d+ min\.", lines[2]), lines[2]

    tg.send_text(group, li, f"/quota{BOT}")
    zh = await tg.wait_for("sendMessage", lambda c: "本群：" in c.params["text"])
    assert "本群：今天还剩 4 次，共 5 次。" in zh[0].params["text"]
    assert "你：今天还剩 3 次，共 3 次。" in zh[0].params["text"]

    private = tg.private_chat(ann)
    tg.send_text(private, ann, "/quota")
    mine = await tg.wait_for("sendMessage", lambda c: c.chat_id == ann["id"])
    assert mine[0].params["text"].startswith("🎟 You: 3 jobs left today of 3.\n")


async def test_a_failed_job_leaves_the_quota_untouched(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    model = MidjourneyModel(
        step_delay=0.01,
        image_size=128,
        error_words={"forbidden": ("Banned prompt detected", "Sorry!")},
    )
    settings = await launch(SimulatorBackend(model), user_daily_quota=1)
    ann = tg.user(221)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine a forbidden thing")
    await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)
    [job] = await jobs_of(settings)
    assert job.status is JobStatus.FAILED
    assert await used(settings, ann["id"], ann["id"]) == 0

    tg.send_text(chat, ann, "/imagine a harmless thing")  # the refunded unit is usable
    await photos(tg, 1)
    assert await used(settings, ann["id"], ann["id"]) == 1


# ---------------------------------------------------------------- admins


async def test_group_admins_set_the_pool_and_others_cannot(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=50)
    group = tg.group(-2003, "Sculptors", type="supergroup")
    channel = {"id": -1009999, "type": "channel", "title": "Linked news"}
    ann, bob, cat = tg.user(231), tg.user(232), tg.user(233)
    tg.set_admins(group["id"], [ann["id"]])
    refusal = en("Sorry, only the group's admins can do that.")

    tg.send_text(group, bob, f"/setquota{BOT} 1")
    await said(tg, group["id"], refusal)
    send_as_chat(tg, group, channel, f"/setquota{BOT} 1")  # a linked channel is no admin
    await said(tg, group["id"], refusal, count=2)

    tg.send_text(group, ann, f"/setquota{BOT} 1")
    await said(tg, group["id"], en_plural(SET_CHAT, 1, left=1))
    tg.send_text(group, bob, f"/imagine{BOT} a bust")
    await photos(tg, 1)
    tg.send_text(group, cat, f"/imagine{BOT} a statue")
    await said(tg, group["id"], quota_refusal("chat", 1))

    # An anonymous admin posts as the group itself.
    send_as_chat(tg, group, group, f"/setquota{BOT} 2")
    await said(tg, group["id"], en_plural(SET_CHAT, 2, left=1))
    tg.send_text(group, cat, f"/imagine{BOT} a statue")
    await photos(tg, 2)

    tg.send_text(group, ann, f"/setquota{BOT} default")
    await said(tg, group["id"], en_plural(CHAT_DEFAULT, 50, left=48))
    tg.send_text(group, ann, f"/setquota{BOT} lots")
    await tg.wait_for("sendMessage", lambda c: c.params["text"].startswith("Usage:"))
    assert len(await jobs_of(settings)) == 2


async def test_an_operator_is_an_admin_in_every_group(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    await launch(admin_user_ids=str(OPERATOR))
    group = tg.group(-2004, "Potters")
    tg.set_admins(group["id"], [])
    tg.send_text(group, tg.user(OPERATOR), f"/setquota{BOT} 7")
    await said(tg, group["id"], en_plural(SET_CHAT, 7, left=7))


async def test_setquota_user_caps_the_member_replied_to(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    await launch(chat_daily_quota=50, user_daily_quota=5)
    group = tg.group(-2005, "Weavers")
    ann, bob, cat = tg.user(251), tg.user(252, "Bob"), tg.user(253)
    tg.set_admins(group["id"], [ann["id"]], creator=ann["id"])
    hello = tg.send_text(group, bob, "hello everyone")

    tg.send_text(group, ann, f"/setquota{BOT} user 1")  # not a reply
    await said(tg, group["id"], en("Reply to a message of the member with this command."))
    tg.send_text(group, cat, f"/setquota{BOT} user 1", reply_to=hello)
    await said(tg, group["id"], en("Sorry, only the group's admins can do that."))
    tg.send_text(group, ann, f"/setquota{BOT} user 1", reply_to=hello)
    await said(tg, group["id"], en_plural(SET_USER, 1, name="Bob", left=1))

    tg.send_text(group, bob, f"/imagine{BOT} a rug")
    await photos(tg, 1)
    tg.send_text(group, bob, f"/imagine{BOT} a scarf")
    await said(tg, group["id"], quota_refusal("user", 1))
    for n in range(2):  # Cat keeps the default cap
        tg.send_text(group, cat, f"/imagine{BOT} a loom {n}")
        await photos(tg, 2 + n)

    tg.send_text(group, ann, f"/setquota{BOT} user default", reply_to=hello)
    await said(tg, group["id"], en_plural(USER_DEFAULT, 5, name="Bob", left=4))
    tg.send_text(group, bob, f"/imagine{BOT} a scarf")
    await photos(tg, 4)


async def test_banned_members_are_refused_and_nothing_is_submitted(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(admin_user_ids=str(OPERATOR))
    group = tg.group(-2006, "Carvers")
    ann, bob, cat = tg.user(261), tg.user(262, "Bob"), tg.user(263)
    tg.set_admins(group["id"], [ann["id"]])
    tg.send_text(group, ann, f"/imagine{BOT} a totem")
    [grid] = await photos(tg, 1)
    hello = tg.send_text(group, bob, "hi")
    from_ann = tg.send_text(group, ann, "welcome")

    tg.send_text(group, cat, f"/ban{BOT}", reply_to=hello)
    await said(tg, group["id"], en("Sorry, only the group's admins can do that."))
    tg.send_text(group, ann, f"/ban{BOT}", reply_to=from_ann)  # admins cannot be banned
    await said(tg, group["id"], en("Admins can't be banned."))
    tg.send_text(group, ann, f"/ban{BOT}", reply_to=hello)
    await said(tg, group["id"], en(BAN_DONE, name="Bob"))

    tg.send_text(group, bob, f"/imagine{BOT} a mask")
    await said(tg, group["id"], BANNED)
    query = tap(tg, group, bob, grid, "U1")
    await tg.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert alerts(tg, {query}) == [BANNED]
    await settle()
    assert await jobs_of(settings, user_id=bob["id"]) == []
    assert len(tg.results()) == 1

    # The ban is for this group only.
    tg.send_text(tg.private_chat(bob), bob, "/imagine a mask")
    await photos(tg, 2)

    tg.send_text(group, ann, f"/unban{BOT}", reply_to=hello)
    await said(tg, group["id"], en("✅ {name} can use the bot in this group again.", name="Bob"))
    tg.send_text(group, bob, f"/imagine{BOT} a mask")
    await photos(tg, 3)


async def test_a_channel_speaking_in_a_group_can_be_banned(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch()
    group = tg.group(-2007, "Printers", type="supergroup")
    channel = {"id": -1008888, "type": "channel", "title": "Spam news"}
    ann = tg.user(271)
    tg.set_admins(group["id"], [ann["id"]])
    post = send_as_chat(tg, group, channel, f"/imagine{BOT} an ad")
    await photos(tg, 1)
    tg.send_text(group, ann, f"/ban{BOT}", reply_to=post)
    await said(tg, group["id"], en(BAN_DONE, name="Spam news"))
    send_as_chat(tg, group, channel, f"/imagine{BOT} another ad")
    await said(tg, group["id"], BANNED)
    await settle()
    assert len(await jobs_of(settings)) == 1


# ---------------------------------------------------------------- access


async def test_a_chat_that_is_not_allowed_gets_one_reply_and_nothing_runs(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(allowed_chat_ids="-3000", admin_user_ids=str(OPERATOR))
    seeded = tg.group(-3000, "Invited")
    other = tg.group(-3001, "Strangers")
    ann, bob, boss = tg.user(301), tg.user(302), tg.user(OPERATOR)
    notice = en(
        "Sorry, this bot is not available in this chat. Its operators can enable it with /allow."
    )

    tg.send_text(other, ann, f"/imagine{BOT} a door")
    tg.send_text(other, bob, f"/imagine{BOT} a key")
    tg.send_text(other, ann, f"/quota{BOT}")
    await said(tg, other["id"], notice)
    await settle()
    assert sent_to(tg, other["id"]) == [notice]
    assert await jobs_of(settings) == []

    tg.send_text(seeded, ann, f"/imagine{BOT} a window")  # seeded by ALLOWED_CHAT_IDS
    await photos(tg, 1)
    tg.send_text(seeded, ann, f"/allow{BOT}")  # only operators
    await said(tg, seeded["id"], en("Sorry, only the bot's operators can do that."))

    tg.send_text(other, boss, f"/allow{BOT}")
    await said(tg, other["id"], en("✅ Chat {chat_id} may use the bot.", chat_id=other["id"]))
    tg.send_text(other, ann, f"/imagine{BOT} a door")
    [grid] = (await photos(tg, 2))[-1:]

    tg.send_text(other, boss, f"/deny{BOT}")
    await said(tg, other["id"], en(DENY_DONE, chat_id=other["id"]))
    query = tap(tg, other, bob, grid, "U2")
    await tg.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert alerts(tg, {query}) == [en("Sorry, this bot is not available in this chat.")]
    tg.send_text(other, ann, f"/imagine{BOT} a lock")
    tg.send_text(other, bob, f"/imagine{BOT} a hinge")
    await said(tg, other["id"], notice, count=2)  # told again once after the new /deny
    await settle()
    assert sent_to(tg, other["id"]).count(notice) == 2
    assert len(await jobs_of(settings, chat_id=other["id"])) == 1

    # Denying the seeded chat wins over ALLOWED_CHAT_IDS; /allow takes a chat id too.
    private = tg.private_chat(boss)
    tg.send_text(private, boss, f"/deny {seeded['id']}")
    await said(tg, OPERATOR, en(DENY_DONE, chat_id=seeded["id"]))
    tg.send_text(seeded, ann, f"/imagine{BOT} a wall")
    await said(tg, seeded["id"], notice)
    tg.send_text(private, boss, f"/allow {seeded['id']}")
    await said(tg, OPERATOR, en("✅ Chat {chat_id} may use the bot.", chat_id=seeded["id"]))
    tg.send_text(seeded, ann, f"/imagine{BOT} a wall")
    await photos(tg, 3)


async def test_stats_for_operators_only(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    model = MidjourneyModel(
        step_delay=0.01, image_size=128, error_words={"forbidden": ("Banned prompt", "No")}
    )
    await launch(SimulatorBackend(model), admin_user_ids=str(OPERATOR))
    group = tg.group(-3101, "Glassblowers")
    ann, boss = tg.user(311), tg.user(OPERATOR)
    tg.send_text(group, ann, f"/imagine{BOT} a vase")
    await photos(tg, 1)
    tg.send_text(group, ann, f"/imagine{BOT} a forbidden vase")
    await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)

    tg.send_text(group, ann, f"/stats{BOT}")
    await said(tg, group["id"], en("Sorry, only the bot's operators can do that."))
    tg.send_text(tg.private_chat(boss), boss, "/stats")
    [reply] = await tg.wait_for("sendMessage", lambda c: c.chat_id == OPERATOR)
    assert reply.params["text"].splitlines() == [
        en("📊 Midjourney: {running} running, {waiting} waiting.", running=0, waiting=0),
        "• main: 0/3 running, healthy",
        "Glassblowers (-3101): today 2 (1 failed) · total 2 (1 failed)",
    ]


# ---------------------------------------------------------------- buttons and concurrency


async def test_any_member_can_tap_and_the_tapper_pays(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=10, user_daily_quota=5)
    group = tg.group(-4001, "Makers")
    ann, bob = tg.user(401), tg.user(402, "Bob")
    tg.send_text(group, ann, f"/imagine{BOT} a kite")
    [grid] = await photos(tg, 1)
    assert (await used(settings, group["id"], ann["id"]), await used(settings, group["id"])) == (
        1,
        1,
    )

    tap(tg, group, bob, grid, "U1")
    [upscale] = (await photos(tg, 2))[-1:]
    assert upscale.params["chat_id"] == group["id"]
    # In a group the result names who asked for it: here the member who tapped.
    assert upscale.caption == "Picture 1 — a kite\n👤 for Bob"
    assert await used(settings, group["id"], bob["id"]) == 1
    assert await used(settings, group["id"], ann["id"]) == 1, "the grid's author did not pay"
    assert await used(settings, group["id"]) == 2
    [action] = await jobs_of(settings, kind=JobKind.ACTION)
    assert action.user_id == bob["id"]


async def test_concurrent_commands_at_the_last_units_never_overdraw(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=3, user_daily_quota=10)
    group = tg.group(-4002, "Crowd")
    tg.send_text(group, tg.user(410), f"/imagine{BOT} the first")
    await photos(tg, 1)

    members = [tg.user(411 + n) for n in range(6)]
    for member in members:  # one getUpdates batch, handled concurrently
        tg.send_text(group, member, f"/imagine{BOT} rush {member['id']}")
    refusal = quota_refusal("chat", 3)
    await said(tg, group["id"], refusal, count=4)
    await photos(tg, 3)
    await settle()
    assert len(tg.results()) == 3
    assert sum(1 for body in sent_to(tg, group["id"]) if refusal.fullmatch(body)) == 4
    assert len(await jobs_of(settings)) == 3
    assert await used(settings, group["id"]) == 3


async def test_concurrent_taps_at_the_last_units_never_overdraw(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=3, user_daily_quota=10)
    group = tg.group(-4003, "Tappers")
    tg.send_text(group, tg.user(420), f"/imagine{BOT} a maze")
    [grid] = await photos(tg, 1)

    labels = ["U1", "U2", "U3", "U4", "V1", "V2"]
    queries = {tap(tg, group, tg.user(421 + n), grid, label) for n, label in enumerate(labels)}
    await tg.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] in queries, count=6
    )
    await photos(tg, 3)
    await settle()
    refusal = quota_refusal("chat", 3)
    shown = alerts(tg, queries)
    assert len(shown) == 4
    assert all(refusal.fullmatch(alert) for alert in shown), shown
    assert len(tg.results()) == 3
    assert len(await jobs_of(settings, kind=JobKind.ACTION)) == 2
    assert await used(settings, group["id"]) == 3


# ---------------------------------------------------------------- migration


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll the database (the bot's writes have no event to wait on) for up to 5 s."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_a_group_upgraded_to_a_supergroup_keeps_quota_jobs_and_buttons(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]]
) -> None:
    settings = await launch(chat_daily_quota=50, user_daily_quota=10)
    old = tg.group(-5001, "Movers")
    ann, bob = tg.user(501), tg.user(502, "Bob")
    tg.set_admins(old["id"], [ann["id"]])
    tg.send_text(old, ann, f"/setquota{BOT} 3")
    await said(tg, old["id"], en_plural(SET_CHAT, 3, left=3))
    tg.send_text(old, ann, f"/imagine{BOT} a moving van")
    [grid] = await photos(tg, 1)
    hello = tg.send_text(old, bob, "hi")
    tg.send_text(old, ann, f"/ban{BOT}", reply_to=hello)
    await said(tg, old["id"], en(BAN_DONE, name="Bob"))

    new = tg.migrate_group(old, -1005001)

    async def moved() -> bool:
        return [job.chat_id for job in await jobs_of(settings)] == [new["id"]]

    await eventually(moved)
    async with Database(settings.database_url) as db, db.transaction() as session:
        tokens = (await session.exec(select(ButtonToken.chat_id).distinct())).all()
        entries = (await session.exec(select(func.count()).select_from(QuotaEntry))).one()
    assert tokens == [new["id"]]
    assert entries == 1
    assert await used(settings, new["id"]) == 1

    # The old grid, now shown in the supergroup, still works and charges the same pool.
    message = tg.message(old["id"], grid.result["message_id"])
    assert message is not None
    # The tap as a client shows the moved history: the message in the supergroup.
    tg.send_callback_query(ann, {**message, "chat": new}, button(grid, "U3")["callback_data"])
    [upscale] = (await photos(tg, 2))[-1:]
    assert upscale.params["chat_id"] == new["id"]
    assert upscale.caption.startswith("Picture 3 — a moving van\n👤 for ")

    tg.send_text(new, ann, f"/quota{BOT}")
    await tg.wait_for(
        "sendMessage", lambda c: "🎟 This group: 1 job left today of 3." in c.params["text"]
    )
    tg.send_text(new, bob, f"/imagine{BOT} a box")  # the ban moved too
    await said(tg, new["id"], BANNED)
    tg.send_text(new, ann, f"/imagine{BOT} a crate")
    await photos(tg, 3)
    tg.send_text(new, ann, f"/imagine{BOT} a trunk")
    await said(tg, new["id"], quota_refusal("chat", 3))


async def test_chat_migrated_on_a_send_moves_the_chat_as_well(
    tg: FakeTelegram, launch: Callable[..., Awaitable[Settings]], installed: Apps
) -> None:
    settings = await launch()
    old = tg.group(-6001, "Late movers")
    ann = tg.user(601)
    request = tg.send_text(old, ann, f"/imagine{BOT} a sign")
    await photos(tg, 1)

    [application] = installed
    update = Update.de_json({"update_id": 10_000, "message": request}, application.bot)
    await application.process_error(update, ChatMigrated(-1006001))

    [job] = await jobs_of(settings)
    assert job.chat_id == -1006001
    assert await used(settings, -1006001) == 1

"""Admin checks and command parsing, on PTB objects without a network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Chat, ForumTopicCreated, Message, MessageEntity, User
from telegram.error import Forbidden
from telegram.ext import TypeHandler

from bot.access import GATE, GATE_GROUP
from bot.admin import AdminCache, is_admin_id, is_anonymous_admin, is_chat_admin
from bot.admin import member_target as _member_target
from bot.admin import sender_id as sender_of
from bot.app import build_application
from bot.commands import command_of
from bot.handlers import fallback, groups, moderation, operators, quota
from bot.handlers.quota import parse_limit as _parse_limit
from bot.settings import Settings
from bot.texts import countdown, texts
from storage.chats import quota_window

GROUP = Chat(-100, Chat.SUPERGROUP, title="Group")
CHANNEL = Chat(-1009, Chat.CHANNEL, title="Linked")
ANN = User(1, "Ann", is_bot=False)  # admin
BOB = User(2, "Bob", is_bot=False)  # member
BOSS = User(900, "Boss", is_bot=False)  # operator
ANONYMOUS = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")
CHANNEL_BOT = User(136817688, "Channel", is_bot=True, username="Channel_Bot")
NOW = datetime(2026, 11, 25, 21, 10, tzinfo=UTC)


def message(
    chat: Chat = GROUP,
    user: User | None = BOB,
    text: str = "/setquota 5",
    sender_chat: Chat | None = None,
    reply_to: Message | None = None,
    **extra: Any,
) -> Message:
    length = len(text.split()[0]) if text.startswith("/") else 0
    entities = (MessageEntity(MessageEntity.BOT_COMMAND, 0, length),) if length else ()
    return Message(
        1,
        NOW,
        chat,
        from_user=user,
        sender_chat=sender_chat,
        text=text,
        entities=entities,
        reply_to_message=reply_to,
        **extra,
    )


class FakeBot:
    """getChatAdministrators only, counting calls."""

    def __init__(self, admins: dict[int, list[User]]) -> None:
        self.admins = admins
        self.calls = 0

    async def get_chat_administrators(self, chat_id: int) -> tuple[Any, ...]:
        self.calls += 1
        if chat_id not in self.admins:
            raise Forbidden("bot is not a member of the group chat")
        # The creator and the administrators; the cache reads only `.user`.
        return tuple(SimpleNamespace(user=user) for user in self.admins[chat_id])


def context(bot: FakeBot) -> Any:
    settings = SimpleNamespace(admin_user_ids=frozenset({BOSS.id}))
    return SimpleNamespace(services=SimpleNamespace(settings=settings), bot_data={}, bot=bot)


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot({GROUP.id: [ANN, User(3, "Cy", is_bot=False)]})


async def test_chat_admins_and_operators_are_admins(bot: FakeBot) -> None:
    ctx = context(bot)
    assert await is_chat_admin(ctx, message(user=ANN))
    assert await is_chat_admin(ctx, message(user=User(3, "Cy", is_bot=False)))
    assert await is_chat_admin(ctx, message(user=BOSS))
    assert not await is_chat_admin(ctx, message(user=BOB))
    assert not await is_chat_admin(ctx, message(user=None))


async def test_anonymous_admins_yes_linked_channels_no(bot: FakeBot) -> None:
    ctx = context(bot)
    anonymous = message(user=ANONYMOUS, sender_chat=GROUP)
    assert is_anonymous_admin(anonymous)
    assert await is_chat_admin(ctx, anonymous)
    channel = message(user=CHANNEL_BOT, sender_chat=CHANNEL)
    assert not is_anonymous_admin(channel)
    assert not await is_chat_admin(ctx, channel)
    # Even an admin's (or operator's) id in `from` does not make a channel post an admin's.
    assert not await is_chat_admin(ctx, message(user=BOSS, sender_chat=CHANNEL))
    assert not await is_chat_admin(ctx, message(user=ANN, sender_chat=CHANNEL))
    assert sender_of(channel) == CHANNEL.id
    assert sender_of(anonymous) == GROUP.id
    assert sender_of(message(user=BOB)) == BOB.id


async def test_private_chats_have_no_admins_but_operators(bot: FakeBot) -> None:
    ctx = context(bot)
    private = Chat(BOB.id, Chat.PRIVATE)
    assert not await is_chat_admin(ctx, message(chat=private, user=BOB))
    assert await is_chat_admin(ctx, message(chat=Chat(BOSS.id, Chat.PRIVATE), user=BOSS))
    assert bot.calls == 0


async def test_an_unreadable_admin_list_means_no_admins_and_is_asked_again(bot: FakeBot) -> None:
    ctx = context(bot)
    elsewhere = Chat(-200, Chat.GROUP, title="Left")
    assert not await is_chat_admin(ctx, message(chat=elsewhere, user=ANN))
    assert not await is_chat_admin(ctx, message(chat=elsewhere, user=ANN))
    assert bot.calls == 2


async def test_the_admin_list_is_cached_briefly(bot: FakeBot) -> None:
    now = [0.0]
    cache = AdminCache(ttl=60, clock=lambda: now[0])
    assert ANN.id in await cache.admins(bot, GROUP.id)  # type: ignore[arg-type]
    bot.admins[GROUP.id] = [BOB]  # Ann demoted, Bob promoted
    now[0] = 59
    assert ANN.id in await cache.admins(bot, GROUP.id)  # type: ignore[arg-type]
    assert bot.calls == 1
    now[0] = 61
    assert await cache.admins(bot, GROUP.id) == {BOB.id}  # type: ignore[arg-type]
    bot.admins[GROUP.id] = [ANN]
    cache.forget(GROUP.id)
    assert await cache.admins(bot, GROUP.id) == {ANN.id}  # type: ignore[arg-type]
    assert bot.calls == 3


async def test_ban_targets_that_are_admins(bot: FakeBot) -> None:
    ctx = context(bot)
    assert await is_admin_id(ctx, GROUP.id, ANN.id)
    assert await is_admin_id(ctx, GROUP.id, BOSS.id)
    assert await is_admin_id(ctx, GROUP.id, GROUP.id)  # the anonymous admins
    assert not await is_admin_id(ctx, GROUP.id, BOB.id)
    assert not await is_admin_id(ctx, GROUP.id, CHANNEL.id)


def test_command_of_reads_commands_addressed_to_this_bot() -> None:
    assert command_of(message(text="/Allow"), "mj_test_bot") == "allow"
    assert command_of(message(text="/allow@MJ_test_bot -5"), "mj_test_bot") == "allow"
    assert command_of(message(text="/allow@other_bot"), "mj_test_bot") is None
    assert command_of(message(text="hello /allow"), "mj_test_bot") is None
    captioned = Message(
        2,
        NOW,
        GROUP,
        from_user=BOB,
        caption="/imagine@mj_test_bot a cat",
        caption_entities=(MessageEntity(MessageEntity.BOT_COMMAND, 0, 20),),
    )
    assert command_of(captioned, "mj_test_bot") == "imagine"


@pytest.mark.parametrize(
    ("words", "parsed"),
    [
        (["5"], (True, 5)),
        (["0"], (True, 0)),
        (["default"], (True, None)),
        (["Reset"], (True, None)),
        (["100000"], (True, 100_000)),
        (["100001"], (False, None)),
        (["-1"], (False, None)),
        (["five"], (False, None)),
        ([], (False, None)),
        (["5", "6"], (False, None)),
    ],
)
def test_quota_values(words: list[str], parsed: tuple[bool, int | None]) -> None:
    assert _parse_limit(words) == parsed


def test_the_member_replied_to() -> None:
    hello = message(user=BOB, text="hello")
    assert _member_target(message(user=ANN, reply_to=hello)) == (BOB.id, "Bob")
    post = message(user=CHANNEL_BOT, sender_chat=CHANNEL, text="news")
    assert _member_target(message(user=ANN, reply_to=post)) == (CHANNEL.id, "Linked")
    bot_message = message(user=User(1000, "MJ", is_bot=True), text="grid")
    assert _member_target(message(user=ANN, reply_to=bot_message)) is None
    assert _member_target(message(user=ANN)) is None
    # In a forum, a message that replies to nothing "replies" to its topic's first message.
    root = message(user=BOB, text="topic", forum_topic_created=_topic())
    in_topic = message(user=ANN, reply_to=root, is_topic_message=True, message_thread_id=1)
    assert _member_target(in_topic) is None


def _topic() -> ForumTopicCreated:
    return ForumTopicCreated("Ideas", 0x6FB9F0)


def test_the_reset_is_a_countdown_in_the_users_language() -> None:
    window = quota_window(NOW)
    assert countdown(texts("en"), window.resets_at, NOW) == "2 h 50 min"
    assert countdown(texts("zh"), window.resets_at, NOW) == "2 小时 50 分钟"
    assert countdown(texts("ru"), window.resets_at, NOW) == "2 ч 50 мин"
    last_minutes = NOW + (window.resets_at - NOW) * 4 / 5
    assert countdown(texts("en"), window.resets_at, last_minutes) == "34 min"


def test_the_gate_comes_first_and_the_commands_before_the_catch_all(
    make_settings: Callable[..., Settings],
) -> None:
    application = build_application(make_settings())

    assert application.handlers[GATE_GROUP] == [GATE]
    assert isinstance(GATE, TypeHandler)
    main = application.handlers[0]
    for handlers in (quota.HANDLERS, moderation.HANDLERS, operators.HANDLERS, groups.HANDLERS):
        assert all(main.index(h) < main.index(fallback.HANDLERS[0]) for h in handlers)
    assert main[-len(fallback.HANDLERS) :] == fallback.HANDLERS
    assert groups.on_chat_migrated in application.error_handlers

"""In-process fake of the Telegram Bot API for end-to-end tests.

The real, unmodified python-telegram-bot stack (``Application``, long polling, ``AIORateLimiter``)
talks HTTP to this server on 127.0.0.1, so tests exercise request encoding, response parsing and
error mapping exactly as in production. Tests play the users through Python methods
(:meth:`FakeTelegram.send_text`, :meth:`FakeTelegram.press_button`, ...) and check what the bot
did through the call transcript (:attr:`FakeTelegram.calls`) and the chat state
(:meth:`FakeTelegram.bot_messages`).

Fidelity goals, in order: every response parses in PTB; limits and error descriptions are those of
real Telegram (see docs/telegram-notes.md), so the bot's error handling is tested
against the real strings; everything else is kept minimal. Unknown methods answer 404 as Telegram
does, so a missing feature fails a test loudly instead of passing silently.

Example::

    async with FakeTelegram() as tg:
        app = (
            ApplicationBuilder().token("1000:T")
            .base_url(f"{tg.root_url}/bot").base_file_url(f"{tg.root_url}/file/bot")
            .build()
        )
        ...  # start the application and its polling
        ann = tg.user(42)
        tg.send_text(tg.private_chat(ann), ann, "/start")
        [reply] = await tg.wait_for("sendMessage")

Message dicts handed out by the fake are never mutated afterwards (an edit stores a new dict), so
they are snapshots; treat them as read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from pathlib import PurePosixPath
from typing import Any, Final, Self

from aiohttp import ClientError, ClientSession, web
from PIL import Image

JSONDict = dict[str, Any]

BOT_ID: Final = 1000  # the bot's user id unless a test gives another

MB = 1024 * 1024

# Limits of the real Bot API (docs/telegram-notes.md#limits).
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_PHOTO_BYTES = 10 * MB
MAX_PHOTO_SIDES = 10_000  # width + height
MAX_PHOTO_RATIO = 20
MAX_DOCUMENT_BYTES = 50 * MB
MAX_DOWNLOAD_BYTES = 20 * MB  # getFile refuses bigger files
MAX_ALBUM_SIZE = 10
THUMBNAIL_SIDE = 90  # Telegram's smallest photo size ("s")

# aiohttp refuses bodies above 1 MB by default; accept anything a test may upload so that the
# fake, not aiohttp, answers oversized files with Telegram's own errors.
MAX_REQUEST_BYTES = 256 * MB

BOT_FIRST_NAME = "MJ Test"

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the"
    " same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

# Sends and edits share one flood budget per chat (docs/telegram-notes.md#flood-control).
FLOOD_COUNTED_METHODS = frozenset(
    name.lower()
    for name in (
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAnimation",
        "sendVideo",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
    )
)

# Form bodies carry every value as a string, and PTB JSON-encodes the non-string ones. Only the
# parameters that Telegram types as numbers, booleans, objects or arrays are decoded, so that a
# message text such as "42" or "[1]" stays a string.
JSON_PARAMS = frozenset(
    {
        "allow_sending_without_reply",
        "allowed_updates",
        "cache_time",
        "caption_entities",
        "chat_id",
        "commands",
        "disable_notification",
        "drop_pending_updates",
        "duration",
        "entities",
        "from_chat_id",
        "has_spoiler",
        "height",
        "limit",
        "link_preview_options",
        "max_connections",
        "media",
        "message_id",
        "message_thread_id",
        "offset",
        "protect_content",
        "reply_markup",
        "reply_parameters",
        "reply_to_message_id",
        "scope",
        "show_alert",
        "show_caption_above_media",
        "supports_streaming",
        "timeout",
        "user_id",
        "width",
    }
)

# Tags accepted with parse_mode=HTML (Bot API "Formatting options").
HTML_TAGS = frozenset(
    {"a", "b", "blockquote", "code", "del", "em", "i", "ins", "pre", "s", "span", "strike"}
    | {"strong", "tg-emoji", "tg-spoiler", "u"}
)
# A tag, a bare "<" (which Telegram rejects), or one of the few entities Telegram decodes. A bare
# "&" is kept literally, as Telegram does.
HTML_TOKEN = re.compile(r"<(/?)([^\s<>/]*)[^<>]*>|<|&(?:#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")

BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


# A job's status message is a photo (its caption edited, or a progress preview put in with
# its caption) or a text: edits of either. (editMessageMedia also puts the result in.)
STATUS_EDITS = ("editMessageText", "editMessageCaption", "editMessageMedia")
# The callback data of the bot's ✖️ Cancel (bot/callbacks.py CancelJob): the one key a
# progress photo carries, never a result's.
_CANCEL_DATA = "x:"


def has_result_keys(params: JSONDict) -> bool:
    """The call's keyboard is a result's: some key other than a progress photo's ✖️ Cancel
    (usable as fail_next's `when` to aim at results only)."""
    markup = params.get("reply_markup") or {}
    keys = [key for row in markup.get("inline_keyboard") or () for key in row]
    cancel_only = all(str(key.get("callback_data", "")).startswith(_CANCEL_DATA) for key in keys)
    return bool(keys) and not cancel_only


@dataclass
class Call:
    """One Bot API request from the bot, as the fake received and answered it."""

    method: str  # as spelled by the client, e.g. "sendMessage"
    params: JSONDict  # decoded parameters
    files: dict[str, bytes] = field(default_factory=dict)  # uploads by multipart field name
    at: float = field(default_factory=time.monotonic)
    # None while the request is in flight (a pending long poll) or when the connection was
    # dropped on purpose (fail_next(..., error_code=0)).
    response: JSONDict | None = None
    chat_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response["ok"]

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call, else None."""
        return self.response.get("result") if self.response else None

    @property
    def caption(self) -> str | None:
        """The caption a send or an edit gave (editMessageMedia: its media's)."""
        media = self.params.get("media")
        if isinstance(media, dict) and "caption" in media:
            return media["caption"]
        return self.params.get("caption")

    @property
    def text(self) -> str:
        """What a send or an edit says: its text, else its caption ("" for neither)."""
        return str(self.params.get("text") or self.caption or "")

    @property
    def carries_result(self) -> bool:
        """A picture with a result's buttons (sendPhoto, or editMessageMedia into the job's
        message), answered or not; a progress preview (no keys, or ✖️ Cancel alone) is none."""
        picture = self.method.lower() in ("sendphoto", "editmessagemedia")
        return picture and has_result_keys(self.params)

    @property
    def is_result(self) -> bool:
        """A picture with buttons reached the chat: what a delivered Midjourney result looks
        like."""
        return self.ok and self.carries_result

    @property
    def is_preview(self) -> bool:
        """A progress preview reached the job's photo message (editMessageMedia, no result)."""
        return self.ok and self.method.lower() == "editmessagemedia" and not self.carries_result


@dataclass(frozen=True)
class _Upload:
    """A file uploaded in a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


@dataclass(frozen=True)
class _StoredFile:
    """A file known to the fake, reachable by file_id (getFile) and file_path (download)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str  # "photo", "document", "sticker", "animation" or "video"; reusable as its own kind
    file_name: str | None = None
    mime_type: str | None = None


class _ApiError(Exception):
    """An error answer of the Bot API, raised by method handlers."""

    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _DropConnection(Exception):
    """Raised by an injected fault: close the connection without answering."""


@dataclass(frozen=True)
class _Fault:
    error: Exception
    when: Callable[[JSONDict], bool] | None = None
    after: bool = False  # the call is carried out, then its answer fails


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


_Handler = Callable[[JSONDict, dict[str, _Upload]], Coroutine[Any, Any, Any]]


class FakeTelegram:
    """A fake Telegram Bot API server plus the users and chats that talk to the bot."""

    def __init__(
        self,
        bot_username: str = "mj_test_bot",
        bot_id: int = BOT_ID,
        *,
        flood_limits: bool = False,
        private_per_second: float = 1.0,
        private_burst: int = 3,
        group_per_minute: int = 20,
        window_scale: float = 1.0,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.departed: set[tuple[int, int]] = set()  # (chat, user) who left: getChatMember
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": bot_username,
        }
        self.token: str | None = None  # the token of the first request
        self.calls: list[Call] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_pushes: list[int] = []  # the HTTP status of each update pushed
        self._pusher: ClientSession | None = None
        self._pushing: set[asyncio.Task[None]] = set()

        # Flood control: at most `private_burst` sends in a private chat per the time it takes to
        # refill that burst at `private_per_second` (a sustained 1 msg/s with short bursts, as
        # the Bot FAQ describes), and `group_per_minute` per minute in a group. `window_scale`
        # shrinks both windows and the retry_after values so tests stay fast.
        self.flood_limits = flood_limits
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.window_scale = window_scale
        self.private_window = private_burst / private_per_second * window_scale
        self.group_window = 60.0 * window_scale
        self.flood_429s = 0

        self._users: dict[int, JSONDict] = {bot_id: self.bot_user}
        self._chats: dict[int, JSONDict] = {}
        self._migrated_to: dict[int, int] = {}
        self._admins: dict[int, dict[int, JSONDict]] = {}  # chat id -> user id -> ChatMember
        self._messages: dict[int, dict[int, JSONDict]] = {}  # chat id -> message id -> Message
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._photo_sets: dict[str, list[JSONDict]] = {}  # any size's file_id -> all sizes
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._open_queries: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        # Called with each call as it arrives, before it is handled (tests kill the bot there).
        self.on_call: Callable[[Call], Coroutine[Any, Any, None]] | None = None
        self._ids = itertools.count(1)  # suffixes of generated file, query and album ids

        self._pending_updates: list[JSONDict] = []
        self.updates: list[JSONDict] = []  # every update ever queued, in order
        self._next_update_id = 1
        self.reject_token: str | None = None  # requests with this token get 401
        self.down = False  # an outage: every API request gets the edge's HTML 502
        self._update_queued = asyncio.Event()  # wakes long polls
        self._calls_changed = asyncio.Condition()  # wakes wait_for

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False

        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendAnimation": self._send_animation,
            "sendVideo": self._send_video,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
        }
        # Telegram matches method names case-insensitively.
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_request)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self._runner is None:
            return
        self._closing = True
        self._update_queued.set()  # end pending long polls now rather than at their timeout
        for task in self._pushing:
            task.cancel()
        await asyncio.gather(*self._pushing, return_exceptions=True)
        if self._pusher is not None:
            await self._pusher.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``; PTB takes ``{root_url}/bot`` and ``{root_url}/file/bot``."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    # ---------------------------------------------------------------- users and chats

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str = "en",
        username: str | None = None,
    ) -> JSONDict:
        """Register a user (returns the User dict) who can then write to the bot."""
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        return user

    def private_chat(self, user: JSONDict) -> JSONDict:
        """The user's private chat with the bot; its id is the user's id."""
        chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        self._chats[chat["id"]] = chat
        return chat

    def group(self, chat_id: int, title: str = "Group", type: str = "group") -> JSONDict:
        """Register a group or supergroup (ids are negative; supergroups use -100...)."""
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        if type not in ("group", "supergroup"):
            raise ValueError(f"type must be 'group' or 'supergroup', got {type!r}")
        chat: JSONDict = {"id": chat_id, "type": type, "title": title}
        self._chats[chat_id] = chat
        return chat

    def set_admins(
        self,
        chat_id: int,
        user_ids: Iterable[int],
        anonymous: Collection[int] = (),
        *,
        creator: int | None = None,
    ) -> None:
        """Declare a chat's administrators; everybody else is a plain "member".

        ``creator`` (if given) gets status "creator"; ids in ``anonymous`` are anonymous admins.
        """
        creators = [creator] if creator is not None else []
        self._admins[chat_id] = {
            user_id: self._admin(user_id, is_creator=user_id == creator, anonymous=anonymous)
            for user_id in dict.fromkeys([*creators, *user_ids, *anonymous])  # ordered, unique
        }

    def migrate_group(
        self, old_chat: JSONDict, new_chat_id: int, *, by: JSONDict | None = None
    ) -> JSONDict:
        """Upgrade a group to a supergroup as Telegram does; returns the new chat.

        Both chats get a migration service message, and sending to the old id fails with
        ``parameters.migrate_to_chat_id`` (PTB raises ``ChatMigrated``).
        """
        new_chat = self.group(new_chat_id, old_chat.get("title", "Group"), "supergroup")
        self._migrated_to[old_chat["id"]] = new_chat_id
        if old_chat["id"] in self._admins:
            self._admins[new_chat_id] = self._admins[old_chat["id"]]
        self._deliver(old_chat, by, {"migrate_to_chat_id": new_chat_id})
        self._deliver(new_chat, by, {"migrate_from_chat_id": old_chat["id"]})
        return new_chat

    # ---------------------------------------------------------------- incoming messages

    def send_text(
        self, chat: JSONDict, user: JSONDict, text: str, *, reply_to: JSONDict | None = None
    ) -> JSONDict:
        """A user writes ``text``; a leading /command gets its ``bot_command`` entity."""
        content = {"text": text, "entities": _command_entities(text)}
        return self._deliver(chat, user, content, reply_to=reply_to)

    def send_photo(
        self,
        chat: JSONDict,
        user: JSONDict,
        image_bytes: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        reply_to: JSONDict | None = None,
    ) -> JSONDict:
        content = {
            "photo": self._store_photo(image_bytes),
            "caption": caption,
            "caption_entities": _command_entities(caption),
            "media_group_id": media_group_id,
        }
        return self._deliver(chat, user, content, reply_to=reply_to)

    def send_document(
        self,
        chat: JSONDict,
        user: JSONDict,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> JSONDict:
        stored = self._store_file(data, "document", file_name=file_name, mime_type=mime_type)
        content = {
            "document": _document_info(stored),
            "caption": caption,
            "caption_entities": _command_entities(caption),
        }
        return self._deliver(chat, user, content)

    def send_sticker(self, chat: JSONDict, user: JSONDict) -> JSONDict:
        stored = self._store_file(_blank_webp(512), "sticker", extension=".webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": "👍",
            "file_size": len(stored.data),
        }
        return self._deliver(chat, user, {"sticker": sticker})

    def press_button(
        self, chat: JSONDict, user: JSONDict, message: JSONDict, callback_data: str
    ) -> str:
        """A user presses an inline button of a bot message; returns the callback query id.

        Like a real client, only a button that the message currently shows can be pressed
        (edits that dropped the keyboard count). Use :meth:`send_update` to forge other data.
        """
        current = self.message(chat["id"], message["message_id"])
        if current is None:
            raise AssertionError(f"message {message['message_id']} does not exist (deleted?)")
        shown = _callback_data_of(current.get("reply_markup"))
        if callback_data not in shown:
            raise AssertionError(
                f"message {current['message_id']} has no button {callback_data!r};"
                f" its buttons are {shown}"
            )
        return self.send_callback_query(user, current, callback_data)

    def send_callback_query(self, user: JSONDict, message: JSONDict, data: str) -> str:
        """A callback query with any data on any message (forged or forwarded keyboards)."""
        query_id = f"cbq-{next(self._ids)}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": f"instance{message['chat']['id']}",
            "data": data,
        }
        self.send_update({"callback_query": query})
        return query_id

    def send_update(self, update_without_id: JSONDict) -> JSONDict:
        """Queue a raw update for getUpdates; assigns and returns it with its update_id."""
        update = {"update_id": self._next_update_id, **update_without_id}
        self._next_update_id += 1
        self.updates.append(update)
        self._pending_updates.append(update)
        self._update_queued.set()
        if self.webhook_url:
            self._schedule_push(update)
        return update

    def hand_over_again(self, update: JSONDict) -> None:
        """Queue an update once more with its own update_id, as Telegram does with one whose
        offset the bot never confirmed (it died, or its getUpdates calls failed)."""
        self._pending_updates.append(update)
        self._update_queued.set()
        if self.webhook_url:
            self._schedule_push(update)

    async def _push(self, update: JSONDict) -> None:
        """Webhook mode: POST the update, retrying (as Telegram does) until a 2xx."""
        if self._pusher is None:
            self._pusher = ClientSession()
        headers = {}
        if self.webhook_secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        for _attempt in range(50):
            try:
                async with self._pusher.post(self.webhook_url, json=update, headers=headers) as r:
                    self.webhook_pushes.append(r.status)
                    if r.status < 300:
                        with contextlib.suppress(ValueError):
                            self._pending_updates.remove(update)
                        return
            except ClientError:
                pass  # the bot's server is not up yet
            await asyncio.sleep(0.05)

    # ---------------------------------------------------------------- transcript and state

    def calls_of(self, method: str | tuple[str, ...]) -> list[Call]:
        """Calls of a method (or of any of several), in order."""
        names = {m.lower() for m in ((method,) if isinstance(method, str) else method)}
        return [call for call in self.calls if call.method.lower() in names]

    def menu(self, language_code: str | None = None) -> list[tuple[str, str]]:
        """The bot's command menu for everyone (default scope) in one language, as Telegram
        shows it: (command, description) pairs."""
        key = _commands_key({"language_code": language_code})
        return [(c["command"], c["description"]) for c in self._commands.get(key, [])]

    def results(self, chat_id: int | None = None) -> list[Call]:
        """Delivered picture results (see Call.is_result), oldest first."""
        return [
            call
            for call in self.calls_of(("sendPhoto", "editMessageMedia"))
            if call.is_result and (chat_id is None or call.chat_id == chat_id)
        ]

    def previews(self, chat_id: int | None = None) -> list[Call]:
        """Progress previews shown (see Call.is_preview), oldest first."""
        return [
            call
            for call in self.calls_of("editMessageMedia")
            if call.is_preview and (chat_id is None or call.chat_id == chat_id)
        ]

    async def wait_for_results(
        self,
        predicate: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper; a plain argument reads best
    ) -> list[Call]:
        """wait_for, for delivered picture results."""
        return await self.wait_for(
            ("sendPhoto", "editMessageMedia"),
            lambda c: c.is_result and (predicate is None or predicate(c)),
            count=count,
            timeout=timeout,
        )

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a message (edits applied), or None if unknown or deleted."""
        return self._messages.get(chat_id, {}).get(message_id)

    def bot_messages(self, chat_id: int) -> list[JSONDict]:
        """The bot's messages in a chat as a user sees them now, oldest first."""
        return [
            message
            for message in self._messages.get(chat_id, {}).values()
            if message.get("from", {}).get("id") == self.bot_id
        ]

    async def wait_for(
        self,
        method: str | tuple[str, ...],
        predicate: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper; a plain argument reads best
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` match ``predicate``; return them all.

        Failed calls count too (check ``call.ok`` in the predicate if that matters). Raises
        AssertionError with a transcript summary on timeout.
        """

        def matching() -> list[Call]:
            return [call for call in self.calls_of(method) if predicate is None or predicate(call)]

        async with self._calls_changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._calls_changed.wait_for(lambda: len(matching()) >= count)
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {timeout:g} s waiting for {count} matching {method} call(s),"
                    f" saw {len(matching())}\n{self.summary()}"
                ) from None
        return matching()

    def summary(self, last: int = 30) -> str:
        """A readable transcript of the latest calls (getUpdates omitted), for failure messages."""
        calls = [call for call in self.calls if call.method.lower() != "getupdates"]
        if not calls:
            return "transcript: no calls (getUpdates omitted)"
        shown = calls[-last:]
        skipped = (
            f", {len(calls) - len(shown)} older ones omitted" if len(shown) < len(calls) else ""
        )
        header = f"transcript ({len(calls)} calls, getUpdates omitted{skipped}):"
        return "\n".join([header, *(_describe(call) for call in shown)])

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        retry_after: float = 1,
        description: str | None = None,
        times: int = 1,
        when: Callable[[JSONDict], bool] | None = None,
        after: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (whose parameters satisfy ``when``) fail.

        429 answers like Telegram's flood control (``parameters.retry_after``); ``error_code=0``
        drops the connection without an answer, which PTB reports as ``NetworkError``.
        ``after=True`` carries the call out first and fails its answer only, as when Telegram
        took a message and the connection broke on the way back.
        """

        def fault() -> Exception:
            if error_code == 0:
                return _DropConnection()
            if error_code == HTTPStatus.TOO_MANY_REQUESTS:
                return _ApiError(
                    error_code,
                    description or f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            return _ApiError(error_code, description or _default_description(error_code))

        faults = self._faults.setdefault(method.lower(), deque())
        faults.extend(_Fault(fault(), when, after) for _ in range(times))

    # ---------------------------------------------------------------- HTTP layer

    async def _handle_api_request(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == self.reject_token:
            # What Telegram answers for a revoked or mistyped token.
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=HTTPStatus.UNAUTHORIZED)
        if self.down:
            return web.Response(status=502, text="<html>502 Bad Gateway</html>",
                                content_type="text/html")
        self.token = self.token or request.match_info["token"]
        params, uploads = await _read_request(request)
        call = Call(
            method=request.match_info["method"],
            params=params,
            files={name: upload.data for name, upload in uploads.items()},
            chat_id=_as_int(params.get("chat_id")),
        )
        self.calls.append(call)
        await self._notify_calls()  # lets tests wait for a long poll to be in flight
        if self.on_call is not None:
            await self.on_call(call)
        try:
            result = await self._dispatch(call, params, uploads)
        except _DropConnection:
            if request.transport is not None:
                request.transport.close()
            await self._notify_calls()
            return web.Response()  # goes nowhere: the connection is closed
        except _ApiError as error:
            call.response = error.body()
        else:
            call.response = {"ok": True, "result": result}
        await self._notify_calls()
        status = HTTPStatus.OK if call.ok else call.response["error_code"]
        return web.json_response(call.response, status=status)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(_ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _dispatch(self, call: Call, params: JSONDict, uploads: dict[str, _Upload]) -> Any:
        handler = self._handlers.get(call.method.lower())
        if handler is None:
            raise _ApiError(404, "Not Found")
        faults = self._faults.get(call.method.lower()) or deque()
        fault = next((f for f in faults if f.when is None or f.when(params)), None)
        if fault is not None:
            faults.remove(fault)
            if not fault.after:
                raise fault.error
        self._enforce_flood_limit(call)
        result = await handler(params, uploads)
        if fault is not None:
            raise fault.error
        return result

    async def _notify_calls(self) -> None:
        async with self._calls_changed:
            self._calls_changed.notify_all()

    def _enforce_flood_limit(self, call: Call) -> None:
        """Answer 429 when this send or edit would exceed the chat's budget (if enabled)."""
        counted = call.method.lower() in FLOOD_COUNTED_METHODS
        if not (self.flood_limits and counted and call.chat_id is not None):
            return
        if call.chat_id < 0:
            limit, window = self.group_per_minute, self.group_window
        else:
            limit, window = self.private_burst, self.private_window
        recent = [
            earlier.at
            for earlier in self.calls
            if earlier.ok
            and earlier.chat_id == call.chat_id
            and earlier.method.lower() in FLOOD_COUNTED_METHODS
            and earlier.at > call.at - window
        ]
        if len(recent) < limit:
            return
        # Sending is allowed again once the oldest of the last `limit` sends leaves the window.
        # Telegram states whole seconds; scaled tests get the same whole number, scaled.
        wait = recent[-limit] + window - call.at
        seconds = round(max(1, math.ceil(wait / self.window_scale)) * self.window_scale, 6)
        retry_after = int(seconds) if seconds.is_integer() else seconds
        self.flood_429s += 1
        raise _ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # ---------------------------------------------------------------- Bot API: bot and updates

    async def _get_me(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _ok(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        return True

    async def _get_updates(self, params: JSONDict, uploads: dict[str, _Upload]) -> list[JSONDict]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset")) or 0
        if offset > 0:  # confirms every update below the offset, for good
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout = float(params.get("timeout") or 0)
        if not self._pending_updates and timeout > 0 and not self._closing:
            self._update_queued.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._update_queued.wait()
        return self._pending_updates[:limit]

    async def _set_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = params.get("secret_token")
        for update in list(self._pending_updates):
            self._schedule_push(update)
        return True

    def _schedule_push(self, update: JSONDict) -> None:
        """Push an update to the webhook (set, or sent while one is set)."""
        task = asyncio.get_running_loop().create_task(self._push(update))
        self._pushing.add(task)
        task.add_done_callback(self._pushing.discard)

    async def _delete_webhook(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._pending_updates.clear()
        return True

    async def _get_webhook_info(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }

    # ---------------------------------------------------------------- Bot API: sending

    async def _send_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat = self._target_chat(params)
        content = {"text": _message_text(params), "entities": params.get("entities")}
        return self._post(chat, params, content)

    async def _send_photo(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat = self._target_chat(params)
        content = {
            "photo": self._photo_for(self._input_file(params.get("photo"), uploads, "photo")),
            "caption": _caption(params),
            "caption_entities": params.get("caption_entities"),
        }
        return self._post(chat, params, content)

    async def _send_document(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat = self._target_chat(params)
        source = self._input_file(params.get("document"), uploads, "document")
        content = {
            "document": self._document_for(source),
            "caption": _caption(params),
            "caption_entities": params.get("caption_entities"),
        }
        return self._post(chat, params, content)

    async def _send_animation(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        """A silent looping clip. Like Telegram, the message carries it as `animation` and as
        `document` too; width, height and duration are what the bot declared."""
        chat = self._target_chat(params)
        info = self._clip_for(params, uploads, "animation")
        content = {
            "animation": info,
            "document": _document_info(self._files[info["file_id"]]),
            "caption": _caption(params),
            "caption_entities": params.get("caption_entities"),
        }
        return self._post(chat, params, content)

    async def _send_video(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat = self._target_chat(params)
        info = self._clip_for(params, uploads, "video")
        if params.get("supports_streaming") is not None:
            info["supports_streaming"] = bool(params["supports_streaming"])
        content = {
            "video": info,
            "caption": _caption(params),
            "caption_entities": params.get("caption_entities"),
        }
        return self._post(chat, params, content)

    def _clip_for(self, params: JSONDict, uploads: dict[str, _Upload], kind: str) -> JSONDict:
        return self._clip_info(self._input_file(params.get(kind), uploads, kind), params, kind)

    def _clip_info(self, source: _Upload | _StoredFile, params: JSONDict, kind: str) -> JSONDict:
        """An Animation or Video object; width, height and duration are what the bot said."""
        if isinstance(source, _StoredFile):
            if source.kind != kind:
                raise _bad_request("type of file mismatch")
            stored = source
        else:
            if len(source.data) > MAX_DOCUMENT_BYTES:
                raise _ApiError(413, "Request Entity Too Large")
            stored = self._store_file(
                source.data,
                kind,
                file_name=source.filename,
                mime_type=source.content_type or "video/mp4",
            )
        info = {
            **_document_info(stored),
            "width": _as_int(params.get("width")) or 0,
            "height": _as_int(params.get("height")) or 0,
            "duration": _as_int(params.get("duration")) or 0,
        }
        return info

    async def _send_media_group(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> list[JSONDict]:
        chat = self._target_chat(params)
        items = params.get("media")
        if not isinstance(items, list) or not items:
            raise _bad_request("media to send are not specified")
        if len(items) > MAX_ALBUM_SIZE:
            raise _bad_request("too much messages to send as an album")
        # Resolve every item before posting any, so an invalid item sends nothing.
        contents = [self._media_content(item, uploads) for item in items]
        album_id = f"album-{next(self._ids)}"
        return [self._post(chat, params, {**c, "media_group_id": album_id}) for c in contents]

    async def _send_chat_action(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self._target_chat(params)
        return True

    # ---------------------------------------------------------------- Bot API: editing

    async def _edit_message_text(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        message = self._editable_message(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        content = {"text": _message_text(params), "entities": params.get("entities")}
        return self._edit(message, params, content)

    async def _edit_message_caption(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> JSONDict:
        message = self._editable_message(params)
        if not _has_media(message):
            raise _bad_request("there is no caption in the message to edit")
        content = {"caption": _caption(params), "caption_entities": params.get("caption_entities")}
        return self._edit(message, params, content)

    async def _edit_message_media(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        message = self._editable_message(params)
        if not _has_media(message):
            raise _bad_request("there is no media in the message to edit")
        return self._edit(message, params, self._media_content(params.get("media"), uploads))

    async def _edit_message_reply_markup(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> JSONDict:
        return self._edit(self._editable_message(params), params, {})

    async def _delete_message(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        chat = self._target_chat(params)
        if self._messages.get(chat["id"], {}).pop(_message_id(params), None) is None:
            raise _bad_request("message to delete not found")
        return True

    async def _answer_callback_query(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise _bad_request(QUERY_TOO_OLD)
        self._open_queries.remove(query_id)
        return True

    # ---------------------------------------------------------------- Bot API: other

    async def _set_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command"))):
                raise _bad_request("BOT_COMMAND_INVALID")
        self._commands[_commands_key(params)] = commands
        return True

    async def _delete_my_commands(self, params: JSONDict, uploads: dict[str, _Upload]) -> bool:
        self._commands.pop(_commands_key(params), None)
        return True

    async def _get_my_commands(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> list[JSONDict]:
        return self._commands.get(_commands_key(params), [])

    async def _get_file(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        # getChat answers a ChatFullInfo, which has a few more required fields than Chat.
        no_gifts = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return {
            **self._target_chat(params),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": no_gifts,
        }

    async def _get_chat_member(self, params: JSONDict, uploads: dict[str, _Upload]) -> JSONDict:
        chat = self._target_chat(params)
        user_id = _as_int(params.get("user_id"))
        if user_id is None:
            raise _bad_request("invalid user_id specified")
        if (chat["id"], user_id) in self.departed:
            return {"status": "left", "user": self._known_user(user_id)}
        admin = self._admins.get(chat["id"], {}).get(user_id)
        return admin or {"status": "member", "user": self._known_user(user_id)}

    async def _get_chat_administrators(
        self, params: JSONDict, uploads: dict[str, _Upload]
    ) -> list[JSONDict]:
        chat = self._target_chat(params)
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        return list(self._admins.get(chat["id"], {}).values())

    # ---------------------------------------------------------------- messages

    def _new_message(
        self,
        chat: JSONDict,
        sender: JSONDict | None,
        content: JSONDict,
        *,
        reply_to: JSONDict | None = None,
    ) -> JSONDict:
        """Store a new message; ``content`` entries that are None are left out."""
        message_id = self._last_message_id.get(chat["id"], 0) + 1
        self._last_message_id[chat["id"]] = message_id
        message: JSONDict = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if sender is not None:
            message["from"] = sender
        if reply_to is not None:
            # Telegram never nests replies more than one level deep.
            message["reply_to_message"] = {
                key: value for key, value in reply_to.items() if key != "reply_to_message"
            }
        message.update({key: value for key, value in content.items() if value is not None})
        self._messages.setdefault(chat["id"], {})[message_id] = message
        return message

    def _deliver(
        self,
        chat: JSONDict,
        user: JSONDict | None,
        content: JSONDict,
        *,
        reply_to: JSONDict | None = None,
    ) -> JSONDict:
        """Store a message from a user and queue it as an update for the bot."""
        self._chats.setdefault(chat["id"], chat)  # a user writing in a chat proves it exists
        if reply_to is not None:  # reply to the message as it is now, like a client does
            reply_to = self.message(chat["id"], reply_to["message_id"]) or reply_to
        message = self._new_message(chat, user, content, reply_to=reply_to)
        self.send_update({"message": message})
        return message

    def _post(self, chat: JSONDict, params: JSONDict, content: JSONDict) -> JSONDict:
        """Store a message from the bot, with the reply and keyboard requested in ``params``."""
        reply_to = self._reply_target(chat["id"], params)
        markup = _inline_keyboard(params.get("reply_markup"))
        content = {**content, "reply_markup": markup}
        return self._new_message(chat, self.bot_user, content, reply_to=reply_to)

    def _edit(self, message: JSONDict, params: JSONDict, content: JSONDict) -> JSONDict:
        """Apply an edit: ``content`` keys are set (None removes them).

        The keyboard is always replaced by the request's ``reply_markup``: like Telegram, an edit
        without one removes the message's inline keyboard.
        """
        changes = {**content, "reply_markup": _inline_keyboard(params.get("reply_markup"))}
        before = {key: value for key, value in message.items() if key != "edit_date"}
        after = {key: value for key, value in before.items() if key not in changes}
        after.update({key: value for key, value in changes.items() if value is not None})
        if after == before:
            raise _bad_request(NOT_MODIFIED)
        after["edit_date"] = int(time.time())
        self._messages[message["chat"]["id"]][message["message_id"]] = after
        return after

    def _target_chat(self, params: JSONDict) -> JSONDict:
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None:
            raise _bad_request("chat_id is empty")
        if chat_id in self._migrated_to:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated_to[chat_id]},
            )
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _reply_target(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        """The message a send replies to (PTB sends ``reply_parameters``), if any."""
        reply = params.get("reply_parameters") or {}
        message_id = _as_int(reply.get("message_id", params.get("reply_to_message_id")))
        if message_id is None:
            return None
        target = self.message(chat_id, message_id)
        may_skip = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if target is None and not may_skip:
            raise _bad_request("message to be replied not found")
        return target

    def _editable_message(self, params: JSONDict) -> JSONDict:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat = self._target_chat(params)
        message = self.message(chat["id"], _message_id(params))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    def _known_user(self, user_id: int) -> JSONDict:
        return self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }

    def _admin(self, user_id: int, *, is_creator: bool, anonymous: Collection[int]) -> JSONDict:
        member = {"user": self._known_user(user_id), "is_anonymous": user_id in anonymous}
        if is_creator:
            return {"status": "creator", **member}
        rights = dict.fromkeys(ADMIN_RIGHTS, True)
        return {"status": "administrator", **member, "can_be_edited": False, **rights}

    # ---------------------------------------------------------------- files

    def _input_file(
        self, value: Any, uploads: dict[str, _Upload], field_name: str | None = None
    ) -> _Upload | _StoredFile:
        """Resolve a file parameter: a direct upload, ``attach://<field>``, a file_id or a URL."""
        if field_name in uploads:
            return uploads[field_name]
        if not isinstance(value, str) or not value:
            raise _bad_request("there is no file in the request")
        if value.startswith("attach://"):
            attached = uploads.get(value.removeprefix("attach://"))
            if attached is None:
                raise _bad_request("can't parse InputMedia: media not found")
            return attached
        if value.startswith(("http://", "https://")):
            # No internet here; and the bot must not send Midjourney images by URL anyway.
            raise _bad_request("failed to get HTTP URL content")
        stored = self._files.get(value)
        if stored is None:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def _media_content(self, media: Any, uploads: dict[str, _Upload]) -> JSONDict:
        """Message content for an InputMedia (album item or editMessageMedia)."""
        if not isinstance(media, dict):
            raise _bad_request("can't parse InputMedia JSON object")
        kind = media.get("type")
        if kind not in ("photo", "document", "animation", "video"):
            raise _bad_request(f"media type {kind!r} is not supported by the fake")
        source = self._input_file(media.get("media"), uploads)
        clip = self._clip_info(source, media, kind) if kind in ("animation", "video") else None
        document = self._document_for(source) if kind == "document" else None
        if kind == "animation" and clip is not None:
            document = _document_info(self._files[clip["file_id"]])
        return {
            "photo": self._photo_for(source) if kind == "photo" else None,
            "document": document,
            "animation": clip if kind == "animation" else None,
            "video": clip if kind == "video" else None,
            "caption": _caption(media),
            "caption_entities": media.get("caption_entities"),
        }

    def _photo_for(self, source: _Upload | _StoredFile) -> list[JSONDict]:
        """The PhotoSize list for a photo sent by the bot, validated like sendPhoto."""
        if isinstance(source, _StoredFile):
            if source.file_id not in self._photo_sets:
                raise _bad_request("type of file mismatch")
            return self._photo_sets[source.file_id]
        if len(source.data) > MAX_PHOTO_BYTES:
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        try:
            with Image.open(BytesIO(source.data)) as image:
                width, height = image.size
        except OSError:  # not an image Pillow can read
            raise _bad_request("IMAGE_PROCESS_FAILED") from None
        too_big = width + height > MAX_PHOTO_SIDES
        too_thin = max(width, height) > MAX_PHOTO_RATIO * min(width, height)
        if too_big or too_thin:
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        return self._store_photo(source.data)

    def _document_for(self, source: _Upload | _StoredFile) -> JSONDict:
        if isinstance(source, _StoredFile):
            if source.kind != "document":
                raise _bad_request("type of file mismatch")
            return _document_info(source)
        if len(source.data) > MAX_DOCUMENT_BYTES:
            raise _ApiError(413, "Request Entity Too Large")
        stored = self._store_file(
            source.data, "document", file_name=source.filename, mime_type=source.content_type
        )
        return _document_info(stored)

    def _store_photo(self, data: bytes) -> list[JSONDict]:
        """Store a photo as Telegram does: a small JPEG thumbnail plus the full image.

        The full size keeps the original bytes (Telegram would re-encode them), so tests can
        compare downloads with what was sent.
        """
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
            extension = f".{(image.format or 'jpg').lower()}"
            thumbnail = image.convert("RGB")
        thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        buffer = BytesIO()
        thumbnail.save(buffer, "JPEG")
        sizes = [
            self._photo_size(buffer.getvalue(), *thumbnail.size, ".jpg"),
            self._photo_size(data, width, height, extension),
        ]
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return sizes

    def _photo_size(self, data: bytes, width: int, height: int, extension: str) -> JSONDict:
        stored = self._store_file(data, "photo", extension=extension)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(data),
        }

    def _store_file(
        self,
        data: bytes,
        kind: str,
        *,
        extension: str = "",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> _StoredFile:
        number = next(self._ids)
        suffix = PurePosixPath(file_name).suffix if file_name else extension
        stored = _StoredFile(
            file_id=f"{kind}-{number}",
            file_unique_id=f"unique-{number}",
            file_path=f"{kind}s/file_{number}{suffix}",
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored


# -------------------------------------------------------------------- helpers


async def _read_request(request: web.Request) -> tuple[JSONDict, dict[str, _Upload]]:
    """Decode a Bot API request: query string plus a JSON, urlencoded or multipart body."""
    raw: JSONDict = dict(request.query)
    uploads: dict[str, _Upload] = {}
    if request.body_exists:
        if request.content_type == "application/json":
            raw.update(await request.json())
        else:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[name] = _Upload(value.file.read(), value.filename, value.content_type)
                else:
                    raw[name] = value.decode() if isinstance(value, bytes) else value
    return {name: _decode_param(name, value) for name, value in raw.items()}, uploads


def _decode_param(name: str, value: Any) -> Any:
    if name in JSON_PARAMS and isinstance(value, str):
        with contextlib.suppress(ValueError):  # e.g. chat_id="@channel" stays a string
            return json.loads(value)
    return value


def _as_int(value: Any) -> int | None:
    """An integer parameter, or None when absent or not an integer (e.g. "@channel")."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _message_id(params: JSONDict) -> int:
    message_id = _as_int(params.get("message_id"))
    if message_id is None:
        raise _bad_request("message identifier is not specified")
    return message_id


def _message_text(params: JSONDict) -> str:
    text = _visible_text(str(params.get("text") or ""), params.get("parse_mode"))
    if not text.strip():
        raise _bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise _bad_request("message is too long")
    return text


def _caption(source: JSONDict) -> str | None:
    """The caption of a send, edit or InputMedia; None (no caption) when absent or empty."""
    if source.get("caption") is None:
        return None
    caption = _visible_text(str(source["caption"]), source.get("parse_mode"))
    if len(caption) > MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    return caption or None


def _visible_text(text: str, parse_mode: Any) -> str:
    """The text a user sees: HTML markup is checked and removed; other modes pass through."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        return _strip_html(text)
    return text


def _strip_html(text: str) -> str:
    """Parse ``parse_mode=HTML`` text like Telegram; return the visible text.

    Telegram rejects the whole request on an unknown tag, an unbalanced tag or an unescaped "<",
    a real bug class when user prompts are interpolated into HTML.
    """
    visible: list[str] = []
    open_tags: list[str] = []
    position = 0
    for token in HTML_TOKEN.finditer(text):
        visible.append(text[position : token.start()])
        position = token.end()
        if token.group().startswith("&"):
            visible.append(html.unescape(token.group()))
            continue
        offset = len(text[: token.start()].encode())
        is_end_tag, name = token.group(1) == "/", (token.group(2) or "").lower()
        if not is_end_tag:
            if name not in HTML_TAGS:
                raise _entity_error(f'Unsupported start tag "{name}" at byte offset {offset}')
            open_tags.append(name)
        elif not open_tags:
            raise _entity_error(f"Unexpected end tag at byte offset {offset}")
        elif open_tags[-1] != name:
            raise _entity_error(
                f'Unmatched end tag at byte offset {offset}, expected "</{open_tags[-1]}>",'
                f' found "</{name}>"'
            )
        else:
            open_tags.pop()
    if open_tags:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    visible.append(text[position:])
    return "".join(visible)


def _entity_error(detail: str) -> _ApiError:
    return _bad_request(f"can't parse entities: {detail}")


def _inline_keyboard(markup: Any) -> JSONDict | None:
    """Validate ``reply_markup``; return what Telegram echoes in the Message.

    Only a non-empty inline keyboard is part of a Message; reply keyboards are not.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if not rows:
        return None
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
    return markup


def _callback_data_of(markup: JSONDict | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def _command_entities(text: str | None) -> list[JSONDict] | None:
    """The ``bot_command`` entity Telegram adds to a text starting with /command[@bot]."""
    match = BOT_COMMAND.match(text or "")
    if match is None:
        return None
    # Commands are ASCII, so the length in characters equals the UTF-16 length Telegram uses.
    return [{"type": "bot_command", "offset": 0, "length": len(match.group())}]


def _has_media(message: JSONDict) -> bool:
    return "photo" in message or "document" in message


def _document_info(stored: _StoredFile) -> JSONDict:
    info = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }
    return {key: value for key, value in info.items() if value is not None}


def _commands_key(params: JSONDict) -> tuple[str, str]:
    """Commands are stored per (scope, language), as Telegram does."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _blank_webp(side: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGBA", (side, side)).save(buffer, "WEBP")
    return buffer.getvalue()


def _default_description(error_code: int) -> str:
    if error_code == HTTPStatus.FORBIDDEN:
        return "Forbidden: bot was blocked by the user"
    if error_code == HTTPStatus.CONFLICT:
        return (
            "Conflict: terminated by other getUpdates request;"
            " make sure that only one bot instance is running"
        )
    return HTTPStatus(error_code).phrase


def _describe(call: Call) -> str:
    """One transcript line, e.g. ``sendMessage chat=42 text='Queued' -> ok``."""
    details = [f"chat={call.chat_id}"] if call.chat_id is not None else []
    for key in ("text", "caption", "message_id", "callback_query_id", "file_id"):
        if key in call.params:
            details.append(f"{key}={str(call.params[key])[:40]!r}")
            break
    if call.response is None:
        outcome = "no response"
    elif call.ok:
        outcome = "ok"
    else:
        outcome = f"{call.response['error_code']} {call.response['description']}"
    return f"  {call.method} {' '.join(details)} -> {outcome}"

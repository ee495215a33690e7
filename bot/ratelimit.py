"""Telegram flood control: PTB's AIORateLimiter, plus pacing inside private chats.

AIORateLimiter keeps groups to 20 messages a minute and retries every 429 after its
retry_after, but it does not pace private chats, where Telegram asks for about one message a
second. Calls that post or edit a message share one budget per chat; answering a tap or
deleting does not count. Progress edits ask `has_room` first and skip a turn rather than queue,
so a finished picture never waits behind them.

Both limits are leaky buckets, which admit their burst plus their steady rate within any
window: burst + rate x window must stay within Telegram's numbers, so the defaults below are
one message per 1.5 s in a private chat (1 + 2 per 3 s) and 5 + 15 per minute in a group
(PTB's default of 20 per 60 s would admit up to 40 in one minute).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter

_PACED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
    }
)
_MAX_LIMITERS = 512


class ChatPacedRateLimiter(AIORateLimiter):
    def __init__(self, *, scale: float = 1.0, **kw: Any) -> None:
        """`scale` > 1 allows proportionally more (tests run Telegram's limits faster)."""
        # Telegram's 30 messages a second overall is one of its flood limits too: scaled with
        # the others, so a high TELEGRAM_CHAT_RATE (benchmarks) lifts every limit, not all but one.
        kw.setdefault("overall_max_rate", 30)
        kw.setdefault("overall_time_period", 1.0 / scale)
        kw.setdefault("group_max_rate", 5)
        kw.setdefault("group_time_period", 20.0 / scale)
        super().__init__(**kw)
        self._private_burst = 1
        self._private_period = 1.5 / scale
        self._private: dict[int, AsyncLimiter] = {}

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._private) > _MAX_LIMITERS:
            # Forget idle chats, as AIORateLimiter does for groups.
            for key, limiter in list(self._private.items()):
                if limiter.has_capacity(limiter.max_rate):
                    del self._private[key]
        if chat_id not in self._private:
            self._private[chat_id] = AsyncLimiter(self._private_burst, self._private_period)
        return self._private[chat_id]

    def has_room(self, chat_id: int) -> bool:
        """Whether a message to this chat would go out now rather than wait its turn."""
        if chat_id > 0:
            return self._private_limiter(chat_id).has_capacity()
        return not self._group_max_rate or self._get_group_limiter(chat_id).has_capacity()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = data.get("chat_id")
        if endpoint in _PACED and isinstance(chat_id, int) and chat_id > 0:
            async with self._private_limiter(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )

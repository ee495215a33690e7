"""What a user was shown, read from the fake Telegram: results are pictures with buttons, put
into a message by sendPhoto or editMessageMedia."""

from __future__ import annotations

from tests.fakes.telegram import Call, FakeTelegram

PICTURE_CALLS = ("sendPhoto", "editMessageMedia")


def is_result(call: Call, chat_id: int | None = None) -> bool:
    """A picture result reached the chat: the call succeeded and carries Midjourney's buttons."""
    markup = call.params.get("reply_markup") or {}
    return (
        call.ok
        and bool(markup.get("inline_keyboard"))
        and (chat_id is None or call.chat_id == chat_id)
    )


def results(tg: FakeTelegram, chat_id: int | None = None) -> list[Call]:
    return [call for call in tg.calls_of(PICTURE_CALLS) if is_result(call, chat_id)]


async def wait_results(
    tg: FakeTelegram, count: int = 1, chat_id: int | None = None, timeout: float = 15  # noqa: ASYNC109
) -> list[Call]:
    return await tg.wait_for(
        PICTURE_CALLS, lambda c: is_result(c, chat_id), count=count, timeout=timeout
    )

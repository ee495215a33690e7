"""Button tokens: Telegram's 64-byte callback_data holds a short random token, the row the rest."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.errors import UnknownToken
from storage.models import ButtonToken, Job, PendingReply, utcnow


def new_token() -> str:
    # 48 random bits: unguessable enough that a forged token only ever hits "unknown".
    return secrets.token_urlsafe(6)


async def add_buttons(
    *,
    session: AsyncSession,
    chat_id: int,
    job_id: int,
    buttons: Iterable[tuple[str, str | None, str]],
    texts: Iterable[str | None] | None = None,
) -> list[ButtonToken]:
    """Store (action, custom_id, label) triples (and optional texts); return their tokens."""
    buttons = list(buttons)
    texts = list(texts) if texts is not None else [None] * len(buttons)
    rows = [
        ButtonToken(
            token=new_token(),
            chat_id=chat_id,
            job_id=job_id,
            action=action,
            custom_id=custom_id,
            label=label,
            text=text,
        )
        for (action, custom_id, label), text in zip(buttons, texts, strict=True)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def resolve_token(*, session: AsyncSession, token: str, chat_id: int) -> ButtonToken:
    """The button behind a token, only if it belongs to this chat."""
    row = await session.get(ButtonToken, token)
    if row is None or row.chat_id != chat_id:
        raise UnknownToken(token)
    return row


async def mark_used(*, session: AsyncSession, button: ButtonToken) -> None:
    """A once-only button (an upscale) was pressed: later taps get "already done"."""
    button.used_at = utcnow()
    session.add(button)
    await session.flush()


async def expire_message_buttons(*, session: AsyncSession, discord_message_id: str) -> int:
    """Midjourney's message is gone, so none of its buttons can work any more."""
    jobs = select(Job.id).where(col(Job.result_message_id) == discord_message_id)
    result = await session.exec(  # type: ignore[call-overload]
        update(ButtonToken)
        .where(col(ButtonToken.job_id).in_(jobs), col(ButtonToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
    return int(result.rowcount or 0)


async def ask(
    *,
    session: AsyncSession,
    chat_id: int,
    message_id: int,
    job_id: int,
    custom_id: str,
    label: str,
) -> None:
    """Remember that the bot's message `message_id` asks for input for this button."""
    session.add(
        PendingReply(
            chat_id=chat_id, message_id=message_id, job_id=job_id, custom_id=custom_id, label=label
        )
    )
    await session.flush()


async def answered(*, session: AsyncSession, chat_id: int, message_id: int) -> PendingReply | None:
    """The question that the bot's message `message_id` asked, if it is still open."""
    return await session.get(PendingReply, (chat_id, message_id))


async def close_question(*, session: AsyncSession, pending: PendingReply) -> None:
    await session.delete(pending)
    await session.flush()


async def find_token(*, session: AsyncSession, token: str) -> ButtonToken:
    """The button behind a token, whatever its chat (a Mini App learns the chat from it)."""
    row = await session.get(ButtonToken, token) if len(token) <= 16 else None
    if row is None:
        raise UnknownToken(token)
    return row

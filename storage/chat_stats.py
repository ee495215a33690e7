"""Jobs per chat for the operators' /stats."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Chat, Job, JobStatus, QuotaEntry


@dataclass(frozen=True, slots=True)
class ChatStats:
    chat_id: int
    title: str | None
    today: int
    today_failed: int
    total: int
    failed: int


async def chat_stats(*, session: AsyncSession, day: str, limit: int = 20) -> list[ChatStats]:
    """Jobs per chat, busiest first: today's (by quota day) and all-time, with failures."""
    failed = case((col(Job.status) == JobStatus.FAILED, 1), else_=0)
    totals = await session.exec(
        select(Job.chat_id, func.count(), func.sum(failed))  # type: ignore[call-overload]
        .group_by(col(Job.chat_id))
        .order_by(func.count().desc(), col(Job.chat_id))
        .limit(limit)
    )
    rows = [(int(chat_id), int(total), int(fails or 0)) for chat_id, total, fails in totals]
    chat_ids = [chat_id for chat_id, _, _ in rows]
    # "Today" follows the quota ledger's day, so it agrees with /quota in any time zone.
    today_rows = await session.exec(
        select(QuotaEntry.chat_id, func.count(), func.sum(failed))  # type: ignore[call-overload]
        .join(Job, col(Job.id) == col(QuotaEntry.job_id))
        .where(col(QuotaEntry.day) == day, col(QuotaEntry.chat_id).in_(chat_ids))
        .group_by(col(QuotaEntry.chat_id))
    )
    today = {int(chat_id): (int(n), int(fails or 0)) for chat_id, n, fails in today_rows}
    titles = {
        chat.id: chat.title
        for chat in await session.exec(select(Chat).where(col(Chat.id).in_(chat_ids)))
    }
    return [
        ChatStats(chat_id, titles.get(chat_id), *today.get(chat_id, (0, 0)), total, fails)
        for chat_id, total, fails in rows
    ]

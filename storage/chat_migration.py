"""A group becoming a supergroup: everything keyed by the old chat id moves to the new one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, delete, exists, inspect, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chats import Member
from storage.models import Chat


async def migrate_chat(*, session: AsyncSession, old_id: int, new_id: int) -> bool:
    """Move everything keyed by the old chat id to the new one; False if nothing was left.

    Every table with a `chat_id` column moves, including tables added after this was written
    (jobs, button tokens, the quota ledger, pending replies, chat settings...). Telegram reports
    a migration twice (a service message in each chat) and PTB may raise ChatMigrated on a send
    as well, so a second call finds nothing and changes nothing.
    """
    if old_id == new_id:
        return False
    moved = await _move_chat_row(session, old_id, new_id)
    moved = await _move_members(session, old_id, new_id) or moved
    for table in await _chat_tables(session):
        moved = await _move_rows(session, table, old_id, new_id) or moved
    await session.flush()
    return moved


async def _chat_tables(session: AsyncSession) -> list[Table]:
    """The tables keyed by a chat id that exist in this database (Member merges itself)."""
    existing = set(
        await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
    )
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if "chat_id" in table.c and table.name in existing and table.name != Member.__tablename__
    ]


async def _move_rows(session: AsyncSession, table: Table, old_id: int, new_id: int) -> bool:
    """UPDATE chat_id; where chat_id is part of the key, a row the new chat has already wins."""
    if "chat_id" in table.primary_key.columns:
        twin = table.alias("twin")
        same_key = [
            twin.c[column.name] == column
            for column in table.primary_key.columns
            if column.name != "chat_id"
        ]
        clash = exists().where(twin.c.chat_id == new_id, *same_key)
        await session.exec(  # type: ignore[call-overload]
            delete(table).where(table.c.chat_id == old_id, clash)
        )
    result = await session.exec(  # type: ignore[call-overload]
        update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
    )
    return bool(result.rowcount)


async def _move_chat_row(session: AsyncSession, old_id: int, new_id: int) -> bool:
    old = await session.get(Chat, old_id)
    if old is None:
        return False
    new = await session.get(Chat, new_id)
    if new is None:
        new = Chat(id=new_id, title=old.title, created_at=old.created_at)
    # Settings made in the new chat already (rare) win over the old ones.
    new.type = "supergroup"
    new.title = new.title or old.title
    new.allowed = old.allowed if new.allowed is None else new.allowed
    new.daily_quota = old.daily_quota if new.daily_quota is None else new.daily_quota
    new.language = old.language if new.language is None else new.language
    await session.delete(old)
    await session.flush()  # the old primary key goes before the new row comes
    session.add(new)
    return True


async def _move_members(session: AsyncSession, old_id: int, new_id: int) -> bool:
    olds: Sequence[Member] = (
        await session.exec(select(Member).where(col(Member.chat_id) == old_id))
    ).all()
    for old in olds:
        new = await session.get(Member, (new_id, old.user_id))
        if new is None:
            new = Member(chat_id=new_id, user_id=old.user_id)
        new.banned = new.banned or old.banned
        new.daily_quota = old.daily_quota if new.daily_quota is None else new.daily_quota
        await session.delete(old)
        await session.flush()
        session.add(new)
    return bool(olds)

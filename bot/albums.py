"""Collecting the parts of a Telegram album (one update per picture, no "done" signal)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.pictures import Picture

_log = logging.getLogger(__name__)
_RECENT = 500


@dataclass
class Album:
    chat_id: int
    chat_is_group: bool
    user_id: int | None
    language: str
    first_message_id: int
    pictures: list[Picture] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    command: tuple[str, str] | None = None  # from whichever part carried the caption
    requested_by: str | None = None  # the sender's name in a group, for the caption


OnAlbum = Callable[[Album], Awaitable[None]]


class AlbumCollector:
    """Waits `wait` seconds after an album's last part, then hands the whole album on."""

    def __init__(self, wait: float) -> None:
        self._wait = wait
        self._open: dict[tuple[int, str], tuple[Album, asyncio.TimerHandle, OnAlbum]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Finished albums by (chat, message id), so "/blend" replying to one part finds all.
        self._recent: OrderedDict[tuple[int, int], Album] = OrderedDict()

    def add(self, group_id: str, album_part: Album, on_album: OnAlbum) -> None:
        """Add one part; `on_album` runs with the whole album once no part came for a while."""
        key = (album_part.chat_id, group_id)
        if key in self._open:
            album, timer, on_album = self._open[key]
            timer.cancel()
            album.pictures.extend(album_part.pictures)
            album.message_ids.extend(album_part.message_ids)
            album.command = album.command or album_part.command
        else:
            album = album_part
        handle = asyncio.get_running_loop().call_later(self._wait, self._close, key)
        self._open[key] = (album, handle, on_album)

    def recent(self, chat_id: int, message_id: int) -> Album | None:
        return self._recent.get((chat_id, message_id))

    def _close(self, key: tuple[int, str]) -> None:
        album, _, on_album = self._open.pop(key)
        for message_id in album.message_ids:
            self._recent[(album.chat_id, message_id)] = album
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        task = asyncio.create_task(on_album(album))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("album handling failed", exc_info=task.exception())

    async def aclose(self) -> None:
        for _, timer, _ in self._open.values():
            timer.cancel()
        self._open.clear()
        await asyncio.gather(*self._tasks, return_exceptions=True)

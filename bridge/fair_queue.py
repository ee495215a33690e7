"""The waiting queue: chats take turns, so one chat's backlog cannot starve another.

Start-time fair queueing with equal weights: every job gets a tag one past the later of its
chat's previous tag and the tag last served, and jobs are served by (tag, arrival). A chat that
queues forty jobs gets tags 1..40; a private chat arriving meanwhile gets the next free turn
instead of the 41st, and a chat that was idle gets no credit for having been idle.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from itertools import count


class FairQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int]] = []  # (tag, arrival, job id)
        self._last_tag: dict[int, int] = {}  # chat -> tag of its latest job still waiting
        self._chat_of: dict[int, int] = {}  # job id -> chat, for jobs waiting
        self._count: dict[int, int] = {}  # chat -> its jobs waiting
        self._served_tag = 0
        self._arrivals = count()

    def __len__(self) -> int:
        return len(self._heap)

    def __bool__(self) -> bool:
        return bool(self._heap)

    def append(self, chat_id: int, job_id: int) -> None:
        tag = max(self._served_tag, self._last_tag.get(chat_id, 0)) + 1
        self._last_tag[chat_id] = tag
        self._chat_of[job_id] = chat_id
        self._count[chat_id] = self._count.get(chat_id, 0) + 1
        heapq.heappush(self._heap, (tag, next(self._arrivals), job_id))

    def popleft(self) -> int:
        """The next job to serve; IndexError when empty."""
        tag, _, job_id = heapq.heappop(self._heap)
        return self._served(tag, job_id)

    def pop_first(self, accept: Callable[[int], bool]) -> int | None:
        """The next job, in serving order, that `accept` takes (e.g. one a given account may
        run); None if there is none."""
        if self._heap and accept(self._heap[0][2]):
            return self.popleft()
        for entry in sorted(self._heap):
            if accept(entry[2]):
                self._heap.remove(entry)
                heapq.heapify(self._heap)
                return self._served(entry[0], entry[2])
        return None

    def remove(self, job_id: int) -> bool:
        """Take a job out without serving it (it was cancelled); False if it was not waiting."""
        if job_id not in self._chat_of:
            return False
        self._heap = [entry for entry in self._heap if entry[2] != job_id]
        heapq.heapify(self._heap)
        chat_id = self._chat_of.pop(job_id)
        self._count[chat_id] -= 1
        if not self._count[chat_id]:
            del self._count[chat_id]
            del self._last_tag[chat_id]
        return True

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._chat_of

    def _served(self, tag: int, job_id: int) -> int:
        self._served_tag = max(self._served_tag, tag)
        chat_id = self._chat_of.pop(job_id)
        self._count[chat_id] -= 1
        if not self._count[chat_id]:
            # Nothing of this chat waits any more: its next job starts from the served tag.
            del self._count[chat_id]
            del self._last_tag[chat_id]
        return job_id

    def __iter__(self) -> Iterator[int]:
        """The jobs in the order they will be served, if nobody else arrives."""
        return (job_id for _, _, job_id in sorted(self._heap))

    def index(self, job_id: int) -> int:
        """0-based place in serving order; ValueError if not waiting."""
        for place, waiting in enumerate(self):
            if waiting == job_id:
                return place
        raise ValueError(job_id)

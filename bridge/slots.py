"""Slots and the waiting line: which job each free slot of an account takes next.

A slot is one account's place for one job at Midjourney. Jobs adopted after a restart go
first (they are at Midjourney already, paused or not); then waiting jobs in the fair queue's
order, each on any healthy account unless it is pinned to one (a button of a message that
account posted, or pictures uploaded to its channel). Pure bookkeeping: the dispatcher runs
the jobs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bridge.accounts import Account
from bridge.fair_queue import FairQueue


@dataclass(eq=False)
class Slot:
    """The slot a job task holds: given back once (and taken again if the job turns out to be
    still at Midjourney), each give-back handing the account's next job its place."""

    account: Account
    on_free: Callable[[Account], None]
    held: bool = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.account.running -= 1
            self.on_free(self.account)

    def take_again(self) -> None:
        if not self.held:
            self.held = True
            self.account.running += 1


@dataclass(frozen=True, slots=True)
class Turn:
    """A job given a slot: `adopted` jobs are followed up, the others sent."""

    job_id: int
    adopted: bool


class Line:
    """The jobs waiting for a slot: queued here (fair across chats) or adopted, by account."""

    def __init__(self, accounts: Iterable[str]) -> None:
        self._waiting = FairQueue()
        self._pinned: dict[int, str] = {}  # waiting job -> the account it must run on
        # In flight before a restart, by account: wait for them, don't send them again.
        self._adopted: dict[str, deque[int]] = {name: deque() for name in accounts}

    def queue(self, chat_id: int, job_id: int, account: str | None = None) -> int:
        """Add a waiting job; return its 1-based place in serving order."""
        if account is not None:
            self._pinned[job_id] = account
        self._waiting.append(chat_id, job_id)
        return self._waiting.index(job_id) + 1

    def adopt(self, account: str, job_ids: Iterable[int]) -> None:
        self._adopted[account].extend(job_ids)

    def place(self, job_id: int) -> int:
        """1-based place of a waiting job; 0 once it has a slot (or is not here)."""
        return self._waiting.index(job_id) + 1 if job_id in self._waiting else 0

    def remove(self, job_id: int) -> bool:
        """Drop a waiting job (cancelled); False if it was not waiting."""
        if not self._waiting.remove(job_id):
            return False
        self._pinned.pop(job_id, None)
        return True

    @property
    def queued(self) -> int:
        """Jobs queued here (adopted ones are at Midjourney already)."""
        return len(self._waiting)

    def __len__(self) -> int:
        return len(self._waiting) + sum(len(jobs) for jobs in self._adopted.values())

    def __iter__(self) -> Iterator[int]:
        """The queued jobs in serving order."""
        return iter(self._waiting)

    def held_by(self, account: str, *, everything: bool) -> tuple[int, ...]:
        """What waits for `account` to be healthy again: what only it may run, or every
        queued job when no account is left."""
        return tuple(j for j in self._waiting if everything or self._pinned.get(j) == account)

    def next_for(self, account: Account) -> Turn | None:
        """The job a free slot of `account` takes now (removed from the line), or None."""
        adopted = self._adopted[account.name]
        if adopted:
            return Turn(adopted.popleft(), adopted=True)
        if not account.healthy:
            return None

        def runnable(job_id: int) -> bool:
            return self._pinned.get(job_id, account.name) == account.name

        job_id = self._waiting.pop_first(runnable)
        if job_id is None:
            return None
        self._pinned.pop(job_id, None)
        return Turn(job_id, adopted=False)

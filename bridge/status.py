"""A snapshot of the dispatcher for operators' commands (/stats, /resume): plain values, so
that the bot reads the bridge's state without reaching into its internals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountStatus:
    name: str
    running: int
    concurrency: int
    paused: str | None  # why Midjourney wants a person to look at it; None: healthy


@dataclass(frozen=True, slots=True)
class Status:
    in_flight: int  # jobs holding a slot
    waiting: int  # jobs queued here, adopted ones included
    accounts: tuple[AccountStatus, ...]

    @property
    def any_paused(self) -> bool:
        return any(account.paused is not None for account in self.accounts)

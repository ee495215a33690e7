"""The pool of Midjourney accounts and their health: which may take work, which need a person.

An account is paused when Midjourney wants its owner to act (a captcha, an expired plan...):
it takes no new job until an operator's /resume, while the others go on. The pause is kept in
the database (`paused_key`) so that a restart does not forget it; that write is the
dispatcher's. Everything here is plain state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from bridge.accounts import Account
from bridge.status import AccountStatus


def paused_key(account: Account) -> str:
    """The state row that remembers an account's pause across restarts."""
    return f"paused:{account.name}"


class AccountPool:
    def __init__(self, accounts: Sequence[Account]) -> None:
        if not accounts:
            raise ValueError("at least one account is needed")
        self.by_name = {account.name: account for account in accounts}

    def __iter__(self) -> Iterator[Account]:
        return iter(self.by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def get(self, name: str | None) -> Account | None:
        return self.by_name.get(name or "")

    @property
    def first(self) -> Account:
        """Rows from before the pool name no account: they ran on the first one."""
        return next(iter(self.by_name.values()))

    @property
    def paused(self) -> str | None:
        """Why nothing can be sent, when every account needs attention; else None."""
        reasons = [account.paused for account in self]
        if any(reason is None for reason in reasons):
            return None
        return "; ".join(str(reason) for reason in reasons)

    @property
    def free(self) -> int:
        """Free slots over the healthy accounts."""
        return sum(account.free for account in self)

    def pick(self) -> Account:
        """Where new work goes now: the healthy account with the most free slots."""
        healthy = [account for account in self if account.healthy]
        return max(healthy or self.by_name.values(), key=lambda account: account.free)

    def pause(self, name: str, reason: str) -> Account | None:
        """Mark an account paused; None if it was already (its first reason stands)."""
        account = self.by_name[name]
        if account.paused is not None:
            return None
        account.paused = reason
        return account

    def resume(self) -> list[Account]:
        """Every paused account is healthy again; returns those that were paused."""
        paused = [account for account in self if account.paused is not None]
        for account in paused:
            account.paused = None
        return paused

    def status(self) -> tuple[AccountStatus, ...]:
        return tuple(
            AccountStatus(account.name, account.running, account.concurrency, account.paused)
            for account in self
        )

    def names(self) -> Iterable[str]:
        return self.by_name.keys()

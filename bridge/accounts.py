"""The Midjourney accounts the dispatcher drives: one, or a pool (DISCORD_ACCOUNTS)."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.backend import Backend
from bridge.prompts import with_defaults


@dataclass(eq=False)
class Account:
    name: str
    backend: Backend
    concurrency: int
    # "fast", "relax" or "turbo": added to prompts that set no speed; None leaves the account's.
    mode: str | None = None
    # Where its jobs post; a message from another channel is never guessed onto its jobs.
    channel_id: str | None = None
    paused: str | None = None  # why Midjourney wants a person to look at it, while it does
    running: int = 0

    @property
    def healthy(self) -> bool:
        return self.paused is None

    @property
    def free(self) -> int:
        return self.concurrency - self.running if self.healthy else 0

    def with_mode(self, prompt: str) -> str:
        """The prompt with the account's speed unless it sets one (--fast, --relax, --turbo)."""
        return prompt if self.mode is None else with_defaults(prompt, {self.mode: ""})

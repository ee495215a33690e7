"""Where a job's pictures go before it is queued: one account's channel, chosen by the
dispatcher. The job then runs on that account, the only one that can see them."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.backend import Backend, Upload


@dataclass(frozen=True, slots=True)
class Stage:
    account: str  # the account's name in the pool: the job must run there
    _backend: Backend

    async def upload(self, data: bytes, filename: str) -> Upload:
        """For a slash command's attachment option (describe, blend)."""
        return await self._backend.upload(data, filename)

    async def publish(self, data: bytes, filename: str) -> str:
        """A URL, for an image prompt at the start of /imagine."""
        return await self._backend.publish(data, filename)

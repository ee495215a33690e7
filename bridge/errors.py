"""Bridge errors.

BridgeError
├── DiscordHTTPError (status, code): Discord refused a REST call
│   ├── DiscordRateLimited (retry_after): still 429 after our retries
│   └── DiscordUnavailable: still 5xx (or no answer: status 0) after our retries
│       └── DiscordMaybeSent: a POST Discord may have acted on before it failed; an
│           interaction's job keeps waiting for Midjourney's messages
├── QueueFull (limit): the waiting queue is at MJ_QUEUE_LIMIT
├── Paused (reason): the Midjourney account needs attention; nothing is accepted
└── NotRunning: the dispatcher was used before start() or after aclose()
"""

from __future__ import annotations


class BridgeError(Exception):
    pass


class DiscordHTTPError(BridgeError):
    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"Discord answered {status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.message = message


class DiscordRateLimited(DiscordHTTPError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(429, None, f"rate limited, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class DiscordUnavailable(DiscordHTTPError):
    def __init__(self, status: int | None) -> None:
        super().__init__(status or 0, None, "Discord is unavailable")


class DiscordMaybeSent(DiscordUnavailable):
    pass


class QueueFull(BridgeError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the queue holds {limit} jobs already")
        self.limit = limit


class Paused(BridgeError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"paused: {reason}")
        self.reason = reason


class NotRunning(BridgeError):
    pass

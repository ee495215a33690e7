"""Errors the storage layer raises; `bot` maps each to a sentence for the user."""

from __future__ import annotations


class StorageError(Exception):
    pass


class QuotaExceeded(StorageError):
    def __init__(self, scope: str, limit: int) -> None:
        super().__init__(f"{scope} quota of {limit} reached")
        self.scope = scope  # "chat" or "user"
        self.limit = limit


class UnknownToken(StorageError):
    """A callback token that does not exist, or belongs to another chat."""

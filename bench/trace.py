"""Where a job's time goes inside the bot: timestamps at the seams of the result path.

Enabled in the bot process by `bench.botproc` when its config has "trace_path"; it wraps (at run
time, in that process only) the functions a finished job passes through and writes
`[[stage, key, monotonic time], ...]` as JSON at exit. Keys: the job id, the CDN URL or the
photo caption (= prompt); on the way in from the gateway, "final" for a message with an
attachment (a result) and "other" for the rest. Nothing is wrapped unless tracing is asked
for, and a function that has moved away in the product is skipped rather than failing the run.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import re
import sys
import time
from collections.abc import Callable
from typing import Any

Stamp = tuple[str, str, float]
_ATTACHED = re.compile(r'"attachments":\s*\[\{')
_STAMPS: list[Stamp] = []


def _key_of(args: tuple[Any, ...], kwargs: dict[str, Any], pick: str) -> str:
    if pick == "job_id":
        value = kwargs.get("job_id", args[1] if len(args) > 1 else None)
    elif pick == "url":
        value = args[1] if len(args) > 1 else kwargs.get("url")
    elif pick == "prompt":
        value = getattr(args[1], "prompt", None) if len(args) > 1 else None
    elif pick == "caption":
        value = kwargs.get("caption")
    elif pick == "event":
        event = args[1] if len(args) > 1 else None
        ref = getattr(event, "ref", None)
        value = f"{type(event).__name__}:{getattr(ref, 'message_id', '')}"
        # Final messages carry the prompt: that is the key the bench process knows them by.
        if type(event).__name__ == "Completed":
            value = f"Completed:{getattr(event, 'prompt', '')}"
    elif pick == "raw":
        raw = args[1] if len(args) > 1 else ""
        final = isinstance(raw, str) and '"MESSAGE_CREATE"' in raw and _ATTACHED.search(raw)
        value = "final" if final else "other"
    elif pick == "raw_event":
        data = args[2] if len(args) > 2 else {}
        value = "final" if args[1] == "MESSAGE_CREATE" and data.get("attachments") else "other"
    else:
        value = None
    return str(value)


def _wrap_async(owner: Any, name: str, stage: str, pick: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        return

    @functools.wraps(original)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        key = _key_of(args, kwargs, pick)
        _STAMPS.append((f"{stage}>", key, time.monotonic()))
        try:
            return await original(*args, **kwargs)
        finally:
            _STAMPS.append((f"{stage}<", key, time.monotonic()))

    setattr(owner, name, traced)


def _name_jobs() -> None:
    """Stamp ("job", "<job id> <prompt>") when the dispatcher starts tracking a job, so that
    stamps keyed by job id and those keyed by prompt can be paired."""
    found = _target("bridge.runs", "Runs.track")
    if found is None:
        return
    owner, name = found
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def traced(self: Any, job_id: int, order: Any, *args: Any, **kwargs: Any) -> Any:
        _STAMPS.append(("job", f"{job_id} {getattr(order, 'prompt', '')}", time.monotonic()))
        return original(self, job_id, order, *args, **kwargs)

    setattr(owner, name, traced)


def _target(module: str, qualname: str) -> tuple[Any, str] | None:
    try:
        owner: Any = importlib.import_module(module)
    except ImportError:
        return None
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    return owner, name


# (module, attribute, stage name, what identifies the job in its arguments)
_POINTS: list[tuple[str, str, str, str]] = [
    ("discord.gateway", "DiscordWebSocket.received_message", "ws_received", "raw"),
    ("bridge.listener", "ChannelListener.on_socket_raw_receive", "raw_receive", "raw"),
    ("bridge.discord_backend", "DiscordBackend._on_raw", "on_raw", "raw_event"),
    ("bridge.discord_backend", "DiscordBackend._on_user_event", "user_event", "raw_event"),
    ("bridge.dispatcher", "Dispatcher.on_mj_event", "on_mj_event", "event"),
    # aiohttp writes a request's body in a task of its own (Python 3.11): when it really goes.
    ("aiohttp.client_reqrep", "ClientRequest.write_bytes", "write_bytes", "none"),
    ("bridge.journal", "Journal.succeed", "succeed", "job_id"),
    ("bridge.launch", "Launcher.launch", "launch", "job_id"),
    ("bridge.discord_backend", "DiscordBackend.submit", "submit", "prompt"),
    ("bot.delivery", "Delivery._deliver", "deliver", "job_id"),
    ("bridge.discord_backend", "DiscordBackend.fetch", "fetch", "url"),
    ("telegram.ext", "ExtBot.send_photo", "send_photo", "caption"),
]


def install(path: str) -> None:
    for module, qualname, stage, pick in _POINTS:
        found = _target(module, qualname)
        if found is not None:
            _wrap_async(*found, stage, pick)
    _trace_rate_limiter()
    _count_transactions()
    _time_collections()
    _name_jobs()
    atexit.register(_dump, path)


def _count_transactions() -> None:
    """Stamp every database transaction with the function that opened it."""
    found = _target("storage.db", "Database.transaction")
    if found is None:
        return
    owner, name = found
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code
        where = f"{caller.co_filename.rsplit('/', 2)[-2:][0]}/{caller.co_qualname}"
        _STAMPS.append(("transaction", where, time.monotonic()))
        return original(self, *args, **kwargs)

    setattr(owner, name, traced)


def _time_collections() -> None:
    """Stamp each garbage collection: a pass over a full heap stops the bot's event loop."""
    import gc

    def stamp(phase: str, info: dict[str, int]) -> None:
        edge = ">" if phase == "start" else "<"
        _STAMPS.append((f"gc{info['generation']}{edge}", "", time.monotonic()))

    gc.callbacks.append(stamp)


def _trace_rate_limiter() -> None:
    """A photo entering PTB's rate limiter (ExtBot._do_post) and let through it (Bot._do_post,
    which the limiter calls), whatever limiter class the bot uses."""
    for module, qualname, stage in (
        ("telegram.ext", "ExtBot._do_post", "limiter_entered"),
        ("telegram", "Bot._do_post", "limiter_passed"),
    ):
        found = _target(module, qualname)
        if found is not None:
            _stamp_photo_posts(*found, stage)


def _stamp_photo_posts(owner: Any, name: str, stage: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    async def traced(self: Any, endpoint: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        if endpoint in ("sendPhoto", "editMessageMedia"):
            media = data.get("media")
            caption = data.get("caption") or getattr(media, "caption", None)
            if caption is None and isinstance(media, dict):
                caption = media.get("caption")
            _STAMPS.append((stage, str(caption), time.monotonic()))
        return await original(self, endpoint, data, *args, **kwargs)

    setattr(owner, name, traced)


def _dump(path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(_STAMPS, out)

"""Shared by the Mini App tests: the bot with its page served, signed init data, the API."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.miniapp.initdata import sign
from tests.conftest import TELEGRAM_TOKEN
from tests.fakes.telegram import Call
from tests.test_imagine_e2e import keyboard

REGION_LABEL = "🖌 Vary region"
PUBLIC_URL = "https://paint.example.test/mj"  # what Telegram would open; tests go to 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def region_key(photo: Call) -> dict[str, Any]:
    for row in keyboard(photo):
        for key in row:
            if key["text"] == REGION_LABEL:
                return key
    raise AssertionError(f"no {REGION_LABEL!r} under the photo")


def token_of(key: dict[str, Any]) -> str:
    url = key["web_app"]["url"] if "web_app" in key else key["url"]
    query = parse_qs(urlsplit(url).query)
    return (query.get("t") or query["startapp"])[0]


def init_data(
    user: dict[str, Any],
    *,
    age: float = 5,
    token: str = TELEGRAM_TOKEN,
    start_param: str | None = None,
) -> str:
    """Init data as Telegram signs it for this user."""
    fields = {
        "auth_date": str(int(time.time() - age)),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {k: user[k] for k in ("id", "first_name", "language_code") if k in user},
            separators=(",", ":"),
        ),
    }
    if start_param:
        fields["start_param"] = start_param
    return sign(fields, token)


@dataclass
class Page:
    """The Mini App's API as the page calls it."""

    base: str

    async def call(
        self, method: str, path: str, init: str, *, body: dict[str, Any] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"X-Telegram-Init-Data": init}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.base + path, json=body, headers=headers) as response,
        ):
            data = await response.read()
            kind = response.headers.get("Content-Type", "")
            value: Any = json.loads(data) if kind.startswith("application/json") else data
            return response.status, value, dict(response.headers)

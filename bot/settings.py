"""The one settings object, read once at start from the environment and `.env`.

Variable names and defaults are a contract: README.md#configuration lists them, and
tests/test_settings.py checks the README against this module.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tomllib
from datetime import tzinfo
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.chats import zone
from storage.db import postgres_url
from storage.models import JobKind

# Quota units of a job kind that JOB_COSTS does not list (others cost 1): Midjourney bills a
# video at about 8 images (docs/midjourney-on-the-wire.md#costs).
DEFAULT_JOB_COSTS: dict[JobKind, int] = {JobKind.VIDEO: 8}

# What Telegram accepts as a webhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Backend(StrEnum):
    DISCORD = "discord"
    SIMULATOR = "simulator"


def _id_set(value: object) -> frozenset[int]:
    """Parse "1, 2,3" (or an int, or a list) into a set of ids."""
    if value is None or value == "":
        return frozenset()
    if isinstance(value, int):
        return frozenset({value})
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        return frozenset(int(p) for p in parts)
    return frozenset(int(v) for v in value)  # type: ignore[attr-defined]


IdSet = Annotated[frozenset[int], NoDecode]


class Mode(StrEnum):
    FAST = "fast"
    RELAX = "relax"
    TURBO = "turbo"


class Account(BaseModel):
    """One Midjourney-subscribed Discord account of the pool (DISCORD_ACCOUNTS)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[\w.-]{1,32}$")
    user_token: SecretStr
    channel_id: int
    guild_id: int | None = None  # DISCORD_GUILD_ID when not given
    concurrency: int = Field(3, ge=1, le=50)
    # Added to prompts that set no speed of their own; None leaves the account's own mode.
    mode: Mode | None = None


def _read_accounts(path: Path) -> list[Account]:
    """A TOML file of [[account]] tables, or JSON: a list, or {"account": [...]}."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    data: Any = tomllib.loads(raw) if path.suffix.lower() == ".toml" else json.loads(raw)
    entries = data.get("account", data.get("accounts")) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError("lists no accounts ([[account]] tables, or a JSON list)")
    accounts = [Account.model_validate(entry) for entry in entries]
    names = [account.name for account in accounts]
    if len(set(names)) != len(names):
        raise ValueError("names an account twice")
    return accounts


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    # Webhook mode (instead of long polling) when a URL is set; Telegram sends the secret back
    # with every update, so nobody else can post updates to the bot.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)

    midjourney_backend: Backend = Backend.DISCORD
    discord_user_token: SecretStr | None = None
    # A TOML or JSON file of several accounts (a pool); the single-account variables still work.
    discord_accounts: Path | None = None
    discord_bot_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_channel_id: int | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg"
    # How long the listener bot waits after READY for its guilds before it counts as ready.
    discord_guild_ready_s: float = Field(0.5, ge=0)

    database_url: str = "sqlite+aiosqlite:///./data/bot.db"

    mj_concurrency: int = Field(3, ge=1, le=50)
    mj_queue_limit: int = Field(30, ge=0, le=10_000)
    mj_job_timeout_s: float = Field(600, gt=0)

    chat_daily_quota: int = Field(50, ge=0)
    user_daily_quota: int = Field(20, ge=0)
    admin_user_ids: IdSet = frozenset()
    allowed_chat_ids: IdSet = frozenset()

    log_level: str = "INFO"

    # Beyond the contract: tuning knobs with safe defaults (documented in the README).
    progress_edit_interval_s: float = Field(3.0, ge=0)
    simulator_step_s: float = Field(1.5, ge=0)
    album_wait_s: float = Field(1.5, ge=0)
    # More banned terms (one a line, `#` comments) on top of the list shipped in the package.
    banned_words_file: Path | None = None
    # Telegram's flood limits scaled by this factor (1 = Telegram's published numbers).
    telegram_chat_rate: float = Field(1.0, gt=0)
    # Several processes on one database: each needs its own name (default: the host name);
    # a job whose process stopped renewing its lease for this long is taken over by another.
    instance_name: str = Field(default_factory=socket.gethostname, pattern=r"^[\w.-]{1,64}$")
    job_lease_s: float = Field(60.0, gt=0)
    # false: a worker process that runs and delivers jobs but leaves Telegram's updates to
    # another process (only one may long-poll a bot token).
    telegram_receive_updates: bool = True
    # The quota day ends at midnight in this zone ("UTC", "Asia/Shanghai"...).
    quota_timezone: str = "UTC"
    # Quota units per job kind, as JSON: {"action": 1, "describe": 0}; unlisted kinds cost 1,
    # a video 8 (DEFAULT_JOB_COSTS).
    job_costs: dict[JobKind, Annotated[int, Field(ge=0)]] = {}
    # The database in parts (compose.yaml gives these), used when DATABASE_URL is not set: the
    # URL is built here, so a password with @ : / or % works as it is.
    postgres_host: str | None = None
    postgres_port: int = Field(5432, ge=1, le=65535)
    postgres_user: str = "mj"
    postgres_password: SecretStr | None = None
    postgres_db: str = "mj"
    # Start-up waits this long for the database and Telegram before giving up (0: no wait).
    startup_wait_s: float = Field(300.0, ge=0)
    # /healthz and /metrics (bot/health.py): off unless a port is set (the image sets 9090).
    health_listen: str = "127.0.0.1"
    health_port: int | None = Field(None, ge=1, le=65535)
    # A Discord gateway session may be reconnecting this long before /healthz says unhealthy.
    health_grace_s: float = Field(60.0, gt=0)

    # Vary (Region) in a Telegram Mini App (bot/miniapp/): the page's public HTTPS base behind
    # the reverse proxy; empty turns the feature off. The bot serves it on LISTEN:PORT.
    miniapp_public_url: str = ""
    miniapp_listen: str = "127.0.0.1"
    miniapp_port: int = Field(8090, ge=1, le=65535)
    # The Mini App's short name from BotFather's /newapp: groups get a t.me/<bot>/<name> link.
    miniapp_name: str = Field("", pattern=r"^(?:[A-Za-z0-9_]{3,30})?$")
    # Midjourney's inpaint editor (a Discord Activity) that takes the mask.
    discord_activity_url: str = "https://936929561302675456.discordsays.com"

    @model_validator(mode="before")
    @classmethod
    def _database_from_parts(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("database_url") or not data.get("postgres_host"):
            return data
        password = data.get("postgres_password")
        if isinstance(password, SecretStr):
            password = password.get_secret_value()
        return {
            **data,
            "database_url": postgres_url(
                host=str(data["postgres_host"]),
                port=int(data.get("postgres_port") or 5432),
                user=str(data.get("postgres_user") or "mj"),
                password=password,
                database=str(data.get("postgres_db") or "mj"),
            ),
        }

    @field_validator("admin_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> frozenset[int]:
        return _id_set(value)

    @field_validator(
        "telegram_api_url",
        "discord_api_url",
        "discord_gateway_url",
        "discord_activity_url",
        "miniapp_public_url",
    )
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite://… or postgresql+asyncpg://…")
        return value

    @field_validator("banned_words_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        # Checked at start: a typo here would otherwise let every term in the file through.
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("miniapp_public_url")
    @classmethod
    def _page_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an https:// URL (http:// only to try it in a browser)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("quota_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @property
    def quota_tz(self) -> tzinfo:
        return zone(self.quota_timezone)

    def cost_of(self, kind: JobKind) -> int:
        return self.job_costs.get(kind, DEFAULT_JOB_COSTS.get(kind, 1))

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set"
            )
        return self

    @field_validator("discord_accounts")
    @classmethod
    def _accounts_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            _read_accounts(value)  # a bad file stops the start, naming the variable
        return value

    @model_validator(mode="after")
    def _discord_needs_credentials(self) -> Settings:
        if self.midjourney_backend is not Backend.DISCORD:
            return self
        if self.discord_accounts is None:
            required = ["discord_user_token", "discord_bot_token", "discord_guild_id"]
            required.append("discord_channel_id")
        else:
            required = ["discord_bot_token", "discord_guild_id"]
        missing = [name.upper() for name in required if getattr(self, name) is None]
        if missing:
            # Every missing name at once, and the way to try the bot without Discord.
            verb = "is" if len(missing) == 1 else "are"
            raise ValueError(
                f"{', '.join(missing)} {verb} required when MIDJOURNEY_BACKEND=discord "
                "(MIDJOURNEY_BACKEND=simulator needs none of them)"
            )
        return self

    @cached_property
    def accounts(self) -> list[Account]:
        """The pool: DISCORD_ACCOUNTS, or the one account of the single-account variables."""
        if self.discord_accounts is not None:
            return _read_accounts(self.discord_accounts)
        assert self.discord_user_token is not None
        assert self.discord_channel_id is not None
        return [
            Account(
                name="main",
                user_token=self.discord_user_token,
                channel_id=self.discord_channel_id,
                concurrency=self.mj_concurrency,
            )
        ]


class SettingsError(Exception):
    """A missing or malformed variable, phrased for one line on stderr."""


# Docker secrets: a file per variable, named after it (telegram_bot_token, postgres_password,
# ...), read when the environment does not set that variable.
SECRETS_DIR = Path("/run/secrets")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise SettingsError naming the first offending variable."""
    secrets_dir = Path(os.environ.get("SECRETS_DIR") or SECRETS_DIR)
    if "_secrets_dir" not in overrides and secrets_dir.is_dir():
        overrides["_secrets_dir"] = secrets_dir
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error["loc"]
        if loc:
            name = str(loc[0]).upper()
            if error["type"] == "missing":
                raise SettingsError(f"{name} is required but not set") from None
            raise SettingsError(f"{name} is invalid: {error['msg']}") from None
        # model-level validators carry the variable name in their message.
        raise SettingsError(str(error["msg"]).removeprefix("Value error, ")) from None

"""Settings: the contract's names and defaults, and one clear line for a bad start."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.settings import Backend, Settings, SettingsError, load_settings
from storage.models import JobKind
from tests.forkserver import fork_bot


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DISCORD_", "MJ_", "MIDJOURNEY_", "DATABASE_")):
            monkeypatch.delenv(name)


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.midjourney_backend is Backend.SIMULATOR
    assert settings.discord_api_url == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg"
    assert settings.database_url == "sqlite+aiosqlite:///./data/bot.db"
    assert (settings.mj_concurrency, settings.mj_queue_limit) == (3, 30)
    assert settings.mj_job_timeout_s == 600
    assert (settings.chat_daily_quota, settings.user_daily_quota) == (50, 20)
    assert settings.admin_user_ids == frozenset()
    assert settings.log_level == "INFO"


def test_id_lists_parse_from_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    monkeypatch.setenv("ADMIN_USER_IDS", "1, 22,333")
    monkeypatch.setenv("ALLOWED_CHAT_IDS", "-1001234")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.admin_user_ids == {1, 22, 333}
    assert settings.allowed_chat_ids == {-1001234}


def test_discord_backend_requires_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    names = "DISCORD_USER_TOKEN, DISCORD_BOT_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_ID"
    with pytest.raises(SettingsError, match=f"^{names} are required when MIDJOURNEY_BACKEND"):
        load_settings(_env_file=None)


def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    monkeypatch.setenv("MJ_CONCURRENCY", "lots")
    with pytest.raises(SettingsError, match=r"^MJ_CONCURRENCY is invalid"):
        load_settings(_env_file=None)


@pytest.mark.slow  # a process of its own
async def test_start_without_a_token_exits_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "MJ_", "MIDJOURNEY_"))
    }
    # The working directory has no .env, as on a fresh checkout.
    process = await fork_bot(env, tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]


def test_quota_zone_and_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:T")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    monkeypatch.setenv("QUOTA_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("JOB_COSTS", '{"action": 2, "describe": 0}')
    settings = load_settings(_env_file=None)
    assert str(settings.quota_tz) == "Asia/Shanghai"
    assert settings.cost_of(JobKind.ACTION) == 2
    assert settings.cost_of(JobKind.DESCRIBE) == 0
    assert settings.cost_of(JobKind.IMAGINE) == 1

    monkeypatch.setenv("QUOTA_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="QUOTA_TIMEZONE is invalid"):
        load_settings(_env_file=None)
    monkeypatch.setenv("QUOTA_TIMEZONE", "UTC")
    monkeypatch.setenv("JOB_COSTS", '{"imagine": -1}')
    with pytest.raises(SettingsError, match="JOB_COSTS is invalid"):
        load_settings(_env_file=None)


def test_every_variable_is_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    for name in Settings.model_fields:
        variable = name.upper()
        assert variable in example, f"{variable} is missing from .env.example"
        assert f"`{variable}" in readme, f"{variable} is missing from the README"


def test_an_accounts_file_replaces_the_single_account_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "bot")
    monkeypatch.setenv("DISCORD_GUILD_ID", "5")
    pool = tmp_path / "accounts.json"
    pool.write_text(
        '[{"name": "a", "user_token": "ua", "channel_id": 1},'
        ' {"name": "b", "user_token": "ub", "channel_id": 2, "concurrency": 1, "mode": "relax"}]'
    )
    monkeypatch.setenv("DISCORD_ACCOUNTS", str(pool))
    accounts = load_settings(_env_file=None).accounts
    assert [(a.name, a.channel_id, a.concurrency) for a in accounts] == [("a", 1, 3), ("b", 2, 1)]
    assert accounts[1].mode is not None
    assert accounts[1].mode.value == "relax"

    pool.write_text('[{"name": "a", "user_token": "ua", "channel_id": 1, "colour": "red"}]')
    with pytest.raises(SettingsError, match="DISCORD_ACCOUNTS is invalid"):
        load_settings(_env_file=None)
    pool.write_text(
        '[{"name": "a", "user_token": "u", "channel_id": 1},'
        ' {"name": "a", "user_token": "v", "channel_id": 2}]'
    )
    with pytest.raises(SettingsError, match="names an account twice"):
        load_settings(_env_file=None)
    monkeypatch.setenv("DISCORD_ACCOUNTS", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings(_env_file=None)


def test_the_database_in_parts_takes_any_password(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    monkeypatch.setenv("POSTGRES_HOST", "db")
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss:w/rd%?#")
    settings = load_settings(_env_file=None)
    url = make_url(settings.database_url)
    assert (url.drivername, url.host, url.port) == ("postgresql+asyncpg", "db", 5432)
    assert url.database == "mj"
    assert (url.username, url.password) == ("mj", "p@ss:w/rd%?#")
    # Given whole, DATABASE_URL wins over the parts.
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./other.db")
    assert load_settings(_env_file=None).database_url == "sqlite+aiosqlite:///./other.db"


def test_docker_secrets_fill_what_the_environment_leaves_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    monkeypatch.setenv("POSTGRES_HOST", "db")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    (tmp_path / "telegram_bot_token").write_text("42:from-a-secret\n")
    (tmp_path / "postgres_password").write_text("s3cr@t\n")
    settings = load_settings(_env_file=None)
    assert settings.telegram_bot_token.get_secret_value() == "42:from-a-secret"
    assert make_url(settings.database_url).password == "s3cr@t"

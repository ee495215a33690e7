"""The listener bot's start-up wait for its guild is a setting, short in tests."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import make_accounts
from bot.settings import Settings
from bridge.discord_backend import DiscordBackend


def test_the_guild_ready_wait_comes_from_the_settings(
    discord_settings: Callable[..., Settings],
) -> None:
    [account] = make_accounts(discord_settings(discord_guild_ready_s=0.02))
    assert isinstance(account.backend, DiscordBackend)
    listener = account.backend._listener
    # discord.py waits this long after READY for each guild before it calls on_ready.
    assert listener._connection.guild_ready_timeout == 0.02
    assert Settings.model_fields["discord_guild_ready_s"].default == 0.5

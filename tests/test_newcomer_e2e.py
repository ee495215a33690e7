"""A newcomer's first run: the README's two commands with .env.example as shipped plus a token.

The bot runs as its own process from a fresh directory holding only the .env made from
.env.example, as `make run` starts it, against the fake Telegram (the one difference: the Bot API
root, since tests never reach the internet). It must say where to go, answer /start, and draw
a grid from plain text in the simulator.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from bot import envcheck
from bot.settings import SettingsError, load_settings
from tests.fakes.telegram import FakeTelegram
from tests.helpers import ROOT, TELEGRAM_TOKEN, spawn_bot

DISCORD_VARIABLES = "DISCORD_USER_TOKEN, DISCORD_BOT_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_ID"


def quick_start() -> list[str]:
    """The commands of the README's Quick start, as written there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_quick_start_is_two_commands_and_make_run_checks_env_before_installing() -> None:
    assert quick_start() == ["cp .env.example .env", "make run"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    steps = [line.strip() for line in recipe.splitlines()[1:]]
    assert steps[0] == "@$(PYTHON) -m bot.envcheck", "the .env check must come before installs"
    assert steps[-1] == "$(PY) -m bot"


@pytest.mark.slow  # a process of its own
async def test_the_shipped_example_plus_a_token_reaches_start_and_a_grid(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")  # cp .env.example .env
    env_file = tmp_path / ".env"
    body = env_file.read_text(encoding="utf-8")
    assert "\nTELEGRAM_BOT_TOKEN=\n" in body
    env_file.write_text(
        body.replace("\nTELEGRAM_BOT_TOKEN=\n", f"\nTELEGRAM_BOT_TOKEN={TELEGRAM_TOKEN}\n")
    )

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DISCORD_", "MIDJOURNEY_"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_API_URL": tg.root_url,  # instead of api.telegram.org
        "SIMULATOR_STEP_S": "0.02",  # a quick simulator; the shipped 1.5 s works the same
    }
    check = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.envcheck",
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, complaint = await check.communicate()
    assert (check.returncode, complaint) == (0, b"")

    process = await spawn_bot(env, tmp_path)
    try:
        assert process.stderr is not None
        ready = await asyncio.wait_for(_line_with(process.stderr, "bot running"), 20)
        assert "open https://t.me/mj_test_bot in Telegram and send /start" in ready

        ann = tg.user(31, "Ann")
        chat = tg.private_chat(ann)
        tg.send_text(chat, ann, "/start")
        await tg.wait_for(
            "sendMessage", lambda c: "Send me what you want to see" in c.params["text"]
        )
        request = tg.send_text(chat, ann, "a red fox in the snow --ar 3:2")
        [grid] = await tg.wait_for_results(timeout=20)
        assert grid.caption == "a red fox in the snow --ar 3:2"
        assert grid.result["reply_to_message"]["message_id"] == request["message_id"]
        rows = [
            [key["text"] for key in row] for row in grid.params["reply_markup"]["inline_keyboard"]
        ]
        assert rows == [["U1", "U2", "U3", "U4"], ["V1", "V2", "V3", "V4"], ["🔄"]]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)
    assert (tmp_path / "data" / "bot.db").exists()  # DATABASE_URL of the example, relative


async def _line_with(stream: asyncio.StreamReader, marker: str) -> str:
    while line := (await stream.readline()).decode():
        if marker in line:
            return line
    raise AssertionError(f"the bot ended without logging {marker!r}")


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"MIDJOURNEY_BACKEND": "simulator"}, "TELEGRAM_BOT_TOKEN"),
        (
            {},
            f"TELEGRAM_BOT_TOKEN, {DISCORD_VARIABLES}",
        ),
        ({"TELEGRAM_BOT_TOKEN": "1:x", "MIDJOURNEY_BACKEND": "simulator"}, None),
        (
            {"TELEGRAM_BOT_TOKEN": "1:x", "MIDJOURNEY_BACKEND": "discord"},
            DISCORD_VARIABLES,
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "1:x", "DISCORD_ACCOUNTS": "pool.toml"},
            "DISCORD_BOT_TOKEN, DISCORD_GUILD_ID",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:x",
                "DISCORD_BOT_TOKEN": "b",
                "DISCORD_GUILD_ID": "1",
                "DISCORD_USER_TOKEN": "u",
                "DISCORD_CHANNEL_ID": "2",
            },
            None,
        ),
    ],
)
def test_envcheck_names_what_a_start_needs_as_the_settings_do(
    env: dict[str, str], said: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lacking = envcheck.missing(env)
    assert (", ".join(lacking) or None) == said
    # The settings agree on whether these variables are enough (a pool file aside).
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DISCORD_", "MIDJOURNEY_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name != "DISCORD_ACCOUNTS":
            monkeypatch.setenv(name, value)
    if "DISCORD_ACCOUNTS" in env:
        return
    if said is None:
        load_settings(_env_file=None)
    else:
        with pytest.raises(SettingsError, match=re.escape(said.split(", ")[0])):
            load_settings(_env_file=None)


def test_envcheck_says_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DISCORD_", "MIDJOURNEY_")):
            monkeypatch.delenv(name)
    assert envcheck.main() == 1
    assert capsys.readouterr().err == (
        "No .env file: run `cp .env.example .env` and set TELEGRAM_BOT_TOKEN (from @BotFather) "
        "in it.\n"
    )
    (tmp_path / ".env").write_text("# mine\nTELEGRAM_BOT_TOKEN=  \nMIDJOURNEY_BACKEND=discord\n")
    assert envcheck.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(".env is missing TELEGRAM_BOT_TOKEN, DISCORD_USER_TOKEN,")
    assert "MIDJOURNEY_BACKEND=simulator" in err
    (tmp_path / ".env").write_text(
        'TELEGRAM_BOT_TOKEN="1:x"  \nMIDJOURNEY_BACKEND=simulator # try\n'
    )
    assert envcheck.main() == 0

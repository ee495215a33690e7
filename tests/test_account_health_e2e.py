"""When Midjourney wants a person to act on the account: pause, tell everyone, /resume."""

from __future__ import annotations

from bridge.simulator import MidjourneyModel
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import Stack

ADMIN = 999


async def test_account_trouble_pauses_the_queue_until_an_admin_resumes(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.ephemeral_errors = True
    model.error_words = {"captcha": ("Action needed to continue", "Please verify you're human")}
    model.next_delays = [0.3]  # the first job's verdict comes once the second one waits
    await stack.start(mj_concurrency=1, admin_user_ids=str(ADMIN))
    admin, ann, bob = tg.user(ADMIN), tg.user(111), tg.user(112)
    admin_chat = tg.private_chat(admin)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a captcha cat")
    tg.send_text(tg.private_chat(bob), bob, "/imagine a patient dog")

    # Ann's job fails and is refunded; the admin hears what Midjourney wants.
    await tg.wait_for(
        STATUS_EDITS, lambda c: c.params["chat_id"] == 111 and "❌" in c.text
    )
    alert = await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN)
    assert "Action needed to continue" in alert[0].params["text"]
    assert "/resume" in alert[0].params["text"]
    # Bob's waiting job is held, and says so.
    await tg.wait_for(
        STATUS_EDITS, lambda c: c.params["chat_id"] == 112 and "On hold" in c.text
    )
    # New work is refused politely while paused; nothing more goes to Discord.
    tg.send_text(tg.private_chat(ann), ann, "/imagine another try")
    await tg.wait_for("sendMessage", lambda c: "on hold until then" in c.params["text"])
    assert len(discord_fake.interactions) == 1

    # An operator's /mjinfo is refused the same way, as a reply, not as "something went wrong".
    info = tg.send_text(admin_chat, admin, "/mjinfo")
    [held] = await tg.wait_for(
        "sendMessage", lambda c: c.chat_id == ADMIN and "on hold until then" in c.params["text"]
    )
    assert held.params["reply_parameters"]["message_id"] == info["message_id"]
    assert not [
        c for c in tg.calls_of("sendMessage") if "Something went wrong" in c.params["text"]
    ]
    assert len(discord_fake.interactions) == 1

    # Only admins may resume.
    tg.send_text(tg.private_chat(ann), ann, "/resume")
    await tg.wait_for("sendMessage", lambda c: "only the bot's operators" in c.params["text"])
    tg.send_text(admin_chat, admin, "/resume")
    await tg.wait_for("sendMessage", lambda c: "Resumed" in c.params["text"])
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == 112
    assert len(discord_fake.interactions) == 2


async def test_a_pause_survives_a_restart(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.error_words = {"plan": ("Subscription required", "Please /subscribe")}
    settings = stack.settings(admin_user_ids=str(ADMIN))
    first = await stack.start_bot(settings)
    ann = tg.user(113)
    tg.send_text(tg.private_chat(ann), ann, "/imagine no plan")
    await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN)
    await first.close()

    await stack.start_bot(settings)
    tg.send_text(tg.private_chat(ann), ann, "/imagine still nothing")
    await tg.wait_for("sendMessage", lambda c: "on hold until then" in c.params["text"])
    assert len(discord_fake.interactions) == 1

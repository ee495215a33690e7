"""The account commands: /info, /fast, /relax, /turbo, /prefer remix, /settings (see
docs/midjourney-on-the-wire.md#describe-shorten-and-account-replies).

Each is an ephemeral answer; the account's state (mode, remix) is kept on the model, so a switch
shows in later results: `(relaxed)` after /relax. /settings answers with buttons that toggle
remix and the speed; style 3 marks what is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.constants import FLAG_EPHEMERAL
from bridge.simulator.buttons import button, rows
from bridge.simulator.hooks import Turn, on_button, on_command

if TYPE_CHECKING:
    from bridge.simulator.model import MidjourneyModel

_MODE_REPLIES = {
    "fast": "Done! Your jobs now use fast-hours. You can always switch back with /relax",
    "relax": "Done! Your jobs now do not consume fast-hours, but might take a little longer. "
    "You can always switch back with /fast",
    "turbo": "Done! Turbo mode is on: your jobs run faster and use twice the fast-hours. "
    "You can always switch back with /fast",
}
# Our own ids for the /settings buttons; real clients read them from the message (see
# docs/midjourney-on-the-wire.md#buttons).
_SETTINGS_BUTTONS = (
    ("MJ::Settings::RemixMode", "Remix mode"),
    ("MJ::Settings::FastMode", "Fast mode"),
    ("MJ::Settings::RelaxMode", "Relax mode"),
    ("MJ::Settings::TurboMode", "Turbo mode"),
    ("MJ::Settings::ResetSettings", "Reset Settings"),
)


@on_command("info", "fast", "relax", "turbo", "prefer", "settings")
async def account(model: MidjourneyModel, turn: Turn) -> None:
    """/info, /fast, /relax, /turbo, /prefer remix and /settings: ephemeral answers."""
    data = turn.data
    name = str(data["name"])
    answer: dict[str, Any]
    if name == "info":
        answer = {"embeds": [_info_embed(model)]}
    elif name == "settings":
        answer = _settings_message(model)
    elif name == "prefer":
        if not any(item.get("name") == "remix" for item in data.get("options") or ()):
            return  # other preferences are not modelled: Midjourney would answer, we don't
        model.remix = not model.remix
        state, other = ("on", "disable") if model.remix else ("off", "enable")
        answer = {
            "content": f"Remix mode turned {state}! You can {other} it by running "
            "`/prefer remix` again."
        }
    else:
        model.job_mode = name
        answer = {"content": _MODE_REPLIES[name]}
    await model.deferred(turn, FLAG_EPHEMERAL, answer)


def _info_embed(model: MidjourneyModel) -> dict[str, Any]:
    left, total = model.fast_hours
    running = max(0, model.in_flight - 1)  # this /info is in flight too
    lines = {
        "Subscription": model.plan,
        "Job Mode": {"fast": "Fast", "relax": "Relaxed", "turbo": "Turbo"}[model.job_mode],
        "Visibility Mode": "Public",
        "Fast Time Remaining": f"{left:.1f}/{total:.1f} hours ({round(100 * left / total)}%)",
        "Lifetime Usage": f"{len(model.prompts)} images",
        "Relaxed Usage": "0 images (0.00 hours)",
        "Queued Jobs (fast)": "0",
        "Queued Jobs (relax)": "0",
        "Running Jobs": str(running) if running else "None",
    }
    description = "\n".join(f"**{key}**: {value}" for key, value in lines.items())
    return {"type": "rich", "title": "Your info - mjuser", "description": description}


def _settings_message(model: MidjourneyModel) -> dict[str, Any]:
    on = {
        "MJ::Settings::RemixMode": model.remix,
        "MJ::Settings::FastMode": model.job_mode == "fast",
        "MJ::Settings::RelaxMode": model.job_mode == "relax",
        "MJ::Settings::TurboMode": model.job_mode == "turbo",
    }
    buttons = [
        {**button(custom_id, label), "style": 3 if on.get(custom_id) else 2}
        for custom_id, label in _SETTINGS_BUTTONS
    ]
    return {
        "content": "Adjust your settings here. Current suffix:  `--v 6.1`",
        "components": rows(buttons[:1], buttons[1:4], buttons[4:]),
    }


@on_button("MJ::Settings::")
async def settings_pressed(model: MidjourneyModel, turn: Turn) -> None:
    """A /settings button: flip the state and redraw the (ephemeral) settings message."""
    setting = turn.custom_id.removeprefix("MJ::Settings::")
    if setting == "RemixMode":
        model.remix = not model.remix
    elif setting == "ResetSettings":
        model.remix, model.job_mode = False, "fast"
    elif setting.removesuffix("Mode").lower() in _MODE_REPLIES:
        model.job_mode = setting.removesuffix("Mode").lower()
    else:
        return
    message_id = str(turn.payload.get("message_id"))
    await turn.discord.update_message(message_id, _settings_message(model))

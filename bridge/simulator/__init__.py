"""A model of Midjourney's behaviour in a Discord channel, and the simulator backend built on it.

`MidjourneyModel` (model.py) answers interaction payloads with Midjourney-shaped messages
(docs/midjourney-on-the-wire.md): "Waiting to start" carrying the nonce, progress
edits of that message, a final message with a new id, a picture and the real button custom_ids,
then deletion of the progress message. It writes through a `Channel` (channel.py): the simulator
backend (backend.py) is one, the test suite's fake Discord server is another, so the bot is
exercised against the same shapes either way.

Besides pictures it answers the account commands (account.py), /describe and /shorten
(analysis.py), Cancel Job and Bookmark (controls.py), and videos (video.py). A new behaviour is a
new module registering its handlers in hooks.py's tables, imported below.
"""

from bridge.simulator import account, analysis, controls, inpaint, jobs, video  # noqa: F401
from bridge.simulator.analysis import shortened
from bridge.simulator.backend import SimulatorBackend
from bridge.simulator.buttons import grid_buttons, upscale_buttons
from bridge.simulator.channel import MIDJOURNEY_AUTHOR, Channel
from bridge.simulator.model import MidjourneyModel
from bridge.simulator.pictures import render

__all__ = [
    "MIDJOURNEY_AUTHOR",
    "Channel",
    "MidjourneyModel",
    "SimulatorBackend",
    "grid_buttons",
    "render",
    "shortened",
    "upscale_buttons",
]

"""Fixed facts about Midjourney inside Discord (see docs/midjourney-on-the-wire.md)."""

from typing import Final

MIDJOURNEY_APP_ID: Final = "936929561302675456"
NIJI_APP_ID: Final = "1022952195194359889"
MIDJOURNEY_BOT_IDS: Final = frozenset({MIDJOURNEY_APP_ID, NIJI_APP_ID})

# Discord interaction types.
INTERACTION_SLASH_COMMAND: Final = 2
INTERACTION_COMPONENT: Final = 3
INTERACTION_MODAL_SUBMIT: Final = 5

# Message flag set on "Only you can see this" messages.
FLAG_EPHEMERAL: Final = 64

# Embed colours Midjourney uses for errors and warnings.
COLOUR_ERROR: Final = 0xFF0000
COLOUR_WARNING: Final = 0xFFFF00

# Last-resort command ids and versions (they go stale whenever Midjourney redeploys; the bridge
# prefers the live application-command index).
FALLBACK_COMMANDS: Final = {
    "imagine": ("938956540159881230", "1237876415471554623"),
    "describe": ("1092492867185950852", "1237876415471554625"),
    "blend": ("1062880104792997970", "1237876415471554624"),
    "shorten": ("1121575372539039774", "1247736572414001223"),
    "info": ("972289487818334209", "1237876415735660565"),
    "fast": ("972289487818334212", "1237876415735660572"),
    "relax": ("972289487818334213", "1237876415735660573"),
    "settings": ("1000850743479255081", "1493662068581077053"),
}

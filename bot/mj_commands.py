"""The Midjourney slash commands the bot offers, in one table.

Each entry says how Telegram asks for the command (a prompt after it, pictures it captions or
answers, or both), what the bot answers when something is missing, and how the command shows
in Telegram's menu and in /help. The handlers (bot/handlers/imagine.py, bot/handlers/pictures.py),
the menu (bot/app.py), /help (bot/handlers/start.py) and the job's message (bot/status.py) read
it. A new command is an entry here, its JobKind (storage/models.py: the value is the slash
command's name, and PostgreSQL's enum gets it in a migration) and, when its options are not a
prompt, their shape in bridge/interactions.py; docs/extending.md has the recipe,
tests/test_extending.py the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.refusals import Refusal
from bot.texts import N_, Texts
from bot.video_jobs import USAGE as VIDEO_USAGE
from bot.video_jobs import check_video
from storage.models import JobKind

# Midjourney reads roughly the first 60 words; a prompt past this is almost surely a paste slip.
MAX_PROMPT_LENGTH: Final = 2000
TOO_LONG: Final = N_("That prompt is {length} characters long; please keep it under {limit}.")
MAX_PICTURES: Final = 5
_DIMENSIONS: Final = re.compile(r"^--ar\s+(2:3|1:1|3:2)$")

# Refuses pictures a command cannot take: (how many, the words after the command).
PictureCheck = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class MjCommand:
    kind: JobKind  # the job it makes; its value names the slash command (bridge/runs.py)
    menu: str  # N_-marked: its line in Telegram's command menu
    help: str  # N_-marked: its line in /help
    usage: str  # N_-marked: the answer to the command without what it needs
    prompt: bool = False  # its words are a prompt, checked as /imagine's are
    alone: bool = False  # "/name <prompt>" is a job without any picture
    pictures: PictureCheck | None = None  # taken on pictures (their caption, or a reply)
    draws: bool = True  # its result is a picture: the job's message is a photo


def _image_prompt(count: int, args: str) -> None:
    if count > MAX_PICTURES:
        raise Refusal(N_("Please use at most {limit} pictures."), limit=MAX_PICTURES)
    if not args and count < 2:
        raise Refusal(N_("Add what to draw after /imagine, or send 2–5 pictures together."))
    if len(args) > MAX_PROMPT_LENGTH:
        raise Refusal(TOO_LONG, length=len(args), limit=MAX_PROMPT_LENGTH)


def _describe(count: int, args: str) -> None:
    if count != 1:
        raise Refusal(N_("/describe works on one picture at a time."))


def _blend(count: int, args: str) -> None:
    if not 2 <= count <= MAX_PICTURES:
        raise Refusal(N_("/blend needs 2 to 5 pictures, sent together as an album."))
    if args and not _DIMENSIONS.match(args):
        raise Refusal(N_("/blend takes only a shape: --ar 2:3, --ar 1:1 or --ar 3:2."))


def _video(count: int, args: str) -> None:
    check_video(count, args, MAX_PROMPT_LENGTH, TOO_LONG)


# In the order of Telegram's command menu.
COMMANDS: Final = {
    "imagine": MjCommand(
        JobKind.IMAGINE,
        menu=N_("Draw a picture from a prompt"),
        help=N_(
            "Send a photo with the caption /imagine &lt;prompt&gt; to use it as an image prompt"
        ),
        usage=N_("Tell me what to draw, e.g. /imagine a red fox in the snow --ar 3:2"),
        prompt=True,
        alone=True,
        pictures=_image_prompt,
    ),
    "shorten": MjCommand(
        JobKind.SHORTEN,
        menu=N_("Suggest shorter versions of a prompt"),
        help=N_("/shorten &lt;prompt&gt; trims a long prompt"),
        usage=N_(
            "Send /shorten followed by a long prompt: Midjourney suggests shorter versions, "
            "and you tap one to draw it."
        ),
        prompt=True,
        alone=True,
        draws=False,
    ),
    "describe": MjCommand(
        JobKind.DESCRIBE,
        menu=N_("Suggest prompts for a picture (reply to it)"),
        help=N_("/describe on a photo suggests prompts"),
        usage=N_("Send a picture with the caption /describe, or reply /describe to a picture."),
        pictures=_describe,
        draws=False,
    ),
    "blend": MjCommand(
        JobKind.BLEND,
        menu=N_("Blend 2-5 pictures (reply to an album)"),
        help=N_("/blend on 2–5 photos (an album) mixes them"),
        usage=N_(
            "Send 2–5 pictures as an album with the caption /blend (optionally --ar 2:3, 1:1 or "
            "3:2)."
        ),
        pictures=_blend,
    ),
    "video": MjCommand(
        JobKind.VIDEO,
        menu=N_("Make a video from a photo (as its caption)"),
        help=N_("/video on a photo (as its caption, or a reply) makes it move"),
        usage=VIDEO_USAGE,
        prompt=True,
        pictures=_video,
    ),
}
PROMPT_COMMANDS: Final = {name: c for name, c in COMMANDS.items() if c.alone}
PICTURE_COMMANDS: Final = frozenset(name for name, c in COMMANDS.items() if c.pictures)
# Its result goes into a photo; a button's job (ACTION) makes a picture too.
DRAWING_KINDS: Final = frozenset(
    {JobKind.ACTION, *(c.kind for c in COMMANDS.values() if c.draws)}
)
MENU: Final = [(name, command.menu) for name, command in COMMANDS.items()]
USAGE: Final = {command.kind: command.usage for command in COMMANDS.values()}


def help_lines(_: Texts) -> str:
    """The commands' lines of /help, one a command."""
    return "\n".join(_(command.help) for command in COMMANDS.values())

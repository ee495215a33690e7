"""Checks a prompt before it costs anything: banned terms and malformed `--parameters`.

A banned prompt gets the Midjourney account warned and then suspended, and a bad parameter
costs a whole round trip only to come back as "Invalid parameter". Both are found locally by
bridge.banned_words and bridge.prompts; this module turns their findings into a reply in the
user's language.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Final

from bot.settings import Settings
from bot.texts import N_, Texts
from bot.video_jobs import TURBO_REFUSED, turbo_refused
from bridge.banned_words import BannedWords
from bridge.prompts import ParamProblem, ProblemCode, validate

# More than this many problems is a paste slip; listing them all would bury the first ones.
MAX_LISTED: Final = 5

# bridge.prompts words its reasons in English; these patterns map each shape to a text so the
# reason can be said in the user's language. An unknown shape is shown as it is.
_REASONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"must be a whole number", N_("must be a whole number")),
        (r"must be a number", N_("must be a number")),
        (r"must be a version number, e\.g\. 8\.1", N_("must be a version number, e.g. 8.1")),
        (r"must be one word", N_("must be one word")),
        (
            r"must be W:H with whole numbers above 0, e\.g\. 16:9",
            N_("must be W:H with whole numbers above 0, e.g. 16:9"),
        ),
        (r"must be one image link or loop", N_("must be one image link or loop")),
        (
            r"must be image links, style codes or random",
            N_("must be image links, style codes or random"),
        ),
        (r"must be image links", N_("must be image links")),
        (r"must be profile or moodboard codes", N_("must be profile or moodboard codes")),
        (r"must be one image link", N_("must be one image link")),
    )
)
_PROBLEMS: Final = {
    ProblemCode.BAD_WEIGHT: N_("“{value}”: a weight after :: must be a number, e.g. ::2"),
    ProblemCode.MISSING_VALUE: N_("--{name} needs a value"),
    ProblemCode.UNEXPECTED_VALUE: N_("--{name} takes no value (found “{value}”)"),
}


@functools.cache
def _load(extra: Path | None) -> BannedWords:
    # Compiling the list takes tens of milliseconds: once per process and file is enough.
    return BannedWords.load(*([extra] if extra is not None else []))


def banned_words(settings: Settings) -> BannedWords:
    """The shipped list plus BANNED_WORDS_FILE, compiled once."""
    return _load(settings.banned_words_file)


def reason_text(_: Texts, reason: str) -> str:
    for pattern, message in _REASONS:
        match = pattern.fullmatch(reason)
        if match is not None:
            return _(message, **match.groupdict())
    return reason


def problem_text(_: Texts, problem: ParamProblem) -> str:
    values = {"name": problem.name, "value": problem.value}
    if problem.code is ProblemCode.BAD_VALUE:
        return _("--{name} {value}: {reason}", reason=reason_text(_, problem.reason), **values)
    message = _PROBLEMS.get(problem.code)
    return _(message, **values) if message else f"--{problem.name}: {problem.reason}"


def refusal(prompt: str, banned: BannedWords, _: Texts) -> str | None:
    """Why `prompt` must not be sent, as a reply; None when it may go to Midjourney."""
    term = banned.find(prompt)
    if term is not None:
        return _(
            "🚫 Not sent — blocked term: {term}\nMidjourney suspends accounts for prompts like "
            "this, so every prompt is checked first. Please rephrase it.",
            term=term,
        )
    if turbo_refused(prompt):
        return _(TURBO_REFUSED)
    problems = validate(prompt)
    if not problems:
        return None
    lines = "\n".join(f"• {problem_text(_, problem)}" for problem in problems[:MAX_LISTED])
    return _("⚠️ Not sent to Midjourney — please fix the parameters:\n{problems}", problems=lines)


def check_prompt(settings: Settings, prompt: str, _: Texts) -> str | None:
    """`refusal` with the configured banned-word list."""
    return refusal(prompt, banned_words(settings), _)

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
from bot.texts import text
from bot.video_jobs import turbo_refused
from bridge.banned_words import BannedWords
from bridge.prompts import ParamProblem, ProblemCode, validate

# More than this many problems is a paste slip; listing them all would bury the first ones.
MAX_LISTED: Final = 5

# bridge.prompts words its reasons in English; these patterns map each shape to a text key so
# the reason can be said in the user's language. An unknown shape is shown as it is.
_REASONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"must be a whole number", "reason_whole_number"),
        (r"must be a number", "reason_number"),
        (r"must be a version number, e\.g\. 8\.1", "reason_version"),
        (r"must be one word", "reason_one_word"),
        (r"must be W:H with whole numbers above 0, e\.g\. 16:9", "reason_ratio"),
        (r"must be one image link or loop", "reason_end"),
        (r"must be image links, style codes or random", "reason_sref"),
        (r"must be image links", "reason_links"),
        (r"must be profile or moodboard codes", "reason_codes"),
        (r"must be one image link", "reason_one_link"),
    )
)


@functools.cache
def _load(extra: Path | None) -> BannedWords:
    # Compiling the list takes tens of milliseconds: once per process and file is enough.
    return BannedWords.load(*([extra] if extra is not None else []))


def banned_words(settings: Settings) -> BannedWords:
    """The shipped list plus BANNED_WORDS_FILE, compiled once."""
    return _load(settings.banned_words_file)


def reason_text(lang: str, reason: str) -> str:
    for pattern, key in _REASONS:
        match = pattern.fullmatch(reason)
        if match is not None:
            return text(lang, key, **match.groupdict())
    return reason


def problem_text(lang: str, problem: ParamProblem) -> str:
    values = {"name": problem.name, "value": problem.value}
    if problem.code is ProblemCode.BAD_VALUE:
        return text(lang, "param_bad_value", reason=reason_text(lang, problem.reason), **values)
    return text(lang, f"param_{problem.code.value}", **values)


def refusal(prompt: str, banned: BannedWords, lang: str) -> str | None:
    """Why `prompt` must not be sent, as a reply; None when it may go to Midjourney."""
    term = banned.find(prompt)
    if term is not None:
        return text(lang, "prompt_blocked", term=term)
    if turbo_refused(prompt):
        return text(lang, "video_turbo")
    problems = validate(prompt)
    if not problems:
        return None
    lines = "\n".join(f"• {problem_text(lang, problem)}" for problem in problems[:MAX_LISTED])
    return text(lang, "prompt_params", problems=lines)


def check_prompt(settings: Settings, prompt: str, lang: str) -> str | None:
    """`refusal` with the configured banned-word list."""
    return refusal(prompt, banned_words(settings), lang)

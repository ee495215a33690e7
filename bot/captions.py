"""What a result and a status say: captions, failures, account info, held jobs.

A caption shows the user's own words and, for a button, the action in plain language
("Variation (strong) of picture 2 — a red fox"). Links never show: image prompts start with
the pictures' URLs (Discord's CDN, s.mj.run, the simulator's sim://), which mean nothing here.
Job.label holds what the button did as "kind[:number]" (bot.keyboards names the kinds), so the
caption is worded in the language of whoever reads it.
"""

from __future__ import annotations

import re
from typing import Final

from bot.keyboards import ACTION_WORDS, UNNUMBERED_WORDS
from bot.texts import N_, Texts, progress_bar
from storage.models import Job, JobKind

CAPTION_LIMIT: Final = 1024
_LINK: Final = re.compile(r"(?:https?|sim)://\S+|<https?://\S+>")
_ZOOM_PARAM: Final = re.compile(r"\s*--zoom\s+\S+\s*$")

def action_label(kind: str, parent_label: str | None) -> str:
    """Job.label for a button of `kind` pressed under a result whose own label is given.

    A button under an upscale (vary, upscale further) takes the number of the upscaled picture.
    """
    if ":" in kind or not parent_label:
        return kind
    parent_kind, _, index = parent_label.partition(":")
    return f"{kind}:{index}" if parent_kind == "upscale" and index else kind


def user_words(prompt: str) -> str:
    """The prompt as the user wrote it: image links left out."""
    return " ".join(_LINK.sub(" ", prompt).split())


def action_text(_: Texts, label: str | None) -> str | None:
    """The action in plain words for a Job.label; None for a prompt of the user's own."""
    if not label:
        return None
    kind, _sep, index = label.partition(":")
    if index and kind in ACTION_WORDS:
        return _(ACTION_WORDS[kind], index=index)
    if kind in UNNUMBERED_WORDS:
        return _(UNNUMBERED_WORDS[kind])
    if kind in ACTION_WORDS and "{index}" not in ACTION_WORDS[kind]:
        return _(ACTION_WORDS[kind])
    return label  # a label stored by an older version: shown as it was


def caption_for(job: Job, _: Texts, *, downscaled: bool) -> str:
    """The caption under a result picture; in groups it names who asked for it."""
    words = job.prompt
    if job.modal_text and job.label and job.label.startswith("custom_zoom"):
        words = _ZOOM_PARAM.sub("", job.modal_text)  # the prompt the zoom used
    words = user_words(words)
    if job.kind is JobKind.BLEND:
        head: str | None = _.plural(
            "Blend of {n} picture", "Blend of {n} pictures", len(job.images)
        )
    else:
        head = action_text(_, job.label)
        if head is None and job.prompt and not words:
            head = _("Drawn from your picture")  # an image prompt without words
    tail = ""
    if job.requested_by:
        tail += "\n" + _("👤 for {name}", name=job.requested_by)
    if downscaled:
        tail += "\n" + _("(The picture was too large for Telegram; tap 📎 for the original.)")
    lead = f"{head} — " if head and words else head or ""
    room = CAPTION_LIMIT - len(tail) - len(lead)
    if len(words) > room:
        words = words[: max(0, room - 1)] + "…"
    return lead + words + tail


_FAILURES: Final = {
    "timeout": N_("it got no answer from Midjourney in time"),
    "discord_rejected": N_("Discord refused the request ({detail})"),
    "lost": N_("it was lost while the bot restarted"),
    "refused": N_("Midjourney did not accept the request"),
    "inpaint_refused": N_("Midjourney's editor did not take the painted area ({detail})"),
    "internal": N_("an internal error"),
    "banned_prompt": N_(
        "Midjourney's moderator flagged the prompt as against its community standards"
    ),
    "invalid_parameter": N_("a parameter is invalid ({detail})"),
    "invalid_link": N_("Midjourney could not load an image link"),
    "output_filtered": N_("the result was blocked by Midjourney's output filters"),
    "queue_full": N_("Midjourney's own queue is full"),
    "credits_exhausted": N_("the Midjourney account is out of fast hours"),
    "subscription": N_("the Midjourney subscription is not active"),
    "blocked": N_("the Midjourney account is blocked"),
    "pending_moderation": N_("the Midjourney account has a moderation message to acknowledge"),
    "action_needed": N_("Midjourney needs the account owner to take an action"),
    "verify_human": N_("Midjourney asks the account owner to verify they are human"),
    "duplicate_images": N_("the images are duplicates"),
    "job_failed": N_("Midjourney could not complete the job"),
    "stopped": N_("Midjourney stopped the job"),
}


def failure_text(_: Texts, reason: str, detail: str) -> str:
    """Why a job failed, and that it cost nothing."""
    known = _FAILURES.get(reason)
    why = _(known, detail=detail or reason) if known else (detail or reason)
    return _(
        "❌ Midjourney could not finish this job: {reason}\nYour quota was not charged.",
        reason=why,
    )


# /info's keys and the labels that name them; others are shown as Midjourney wrote them.
_INFO_LABELS: Final = {
    "Subscription": N_("Plan"),
    "Job Mode": N_("Mode"),
    "Visibility Mode": N_("Visibility"),
    "Fast Time Remaining": N_("Fast time left"),
    "Lifetime Usage": N_("Lifetime usage"),
    "Relaxed Usage": N_("Relaxed usage"),
    "Queued Jobs (fast)": N_("Queued jobs (fast)"),
    "Queued Jobs (relax)": N_("Queued jobs (relax)"),
    "Running Jobs": N_("Running jobs"),
}
_MODE_SWITCHED: Final = {
    JobKind.FAST: N_("⚡ The Midjourney account now runs in fast mode."),
    JobKind.RELAX: N_("🐢 The Midjourney account now runs in relax mode."),
}


def info_text(_: Texts, lines: list[str]) -> str:
    """/info's "Key: value" lines under our own labels, in Midjourney's order."""
    shown = [_("ℹ️ The Midjourney account")]
    for line in lines:
        key, _sep, value = line.partition(": ")
        label = _INFO_LABELS.get(key)
        shown.append(f"{_(label)}: {value}" if label else line)
    return "\n".join(shown)


def notice_text(_: Texts, job: Job) -> str:
    """A /fast or /relax confirmation: what changed, then Midjourney's own words."""
    reply = _("✅ Midjourney: {reply}", reply=" ".join(job.texts))
    switched = _MODE_SWITCHED.get(job.kind)
    return f"{_(switched)}\n\n{reply}" if switched else reply


def suggestions_text(_: Texts, kind: str, listing: str) -> str:
    """/describe's prompts or /shorten's shorter versions, each to tap."""
    if kind == "shorten":
        return _(
            "✂️ Midjourney's shorter versions of your prompt:\n\n{prompts}\n\nTap a number to "
            "draw it.",
            prompts=listing,
        )
    return _(
        "🔎 Midjourney reads your picture as:\n\n{prompts}\n\nTap a number to draw it.",
        prompts=listing,
    )


def admin_paused_text(_: Texts, account: str, reason: str) -> str:
    return _(
        "⚠️ Midjourney stopped accepting jobs from the account {account}:\n{reason}\n\n"
        "Fix it in Discord, then send /resume here.",
        account=account,
        reason=reason,
    )


SENDING: Final = N_("⏳ Sending to Midjourney…")


def progress_text(_: Texts, percent: int | None) -> str:
    """The status while Midjourney works: accepted (no percentage yet), then the percentage."""
    if percent is None:
        return _("✅ Midjourney accepted the job; it starts in a moment…")
    return _("🎨 Drawing… {percent}%\n{bar}", percent=percent, bar=progress_bar(percent))


HELD: Final = N_(
    "⏸ On hold: Midjourney needs the bot's admin to look at the account. Your job will start "
    "once that is done."
)
RELEASED: Final = N_("⏳ Back in the queue…")

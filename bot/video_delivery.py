"""A finished video job's message: Midjourney's file as an MP4 that plays in the chat.

The video grid (one animated WebP of four clips) and a single clip (an MP4) both go into the
job's message as an animation (editMessageMedia with InputMediaAnimation): a silent MP4
autoplays and loops in every Telegram client, which is what a Midjourney clip is. A file that no
MP4 of ours can replace goes as a document, and one too big even for that leaves words.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from telegram import Bot, ForceReply, InputMediaAnimation, InputMediaDocument, ReplyParameters

from bot.captions import caption_for
from bot.texts import texts
from bot.video import Clip, SendAs
from bot.video_pool import VideoConverter
from bridge.buttons import MOTION_FORM
from storage.buttons import ask
from storage.db import Database
from storage.jobs import get_job
from storage.models import Job


def video_media(
    job: Job, clip: Clip, caption: str
) -> InputMediaAnimation | InputMediaDocument | None:
    """What goes into the job's message; None when nothing fits (see too_large_text)."""
    stem = PurePosixPath(job.result_filename or "midjourney").stem or "midjourney"
    if clip.send_as is SendAs.ANIMATION:
        return InputMediaAnimation(
            clip.data,  # bytes: PTB attaches them to the request as an upload
            caption=caption,
            filename=stem + ".mp4",
            width=clip.width or None,
            height=clip.height or None,
            duration=round(clip.duration) or None,
        )
    if clip.send_as is SendAs.DOCUMENT:
        name = job.result_filename or "midjourney.webp"
        return InputMediaDocument(clip.data, caption=caption, filename=name)
    return None


def too_large_text(job: Job, caption: str) -> str:
    _ = texts(job.language)
    return _("The video is too large for Telegram (over 50 MB).\n{prompt}", prompt=caption)


async def video_outcome(
    job: Job, data: bytes, converter: VideoConverter
) -> InputMediaAnimation | InputMediaDocument | str:
    """What goes into a finished video job's message: Midjourney's file (`data`) converted
    off the loop (bot/video_pool.py), or the words to say when nothing fits."""
    clip = await converter.convert(data, None, job.result_filename or "")
    caption = caption_for(job, texts(job.language), downscaled=False)
    media = video_media(job, clip, caption)
    return too_large_text(job, caption) if media is None else media


# What a question about a job's form is filed under (storage's PendingReply.custom_id).
MOTION_QUESTION = MOTION_FORM
# ForceReply's placeholder: at most 64 characters.
_PLACEHOLDER = 64


async def ask_motion(bot: Bot, db: Database, job_id: int) -> None:
    """Remix is on, so Midjourney wants the motion prompt: ask with a reply-to question that
    shows the job's prompt (a reply cannot be prefilled; the placeholder carries its start)."""
    async with db.transaction() as session:
        job = await get_job(session=session, job_id=job_id)
    if job is None or job.id is None:
        return
    prompt = job.prompt
    reply = (
        ReplyParameters(job.request_message_id, allow_sending_without_reply=True)
        if job.request_message_id
        else None
    )
    _ = texts(job.language)
    question = await bot.send_message(
        job.chat_id,
        _(
            "🎞 Remix is on: reply with the motion prompt for this video. The job's prompt "
            "was:\n{prompt}",
            prompt=prompt,
        ),
        reply_parameters=reply,
        reply_markup=ForceReply(input_field_placeholder=prompt[:_PLACEHOLDER] or None),
    )
    async with db.transaction() as session:
        await ask(
            session=session,
            chat_id=job.chat_id,
            message_id=question.message_id,
            job_id=job.id,
            custom_id=MOTION_QUESTION,
            label=job.label or "",
        )

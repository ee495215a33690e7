"""Midjourney's videos made playable in Telegram: pure bytes in, bytes out (run it off the loop).

Midjourney ends a video job with one animated WebP (a 2x2 of four clips) that Telegram shows as
a still sticker-like file on a phone, and each clip alone as an MP4. Telegram plays a silent
H.264/yuv420p MP4 inline and in a loop when it is sent with sendAnimation, up to 50 MB; a
"faststart" file (the index before the data) starts playing before it is fully downloaded.
So: the WebP is decoded frame by frame with Pillow and encoded with PyAV (FFmpeg's libx264,
shipped inside its wheels); an MP4 that already meets the rules is passed through untouched,
any other one is transcoded; what cannot be made to fit goes as a document.

Frames are encoded as they are decoded, so memory stays at a few frames whatever the length.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from av import VideoFrame

# A frame to encode and how long it shows, in ms (None: the file does not say).
Frames = Iterator[tuple["VideoFrame", int | None]]

# sendAnimation / sendVideo / sendDocument upload limit for bots.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# "720p": the short side at most 720, the long side at most 1280 (portrait or landscape).
MAX_SHORT_SIDE = 720
MAX_LONG_SIDE = 1280
# Quality steps tried in turn until the file fits: (x264 CRF, scale of the picture).
_ATTEMPTS = ((23, 1.0), (28, 0.75), (33, 0.5))
# Midjourney's clips run at 24 fps; a WebP whose frames carry no duration is shown at that rate.
_DEFAULT_FPS = 24
# x264's speed/size trade-off. Decoding the WebP takes most of the time already; "ultrafast"
# encodes a 5 s grid in about 0.4 s of one core at about 5 MB, "superfast" in twice that at
# 3 MB; both are far below the 50 MB limit, and the bench target is 2 s in all.
_PRESET = "ultrafast"
_MAX_FPS = 60


class SendAs(StrEnum):
    """How the bot sends what came out."""

    ANIMATION = "animation"  # an MP4 fit for sendAnimation (silent, H.264, <= 720p, <= 50 MB)
    DOCUMENT = "document"  # the original file, which no MP4 of ours could replace
    TOO_LARGE = "too_large"  # nothing fits Telegram's upload limit


@dataclass(frozen=True, slots=True)
class Clip:
    """What to send: the bytes, how, and (for an MP4) what it holds."""

    data: bytes
    send_as: SendAs
    width: int = 0
    height: int = 0
    frames: int = 0
    duration: float = 0.0  # seconds
    converted: bool = False  # False: Midjourney's own file, passed through


class VideoError(Exception):
    """The file is no video or picture that Pillow or PyAV can read."""


def target_size(width: int, height: int, scale: float = 1.0) -> tuple[int, int]:
    """The picture size we encode: within 720p, scaled by `scale`, even on both sides
    (yuv420p halves the colour planes, so libx264 refuses odd sides)."""
    short, long = min(width, height), max(width, height)
    fit = min(1.0, MAX_SHORT_SIDE / max(1, short), MAX_LONG_SIDE / max(1, long)) * scale
    return max(2, int(width * fit) // 2 * 2), max(2, int(height * fit) // 2 * 2)


def for_telegram(data: bytes, content_type: str | None = None, filename: str = "") -> Clip:
    """Turn one Midjourney video file (an animated WebP grid, or an MP4 clip) into what the bot
    sends: an MP4 for sendAnimation when one fits, else the original as a document."""
    kind = (content_type or "").lower()
    is_mp4 = kind.startswith("video/") or filename.lower().endswith((".mp4", ".mov", ".m4v"))
    is_mp4 = is_mp4 or _looks_like_mp4(data)
    if is_mp4 and (passed := _pass_through(data)) is not None:
        return passed
    read = _video_frames if is_mp4 else _webp_frames
    for crf, scale in _ATTEMPTS:
        clip = _encode(read(data), crf=crf, scale=scale)
        if len(clip.data) <= MAX_UPLOAD_BYTES:
            return clip
    if len(data) <= MAX_UPLOAD_BYTES:
        return Clip(data, SendAs.DOCUMENT)
    return Clip(b"", SendAs.TOO_LARGE)


# -- reading ------------------------------------------------------------------------------------


def _webp_frames(data: bytes) -> Frames:
    """Each frame of a picture file (an animated WebP), as RGB."""
    import av
    from PIL import Image, ImageSequence

    try:
        image = Image.open(io.BytesIO(data))
    except (OSError, SyntaxError) as exc:
        raise VideoError(f"not a picture: {exc}") from exc
    with image:
        for frame in ImageSequence.Iterator(image):
            frame.load()  # Pillow reads a WebP frame's duration when it decodes it
            duration = frame.info.get("duration")
            # Pillow gives WebP frames as RGBA, which from_bytes copies in a third of
            # from_image's time; the encoder's one conversion to yuv420p does the rest.
            if frame.mode == "RGBA":
                size = frame.width, frame.height
                picture = av.VideoFrame.from_bytes(frame.tobytes(), *size, "rgba")
            else:
                picture = av.VideoFrame.from_image(frame.convert("RGB"))
            yield picture, int(duration) if duration else None


def _video_frames(data: bytes) -> Frames:
    """The frames of the first video stream of an MP4 (audio is dropped: clips are silent)."""
    import av

    try:
        container = av.open(io.BytesIO(data))
    except av.FFmpegError as exc:
        raise VideoError(f"not a video: {exc}") from exc
    with container:
        if not container.streams.video:
            raise VideoError("no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or _DEFAULT_FPS
        step = round(1000 / float(rate))
        for frame in container.decode(stream):
            yield frame, step


def _looks_like_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def _top_boxes(data: bytes) -> Iterator[tuple[bytes, int]]:
    """The top-level ISO-BMFF boxes: (type, offset)."""
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1 and offset + 16 <= len(data):
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        yield kind, offset
        if size < 8:
            return
        offset += size


def is_faststart(data: bytes) -> bool:
    """True when the index (moov) comes before the media data, so playback starts at once."""
    first: dict[bytes, int] = {}
    for kind, offset in _top_boxes(data):
        first.setdefault(kind, offset)
    moov = first.get(b"moov")
    return moov is not None and moov < first.get(b"mdat", len(data))


def _pass_through(data: bytes) -> Clip | None:
    """Midjourney's own MP4, untouched, when Telegram can play it as an animation as it is."""
    import av

    if len(data) > MAX_UPLOAD_BYTES or not is_faststart(data):
        return None
    try:
        with av.open(io.BytesIO(data)) as container:
            if len(container.streams.video) != 1 or container.streams.audio:
                return None
            stream = container.streams.video[0]
            context = stream.codec_context
            width, height = context.width, context.height
            fits = target_size(width, height) == (width, height)
            if context.name != "h264" or context.pix_fmt != "yuv420p" or not fits:
                return None
            frames = stream.frames or sum(1 for _ in container.demux(stream) if _.size)
            duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
    except av.FFmpegError:
        return None
    return Clip(data, SendAs.ANIMATION, width, height, frames, duration, converted=False)


# -- writing ------------------------------------------------------------------------------------


def _encode(frames: Frames, *, crf: int, scale: float) -> Clip:

    # The faststart pass re-opens the output by name to move the index forward, so FFmpeg
    # writes a real file rather than a memory buffer.
    with tempfile.TemporaryDirectory(prefix="mjvideo-") as folder:
        path = Path(folder) / "clip.mp4"
        clip = _encode_to(path, frames, crf=crf, scale=scale)
        return dataclasses.replace(clip, data=path.read_bytes())


def _encode_to(path: Path, frames: Frames, *, crf: int, scale: float) -> Clip:
    import av

    count = 0
    elapsed_ms = 0
    width = height = 0
    options = {"movflags": "+faststart"}
    with av.open(str(path), mode="w", format="mp4", options=options) as container:
        stream: av.video.stream.VideoStream | None = None
        for source, duration in frames:
            if stream is None:
                width, height = target_size(source.width, source.height, scale)
                fps = _fps(duration)
                stream = container.add_stream("libx264", rate=fps)
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                # One thread per conversion: several run side by side on a small machine.
                stream.codec_context.thread_count = 1
                stream.codec_context.time_base = Fraction(1, 1000)
                stream.options = {"crf": str(crf), "preset": _PRESET}
            # Area averaging when shrinking; a plain colour conversion needs no filter.
            same = (source.width, source.height) == (width, height)
            interpolation = "FAST_BILINEAR" if same else "AREA"
            frame = source.reformat(width, height, "yuv420p", interpolation=interpolation)
            frame.pts = elapsed_ms
            frame.time_base = Fraction(1, 1000)
            elapsed_ms += duration or round(1000 / _DEFAULT_FPS)
            container.mux(stream.encode(frame))
            count += 1
        if stream is None:
            raise VideoError("no frames")
        container.mux(stream.encode(None))
    return Clip(
        b"",
        SendAs.ANIMATION,
        width,
        height,
        count,
        elapsed_ms / 1000,
        converted=True,
    )


def _fps(duration_ms: int | None) -> int:
    if not duration_ms:
        return _DEFAULT_FPS
    return max(1, min(_MAX_FPS, round(1000 / duration_ms)))

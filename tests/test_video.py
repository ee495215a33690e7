"""The video converter (bot/video.py): what comes out is decoded with PyAV and checked."""

from __future__ import annotations

import asyncio
import io
import threading
from fractions import Fraction

import av
import pytest
from PIL import Image, ImageDraw

from bot import video
from bot.video import SendAs, VideoError, for_telegram, is_faststart, target_size
from bot.video_pool import VideoConverter


def webp(frames: int, width: int, height: int, duration: int = 40) -> bytes:
    pictures = []
    for k in range(frames):
        picture = Image.new("RGB", (width, height), (20 * k % 255, 80, 160))
        ImageDraw.Draw(picture).rectangle((k, k, k + 8, k + 8), fill="white")
        pictures.append(picture)
    out = io.BytesIO()
    pictures[0].save(
        out, "WEBP", save_all=True, append_images=pictures[1:], duration=duration, loop=0
    )
    return out.getvalue()


def mp4(
    frames: int,
    width: int,
    height: int,
    *,
    audio: bool = False,
    faststart: bool = True,
    pix_fmt: str = "yuv420p",
) -> bytes:
    """An MP4 made here, shaped as the test needs (Midjourney's clips are silent H.264)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        options = {"movflags": "+faststart"} if faststart else {}
        with av.open(str(path), "w", format="mp4", options=options) as container:
            stream = container.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            sound = container.add_stream("aac", rate=48000) if audio else None
            for k in range(frames):
                picture = Image.new("RGB", (width, height), (10 * k % 255, 90, 30))
                frame = av.VideoFrame.from_image(picture)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
            if sound is not None:
                samples = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for plane in samples.planes:
                    plane.update(bytes(plane.buffer_size))
                samples.sample_rate = 48000
                samples.pts = 0
                container.mux(sound.encode(samples))
                container.mux(sound.encode(None))
        return path.read_bytes()


def probe(data: bytes) -> dict[str, object]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "frames": len(frames),
            "audio": len(container.streams.audio),
            "duration": float(frames[-1].pts * frames[-1].time_base),
        }


def test_an_animated_webp_grid_becomes_a_silent_h264_mp4_with_every_frame() -> None:
    clip = for_telegram(webp(12, 96, 96, duration=42), "image/webp", "grid.webp")

    assert clip.send_as is SendAs.ANIMATION
    assert clip.converted
    found = probe(clip.data)
    assert found == {
        "codec": "h264",
        "pix_fmt": "yuv420p",
        "size": (96, 96),
        "frames": 12,
        "audio": 0,
        "duration": pytest.approx(11 * 0.042, abs=0.01),
    }
    assert (clip.width, clip.height, clip.frames) == (96, 96, 12)
    assert is_faststart(clip.data)


def test_odd_and_large_pictures_are_made_even_and_kept_within_720p() -> None:
    assert target_size(65, 33) == (64, 32)
    assert target_size(624, 624) == (624, 624)
    assert target_size(2048, 2048) == (720, 720)
    assert target_size(1920, 1080) == (1280, 720)
    assert target_size(464, 832) == (464, 832)
    assert target_size(1080, 1920) == (720, 1280)

    clip = for_telegram(webp(3, 1500, 801), "image/webp")
    assert probe(clip.data)["size"] == (1280, 682)


def test_midjourney_mp4_that_telegram_plays_is_passed_through_untouched() -> None:
    original = mp4(10, 64, 48)

    clip = for_telegram(original, "video/mp4", "x_0.mp4")

    assert clip.data == original
    assert not clip.converted
    assert clip.send_as is SendAs.ANIMATION
    assert (clip.width, clip.height, clip.frames) == (64, 48, 10)


@pytest.mark.parametrize(
    "shape",
    [
        {"audio": True},
        {"faststart": False},
        {"pix_fmt": "yuv444p"},
    ],
    ids=["with sound", "index at the end", "full colour planes"],
)
def test_other_mp4s_are_transcoded_to_a_silent_faststart_yuv420p_one(
    shape: dict[str, object],
) -> None:
    original = mp4(8, 64, 48, **shape)  # type: ignore[arg-type]

    clip = for_telegram(original, "video/mp4")

    assert clip.converted
    assert clip.data != original
    found = probe(clip.data)
    assert (found["codec"], found["pix_fmt"], found["audio"]) == ("h264", "yuv420p", 0)
    assert (found["frames"], found["size"]) == (8, (64, 48))
    assert is_faststart(clip.data)


def test_a_clip_larger_than_720p_is_scaled_down() -> None:
    clip = for_telegram(mp4(3, 1920, 1080), "video/mp4")

    assert clip.converted
    assert probe(clip.data)["size"] == (1280, 720)


def test_what_cannot_fit_goes_as_the_original_document_or_not_at_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grid = webp(6, 64, 64)
    monkeypatch.setattr(video, "MAX_UPLOAD_BYTES", len(grid))

    assert for_telegram(grid, "image/webp").send_as is SendAs.DOCUMENT

    monkeypatch.setattr(video, "MAX_UPLOAD_BYTES", 10)
    assert for_telegram(grid, "image/webp").send_as is SendAs.TOO_LARGE


def test_no_video_at_all_is_a_clear_error() -> None:
    with pytest.raises(VideoError):
        for_telegram(b"not a picture", "image/webp")
    with pytest.raises(VideoError):
        for_telegram(b"\0\0\0\x20ftypisom" + bytes(40), "video/mp4")


async def test_conversions_run_off_the_event_loop_thread() -> None:
    converter = VideoConverter(workers=2)
    try:
        loop_thread = threading.get_ident()
        ran_on = await converter.run(threading.get_ident)
        clip = await converter.convert(webp(4, 32, 32), "image/webp")
    finally:
        await converter.aclose()

    assert ran_on != loop_thread
    assert probe(clip.data)["frames"] == 4


async def test_a_burst_waits_for_a_worker_rather_than_piling_up() -> None:
    converter = VideoConverter(workers=1)
    running = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threading.Event().wait(0.02)
        with lock:
            running -= 1

    try:
        await asyncio.gather(*(converter.run(work) for _ in range(3)))
    finally:
        await converter.aclose()
    assert peak == 1


def test_frame_timing_follows_the_webp_durations() -> None:
    clip = for_telegram(webp(5, 32, 32, duration=100), "image/webp")
    with av.open(io.BytesIO(clip.data)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(10)

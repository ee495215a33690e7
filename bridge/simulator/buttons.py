"""The buttons Midjourney puts under its messages."""

from __future__ import annotations

from typing import Any


def button(custom_id: str, label: str = "", emoji: str | None = None) -> dict[str, Any]:
    component: dict[str, Any] = {"type": 2, "style": 2, "custom_id": custom_id, "label": label}
    if emoji:
        component["emoji"] = {"name": emoji}
    return component


def rows(*lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": 1, "components": line} for line in lines]


def link(job_hash: str, label: str = "\u200b") -> dict[str, Any]:
    """The job's page on midjourney.com: a link button (style 5), no custom_id."""
    return {"type": 2, "style": 5, "label": label, "url": job_page(job_hash)}


def job_page(job_hash: str) -> str:
    return f"https://midjourney.com/jobs/{job_hash}"


def progress_buttons(job_hash: str) -> list[dict[str, Any]]:
    """A running job's one button: the red Cancel Job."""
    cancel = {**button(f"MJ::CancelJob::ByJobid::{job_hash}", "Cancel Job"), "style": 4}
    return rows([cancel])


def grid_buttons(job_hash: str) -> list[dict[str, Any]]:
    ups = [button(f"MJ::JOB::upsample::{n}::{job_hash}", f"U{n}") for n in range(1, 5)]
    reroll = button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    variations = [button(f"MJ::JOB::variation::{n}::{job_hash}", f"V{n}") for n in range(1, 5)]
    return rows([*ups, reroll], [*variations, link(job_hash)])


def _animate(solo: str) -> list[dict[str, Any]]:
    return [
        button(f"MJ::JOB::animate_high::{solo}", "Animate (High motion)", emoji="🎞️"),
        button(f"MJ::JOB::animate_low::{solo}", "Animate (Low motion)", emoji="🎞️"),
    ]


def upscale_buttons(job_hash: str) -> list[dict[str, Any]]:
    """Under a V7 single picture ("Image #N"), as captured in 2026."""
    solo = f"1::{job_hash}::SOLO"
    return rows(
        [
            button(f"MJ::JOB::upsample_v7_2x_subtle::{solo}", "Upscale (Subtle)"),
            button(f"MJ::JOB::upsample_v7_2x_creative::{solo}", "Upscale (Creative)"),
        ],
        [
            button(f"MJ::JOB::low_variation::{solo}", "Vary (Subtle)"),
            button(f"MJ::JOB::high_variation::{solo}", "Vary (Strong)"),
            button(f"MJ::Inpaint::{solo}", "Vary (Region)"),
        ],
        [
            button(f"MJ::Outpaint::50::{solo}", "Zoom Out 2x"),
            button(f"MJ::Outpaint::75::{solo}", "Zoom Out 1.5x"),
            button(f"MJ::CustomZoom::{job_hash}", "Custom Zoom"),
        ],
        [
            button(f"MJ::JOB::pan_{side}::{solo}", emoji=arrow)
            for side, arrow in (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))
        ],
        [*_animate(solo), button(f"MJ::BOOKMARK::{job_hash}", emoji="❤️"), link(job_hash, "Web")],
    )


def redo_buttons(job_hash: str) -> list[dict[str, Any]]:
    """Under a Subtle/Creative 2x upscale: redo it, vary it, animate it; no zoom, pan, region."""
    solo = f"1::{job_hash}::SOLO"
    return rows(
        [
            button(f"MJ::JOB::upsample_v7_2x_subtle::{solo}", "Redo Upscale (Subtle)"),
            button(f"MJ::JOB::upsample_v7_2x_creative::{solo}", "Redo Upscale (Creative)"),
        ],
        [
            button(f"MJ::JOB::low_variation::{solo}", "Vary (Subtle)"),
            button(f"MJ::JOB::high_variation::{solo}", "Vary (Strong)"),
        ],
        [*_animate(solo), button(f"MJ::BOOKMARK::{job_hash}", emoji="❤️"), link(job_hash, "Web")],
    )

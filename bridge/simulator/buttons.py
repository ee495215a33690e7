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


def grid_buttons(job_hash: str) -> list[dict[str, Any]]:
    ups = [button(f"MJ::JOB::upsample::{n}::{job_hash}", f"U{n}") for n in range(1, 5)]
    reroll = button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    variations = [button(f"MJ::JOB::variation::{n}::{job_hash}", f"V{n}") for n in range(1, 5)]
    return rows([*ups, reroll], variations)


def upscale_buttons(job_hash: str) -> list[dict[str, Any]]:
    solo = f"1::{job_hash}::SOLO"
    return rows(
        [
            button(f"MJ::JOB::upsample_v6_2x_subtle::{solo}", "Upscale (Subtle)"),
            button(f"MJ::JOB::upsample_v6_2x_creative::{solo}", "Upscale (Creative)"),
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
    )

"""Captions: the user's words and the action in plain language, never a link (pure)."""

from __future__ import annotations

import pytest

from bot.captions import CAPTION_LIMIT, action_label, caption_for, user_words
from bot.texts import LANGUAGES, texts
from storage.models import Job, JobKind

EN = texts("en")


def job(prompt: str, **fields: object) -> Job:
    return Job(chat_id=1, prompt=prompt, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("made", "caption"),
    [
        (job("a red fox --ar 3:2"), "a red fox --ar 3:2"),
        (job("a red fox", label="upscale:2"), "Picture 2 — a red fox"),
        (job("a red fox", label="variation:3"), "Variations of picture 3 — a red fox"),
        (job("a red fox", label="reroll"), "New grid — a red fox"),
        (job("a red fox", label="vary_strong:2"), "Variation (strong) of picture 2 — a red fox"),
        (job("a red fox", label="vary_subtle:4"), "Variation (subtle) of picture 4 — a red fox"),
        (
            job("a red fox", label="upscale_creative:1"),
            "Upscaled (creative), picture 1 — a red fox",
        ),
        (job("a red fox", label="zoom_out_1.5"), "Zoomed out ×1.5 — a red fox"),
        (job("a red fox", label="zoom_out_2"), "Zoomed out ×2 — a red fox"),
        (job("a red fox", label="pan_left"), "Extended to the left — a red fox"),
        (job("a red fox", label="make_square"), "Made square — a red fox"),
        # Custom Zoom shows the prompt it used, not the grid's.
        (
            job("a bay", label="custom_zoom:1.8", modal_text="the whole bay at dusk --zoom 1.8"),
            "Zoomed out ×1.8 — the whole bay at dusk",
        ),
        # Image prompts: the pictures' links are not the user's words.
        (
            job("sim://cdn/1/AQAD000012.jpg https://s.mj.run/abc a watercolor version"),
            "a watercolor version",
        ),
        (job("https://cdn.discordapp.com/attachments/1/2/x.png"), "Drawn from your picture"),
        (
            job("--ar 3:2", kind=JobKind.BLEND, images=[{"filename": "a"}, {"filename": "b"}]),
            "Blend of 2 pictures — --ar 3:2",
        ),
        (job("", kind=JobKind.BLEND, images=[{"filename": "a"}] * 3), "Blend of 3 pictures"),
        (job("a kite", requested_by="Bob"), "a kite\n👤 for Bob"),
        (job("a kite", label="upscale:1", requested_by="Bob"), "Picture 1 — a kite\n👤 for Bob"),
        (job("a kite", label="V2"), "V2 — a kite"),  # a label stored by an older version
    ],
)
def test_each_caption_case(made: Job, caption: str) -> None:
    assert caption_for(made, EN, downscaled=False) == caption


def test_a_downscaled_picture_says_where_the_original_is() -> None:
    text = caption_for(job("a fox"), EN, downscaled=True)
    assert text == "a fox\n(The picture was too large for Telegram; tap 📎 for the original.)"


def test_a_long_prompt_is_cut_to_telegrams_caption_limit_keeping_the_rest() -> None:
    text = caption_for(
        job("word " * 400, label="upscale:1", requested_by="Ann"), EN, downscaled=True
    )
    assert len(text) <= CAPTION_LIMIT
    assert text.startswith("Picture 1 — word word")
    assert "…\n👤 for Ann\n(The picture" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_caption_shows_a_link_in_any_language(lang: str) -> None:
    made = job("sim://cdn/9/x.jpg <https://s.mj.run/q> two friends", label="vary_strong:2")
    text = caption_for(made, texts(lang), downscaled=False)
    assert "://" not in text
    assert text.endswith("two friends")


def test_buttons_under_an_upscale_take_its_picture_number() -> None:
    assert action_label("vary_strong", "upscale:2") == "vary_strong:2"
    assert action_label("upscale_subtle", "upscale:4") == "upscale_subtle:4"
    assert action_label("variation:3", "upscale:2") == "variation:3"  # its own number wins
    assert action_label("zoom_out_2", None) == "zoom_out_2"
    assert action_label("vary_strong", "variation:1") == "vary_strong"


def test_user_words_drop_links_only() -> None:
    assert user_words("https://a.b/c.png  a  cat --ar 2:3") == "a cat --ar 2:3"
    assert user_words("a cat") == "a cat"


def test_captions_are_translated() -> None:
    made = job("一只红狐狸", label="vary_strong:2")
    assert caption_for(made, texts("zh"), downscaled=False) == "第 2 张的强烈变化 — 一只红狐狸"
    assert caption_for(made, texts("ru"), downscaled=False) == (
        "Сильная вариация картинки 2 — 一只红狐狸"
    )

"""The simulator's pictures: the prompt's aspect ratio, four distinct pictures, U-n is tile n,
derived jobs look like their source, image prompts and blends show the user's pictures, and
/describe describes the picture it got."""

from __future__ import annotations

import asyncio
import io

from PIL import Image, ImageChops, ImageStat

from bridge.buttons import ButtonKind
from bridge.interactions import Upload
from bridge.messages import Completed
from bridge.simulator.pictures import tile
from tests.simulated import Channel


async def picture(channel: Channel, nonce: str) -> Image.Image:
    await channel.result(nonce)
    return Image.open(io.BytesIO(channel.model.results[nonce]["image"])).convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0 same .. 255 opposite), at a's size."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b.resize(a.size))).mean) / 3


def solid(colour: str, size: tuple[int, int] = (40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def test_grids_take_the_prompts_aspect_ratio() -> None:
    async with Channel() as channel:
        for prompt, size in (
            ("a harbour --ar 16:9", (64, 36)),
            ("a tower --ar 2:3 --v 8.1", (42, 64)),
            ("a fox", (64, 64)),
        ):
            assert (
                await picture(channel, await channel.send(command="imagine", prompt=prompt))
            ).size == size


async def test_four_distinct_pictures_and_the_prompt_picks_the_palette() -> None:
    async with Channel() as channel:
        grid = await picture(channel, await channel.send(command="imagine", prompt="雪山下的狐狸"))
        tiles = [tile(grid, n) for n in range(1, 5)]
        for a in range(4):
            for b in range(a + 1, 4):
                assert difference(tiles[a], tiles[b]) > 3, (a, b)
        # --seed repeats a grid; without it each run is new, as on Midjourney.
        first = await channel.send(command="imagine", prompt="a kite --seed 7")
        again = await channel.send(command="imagine", prompt="a kite --seed 7")
        other = await channel.send(command="imagine", prompt="a kite")
        assert difference(await picture(channel, first), await picture(channel, again)) == 0
        assert difference(await picture(channel, first), await picture(channel, other)) > 0


async def test_u_n_is_tile_n_at_upscale_size() -> None:
    async with Channel() as channel:
        nonce = await channel.send(command="imagine", prompt="a lighthouse --ar 3:2")
        grid_message = await channel.result(nonce)
        grid = await picture(channel, nonce)
        for index in (2, 4):
            ups = [
                c
                for r in grid_message["components"]
                for c in r["components"]
                if c.get("custom_id", "").startswith(f"MJ::JOB::upsample::{index}::")
            ]
            press = {"message_id": grid_message["id"], "custom_id": ups[0]["custom_id"]}
            upscale = await picture(channel, await channel.send(**press))
            own, others = tile(grid, index), [tile(grid, n) for n in range(1, 5) if n != index]
            assert upscale.size == (own.width * 2, own.height * 2)
            assert difference(own, upscale) < 4
            assert all(difference(own, upscale) < difference(t, upscale) for t in others)


async def test_variations_zoom_and_pan_derive_from_their_source() -> None:
    async with Channel() as channel:
        grid_message = await channel.result(
            await channel.send(command="imagine", prompt="a red barn")
        )
        solo_nonce = await channel.send(**channel.press(grid_message, ButtonKind.UPSCALE))
        solo_message = await channel.result(solo_nonce)
        solo = await picture(channel, solo_nonce)
        unrelated = await picture(
            channel, await channel.send(command="imagine", prompt="a blue sea")
        )
        for kind in (ButtonKind.VARY_SUBTLE, ButtonKind.VARY_STRONG, ButtonKind.PAN):
            derived = await picture(
                channel, await channel.send(**channel.press(solo_message, kind))
            )
            for n in range(1, 5):
                assert difference(tile(derived, n), solo) < difference(tile(derived, n), unrelated)
        zoomed = await picture(
            channel, await channel.send(**channel.press(solo_message, ButtonKind.ZOOM))
        )
        cell = tile(zoomed, 1)
        centre = cell.crop(
            (cell.width // 4, cell.height // 4, cell.width * 3 // 4, cell.height * 3 // 4)
        )
        assert difference(centre, solo) < difference(centre, unrelated)


async def _uploaded(channel: Channel, colour: str) -> Upload:
    return await channel.backend.upload(solid(colour), f"{colour}.png")


async def test_an_image_prompt_and_a_blend_show_the_users_pictures() -> None:
    async with Channel() as channel:
        url = await channel.backend.publish(solid("red"), "mine.png")
        grid = await picture(
            channel, await channel.send(command="imagine", prompt=f"{url} a boat")
        )
        red = Image.new("RGB", grid.size, "red")
        assert difference(red, grid) < 60  # mostly the user's red, a few shapes on top
        assert (
            difference(
                red, await picture(channel, await channel.send(command="imagine", prompt="a boat"))
            )
            > 60
        )

        images = (await _uploaded(channel, "blue"), await _uploaded(channel, "yellow"))
        blend = await picture(channel, await channel.send(command="blend", images=images))
        blue, yellow = Image.new("RGB", blend.size, "blue"), Image.new("RGB", blend.size, "yellow")
        half = Image.blend(blue, yellow, 0.5)
        assert difference(half, blend) < difference(blue, blend)
        assert difference(half, blend) < difference(yellow, blend)


async def test_describe_describes_the_picture_it_got() -> None:
    async with Channel() as channel:
        for colour, size, ratio in (("red", (60, 40), "3:2"), ("blue", (40, 40), "1:1")):
            image = await channel.backend.upload(solid(colour, size), "photo.png")
            await channel.send(command="describe", images=(image,))
            for _ in range(300):
                done = [
                    e
                    for e in channel.events
                    if isinstance(e, Completed) and e.kind.value == "describe"
                ]
                if done:
                    break
                await asyncio.sleep(0.01)
            (described,) = done
            channel.events.clear()
            assert all(colour in line for line in described.texts), described.texts
            assert all(f"--ar {ratio}" in line for line in described.texts)

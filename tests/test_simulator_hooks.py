"""The simulator's plug-in tables: a new behaviour is a module registering a handler."""

from typing import Any

import pytest

from bridge.simulator import MidjourneyModel, hooks


class _Channel:
    """Just enough Discord for the model's acks."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self._next = 0

    def new_id(self) -> str:
        self._next += 1
        return str(self._next)

    async def dispatch(self, event: str, data: dict[str, Any], *, audience: str = "all") -> None:
        self.events.append(event)


@pytest.fixture
def scratch_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BUTTONS", "MODALS", "COMMANDS"):
        monkeypatch.setattr(hooks, name, dict(getattr(hooks, name)))


def test_the_longest_prefix_wins() -> None:
    async def short(model: MidjourneyModel, turn: hooks.Turn) -> None: ...

    async def long(model: MidjourneyModel, turn: hooks.Turn) -> None: ...

    table = {"MJ::JOB::": short, "MJ::JOB::video_virtual_upscale::": long}
    assert hooks.by_prefix(table, "MJ::JOB::video_virtual_upscale::1::x") is long
    assert hooks.by_prefix(table, "MJ::JOB::upsample::1::x") is short
    assert hooks.by_prefix(table, "MJ::Inpaint::1::x") is None


@pytest.mark.usefixtures("scratch_tables")
def test_a_key_is_registered_once() -> None:
    @hooks.on_command("brandnew")
    async def first(model: MidjourneyModel, turn: hooks.Turn) -> None: ...

    with pytest.raises(ValueError, match="brandnew"):

        @hooks.on_command("brandnew")
        async def second(model: MidjourneyModel, turn: hooks.Turn) -> None: ...


@pytest.mark.usefixtures("scratch_tables")
async def test_a_registered_button_and_command_get_their_interactions() -> None:
    seen: list[tuple[str, str]] = []

    @hooks.on_button("MJ::Brand::New::")
    async def pressed(model: MidjourneyModel, turn: hooks.Turn) -> None:
        seen.append(("button", turn.custom_id))

    @hooks.on_command("brandnew")
    async def command(model: MidjourneyModel, turn: hooks.Turn) -> None:
        seen.append(("command", turn.nonce))

    model, channel = MidjourneyModel(step_delay=0), _Channel()
    button = {
        "type": 3,
        "nonce": "n1",
        "channel_id": "9",
        "data": {"custom_id": "MJ::Brand::New::1"},
    }
    command_payload = {"type": 2, "nonce": "n2", "channel_id": "9", "data": {"name": "brandnew"}}
    await model.on_interaction(button, channel)  # type: ignore[arg-type]
    await model.on_interaction(command_payload, channel)  # type: ignore[arg-type]
    assert seen == [("button", "MJ::Brand::New::1"), ("command", "n2")]
    assert channel.events.count("INTERACTION_SUCCESS") == 2

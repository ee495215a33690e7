"""The simulator backend driven as the dispatcher drives it, for tests of Midjourney's model."""

from __future__ import annotations

import asyncio
from typing import Any

from bridge.buttons import ButtonKind, classify
from bridge.interactions import Interaction
from bridge.messages import MjEvent
from bridge.simulator import MidjourneyModel, SimulatorBackend


class Channel:
    """The simulator backend with what it posted, parsed."""

    def __init__(self, **knobs: Any) -> None:
        self.model = MidjourneyModel(image_size=64, **{"step_delay": 0.001, **knobs})
        self.backend = SimulatorBackend(self.model)
        self.events: list[MjEvent] = []
        self._nonce = 0

    async def __aenter__(self) -> Channel:
        async def sink(event: MjEvent) -> None:
            self.events.append(event)

        await self.backend.start(sink)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.backend.aclose()

    async def send(self, **fields: Any) -> str:
        self._nonce += 1
        nonce = f"n{self._nonce}"
        await self.backend.submit(Interaction(nonce=nonce, **fields))
        return nonce

    async def result(self, nonce: str) -> dict[str, Any]:
        for _ in range(500):
            if nonce in self.model.results:
                return self.model.results[nonce]["message"]  # type: ignore[no-any-return]
            await asyncio.sleep(0.01)
        raise AssertionError("no result")

    def message(self, message_id: str) -> dict[str, Any]:
        return self.backend._messages[message_id]

    def custom_ids(self, message: dict[str, Any]) -> list[str]:
        return [
            c["custom_id"]
            for r in message["components"]
            for c in r["components"]
            if "custom_id" in c
        ]

    def press(self, message: dict[str, Any], kind: ButtonKind) -> dict[str, str]:
        for row in message["components"]:
            for component in row["components"]:
                found = classify(component.get("custom_id"), component.get("label") or "")
                if found.kind is kind:
                    return {"message_id": message["id"], "custom_id": component["custom_id"]}
        raise AssertionError(f"no {kind} button")

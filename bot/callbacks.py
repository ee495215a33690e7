"""Typed callback_data (aiogram's CallbackData is the model), checked against Telegram's limit.

Each kind of button is a frozen dataclass with a short prefix; `pack()` joins the prefix and
the fields with ":" and refuses anything over 64 bytes, the one place that limit is checked;
`unpack()` gives the dataclass back, or None for data of another kind (or an older format).
A handler matches its kind with `pattern()`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar, Final, Self

# Telegram's limit on InlineKeyboardButton.callback_data, in bytes (UTF-8).
MAX_BYTES: Final = 64
_SEPARATOR: Final = ":"


class CallbackDataTooLong(ValueError):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class CallbackData:
    """Subclasses set PREFIX and declare str fields; the last field may contain ":".

    Trailing fields left at their default are not packed (and unpack gives the default back).
    """

    PREFIX: ClassVar[str] = ""

    def pack(self) -> str:
        fields = dataclasses.fields(self)
        values = [str(getattr(self, f.name)) for f in fields]
        while fields and values and fields[len(values) - 1].default == values[-1]:
            values.pop()
        if any(_SEPARATOR in value for value in values[:-1]):
            raise ValueError(f"{_SEPARATOR!r} inside a field of {self!r}")
        data = _SEPARATOR.join([self.PREFIX, *values])
        if len(data.encode()) > MAX_BYTES:
            raise CallbackDataTooLong(f"{len(data.encode())} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        fields = dataclasses.fields(cls)
        head, _, rest = (data or "").partition(_SEPARATOR)
        if head != cls.PREFIX or not rest:
            return None
        values = rest.split(_SEPARATOR, len(fields) - 1)
        if any(f.default is dataclasses.MISSING for f in fields[len(values) :]):
            return None
        return cls(*values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        return re.compile(f"^{re.escape(cls.PREFIX)}{_SEPARATOR}")


@dataclasses.dataclass(frozen=True, slots=True)
class ResultButton(CallbackData):
    """A key under a result: a token that storage maps to the Midjourney button it stands for."""

    PREFIX: ClassVar[str] = "t"
    token: str


@dataclasses.dataclass(frozen=True, slots=True)
class SettingChoice(CallbackData):
    """A choice in /settings: the option's key and the value tapped ("" for reset)."""

    PREFIX: ClassVar[str] = "s"
    option: str
    value: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class CancelJob(CallbackData):
    """✖️ Cancel under a job's status message: the job's id."""

    PREFIX: ClassVar[str] = "x"
    job_id: str

"""bot/polling.py: the offset sent to Telegram never passes an update still being handled."""

from __future__ import annotations

from telegram import Update

from bot.polling import UpdateHold


def test_an_update_in_hand_holds_the_offset_and_is_not_handed_over_twice() -> None:
    hold = UpdateHold()
    first, second = Update(5), Update(6)
    assert hold.take([first, second]) == (first, second)
    # PTB asks past both; Telegram must still keep them until they are handled.
    assert hold.offset(7) == 5
    assert hold.take([first, second, Update(7)]) == (Update(7),)
    hold.done(5)
    assert hold.offset(8) == 6
    hold.done(6)
    hold.done(7)
    assert hold.offset(8) == 8
    assert hold.offset(None) is None

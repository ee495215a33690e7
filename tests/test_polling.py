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


def test_an_update_handled_behind_one_still_in_hand_is_not_handled_again() -> None:
    hold = UpdateHold()
    slow, quick = Update(5), Update(6)
    assert hold.take([slow, quick]) == (slow, quick)
    hold.done(6)  # a refusal: answered at once, and nothing of it is stored
    assert hold.offset(7) == 5
    # Telegram hands 6 over again, since the offset sent stays at the slow one.
    assert hold.take([slow, quick]) == ()
    hold.done(5)
    assert hold.offset(7) == 7
    assert hold.take([Update(7)]) == (Update(7),)

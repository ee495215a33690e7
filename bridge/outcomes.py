"""A run's wait for its outcome in its slot, and what the slot task does with it.

The timeout counts from the last news, not from the start: a slow but alive job is fine, a
silent one frees its slot. While it waits, the slot task also answers what Midjourney asks of
the run: its own forms (custom zoom, remix) and Vary (Region)'s editor. A result is recorded
(and charged) through bridge/journal.py; a result guessed onto the wrong job sends it back to
waiting; a Midjourney error that wants a person pauses the account.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bridge.correlation import Correlator
from bridge.errors import BridgeError, DiscordMaybeSent
from bridge.events import CancelOutcome, Failure
from bridge.inpaint import InpaintRefused
from bridge.interactions import Interaction, new_nonce
from bridge.journal import Journal
from bridge.messages import Completed, Failed, ModalOpened
from bridge.runs import Run
from bridge.slots import Slot

_log = logging.getLogger(__name__)

Pause = Callable[[str, str], Awaitable[None]]  # (reason, account name)


class Outcomes:
    def __init__(
        self, journal: Journal, correlator: Correlator, *, job_timeout: float, pause: Pause
    ) -> None:
        self._journal = journal
        self._correlator = correlator
        self.job_timeout = job_timeout
        self._pause = pause

    async def await_outcome(self, run: Run, slot: Slot) -> None:
        """Until the run's outcome is recorded (or its silence has failed it)."""
        journal = self._journal
        while True:
            if not await self._wait(run):
                await journal.fail(run.job_id, Failure.TIMEOUT, "")
                return
            outcome = run.outcome
            if isinstance(outcome, Completed):
                # Given back already when the result came in (bridge/intake.py), unless it
                # came before this task held the slot. Then one turn of the loop for the next
                # job's send to go out before this job's bookkeeping.
                slot.give_back()
                await asyncio.sleep(0)
                if await journal.succeed(run.job_id, outcome):
                    return
                # A guessed message that was another job's: this one is still at Midjourney.
                # Its slot may have gone to the next job, so the account runs one over its
                # concurrency until this one ends.
                slot.take_again()
                run.outcome = None
                run.track.open = True
            elif isinstance(outcome, Failed):
                await journal.fail(run.job_id, outcome.kind.value, outcome.reason)
                if outcome.kind.needs_account_action:
                    reason = f"{outcome.title}: {outcome.reason}".strip(": ")
                    await self._pause(reason, run.account.name)
                return
            else:
                assert outcome is not None
                await journal.fail(run.job_id, outcome, "")
                return

    async def _wait(self, run: Run) -> bool:
        """Until the run has an outcome (True), or no news for job_timeout (False)."""
        while run.outcome is None:
            if run.modal is not None:
                modal, run.modal = run.modal, None
                await self._submit_modal(run, modal)
                continue
            if run.iframe is not None:
                iframe, run.iframe = run.iframe, None
                try:
                    await self._journal.send_mask(
                        run.account.backend, run.job_id, iframe.custom_id
                    )
                except InpaintRefused as exc:
                    await self._journal.fail(run.job_id, Failure.INPAINT_REFUSED, exc.reason)
                    run.outcome = Failure.INPAINT_REFUSED
                continue
            run.news.clear()
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                # that lands together with the news, and the slot task would outlive stop().
                async with asyncio.timeout(self.job_timeout):
                    await run.news.wait()
            except TimeoutError:
                return False
        return True

    async def _submit_modal(self, run: Run, modal: ModalOpened) -> None:
        """Fill in the form Midjourney opened (custom zoom, remix) and send it."""
        nonce = new_nonce()
        job = await self._journal.update(run.job_id, nonce=nonce)
        self._correlator.set_nonce(run.track, nonce)
        text = job.modal_text or job.prompt
        interaction = Interaction(
            nonce=nonce,
            custom_id=modal.custom_id,
            modal_id=modal.interaction_id,
            fields=tuple((field_id, text) for field_id in modal.field_ids[:1]),
        )
        try:
            await run.account.backend.submit(interaction)
        except DiscordMaybeSent:
            _log.warning("modal submit maybe sent; waiting", extra={"job_id": run.job_id})
        except BridgeError as exc:
            _log.warning("modal submit refused", extra={"job_id": run.job_id, "error": str(exc)})
            run.settle(Failure.DISCORD_REJECTED)

    async def cancel(self, run: Run) -> CancelOutcome:
        """Stop a running job at Midjourney: press the Cancel Job button of its progress
        message. Settled as cancelled here, or left to the outcome that came first."""
        if run.cancel is None:
            return CancelOutcome.NOT_NOW
        message_id, custom_id, flags = run.cancel
        run.cancelling = True
        interaction = Interaction(
            nonce=new_nonce(), message_id=message_id, custom_id=custom_id, message_flags=flags
        )
        try:
            await run.account.backend.submit(interaction)
        except DiscordMaybeSent:
            _log.warning("cancel maybe sent; taken as sent", extra={"job_id": run.job_id})
        except BridgeError as exc:
            run.cancelling = False
            # A finished job's progress message is deleted: Discord knows it no more.
            if run.outcome is not None:
                return CancelOutcome.FINISHED
            _log.warning("cancel refused", extra={"job_id": run.job_id, "error": str(exc)})
            return CancelOutcome.NOT_NOW
        if run.outcome is Failure.CANCELLED:  # Midjourney's "(Stopped)" came first
            return CancelOutcome.CANCELLED
        if run.outcome is not None:  # its result came while the press was on its way
            return CancelOutcome.FINISHED
        # Settled here, not on Midjourney's answer to the press, which nobody has recorded.
        run.settle(Failure.CANCELLED)
        return CancelOutcome.CANCELLED

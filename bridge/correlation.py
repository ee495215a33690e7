"""Which job a Midjourney message belongs to: pure bookkeeping, no I/O, no clock.

Messages come from two gateway sessions, the listener bot's and the user account's, so most of
them arrive twice, and the copies may differ in what they show: Discord does not promise other
applications a message's `nonce` or `interaction_metadata`. Each copy is offered here; one that
is applied is remembered (`applied`), and a later copy of the same state is a duplicate.

Keys, most reliable first:
1. the nonce we sent, echoed on Midjourney's first reply (the user session always sees it);
2. the interaction id, from Discord's ack or a message's interaction_metadata;
3. the message id of a message already bound (edits, deletes);
4. `message_reference`: a result that answers a message bound to a job (a grid answering its
   progress message), or a derived job's result answering the message whose button was pressed;
5. the job hash (the uuid in attachment names, custom_ids and the job's web link);
6. only as the last resort, the prompt, among the open jobs of the message's channel, including
   jobs that an ack already bound. Two jobs of the same prompt are `Ambiguous`: the caller
   waits a moment for a copy that carries a key, then takes the oldest.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from hashlib import blake2b

from bridge.messages import Completed, Failed, MessageRef, MjEvent, Progress, Started
from bridge.prompts import prompt_key

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DISCORD_EPOCH_MS = 1_420_070_400_000
_FINISHED_MEMORY = 5000
_SEEN_MEMORY = 5000

JobMessage = Started | Progress | Completed | Failed


def snowflake_time(snowflake: str) -> datetime | None:
    """When Discord made an id (milliseconds since 2015 in its top bits); None if not one."""
    if not snowflake.isdigit():
        return None
    return datetime.fromtimestamp(((int(snowflake) >> 22) + _DISCORD_EPOCH_MS) / 1000, UTC)


def hash_of(event: JobMessage) -> str | None:
    """The Midjourney job uuid a message names: its result's, or its progress preview's or
    Cancel Job button's (progress messages name the job they report on)."""
    if isinstance(event, Completed):
        return event.job_hash
    names: list[str] = []
    preview = getattr(event, "preview", None)
    if preview is not None:
        names.append(preview.filename)
    # Buttons of a progress message are its own job's (Cancel Job); a failure's name none.
    if not isinstance(event, Failed):
        names.extend(button.custom_id for button in getattr(event, "buttons", ()))
    for name in names:
        if (found := _UUID.search(name.lower())) is not None:
            return found.group(0)
    return None


@dataclass(eq=False)
class Track:
    """What is known of one job at Midjourney."""

    job_id: int
    prompt_key: str
    channel_id: str | None = None  # the account's channel; None: any
    target_message_id: str | None = None  # the message whose button made this job
    custom_id: str | None = None
    nonce: str | None = None
    since: datetime | None = None  # when the job was made (to match late results)
    # A button that opens a modal, then the modal's submit: each is an interaction of its own.
    interaction_ids: list[str] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)
    job_hash: str | None = None
    open: bool = True  # no outcome yet


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """Only the prompt points at a job, and it points at several."""

    job_ids: tuple[int, ...]


class Correlator:
    def __init__(self) -> None:
        self._tracks: dict[int, Track] = {}
        self._by_nonce: dict[str, Track] = {}
        self._by_interaction: dict[str, Track] = {}
        self._by_message: dict[str, Track] = {}
        self._by_hash: dict[str, Track] = {}
        # Ids of finished jobs' messages: Midjourney edits a finished grid later (e.g. a used
        # button changes colour), and such an edit must not be guessed onto another job.
        # The value tells a result (True) from a progress message or interaction (False).
        self._finished: OrderedDict[str, bool] = OrderedDict()
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    # -- jobs ----------------------------------------------------------------------------

    def track(
        self,
        job_id: int,
        *,
        prompt: str,
        channel_id: str | None = None,
        target_message_id: str | None = None,
        custom_id: str | None = None,
        nonce: str | None = None,
        since: datetime | None = None,
    ) -> Track:
        track = Track(
            job_id=job_id,
            prompt_key=prompt_key(prompt),
            channel_id=channel_id,
            target_message_id=target_message_id,
            custom_id=custom_id,
            nonce=nonce,
            since=since,
        )
        self._tracks[job_id] = track
        if nonce:
            self._by_nonce[nonce] = track
        return track

    def get(self, job_id: int) -> Track | None:
        return self._tracks.get(job_id)

    def set_nonce(self, track: Track, nonce: str) -> None:
        """A new interaction of the same job (a modal's submit) answers to a new nonce."""
        if track.nonce:
            self._by_nonce.pop(track.nonce, None)
        track.nonce = nonce
        self._by_nonce[nonce] = track

    def bind(self, track: Track, ref: MessageRef, job_hash: str | None = None) -> None:
        """What identifies this message now identifies the job too."""
        if ref.interaction_id and ref.interaction_id not in track.interaction_ids:
            track.interaction_ids.append(ref.interaction_id)
            self._by_interaction.setdefault(ref.interaction_id, track)
        if ref.message_id and ref.message_id not in track.message_ids:
            track.message_ids.add(ref.message_id)
            self._by_message.setdefault(ref.message_id, track)
        if job_hash and track.job_hash is None:
            track.job_hash = job_hash
            self._by_hash.setdefault(job_hash, track)

    def release(self, job_id: int, result_message_id: str | None = None) -> None:
        """Forget a finished job; remember its ids so that later edits are nobody's."""
        track = self._tracks.pop(job_id, None)
        if track is None:
            return
        if track.nonce and self._by_nonce.get(track.nonce) is track:
            del self._by_nonce[track.nonce]
        if track.job_hash and self._by_hash.get(track.job_hash) is track:
            del self._by_hash[track.job_hash]
        for interaction_id in track.interaction_ids:
            if self._by_interaction.get(interaction_id) is track:
                del self._by_interaction[interaction_id]
            self._finished[interaction_id] = False
        for message_id in track.message_ids:
            if self._by_message.get(message_id) is track:
                del self._by_message[message_id]
            self._finished[message_id] = message_id == result_message_id
        while len(self._finished) > _FINISHED_MEMORY:
            self._finished.popitem(last=False)

    # -- copies of one message -----------------------------------------------------------

    @staticmethod
    def _fingerprint(event: MjEvent) -> bytes:
        """A digest of the message state: 16 bytes remembered instead of the whole event (its
        buttons, pictures and prompt: 6 MiB of RSS for _SEEN_MEMORY of them, README
        "Performance"). Two states that differ never share a 128-bit digest in practice."""
        if isinstance(event, Started | Progress | Completed | Failed):
            # The fields one session may be shown and the other not are left out.
            ref = event.ref
            bare = MessageRef(ref.message_id, ref.channel_id, reference_id=ref.reference_id)
            event = replace(event, ref=bare)
        # Deletes, and what only the user session sees, are taken whole.
        return blake2b(repr(event).encode(), digest_size=16).digest()

    def duplicate(self, event: MjEvent) -> bool:
        """A copy of a message state already applied (the other session's copy, a replay)."""
        return self._fingerprint(event) in self._seen

    def applied(self, event: MjEvent) -> None:
        self._seen[self._fingerprint(event)] = None
        while len(self._seen) > _SEEN_MEMORY:
            self._seen.popitem(last=False)

    # -- matching ------------------------------------------------------------------------

    def for_nonce(self, nonce: str | None) -> Track | None:
        """The open job an interaction dispatch (ack, form, editor) is about, by its nonce."""
        track = self._by_nonce.get(nonce or "")
        return track if track is not None and track.open else None

    def is_progress(self, message_id: str) -> bool:
        """A message of a job still running, or a finished job's progress message."""
        return message_id in self._by_message or self._finished.get(message_id) is False

    def match(
        self, event: JobMessage, *, guess: bool = True, oldest: bool = False
    ) -> Track | Ambiguous | None:
        """The job this message is about, or None.

        `guess=False` (reading old history) trusts keys only. `oldest=True` settles an
        ambiguity by taking the oldest job (after waiting for a better copy in vain).
        """
        ref = event.ref
        for index, key in (
            (self._by_nonce, ref.nonce),
            (self._by_interaction, ref.interaction_id),
            (self._by_message, ref.message_id),
        ):
            if key and (track := index.get(key)) is not None:
                return track
        if ref.message_id in self._finished or (ref.interaction_id or "") in self._finished:
            return None
        answered = self._by_message.get(ref.reference_id or "")
        if answered is not None and answered.open and isinstance(event, Completed | Failed):
            return answered  # the result of the job whose progress message it answers
        job_hash = hash_of(event)
        if job_hash and (track := self._by_hash.get(job_hash)) is not None and track.open:
            return track
        if not guess:
            return None
        candidates = self._by_target(event) or self._by_prompt(event)
        if not candidates:
            return None
        if len(candidates) == 1 or oldest:
            return min(candidates, key=lambda track: track.job_id)
        return Ambiguous(tuple(sorted(track.job_id for track in candidates)))

    def _open(self, event: JobMessage) -> list[Track]:
        channel = event.ref.channel_id
        tracks = [t for t in self._tracks.values() if t.open and t.channel_id in (None, channel)]
        if isinstance(event, Started | Progress):
            # A job's first reply is its only new progress message: one bound has had it.
            tracks = [track for track in tracks if not track.message_ids]
        return tracks

    def _by_target(self, event: JobMessage) -> list[Track]:
        """Derived jobs made by a button of the message this one answers."""
        reference = event.ref.reference_id
        if not reference:
            return []
        candidates = [t for t in self._open(event) if t.target_message_id == reference]
        index = event.index if isinstance(event, Completed) else None
        if index is not None and len(candidates) > 1:
            needle = f"::{index}::"
            candidates = [track for track in candidates if needle in (track.custom_id or "")]
        return candidates

    def _by_prompt(self, event: JobMessage) -> list[Track]:
        if event.prompt is None:
            return []
        key = prompt_key(event.prompt)
        return [track for track in self._open(event) if track.prompt_key == key]

    def late_result(
        self, track: Track, events: Iterable[MjEvent | None]
    ) -> Completed | Failed | None:
        """A result of the job's prompt, posted after the job was made, that nobody else has:
        the only trace of a job sent just before a stop and finished meanwhile (the reply
        that echoed its nonce is deleted once the result is posted)."""
        for event in events:
            if not isinstance(event, Completed | Failed) or event.prompt is None:
                continue
            message_id = event.ref.message_id
            if message_id in self._by_message or message_id in self._finished:
                continue
            posted = snowflake_time(message_id)
            if (
                posted is not None
                and track.since is not None
                and posted >= track.since
                and prompt_key(event.prompt) == track.prompt_key
            ):
                return event
        return None

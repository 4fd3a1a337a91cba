"""OKX's answers to subscribe and unsubscribe requests, gathered into one outcome per
request.

OKX's v5 WebSocket documentation answers ``{"op": "subscribe", "args": [...], "id": ...}``
with one event per channel, ``{"event": "subscribe", "arg": {"channel": ..., "instId":
...}, "id": ..., "connId": ...}`` (``arg`` is one channel, not the request's list), and a
failure with ``{"event": "error", "code": "60018", "msg": "...", "id": ..., "connId":
...}``, which carries no ``arg``: the refused channel is named in OKX's words alone. The
``id`` is the client's, echoed back only when the request carried one.

The core resolves a request with the first :class:`~aioca.stream.Reply` carrying its id
and ignores later ones, so a request of several channels must not be settled by its
first acceptance: a refusal of a later channel would then be ignored, and that channel
listed as subscribed and never served. :class:`Answers` therefore counts the channels of
every request it was told of (:meth:`Answers.expect`) and settles the request once every
channel is accepted, or at its first error, naming the channels not accepted.

Whatever answers no request awaited is never dropped silently: an error whose request is
settled, an error without an id, and OKX's ``notice`` events (but 64008) become a
:class:`~aioca.stream.Notice` (a WARNING log, ``stats.notices``, an
:class:`~aioca.stream.ExchangeNotice` event). An error without an id fails no request,
not even the only one awaited: nothing ties it to that request (aioca's requests all
carry an id), and a protocol cannot tell which connection a frame came on, so the
request it would fail may be another connection's (whose own answer would then be
ignored, and its connection dropped for want of one), or the subscription of a
connection being renewed (whose failure would end the stream). A request whose answer
never comes ends with the core's reply timeout. Acceptances of a settled request, or of
a channel the request did not hold, signal nothing wrong and are ignored (logged at
DEBUG).

OKX's ``notice`` 64008 (``{"event": "notice", "code": "64008", "msg": "The connection will
soon be closed for a service upgrade. Please reconnect.", "connId": ...}``) comes before a
service upgrade closes the connection (30 s before, 60 s on the ``/business`` endpoint),
and OKX advises connecting again before then: it is a :class:`~aioca.stream.Rotate`, the
core's move to a new connection while the old one still delivers (:func:`notice`).

A request is remembered for as long as the core may wait for its answer, and no longer
(requests of a connection lost meanwhile are never answered): the requests of one call
are made at once but sent one by one, each once the one before it is answered, so the
one with ``queued`` requests before it is forgotten ``queued + 2`` reply timeouts (and
sending pauses) after it was made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aioca.stream import Notice, Reply, Rotate

__all__ = ["SERVICE_UPGRADE", "Answers", "notice"]

logger = logging.getLogger("aioca.okx")

_clock = time.monotonic  # tests move it to expire requests
SERVICE_UPGRADE = "64008"
"""The code of OKX's notice that the connection closes soon for a service upgrade."""


@dataclass(slots=True)
class _Awaited:
    """A request whose outcome is not known yet."""

    op: str
    topics: tuple[str, ...]
    waiting: dict[str, None]
    """Its channels OKX has not accepted yet, in the request's order."""
    until: float
    """When the core has stopped waiting for its answer, whatever happened."""


class Answers:
    """The requests of one protocol awaiting OKX's answers (ids are unique across its
    connections). A request is forgotten once settled, or once the core stopped waiting
    for it: ``reply_timeout`` is how long the core waits for each answer (the stream's
    ``connect_timeout``) and ``pace`` the pause before each send (one over its
    ``messages_per_second``), so that requests never answered (a connection lost
    meanwhile) do not pile up, and none is forgotten while its answer may still come."""

    def __init__(self, reply_timeout: float, pace: float = 0.0) -> None:
        self.reply_timeout = reply_timeout
        self.pace = pace
        self._awaited: dict[str, _Awaited] = {}

    def __len__(self) -> int:
        """How many requests are remembered as awaiting answers."""
        return len(self._awaited)

    def expect(self, request_id: str, op: str, topics: Sequence[str], queued: int = 0) -> None:
        """Note a request about to be sent: ``op`` of ``topics``, with ``queued`` requests
        of the same call to be sent (and answered) before it."""
        now = _clock()
        self._forget_expired(now)
        waiting = dict.fromkeys(topics)
        sent_by = now + (queued + 1) * self.pace + queued * self.reply_timeout
        until = sent_by + 2 * self.reply_timeout  # one timeout of margin
        self._awaited[request_id] = _Awaited(op, tuple(waiting), waiting, until)

    def event(self, data: dict[str, Any]) -> Reply | Notice | Rotate | None:
        """What OKX's event ``data`` (a frame with an ``event`` key) means to the core."""
        kind = data.get("event")
        raw = data.get("id")
        number = str(raw) if raw not in (None, "") else None
        if kind == "error":
            return self._error(number, f"[{data.get('code')}] {data.get('msg')}")
        if kind in ("subscribe", "unsubscribe"):
            return self._accepted(str(kind), number, data.get("arg"))
        if kind == "notice":
            return notice(data)
        logger.debug("OKX event %r ignored", kind)
        return None

    def _accepted(self, op: str, number: str | None, arg: Any) -> Reply | None:
        awaited = self._awaited.get(number) if number else None
        if awaited is None or number is None:
            logger.debug("OKX accepted %s of %r for no awaited request (id %s)", op, arg, number)
            return None
        topic = _topic(arg)
        if op != awaited.op or topic not in awaited.waiting:
            logger.debug("OKX accepted %s of %r, not part of request %s", op, arg, number)
            return None
        del awaited.waiting[topic]
        if awaited.waiting:
            return None
        del self._awaited[number]
        return Reply(number, None)

    def _error(self, number: str | None, words: str) -> Reply | Notice:
        if number is None:
            return Notice(f"OKX error without a request id (it fails no request): {words}")
        awaited = self._awaited.pop(number, None)
        if awaited is not None:
            return Reply(number, _refusal(number, awaited, words))
        return Notice(f"OKX error for request {number}, settled or given up already: {words}")

    def _forget_expired(self, now: float) -> None:
        stale = [number for number, awaited in self._awaited.items() if awaited.until < now]
        for number in stale:
            del self._awaited[number]


def notice(data: dict[str, Any]) -> Rotate | Notice:
    """OKX's ``notice`` event ``data``: its service upgrade (64008) is a
    :class:`~aioca.stream.Rotate` (the connection ends soon: move to a new one now); any
    other is a :class:`~aioca.stream.Notice`, told but not acted on."""
    words = f"OKX notice [{data.get('code')}] {data.get('msg')}"
    if str(data.get("code")) == SERVICE_UPGRADE:
        return Rotate(words)
    return Notice(words)


def _topic(arg: Any) -> str | None:
    if not isinstance(arg, dict):
        return None
    return f"{arg.get('channel', '')}:{arg.get('instId', '')}"


def _refusal(number: str, awaited: _Awaited, words: str) -> str:
    """The caller's error: OKX's words, and which channels of the request OKX had not
    accepted (OKX's error names no channel but in its words) and had accepted."""
    text = (
        f"OKX refused {awaited.op} request {number}: {words}; not accepted: "
        f"{', '.join(awaited.waiting)}"
    )
    accepted = [topic for topic in awaited.topics if topic not in awaited.waiting]
    if accepted:
        text += f"; accepted before the refusal: {', '.join(accepted)}"
    return text

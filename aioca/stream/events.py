"""What a stream tells its consumer besides the data: gaps, and the events behind them.

A :class:`Gap` is *yielded* by the stream, in order with the messages, every time the
stream cannot promise that nothing was missed between the message before it and the
message after it: the connection dropped or stalled, the buffer overflowed, a rotation
could not find its overlap, or the exchange's own sequence numbers jumped. A consumer that
keeps state (an order book, positions) resyncs when it sees one. Nothing is ever lost
silently: every gap is also counted in :class:`StreamStats` and passed to the stream's
event listeners.

The other events (:class:`Connected`, :class:`ConnectFailed`, :class:`Disconnected`,
:class:`Draining`, :class:`Rotated`, :class:`Resubscribed`, :class:`ExchangeNotice`) are
only passed to listeners (``stream.add_listener(callback)``) and counted: they are news
about the transport, not about the data. :class:`ConnectFailed` is what tells "cannot
connect" from "a quiet market": a stream that never connected has no gap to yield, but
every failed attempt is an event and a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ConnectFailed",
    "Connected",
    "Disconnected",
    "Draining",
    "ExchangeNotice",
    "Gap",
    "GapReason",
    "Resubscribed",
    "Rotated",
    "StreamEvent",
    "StreamStats",
]


class GapReason(StrEnum):
    """Why continuity was lost."""

    DISCONNECTED = "disconnected"
    """The connection closed, failed or stalled; messages sent meanwhile are gone."""
    OVERFLOW = "overflow"
    """The consumer was slower than the exchange and the buffer dropped messages."""
    ROTATION = "rotation"
    """A planned connection switch ended without proof that the two connections overlapped."""
    SEQUENCE = "sequence"
    """The exchange's own sequence numbers jumped (detected by a plugin)."""
    SESSION = "session"
    """The exchange ended the session behind the stream (an expired listen key, a token)."""


class StreamEvent:
    """Base of everything a stream reports about itself."""

    __slots__ = ()


@dataclass(slots=True)
class Gap(StreamEvent):
    """Continuity of ``topics`` cannot be guaranteed at this point of the stream.

    ``reason`` says why, ``detail`` in words; ``dropped`` is the number of messages the
    buffer discarded (overflow only; it grows while the consumer is still behind).
    """

    reason: GapReason
    topics: tuple[str, ...] = ()
    detail: str = ""
    dropped: int = 0

    def __str__(self) -> str:
        what = f"{len(self.topics)} topics" if len(self.topics) > 3 else ", ".join(self.topics)
        extra = f", {self.dropped} dropped" if self.dropped else ""
        why = f": {self.detail}" if self.detail else ""
        return f"gap ({self.reason.value}{extra}) in {what or 'the stream'}{why}"


@dataclass(slots=True)
class Connected(StreamEvent):
    """A connection is open and subscribed to ``topics`` (``attempt`` 1 for a first try)."""

    url: str
    topics: tuple[str, ...]
    attempt: int = 1


@dataclass(slots=True)
class ConnectFailed(StreamEvent):
    """An attempt to open a connection to ``url`` for ``topics`` failed with ``error``
    (``url`` is the last one tried: empty when no attempt got as far as its URL, a
    protocol's ``prepare`` failing first).

    ``attempt`` counts the failed attempts in a row (1 for the first); ``retry_in`` is
    the pause in seconds before the next one, ``None`` when the stream gives up (a
    :class:`~aioca.stream.ConnectFailedError` follows, raised to the consumer).
    ``successor`` is ``True`` for the successor of a rotation: the old connection still
    serves the topics, and the rotation is tried again after ``retry_in``.
    """

    url: str
    topics: tuple[str, ...]
    error: BaseException
    attempt: int = 1
    retry_in: float | None = None
    successor: bool = False

    def __str__(self) -> str:
        then = "giving up" if self.retry_in is None else f"retry in {self.retry_in:.2f} s"
        return f"connection attempt {self.attempt} to {self.url} failed ({self.error!r}); {then}"


@dataclass(slots=True)
class Disconnected(StreamEvent):
    """A connection ended; ``error`` says how (``None`` for a clean close by us)."""

    url: str
    topics: tuple[str, ...]
    error: BaseException | None = None


@dataclass(slots=True)
class Draining(StreamEvent):
    """The exchange announced that the connection to ``url`` ends soon (``detail``
    says how); the stream rotates to a successor at once (a :class:`Rotated` follows)."""

    url: str
    topics: tuple[str, ...]
    detail: str = ""


@dataclass(slots=True)
class Rotated(StreamEvent):
    """A planned switch to a fresh connection finished; ``duplicates`` messages received on
    both connections were dropped, and ``gap`` says whether continuity was kept."""

    topics: tuple[str, ...]
    duplicates: int = 0
    gap: bool = False


@dataclass(slots=True)
class Resubscribed(StreamEvent):
    """The connection to ``url`` unsubscribed and subscribed ``topics`` again, and stayed
    open (:meth:`~aioca.stream.Stream.resubscribe`: a fresh snapshot for a consumer out of
    step, without a new connection)."""

    url: str
    topics: tuple[str, ...]


@dataclass(slots=True)
class ExchangeNotice(StreamEvent):
    """The exchange said something on the connection to ``url`` that answers no request
    the stream waits for (an error without a request id, or one that came after its
    request was settled: a protocol's :class:`~aioca.stream.Notice`). Nothing acts on it,
    so it is logged (WARNING), counted in :attr:`StreamStats.notices` and passed to the
    listeners instead of being dropped. ``detail`` is the exchange's words as the
    protocol gave them (a protocol never puts a secret there)."""

    url: str
    topics: tuple[str, ...]
    detail: str = ""


@dataclass(slots=True)
class StreamStats:
    """Counters of one stream, for dashboards and tests (all since the stream opened)."""

    received: int = 0
    """Data messages received from the exchange (duplicates and dropped ones included)."""
    delivered: int = 0
    """Data messages handed to the consumer."""
    dropped: int = 0
    """Messages the buffer discarded because the consumer was behind."""
    duplicates: int = 0
    """Messages received twice during a rotation and delivered once."""
    gaps: int = 0
    connects: int = 0
    """Connections opened (first ones, reconnections and rotations)."""
    reconnects: int = 0
    """Connections opened to replace one that failed."""
    connect_failures: int = 0
    """Connection attempts that failed (each also a :class:`ConnectFailed` event): growing
    while ``connects`` does not is a stream that cannot connect, not a quiet one."""
    rotations: int = 0
    resubscribes: int = 0
    """Connections that subscribed topics afresh in place (each also a
    :class:`Resubscribed` event)."""
    notices: int = 0
    """What the exchange said that answered no awaited request (each also an
    :class:`ExchangeNotice` event and a WARNING log)."""
    gap_reasons: dict[str, int] = field(default_factory=dict)

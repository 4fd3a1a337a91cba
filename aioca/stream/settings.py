"""How a stream behaves: small frozen value objects, checked when built.

The defaults suit a typical exchange WebSocket; a plugin passes its exchange's documented
numbers (connection lifetime, streams per connection, messages per second), and a user
can override any of them with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Backoff", "OverflowPolicy", "StreamSettings"]

OverflowPolicy = Literal["drop_oldest", "block"]
"""What a full buffer does with the next message (see :class:`StreamSettings`)."""


def _positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Pauses between reconnection attempts: exponential with full jitter.

    Attempt ``n`` (1 for the first retry) waits a random time between ``minimum`` and
    ``min(maximum, initial * factor ** (n - 1))`` seconds, so that many clients cut off at
    once do not come back at once. After a connection stayed up ``reset_after`` seconds
    the count starts again.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    minimum: float = 0.05
    reset_after: float = 60.0

    def __post_init__(self) -> None:
        for name in ("initial", "maximum", "factor", "reset_after"):
            _positive(name, getattr(self, name))
        if self.minimum < 0 or self.minimum > self.maximum:
            raise ValueError(f"minimum must be in [0, maximum], not {self.minimum!r}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...)."""
        ceiling = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        ceiling = max(ceiling, self.minimum)
        return (rng or random).uniform(self.minimum, ceiling)


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """Everything a stream's connections are held to.

    Liveness: after ``heartbeat`` seconds without a frame the client pings, and a
    connection with no frame (not even the pong) ``1.5 * heartbeat`` seconds after the
    last one is dead: a stall is detected within ``1.5 * heartbeat`` seconds of the last
    frame, to the event loop's scheduling (the core's own watchdog, which aiohttp's
    rounding of long timers up to the whole second does not touch; it looks every eighth
    of a heartbeat, so a silent connection may end up to that much sooner, never later;
    ``None`` relies on ``idle_timeout`` alone). For a
    protocol with a ``ping_text``, ``ping_interval`` seconds without a frame send it,
    and as long again without an answer ends the connection.
    ``idle_timeout`` reconnects when no frame at all arrived for that long (``None``: quiet
    streams are fine). ``connect_timeout`` bounds the handshake and each subscription.

    Giving up: a connection that cannot be opened is retried after a ``backoff`` pause,
    for ever by default, each failed attempt a :class:`~aioca.stream.ConnectFailed` event
    and a count in ``stats.connect_failures``. ``max_attempts`` ends the stream with a
    :class:`~aioca.stream.ConnectFailedError` (raised to the consumer) after that many
    failed attempts in a row; ``max_downtime`` after a failed attempt that ends that many
    seconds or more after the connection was lost (or first sought): the pauses are
    shortened so that an attempt starts at that moment, so the error comes at most
    ``connect_timeout`` (and the connection limiter's wait) later.

    Lifetime: ``max_lifetime`` is how long the exchange keeps a connection; the stream
    opens a successor ``rotation_margin`` seconds before, subscribes it, and switches when
    both connections delivered the same message (``overlap_timeout`` bounds the wait).

    Limits: ``max_topics_per_connection`` (more topics are split across connections),
    ``messages_per_second`` the client may send on one connection (subscriptions are
    paced, never refused), ``topics_per_message`` in one subscribe request.

    Buffer: at most ``buffer_size`` messages wait for the consumer. When it is full,
    ``overflow="drop_oldest"`` discards the oldest message and puts a
    :class:`~aioca.stream.Gap` (reason ``overflow``, with the count) in its place: the
    consumer sees fresh data and knows what it missed. ``overflow="block"`` stops reading
    the socket until there is room: nothing is dropped by the client, but an exchange that
    tires of waiting closes the connection, which shows up as a ``disconnected`` gap.
    """

    heartbeat: float | None = 10.0
    idle_timeout: float | None = None
    ping_interval: float = 20.0
    connect_timeout: float = 10.0
    max_lifetime: float | None = None
    rotation_margin: float = 600.0
    overlap_timeout: float = 10.0
    max_topics_per_connection: int = 1024
    messages_per_second: float | None = None
    topics_per_message: int = 200
    buffer_size: int = 10_000
    overflow: OverflowPolicy = "drop_oldest"
    max_message_size: int = 16 * 1024 * 1024
    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int | None = None
    max_downtime: float | None = None

    def __post_init__(self) -> None:
        _positive("heartbeat", self.heartbeat, allow_none=True)
        _positive("idle_timeout", self.idle_timeout, allow_none=True)
        _positive("connect_timeout", self.connect_timeout)
        _positive("ping_interval", self.ping_interval)
        _positive("max_lifetime", self.max_lifetime, allow_none=True)
        _positive("overlap_timeout", self.overlap_timeout)
        _positive("messages_per_second", self.messages_per_second, allow_none=True)
        _positive("max_downtime", self.max_downtime, allow_none=True)
        attempts = self.max_attempts
        if attempts is not None and (
            isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1
        ):
            raise ValueError(f"max_attempts must be a whole number >= 1 or None, not {attempts!r}")
        if self.rotation_margin < 0:
            raise ValueError(f"rotation_margin must be >= 0 seconds, not {self.rotation_margin!r}")
        for name in ("max_topics_per_connection", "topics_per_message", "buffer_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
        if self.overflow not in ("drop_oldest", "block"):
            raise ValueError(f"overflow must be 'drop_oldest' or 'block', not {self.overflow!r}")

    @property
    def rotate_after(self) -> float | None:
        """Seconds after a connection opened at which its successor is started."""
        if self.max_lifetime is None:
            return None
        return max(self.max_lifetime - self.rotation_margin, self.max_lifetime / 2)

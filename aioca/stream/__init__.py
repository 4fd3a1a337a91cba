"""Streams: an exchange's WebSocket data as typed messages that do not die silently.

A :class:`Stream` is an async iterator, opened with ``async with``, of an exchange's
messages and of :class:`Gap` events wherever continuity was lost. Plugins implement a
:class:`StreamProtocol` (URLs, subscribe requests, parsing); the core keeps the
connections alive (heartbeats, reconnection with backoff and jitter, resubscription,
rotation before the exchange's connection lifetime ends), bounds the buffer with an
explicit overflow policy, and respects the exchange's connection and message limits.
"""

from __future__ import annotations

from .core import Listener, Stream
from .errors import (
    ConnectFailedError,
    HandshakeFailedError,
    HandshakeRefusedError,
    StreamClosedError,
    StreamError,
    SubscriptionError,
)
from .events import (
    Connected,
    ConnectFailed,
    Disconnected,
    Draining,
    ExchangeNotice,
    Gap,
    GapReason,
    Resubscribed,
    Rotated,
    StreamEvent,
    StreamStats,
)
from .limiter import ConnectionLimiter
from .protocol import Frame, Notice, Reply, Request, Restart, Rotate, StreamProtocol
from .settings import Backoff, OverflowPolicy, StreamSettings
from .sync import NextMessage

__all__ = [
    "Backoff",
    "ConnectFailed",
    "ConnectFailedError",
    "Connected",
    "ConnectionLimiter",
    "Disconnected",
    "Draining",
    "ExchangeNotice",
    "Frame",
    "Gap",
    "GapReason",
    "HandshakeFailedError",
    "HandshakeRefusedError",
    "Listener",
    "NextMessage",
    "Notice",
    "OverflowPolicy",
    "Reply",
    "Request",
    "Restart",
    "Resubscribed",
    "Rotate",
    "Rotated",
    "Stream",
    "StreamClosedError",
    "StreamError",
    "StreamEvent",
    "StreamProtocol",
    "StreamSettings",
    "StreamStats",
    "SubscriptionError",
]

"""The exchange's side of a stream: what a plugin implements.

The core knows how to keep connections alive; a :class:`StreamProtocol` knows the
exchange: which URL carries which topics, how to ask for more, and what a frame means.
``parse`` is called for every frame, so it should be quick: decode the JSON once and build
the message the consumer gets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .events import GapReason
from .settings import StreamSettings

if TYPE_CHECKING:
    import aiohttp

    from ..ratelimit import RateLimiter
    from .limiter import ConnectionLimiter

__all__ = ["Frame", "Notice", "Reply", "Request", "Restart", "Rotate", "StreamProtocol"]

MessageT = TypeVar("MessageT")


class Frame(NamedTuple, Generic[MessageT]):
    """A data message and the topic it belongs to."""

    topic: str
    message: MessageT


class Reply(NamedTuple):
    """The exchange's answer to the request numbered ``request_id``: ``error`` is ``None``
    when it was accepted, else the exchange's words."""

    request_id: int | str
    error: str | None = None


class Notice(NamedTuple):
    """Something the exchange said that answers no request the stream waits for (an
    error without a request id, a refusal after its request was settled): the core logs
    it at WARNING with the connection's URL, counts it in ``stats.notices`` and passes an
    :class:`~aioca.stream.ExchangeNotice` to the listeners, so that it is never dropped
    silently. ``detail`` is shown as it is: it must hold no secret."""

    detail: str


class Restart(NamedTuple):
    """The exchange ended the session behind the connection (an expired token): the core
    closes the connection, yields a gap with ``reason``, and connects again (calling
    :meth:`StreamProtocol.prepare` first, which gets a fresh token)."""

    reason: GapReason
    detail: str


class Rotate(NamedTuple):
    """The exchange announced that it will end the connection soon (a server about to
    shut down): the core opens a successor at once and switches to it as in a planned
    rotation (no gap when the two connections overlap; a gap when they cannot)."""

    detail: str


class Request(NamedTuple):
    """A message to send: ``payload`` (text, or an object sent as JSON) and the id its
    reply will carry (``None`` when the exchange sends none)."""

    payload: Any
    request_id: int | str | None = None


class StreamProtocol(ABC, Generic[MessageT]):
    """An exchange's stream endpoint. Subclass it in a plugin.

    ``settings`` are the exchange's numbers (lifetime, topics per connection, message
    rate); ``connection_limiter``, when set, is charged ``{"CONNECTIONS": 1}`` before every
    connection attempt (share one between the streams of one IP): a
    :class:`~aioca.stream.ConnectionLimiter`, a sliding window that no span of its length
    ever holds more than its limit, or a :class:`~aioca.RateLimiter`, whose windows are
    clock-aligned (twice its limit can pass within moments across a boundary, unless its
    window is sized for that).
    """

    settings: StreamSettings = StreamSettings()
    connection_limiter: ConnectionLimiter | RateLimiter | None = None
    ping_text: str | None = None
    """A text the exchange answers to prove the connection alive (``"ping"``), for
    exchanges that want one besides WebSocket pings: sent after
    ``settings.ping_interval`` seconds without a frame; no frame for as long again
    ends the connection."""

    message_type: type[tuple[Any, ...]] | None = None
    """A tuple type (a ``NamedTuple``) whose first item is the message's topic: ``parse``
    may return an instance of it instead of a :class:`Frame`, and the core delivers it as
    it is (one tuple less to build per message, for exchanges whose messages carry their
    topic anyway)."""

    def check_topics(self, topics: Sequence[str]) -> None:
        """Raise :class:`~aioca.stream.SubscriptionError` naming every topic the
        exchange would refuse, before anything is sent. The default accepts all."""

    def group_of(self, topic: str) -> str:
        """Topics of different groups never share a connection (an exchange that serves
        kinds of streams at different URLs). One group by default."""
        return ""

    def attach(self, stream: Any) -> None:
        """Called once when a :class:`~aioca.stream.Stream` opens with this protocol (a
        protocol with background work, a token to keep alive, starts it here and may
        call ``stream.restart()`` when the token is lost)."""

    async def close(self) -> None:
        """Called when the stream closes: stop any background work."""

    async def prepare(self, session: aiohttp.ClientSession, group: str) -> None:
        """Called before every connection attempt of ``group``: get or refresh a token.
        An exception here counts as a failed attempt (retried with backoff)."""

    @abstractmethod
    def url(self, group: str, topics: Sequence[str]) -> str:
        """The URL of a new connection for ``topics`` of ``group``; it may subscribe
        some of them itself (see :meth:`topics_in_url`)."""

    def shown_url(self, url: str) -> str:
        """``url`` as logs, events and errors show it. The URL itself by default; a
        protocol whose URLs carry a secret (a session key in the path) returns it with the
        secret masked, so that no log line, :class:`~aioca.stream.ConnectFailed` event or
        :class:`~aioca.stream.ConnectFailedError` message ever holds it."""
        return url

    def topics_in_url(self, group: str, topics: Sequence[str]) -> Iterable[str]:
        """Which of ``topics`` the URL of :meth:`url` already subscribes. None by default."""
        return ()

    def subscribe(self, topics: Sequence[str]) -> Sequence[Request]:
        """The requests that add ``topics`` to an open connection."""
        return ()

    def unsubscribe(self, topics: Sequence[str]) -> Sequence[Request]:
        """The requests that remove ``topics`` from an open connection."""
        return ()

    def overlap_key(self, text: str) -> str:
        """What a rotation compares to find the frames two connections both delivered:
        the text itself by default (an exchange sends the same text on every connection).
        A protocol whose frames carry something of their connection (a subscription
        number) returns the text without it. Called only while a rotation runs."""
        return text

    @abstractmethod
    def parse(
        self, text: str
    ) -> Frame[MessageT] | MessageT | Reply | Restart | Rotate | Notice | None:
        """What a text frame is: data (:class:`Frame`, or a plain ``(topic, message)``
        tuple, which is cheaper to make, or an instance of :attr:`message_type`, which
        is cheaper still), a :class:`Reply`, a :class:`Restart`, a :class:`Rotate`, a
        :class:`Notice`, or ``None`` for a frame to ignore. An exception is a protocol
        error: the connection is dropped and reopened (with a gap)."""

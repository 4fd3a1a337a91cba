"""The stream's exceptions, under :class:`aioca.AiocaError`.

::

    AiocaError
    └── StreamError                         a stream cannot go on
        ├── SubscriptionError (ValueError)  topics refused, before or by the exchange
        ├── ConnectFailedError              no connection within the settings' limits
        ├── HandshakeRefusedError           the server refused the handshake for good (4xx)
        ├── HandshakeFailedError            a handshake answered 5xx, 408, 418 or 429
        └── StreamClosedError               the stream was used after it was closed

Transient failures (a dropped connection, a stall, a refused handshake with HTTP 5xx or
429: a :class:`HandshakeFailedError`) are not raised: the stream reconnects, yields a
:class:`~aioca.stream.Gap` and tells its listeners of every failed attempt
(:class:`~aioca.stream.ConnectFailed`), until the optional limits
``StreamSettings.max_attempts`` / ``max_downtime`` run out: then
:class:`ConnectFailedError` ends the stream.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import AiocaError

__all__ = [
    "ConnectFailedError",
    "HandshakeFailedError",
    "HandshakeRefusedError",
    "StreamClosedError",
    "StreamError",
    "SubscriptionError",
]


class StreamError(AiocaError):
    """A stream cannot go on: the exchange refused the connection for good (an HTTP 4xx
    handshake other than 429), or a subscription, or the stream was misused."""


class SubscriptionError(StreamError, ValueError):
    """Topics the exchange does not know or refused; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class HandshakeRefusedError(StreamError):
    """The server refused the WebSocket handshake with a status that retrying cannot fix
    (an HTTP 4xx other than 408, 418 and 429): it ends the stream, raised to the consumer.
    Its text has the status and the server's words, never the URL (a session's URL may
    carry its key)."""


class HandshakeFailedError(StreamError):
    """The server answered the WebSocket handshake with a status worth retrying (5xx,
    408, 418, 429): retried with backoff, so a consumer sees it only as the ``error`` of a
    :class:`~aioca.stream.ConnectFailed` event, or as the ``last_error`` of the
    :class:`ConnectFailedError` that ends a stream with ``max_attempts`` or
    ``max_downtime``. Aioca's own, not aiohttp's, whose text holds the URL."""


class StreamClosedError(StreamError):
    """A closed stream was subscribed to, or reopened."""


class ConnectFailedError(StreamError):
    """The stream gave up connecting: ``attempts`` failed in a row, over ``downtime``
    seconds without a connection, to ``url``; the last attempt's error is the
    ``__cause__`` (and ``last_error``). Raised only when ``StreamSettings.max_attempts``
    or ``max_downtime`` is set (by default a stream retries for ever)."""

    def __init__(self, url: str, attempts: int, downtime: float, last_error: BaseException):
        self.url = url
        self.attempts = attempts
        self.downtime = downtime
        self.last_error = last_error
        super().__init__(
            f"could not connect to {url}: {attempts} attempts in a row failed over "
            f"{downtime:.1f} s without a connection; the last: {last_error!r}"
        )

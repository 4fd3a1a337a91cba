"""One WebSocket connection of a stream: the handshake, paced sending, replies, reading.

A :class:`Link` reads its socket in a task of its own, with a *pump* its owner gives it
(the owner's loop receives, parses and buffers each frame in one step: the link keeps
what ended the connection); it never reconnects by itself (the
:class:`~aioca.stream.shard.Shard` decides).

Its liveness is the core's own *watchdog*, not aiohttp's heartbeat: aiohttp rounds its
heartbeat timers up to the whole second when they are longer than its connector's
``timeout_ceil_threshold`` (5 s by default), which made a stall at the default 10 s
heartbeat take up to 17 s to detect, not the documented 15 s. The pump marks that a frame
arrived (pings and pongs included: the link answers pings itself), and the watchdog,
which looks every eighth of a heartbeat, pings after ``heartbeat`` seconds of silence and
ends the connection once ``1.5 * heartbeat`` passed since the last frame, whatever
session the stream was given. A mark, not a time: reading the clock for every frame cost
about 7 % of a message's time here (``time.monotonic`` is a system call on some
virtual machines); the watchdog credits a marked frame to its previous look, which is
never later than the frame, so the silence it measures is never shorter than the true
one: the bound holds, and a silent connection ends at most an eighth of a heartbeat early.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .errors import HandshakeFailedError, HandshakeRefusedError, SubscriptionError
from .settings import StreamSettings

__all__ = ["Link", "Pacer", "open_link"]

_sleep = asyncio.sleep  # tests patch it to see the pauses
_now = time.monotonic  # the watchdog's clock and sleep: a test runs them on a fake clock
_wait = asyncio.sleep
_LOOKS = 8
"""How often per heartbeat the watchdog looks for a frame."""


class Pacer:
    """At most ``rate`` sends per second on one connection, spaced evenly (an exchange
    counts them per second and drops a connection that goes over)."""

    __slots__ = ("_interval", "_next")

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        delay = self._next - now
        self._next = max(now, self._next) + self._interval
        if delay > 0:
            await _sleep(delay)


class Link:
    """An open connection: its socket, its reader task and the replies awaited on it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, url: str, rate: float | None) -> None:
        self.ws = ws
        self.url = url
        self.opened_at = time.monotonic()
        self.pacer = Pacer(rate)
        self.replies: dict[int | str, asyncio.Future[str | None]] = {}
        self.reader: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.ended = asyncio.get_running_loop().create_future()
        self.restart: Any = None
        """A :class:`~aioca.stream.Restart` the exchange asked for, if any."""
        self.draining = asyncio.get_running_loop().create_future()
        """Done once the exchange announced that it ends this connection soon (a
        :class:`~aioca.stream.Rotate`): the shard rotates to a successor at once."""
        self.fresh = False
        """A frame arrived (any: data, ping, pong) since the watchdog last looked: set by
        the pump, cleared by the watchdog."""
        self.heard = _now()
        """The watchdog's estimate of when the last frame arrived: never later than it."""
        self.paused = False
        """The pump waits for room in the buffer (overflow ``block``): the silence is the
        consumer's, not the peer's, and the watchdog does not count it."""
        self.watchdog: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None

    async def send(self, payload: Any) -> None:
        await self.pacer.wait()
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        await self.ws.send_str(text)

    async def request(self, payload: Any, request_id: int | str | None, timeout: float) -> None:
        """Send ``payload`` and, when it has an id, wait for the reply to it."""
        if request_id is None:
            await self.send(payload)
            return
        reply = asyncio.get_running_loop().create_future()
        self.replies[request_id] = reply
        try:
            await self.send(payload)
            async with asyncio.timeout(timeout):
                error = await asyncio.shield(reply)
        finally:
            self.replies.pop(request_id, None)
        if error is not None:
            raise SubscriptionError([error])

    def answer(self, request_id: int | str, error: str | None) -> None:
        reply = self.replies.get(request_id)
        if reply is not None and not reply.done():
            reply.set_result(error)

    def start_reading(
        self,
        pump: Callable[[Link, float | None, tuple[str, float] | None], Awaitable[None]],
        idle_timeout: float | None,
        ping: tuple[str, float] | None = None,
        heartbeat: float | None = None,
    ) -> None:
        """Read the socket in a task: ``pump(link, idle_timeout, ping)`` receives the
        frames (with :meth:`receive`), notes when each arrived in :attr:`heard`, answers
        pings (:meth:`answer_ping`) and handles the rest until :meth:`ended_by` says the
        connection ended; whatever it raises is the connection's error. With
        ``heartbeat``, a watchdog ends a connection silent for ``1.5 * heartbeat``."""
        loop = asyncio.get_running_loop()
        self.reader = loop.create_task(self._read(pump, idle_timeout, ping))
        if heartbeat is not None:
            self.watchdog = loop.create_task(self._watch(heartbeat))

    async def _watch(self, heartbeat: float) -> None:
        """Ping after ``heartbeat`` seconds without a frame; end the connection (with a
        ``TimeoutError``) once ``1.5 * heartbeat`` seconds passed since the last frame,
        the pong included. Looks every ``heartbeat / 8`` seconds: a frame marked since the
        previous look is credited to that look (see the module docstring)."""
        limit = 1.5 * heartbeat
        step = heartbeat / _LOOKS
        slack = step * 1e-6  # float sums of steps: 12 * 0.025 is a hair under 0.3
        pinged = None  # the estimate of the last frame a ping was sent for
        looked = self.heard
        while True:
            await _wait(looked + step - _now())
            now = _now()
            if self.paused:  # the consumer is behind (overflow "block"), not the peer
                self.heard = now
            elif self.fresh:
                self.heard = looked  # the frame came after the previous look
            self.fresh = False
            looked = now
            quiet = now - self.heard
            if quiet >= limit - slack:
                break
            if quiet >= heartbeat - slack and pinged != self.heard:
                pinged = self.heard
                # Bounded: a peer that stopped reading can hold a send for ever.
                with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError, RuntimeError):
                    async with asyncio.timeout(max(limit - quiet, 0.0)):
                        await self.ws.ping()
        if self.error is None:
            self.error = TimeoutError(f"no frame for {limit:g} s, not even a pong to a ping")
        if self.reader is not None:
            self.reader.cancel()

    async def answer_ping(self, message: aiohttp.WSMessage) -> None:
        """Answer the peer's ping (aiohttp's autoping is off: the link sees every pong)."""
        await self.ws.pong(message.data)

    async def receive(
        self, idle_timeout: float | None, ping: tuple[str, float] | None
    ) -> aiohttp.WSMessage:
        """The next frame; with ``ping``, its text is sent after its interval of silence,
        and a second interval of silence is a dead connection."""
        if ping is None:
            return await self.ws.receive(timeout=idle_timeout)
        text, interval = ping
        try:
            return await self.ws.receive(timeout=interval)
        except TimeoutError:
            await self.send(text)
        try:
            return await self.ws.receive(timeout=interval)
        except TimeoutError:
            raise TimeoutError(f"no answer to {text!r} within {interval} s") from None

    def ended_by(self, message: aiohttp.WSMessage) -> None:
        """Note why a frame that is neither text nor binary (a close, an error) ended
        the connection; the pump returns after it."""
        if message.type is aiohttp.WSMsgType.ERROR:
            self.error = message.data
        elif self.error is None and self.restart is None:
            code = self.ws.close_code
            self.error = ConnectionResetError(f"the server closed the stream ({code})")

    async def _read(
        self,
        pump: Callable[[Link, float | None, tuple[str, float] | None], Awaitable[None]],
        idle_timeout: float | None,
        ping: tuple[str, float] | None,
    ) -> None:
        try:
            await pump(self, idle_timeout, ping)
        except asyncio.CancelledError:
            raise
        except TimeoutError as exc:
            self.error = exc if ping else TimeoutError(f"no frame for {idle_timeout} s")
        except Exception as exc:  # a protocol error from parse(), a socket error
            self.error = exc
        finally:
            watchdog = self.watchdog
            if watchdog is not None and watchdog is not asyncio.current_task():
                watchdog.cancel()
            for reply in self.replies.values():
                if not reply.done():
                    reply.set_exception(ConnectionResetError("the connection ended"))
            if not self.ended.done():
                self.ended.set_result(None)

    async def close(self) -> None:
        """Close the socket (waiting at most 2 s for the server's answer); idempotent.

        The closing runs in a task of its own and a caller cancelled meanwhile gets its
        ``CancelledError`` at once, while the socket is still closed: neither a stream's
        close nor its worker may swallow a cancellation (``asyncio.wait_for`` does on
        Python 3.11 when the awaited close ends in the same loop turn), and no socket is
        left half-closed."""
        closer = self._closer
        if closer is None:
            closer = self._closer = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(closer)

    async def _close(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        reader = self.reader
        if reader is not None and not reader.done():
            reader.cancel()
        try:
            with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError, RuntimeError):
                async with asyncio.timeout(2.0):
                    await self.ws.close()
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)
        finally:
            if not self.ended.done():
                self.ended.set_result(None)

    @property
    def age(self) -> float:
        return time.monotonic() - self.opened_at


async def open_link(
    session: aiohttp.ClientSession,
    url: str,
    settings: StreamSettings,
    proxy: str | None,
    shown_url: str | None = None,
) -> Link:
    """Connect to ``url``; an HTTP 4xx other than 408, 418 or 429 is final (raised). The
    link is known by ``shown_url`` (the URL with any secret masked) where given."""
    try:
        async with asyncio.timeout(settings.connect_timeout):
            ws = await session.ws_connect(
                url,
                heartbeat=None,  # the link's watchdog: see the module docstring
                autoping=False,  # pongs reach the pump, which notes them and answers pings
                max_msg_size=settings.max_message_size,
                proxy=proxy,
            )
    except aiohttp.WSServerHandshakeError as exc:
        # Not aiohttp's error itself: its text and repr hold the URL, which may carry a
        # session key (the retried ones are logged).
        if 400 <= exc.status < 500 and exc.status not in (408, 418, 429):
            raise HandshakeRefusedError(
                f"the server refused the stream with HTTP {exc.status}: {exc.message}"
            ) from None
        raise HandshakeFailedError(
            f"the server answered the handshake with HTTP {exc.status}: {exc.message}"
        ) from None
    return Link(ws, shown_url or url, settings.messages_per_second)

"""A shard: the topics one connection carries, kept alive for as long as the stream is open.

Its worker task connects (waiting for the connection limiter), subscribes, and serves the
connection until it ends; then it yields a ``disconnected`` gap and connects again after
a backoff pause. Before the exchange's connection lifetime runs out it *rotates*: it opens
a successor, subscribes it, and switches topic by topic once both connections delivered
the same message, so that nothing is lost and nothing is delivered twice:

* the old connection keeps delivering; every frame it delivers is remembered (its text);
* the successor's frames wait, per topic; when one of them is a frame the old connection
  already delivered, every frame before it is a duplicate too, the topic switches to the
  successor and the frames after it are delivered from there;
* once every topic switched, or after ``overlap_timeout``, the old connection closes. A
  topic whose successor frames never met the old ones gets a ``rotation`` gap before them;
  a topic quiet on both connections needs none.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiohttp

from .. import errors
from .connection import HandshakeRefusedError, Link, open_link
from .errors import StreamError, SubscriptionError
from .events import Connected, Disconnected, Gap, GapReason, Rotated
from .protocol import Frame, Reply, Restart

if TYPE_CHECKING:
    from .core import Stream

__all__ = ["Shard"]

logger = logging.getLogger("aioca.stream")
_sleep = asyncio.sleep
_RETRYABLE = (
    aiohttp.ClientError,
    OSError,
    TimeoutError,
    ConnectionError,
    StreamError,
    # a token fetched over REST in prepare(): transient failures of the exchange
    errors.NetworkError,
    errors.ExchangeServerError,
    errors.RateLimitError,
)


class _Rotation:
    """The state of one switch from ``old`` to ``new``."""

    __slots__ = ("delivered", "duplicates", "new", "old", "pending", "switched")

    def __init__(self, old: Link, new: Link) -> None:
        self.old = old
        self.new = new
        self.delivered: dict[str, set[str]] = {}
        self.pending: dict[str, list[tuple[str, Any]]] = {}
        self.switched: set[str] = set()
        self.duplicates = 0


class Shard:
    """Up to ``max_topics_per_connection`` topics of one group on one connection."""

    def __init__(self, stream: Stream[Any], group: str, topics: Iterable[str] = ()) -> None:
        self.stream = stream
        self.group = group
        self.topics: set[str] = set(topics)
        self.link: Link | None = None
        self.rotation: _Rotation | None = None
        self.worker: asyncio.Task[None] | None = None
        self.closing = False
        self._random = random.Random()
        self._wake: asyncio.Future[None] | None = None
        self._closing: set[asyncio.Task[Any]] = set()
        self._parse = stream.protocol.parse
        self._stats = stream.stats
        self._deliver = stream.deliver
        self._buffer = stream._buffer

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        self.worker = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self.closing = True
        worker = self.worker
        if worker is not None and not worker.done():
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        for link in self._links():
            await link.close()
        self.link = None
        self.rotation = None

    def _links(self) -> list[Link]:
        links = [self.link] if self.link is not None else []
        if self.rotation is not None and self.rotation.new is not self.link:
            links.append(self.rotation.new)
        return links

    # --- subscriptions while open --------------------------------------------------------

    async def add(self, topics: list[str]) -> None:
        """Subscribe ``topics`` on the live connections; a connection that is down gets
        them when it reconnects (it subscribes every topic of the shard)."""
        self.topics.update(topics)
        for link in self._links():
            if link.ended.done():
                continue
            try:
                await self._subscribe(link, topics)
            except SubscriptionError:
                self.topics.difference_update(topics)
                raise
            except _RETRYABLE as exc:  # it just failed: the reconnection subscribes them
                logger.debug("subscribe on a failing connection %s: %r", link.url, exc)

    async def remove(self, topics: list[str]) -> None:
        self.topics.difference_update(topics)
        protocol = self.stream.protocol
        for link in self._links():
            if link.ended.done():
                continue  # a reconnection subscribes only what is left
            for request in protocol.unsubscribe(topics):
                try:
                    await link.request(
                        request.payload, request.request_id, self.stream.settings.connect_timeout
                    )
                except (SubscriptionError, *_RETRYABLE) as exc:
                    logger.debug("unsubscribe failed on %s: %r", link.url, exc)

    async def _subscribe(self, link: Link, topics: list[str]) -> None:
        timeout = self.stream.settings.connect_timeout
        for request in self.stream.protocol.subscribe(topics):
            await link.request(request.payload, request.request_id, timeout)

    # --- the worker ----------------------------------------------------------------------

    async def _run(self) -> None:
        """The worker; whatever it fails with ends the stream with that error (raised to
        the consumer), never a silent death of the connection."""
        try:
            await self._connect_forever()
        except Exception as exc:  # cancellation (a BaseException) passes through
            logger.warning("a stream connection ended the stream: %r", exc)
            self.stream.fail(exc)

    async def _connect_forever(self) -> None:
        stream = self.stream
        settings = stream.settings
        attempt = 0
        ever_connected = False
        while not self.closing and self.topics:
            try:
                link = await self._open(successor=False)
            except HandshakeRefusedError as exc:
                stream.fail(exc)
                return
            except SubscriptionError as exc:
                stream.fail(exc)
                return
            except _RETRYABLE as exc:
                attempt += 1
                delay = settings.backoff.delay(attempt, self._random)
                logger.info("stream connection failed (%r); retry %d in %.2fs", exc, attempt, delay)
                await _sleep(delay)
                continue
            stream.stats.connects += 1
            if ever_connected:
                stream.stats.reconnects += 1
            ever_connected = True
            stream.emit(Connected(link.url, tuple(sorted(self.topics)), attempt + 1))
            self.link = link
            await self._serve(link)
            if self.closing:
                return
            link = self.link or link  # a rotation may have replaced it
            await link.close()  # release the socket whatever ended it
            error = link.error
            stream.emit(Disconnected(link.url, tuple(sorted(self.topics)), error))
            if link.restart is not None:
                reason, detail = link.restart.reason, link.restart.detail
            else:
                reason, detail = GapReason.DISCONNECTED, f"connection lost: {error!r}"
            if self.topics:
                stream.gap(Gap(reason, tuple(sorted(self.topics)), detail))
            if link.age >= settings.backoff.reset_after or link.restart is not None:
                attempt = 0
            attempt += 1
            await _sleep(settings.backoff.delay(attempt, self._random))

    async def _open(self, *, successor: bool) -> Link:
        stream = self.stream
        protocol = stream.protocol
        limiter = protocol.connection_limiter
        if limiter is not None:
            await limiter.acquire({"CONNECTIONS": 1})
        session = stream.session
        await protocol.prepare(session, self.group)
        topics = sorted(self.topics)
        url = protocol.url(self.group, topics)
        link = await open_link(session, url, stream.settings, stream.proxy)
        if successor:
            assert self.rotation is not None
            self.rotation.new = link
        else:
            self.link = link
        try:
            ping = (
                (protocol.ping_text, stream.settings.ping_interval) if protocol.ping_text else None
            )
            link.start_reading(self._on_text, stream.settings.idle_timeout, ping)
            in_url = set(protocol.topics_in_url(self.group, topics))
            rest = [topic for topic in topics if topic not in in_url]
            if rest:
                await self._subscribe(link, rest)
            late = sorted(self.topics.difference(topics))  # added while we connected
            if late:
                await self._subscribe(link, late)
            if link.ended.done():
                raise link.error or ConnectionResetError("the connection ended at once")
        except BaseException:
            await link.close()
            raise
        return link

    async def _serve(self, link: Link) -> None:
        """Serve ``link`` until it ends, rotating it before its lifetime runs out."""
        rotate_after = self.stream.settings.rotate_after
        while True:
            if rotate_after is None:
                await link.ended
                return
            remaining = rotate_after - link.age
            if remaining > 0:
                try:
                    async with asyncio.timeout(remaining):
                        await asyncio.shield(link.ended)
                    return
                except TimeoutError:
                    pass
            if link.ended.done():
                return
            successor = await self._rotate(link)
            if successor is None:  # could not open one now: try again a little later
                try:
                    async with asyncio.timeout(self.stream.settings.overlap_timeout):
                        await asyncio.shield(link.ended)
                    return
                except TimeoutError:
                    continue
            link = successor

    async def _rotate(self, old: Link) -> Link | None:
        stream = self.stream
        try:
            new = await self._open_successor(old)
        except (SubscriptionError, HandshakeRefusedError, *_RETRYABLE) as exc:
            logger.info("stream rotation could not open a successor: %r", exc)
            return None
        stream.stats.connects += 1
        rotation = self.rotation
        assert rotation is not None
        stream.emit(Connected(new.url, tuple(sorted(self.topics)), 1))
        try:
            async with asyncio.timeout(stream.settings.overlap_timeout):
                while not self._all_switched(rotation) and not old.ended.done():
                    done = asyncio.get_running_loop().create_future()
                    self._wake = done
                    await asyncio.wait([done, old.ended, new.ended], return_when="FIRST_COMPLETED")
                    if new.ended.done():
                        break
        except TimeoutError:
            pass
        finally:
            self._wake = None
        if new.ended.done():  # the successor died: keep the old one, try again later
            self.rotation = None
            await new.close()
            return None
        self._finish_rotation(rotation, old_failed=old.ended.done())
        self.link = new
        await old.close()
        stream.stats.rotations += 1
        return new

    async def _open_successor(self, old: Link) -> Link:
        """Open and subscribe a successor: its frames wait (see the module docstring)."""
        self.rotation = _Rotation(old, old)  # ``new`` is set by _open, before any frame
        try:
            return await self._open(successor=True)
        except BaseException:
            self.rotation = None
            raise

    def _all_switched(self, rotation: _Rotation) -> bool:
        return self.topics <= rotation.switched

    def _finish_rotation(self, rotation: _Rotation, *, old_failed: bool) -> None:
        stream = self.stream
        gapped: list[str] = []
        for topic in sorted(self.topics - rotation.switched):
            pending = rotation.pending.get(topic, [])
            if pending or old_failed:
                gapped.append(topic)
        if gapped:
            reason = GapReason.DISCONNECTED if old_failed else GapReason.ROTATION
            detail = (
                "the old connection failed during a rotation"
                if old_failed
                else ("the two connections delivered no common message within the overlap")
            )
            stream.gap(Gap(reason, tuple(gapped), detail))
        for topic in gapped:
            for _text, message in rotation.pending.get(topic, []):
                stream.deliver(message)
        stream.stats.duplicates += rotation.duplicates
        stream.emit(Rotated(tuple(sorted(self.topics)), rotation.duplicates, bool(gapped)))
        self.rotation = None

    # --- frames ------------------------------------------------------------------------

    def _on_text(self, link: Link, text: str) -> Any:
        """Every frame of every connection: kept short, it runs once per message."""
        parsed = self._parse(text)
        if parsed is None:
            return None
        kind = type(parsed)
        if kind is not tuple and kind is not Frame:
            return self._control(link, parsed)
        topic, message = parsed
        if topic not in self.topics:
            return None  # unsubscribed meanwhile
        self._stats.received += 1
        if self.rotation is not None:
            return self._on_rotating(link, text, topic, message)
        if link is not self.link:
            return None
        buffer = self._buffer
        items = buffer.items
        if len(items) < buffer.size - 1:  # room to spare: the buffer's fast path, inline
            items.append(message)
            getter = buffer.getter
            if getter is not None:
                buffer.getter = None
                if not getter.done():
                    getter.set_result(None)
            return None
        return self._deliver(message)

    def _on_rotating(self, link: Link, text: str, topic: str, message: Any) -> Any:
        stream = self.stream
        rotation = self.rotation
        assert rotation is not None
        if link is rotation.old:
            if topic in rotation.switched:
                return None  # the successor delivers this topic now
            rotation.delivered.setdefault(topic, set()).add(text)
            return stream.deliver(message)
        if link is not rotation.new:
            return None
        if topic in rotation.switched:
            return stream.deliver(message)
        if text in rotation.delivered.get(topic, ()):
            rotation.switched.add(topic)
            rotation.duplicates += 1 + len(rotation.pending.pop(topic, ()))
            rotation.delivered.pop(topic, None)
            wake = self._wake
            if wake is not None and not wake.done():
                wake.set_result(None)
            return None
        rotation.pending.setdefault(topic, []).append((text, message))
        return None

    def restart(self, restart: Restart) -> None:
        """End the current connections as if the exchange had asked (see :class:`Restart`)."""
        for link in self._links():
            self._control(link, restart)

    def _control(self, link: Link, parsed: Any) -> None:
        if isinstance(parsed, Reply):
            link.answer(parsed.request_id, parsed.error)
        elif isinstance(parsed, Restart):
            link.restart = parsed
            link.error = None
            closing = asyncio.get_running_loop().create_task(link.ws.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        return None

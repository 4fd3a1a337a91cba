"""A shard: the topics one connection carries, kept alive for as long as the stream is open.

Its worker task connects (waiting for the connection limiter), subscribes, and serves the
connection until it ends; then it yields a ``disconnected`` gap and connects again after
a backoff pause. Before the exchange's connection lifetime runs out it *rotates*: it opens
a successor, subscribes it, and switches topic by topic once both connections delivered
the same message, so that nothing is lost and nothing is delivered twice.

The two connections are read by two tasks, and which one the event loop serves first is
arbitrary: either may be several messages ahead of the other when their first common
message shows up. So each topic's overlap is found from both sides:

* the old connection keeps delivering, and every frame it delivers is remembered, in order
  (its text: an exchange sends the same text on every connection; a protocol's
  ``overlap_key`` leaves out what differs by connection);
* the successor's frames wait. When one of them is a frame the old connection already
  delivered, the old one is ahead (or level): the frames the old one delivered *after* it
  are what the successor still has to repeat, and are dropped when it does;
* when the old connection delivers a frame that is waiting from the successor, the
  successor is ahead: the waiting frames after it are delivered at once;
* either way the topic then switches: the successor delivers it, and waiting frames before
  the common one (a snapshot the successor got on subscribing) are dropped;
* once every topic switched and the successor repeated what it owed, or after
  ``overlap_timeout``, the old connection closes. A topic whose successor frames never met
  the old ones gets a ``rotation`` gap before them (a ``disconnected`` gap when the old
  connection failed first); a topic quiet on both connections needs none. A successor
  that repeats something else than the old connection delivered, or not within the
  overlap, is a ``rotation`` gap too; one that fails after some topics switched to it is
  a ``disconnected`` gap for those whose messages it had not delivered yet.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import types
from collections import deque
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

import aiohttp

from .. import errors
from .connection import Link, open_link
from .errors import ConnectFailedError, HandshakeRefusedError, StreamError, SubscriptionError
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
)
from .protocol import Frame, Notice, Reply, Request, Restart, Rotate

if TYPE_CHECKING:
    from .core import Stream

__all__ = ["Shard"]

logger = logging.getLogger("aioca.stream")
_sleep = asyncio.sleep
_clock = time.monotonic  # tests patch both to run the backoff on a fake clock
_HAND_OVER = 128
"""A reader that woke the waiting consumer lets it run once this many messages wait: what
is in flight between them stays small (in the CPU's cache, and freed before the garbage
collector's youngest generation fills up, 700 allocations, so it never has to walk it).
Measured with ``benchmarks/streams.py``: 64 or 256 cost 3-5 % more CPU per message, and
never handing over (the whole socket read buffered first) 7 %."""
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


@types.coroutine
def _yield() -> Generator[None, None, None]:
    """One turn of the event loop (``asyncio.sleep(0)`` without its checks)."""
    yield


class _Overlap:
    """One topic during a rotation (see the module docstring)."""

    __slots__ = ("old", "old_at", "owed", "pending", "pending_at", "relayed", "repeat", "switched")

    def __init__(self) -> None:
        self.switched = False
        self.old: list[str] = []
        """Texts the old connection delivered, in order (until the switch)."""
        self.old_at: dict[str, int] = {}
        """Where each of them first is in ``old``."""
        self.pending: list[tuple[str, Any]] = []
        """The successor's frames waiting for the overlap (until the switch)."""
        self.pending_at: dict[str, int] = {}
        self.repeat: deque[str] = deque()
        """After the switch: what the old connection delivered that the successor has not
        repeated yet (it is dropped when it comes)."""
        self.owed: set[str] = set()
        """After the switch: frames the old connection dropped that the successor has not
        delivered yet (lost if it fails now)."""
        self.relayed: set[str] = set()
        """After the switch: frames the successor delivered that the old connection has not
        sent yet (duplicates to come if the old connection is kept)."""


class _Rotation:
    """The state of one switch from ``old`` to ``new``."""

    __slots__ = ("duplicates", "new", "old", "topics")

    def __init__(self, old: Link, new: Link) -> None:
        self.old = old
        self.new = new
        self.topics: dict[str, _Overlap] = {}
        self.duplicates = 0

    def overlap(self, topic: str) -> _Overlap:
        overlap = self.topics.get(topic)
        if overlap is None:
            overlap = self.topics[topic] = _Overlap()
        return overlap

    def settled(self, topics: Iterable[str]) -> bool:
        """Every topic switched, and the successor repeated all it owed."""
        states = self.topics
        for topic in topics:
            overlap = states.get(topic)
            if overlap is None or not overlap.switched or overlap.repeat:
                return False
        return True

    def catching_up(self) -> bool:
        """Some topic switched and waits for the successor to repeat what the old
        connection delivered (that needs only the successor)."""
        return any(overlap.switched and overlap.repeat for overlap in self.topics.values())


class Shard:
    """Up to ``max_topics_per_connection`` topics of one group on one connection."""

    def __init__(self, stream: Stream[Any], group: str, topics: Iterable[str] = ()) -> None:
        self.stream = stream
        self.group = group
        self.topics: set[str] = set(topics)
        self.link: Link | None = None
        self.url = ""
        """The URL of the last connection attempt as shown (any secret masked: the protocol's
        ``shown_url``), empty before the first."""
        self.rotation: _Rotation | None = None
        self.worker: asyncio.Task[None] | None = None
        self.closing = False
        self._random = random.Random()
        self._wake: asyncio.Future[None] | None = None
        self._closing: set[asyncio.Task[Any]] = set()
        self._opening: list[tuple[frozenset[str], asyncio.Future[None]]] = []
        """The connections being opened: the topics each subscribes, and a future done
        when it is up (or failed). Topics added meanwhile are not among them: the
        :meth:`add` that adds them waits, then subscribes them on the new connection."""
        self._opened: set[Link] = set()
        """Every connection opened and not closed yet: :meth:`close` closes them all, also
        one whose closing a cancellation interrupted."""
        self._parse = stream.protocol.parse
        self._overlap_key = stream.protocol.overlap_key
        self._stats = stream.stats
        self._deliver = stream.deliver
        self._buffer = stream._buffer
        self._items = stream._buffer.items
        self._roomy = stream._buffer.size - 1
        """Below this many buffered items a message is appended inline (no overflow)."""
        self._message_type = stream.protocol.message_type

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        self.worker = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        self.closing = True
        worker = self.worker
        if worker is not None and not worker.done():
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        for link in [*self._links(), *self._opened]:
            await self._release(link)
        self.link = None
        self.rotation = None

    async def _release(self, link: Link) -> None:
        await link.close()
        self._opened.discard(link)

    def _links(self) -> list[Link]:
        links = [self.link] if self.link is not None else []
        if self.rotation is not None and self.rotation.new is not self.link:
            links.append(self.rotation.new)
        return links

    # --- subscriptions while open --------------------------------------------------------

    async def add(self, topics: list[str]) -> None:
        """Subscribe ``topics`` on the live connections; a connection that is down gets
        them when it reconnects (it subscribes every topic of the shard). A connection
        being opened without them is waited for, then subscribes them here: the
        exchange's refusal is then this caller's :class:`SubscriptionError`, as on a
        live connection (not a failure of the whole stream), however slowly the
        handshake completes."""
        self.topics.update(topics)
        waits = [done for planned, done in self._opening if not planned.issuperset(topics)]
        if waits:  # bounded: the opening ends within its connect and subscribe timeouts
            await asyncio.wait(waits)
        tried: list[Link] = []
        for link in self._links():
            if link.ended.done():
                continue
            tried.append(link)
            try:
                await self._subscribe(link, topics)
            except SubscriptionError:
                # The call is refused as a whole, but the exchange may have accepted part
                # of it (an earlier request, another channel of the same request, another
                # connection): take back what it may serve, so that nothing the stream
                # does not hold stays subscribed until the connection is renewed.
                self.topics.difference_update(topics)
                for accepted in tried:
                    await self._unsubscribe_quietly(accepted, topics)
                raise
            except _RETRYABLE as exc:  # it just failed: the reconnection subscribes them
                logger.debug("subscribe on a failing connection %s: %r", link.url, exc)

    async def remove(self, topics: list[str]) -> None:
        self.topics.difference_update(topics)
        for link in self._links():
            if not link.ended.done():  # a reconnection subscribes only what is left
                await self._unsubscribe_quietly(link, topics)

    async def _unsubscribe_quietly(self, link: Link, topics: list[str]) -> None:
        """Unsubscribe ``topics`` on ``link``, best effort: a refusal or a failing
        connection is logged (the topics are no longer the stream's either way; a frame
        of theirs that still comes is not delivered)."""
        for request in self.stream.protocol.unsubscribe(topics):
            try:
                await link.request(
                    request.payload, request.request_id, self.stream.settings.connect_timeout
                )
            except (SubscriptionError, *_RETRYABLE) as exc:
                logger.debug("unsubscribe failed on %s: %r", link.url, exc)

    async def resubscribe(self, topics: list[str]) -> None:
        """Unsubscribe then subscribe ``topics`` on each live connection (see
        :meth:`~aioca.stream.Stream.resubscribe`); a connection that ends meanwhile is
        left to its reconnection, which subscribes every topic. A connection being opened
        is waited for first (its subscription may be on the wire: sending the pair before
        it is answered would race it).

        Once an unsubscribe is sent, the topics are off that connection until the
        subscribe is answered: if anything stops the pair there (a refusal, a timeout,
        the caller's cancellation), the connection is restarted with a gap, so that a
        topic the stream lists is never left silently unserved on an open connection."""
        stream = self.stream
        protocol = stream.protocol
        waits = [done for _, done in self._opening]
        if waits:  # bounded: the opening ends within its connect and subscribe timeouts
            await asyncio.wait(waits)
        for link in self._links():
            if link.ended.done():
                continue
            phase = "unsubscribe"
            try:
                await self._send(link, protocol.unsubscribe(topics))
                phase = "subscribe"
                await self._send(link, protocol.subscribe(topics))
            except BaseException as exc:
                if isinstance(exc, _RETRYABLE) and link.ended.done():
                    logger.debug("resubscribe on a connection that ended %s: %r", link.url, exc)
                    continue
                if isinstance(exc, SubscriptionError) and phase == "unsubscribe":
                    raise  # refused: the topics stay subscribed as they were
                self._abandon(link, topics, f"its {phase} failed: {exc!r}")
                raise
            stream.stats.resubscribes += 1
            stream.emit(Resubscribed(link.url, tuple(sorted(topics))))

    def _abandon(self, link: Link, topics: list[str], why: str) -> None:
        """Restart ``link``, whose ``topics`` a resubscription left unsubscribed (or maybe
        so): the reconnection subscribes every topic, after a gap."""
        if link.ended.done():
            return
        detail = f"resubscribing {', '.join(sorted(topics))}: {why}"
        logger.warning("stream connection %s restarted: %s", link.url, detail)
        self._control(link, Restart(GapReason.DISCONNECTED, detail))

    async def _subscribe(self, link: Link, topics: list[str]) -> None:
        await self._send(link, self.stream.protocol.subscribe(topics))

    async def _send(self, link: Link, requests: Iterable[Request]) -> None:
        """Send ``requests`` on ``link`` one by one, each reply awaited."""
        timeout = self.stream.settings.connect_timeout
        for request in requests:
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
        failures = 0  # failed attempts since the last connection (or the start)
        down_since = _clock()  # when the shard last had no connection
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
                failures += 1
                delay = self._retry_in(attempt, failures, down_since)
                self._failed(exc, failures, delay, successor=False)
                if delay is None:
                    stream.fail(self._give_up(exc, failures, down_since))
                    return
                await _sleep(delay)
                continue
            failures = 0
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
            await self._release(link)  # release the socket whatever ended it
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
            down_since = _clock()
            await _sleep(settings.backoff.delay(attempt, self._random))

    def _retry_in(self, attempt: int, failures: int, down_since: float) -> float | None:
        """The pause before the next attempt, or ``None`` when the settings' limits say
        to give up (``max_attempts`` failed in a row, or ``max_downtime`` spent)."""
        settings = self.stream.settings
        if settings.max_attempts is not None and failures >= settings.max_attempts:
            return None
        delay = settings.backoff.delay(attempt, self._random)
        if settings.max_downtime is not None:
            left = down_since + settings.max_downtime - _clock()
            if left <= 0:
                return None
            delay = min(delay, left)  # one last attempt when the time is up
        return delay

    def _failed(
        self, error: BaseException, attempt: int, retry_in: float | None, *, successor: bool
    ) -> None:
        """Count a failed connection attempt and tell the listeners (and the log)."""
        stream = self.stream
        stream.stats.connect_failures += 1
        then = "giving up" if retry_in is None else f"retry in {retry_in:.2f} s"
        what = "a rotation's successor" if successor else "a stream connection"
        # Not the URL: a session's URL may carry its key (the event has it).
        logger.warning("%s failed, attempt %d (%r); %s", what, attempt, error, then)
        stream.emit(
            ConnectFailed(self.url, tuple(sorted(self.topics)), error, attempt, retry_in, successor)
        )

    def _give_up(
        self, error: BaseException, failures: int, down_since: float
    ) -> ConnectFailedError:
        failure = ConnectFailedError(self.url, failures, _clock() - down_since, error)
        failure.__cause__ = error
        return failure

    async def _open(self, *, successor: bool) -> Link:
        stream = self.stream
        protocol = stream.protocol
        limiter = protocol.connection_limiter
        if limiter is not None:
            await limiter.acquire({"CONNECTIONS": 1})
        await protocol.prepare(stream.session, self.group)
        topics = sorted(self.topics)
        opening = (frozenset(topics), asyncio.get_running_loop().create_future())
        self._opening.append(opening)
        try:
            return await self._connect(topics, successor=successor)
        finally:
            self._opening.remove(opening)
            opening[1].set_result(None)

    async def _connect(self, topics: list[str], *, successor: bool) -> Link:
        """Open the connection of ``topics`` and subscribe them (topics added meanwhile
        are their :meth:`add`'s to subscribe)."""
        stream = self.stream
        protocol = stream.protocol
        url = protocol.url(self.group, topics)
        self.url = shown = protocol.shown_url(url)
        link = await open_link(stream.session, url, stream.settings, stream.proxy, shown)
        self._opened.add(link)
        if successor:
            assert self.rotation is not None
            self.rotation.new = link
        else:
            self.link = link
        try:
            ping = (
                (protocol.ping_text, stream.settings.ping_interval) if protocol.ping_text else None
            )
            settings = stream.settings
            link.start_reading(self._pump, settings.idle_timeout, ping, settings.heartbeat)
            in_url = set(protocol.topics_in_url(self.group, topics))
            rest = [topic for topic in topics if topic not in in_url]
            if rest:
                await self._subscribe(link, rest)
            if link.ended.done():
                raise link.error or ConnectionResetError("the connection ended at once")
        except BaseException:
            await self._release(link)
            raise
        return link

    async def _serve(self, link: Link) -> None:
        """Serve ``link`` until it ends, rotating it before its lifetime runs out, or at
        once when the exchange announced that it ends the connection soon."""
        rotate_after = self.stream.settings.rotate_after
        while True:
            if not link.draining.done():
                remaining = None if rotate_after is None else rotate_after - link.age
                if remaining is None or remaining > 0:
                    await asyncio.wait(
                        (link.ended, link.draining),
                        timeout=remaining,
                        return_when="FIRST_COMPLETED",
                    )
            if link.ended.done():
                return
            if not link.draining.done() and (rotate_after is None or link.age < rotate_after):
                continue  # the timer fired a hair early
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
            self._failed(exc, 1, stream.settings.overlap_timeout, successor=True)
            return None
        stream.stats.connects += 1
        rotation = self.rotation
        assert rotation is not None
        stream.emit(Connected(new.url, tuple(sorted(self.topics)), 1))
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(stream.settings.overlap_timeout):
                while not rotation.settled(self.topics) and not new.ended.done():
                    if old.ended.done() and not rotation.catching_up():
                        break  # nothing more can come from the old connection
                    done = loop.create_future()
                    self._wake = done
                    waits = [done, new.ended] if old.ended.done() else [done, old.ended, new.ended]
                    await asyncio.wait(waits, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        finally:
            self._wake = None
        if new.ended.done():  # the successor died: keep the old one, try again later
            self._abandon_rotation(rotation)
            await self._release(new)
            return None
        self._finish_rotation(rotation, old_failed=old.ended.done())
        self.link = new
        await self._release(old)
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

    def _abandon_rotation(self, rotation: _Rotation) -> None:
        """The successor failed: the old connection goes on alone. A topic that switched
        lost what the old connection dropped and the successor never delivered, and will
        get again from the old connection what the successor delivered first: a gap."""
        self.rotation = None
        broken = sorted(
            topic
            for topic, overlap in rotation.topics.items()
            if overlap.switched and (overlap.owed or overlap.relayed) and topic in self.topics
        )
        if broken:
            detail = "the new connection failed during a rotation, after the switch"
            self.stream.gap(Gap(GapReason.DISCONNECTED, tuple(broken), detail))

    def _finish_rotation(self, rotation: _Rotation, *, old_failed: bool) -> None:
        stream = self.stream
        unproven: list[str] = []
        lagging: list[str] = []
        for topic in sorted(self.topics):
            overlap = rotation.topics.get(topic)
            if overlap is not None and overlap.switched:
                if overlap.repeat:
                    lagging.append(topic)
            elif (overlap is not None and overlap.pending) or old_failed:
                unproven.append(topic)
        if unproven:
            reason = GapReason.DISCONNECTED if old_failed else GapReason.ROTATION
            detail = (
                "the old connection failed during a rotation"
                if old_failed
                else "the two connections delivered no common message within the overlap"
            )
            stream.gap(Gap(reason, tuple(unproven), detail))
        for topic in unproven:
            overlap = rotation.topics.get(topic)
            if overlap is not None:
                self._put_all([message for _text, message in overlap.pending])
        if lagging:
            detail = "the new connection did not catch up with the old one within the overlap"
            stream.gap(Gap(GapReason.ROTATION, tuple(lagging), detail))
        stream.stats.duplicates += rotation.duplicates
        gap = bool(unproven or lagging)
        stream.emit(Rotated(tuple(sorted(self.topics)), rotation.duplicates, gap))
        self.rotation = None

    # --- frames ------------------------------------------------------------------------

    async def _pump(
        self, link: Link, idle_timeout: float | None, ping: tuple[str, float] | None
    ) -> None:
        """Every frame of ``link``, until it ends: received, parsed and buffered in one
        step per message, without a call between them (this runs once per message, so
        what does not change while the connection lives is looked up once, here)."""
        receive = link.ws.receive
        text_type, binary_type = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
        ping_type, pong_type = aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG
        parse = self._parse
        message_type = self._message_type
        topics = self.topics  # changed in place only
        stats = self._stats
        buffer = self._buffer
        items = self._items
        roomy = self._roomy
        deliver = self._deliver
        handed = False  # the consumer was woken and has not run since
        while True:
            if ping is None:  # the common case, without a coroutine more per frame
                frame = await receive(idle_timeout)
            else:
                frame = await link.receive(idle_timeout, ping)
            link.fresh = True  # for the watchdog (a mark: the clock costs more)
            kind: Any = frame.type
            if kind is text_type:
                text = frame.data
            elif kind is binary_type:
                text = frame.data.decode()
            elif kind is ping_type:
                await link.answer_ping(frame)
                continue
            elif kind is pong_type:
                continue  # an answer to the watchdog's ping: marked above
            else:
                link.ended_by(frame)
                return
            parsed: Any = parse(text)
            kind = type(parsed)
            if kind is message_type:  # a message that carries its topic first
                topic = parsed[0]
                message = parsed
            elif kind is tuple or kind is Frame:
                topic, message = parsed
            elif parsed is None:
                continue
            else:
                self._control(link, parsed)
                continue
            if topic not in topics:
                continue  # unsubscribed meanwhile
            stats.received += 1
            if self.rotation is not None:
                waiting = self._on_rotating(link, self._overlap_key(text), topic, message)
            elif link is not self.link:
                continue
            elif len(items) < roomy:  # room to spare: the buffer's fast path, inline
                items.append(message)
                getter = buffer.getter
                if getter is not None:
                    buffer.getter = None
                    if not getter.done():
                        getter.set_result(None)
                        handed = True
                elif handed and len(items) >= _HAND_OVER:
                    handed = False
                    await _yield()  # let the waiting consumer take these first
                continue
            else:
                waiting = deliver(message)
            if waiting is not None:  # the buffer is full and the policy is to block
                link.paused = True
                try:
                    await waiting
                finally:
                    link.paused = False

    def _on_rotating(self, link: Link, text: str, topic: str, message: Any) -> Any:
        rotation = self.rotation
        assert rotation is not None
        if link is rotation.old:
            return self._from_old(rotation, rotation.overlap(topic), text, message)
        if link is rotation.new:
            return self._from_successor(rotation, topic, rotation.overlap(topic), text, message)
        return None

    def _from_old(self, rotation: _Rotation, overlap: _Overlap, text: str, message: Any) -> Any:
        if overlap.switched:  # the successor delivers this topic now
            if text in overlap.relayed:
                overlap.relayed.discard(text)
                rotation.duplicates += 1
            else:
                overlap.owed.add(text)
            return None
        at = overlap.pending_at.get(text)
        if at is None:
            overlap.old_at.setdefault(text, len(overlap.old))
            overlap.old.append(text)
            return self.stream.deliver(message)
        # The successor is ahead: it already delivered this frame, and those after it
        # are the next ones.
        ahead = overlap.pending[at + 1 :]
        self._switch(rotation, overlap, duplicates=at + 1)
        overlap.relayed.update(later for later, _message in ahead)
        self._put_all([message, *(later_message for _text, later_message in ahead)])
        buffer = self._buffer
        return buffer.wait_for_room() if buffer.policy == "block" and buffer.full else None

    def _from_successor(
        self, rotation: _Rotation, topic: str, overlap: _Overlap, text: str, message: Any
    ) -> Any:
        if overlap.switched:
            repeat = overlap.repeat
            if repeat:
                if text == repeat[0]:  # the old connection delivered it already
                    repeat.popleft()
                    rotation.duplicates += 1
                    if not repeat:
                        self._wake_rotation()
                    return None
                repeat.clear()
                self._wake_rotation()
                detail = "the two connections delivered different messages after the overlap"
                self.stream.gap(Gap(GapReason.ROTATION, (topic,), detail))
            if text in overlap.owed:
                overlap.owed.discard(text)
                rotation.duplicates += 1
            else:
                overlap.relayed.add(text)
            return self.stream.deliver(message)
        at = overlap.old_at.get(text)
        if at is None:
            overlap.pending_at.setdefault(text, len(overlap.pending))
            overlap.pending.append((text, message))
            return None
        # The old connection is ahead (or level): what it delivered after this frame,
        # the successor has yet to repeat.
        overlap.repeat.extend(overlap.old[at + 1 :])
        self._switch(rotation, overlap, duplicates=len(overlap.pending) + 1)
        return None

    def _switch(self, rotation: _Rotation, overlap: _Overlap, *, duplicates: int) -> None:
        """The overlap of one topic is found: the successor delivers it from now on
        (its frames that waited until the common one are duplicates, or a snapshot the
        old connection never sent)."""
        overlap.switched = True
        rotation.duplicates += duplicates
        overlap.old = []
        overlap.old_at = {}
        overlap.pending = []
        overlap.pending_at = {}
        self._wake_rotation()

    def _put_all(self, messages: list[Any]) -> None:
        """Several messages in one turn: with ``block``, the buffer may go past its size
        by these (a reader waits for room once, after them)."""
        buffer, stats = self._buffer, self._stats
        for message in messages:
            buffer.put(message, stats)

    def _wake_rotation(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

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
        elif isinstance(parsed, Rotate) and not link.draining.done():
            link.draining.set_result(None)
            logger.info("stream connection %s ends soon (%s): rotating", link.url, parsed.detail)
            self.stream.emit(Draining(link.url, tuple(sorted(self.topics)), parsed.detail))
        elif isinstance(parsed, Notice):
            self.stream.stats.notices += 1
            logger.warning("stream connection %s: the exchange says %s", link.url, parsed.detail)
            self.stream.emit(ExchangeNotice(link.url, tuple(sorted(self.topics)), parsed.detail))
        return None

"""``Stream``: an exchange's WebSocket data as an async iterator that does not die silently.

::

    async with Stream(protocol, ["btc@trades"]) as stream:
        async for item in stream:
            if isinstance(item, Gap):
                ...  # continuity lost: resync whatever state depends on the stream
            else:
                ...  # a typed message

The stream owns its connections (one per ``max_topics_per_connection`` topics of a
group), their heartbeats, reconnection with backoff and jitter, resubscription, and the
rotation before the exchange's connection lifetime ends. Between the connections and the
consumer sits one bounded buffer (see :class:`~aioca.stream.StreamSettings` for the
overflow policy). Topics can be added, removed and subscribed afresh (for an exchange's
new snapshot) while the stream is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Generic, Self, TypeVar

import aiohttp

from .buffer import MessageBuffer
from .errors import StreamClosedError, StreamError, SubscriptionError
from .events import Gap, GapReason, StreamEvent, StreamStats
from .protocol import Restart, StreamProtocol
from .settings import StreamSettings
from .shard import Shard

__all__ = ["Listener", "Stream"]

MessageT = TypeVar("MessageT")
Listener = Callable[[StreamEvent], None]
"""A callback told of every :class:`~aioca.stream.StreamEvent` (gaps included)."""
logger = logging.getLogger("aioca.stream")


class Stream(Generic[MessageT]):
    """Messages of ``topics`` from ``protocol``, and a :class:`Gap` wherever continuity
    was lost. Open it with ``async with`` (or :meth:`start` / :meth:`aclose`).

    ``settings`` default to the protocol's; ``session`` is an ``aiohttp.ClientSession`` to
    use (the stream opens and closes its own otherwise); ``proxy`` an HTTP proxy URL.
    """

    def __init__(
        self,
        protocol: StreamProtocol[MessageT],
        topics: Iterable[str] = (),
        *,
        settings: StreamSettings | None = None,
        session: aiohttp.ClientSession | None = None,
        proxy: str | None = None,
    ) -> None:
        self.protocol = protocol
        self.settings = settings if settings is not None else protocol.settings
        self.proxy = proxy
        self.stats = StreamStats()
        self._initial = list(dict.fromkeys(topics))
        self._given_session = session
        self._session: aiohttp.ClientSession | None = None
        self._shards: list[Shard] = []
        self._listeners: list[Listener] = []
        self._buffer = MessageBuffer(self.settings.buffer_size, self.settings.overflow, self._gap)
        self._started = False
        self._closed = False
        self._lock: asyncio.Lock | None = None
        self._keeper: asyncio.Task[None] | None = None

    # --- life cycle ----------------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise StreamError("the stream is not open: use `async with stream:`")
        return self._session

    @property
    def is_open(self) -> bool:
        return self._started and not self._closed

    async def start(self) -> Self:
        """Connect (in the background) and subscribe to the initial topics."""
        if self._closed:
            raise StreamClosedError("a closed stream cannot be reopened: make a new one")
        if self._started:
            return self
        if self._initial:
            self.protocol.check_topics(self._initial)
        self._started = True
        self._lock = asyncio.Lock()
        self._session = self._given_session or aiohttp.ClientSession()
        self._keeper = asyncio.get_running_loop().create_task(self._keep_until_closed())
        self.protocol.attach(self)
        await self.subscribe(*self._initial)
        return self

    async def _keep_until_closed(self) -> None:
        """Closes the stream when its event loop shuts down without closing it (a
        synchronous operator's loop ends by cancelling every task left)."""
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            self._keeper = None
            await self.aclose()

    async def aclose(self) -> None:
        """Close every connection (and the stream's own session); iteration ends once the
        buffered items are consumed."""
        if self._closed:
            return
        self._closed = True
        keeper, self._keeper = self._keeper, None
        if keeper is not None and keeper is not asyncio.current_task():
            keeper.cancel()
        shards, self._shards = self._shards, []
        try:
            await asyncio.gather(*(shard.close() for shard in shards), return_exceptions=True)
            await self.protocol.close()
        finally:
            self._buffer.close()
            session, self._session = self._session, None
            if session is not None and session is not self._given_session:
                await session.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- topics --------------------------------------------------------------------------

    @property
    def topics(self) -> frozenset[str]:
        """The topics subscribed now."""
        if not self._started:
            return frozenset(self._initial)
        return frozenset(topic for shard in self._shards for topic in shard.topics)

    async def subscribe(self, *topics: str) -> None:
        """Add ``topics`` (those already subscribed are ignored). Connections that are up
        subscribe at once (paced to the exchange's message rate), and so do connections
        whose handshake is under way, once they are up; those that are down subscribe
        them when they reconnect (where a refusal ends the stream with that error).
        Raises :class:`~aioca.stream.SubscriptionError` for topics the protocol refuses,
        naming them all, before anything is sent, and for topics the exchange refuses on
        a connection that is up or whose handshake is under way: the call is then refused
        as a whole, and what any connection accepted of it is unsubscribed (best effort),
        but not a topic another call subscribed while this one waited."""
        if self._closed:
            raise StreamClosedError("the stream is closed")
        if not self._started:
            self._initial.extend(topic for topic in topics if topic not in self._initial)
            return
        fresh = [topic for topic in dict.fromkeys(topics) if topic not in self.topics]
        if not fresh:
            return
        self.protocol.check_topics(fresh)
        assert self._lock is not None
        async with self._lock:
            # Another call may have subscribed some of them while this one waited for the
            # lock: they are that call's, and a refusal of this one must not take them back.
            fresh = [topic for topic in fresh if topic not in self.topics]
            limit = self.settings.max_topics_per_connection
            by_shard: dict[Shard, list[str]] = {}
            for topic in fresh:
                group = self.protocol.group_of(topic)
                shard = next(
                    (
                        s
                        for s in self._shards
                        if s.group == group and len(s.topics) + len(by_shard.get(s, ())) < limit
                    ),
                    None,
                )
                if shard is None:
                    shard = Shard(self, group)
                    self._shards.append(shard)
                by_shard.setdefault(shard, []).append(topic)
            done: list[str] = []
            try:
                for shard, added in by_shard.items():
                    if shard.worker is None:
                        shard.topics.update(added)
                        shard.start()
                    else:
                        await shard.add(added)
                    done += added
            except SubscriptionError:
                # The call is refused as a whole: what other connections accepted of it
                # is taken back too (the refusing shard took back its own), and shards
                # made for it and never started go.
                self._shards = [s for s in self._shards if s.worker is not None]
                await self._remove(done)
                raise

    async def unsubscribe(self, *topics: str) -> None:
        """Remove ``topics``; their messages stop at once (frames still in flight are
        dropped). A connection left with no topic is closed."""
        if not self._started:
            self._initial = [topic for topic in self._initial if topic not in topics]
            return
        assert self._lock is not None
        async with self._lock:
            await self._remove(topics)

    async def _remove(self, topics: Iterable[str]) -> None:
        """Unsubscribe ``topics`` (under the lock): a connection left with no topic is
        closed."""
        topics = list(dict.fromkeys(topics))
        for shard in list(self._shards):
            gone = [topic for topic in topics if topic in shard.topics]
            if not gone:
                continue
            if len(gone) == len(shard.topics):
                shard.topics.clear()
                self._shards.remove(shard)
                await shard.close()
            else:
                await shard.remove(gone)

    async def resubscribe(self, *topics: str) -> None:
        """Subscribe ``topics`` afresh on the connections that carry them, without closing
        any: each connection that is up is sent the protocol's unsubscribe requests for
        them, then its subscribe requests (each reply awaited, paced as any request), and
        stays open; its other topics carry on untouched, with no gap. For exchanges that
        send a snapshot on every subscription: a consumer whose state of one topic went
        out of step (an order book whose checksum failed) gets a fresh snapshot of that
        topic alone, and spends no connection attempt (:meth:`unsubscribe` would close a
        connection left with no topic, and :meth:`subscribe` ignores a topic subscribed).

        The stream's topics do not change, and frames of ``topics`` still in flight are
        delivered as usual (the consumer asked for a fresh subscription: it knows). A
        connection that is down subscribes every topic when it is up: nothing is sent on
        it; one whose handshake is under way is waited for, then sent both halves. Each
        connection that was sent both halves is a :class:`~aioca.stream.Resubscribed`
        event and a count in ``stats.resubscribes``.

        Raises :class:`~aioca.stream.SubscriptionError` naming every topic that is not
        subscribed, before anything is sent, and when the exchange refuses either half;
        ``TimeoutError`` when a reply does not come within the settings'
        ``connect_timeout``. Once an unsubscribe went out, whatever stops the pair (a
        refused or unanswered subscribe, the caller's cancellation) restarts that
        connection with a ``disconnected`` gap: its reconnection subscribes every topic,
        so none is left unserved on a connection that stays open."""
        if self._closed:
            raise StreamClosedError("the stream is closed")
        wanted = list(dict.fromkeys(topics))
        if not self._started:
            self._check_subscribed(wanted, self._initial)
            return  # the opening subscribes them
        assert self._lock is not None
        async with self._lock:
            self._check_subscribed(wanted, self.topics)
            for shard in list(self._shards):
                mine = [topic for topic in wanted if topic in shard.topics]
                if mine:
                    await shard.resubscribe(mine)

    @staticmethod
    def _check_subscribed(topics: list[str], subscribed: Iterable[str]) -> None:
        known = set(subscribed)
        unknown = [f"{topic!r} is not subscribed" for topic in topics if topic not in known]
        if unknown:
            raise SubscriptionError(unknown)

    def restart(self, reason: GapReason, detail: str, topics: Iterable[str] | None = None) -> None:
        """End every connection now and connect again (``prepare`` runs first), with a gap
        of ``reason``: what a protocol does when the session behind it is gone. With
        ``topics``, only the connections that carry any of them (their other topics get
        the gap too): the remedy of a consumer whose topic a connection no longer serves
        right. A topic the stream does not carry is :class:`~aioca.stream.SubscriptionError`
        (a bare string is refused too: it would read as its characters), before anything
        restarts."""
        chosen = None
        if topics is not None:
            if isinstance(topics, str):
                raise TypeError(f"topics must be a collection of topics, not the string {topics!r}")
            chosen = set(topics)
            self._check_subscribed(sorted(chosen), self.topics)
        for shard in self._shards:
            if chosen is None or not chosen.isdisjoint(shard.topics):
                shard.restart(Restart(reason, detail))

    # --- events --------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event (connections, rotations, gaps). It
        runs inside the reader: keep it quick, and it must not raise."""
        self._listeners.append(listener)

    def emit(self, event: StreamEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("a stream listener failed on %r", event)

    def _gap(self, gap: Gap) -> None:
        """Count a gap and tell the listeners (the buffer already holds it)."""
        self.stats.gaps += 1
        reasons = self.stats.gap_reasons
        reasons[gap.reason.value] = reasons.get(gap.reason.value, 0) + 1
        self.emit(gap)

    def gap(self, gap: Gap) -> None:
        """Put ``gap`` in the stream (plugins call it when the exchange's own sequence
        numbers jump)."""
        self._buffer.put(gap, self.stats)
        self._gap(gap)

    def deliver(self, message: MessageT) -> Awaitable[None] | None:
        """Put a message in the buffer; returns an awaitable when the reader must wait for
        room (policy ``block``)."""
        buffer = self._buffer
        items = buffer.items
        if len(items) < buffer.size:  # the common case, inline
            items.append(message)
            getter = buffer.getter
            if getter is not None:
                buffer.getter = None
                if not getter.done():
                    getter.set_result(None)
            if len(items) < buffer.size or buffer.policy != "block":
                return None
            return buffer.wait_for_room()
        buffer.put(message, self.stats)
        if buffer.policy == "block" and buffer.full:
            return buffer.wait_for_room()
        return None

    def fail(self, error: BaseException) -> None:
        """End the stream with ``error``, raised to the consumer after what is buffered."""
        self._buffer.fail(error)

    # --- consuming -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[MessageT | Gap]:
        return self

    async def __anext__(self) -> MessageT | Gap:
        buffer = self._buffer
        items = buffer.items
        if items and buffer.room is None:  # the common case, inline
            item = items.popleft()
        elif items:
            item = buffer.get_nowait()
        else:
            if not self._started:
                raise StreamError("the stream is not open: use `async with stream:`")
            item = await buffer.get()
        if buffer.events and isinstance(item, StreamEvent):
            buffer.events -= 1
        else:
            self.stats.delivered += 1
        return item  # type: ignore[no-any-return]

    async def next(self, timeout: float | None = None) -> MessageT | Gap:
        """The next message or gap; ``TimeoutError`` after ``timeout`` seconds, and
        :class:`~aioca.stream.StreamClosedError` once the stream is closed and drained."""
        try:
            if timeout is None:
                return await self.__anext__()
            async with asyncio.timeout(timeout):
                return await self.__anext__()
        except StopAsyncIteration:
            raise StreamClosedError("the stream is closed") from None

    def messages_sync(self, limit: int | None = None) -> Iterator[MessageT | Gap]:
        """The synchronous facade, in the operator's style: opens the stream on an event
        loop of its own, yields ``limit`` items (all, when ``None``), then closes it (also
        when the caller breaks out of the loop). Not callable inside a running loop."""
        from .sync import iterate_sync

        return iterate_sync(self, limit)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._started else "new"
        return (
            f"<Stream {type(self.protocol).__name__} {state} topics={len(self.topics)} "
            f"buffered={len(self._buffer)}>"
        )

"""OKX's ``books`` channel kept locally, every update checked: :class:`OkxOrderBooks`
(several instruments on one stream, one connection for up to 240 of them) and
:class:`OkxOrderBook` (one instrument, on a stream of its own).

OKX sends a snapshot when a channel is subscribed, then updates: each must continue the
one before (its ``prevSeqId`` is the last ``seqId``), and the CRC-32 of the best 25 levels
after it must equal its ``checksum``. OKX sends a snapshot *only* on a subscription, so
whenever an instrument's book loses continuity its channel must be subscribed again:

* an update out of sequence, or one whose checksum fails, is never shown: the book keeps
  its last consistent state (an update is applied, checked, and undone when the check
  fails), its ``synced`` turns ``False``, a ``sequence`` :class:`~aioca.stream.Gap` naming
  its topic alone goes in the stream (counted in its stats, passed to its listeners), and
  its channel is subscribed afresh *on the same connection*
  (:meth:`aioca.stream.Stream.resubscribe`: ``unsubscribe`` then ``subscribe``, each
  answered by OKX with an event, and the fresh snapshot after them). The other books on
  that connection carry on untouched (no gap, no resync), and no connection attempt is
  spent (OKX allows 3 a second per IP: :mod:`aioca_okx.streams.limits`); the two
  requests come out of the stream's hourly subscribe budget;
* an overflow of the stream's buffer, which may have dropped any book's messages (a
  snapshot among them), resubscribes every book in place the same way;
* after a lost connection the books wait for the snapshots of the core's reconnection,
  which subscribes every channel anew.

The connection restart is the fallback (:meth:`~aioca.stream.Stream.restart` with the
book's topic: the connections of the other streams, and the stream's other connections,
go on): when the resubscribe fails (refused by OKX, unanswered, or the hourly budget is
spent) or its snapshot does not come within ``snapshot_timeout`` seconds. It costs a
connection attempt, and the other books on that connection get a ``disconnected`` gap
and resync from the new connection's snapshots too.

The first consistent snapshot after each of these yields :class:`BookResynced` (its
``reason`` says why the book had to resync, its ``inst_id`` which book); every applied
update yields :class:`BookUpdated`.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from aioca import RateLimiter
from aioca.stream import (
    ConnectionLimiter,
    Gap,
    GapReason,
    StreamClosedError,
    StreamSettings,
)

from .protocol import PUBLIC_URL, SETTINGS, OkxBookMessage, OkxPublicProtocol, OkxStream

__all__ = [
    "BookResynced",
    "BookUpdated",
    "OkxBook",
    "OkxOrderBook",
    "OkxOrderBooks",
    "book_checksum",
]

logger = logging.getLogger("aioca.okx")
Side = dict[Decimal, list[str]]
_CHECKED_LEVELS = 25
_RECONNECTED = frozenset({GapReason.DISCONNECTED, GapReason.SESSION})
"""Gaps after which the core connects again, subscribing (OKX then sends a snapshot)."""


def book_checksum(bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> int:
    """OKX's checksum: CRC-32 (signed) of ``bid:size:ask:size:...`` over the best 25
    levels of each side, interleaved, with prices and sizes as OKX sent them."""
    parts: list[str] = []
    for index in range(_CHECKED_LEVELS):
        if index < len(bids):
            parts += (bids[index][0], bids[index][1])
        if index < len(asks):
            parts += (asks[index][0], asks[index][1])
    value = zlib.crc32(":".join(parts).encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def _best(bids: Side, asks: Side, count: int) -> tuple[list[list[str]], list[list[str]]]:
    return (
        [bids[price] for price in sorted(bids, reverse=True)[:count]],
        [asks[price] for price in sorted(asks)[:count]],
    )


@dataclass(frozen=True, slots=True)
class BookUpdated:
    """An update was applied and checked: the book of ``inst_id`` is at ``seq_id``."""

    seq_id: int | None
    inst_id: str = ""


@dataclass(frozen=True, slots=True)
class BookResynced:
    """The book of ``inst_id`` was (re)built from a snapshot and is consistent at
    ``seq_id``; ``reason`` says why it had to (``"start"``, ``"checksum: ..."``,
    ``"sequence: ..."``, ``"gap: overflow"``, ``"gap: disconnected"``, ``"no snapshot
    within ..."``)."""

    seq_id: int | None
    reason: str
    inst_id: str = ""


class OkxBook:
    """The book of one instrument as OKX wrote it (prices and sizes as text, for the
    checksum): what an :class:`OkxOrderBooks` keeps up to date, and what its queries
    read. ``synced`` is ``False`` while it waits for a snapshot (it keeps its last
    consistent levels meanwhile)."""

    def __init__(self, inst_id: str, channel: str = "books") -> None:
        self.inst_id = inst_id
        self.topic = f"{channel}:{inst_id}"
        self.bids: Side = {}
        self.asks: Side = {}
        self.seq_id: int | None = None
        self.synced = False
        self.resyncs = 0
        """How many times the book lost continuity after it had been consistent."""
        self.checksum_failures = 0
        self.reason = "start"
        """Why the next :class:`BookResynced` happens (while not synced)."""

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        if not self.bids:
            return None
        price = max(self.bids)
        return price, Decimal(self.bids[price][1])

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        if not self.asks:
            return None
        price = min(self.asks)
        return price, Decimal(self.asks[price][1])

    def levels(self, count: int = _CHECKED_LEVELS) -> tuple[list[list[str]], list[list[str]]]:
        """The best ``count`` levels of each side, as OKX wrote them."""
        return _best(self.bids, self.asks, count)

    def __repr__(self) -> str:
        state = "synced" if self.synced else "syncing"
        return f"<{type(self).__name__} {self.topic} {state} at {self.seq_id}>"


class OkxOrderBooks:
    """The order books of ``inst_ids`` on ``channel`` (``books``), on one
    :class:`~aioca_okx.streams.OkxStream` (one connection per 240 instruments), each
    verified against every checksum and resynced alone (see the module).

    ``books[inst_id]`` is an instrument's :class:`OkxBook` (an item of ``inst_ids`` may
    be an :class:`OkxBook` of one's own); iterating yields :class:`BookUpdated` and
    :class:`BookResynced`, whose ``inst_id`` says which book changed. ``url`` overrides the
    endpoint, ``limiter`` the limiter of connection attempts; other keyword arguments go
    to the stream."""

    def __init__(
        self,
        inst_ids: Iterable[str | OkxBook],
        *,
        url: str = PUBLIC_URL,
        channel: str = "books",
        settings: StreamSettings | None = None,
        limiter: ConnectionLimiter | RateLimiter | None = None,
        snapshot_timeout: float = 30.0,
        **options: Any,
    ) -> None:
        books = [item if isinstance(item, OkxBook) else OkxBook(item, channel) for item in inst_ids]
        if not books:
            raise ValueError("no instrument: give OkxOrderBooks at least one instId")
        self.books: dict[str, OkxBook] = {book.inst_id: book for book in books}
        self._by_topic: dict[str, OkxBook] = {book.topic: book for book in books}
        protocol = OkxPublicProtocol(url, settings=settings or SETTINGS, limiter=limiter)
        self.stream = OkxStream(protocol, list(self._by_topic), **options)
        self.snapshot_timeout = snapshot_timeout
        self._deadlines: dict[str, float] = {}
        """The books waiting for a snapshot, by topic: when it is overdue."""
        self._waiting_since_start = False
        self._events: deque[BookUpdated | BookResynced] = deque()
        self._resubscribing: set[asyncio.Task[None]] = set()

    def __getitem__(self, inst_id: str) -> OkxBook:
        return self.books[inst_id]

    async def __aenter__(self) -> Self:
        await self.stream.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop resubscribing and close the stream."""
        tasks = list(self._resubscribing)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.stream.aclose()

    # --- the loop --------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def next(self, timeout: float | None = None) -> BookUpdated | BookResynced:
        async with asyncio.timeout(timeout):
            return await self.__anext__()

    async def __anext__(self) -> BookUpdated | BookResynced:
        loop = asyncio.get_running_loop()
        if not self._waiting_since_start:  # the first snapshots are due from the first read
            self._waiting_since_start = True
            due = loop.time() + self.snapshot_timeout
            for book in self._by_topic.values():
                if not book.synced:
                    self._deadlines.setdefault(book.topic, due)
        while not self._events:
            deadline = min(self._deadlines.values(), default=None)
            if deadline is None:
                item = await self.stream.__anext__()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        item = await self.stream.__anext__()
                except TimeoutError:
                    self._restart_overdue(loop.time())
                    continue
            if isinstance(item, Gap):
                self._on_gap(item)
                continue
            pushed = self._by_topic.get(item.topic)
            if pushed is None:
                continue
            for message in item.data:
                if not self._apply(pushed, message):
                    break  # the rest of this push follows what was refused
        return self._events.popleft()

    # --- losing and resyncing --------------------------------------------------------------

    def _on_gap(self, gap: Gap) -> None:
        """Continuity is gone for the books of ``gap.topics`` (every book when it names
        none: an overflow may have dropped any message). After a lost connection (a
        restart among them) the core's reconnection subscribes anew, and its snapshot is
        awaited; a ``sequence`` gap of a book already resyncing is its own; any other gap
        resubscribes its books in place."""
        books = (
            [self._by_topic[topic] for topic in gap.topics if topic in self._by_topic]
            if gap.topics
            else list(self._by_topic.values())
        )
        reason = f"gap: {gap.reason.value}"
        if gap.reason in _RECONNECTED:
            for book in books:
                if book.topic not in self._deadlines:
                    self._lose(book, reason)
            return
        if gap.reason is GapReason.SEQUENCE:
            books = [book for book in books if book.topic not in self._deadlines]
        if books:
            self._resubscribe(books, reason)

    def _lose(self, book: OkxBook, reason: str) -> None:
        """``book`` waits for a snapshot, due within ``snapshot_timeout``."""
        if book.synced:
            book.resyncs += 1
        book.synced = False
        book.reason = reason
        due = asyncio.get_running_loop().time() + self.snapshot_timeout
        self._deadlines[book.topic] = due

    def _out_of_step(self, book: OkxBook, detail: str) -> None:
        """An update or snapshot of ``book`` was refused: a ``sequence`` gap of its topic
        alone, and OKX's remedy, a fresh subscription for a fresh snapshot."""
        self.stream.gap(Gap(GapReason.SEQUENCE, (book.topic,), detail))
        self._resubscribe([book], detail)

    def _resubscribe(self, books: list[OkxBook], reason: str) -> None:
        """Subscribe the channels of ``books`` afresh on their connection, in the
        background (the loop goes on delivering the other books' updates meanwhile)."""
        for book in books:
            self._lose(book, reason)
        topics = tuple(book.topic for book in books)
        task = asyncio.get_running_loop().create_task(self._resubscribe_in_place(topics, reason))
        self._resubscribing.add(task)
        task.add_done_callback(self._resubscribing.discard)

    async def _resubscribe_in_place(self, topics: tuple[str, ...], reason: str) -> None:
        try:
            await self.stream.resubscribe(*topics)
        except StreamClosedError:
            return
        except Exception as exc:  # refused, unanswered, no budget left: a new connection
            logger.warning(
                "OKX books %s could not be subscribed again in place (%r): restarting "
                "their connection",
                ", ".join(topics),
                exc,
            )
            detail = f"{reason}; subscribing again in place failed ({exc}): a new connection"
            self.stream.restart(GapReason.DISCONNECTED, detail, topics=topics)

    def _restart_overdue(self, now: float) -> None:
        """The fallback: books whose snapshot is overdue get a new connection."""
        late = now + 0.001  # the loop's timer may fire within its clock's resolution
        overdue = [self._by_topic[topic] for topic, due in self._deadlines.items() if due <= late]
        if not overdue:
            return
        detail = f"no snapshot within {self.snapshot_timeout:g} s"
        for book in overdue:
            self._lose(book, detail)
        topics = [book.topic for book in overdue]
        self.stream.restart(GapReason.DISCONNECTED, detail, topics=topics)

    # --- applying ----------------------------------------------------------------------------

    def _apply(self, book: OkxBook, message: OkxBookMessage) -> bool:
        """Apply one push item to ``book``; ``False`` when it broke continuity (the book
        is unchanged and resubscribing)."""
        if not isinstance(message, OkxBookMessage):  # JSON its model could not read
            if not book.synced:
                # Already waiting for a snapshot (a snapshot that cannot be read either
                # is overdue in ``snapshot_timeout``): a resubscribe per unreadable push
                # would spend the hourly budget on one book in seconds.
                return True
            self._out_of_step(book, "unreadable: a push the book's model cannot read")
            return False
        if message.action == "snapshot":
            return self._apply_snapshot(book, message)
        if not book.synced:
            return True  # waiting for the snapshot
        if message.prev_seq_id is not None and message.prev_seq_id != book.seq_id:
            detail = f"sequence: prevSeqId {message.prev_seq_id} after seqId {book.seq_id}"
            self._out_of_step(book, detail)
            return False
        undo = [_set_levels(book.bids, message.bids), _set_levels(book.asks, message.asks)]
        if not self._checks(book, message, book.bids, book.asks):
            for side, previous in zip((book.bids, book.asks), undo, strict=True):
                _restore(side, previous)
            return False
        book.seq_id = message.seq_id
        self._events.append(BookUpdated(book.seq_id, book.inst_id))
        return True

    def _apply_snapshot(self, book: OkxBook, message: OkxBookMessage) -> bool:
        bids = {Decimal(level[0]): level for level in message.bids}
        asks = {Decimal(level[0]): level for level in message.asks}
        if not self._checks(book, message, bids, asks):
            return False
        book.bids, book.asks = bids, asks
        book.seq_id = message.seq_id
        book.synced = True
        self._deadlines.pop(book.topic, None)
        self._events.append(BookResynced(book.seq_id, book.reason, book.inst_id))
        return True

    def _checks(self, book: OkxBook, message: OkxBookMessage, bids: Side, asks: Side) -> bool:
        """Whether the levels ``bids``/``asks`` after ``message`` have its checksum; if
        not, count the failure and resubscribe ``book``."""
        if message.checksum is None:
            return True
        actual = book_checksum(*_best(bids, asks, _CHECKED_LEVELS))
        if actual == message.checksum:
            return True
        book.checksum_failures += 1
        detail = f"checksum: {actual} instead of {message.checksum} at seqId {message.seq_id}"
        self._out_of_step(book, detail)
        return False

    def __repr__(self) -> str:
        synced = sum(book.synced for book in self._by_topic.values())
        return f"<OkxOrderBooks {len(self._by_topic)} books, {synced} synced>"


class OkxOrderBook(OkxBook):
    """The order book of ``inst_id`` on ``channel`` (``books``), on a stream of its own:
    an :class:`OkxBook` that keeps itself up to date, as an :class:`OkxOrderBooks` of one
    (see the module for how it resyncs). Several books on one connection:
    :class:`OkxOrderBooks`. Keyword arguments as :class:`OkxOrderBooks`'."""

    def __init__(
        self,
        inst_id: str,
        *,
        url: str = PUBLIC_URL,
        channel: str = "books",
        settings: StreamSettings | None = None,
        limiter: ConnectionLimiter | RateLimiter | None = None,
        snapshot_timeout: float = 30.0,
        **options: Any,
    ) -> None:
        super().__init__(inst_id, channel)
        self._books = OkxOrderBooks(
            [self],
            url=url,
            settings=settings,
            limiter=limiter,
            snapshot_timeout=snapshot_timeout,
            **options,
        )
        self.stream = self._books.stream

    @property
    def snapshot_timeout(self) -> float:
        return self._books.snapshot_timeout

    async def __aenter__(self) -> Self:
        await self._books.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._books.aclose()

    def __aiter__(self) -> Self:
        return self

    async def next(self, timeout: float | None = None) -> BookUpdated | BookResynced:
        return await self._books.next(timeout)

    async def __anext__(self) -> BookUpdated | BookResynced:
        return await self._books.__anext__()


def _set_levels(side: Side, levels: list[list[str]]) -> dict[Decimal, list[str] | None]:
    """Apply ``levels`` (size 0 removes one) and return what they replaced, to undo them."""
    previous: dict[Decimal, list[str] | None] = {}
    for level in levels:
        price = Decimal(level[0])
        if price not in previous:
            previous[price] = side.get(price)
        if Decimal(level[1]) == 0:
            side.pop(price, None)
        else:
            side[price] = level
    return previous


def _restore(side: Side, previous: dict[Decimal, list[str] | None]) -> None:
    for price, level in previous.items():
        if level is None:
            side.pop(price, None)
        else:
            side[price] = level

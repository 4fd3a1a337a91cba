"""``OkxOrderBook``: OKX's ``books`` channel kept locally, every update checked.

OKX sends a snapshot when a channel is subscribed, then updates: each must continue the
one before (its ``prevSeqId`` is the last ``seqId``), and the CRC-32 of the best 25 levels
after it must equal its ``checksum``. OKX sends a snapshot *only* on a subscription, so
whenever continuity is lost the book must subscribe again:

* an update out of sequence, or one whose checksum fails, is never shown: the book keeps
  its last consistent state (an update is applied, checked, and undone when the check
  fails), ``synced`` turns ``False``, and the stream's connection is restarted
  (:meth:`aioca.stream.Stream.restart`), which puts a ``sequence`` :class:`~aioca.stream.Gap`
  in the stream, counted in its stats and passed to its listeners;
* an overflow of the stream's buffer (or any other gap after which the core does not
  connect again) restarts the connection too; after a lost connection the book waits
  for the snapshot of the core's reconnection, which subscribes anew;
* a snapshot that does not come within ``snapshot_timeout`` seconds restarts again.

The first consistent snapshot after each of these yields :class:`BookResynced` (its
``reason`` says why the book had to resync); every applied update yields
:class:`BookUpdated`.

Why a restart and not ``unsubscribe`` then ``subscribe`` on the same connection: the
core's :meth:`~aioca.stream.Stream.unsubscribe` closes a connection left with no topic
(the book's stream has one topic), and :meth:`~aioca.stream.Stream.subscribe` ignores a
topic already subscribed; the core has no call that sends both on a live connection. A
restart costs the same connection attempt that unsubscribing did, charged to OKX's
connection limit (:mod:`aioca_okx.streams.limits`), and spends one subscribe request of
the new connection's 480 an hour, never the old one's.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from aioca import RateLimiter
from aioca.stream import ConnectionLimiter, Gap, GapReason, StreamSettings

from .protocol import PUBLIC_URL, SETTINGS, OkxBookMessage, OkxPublicProtocol, OkxStream

__all__ = ["BookResynced", "BookUpdated", "OkxOrderBook", "book_checksum"]

Side = dict[Decimal, list[str]]
_CHECKED_LEVELS = 25
_RESUBSCRIBED = frozenset({GapReason.DISCONNECTED, GapReason.SESSION, GapReason.SEQUENCE})
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
    """An update was applied and checked: the book is at ``seq_id``."""

    seq_id: int | None


@dataclass(frozen=True, slots=True)
class BookResynced:
    """The book was (re)built from a snapshot and is consistent at ``seq_id``; ``reason``
    says why it had to (``"start"``, ``"checksum: ..."``, ``"sequence: ..."``,
    ``"gap: overflow"``, ``"no snapshot within ..."``)."""

    seq_id: int | None
    reason: str


class OkxOrderBook:
    """The order book of ``inst_id`` on ``channel`` (``books``), verified against every
    checksum (see the module). ``url`` overrides the endpoint, ``limiter`` the limiter
    of connection attempts; other keyword arguments go to the
    :class:`~aioca_okx.streams.OkxStream`."""

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
        self.inst_id = inst_id
        self.topic = f"{channel}:{inst_id}"
        protocol = OkxPublicProtocol(url, settings=settings or SETTINGS, limiter=limiter)
        self.stream = OkxStream(protocol, [self.topic], **options)
        self.snapshot_timeout = snapshot_timeout
        self.bids: Side = {}
        self.asks: Side = {}
        self.seq_id: int | None = None
        self.synced = False
        self.resyncs = 0
        """How many times the book lost continuity after it had been consistent."""
        self.checksum_failures = 0
        self._reason = "start"
        self._deadline: float | None = None
        """While not synced: when a snapshot is overdue (a subscription is on its way)."""
        self._events: deque[BookUpdated | BookResynced] = deque()

    async def __aenter__(self) -> Self:
        await self.stream.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stream.aclose()

    # --- queries ---------------------------------------------------------------------------

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

    # --- the loop --------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def next(self, timeout: float | None = None) -> BookUpdated | BookResynced:
        async with asyncio.timeout(timeout):
            return await self.__anext__()

    async def __anext__(self) -> BookUpdated | BookResynced:
        loop = asyncio.get_running_loop()
        while not self._events:
            if self.synced:
                item = await self.stream.__anext__()
            else:
                if self._deadline is None:
                    self._deadline = loop.time() + self.snapshot_timeout
                try:
                    async with asyncio.timeout_at(self._deadline):
                        item = await self.stream.__anext__()
                except TimeoutError:
                    self._resubscribe(GapReason.DISCONNECTED, self._overdue())
                    continue
            if isinstance(item, Gap):
                self._on_gap(item)
                continue
            for message in item.data:
                if not self._apply(message):
                    break  # the rest of this push follows what was refused
        return self._events.popleft()

    def _overdue(self) -> str:
        return f"no snapshot within {self.snapshot_timeout:g} s"

    def _on_gap(self, gap: Gap) -> None:
        """Continuity is gone. A lost connection (the book's own restarts among them) is
        subscribed again by the core's reconnection, whose snapshot is awaited; any other
        gap (an overflow, which may have dropped a snapshot too) restarts the connection."""
        if gap.reason in _RESUBSCRIBED:
            if self._deadline is None:
                self._lose(f"gap: {gap.reason.value}")
                self._deadline = asyncio.get_running_loop().time() + self.snapshot_timeout
            return
        self._lose(f"gap: {gap.reason.value}")
        detail = f"the order book resubscribes after a {gap.reason.value} gap"
        self._restart(GapReason.DISCONNECTED, detail)

    def _lose(self, reason: str) -> None:
        if self.synced:
            self.resyncs += 1
        self.synced = False
        self._reason = reason

    def _resubscribe(self, reason: GapReason, detail: str) -> None:
        """OKX's remedy for a book out of step: subscribe again, for a fresh snapshot."""
        self._lose(detail)
        self._restart(reason, detail)

    def _restart(self, reason: GapReason, detail: str) -> None:
        self._deadline = asyncio.get_running_loop().time() + self.snapshot_timeout
        self.stream.restart(reason, detail)

    # --- applying ----------------------------------------------------------------------------

    def _apply(self, message: OkxBookMessage) -> bool:
        """Apply one push item; ``False`` when it broke continuity (the book is unchanged
        and resubscribing)."""
        if message.action == "snapshot":
            return self._apply_snapshot(message)
        if not self.synced:
            return True  # waiting for the snapshot
        if message.prev_seq_id is not None and message.prev_seq_id != self.seq_id:
            self._resubscribe(
                GapReason.SEQUENCE,
                f"sequence: prevSeqId {message.prev_seq_id} after seqId {self.seq_id}",
            )
            return False
        undo = [_set_levels(self.bids, message.bids), _set_levels(self.asks, message.asks)]
        if not self._checks(message, self.bids, self.asks):
            for side, previous in zip((self.bids, self.asks), undo, strict=True):
                _restore(side, previous)
            return False
        self.seq_id = message.seq_id
        self._events.append(BookUpdated(self.seq_id))
        return True

    def _apply_snapshot(self, message: OkxBookMessage) -> bool:
        bids = {Decimal(level[0]): level for level in message.bids}
        asks = {Decimal(level[0]): level for level in message.asks}
        if not self._checks(message, bids, asks):
            return False
        self.bids, self.asks = bids, asks
        self.seq_id = message.seq_id
        self.synced = True
        self._deadline = None
        self._events.append(BookResynced(self.seq_id, self._reason))
        return True

    def _checks(self, message: OkxBookMessage, bids: Side, asks: Side) -> bool:
        """Whether the book ``bids``/``asks`` after ``message`` has its checksum; if not,
        count the failure and resubscribe."""
        if message.checksum is None:
            return True
        actual = book_checksum(*_best(bids, asks, _CHECKED_LEVELS))
        if actual == message.checksum:
            return True
        self.checksum_failures += 1
        detail = f"checksum: {actual} instead of {message.checksum} at seqId {message.seq_id}"
        self._resubscribe(GapReason.SEQUENCE, detail)
        return False

    def __repr__(self) -> str:
        state = "synced" if self.synced else "syncing"
        return f"<OkxOrderBook {self.topic} {state} at {self.seq_id}>"


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

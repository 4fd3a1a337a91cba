"""OKX public WebSocket channels on aioca's core (:mod:`aioca.stream`): tickers, trades and
order books whose every update is checked against OKX's checksum.

A topic is ``"<channel>:<instId>"`` (``"tickers:BTC-USDT"``, ``"books:BTC-USDT"``,
``"trades:BTC-USDT"``); subscriptions are ``{"op": "subscribe", "args": [{"channel": ...,
"instId": ...}], "id": ...}``. OKX closes a connection that stays silent for 30 s, so the
protocol sends the text ``"ping"`` after 20 s without a frame and expects ``"pong"``.

:class:`OkxOrderBook` keeps the ``books`` channel (400 levels, snapshot then updates):
each update must continue the previous one (``prevSeqId`` equals the last ``seqId``), and
the CRC-32 of the top 25 levels must equal the update's ``checksum``; otherwise the book
subscribes again to get a fresh snapshot and says so with :class:`BookResynced`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field

from aioca.stream import (
    Frame,
    Gap,
    Reply,
    Request,
    Restart,
    Stream,
    StreamProtocol,
    StreamSettings,
    SubscriptionError,
)

__all__ = [
    "CHANNELS",
    "PUBLIC_URL",
    "BookResynced",
    "BookUpdated",
    "OkxBookMessage",
    "OkxMessage",
    "OkxOrderBook",
    "OkxPublicProtocol",
    "OkxTicker",
    "OkxTrade",
    "book_checksum",
    "okx_settings",
    "public_stream",
]

PUBLIC_URL = "wss://ws.okx.com:8443/ws/v5/public"
CHANNELS = ("tickers", "trades", "books", "books5", "bbo-tbt", "books-l2-tbt", "books50-l2-tbt")
SETTINGS = StreamSettings(
    heartbeat=None,  # OKX wants its own text ping (see OkxPublicProtocol.ping_text)
    ping_interval=20.0,
    max_lifetime=None,
    max_topics_per_connection=240,
    messages_per_second=3.0,
    topics_per_message=20,
)
"""OKX's limits: 3 connection requests a second, 480 subscribe requests an hour per
connection (we send a handful), no documented connection lifetime."""
_ids = itertools.count(1)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class OkxTicker(_Model):
    """A ``tickers`` push."""

    inst_type: str | None = Field(None, alias="instType")
    inst_id: str = Field(alias="instId")
    last: Decimal | None = None
    last_size: Decimal | None = Field(None, alias="lastSz")
    ask_price: Decimal | None = Field(None, alias="askPx")
    ask_size: Decimal | None = Field(None, alias="askSz")
    bid_price: Decimal | None = Field(None, alias="bidPx")
    bid_size: Decimal | None = Field(None, alias="bidSz")
    open_24h: Decimal | None = Field(None, alias="open24h")
    high_24h: Decimal | None = Field(None, alias="high24h")
    low_24h: Decimal | None = Field(None, alias="low24h")
    volume_24h: Decimal | None = Field(None, alias="vol24h")
    ts: int | None = None


class OkxTrade(_Model):
    """A ``trades`` push."""

    inst_id: str = Field(alias="instId")
    trade_id: str = Field(alias="tradeId")
    price: Decimal = Field(alias="px")
    size: Decimal = Field(alias="sz")
    side: str
    ts: int


class OkxBookMessage(_Model):
    """A ``books`` push: ``action`` is ``snapshot`` or ``update``; levels are
    ``[price, size, "0", orders]`` as OKX sends them (text, for the checksum)."""

    asks: list[list[str]]
    bids: list[list[str]]
    ts: int | None = None
    checksum: int | None = None
    seq_id: int | None = Field(None, alias="seqId")
    prev_seq_id: int | None = Field(None, alias="prevSeqId")
    action: str | None = None


class OkxMessage(NamedTuple):
    """One push: its ``topic`` (``"tickers:BTC-USDT"``) and its ``data`` (a list of
    models: OKX sends arrays)."""

    topic: str
    data: list[Any]


_MODELS: dict[str, type[_Model]] = {"tickers": OkxTicker, "trades": OkxTrade}


class OkxPublicProtocol(StreamProtocol[OkxMessage]):
    """OKX's public channels. ``url`` overrides the endpoint (a test server)."""

    ping_text = "ping"

    def __init__(self, url: str = PUBLIC_URL, *, settings: StreamSettings | None = None) -> None:
        self.public_url = url
        self.settings = settings or SETTINGS

    def check_topics(self, topics: Sequence[str]) -> None:
        problems = []
        for topic in topics:
            channel, sep, inst = topic.partition(":")
            if not sep or not inst:
                problems.append(f"{topic!r} is not '<channel>:<instId>'")
            elif channel not in CHANNELS:
                problems.append(f"{topic!r}: unknown channel {channel!r} ({', '.join(CHANNELS)})")
        if problems:
            raise SubscriptionError(problems)

    def url(self, group: str, topics: Sequence[str]) -> str:
        return self.public_url

    def _requests(self, op: str, topics: Sequence[str]) -> list[Request]:
        requests = []
        size = self.settings.topics_per_message
        for start in range(0, len(topics), size):
            number = str(next(_ids))
            args = [
                {"channel": topic.partition(":")[0], "instId": topic.partition(":")[2]}
                for topic in topics[start : start + size]
            ]
            requests.append(Request({"id": number, "op": op, "args": args}, number))
        return requests

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._requests("subscribe", topics)

    def unsubscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._requests("unsubscribe", topics)

    def parse(self, text: str) -> Frame[OkxMessage] | Reply | Restart | None:
        if text == "pong":
            return None
        data = json.loads(text)
        if "event" in data:
            number = data.get("id")
            if data["event"] == "error":
                message = f"OKX refused the request: [{data.get('code')}] {data.get('msg')}"
                return Reply(number, message) if number else None
            return Reply(number, None) if number else None
        arg = data.get("arg")
        if arg is None or "data" not in data:
            return None
        channel = arg.get("channel", "")
        topic = f"{channel}:{arg.get('instId', '')}"
        model: type[_Model] = (
            OkxBookMessage if channel.startswith("books") else _MODELS.get(channel, _Model)
        )
        items = [model.model_validate(item) for item in data["data"]]
        action = data.get("action")
        if action is not None:  # books: the action is on the push, not on its items
            for item in items:
                if isinstance(item, OkxBookMessage):
                    item.action = action
        return Frame(topic, OkxMessage(topic, items))


def public_stream(*topics: str, url: str = PUBLIC_URL, **options: Any) -> Stream[OkxMessage]:
    """A stream of OKX public ``topics``; open it with ``async with``."""
    settings = options.pop("settings", None)
    return Stream(OkxPublicProtocol(url, settings=settings), topics, **options)


def book_checksum(bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]]) -> int:
    """OKX's checksum: CRC-32 (signed) of ``bid:size:ask:size:...`` over the best 25
    levels of each side, interleaved, with prices and sizes as OKX sent them."""
    parts: list[str] = []
    for index in range(25):
        if index < len(bids):
            parts += (bids[index][0], bids[index][1])
        if index < len(asks):
            parts += (asks[index][0], asks[index][1])
    value = zlib.crc32(":".join(parts).encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@dataclass(frozen=True, slots=True)
class BookUpdated:
    seq_id: int | None


@dataclass(frozen=True, slots=True)
class BookResynced:
    seq_id: int | None
    reason: str


class OkxOrderBook:
    """The ``books`` order book of ``inst_id``, verified against every checksum."""

    def __init__(
        self, inst_id: str, *, url: str = PUBLIC_URL, channel: str = "books", **options: Any
    ) -> None:
        self.inst_id = inst_id
        self.topic = f"{channel}:{inst_id}"
        settings = options.pop("settings", None) or SETTINGS
        self.stream = Stream(OkxPublicProtocol(url, settings=settings), [self.topic], **options)
        self.bids: dict[Decimal, list[str]] = {}
        self.asks: dict[Decimal, list[str]] = {}
        self.seq_id: int | None = None
        self.synced = False
        self.resyncs = 0
        self.checksum_failures = 0
        self._reason = "start"
        self._events: deque[BookUpdated | BookResynced] = deque()

    async def __aenter__(self) -> Self:
        await self.stream.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stream.aclose()

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

    def levels(self, count: int = 25) -> tuple[list[list[str]], list[list[str]]]:
        """The best ``count`` levels of each side, as OKX wrote them."""
        bids = [self.bids[p] for p in sorted(self.bids, reverse=True)[:count]]
        asks = [self.asks[p] for p in sorted(self.asks)[:count]]
        return bids, asks

    def __aiter__(self) -> Self:
        return self

    async def next(self, timeout: float | None = None) -> BookUpdated | BookResynced:
        async with asyncio.timeout(timeout):
            return await self.__anext__()

    async def __anext__(self) -> BookUpdated | BookResynced:
        while not self._events:
            item = await self.stream.__anext__()
            if isinstance(item, Gap):
                self._lose(f"gap: {item.reason.value}")  # the resubscription sends a snapshot
                continue
            for message in item.data:
                await self._apply(message)
        return self._events.popleft()

    def _lose(self, reason: str) -> None:
        if self.synced:
            self.resyncs += 1
        self.synced = False
        self._reason = reason

    async def _apply(self, message: OkxBookMessage) -> None:
        if message.action == "snapshot":
            self.bids = {Decimal(level[0]): level for level in message.bids}
            self.asks = {Decimal(level[0]): level for level in message.asks}
        elif not self.synced:
            return  # waiting for the snapshot
        elif message.prev_seq_id != self.seq_id and message.prev_seq_id is not None:
            await self._resubscribe(f"sequence: {message.prev_seq_id} after {self.seq_id}")
            return
        else:
            for side, levels in ((self.bids, message.bids), (self.asks, message.asks)):
                for level in levels:
                    price = Decimal(level[0])
                    if Decimal(level[1]) == 0:
                        side.pop(price, None)
                    else:
                        side[price] = level
        if message.checksum is not None and book_checksum(*self.levels()) != message.checksum:
            self.checksum_failures += 1
            await self._resubscribe("checksum")
            return
        self.seq_id = message.seq_id
        if message.action == "snapshot":
            self.synced = True
            self._events.append(BookResynced(self.seq_id, self._reason))
        else:
            self._events.append(BookUpdated(self.seq_id))

    async def _resubscribe(self, reason: str) -> None:
        """OKX's remedy for a book out of step: subscribe again, for a fresh snapshot."""
        self._lose(reason)
        await self.stream.unsubscribe(self.topic)
        await self.stream.subscribe(self.topic)


def okx_settings(**changes: Any) -> StreamSettings:
    """OKX's stream settings (:data:`SETTINGS`) with ``changes``."""
    return replace(SETTINGS, **changes)

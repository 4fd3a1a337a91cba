"""OKX's public WebSocket channels on aioca's core (:mod:`aioca.stream`): the protocol,
its typed messages, and :class:`OkxStream`, a stream that keeps OKX's subscribe budget.

A topic is ``"<channel>:<instId>"`` (``"tickers:BTC-USDT"``, ``"books:BTC-USDT"``,
``"trades:BTC-USDT"``); subscriptions are ``{"op": "subscribe", "args": [{"channel": ...,
"instId": ...}], "id": ...}``. OKX closes a connection that stays silent for 30 s, so the
protocol sends the text ``"ping"`` after 20 s without a frame and expects ``"pong"``.
OKX's connection and subscription limits are in :mod:`aioca_okx.streams.limits`.
OKX answers a request one channel at a time: :mod:`aioca_okx.streams.replies` settles it
once every channel is accepted or at OKX's first error, and turns OKX's notice of a
service upgrade (64008: the connection closes soon) into a move to a new connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple, Self

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aioca import RateLimiter
from aioca.stream import (
    ConnectionLimiter,
    Frame,
    Notice,
    Reply,
    Request,
    Restart,
    Rotate,
    Stream,
    StreamProtocol,
    StreamSettings,
    SubscriptionError,
)

from .limits import (
    SUBSCRIBE_REQUESTS_PER_HOUR,
    SUBSCRIBE_UNIT,
    connection_limiter,
    opening_requests,
)
from .limits import subscribe_limiter as budget_of
from .replies import Answers

__all__ = [
    "CHANNELS",
    "LOGIN_CHANNELS",
    "PUBLIC_URL",
    "SETTINGS",
    "OkxBookMessage",
    "OkxMessage",
    "OkxPublicProtocol",
    "OkxStream",
    "OkxTicker",
    "OkxTrade",
    "okx_settings",
    "public_stream",
]

PUBLIC_URL = "wss://ws.okx.com:8443/ws/v5/public"
CHANNELS = ("tickers", "trades", "books", "books5", "bbo-tbt")
"""The channels this stream serves: OKX's public channels that need no login."""
LOGIN_CHANNELS = {
    "books-l2-tbt": "OKX serves it only to a logged-in VIP5 or higher account",
    "books50-l2-tbt": "OKX serves it only to a logged-in VIP4 or higher account",
}
"""OKX's tick-by-tick books that need a login (identity verification) on the public
endpoint and a VIP fee tier (https://www.okx.com/help/5399923178253, since May 2022):
this stream never logs in, so it refuses them before sending anything rather than have
OKX refuse the subscribe."""
SETTINGS = StreamSettings(
    heartbeat=None,  # OKX wants its own text ping (see OkxPublicProtocol.ping_text)
    ping_interval=20.0,
    max_lifetime=None,
    max_topics_per_connection=240,
    messages_per_second=None,
    topics_per_message=20,
)
"""OKX's numbers: no documented connection lifetime and no per-second message limit on a
connection (its limits count connection attempts per IP and subscribe requests per hour:
see :mod:`aioca_okx.streams.limits`, kept by the protocol's ``connection_limiter`` and
:class:`OkxStream`); 20 topics a request and 240 a connection keep each connection's
opening requests to 12."""
_ids = itertools.count(1)
logger = logging.getLogger("aioca.okx.stream")


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
    models: OKX sends arrays; the decoded JSON, with a warning, for a push its model cannot
    read)."""

    topic: str
    data: list[Any]


_MODELS: dict[str, type[_Model]] = {"tickers": OkxTicker, "trades": OkxTrade}


class OkxPublicProtocol(StreamProtocol[OkxMessage]):
    """OKX's public channels. ``url`` overrides the endpoint (a test server); ``limiter``
    the limiter of connection attempts (by default the one of ``url``'s host)."""

    ping_text = "ping"

    def __init__(
        self,
        url: str = PUBLIC_URL,
        *,
        settings: StreamSettings | None = None,
        limiter: ConnectionLimiter | RateLimiter | None = None,
    ) -> None:
        self.public_url = url
        self.settings = settings or SETTINGS
        self.connection_limiter = limiter or connection_limiter(url)
        """Charged before every connection attempt: shared by every stream of the
        process that connects to the same host (OKX counts attempts per IP)."""
        self._warned: set[str] = set()
        self.answers = Answers(*_reply_timing(self.settings))
        """The requests awaiting OKX's answers, one event per channel (see
        :mod:`aioca_okx.streams.replies`): a request is settled once all its channels
        are accepted, or by OKX's first error, never by its first acceptance."""

    def attach(self, stream: Any) -> None:
        """The stream's settings may differ from the protocol's: its requests are awaited
        for as long as it waits for their answers."""
        self.answers.reply_timeout, self.answers.pace = _reply_timing(stream.settings)

    def check_topics(self, topics: Sequence[str]) -> None:
        problems = []
        for topic in topics:
            channel, sep, inst = topic.partition(":")
            if not sep or not inst:
                problems.append(f"{topic!r} is not '<channel>:<instId>'")
            elif channel in LOGIN_CHANNELS:
                problems.append(
                    f"{topic!r}: {LOGIN_CHANNELS[channel]}, and this public stream does not log in"
                )
            elif channel not in CHANNELS:
                problems.append(f"{topic!r}: unknown channel {channel!r} ({', '.join(CHANNELS)})")
        if problems:
            raise SubscriptionError(problems)

    def url(self, group: str, topics: Sequence[str]) -> str:
        return self.public_url

    def _requests(self, op: str, topics: Sequence[str]) -> list[Request]:
        requests: list[Request] = []
        size = self.settings.topics_per_message
        for start in range(0, len(topics), size):
            number = str(next(_ids))
            args = [
                {"channel": topic.partition(":")[0], "instId": topic.partition(":")[2]}
                for topic in topics[start : start + size]
            ]
            self.answers.expect(number, op, topics[start : start + size], len(requests))
            requests.append(Request({"id": number, "op": op, "args": args}, number))
        return requests

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._requests("subscribe", topics)

    def unsubscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._requests("unsubscribe", topics)

    def parse(self, text: str) -> Frame[OkxMessage] | Reply | Restart | Rotate | Notice | None:
        if text == "pong":
            return None
        data = json.loads(text)
        if "event" in data:
            return self.answers.event(data)
        arg = data.get("arg")
        if arg is None or "data" not in data:
            return None
        channel = arg.get("channel", "")
        topic = f"{channel}:{arg.get('instId', '')}"
        model: type[_Model] = (
            OkxBookMessage if channel.startswith("books") else _MODELS.get(channel, _Model)
        )
        try:
            items = [model.model_validate(item) for item in data["data"]]
        except ValidationError as exc:
            # OKX changed a field: deliver the JSON (a book resyncs on it) rather than
            # drop the push or end the connection, and say so once per channel
            if channel not in self._warned:
                self._warned.add(channel)
                logger.warning(
                    "%s pushes do not fit their model, delivered as JSON: %s", channel, exc
                )
            return Frame(topic, OkxMessage(topic, list(data["data"])))
        action = data.get("action")
        if action is not None:  # books: the action is on the push, not on its items
            for item in items:
                if isinstance(item, OkxBookMessage):
                    item.action = action
        return Frame(topic, OkxMessage(topic, items))


def _reply_timing(settings: StreamSettings) -> tuple[float, float]:
    """How long the core waits for each answer, and the pause before each send."""
    rate = settings.messages_per_second
    return settings.connect_timeout, 1.0 / rate if rate else 0.0


class OkxStream(Stream[OkxMessage]):
    """A :class:`~aioca.stream.Stream` of OKX public channels that keeps OKX's budget of
    subscribe and unsubscribe requests (see :mod:`aioca_okx.streams.limits`).

    What :meth:`subscribe`, :meth:`unsubscribe` and :meth:`resubscribe` send once the
    stream is open is charged to ``subscribe_limiter`` (by default one of its own, from
    the stream's settings) first: a subscribe twice, for the unsubscribe that takes back
    what OKX accepted of it should OKX refuse it (the core sends it at once); a request
    that does not fit within ``budget_wait`` seconds (the settings' ``connect_timeout``
    by default) raises
    :class:`~aioca.stream.SubscriptionError` naming the topics, and nothing is sent.
    Other keyword arguments go to the :class:`~aioca.stream.Stream`.
    """

    def __init__(
        self,
        protocol: StreamProtocol[OkxMessage],
        topics: Iterable[str] = (),
        *,
        settings: StreamSettings | None = None,
        session: aiohttp.ClientSession | None = None,
        proxy: str | None = None,
        subscribe_limiter: RateLimiter | None = None,
        budget_wait: float | None = None,
    ) -> None:
        super().__init__(protocol, topics, settings=settings, session=session, proxy=proxy)
        self.subscribe_limiter = subscribe_limiter or budget_of(self.settings)
        self.budget_wait = self.settings.connect_timeout if budget_wait is None else budget_wait
        self._starting = False

    async def start(self) -> Self:
        """Open the stream: its initial topics are the connections' opening requests,
        which the budget leaves room for (they are not charged)."""
        self._starting = True
        try:
            return await super().start()
        finally:
            self._starting = False

    async def subscribe(self, *topics: str) -> None:
        if self.is_open and not self._starting:
            fresh = [topic for topic in dict.fromkeys(topics) if topic not in self.topics]
            if fresh:
                self.protocol.check_topics(fresh)  # bad topics spend no budget
                # and the unsubscribe that takes back what OKX accepted of a refused
                # subscribe: it is sent at once, so it is charged before, with its call
                await self._charge("subscribe", fresh, sends=2)
        await super().subscribe(*topics)

    async def unsubscribe(self, *topics: str) -> None:
        if self.is_open:
            gone = [topic for topic in dict.fromkeys(topics) if topic in self.topics]
            if gone:
                await self._charge("unsubscribe", gone)
        await super().unsubscribe(*topics)

    async def resubscribe(self, *topics: str) -> None:
        """:meth:`~aioca.stream.Stream.resubscribe` (``unsubscribe`` then ``subscribe`` on
        the connection that carries ``topics``, for fresh snapshots), both requests
        charged to the budget first."""
        if self.is_open and topics and all(topic in self.topics for topic in topics):
            await self._charge("resubscribe", list(dict.fromkeys(topics)), sends=2)
        await super().resubscribe(*topics)

    async def _charge(self, op: str, topics: list[str], sends: int = 1) -> None:
        """Wait for the budget of the requests ``op`` of ``topics`` sends on any one
        connection (a connection never gets more than its opening's worth of one call),
        ``sends`` kinds of them (a resubscribe: an unsubscribe and a subscribe)."""
        settings = self.settings
        requests = -(-len(topics) // settings.topics_per_message)
        cost = sends * min(requests, opening_requests(settings))
        try:
            async with asyncio.timeout(self.budget_wait):
                await self.subscribe_limiter.acquire({SUBSCRIBE_UNIT: cost})
        except TimeoutError:
            window = self.subscribe_limiter.status()[0]
            raise SubscriptionError(
                [
                    f"{op} of {', '.join(topics)} not sent: OKX allows "
                    f"{SUBSCRIBE_REQUESTS_PER_HOUR} subscribe/unsubscribe requests an hour "
                    f"per connection, and this stream's share ({window.limit} an hour) is "
                    f"spent for {window.resets_in:.0f} s more"
                ]
            ) from None


def public_stream(*topics: str, url: str = PUBLIC_URL, **options: Any) -> OkxStream:
    """A stream of OKX public ``topics``; open it with ``async with``. ``limiter`` is the
    limiter of connection attempts (see :class:`OkxPublicProtocol`); other keyword
    arguments go to :class:`OkxStream`."""
    settings = options.pop("settings", None)
    limiter = options.pop("limiter", None)
    protocol = OkxPublicProtocol(url, settings=settings, limiter=limiter)
    return OkxStream(protocol, topics, **options)


def okx_settings(**changes: Any) -> StreamSettings:
    """OKX's stream settings (:data:`SETTINGS`) with ``changes``."""
    return replace(SETTINGS, **changes)

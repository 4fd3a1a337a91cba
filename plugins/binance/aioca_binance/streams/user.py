"""A Binance account's own events: futures through a listenKey, Spot through the
WebSocket API's signed subscription.

Futures (USDⓈ-M, COIN-M): the listenKey lifecycle is the protocol's job. Before every
connection it makes sure there is a key (``POST .../listenKey``, the ``USER_STREAM``
security: API key, no signature); while the stream is open it keeps the key alive every
``keepalive_interval`` seconds (default 30 minutes, well inside Binance's 60); when the
exchange says ``listenKeyExpired``, or a keepalive fails, it drops the key and the
stream reconnects with a new one, yielding a ``session`` gap: events of the meantime
are gone, so resync balances and orders over REST.

Spot: Binance retired Spot's listenKey; the WebSocket API
(``wss://ws-api.binance.com:443/ws-api/v3``) takes a signed
``userDataStream.subscribe.signature`` request on the connection itself, signed like a
REST request (HMAC, Ed25519 or RSA, with the API's own signer), and wraps each event as
``{"subscriptionId": n, "event": {...}}``.

Either way every connection attempt is charged to the limiter of its host (see
:func:`~aioca_binance.streams.markets.connection_limiter`): a futures listenKey connection
to the very limiter of the market streams of that host, since Binance counts them all
against its connections per IP; the WebSocket API to the limiter of its own host.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp

from aioca.errors import AiocaError
from aioca.stream import (
    Frame,
    GapReason,
    Reply,
    Request,
    Restart,
    Rotate,
    StreamProtocol,
    StreamSettings,
)

from .markets import (
    MAINNET_STREAM_URLS,
    TESTNET_STREAM_URLS,
    catalog,
    connection_limiter,
    market_settings,
)
from .protocol import shutdown_notice

__all__ = ["USER_TOPIC", "FuturesUserDataProtocol", "SpotUserDataProtocol", "UserEvent"]

logger = logging.getLogger("aioca.binance.stream")
USER_TOPIC = "user"
"""The one topic of a user data stream (the core counts connections by topics)."""
_LISTEN_KEY_PATHS = {"usdm": "/fapi/v1/listenKey", "coinm": "/dapi/v1/listenKey"}
WS_API_URLS = {
    False: "wss://ws-api.binance.com:443/ws-api/v3",
    True: "wss://ws-api.testnet.binance.vision/ws-api/v3",
}
_ids = itertools.count(1)

UserEvent = Any
"""A typed event (a model of the market's ``EVENTS``), or the decoded JSON of an event
type the catalog does not know (``extra`` fields are kept either way)."""


def _check_typed(typed: Any) -> bool:
    """User data is a few events a second at most: the pydantic models (``True``) or the
    decoded JSON (``False``); the market streams' ``"struct"`` view is for volume."""
    if typed is not True and typed is not False:
        raise ValueError(
            f"typed must be True or False for user data, not {typed!r} (typed='struct' is "
            "for market streams, where the volume is)"
        )
    return typed


def _parse_event(events: dict[str, Any], data: Any) -> Any:
    model = events.get(str(data.get("e"))) if isinstance(data, dict) else None
    return model.model_validate(data) if model is not None else data


class FuturesUserDataProtocol(StreamProtocol[UserEvent]):
    """The user data stream of a USDⓈ-M or COIN-M account, through its listenKey.

    ``api`` is a :class:`~aioca_binance.BinanceRestApi` with an API key (its
    ``urls[market]`` is the REST base); ``base_url`` the WebSocket base.
    """

    def __init__(
        self,
        api: Any,
        market: str = "usdm",
        *,
        base_url: str | None = None,
        testnet: bool = False,
        keepalive_interval: float = 30 * 60.0,
        typed: bool = True,
        settings: StreamSettings | None = None,
    ) -> None:
        if market not in _LISTEN_KEY_PATHS:
            raise ValueError(f"futures user data is for 'usdm' or 'coinm', not {market!r}")
        if keepalive_interval <= 0 or keepalive_interval >= 60 * 60:
            raise ValueError("keepalive_interval must be in (0, 3600) seconds: keys live 60 min")
        self.api = api
        self.market = market
        urls = TESTNET_STREAM_URLS if testnet else MAINNET_STREAM_URLS
        self.base_url = (base_url or urls[market]).rstrip("/")
        self.keepalive_interval = keepalive_interval
        self.typed = _check_typed(typed)
        self.settings = settings or market_settings(market, overflow="block")
        self.connection_limiter = connection_limiter(self.base_url)
        self.listen_key: str | None = None
        self.keepalives = 0
        self._events: dict[str, Any] = dict(catalog(market).EVENTS) if typed else {}
        self._stream: Any = None
        self._keeper: asyncio.Task[None] | None = None

    @property
    def _listen_key_url(self) -> str:
        return str(self.api.urls[self.market]) + _LISTEN_KEY_PATHS[self.market]

    async def _call(self, method: str) -> Any:
        return await self.api.request(method, self._listen_key_url, security="USER_STREAM")

    def attach(self, stream: Any) -> None:
        self._stream = stream
        self._keeper = asyncio.get_running_loop().create_task(self._keep_alive())

    async def close(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def prepare(self, session: aiohttp.ClientSession, group: str) -> None:
        if self.listen_key is None:
            answer = await self._call("POST")
            self.listen_key = str(answer["listenKey"])

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_interval)
            if self.listen_key is None:
                continue
            try:
                await self._call("PUT")
                self.keepalives += 1
            except AiocaError as exc:
                # The key is gone (-1125) or unreachable: a new key and a new connection;
                # the events in between are lost, and the stream says so.
                logger.warning("listenKey keepalive failed: %s", exc)
                self.listen_key = None
                if self._stream is not None:
                    self._stream.restart(GapReason.SESSION, f"listenKey keepalive failed: {exc}")

    def url(self, group: str, topics: Sequence[str]) -> str:
        if self.listen_key is None:
            raise RuntimeError("no listenKey: prepare() has not run")
        return f"{self.base_url}/ws/{self.listen_key}"

    def shown_url(self, url: str) -> str:
        """The URL with its listenKey masked: the key reads the account's events."""
        head, separator, _key = url.rpartition("/ws/")
        return f"{head}/ws/<listenKey>" if separator else url

    def topics_in_url(self, group: str, topics: Sequence[str]) -> Sequence[str]:
        return topics

    def parse(self, text: str) -> Frame[UserEvent] | Reply | Restart | Rotate | None:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("e") == "listenKeyExpired":
            if data.get("listenKey") in (None, self.listen_key):
                self.listen_key = None
            return Restart(GapReason.SESSION, "the listenKey expired")
        notice = shutdown_notice(data)
        if notice is not None:
            return notice
        return Frame(USER_TOPIC, _parse_event(self._events, data))

    def __repr__(self) -> str:  # the listenKey is a credential: never shown
        return f"<FuturesUserDataProtocol {self.market} {self.base_url}>"


class SpotUserDataProtocol(StreamProtocol[UserEvent]):
    """A Spot account's events over the WebSocket API: the connection subscribes with a
    signed ``userDataStream.subscribe.signature`` (``api`` signs it with its key)."""

    def __init__(
        self,
        api: Any,
        *,
        url: str | None = None,
        testnet: bool = False,
        typed: bool = True,
        recv_window: int | None = None,
        settings: StreamSettings | None = None,
    ) -> None:
        if not getattr(api, "api_key", None) or getattr(api, "_signer", None) is None:
            raise ValueError("Spot user data needs an API with api_key and a secret or key")
        self.api = api
        self.ws_url = url or WS_API_URLS[testnet]
        self.typed = _check_typed(typed)
        self.recv_window = recv_window
        self.settings = settings or market_settings("spot", overflow="block")
        self.connection_limiter = connection_limiter(self.ws_url)
        self.subscription: int | None = None
        self._events: dict[str, Any] = dict(catalog("spot").EVENTS) if typed else {}

    def url(self, group: str, topics: Sequence[str]) -> str:
        return self.ws_url

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        number = f"aioca-{next(_ids)}"
        params: dict[str, Any] = {"apiKey": self.api.api_key, "timestamp": self.api.timestamp_ms()}
        if self.recv_window is not None:
            params["recvWindow"] = self.recv_window
        payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
        # Signed exactly as a REST request is: the same signer, over the sorted parameters.
        params["signature"] = self.api.signer.sign(payload)
        request = {"id": number, "method": "userDataStream.subscribe.signature", "params": params}
        return [Request(request, number)]

    def overlap_key(self, text: str) -> str:
        """Each connection has a subscription of its own, whose number is in every frame
        (``{"subscriptionId": n, "event": {...}}``): two connections delivered the same
        frame when they delivered the same event."""
        data = json.loads(text)
        event = data.get("event") if isinstance(data, dict) else None
        if event is None:
            return text
        return json.dumps(event, sort_keys=True, separators=(",", ":"))

    def parse(self, text: str) -> Frame[UserEvent] | Reply | Restart | Rotate | None:
        data = json.loads(text)
        if not isinstance(data, dict):
            return None
        if "event" in data:
            event = data["event"]
            if isinstance(event, dict) and event.get("e") == "eventStreamTerminated":
                self.subscription = None
                return Restart(GapReason.SESSION, "the exchange ended the subscription")
            notice = shutdown_notice(event)
            if notice is not None:
                return notice
            return Frame(USER_TOPIC, _parse_event(self._events, event))
        if "id" in data and "status" in data:
            if data["status"] == 200:
                result = data.get("result") or {}
                self.subscription = result.get("subscriptionId")
                return Reply(data["id"], None)
            error = data.get("error") or {}
            message = f"[{error.get('code')}] {error.get('msg', 'refused')}"
            return Reply(data["id"], f"Binance refused the subscription: {message}")
        return None

    def __repr__(self) -> str:
        return f"<SpotUserDataProtocol {self.ws_url}>"

"""``BinanceSimulator``: a local Binance exchange on aiohttp.web, three markets on three
ports of one host: Spot, USDⓈ-M futures and COIN-M futures.

Every request goes through one handler per market that does what Binance's gateway does,
in its order: faults (for tests), the route (Binance's 404 page for an unknown one), the
IP ban, the parameters, the IP weight (429 past the limit), the API key and signature,
the endpoint's own parameter checks, the order-rate limits, then the endpoint. Errors are
Binance's ``{"code": ..., "msg": ...}`` bodies with its HTTP statuses, and every answer
carries the market's ``X-MBX-USED-WEIGHT-*`` headers (``X-MBX-ORDER-COUNT-*`` for order
placement).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import string
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .auth import Credentials, split_signature
from .context import Call, Venue
from .contracts import ContractChanges
from .endpoints import MARKETS
from .engine import Engine
from .errors import SimError
from .faults import Faults
from .feeds import CoinmFeeds
from .instruments import build_instruments
from .leverage_brackets import parse_brackets
from .limits import BUDGETS, Budget, RateLimits, futures_budgets
from .market import Market
from .params import merge, parse_pairs
from .routes import Route, build_routes, market_module
from .streams import StreamHub
from .ws_api import WS_API_PATH, SpotUserApi

if TYPE_CHECKING:
    from aioca_binance import BinanceRestApi

    from .spot.funding import SpotFunding

__all__ = ["BinanceSimulator"]

_NOT_FOUND = b"<html><body><h2>404 Not found</h2></body></html>"
_INTERNAL = SimError(
    -1001, "Internal error; unable to process your request. Please try again.", status=503
)
_ALPHABET = string.ascii_letters + string.digits
_MAX_BODY = 1024 * 1024  # larger bodies get HTTP 413: no Binance request comes near it
_UNKNOWN_MSG = "An unknown error occured while processing the request."  # Binance's spelling
logger = logging.getLogger(__name__)


def _demo_credential(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


@dataclass(slots=True)
class _Site:
    """One market as served: its routes, state, limits, and where it listens."""

    market: str
    routes: dict[tuple[str, str], Route]
    venue: Any
    limits: RateLimits
    port: int
    runner: web.AppRunner | None = None
    url: str | None = None


class BinanceSimulator:
    """A local Binance exchange of three markets (Spot, USDⓈ-M, COIN-M), each on a port of
    its own: market data, a paper account, Binance's security and rate limits, and fault
    injection. See the package docstring for the options.

    ``async with BinanceSimulator() as sim:`` starts it on free ports of 127.0.0.1;
    ``sim.urls`` maps each market to its base URL (``sim.url`` is COIN-M's) and
    ``sim.api()`` is a ``BinanceRestApi`` bound to all three.

    ``port`` is COIN-M's port, ``ports`` the others' (``{"spot": 8081, "usdm": 8082}``;
    0 or absent: a free one). ``weight_limit``, ``order_limit_10s``, ``order_limit_1m``
    and ``weight_seconds`` set COIN-M's budgets; ``budgets`` replaces any market's
    (``{"spot": [Budget("REQUEST_WEIGHT", 100, 60), ...]}``); the others keep Binance's
    published ones (:data:`aioca_binance_sim.limits.BUDGETS`). ``faults`` apply to every
    market.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ports: Mapping[str, int] | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        ed25519_public_key: str | bytes | None = None,
        rsa_public_key: str | bytes | None = None,
        seed: int = 0,
        weight_limit: int = 2400,
        order_limit_10s: int = 300,
        order_limit_1m: int = 1200,
        budgets: Mapping[str, Sequence[Budget]] | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] | None = None,
        ban_after: int = 3,
        ban_seconds: int = 120,
        weight_seconds: int = 60,
        read_timeout: float = 15.0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, not {seed!r}")
        ports = dict(ports or {})
        unknown = sorted(set(ports) - set(MARKETS)) + sorted(set(budgets or {}) - set(MARKETS))
        if unknown:
            raise ValueError(f"unknown markets {unknown}: markets are {', '.join(MARKETS)}")
        ports.setdefault("coinm", port)
        self.host = host
        self.port = port
        self.seed = seed
        self.api_key = api_key if api_key is not None else _demo_credential(24)
        self.api_secret = api_secret if api_secret is not None else _demo_credential(48)
        if not self.api_key or not self.api_secret:
            raise ValueError("api_key and api_secret must not be empty")
        if not 0 < read_timeout < float("inf"):
            raise ValueError(f"read_timeout must be a positive number of seconds: {read_timeout!r}")
        self.read_timeout = read_timeout
        """Seconds a client has to deliver a whole request (headers, then body) before the
        connection is closed: a slow-loris client cannot hold connections forever."""
        self.faults = faults if faults is not None else Faults()
        self.clock: Callable[[], float] = clock if clock is not None else time.time
        self._credentials = Credentials(
            self.api_key, self.api_secret, ed25519_public_key, rsa_public_key
        )
        chosen = dict(BUDGETS)
        for name, value in (
            ("weight_limit", weight_limit),
            ("order_limit_10s", order_limit_10s),
            ("order_limit_1m", order_limit_1m),
            ("weight_seconds", weight_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")
        chosen["coinm"] = futures_budgets(
            weight_limit, order_limit_10s, order_limit_1m, weight_seconds
        )
        chosen.update({name: tuple(given) for name, given in (budgets or {}).items()})
        self.market_limits: dict[str, RateLimits] = {
            name: RateLimits(chosen[name], ban_after=ban_after, ban_seconds=ban_seconds)
            for name in MARKETS
        }
        """Each market's rate limits (a host of its own at Binance: budgets and bans of
        its own)."""
        self.limits = self.market_limits["coinm"]
        """COIN-M's rate limits."""
        opened = self.now_ms()
        instruments = build_instruments(seed, opened)
        self.market = Market(seed, instruments)
        """COIN-M's market data (read-only use: tests compare it with the answers)."""
        self.engine = Engine(self.market, instruments, funded_ms=opened)
        """COIN-M's paper account (inspect it in tests; change it through requests)."""
        self.venues: dict[str, Any] = {
            "coinm": Venue(self.market, self.engine, instruments, self.limits)
        }
        """Each market's state: COIN-M's :class:`~aioca_binance_sim.context.Venue`,
        Spot's and USDⓈ-M's from their packages (absent while a market has none)."""
        for name in ("spot", "usdm"):
            module = market_module(name)
            if module is not None:
                self.venues[name] = module.build_venue(seed, opened, self.now_ms)
        self.market_streams: dict[str, StreamHub] = {
            "coinm": StreamHub(CoinmFeeds(self.market, self.engine), self.now_ms)
        }
        """Each market's WebSocket streams (market data, user data) and their faults, on
        that market's port (``ws_urls``); a market without a stream source has none."""
        for name in ("spot", "usdm"):
            venue = self.venues.get(name)
            source = getattr(market_module(name), "stream_source", None)
            if venue is not None and source is not None:
                hub, prefixes = source(venue)
                self.market_streams[name] = StreamHub(hub, self.now_ms, prefixes=prefixes)
        self.streams = self.market_streams["coinm"]
        """COIN-M's streams (``market_streams["coinm"]``)."""
        spot = self.venues.get("spot")
        self.ws_api: SpotUserApi | None = (
            SpotUserApi(spot.engine, self._credentials, self.now_ms) if spot is not None else None
        )
        """Spot's WebSocket API (``ws_api_url``): the signed user-data subscription and
        the account's ``executionReport`` / ``outboundAccountPosition`` / ``listStatus``
        / ``balanceUpdate`` events."""
        self._spot_funding: SpotFunding | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop it serves on, while it runs."""
        self._sites = {
            name: _Site(
                name, build_routes(name), self.venues.get(name), self.market_limits[name],
                ports.get(name, 0),
            )
            for name in MARKETS
        }  # fmt: skip
        self._random = random.Random(seed)
        self.requests: Counter[tuple[str, str]] = Counter()
        """Requests received, by market and path (``sim.requests["usdm",
        "/fapi/v1/exchangeInfo"]``): what tests count to show a request was not repeated."""

    # --- life cycle -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The COIN-M base URL, ``http://127.0.0.1:PORT`` (requests go to ``url +
        "/dapi/v1/..."``); set once the simulator has started."""
        return self.urls["coinm"]

    @property
    def urls(self) -> dict[str, str]:
        """Each market's base URL: ``{"spot": ..., "usdm": ..., "coinm": ...}``, the
        ``urls=`` of ``BinanceRestApi``; set once the simulator has started."""
        if not self.running:
            raise RuntimeError("the simulator is not running: use `async with` or start()")
        return {name: site.url for name, site in self._sites.items() if site.url is not None}

    @property
    def ws_url(self) -> str:
        """COIN-M's WebSocket base URL, ``ws://127.0.0.1:PORT`` (``/stream``,
        ``/ws/<name>``)."""
        return "ws" + self.url.removeprefix("http")

    @property
    def ws_urls(self) -> dict[str, str]:
        """The WebSocket base URL of each market that serves streams (``base_url=`` of
        the client's streams): ``{"spot": ..., "usdm": ..., "coinm": ...}``."""
        urls = self.urls
        return {
            name: "ws" + url.removeprefix("http")
            for name, url in urls.items()
            if name in self.market_streams
        }

    @property
    def ws_api_url(self) -> str:
        """Spot's WebSocket API URL, ``ws://127.0.0.1:PORT/ws-api/v3`` (``url=`` of the
        client's ``spot_user_stream``)."""
        return self.ws_urls["spot"] + WS_API_PATH

    @property
    def spot(self) -> SpotFunding:
        """Money in and out of the Spot account: ``sim.spot.deposit("USDT", "250")``,
        ``sim.spot.withdraw("BTC", "0.1")`` change the free balance (REST's account shows
        it) and push ``balanceUpdate`` to the WebSocket API's user-data subscribers;
        ``sim.spot.lock_externally("BTC", "0.5")`` locks part of it from outside Spot
        trading (``externalLockUpdate``; a negative amount unlocks); from any thread (a
        ``background_simulator``'s changes run on its loop)."""
        if self._spot_funding is None:
            venue = self.venues.get("spot")
            if venue is None:
                raise RuntimeError("this simulator has no Spot market")
            from .spot.funding import SpotFunding

            self._spot_funding = SpotFunding(venue.engine, self.now_ms, lambda: self._loop)
        return self._spot_funding

    @property
    def running(self) -> bool:
        return self._sites["coinm"].runner is not None

    async def start(self) -> None:
        if self.running:
            return
        started: list[_Site] = []
        try:
            for name in ("coinm", "spot", "usdm"):  # COIN-M first: its runner says running
                site = self._sites[name]
                await self._start_site(site)
                started.append(site)
        except BaseException:
            for site in reversed(started):
                await self._stop_site(site)
            raise
        self.port = self._sites["coinm"].port
        self._loop = asyncio.get_running_loop()
        for hub in self.market_streams.values():
            hub.start()

    async def _start_site(self, site: _Site) -> None:
        # keepalive_timeout also closes a connection that has not sent a whole request's
        # headers in time (aiohttp arms it when the connection opens and after each answer);
        # lingering_time bounds how long the rest of a refused body is read before closing.
        handler_args = {
            "max_field_size": 16384,
            "keepalive_timeout": self.read_timeout,
            "lingering_time": self.read_timeout,
        }
        app = web.Application(handler_args=handler_args, client_max_size=_MAX_BODY)
        hub = self.market_streams.get(site.market)
        if hub is not None:
            hub.routes(app)
        if site.market == "spot" and self.ws_api is not None:
            self.ws_api.routes(app)

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(site, request)

        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        tcp = web.TCPSite(runner, self.host, site.port)
        try:
            await tcp.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        site.port = port
        site.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        site.runner = runner

    async def _stop_site(self, site: _Site) -> None:
        runner, site.runner = site.runner, None
        if runner is not None:
            await runner.cleanup()

    async def stop(self) -> None:
        if not self.running:
            return
        for hub in self.market_streams.values():
            await hub.stop()
        if self.ws_api is not None:
            await self.ws_api.stop()
        for name in ("spot", "usdm", "coinm"):  # COIN-M last: running until all stopped
            await self._stop_site(self._sites[name])

    async def __aenter__(self) -> BinanceSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def api(self, **overrides: Any) -> BinanceRestApi:
        """A ``BinanceRestApi`` with this simulator's credentials and the three markets'
        URLs; the caller closes it (``async with sim.api() as api:``). It believes the
        simulator's clock however far it is from the machine's (a simulation may run at
        another date)."""
        overrides.setdefault("max_clock_offset", None)
        overrides.setdefault("urls", self.urls)
        from aioca_binance import BinanceRestApi  # the client, only for this convenience

        return BinanceRestApi(self.api_key, self.api_secret, **overrides)

    def reset_limits(self) -> None:
        """Clear every market's rate-limit windows and IP bans."""
        for limits in self.market_limits.values():
            limits.reset()

    def set_contract_status(self, market: str, symbol: str, status: str) -> int:
        """Change a futures contract's status (``"SETTLING"``, ``"CLOSE"``, back to
        ``"TRADING"``...) at the start of the next simulated second, and return that time
        (ms): from then on exchangeInfo lists it, and ``!contractInfo`` subscribers get one
        ``contractInfo`` event of it (see :mod:`aioca_binance_sim.contracts`)."""
        contracts = self._contracts(market, symbol)
        return contracts.change(symbol, status, self.now_ms()).time

    def set_leverage_brackets(
        self, market: str, symbol: str, brackets: Sequence[Mapping[str, Any]]
    ) -> int:
        """Give a futures contract new leverage brackets at the start of the next simulated
        second, and return that time (ms). ``brackets`` are the rows REST's
        ``leverageBracket`` is to answer, keyed as that market answers them (USDⓈ-M
        ``notionalCap`` / ``notionalFloor``, COIN-M ``qtyCap`` / ``qtylFloor``; checked as
        one table, a ``ValueError`` naming every problem). From then on
        ``/fapi/v1/leverageBracket`` (USDⓈ-M) or ``/dapi/v2/leverageBracket`` (COIN-M)
        answers them; the account follows them (a leverage above the first bracket's is
        refused with -4028, ``maxNotionalValue`` / ``maxQty`` answer the new caps, and
        USDⓈ-M's engine caps positions and takes maintenance margin by them); and
        ``!contractInfo`` subscribers get one ``contractInfo`` event whose ``bks`` is the
        table (see :mod:`aioca_binance_sim.leverage_brackets`)."""
        contracts = self._contracts(market, symbol)
        table = parse_brackets(market, brackets)
        return contracts.set_brackets(symbol, table, self.now_ms()).time

    def _contracts(self, market: str, symbol: str) -> ContractChanges:
        """The contract changes of a futures ``market`` that lists ``symbol``."""
        if market == "coinm":
            contracts, known = self.market.contracts, self.market.instruments
        elif market == "usdm" and "usdm" in self.venues:
            core = self.venues["usdm"].market.core
            contracts, known = core.contracts, core.instruments
        else:
            raise ValueError(f"no futures market {market!r}: use coinm or usdm")
        if symbol not in known:
            raise ValueError(f"no {market} contract {symbol!r}")
        return contracts

    def now_ms(self) -> int:
        """The server's clock: ``clock()`` plus the fault's clock skew, in ms."""
        return int(self.clock() * 1000) + self.faults.clock_skew_ms

    def __repr__(self) -> str:
        where = " ".join(f"{n}={s.url}" for n, s in self._sites.items() if s.url) or "not running"
        return f"<BinanceSimulator {where} api_key={self.api_key!r} seed={self.seed}>"

    # --- the request pipeline ----------------------------------------------------------

    async def _handle(self, site: _Site, request: web.Request) -> web.StreamResponse:
        self.requests[site.market, request.path] += 1
        faults = self.faults
        if faults.drop_rate and self._random.random() < faults.drop_rate:
            return self._drop(request)
        if faults.latency:
            await asyncio.sleep(faults.latency)
        route = site.routes.get((request.method, request.path))
        if route is None:
            return web.Response(status=404, body=_NOT_FOUND, content_type="text/html")
        headers: dict[str, str] = {}
        try:
            if faults.error_rate and self._random.random() < faults.error_rate:
                raise _INTERNAL
            body = await self._body(request)
            payload = self._process(site, request, route, body, headers)
            return web.Response(
                body=_json(payload), headers=headers, content_type="application/json"
            )
        except web.HTTPException:  # a body too large (413), too slow (408)
            raise
        except SimError as error:
            headers.update(error.headers)
            return web.Response(
                status=error.status,
                body=_json(error.body()),
                headers=headers,
                content_type="application/json",
            )
        except Exception:
            # A simulator bug must still answer as Binance would, not with a text 500.
            logger.exception(
                "simulator failed on %s %s %s", site.market, request.method, request.path
            )
            return web.Response(
                status=500,
                body=_json({"code": -1000, "msg": _UNKNOWN_MSG}),
                content_type="application/json",
            )

    async def _body(self, request: web.Request) -> str:
        """The body as text, read within ``read_timeout``: a form body is percent-encoded
        ASCII, so bytes that are not UTF-8 are a bad request (Binance's -1100), whatever
        charset the ``Content-Type`` claims."""
        if not request.can_read_body:
            return ""
        try:
            async with asyncio.timeout(self.read_timeout):
                raw = await request.read()
        except TimeoutError:
            raise web.HTTPRequestTimeout(headers={"Connection": "close"}) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SimError(-1100, "Illegal characters found in a parameter.") from None

    def _drop(self, request: web.Request) -> web.StreamResponse:
        """Close the connection without an answer (the client sees a disconnect)."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError

    def _process(
        self, site: _Site, request: web.Request, route: Route, body: str, headers: dict[str, str]
    ) -> Any:
        now = self.now_ms()
        seconds = now / 1000
        ip = request.remote or "127.0.0.1"
        limits = site.limits
        limits.check_ban(ip, seconds)
        query = request.raw_path.partition("?")[2]  # as sent: yarl's query_string is decoded
        received = merge(parse_pairs(query), parse_pairs(body))
        spec = route.spec
        try:
            limits.charge_weight(ip, route.weight(received), seconds)
            limits.charge_own(ip, spec.own_windows, seconds)
        finally:
            headers.update(limits.usage_headers(ip, seconds, "REQUEST_WEIGHT"))
        if spec.needs_key:
            self._credentials.check_key(request.headers.get("X-MBX-APIKEY"))
        if spec.signed:
            self._credentials.check_timestamp(
                received.get("timestamp"),
                received.get("recvWindow"),
                now,
                fractional_window=spec.fractional_window,
            )
            payload, signature = split_signature(query, body)
            self._credentials.check_signature(payload, signature)
        params = route.read(received)
        if route.places_orders:
            if route.counts_items:
                count = count_10s = len(params.get("batchOrders", ())) or 1
            else:
                count, count_10s = spec.orders_1m, spec.orders_10s
            try:
                limits.charge_orders(ip, count, seconds, count_10s)
            finally:
                headers.update(limits.usage_headers(ip, seconds, "ORDERS"))
        return route.handler(Call(site.venue, params, now, limits))

"""``BinanceSimulator``: a local Binance COIN-M futures exchange on aiohttp.web.

Every request goes through one handler that does what Binance's gateway does, in its
order: faults (for tests), the route (Binance's 404 page for an unknown one), the IP ban,
the parameters, the IP weight (429 past the limit), the API key and signature, the
endpoint's own parameter checks, the order-rate limits, then the endpoint. Errors are
Binance's ``{"code": ..., "msg": ...}`` bodies with its HTTP statuses, and every answer
carries the ``X-MBX-USED-WEIGHT-1M`` header (``X-MBX-ORDER-COUNT-*`` for order placement).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import string
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .auth import Credentials, split_signature
from .context import Call, Venue
from .engine import Engine
from .errors import SimError
from .faults import Faults
from .instruments import build_instruments
from .limits import RateLimits
from .market import Market
from .params import merge, parse_pairs, read_params
from .routes import Route, build_routes
from .streams import StreamHub

if TYPE_CHECKING:
    from aioca_binance import BinanceRestApi

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


class BinanceSimulator:
    """A local Binance COIN-M exchange: market data, a paper account, Binance's security
    and rate limits, and fault injection. See the package docstring for the options.

    ``async with BinanceSimulator() as sim:`` starts it on a free port of 127.0.0.1;
    ``sim.url`` is the COIN-M base URL and ``sim.api()`` a ``BinanceRestApi`` bound to it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        api_secret: str | None = None,
        ed25519_public_key: str | bytes | None = None,
        rsa_public_key: str | bytes | None = None,
        seed: int = 0,
        weight_limit: int = 2400,
        order_limit_10s: int = 300,
        order_limit_1m: int = 1200,
        faults: Faults | None = None,
        clock: Callable[[], float] | None = None,
        ban_after: int = 3,
        ban_seconds: int = 120,
        weight_seconds: int = 60,
        read_timeout: float = 15.0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, not {seed!r}")
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
        self.limits = RateLimits(
            weight_limit,
            order_limit_10s,
            order_limit_1m,
            ban_after=ban_after,
            ban_seconds=ban_seconds,
            weight_seconds=weight_seconds,
        )
        opened = self.now_ms()
        instruments = build_instruments(seed, opened)
        self.market = Market(seed, instruments)
        """The market data (read-only use: tests compare it with the answers)."""
        self.engine = Engine(self.market, instruments, funded_ms=opened)
        """The paper account (inspect it in tests; change it through requests)."""
        self._venue = Venue(self.market, self.engine, instruments, self.limits)
        self.streams = StreamHub(self.market, self.engine, self.now_ms)
        """The WebSocket streams (market data, user data) and their faults."""
        self._routes = build_routes()
        self._random = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # --- life cycle -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The COIN-M base URL, ``http://127.0.0.1:PORT`` (requests go to ``url +
        "/dapi/v1/..."``); set once the simulator has started."""
        if self._url is None:
            raise RuntimeError("the simulator is not running: use `async with` or start()")
        return self._url

    @property
    def ws_url(self) -> str:
        """The WebSocket base URL, ``ws://127.0.0.1:PORT`` (``/stream``, ``/ws/<name>``)."""
        return "ws" + self.url.removeprefix("http")

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        if self._runner is not None:
            return
        # keepalive_timeout also closes a connection that has not sent a whole request's
        # headers in time (aiohttp arms it when the connection opens and after each answer);
        # lingering_time bounds how long the rest of a refused body is read before closing.
        handler_args = {
            "max_field_size": 16384,
            "keepalive_timeout": self.read_timeout,
            "lingering_time": self.read_timeout,
        }
        app = web.Application(handler_args=handler_args, client_max_size=_MAX_BODY)
        self.streams.routes(app)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self.port = port
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self._runner = runner
        self.streams.start()

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await self.streams.stop()
            await runner.cleanup()

    async def __aenter__(self) -> BinanceSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def api(self, **overrides: Any) -> BinanceRestApi:
        """A ``BinanceRestApi`` with this simulator's credentials and URL; the caller
        closes it (``async with sim.api() as api:``). It believes the simulator's clock
        however far it is from the machine's (a simulation may run at another date)."""
        overrides.setdefault("max_clock_offset", None)
        from aioca_binance import BinanceRestApi  # the client, only for this convenience

        return BinanceRestApi(self.api_key, self.api_secret, urls={"coinm": self.url}, **overrides)

    def reset_limits(self) -> None:
        """Clear every rate-limit window and IP ban."""
        self.limits.reset()

    def now_ms(self) -> int:
        """The server's clock: ``clock()`` plus the fault's clock skew, in ms."""
        return int(self.clock() * 1000) + self.faults.clock_skew_ms

    def __repr__(self) -> str:
        where = self._url or "not running"
        return f"<BinanceSimulator {where} api_key={self.api_key!r} seed={self.seed}>"

    # --- the request pipeline ----------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        faults = self.faults
        if faults.drop_rate and self._random.random() < faults.drop_rate:
            return self._drop(request)
        if faults.latency:
            await asyncio.sleep(faults.latency)
        route = self._routes.get((request.method, request.path))
        if route is None:
            return web.Response(status=404, body=_NOT_FOUND, content_type="text/html")
        headers: dict[str, str] = {}
        try:
            if faults.error_rate and self._random.random() < faults.error_rate:
                raise _INTERNAL
            body = await self._body(request)
            payload = self._process(request, route, body, headers)
            return web.Response(
                body=_json(payload), headers=headers, content_type="application/json"
            )
        except web.HTTPException:  # a body too large (413), too slow (408)
            raise
        except SimError as error:
            headers.update(error.headers)
            return web.Response(
                status=error.status,
                body=_json({"code": error.code, "msg": error.msg}),
                headers=headers,
                content_type="application/json",
            )
        except Exception:
            # A simulator bug must still answer as Binance would, not with a text 500.
            logger.exception("simulator failed on %s %s", request.method, request.path)
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
        self, request: web.Request, route: Route, body: str, headers: dict[str, str]
    ) -> Any:
        now = self.now_ms()
        seconds = now / 1000
        ip = request.remote or "127.0.0.1"
        limits = self.limits
        limits.check_ban(ip, seconds)
        query = request.raw_path.partition("?")[2]  # as sent: yarl's query_string is decoded
        received = merge(parse_pairs(query), parse_pairs(body))
        used = limits.charge_weight(ip, route.weight(received), seconds)
        headers[limits.weight_header] = str(used)
        endpoint = route.endpoint
        if endpoint.security.needs_key:
            self._credentials.check_key(request.headers.get("X-MBX-APIKEY"))
        if endpoint.security.signed:
            self._credentials.check_timestamp(
                received.get("timestamp"), received.get("recvWindow"), now
            )
            payload, signature = split_signature(query, body)
            self._credentials.check_signature(payload, signature)
        params = read_params(route.fields, received, route.one_of)
        if route.places_orders:
            count = len(params.get("batchOrders", ())) or 1
            try:
                limits.charge_orders(ip, count, seconds)
            finally:
                ten, minute = limits.order_counts(ip, seconds)
                headers["X-MBX-ORDER-COUNT-10S"] = str(ten)
                headers["X-MBX-ORDER-COUNT-1M"] = str(minute)
        return route.handler(Call(self._venue, params, now))

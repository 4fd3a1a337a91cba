"""``BinanceRestApi``: Binance's wire rules on aioca's one request pipeline.

What is Binance's here, and nothing else: the base URL of each market, the security types
(which requests carry the ``X-MBX-APIKEY`` header, which are signed), the encoding of a
catalog call (GET and DELETE parameters in the query string, POST and PUT in a form body,
in declaration order), the signature (``recvWindow`` and ``timestamp`` last, then
``signature`` over exactly the bytes sent: the query string followed by the body; see
``plugins/binance/spec/binance-signing-and-errors.md``), the error codes, batches answered
item by item, the live limits ``exchangeInfo`` reports, and that answer shared by every API
object of a limiter backend that keeps answers (one request for N processes). Sending,
retries, the clock sync, rate limiting and the errors of the transport are the core's
(:meth:`aioca.RestApi.send_plan`).
"""

from __future__ import annotations

import contextvars
import functools
import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote_plus, urlsplit

import aiohttp
from yarl import URL

from aioca import PreparedRequest, RequestPlan, Response, RestApi, ServerClock, Window, errors
from aioca.limits import Limiter, SharedCache, SharedClock
from aioca.request import Params, RedactedHeaders, Wire, encode_params
from aioca.task import BaseTask, current_task
from aioca.urls import base_urls

from .endpoint import Endpoint, Security
from .errors import error_class_for
from .limits import DEFAULT_WINDOWS, MARKET_WINDOWS, costs, windows_from_rate_limits
from .markets import MAINNET_URLS, MARKETS, TESTNET_URLS, TIME_PATHS
from .signing import HmacSigner, Signer, load_private_key_signer

__all__ = [
    "DEFAULT_WINDOWS",
    "MAINNET_URLS",
    "TESTNET_URLS",
    "BinanceRestApi",
    "windows_from_rate_limits",
]

_MAX_RECV_WINDOW = 60_000
_BANNED_UNTIL = re.compile(r"banned until (\d{12,})")
_KEY_HEADER = "X-MBX-APIKEY"
_EXCHANGE_INFO = frozenset(
    {"/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"}
)
"""Each market's exchangeInfo (not the convert endpoint's, which has no limits)."""


_SHARED_BODY: contextvars.ContextVar[list[bytes] | None] = contextvars.ContextVar(
    "aioca_binance_shared_body", default=None
)
"""Where ``handle_response`` leaves an exchangeInfo body fetched for the shared cache."""


def _shared_name(exchange: str, plan: RequestPlan) -> str:
    """The name a request's answer is shared under: the exchange, host, path and query
    (different parameters, different answers; another host, another market or network)."""
    target = f"{plan.host}{urlsplit(plan.url).path}"
    return f"{exchange}:{target}?{plan.query_text}" if plan.query_text else f"{exchange}:{target}"


class BinanceRestApi(RestApi):
    """Binance REST API: credentials, base URLs, signing and Binance's error codes.

    ``api_key`` and ``api_secret`` for HMAC keys; or ``private_key`` (a PEM string, or a
    path to a PEM file; Ed25519 or RSA) with an optional ``private_key_passphrase``.
    ``testnet=True`` selects the testnets; ``urls={"coinm": "http://127.0.0.1:8080"}``
    overrides any base URL (a local simulator, a test server). ``recv_window`` is the
    default ``recvWindow`` in milliseconds; ``timeout`` is seconds or an
    ``aiohttp.ClientTimeout``. ``time_sync_interval`` is how often the clock offset is
    measured before signed requests (``None``: never); ``max_clock_offset`` the largest
    offset believed, in seconds (``None``: any, for a simulator running at another date).
    ``exchange_info_ttl`` is how long an ``exchangeInfo`` answer is reused by every API
    object of a ``limiter_backend`` that keeps shared answers (``None``: each fetches its
    own; see :meth:`send_plan`).
    Other keyword arguments go to :class:`aioca.RestApi`.

    User tasks should build URLs from the instance attributes (``api.coinm_url``), which
    honour overrides; the class constant ``CoinM_BASE_URL`` is kept for seed-style code.
    """

    exchange: ClassVar[str] = "binance"

    CoinM_BASE_URL: ClassVar[str] = MAINNET_URLS["coinm"]
    """The seed README's constant: COIN-M's production base URL (ignores ``urls=``)."""

    server_clock: ServerClock

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        private_key: str | bytes | None = None,
        private_key_passphrase: str | bytes | None = None,
        testnet: bool = False,
        urls: Mapping[str, str] | None = None,
        recv_window: int = 5000,
        timeout: float | aiohttp.ClientTimeout = 10.0,
        proxy: str | None = None,
        time_sync_interval: float | None = 600.0,
        max_clock_offset: float | None = 86_400.0,
        exchange_info_ttl: float | None = 300.0,
        **options: Any,
    ) -> None:
        if not isinstance(testnet, bool):  # "false" is truthy: it would select the testnets
            raise TypeError(f"testnet must be True or False, not {testnet!r}")
        super().__init__(timeout=timeout, proxy=proxy, **options)
        if not isinstance(testnet, bool):
            raise TypeError(f"testnet must be True or False, not {testnet!r}")
        if isinstance(recv_window, bool) or not isinstance(recv_window, int):
            raise TypeError(f"recv_window must be whole milliseconds, not {recv_window!r}")
        if not 0 < recv_window <= _MAX_RECV_WINDOW:
            raise ValueError(f"recv_window must be 1..{_MAX_RECV_WINDOW} ms, not {recv_window}")
        if exchange_info_ttl is not None and (
            isinstance(exchange_info_ttl, bool)
            or not isinstance(exchange_info_ttl, int | float)
            or not 0 < exchange_info_ttl < math.inf
        ):
            raise ValueError(
                "exchange_info_ttl must be a positive number of seconds or None, "
                f"not {exchange_info_ttl!r}"
            )
        self.exchange_info_ttl = exchange_info_ttl
        """Seconds an ``exchangeInfo`` answer is shared through the limiter backend."""
        self.urls: Mapping[str, str] = base_urls(TESTNET_URLS if testnet else MAINNET_URLS, urls)
        self.testnet = testnet
        self.recv_window = recv_window
        self._api_key = api_key
        time_url = self.urls["coinm"] + TIME_PATHS["coinm"]
        self.server_clock = ServerClock(
            functools.partial(self._read_server_time, time_url),  # picklable, unlike a lambda
            url=time_url,
            exchange=self.exchange,
            interval=time_sync_interval,
            max_offset=max_clock_offset,
            timeout=self.timeout.total,
            resync=time_sync_interval is not None,
        )
        """Binance's clock: the offset every ``timestamp`` adds, measured before signed
        requests every ``time_sync_interval`` seconds (see :class:`aioca.ServerClock`)."""
        self._windows: dict[str, list[Window]] = {
            market: list(windows) for market, windows in MARKET_WINDOWS.items()
        }
        self._costs: dict[tuple[Any, ...], dict[str, int]] = {}
        self._limits_market: str | None = None  # whose budgets a limiter being made gets
        self._signer: Signer | None
        if private_key is not None:
            self._signer = load_private_key_signer(private_key, private_key_passphrase)
        elif api_secret:
            self._signer = HmacSigner(api_secret)
        else:
            self._signer = None

    # --- settings ----------------------------------------------------------------------------

    @property
    def api_key(self) -> str | None:
        """The API key sent in ``X-MBX-APIKEY``."""
        return self._api_key

    @api_key.setter
    def api_key(self, key: str | None) -> None:
        self._api_key = key
        self.forget_plans()  # they carry the old key's header

    @property
    def spot_url(self) -> str:
        return self.urls["spot"]

    @property
    def usdm_url(self) -> str:
        return self.urls["usdm"]

    @property
    def coinm_url(self) -> str:
        return self.urls["coinm"]

    @property
    def time_sync_interval(self) -> float | None:
        """Seconds between clock syncs before signed requests; ``None`` never syncs."""
        return self.server_clock.interval

    @time_sync_interval.setter
    def time_sync_interval(self, interval: float | None) -> None:
        self.server_clock.interval = interval
        self.server_clock.resync = interval is not None

    @property
    def max_clock_offset(self) -> float | None:
        """The largest offset of the server's clock from ours believed, in seconds (a day:
        no real clock is further off); ``None`` believes any (a simulator at another date)."""
        return self.server_clock.max_offset

    # --- requests ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        signed: bool = False,
        security: Security | str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Any:
        """Send one request, as the seed's ``request(method, url, params)`` did.

        ``security`` is the endpoint's Binance security type; without it, ``signed=True``
        means ``USER_DATA`` and ``signed=False`` means ``NONE``. POST and PUT parameters
        go into a form body, GET and DELETE parameters into the query string. Other
        keyword arguments are :meth:`aioca.RestApi.request`'s (``costs`` defaults to a
        weight of 1).
        """
        kind = _security(security, signed)
        sent_headers = RedactedHeaders(headers or ())  # holds the key: no repr of it
        if kind.needs_key:
            sent_headers[_KEY_HEADER] = self._require_key(kind)
        if method.upper() in ("POST", "PUT"):
            options["data"] = list(_pairs(params))
            params = None
        options.setdefault("costs", self.costs(weight=1))
        return await super().request(
            method, url, params, signed=kind.signed, headers=sent_headers, **options
        )

    async def call_endpoint(
        self, endpoint: Endpoint, params: Params | None = None, *, weight: int | None = None
    ) -> Any:
        """Send a request to a declared endpoint (what catalog tasks do), charging its
        weight (``weight``, else the endpoint's for ``params``) and order count."""
        plan = self.plan_endpoint(endpoint, _pairs(params), weight=weight)
        return await self.send_plan(plan)

    def plan_endpoint(
        self,
        endpoint: Endpoint,
        params: Any,
        *,
        shared: bool = True,
        weight: int | None = None,
    ) -> RequestPlan:
        """The plan of a call to ``endpoint`` with ``params`` (``(name, value)`` pairs in
        declaration order): its market's base URL, the query string or form body, the key
        header its security type needs, its weight and order count. Shared plans are kept
        on this API (N tasks fetching one ticker share one)."""
        pairs = tuple(encode_params(params))
        if not shared:
            return self._build_plan(endpoint, pairs, weight)
        key = (id(endpoint), pairs, weight)  # the endpoint is a class attribute: never freed
        return self.shared_plan(key, functools.partial(self._build_plan, endpoint, pairs, weight))

    def _build_plan(
        self, endpoint: Endpoint, pairs: tuple[tuple[str, str], ...], weight: int | None
    ) -> RequestPlan:
        kind = endpoint.security
        method = endpoint.method.upper()
        in_body = method in ("POST", "PUT")
        headers = RedactedHeaders()
        if kind.needs_key:
            headers[_KEY_HEADER] = self._require_key(kind)  # raises before anything is sent
        if weight is None:
            weight = endpoint.weight_for(dict(pairs))
        return self.plan(
            method,
            self.urls[endpoint.market] + endpoint.path,
            None if in_body else pairs,
            data=pairs if in_body else None,
            headers=headers,
            signed=kind.signed,
            costs=self.costs(
                weight=weight,
                orders=endpoint.orders,
                orders_10s=endpoint.orders_10s,
                limits=endpoint.limits,
            ),
            changes_orders=endpoint.changes_orders,
            endpoint=endpoint,
            extra=any(name == "recvWindow" for name, _ in pairs),
        )

    # --- signing -------------------------------------------------------------------------------

    def check_signing(self, plan: RequestPlan) -> None:
        self._require_signer()

    def sign_plan(self, plan: RequestPlan) -> Wire:
        """The wire of one attempt of a signed plan: ``recvWindow`` (unless given),
        ``timestamp`` and ``signature`` appended to the plan's encoded text, as
        :meth:`sign_request` does to a :class:`PreparedRequest`, without re-encoding the
        parameters for every send."""
        signer = self._require_signer()
        added = f"timestamp={self.timestamp_ms()}"
        given = plan.extra
        if given is None:  # a plan made by request(): look for it
            given = any(name == "recvWindow" for name, _ in (*plan.query, *(plan.form or ())))
        if not given:
            added = f"recvWindow={self.recv_window}&{added}"
        if plan.form is not None:
            text = plan.body_text
            body = f"{text}&{added}" if text else added
            signature = signer.sign(plan.query_text + body)
            # HMAC signatures are hex; Ed25519 and RSA ones are base64, whose +/= are escaped.
            data = f"{body}&signature={quote_plus(signature)}".encode()
            return Wire(plan.target, data, plan.headers)
        text = plan.query_text
        query = f"{text}&{added}" if text else added
        signature = signer.sign(query + (plan.body_text or ""))
        target = URL(f"{plan.url}?{query}&signature={quote_plus(signature)}", encoded=True)
        return Wire(target, plan.body_text.encode() if plan.body_text else None, plan.headers)

    def sign_request(self, request: PreparedRequest) -> None:
        signer = self._require_signer(request)
        target = request.form if request.form is not None else request.query
        if not any(name == "recvWindow" for name, _ in (*request.query, *target)):
            target.append(("recvWindow", str(self.recv_window)))
        target.append(("timestamp", str(self.timestamp_ms())))
        payload = request.query_string() + (request.body() or "")
        target.append(("signature", signer.sign(payload)))

    @property
    def signer(self) -> Signer:
        """What signs this API's requests (HMAC, Ed25519 or RSA), for other signed
        channels of Binance (the WebSocket API's user-data subscription); raises
        :class:`~aioca.errors.AuthenticationError` when the API has no secret or key."""
        return self._require_signer()

    def _require_key(self, kind: Security) -> str:
        if not self._api_key:
            raise errors.AuthenticationError(
                f"a {kind.value} request needs an API key: BinanceRestApi(api_key=...)",
                exchange=self.exchange,
            )
        return self._api_key

    def _require_signer(self, request: PreparedRequest | None = None) -> Signer:
        if self._signer is None:
            message = "a signed request needs api_secret (HMAC) or private_key (Ed25519/RSA)"
            if request is not None:
                raise errors.AuthenticationError(message, **self.error_context(request))
            raise errors.AuthenticationError(message, exchange=self.exchange)
        return self._signer

    # --- exchangeInfo, fetched once for all -------------------------------------------------

    def send_plan(
        self, plan: RequestPlan, *, task: BaseTask | None = None, task_name: str | None = None
    ) -> Coroutine[Any, Any, Any]:
        """The core's pipeline (:meth:`aioca.RestApi.send_plan`); but a market's
        ``exchangeInfo`` (``SpotExchangeInfo``, ``UsdmExchangeInfo``,
        ``CoinMExchangeInformation``, the same parameters) goes through the limiter
        backend's shared answers when it keeps them (:class:`aioca.limits.SharedCache`:
        ``LocalBackend`` in one process, ``RedisBackend`` for all): one request for every
        API object and process, reused for ``exchange_info_ttl`` seconds, each caller
        getting its own copy and the live limits applied. Not a coroutine itself: every
        other request goes on at the cost of a check."""
        backend = self.limiter_backend
        if backend is not None and self.exchange_info_ttl is not None:
            endpoint = plan.endpoint
            if (
                isinstance(endpoint, Endpoint)
                and endpoint.path in _EXCHANGE_INFO
                and isinstance(backend, SharedCache)
            ):
                return self._send_shared(backend, plan, endpoint, task, task_name)
        return RestApi.send_plan(self, plan, task=task, task_name=task_name)

    async def _send_shared(
        self,
        backend: SharedCache,
        plan: RequestPlan,
        endpoint: Endpoint,
        task: BaseTask | None,
        task_name: str | None,
    ) -> Any:
        if task is None and task_name is None:
            task = current_task()  # what errors name, as the core's pipeline would
        fetched: list[Any] = []

        async def fetch() -> str:
            # The body as the exchange sent it, not a re-encoding of the decoded answer:
            # every process decodes it with its own json_loads (Decimal floats included)
            # and gets exactly what a direct request would have given it.
            bodies: list[bytes] = []
            token = _SHARED_BODY.set(bodies)
            try:
                answer = await RestApi.send_plan(self, plan, task=task, task_name=task_name)
            finally:
                # Reset: the caller's later requests in this context must not be kept too.
                _SHARED_BODY.reset(token)
            fetched.append(answer)  # its live limits applied by handle_response
            try:
                return bodies[-1].decode()
            except (IndexError, UnicodeDecodeError):  # not UTF-8: the lossy re-encoding
                return json.dumps(answer, separators=(",", ":"))

        name = _shared_name(self.exchange, plan)
        assert self.exchange_info_ttl is not None
        text = await backend.cached(name, fetch, ttl=self.exchange_info_ttl)
        if fetched:
            return fetched[0]
        answer = self.json_loads(text.encode())
        if isinstance(answer, Mapping):
            self.apply_exchange_info(answer, endpoint.market)
        return answer

    # --- the clock -----------------------------------------------------------------------------

    async def sync_time(self, url: str | None = None) -> int:
        """Measure the offset of Binance's clock from ours (``time_offset_ms``) with the
        server-time endpoint of the market ``url`` belongs to; returns the offset in ms.
        Failures raise :class:`~aioca.errors.ClockSyncError` (see :class:`aioca.ServerClock`)."""
        time_url = self._time_url(url)
        read = functools.partial(self._read_server_time, time_url)
        return await self.server_clock.sync(read, time_url)

    async def sync_clock(self, plan: RequestPlan, *, after: float | None = None) -> None:
        """The core's clock sync, against the server-time endpoint of the plan's market."""
        time_url = self._time_url(plan.url)
        read = functools.partial(self._read_server_time, time_url)
        backend = self.limiter_backend
        if after is None and isinstance(backend, SharedClock) and self.server_clock.due:
            await self._sync_shared(backend, read, time_url)
        elif after is None:
            await self.server_clock.sync_if_due(read, time_url)
        else:
            await self.server_clock.resync_after(after, read, time_url)

    async def _sync_shared(
        self, backend: SharedClock, read: Callable[[], Awaitable[Any]], time_url: str
    ) -> None:
        """One server-time sync for every process of a shared limiter backend: the offset
        another process shared when there is one, else a measurement, then shared."""
        clock = self.server_clock
        host = urlsplit(time_url).netloc
        offset = await backend.clock_offset(host)
        if offset is not None:
            clock.offset_ms = round(offset * 1000)
            clock.synced_at = time.monotonic()
            return
        await clock.sync_if_due(read, time_url)
        await backend.share_clock_offset(host, clock.offset_ms / 1000, clock.interval or 600.0)

    async def _read_server_time(self, time_url: str) -> Any:
        answer = await RestApi.request(self, "GET", time_url, costs=self.costs(weight=1))
        return answer.get("serverTime") if isinstance(answer, Mapping) else answer

    def _time_url(self, url: str | None) -> str:
        for market, base in self.urls.items():
            if url is not None and url.startswith(base):
                return base + TIME_PATHS[market]
        return self.urls["coinm"] + TIME_PATHS["coinm"]

    # --- rate limits -----------------------------------------------------------------------

    def rate_limits(self, market: str | None = None) -> list[Window]:
        """The budgets of ``market`` (``"spot"``, ``"usdm"``, ``"coinm"``; COIN-M's when not
        given): Binance's published defaults until that market's ``exchangeInfo`` was read,
        then its live ``rateLimits``. Each market's host gets a limiter of its own with
        them; its ORDERS windows count this API's orders, i.e. one account's."""
        return list(self._windows[market or self._limits_market or "coinm"])

    def rate_limiter_for(self, plan: RequestPlan | PreparedRequest) -> Limiter:
        """The core's limiter of the request's host, made on first use with the budgets of
        the market the request is for (:meth:`rate_limits` of that market)."""
        shared = self.rate_limiter
        if shared is not None:
            return shared
        host = plan.host if isinstance(plan, RequestPlan) else urlsplit(plan.url).netloc
        made = self.limiters.get(host)
        if made is not None:  # every request but a host's first: no market to work out
            return made
        self._limits_market = self._market_of(plan)
        try:
            return super().rate_limiter_for(plan)
        finally:
            self._limits_market = None

    def _market_of(self, plan: RequestPlan | PreparedRequest) -> str:
        endpoint = plan.endpoint if isinstance(plan, RequestPlan) else None
        if isinstance(endpoint, Endpoint):
            return endpoint.market
        for market in MARKETS:
            if plan.url.startswith(self.urls[market]):
                return market
        return "coinm"

    def costs(
        self,
        *,
        weight: int,
        orders: int = 0,
        orders_10s: int | None = None,
        limits: tuple[str, ...] = (),
    ) -> dict[str, int]:
        """What a request charges: ``weight`` to the REQUEST_WEIGHT windows, ``orders`` to
        the ORDERS windows (``orders_10s`` to the 10-second ones when it differs), 1 to
        RAW_REQUESTS windows and to each of the endpoint's own ``limits`` (one dict per
        distinct charge: the limiter only reads it)."""
        charge = (weight, orders, orders_10s, limits)
        found = self._costs.get(charge)
        if found is None:
            found = self._costs[charge] = costs(
                weight=weight, orders=orders, orders_10s=orders_10s, limits=limits
            )
        return found

    def apply_exchange_info(self, info: Mapping[str, Any], market: str = "coinm") -> None:
        """Use the live limits of ``market``'s ``exchangeInfo`` answer (``rateLimits``)
        from now on, in the limiter this API made for that market's host (a limiter passed
        as ``rate_limiter=`` is left as is); other markets keep theirs.

        Catalog tasks call it for you when they fetch an exchangeInfo; the defaults until
        then are Binance's published ones (see :mod:`aioca_binance.limits`).
        """
        windows = windows_from_rate_limits(info.get("rateLimits") or [], self._windows[market])
        if not windows:
            return
        self._windows[market] = windows
        # The limiter this API made for the market's host; one given as rate_limiter= is
        # the caller's.
        limiter = self.limiters.get(urlsplit(self.urls[market]).netloc)
        if limiter is not None:
            limiter.set_windows(windows)

    # --- answers ---------------------------------------------------------------------------

    def handle_response(self, response: Response) -> Any:
        """The core's handling (an error status or an error body raises, the body decoded),
        then what a catalog endpoint's answer says beyond its result: a batch's refused
        items (:meth:`batch_error`), ``exchangeInfo``'s live limits."""
        result = super().handle_response(response)
        bodies = _SHARED_BODY.get()
        if bodies is not None:
            bodies.append(bytes(response.body))
        plan = response.plan
        endpoint = plan.endpoint if plan is not None else None
        if isinstance(endpoint, Endpoint):
            if endpoint.batch:
                self.batch_error(plan, result, response)  # type: ignore[arg-type]
            elif endpoint.path in _EXCHANGE_INFO and isinstance(result, Mapping):
                self.apply_exchange_info(result, endpoint.market)
        return result

    def is_error_answer(self, payload: Any) -> bool:
        """Binance sometimes answers an error with HTTP 200 and its error body
        (``{"code": -2019, "msg": ...}``): an error as with a 4xx. Success bodies that
        carry a ``code`` carry 200 (``{"code": 200, "msg": "success"}``), never a negative
        one."""
        return type(payload) is dict and _error_code(payload) is not None

    def batch_error(self, plan: RequestPlan, answer: Any, response: Response | None = None) -> None:
        """Raise :class:`~aioca.errors.BatchError` when a batch endpoint's answer (one item
        per order, in request order) refused any item: its code and message per refused
        item, and the orders that went through, which are not lost with the error."""
        if not isinstance(answer, list):
            return
        refused = [
            (index, code)
            for index, item in enumerate(answer)
            if isinstance(item, Mapping) and (code := _error_code(item)) is not None
        ]
        if not refused:
            return
        if response is not None:
            context = self.error_context(response.request)
        else:
            context = {"exchange": self.exchange, "task_name": _running_name(),
                       "method": plan.method, "url": plan.url}  # fmt: skip
        order_ids, client_ids = _batch_ids(plan)
        item_errors: list[tuple[int, errors.ExchangeError]] = []
        for index, code in refused:
            item = answer[index]
            error = error_class_for(200, code)(str(item.get("msg") or ""), code=code, **context)
            if index < len(order_ids):
                error.order_id = order_ids[index]
            if index < len(client_ids):
                error.client_order_id = client_ids[index]
            item_errors.append((index, error))
        details = "; ".join(f"#{index} [{error.code}] {error.msg}" for index, error in item_errors)
        ok = len(answer) - len(item_errors)
        error_class = errors.BatchError.combined([type(error) for _, error in item_errors])
        raise error_class(
            f"{len(item_errors)} of {len(answer)} items refused, {ok} went through: {details}",
            items=answer,
            item_errors=item_errors,
            status=response.status if response is not None else 200,
            **context,
        )

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        code: int | None = None
        msg = ""
        data: Mapping[str, Any] | None = None
        if isinstance(payload, Mapping):
            extra = payload.get("data")  # cancelReplace's -2021/-2022: both outcomes
            data = extra if isinstance(extra, Mapping) else None
            raw_code = payload.get("code")
            code = (
                raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
            )
            msg = str(payload.get("msg") or "")
        message = msg or response.excerpt() or "(empty body)"
        error_class = error_class_for(response.status, code)
        if issubclass(error_class, errors.RateLimitError):
            banned = error_class is errors.IPBannedError
            until = _ban_end(message, response.retry_after()) if banned else None
            return self.rate_limit_error(response, message, code=code, banned=banned, until=until)
        context = self.error_context(response.request)
        return error_class(message, code=code, status=response.status, data=data, **context)

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        signer = type(self._signer).__name__ if self._signer is not None else "none"
        return (
            f"<BinanceRestApi key={key} signer={signer} coinm={self.coinm_url!r} "
            f"session={'closed' if self.closed else 'open'}>"
        )


def _security(security: Security | str | None, signed: bool) -> Security:
    if isinstance(security, Security):
        return security
    if security is not None:
        return Security(security)
    return Security.USER_DATA if signed else Security.NONE


def _pairs(params: Params | None) -> Iterable[tuple[str, Any]]:
    if params is None:
        return ()
    return params.items() if isinstance(params, Mapping) else params


def _error_code(payload: Mapping[str, Any]) -> int | None:
    """The code of a Binance error body (a negative integer beside a ``msg``), else ``None``."""
    code = payload.get("code")
    if type(code) is int and code < 0 and "msg" in payload:
        return code
    return None


def _running_name() -> str | None:
    task: BaseTask | None = current_task()
    return str(task) if task is not None else None


def _batch_ids(plan: RequestPlan) -> tuple[list[str | int | None], list[str | None]]:
    """The order ids and client order ids of each item of a batch call, in item order
    (what a refused item's error names)."""
    sent = dict((*plan.query, *(plan.form or ())))
    order_ids: list[str | int | None] = []
    client_ids: list[str | None] = []
    try:
        if "batchOrders" in sent:
            items = json.loads(sent["batchOrders"])
            order_ids = [item.get("orderId") for item in items]
            client_ids = [
                item.get("newClientOrderId") or item.get("origClientOrderId") for item in items
            ]
        else:
            order_ids = list(json.loads(sent.get("orderIdList") or "[]"))
            client_ids = list(json.loads(sent.get("origClientOrderIdList") or "[]"))
    except (TypeError, ValueError, AttributeError):
        return [], []  # not JSON lists: the refused items are named by index only
    return order_ids, client_ids


def _ban_end(message: str, retry_after: float | None) -> float | None:
    """When an IP ban lifts, in Unix seconds: from Retry-After, else from Binance's message
    ("IP banned until 1618898400000")."""
    if retry_after is not None:
        return time.time() + retry_after
    match = _BANNED_UNTIL.search(message)
    return int(match.group(1)) / 1000 if match else None

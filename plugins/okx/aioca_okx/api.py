"""``OkxRestApi``: base URL, signing, the response envelope, error codes and OKX's
per-endpoint rate limits.

Signed requests carry four headers (``OK-ACCESS-KEY``, ``OK-ACCESS-SIGN``,
``OK-ACCESS-TIMESTAMP``, ``OK-ACCESS-PASSPHRASE``), the signature computed over exactly the
path, query string and JSON body sent (see :mod:`aioca_okx.signing`). GET parameters go in
the query string, POST parameters in a JSON body.

Every answer is an envelope, ``{"code": "0", "msg": "", "data": [...]}``, mostly with HTTP
200 even for errors: :meth:`OkxRestApi.handle_response` raises on a code other than
``"0"`` and returns the envelope; :meth:`OkxRestApi.request` returns its ``data`` (or the
whole envelope with ``envelope=True``).

Rate limits: every endpoint has its own budget, per IP (public endpoints) or per user id
(private ones), some split per instrument. Requests charge one limiter unit per endpoint
(``"GET /api/v5/market/ticker"``, ``"POST /api/v5/trade/order@BTC-USDT"``); the window of a
unit is added to its limiter the first time a request charges it, since the instruments a
program trades are not known in advance. Public requests go through the per-host IP limiter
of :class:`aioca.RestApi` (or the ``rate_limiter=`` given, to share one IP's budget between
API objects); private ones through a separate per-user limiter (``user_rate_limiter=`` to
share one key's budget between API objects).
"""

from __future__ import annotations

import functools
import json
import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import aiohttp

from aioca import (
    LimiterStatus,
    PreparedRequest,
    RateLimiter,
    RequestPlan,
    Response,
    RestApi,
    ServerClock,
    Window,
    errors,
)
from aioca.limits import Limiter
from aioca.request import RedactedHeaders, Wire
from aioca.rest import Params, try_decode

from .endpoint import ORDER_RATE_UNIT, Auth, Endpoint, RateLimit, Scope
from .errors import OkxBatchError, batch_error_class, error_class_for
from .signing import OkxSigner, iso_timestamp, prehash

__all__ = [
    "DEFAULT_URLS",
    "ORDER_RATE_WINDOW",
    "SERVER_TIME",
    "OkxRestApi",
]

DEFAULT_URLS: Mapping[str, str] = {"rest": "https://www.okx.com"}
"""OKX's REST base URL. Demo trading uses the same host with ``x-simulated-trading: 1``."""

SERVER_TIME = Endpoint("GET", "/api/v5/public/time", Auth.PUBLIC, RateLimit(10, 2, Scope.IP))
"""The server-time endpoint, used by :meth:`OkxRestApi.sync_time` and ``OkxServerTime``."""

ORDER_RATE_WINDOW = Window("ORDERS_2S", 1000, 2, unit=ORDER_RATE_UNIT)
"""OKX's sub-account budget of 1000 new and amended orders per 2 s, across endpoints and
instruments (error 50061 when exceeded); batch items count one by one."""

_BATCH_PATHS = frozenset(
    (
        "/api/v5/trade/batch-orders",
        "/api/v5/trade/cancel-batch-orders",
        "/api/v5/trade/amend-batch-orders",
    )
)

logger = logging.getLogger("aioca.okx")


class OkxRestApi(RestApi):
    """OKX REST API (v5): credentials, base URL, signing, envelopes and OKX's error codes.

    ``api_key``, ``api_secret`` and ``passphrase`` are the three parts of an OKX API key
    (public endpoints need none). ``demo=True`` sends every request to demo trading
    (header ``x-simulated-trading: 1``; demo keys are separate keys). ``urls={"rest":
    "http://127.0.0.1:8080"}`` points the API at another server. ``user_rate_limiter`` is
    the per-user limiter of private requests, to share between API objects using one key;
    ``rate_limiter`` (from :class:`aioca.RestApi`) the per-IP one. Other keyword arguments
    go to :class:`aioca.RestApi` (``retry``, ``connection_limit``, ``json_loads``...).
    """

    exchange: ClassVar[str] = "okx"

    server_clock: ServerClock

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        passphrase: str | None = None,
        *,
        demo: bool = False,
        urls: Mapping[str, str] | None = None,
        timeout: float | aiohttp.ClientTimeout = 10.0,
        proxy: str | None = None,
        user_rate_limiter: RateLimiter | None = None,
        **options: Any,
    ) -> None:
        if not isinstance(demo, bool):  # "false" is truthy: it would select demo trading
            raise TypeError(f"demo must be True or False, not {demo!r}")
        super().__init__(timeout=timeout, proxy=proxy, **options)
        base = dict(DEFAULT_URLS)
        for name, url in (urls or {}).items():
            if name not in base:
                raise ValueError(f"unknown URL {name!r} in urls: use {', '.join(base)}")
            base[name] = url.rstrip("/")
        self.urls: Mapping[str, str] = base
        self.demo = demo
        self.api_key = api_key
        self._signer = OkxSigner(api_secret) if api_secret else None
        self._passphrase = passphrase
        self.server_clock = ServerClock(
            self._read_server_time,
            url=self.rest_url + SERVER_TIME.path,
            exchange=self.exchange,
            interval=None,  # measured after a 50102, not on a schedule
            timeout=self.timeout.total,
        )
        """OKX's clock: its offset is added to every ``OK-ACCESS-TIMESTAMP``, measured by
        :meth:`sync_time` (OKX refuses a timestamp 30 s away from its clock)."""
        self._user_limiter = user_rate_limiter
        self._windows: dict[str, Window] = {ORDER_RATE_UNIT: ORDER_RATE_WINDOW}
        self._known_units: weakref.WeakKeyDictionary[Limiter, set[str]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def rest_url(self) -> str:
        """The REST base URL in use (``urls["rest"]``)."""
        return self.urls["rest"]

    # --- sending -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        signed: bool = False,
        envelope: bool = False,
        json_body: Any = None,
        **options: Any,
    ) -> Any:
        """Send one request; returns the envelope's ``data``, or the whole envelope (with
        ``code``, ``msg`` and fields such as ``inTime``) when ``envelope=True``.

        POST ``params`` are sent as a JSON object (``json_body=`` sends any JSON value,
        e.g. a batch's array). A signed request without key, secret and passphrase fails
        with :class:`~aioca.errors.AuthenticationError` before anything is sent. A request
        refused for its timestamp (50102) is sent once more after the clock is measured
        again (the pipeline's rule): OKX refused it before doing anything.
        """
        if method.upper() == "POST" and params is not None and json_body is None:
            json_body = dict(params.items() if isinstance(params, Mapping) else params)
            params = None
        body = await super().request(
            method, url, params, signed=signed, json_body=json_body, **options
        )
        return body if envelope else body.get("data")

    async def call_endpoint(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Send a request to a declared endpoint (what catalog tasks do) and return the
        whole envelope. ``params`` is a mapping, or a batch endpoint's items; GET sends a
        mapping as the query string, POST sends either as the JSON body."""
        result = await self.send_plan(self.plan_endpoint(endpoint, params))
        return cast("dict[str, Any]", result)  # handle_response returns only envelopes

    def plan_endpoint(
        self,
        endpoint: Endpoint,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        shared: bool = True,
    ) -> RequestPlan:
        """The plan of a call to ``endpoint``: GET parameters in the query string, POST
        ones (a mapping, or a batch's items) as the JSON body, private endpoints signed,
        the endpoint's budget units as its costs. Shared plans are kept on this API."""
        wire = params if params is not None else {}
        if not shared:
            return self._build_plan(endpoint, wire)
        key = (id(endpoint), json.dumps(wire, separators=(",", ":"), default=str))
        return self.shared_plan(key, functools.partial(self._build_plan, endpoint, wire))

    def _build_plan(
        self, endpoint: Endpoint, wire: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> RequestPlan:
        costs = self._register(endpoint, wire)
        signed = endpoint.auth is Auth.PRIVATE
        url = self.rest_url + endpoint.path
        if endpoint.method == "GET":
            if not isinstance(wire, Mapping):
                raise TypeError(f"{endpoint} takes a mapping of parameters, not a list")
            return self.plan(
                "GET",
                url,
                wire,
                signed=signed,
                costs=costs,
                changes_orders=endpoint.changes_orders,
                endpoint=endpoint,
            )
        body = dict(wire) if isinstance(wire, Mapping) else [dict(item) for item in wire]
        return self.plan(
            endpoint.method,
            url,
            signed=signed,
            json_body=body,
            costs=costs,
            changes_orders=endpoint.changes_orders,
            endpoint=endpoint,
        )

    def check_signing(self, plan: RequestPlan) -> None:
        """A private request needs key, secret and passphrase: refused before anything is
        sent, the clock sync included."""
        missing = [
            name
            for name, value in (
                ("api_key", self.api_key),
                ("api_secret", self._signer),
                ("passphrase", self._passphrase),
            )
            if not value
        ]
        if missing:
            raise errors.AuthenticationError(
                f"a private OKX request needs {', '.join(missing)}: "
                "OkxRestApi(api_key=..., api_secret=..., passphrase=...)",
                exchange=self.exchange,
            )

    # --- hooks -----------------------------------------------------------------------------

    def prepare_request(self, request: PreparedRequest) -> None:
        """Demo trading marks every request, public ones too."""
        if self.demo:
            request.headers["x-simulated-trading"] = "1"

    def sign_plan(self, plan: RequestPlan) -> Wire:
        """The wire of one attempt of a signed plan: the plan's encoded path, query and
        body signed as they are (what is sent is what was encoded once, with the plan),
        as :meth:`sign_request` signs a :class:`PreparedRequest`, without rebuilding and
        re-encoding the request for every send."""
        signer, key, passphrase = self._signer, self.api_key, self._passphrase
        if signer is None or not key or not passphrase:
            return super().sign_plan(plan)  # sign_request raises, naming the request
        timestamp = iso_timestamp(self.timestamp_ms())
        body = plan.body_text
        headers = RedactedHeaders(plan.headers)
        headers["OK-ACCESS-KEY"] = key
        headers["OK-ACCESS-SIGN"] = signer.sign(
            prehash(timestamp, plan.method, plan.target.raw_path_qs, body)
        )
        headers["OK-ACCESS-TIMESTAMP"] = timestamp
        headers["OK-ACCESS-PASSPHRASE"] = passphrase
        if plan.content is not None:
            headers.setdefault("Content-Type", "application/json")
        return Wire(plan.target, body.encode() if body is not None else None, headers)

    def sign_request(self, request: PreparedRequest) -> None:
        if self._signer is None or not self.api_key or not self._passphrase:
            raise errors.AuthenticationError(
                "a private OKX request needs api_key, api_secret and passphrase",
                **self.error_context(request),
            )
        timestamp = iso_timestamp(self.timestamp_ms())
        path = request.url[len(_origin(request.url)) :] or "/"
        query = request.query_string()
        request_path = f"{path}?{query}" if query else path
        payload = prehash(timestamp, request.method, request_path, request.body())
        request.headers["OK-ACCESS-KEY"] = self.api_key
        request.headers["OK-ACCESS-SIGN"] = self._signer.sign(payload)
        request.headers["OK-ACCESS-TIMESTAMP"] = timestamp
        request.headers["OK-ACCESS-PASSPHRASE"] = self._passphrase
        if request.content is not None:
            request.headers.setdefault("Content-Type", "application/json")

    def handle_response(self, response: Response) -> Any:
        """The envelope of a successful answer; raises for an HTTP error, a body that is
        not an envelope, a ``code`` other than ``"0"``, or a batch item that failed."""
        if response.status >= 400:
            raise self.map_error(response, self._decode_or_none(response))
        payload = self.decode(response)
        if not isinstance(payload, dict) or "code" not in payload:
            raise errors.InvalidResponseError(
                f"HTTP {response.status} with a body that is not an OKX envelope: "
                f"{response.excerpt()!r}",
                status=response.status,
                body=response.excerpt(),
                **self.error_context(response.request),
            )
        # Only order endpoints (POST) answer items with an sCode; a GET's data is not walked.
        if str(payload["code"]) != "0" or (response.method == "POST" and _failed_items(payload)):
            raise self.map_error(response, payload)
        return payload

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        """OKX's code (or the failed items' ``sCode``) to an :mod:`aioca.errors` class."""
        context = self.error_context(response.request)
        code: str | None = None
        msg = ""
        if isinstance(payload, Mapping):
            raw = payload.get("code")
            code = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else None
            msg = str(payload.get("msg") or "")
            items = _items(payload)
            failed = _failed_items(payload)
            is_batch = urlpath(response.request.url) in _BATCH_PATHS or len(items) > 1
            if failed and is_batch and response.status < 400:
                return self._batch_error(response, payload, items, failed)
            if failed and response.status < 400:
                # A single order refused: "1" / "Operation failed." says nothing, the
                # item's sCode and sMsg say why.
                index = failed[0]
                code = str(items[index].get("sCode"))
                msg = str(items[index].get("sMsg") or msg)
        message = msg or response.excerpt() or "(empty body)"
        error_class = error_class_for(response.status, code)
        if issubclass(error_class, errors.RateLimitError):
            return self.rate_limit_error(response, message, code=code)
        return error_class(message, code=code, status=response.status, **context)

    def _batch_error(
        self,
        response: Response,
        payload: Mapping[str, Any],
        items: list[Mapping[str, Any]],
        failed: list[int],
    ) -> OkxBatchError:
        context = self.error_context(response.request)
        item_errors: list[tuple[int, errors.ExchangeError]] = []
        for index in failed:
            item = items[index]
            s_code = str(item.get("sCode"))
            s_msg = str(item.get("sMsg") or "")
            item_class = error_class_for(response.status, s_code)
            item_errors.append((index, item_class(s_msg, code=s_code, **context)))
        details = "; ".join(f"#{index} [{error.code}] {error.msg}" for index, error in item_errors)
        ok = len(items) - len(failed)
        message = f"{len(failed)} of {len(items)} items failed, {ok} succeeded: {details}"
        error_class = batch_error_class([type(error) for _, error in item_errors])
        return error_class(
            message,
            items=items,
            item_errors=item_errors,
            envelope=payload,
            code=str(payload.get("code")),
            status=response.status,
            **context,
        )

    def _decode_or_none(self, response: Response) -> Any:
        return try_decode(self.json_loads, response.body)

    # --- rate limits -----------------------------------------------------------------------

    def _register(
        self, endpoint: Endpoint, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> dict[str, int]:
        """The costs of a request to ``endpoint``, remembering the window of each unit so
        that :meth:`rate_limiter_for` can add it to the limiter when first charged."""
        costs = endpoint.costs(params)
        limit = endpoint.rate_limit
        for unit in costs:
            if unit not in self._windows:
                self._windows[unit] = Window(unit, limit.limit, limit.seconds)
        return costs

    def costs(
        self, endpoint: Endpoint, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> dict[str, int]:
        """What a request to ``endpoint`` with ``params`` charges, for ``request(...,
        costs=...)`` of your own: one unit of the endpoint's budget (per instrument where
        OKX splits it), orders for per-order budgets."""
        return self._register(endpoint, params)

    @property
    def user_rate_limiter(self) -> RateLimiter:
        """The limiter of private requests: OKX counts them per user id, not per IP."""
        if self._user_limiter is None:
            self._user_limiter = RateLimiter(
                [ORDER_RATE_WINDOW], clock=self.clock, sleep=self.timer.sleep
            )
        return self._user_limiter

    def rate_limiter_for(self, request: RequestPlan | PreparedRequest) -> Limiter:
        """The per-user limiter for private requests, the per-IP one for public requests;
        with a window for each endpoint (and instrument) unit the request charges."""
        limiter = self.user_rate_limiter if request.signed else super().rate_limiter_for(request)
        known = self._known_units.get(limiter)
        if known is not None and known.issuperset(request.costs):
            return limiter  # every send after a unit's first: one set check, no scan
        if known is None:
            known = self._known_units[limiter] = set()
        missing = [unit for unit in request.costs if unit not in known]
        if missing:
            names = {window.name for window in limiter.windows}
            new = [
                self._windows[unit]
                for unit in missing
                if unit in self._windows and self._windows[unit].name not in names
            ]
            if new:
                limiter.set_windows([*limiter.windows, *new])
            known.update(missing)
        return limiter

    def rate_limit_status(self) -> dict[str, LimiterStatus]:
        """Usage of every window: the IP limiters by host (``"shared"`` for a given one)
        and the per-user limiter under ``"user"``."""
        status = super().rate_limit_status()
        if self._user_limiter is not None:
            status["user"] = self._user_limiter.status()
        return status

    # --- time ------------------------------------------------------------------------------

    async def sync_time(self) -> int:
        """Measure the offset of OKX's clock from ours (``time_offset_ms``) with the
        server-time endpoint; returns the offset in milliseconds. Failures raise
        :class:`~aioca.errors.ClockSyncError` (see :class:`aioca.ServerClock`)."""
        return await self.server_clock.sync()

    async def _read_server_time(self) -> Any:
        data = await self.request(
            SERVER_TIME.method,
            self.rest_url + SERVER_TIME.path,
            costs=self._register(SERVER_TIME, {}),
        )
        first = data[0] if isinstance(data, list) and data else None
        try:
            return int(first["ts"]) if isinstance(first, Mapping) else None
        except (KeyError, TypeError, ValueError):
            return None  # refused by the clock as not a time

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        secret = "set" if self._signer is not None else "none"
        passphrase = "set" if self._passphrase else "none"
        return (
            f"<OkxRestApi key={key} secret={secret} passphrase={passphrase} "
            f"demo={self.demo} rest={self.rest_url!r} "
            f"session={'closed' if self.closed else 'open'}>"
        )


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what precedes the path OKX signs."""
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}{sep}{host}"


def urlpath(url: str) -> str:
    """The path of ``url``, without scheme, host and query."""
    return url[len(_origin(url)) :].split("?", 1)[0] or "/"


def _items(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = payload.get("data")
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, Mapping)]


def _failed_items(payload: Mapping[str, Any]) -> list[int]:
    """Indexes of the items whose ``sCode`` is set and not ``"0"``."""
    return [
        index
        for index, item in enumerate(_items(payload))
        if "sCode" in item and str(item["sCode"]) != "0"
    ]

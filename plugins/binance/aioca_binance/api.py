"""``BinanceRestApi``: base URLs, security types, signing and error mapping for Binance.

Signed requests follow Binance's rules (``plugins/binance/spec/binance-signing-and-errors.md``): GET
and DELETE send their parameters in the query string, POST and PUT in a form body, in the
order given; ``recvWindow`` and ``timestamp`` come last, then ``signature``, computed over
exactly the bytes sent (the query string followed by the body).
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote_plus, urlsplit

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aioca import (
    PreparedRequest,
    Response,
    RestApi,
    RetryPolicy,
    ServerClock,
    Window,
    errors,
)
from aioca import rest as _rest
from aioca.limits import Limiter, SharedClock
from aioca.rest import Params, RedactedHeaders, encode_params
from aioca.task import BaseTask, _running_task, current_task

from .endpoint import Endpoint, Security
from .errors import error_class_for
from .signing import HmacSigner, Signer, load_private_key_signer

__all__ = [
    "DEFAULT_WINDOWS",
    "MAINNET_URLS",
    "TESTNET_URLS",
    "BinanceRestApi",
    "EndpointCall",
    "windows_from_rate_limits",
]

MAINNET_URLS: Mapping[str, str] = {
    "spot": "https://api.binance.com",
    "usdm": "https://fapi.binance.com",
    "coinm": "https://dapi.binance.com",
}
"""Base URLs of Binance's spot, USDⓈ-M futures and COIN-M futures REST APIs."""

TESTNET_URLS: Mapping[str, str] = {
    "spot": "https://testnet.binance.vision",
    "usdm": "https://testnet.binancefuture.com",
    "coinm": "https://testnet.binancefuture.com",
}
"""Base URLs of the same APIs on Binance's testnets."""

_MAX_RECV_WINDOW = 60_000
_TIME_PATHS = {"spot": "/api/v3/time", "usdm": "/fapi/v1/time", "coinm": "/dapi/v1/time"}
_INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
_HEADER_PREFIX = {"REQUEST_WEIGHT": "X-MBX-USED-WEIGHT-", "ORDERS": "X-MBX-ORDER-COUNT-"}

DEFAULT_WINDOWS: tuple[Window, ...] = (
    Window("REQUEST_WEIGHT", 2400, 60, header="X-MBX-USED-WEIGHT-1M"),
    Window("ORDERS", 1200, 60, header="X-MBX-ORDER-COUNT-1M", scope="account"),
    Window("ORDERS_10S", 300, 10, header="X-MBX-ORDER-COUNT-10S", unit="ORDERS", scope="account"),
)
"""Binance futures' published defaults (IP weight per minute, orders per minute and per
10 s, counted per account) until ``exchangeInfo`` gives the account's live limits."""

logger = logging.getLogger("aioca.binance")


def windows_from_rate_limits(rate_limits: Iterable[Mapping[str, Any]]) -> list[Window]:
    """Limiter windows from exchangeInfo's ``rateLimits`` entries, with the header in which
    Binance reports each one's usage."""
    windows = []
    for entry in rate_limits:
        kind = str(entry.get("rateLimitType", ""))
        interval = str(entry.get("interval", ""))
        number = int(entry.get("intervalNum", 1))
        if kind not in ("REQUEST_WEIGHT", "ORDERS", "RAW_REQUEST") or interval not in (
            _INTERVAL_SECONDS
        ):
            continue
        suffix = f"{number}{interval[0]}"
        name = kind if (interval, number) == ("MINUTE", 1) else f"{kind}_{suffix}"
        prefix = _HEADER_PREFIX.get(kind)
        windows.append(
            Window(
                name,
                int(entry["limit"]),
                number * _INTERVAL_SECONDS[interval],
                header=prefix + suffix if prefix else None,
                unit=kind,
                scope="account" if kind == "ORDERS" else "ip",
            )
        )
    return windows


_BANNED_UNTIL = re.compile(r"banned until (\d{12,})")
_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
_MAX_TARGETS = 1024

_LEAN_HOOKS = (
    "request",
    "call_endpoint",
    "prepare_request",
    "sign_request",
    "send",
    "rate_limiter_for",
)
"""The hooks the lean path of :meth:`BinanceRestApi.send_call` stands in for: a subclass
(or an instance) that overrides any of them gets the general path, which calls them."""
_INSTANCE_HOOKS = frozenset({*_LEAN_HOOKS, "handle_response", "decode"})
# Headers as aiohttp keeps them: a request handed a CIMultiDict skips its conversion.
_NO_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())

_Plan = tuple[
    str,
    str | None,
    Limiter | None,
    CIMultiDictProxy[str],
    dict[str, int],
    Limiter,
    URL | None,
]
"""What the lean path needs to send a call, the same for every call with the same
:attr:`EndpointCall.plan_key` on one API: the base URL, ``api_key`` and ``rate_limiter``
it was worked out for (checked by identity on every send), then the headers, the costs,
the limiter and the URL object (``None`` for a signed GET, whose query changes)."""


def _describe(
    call: EndpointCall,
    base: str,
    signing: tuple[str | None, str, str] | None,
    headers: Mapping[str, str],
    costs: Mapping[str, int],
    task: BaseTask | None,
) -> PreparedRequest:
    """The request of a lean send, for the hooks and messages of an error (see
    :meth:`RestApi._transport`): only built when one needs it. ``signing`` is what a
    signed request added: ``recvWindow`` (``None`` when given), ``timestamp``,
    ``signature``; ``task`` the task sending it (``None``: the running one)."""
    extra: list[tuple[str, str]] = []
    if signing is not None:
        recv_window, timestamp, signature = signing
        if recv_window is not None:
            extra.append(("recvWindow", recv_window))
        extra += [("timestamp", timestamp), ("signature", signature)]
    sender = task if task is not None else current_task()
    return call.prepared(base + call.endpoint.path, extra, headers, sender, costs)


class EndpointCall:
    """A request to a declared endpoint with its parameters, encoded once.

    A catalog task's parameters are frozen, so its query string (or form body), its
    security flags and its weight are worked out once, on its first run, and a task run
    again and again (a ring) only adds ``recvWindow``, ``timestamp`` and ``signature`` to
    that exact text when it is signed. What is sent is byte for byte what the general path
    (:meth:`BinanceRestApi.request`) sends for the same parameters. What depends on the API
    (costs, retry verdict, the URL object) is cached on the API and shared by every call
    that sends the same, so that running a task leaves no new objects behind on it.
    """

    __slots__ = (
        "body",
        "charge",
        "endpoint",
        "exchange_info",
        "in_body",
        "key",
        "kind",
        "method",
        "needs_key",
        "pairs",
        "params",
        "plan_key",
        "recv_window_given",
        "signed",
        "text",
        "weight",
    )

    def __init__(
        self, endpoint: Endpoint, params: Params | None = None, *, weight: int | None = None
    ) -> None:
        raw = _pairs(params)
        self.endpoint = endpoint
        self.params = raw
        """The parameters as given (what the general path is handed)."""
        self.weight = endpoint.weight_for(dict(raw)) if weight is None else weight
        self.method = endpoint.method.upper()
        security = endpoint.security
        self.kind = security if isinstance(security, Security) else Security(security)
        self.signed = self.kind.signed
        self.needs_key = self.kind.needs_key
        self.in_body = self.method in ("POST", "PUT")
        self.exchange_info = endpoint.path.endswith("/exchangeInfo")
        """Whether the answer carries the live rate limits (applied when it comes)."""
        self.pairs = encode_params(raw)
        """The parameters as wire text, in order, ``None`` values left out."""
        self.text = _urlencode(self.pairs)
        """``pairs`` URL-encoded: the query string, or the form body of a POST or PUT."""
        self.recv_window_given = any(name == "recvWindow" for name, _ in self.pairs)
        self.body = self.text.encode() if self.in_body else None
        """The body sent when unsigned (a POST or PUT), else ``None``."""
        # Keys of the API's shared caches, built once so that a request builds none.
        self.charge = (self.weight, endpoint.orders)
        self.key = (endpoint.path, "" if self.in_body else self.text)
        self.plan_key = (
            endpoint.market, self.method, endpoint.path, self.key[1], self.kind, self.charge
        )  # fmt: skip
        """What the API's send plan of this call depends on (see :data:`_Plan`): calls
        with the same key (a ring's tasks, N tasks fetching one ticker) share one."""

    def prepared(
        self,
        url: str,
        extra: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        task: BaseTask | None,
        costs: Mapping[str, int],
    ) -> PreparedRequest:
        """The call as the general path's :class:`PreparedRequest` (with the signing
        parameters ``extra``), for the error hooks and messages; built only when needed."""
        pairs = [*self.pairs, *extra]
        return PreparedRequest(
            method=self.method,
            url=url,
            query=[] if self.in_body else pairs,
            form=pairs if self.in_body else None,
            headers=RedactedHeaders(headers),
            signed=self.signed,
            task=task,
            costs=dict(costs),
        )


_shared_calls: dict[
    tuple[int, int, tuple[tuple[str, str], ...], tuple[type, ...]], EndpointCall
] = {}


def shared_call(endpoint: Endpoint, params: Sequence[tuple[str, Any]], weight: int) -> EndpointCall:
    """``EndpointCall(endpoint, params, weight=weight)``, one object for every task that sends
    the same: N tasks polling one ticker hold one call (its text, pairs and keys) rather than
    N copies, which the garbage collector would walk in every full collection. Calls are
    immutable; they are shared when their wire text and the types of their values match
    (``1`` and ``True`` are equal in Python, not on the wire)."""
    key = (
        id(endpoint),  # the call keeps the endpoint alive: its id is not reused meanwhile
        weight,
        tuple(encode_params(params)),
        tuple(type(value) for _, value in params),
    )
    call = _shared_calls.get(key)
    if call is None:
        if len(_shared_calls) >= _MAX_TARGETS:
            _shared_calls.clear()  # many distinct calls: start over, never grow
        call = _shared_calls[key] = EndpointCall(endpoint, params, weight=weight)
    return call


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
    Other keyword arguments go to :class:`aioca.RestApi`.

    User tasks should build URLs from the instance attributes (``api.coinm_url``), which
    honour overrides; the class constant ``CoinM_BASE_URL`` is kept for seed-style code.
    """

    exchange: ClassVar[str] = "binance"

    CoinM_BASE_URL: ClassVar[str] = MAINNET_URLS["coinm"]
    """The seed README's constant: COIN-M's production base URL (ignores ``urls=``)."""

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
        **options: Any,
    ) -> None:
        super().__init__(timeout=timeout, proxy=proxy, **options)
        if isinstance(recv_window, bool) or not isinstance(recv_window, int):
            raise TypeError(f"recv_window must be whole milliseconds, not {recv_window!r}")
        if not 0 < recv_window <= _MAX_RECV_WINDOW:
            raise ValueError(f"recv_window must be 1..{_MAX_RECV_WINDOW} ms, not {recv_window}")
        base = dict(TESTNET_URLS if testnet else MAINNET_URLS)
        for market, url in (urls or {}).items():
            if market not in base:
                raise ValueError(f"unknown market {market!r} in urls: use {', '.join(base)}")
            base[market] = url.rstrip("/")
        self.urls: Mapping[str, str] = base
        self.testnet = testnet
        self.recv_window = recv_window
        self.api_key = api_key
        time_url = self.urls["coinm"] + _TIME_PATHS["coinm"]
        self.server_clock = ServerClock(
            functools.partial(self._read_server_time, time_url),  # picklable, unlike a lambda
            url=time_url,
            exchange=self.exchange,
            interval=time_sync_interval,
            max_offset=max_clock_offset,
            timeout=self.timeout.total,
        )
        """Binance's clock: the offset every ``timestamp`` adds, measured before signed
        requests every ``time_sync_interval`` seconds (see :class:`aioca.ServerClock`)."""
        self._windows: list[Window] = list(DEFAULT_WINDOWS)
        self._hosts: dict[str, str] = {}
        self._costs_cache: dict[tuple[int, int], dict[str, int]] = {}
        self._retry_cache: tuple[RetryPolicy | None, dict[tuple[str, bool], bool]] = (None, {})
        self._targets: dict[str, dict[tuple[str, str], URL]] = {}
        self._plans: dict[tuple[str, str, str, str, Security, tuple[int, int]], _Plan] = {}
        self._signer: Signer | None
        if private_key is not None:
            self._signer = load_private_key_signer(private_key, private_key_passphrase)
        elif api_secret:
            self._signer = HmacSigner(api_secret)
        else:
            self._signer = None

    @property
    def spot_url(self) -> str:
        return self.urls["spot"]

    @property
    def usdm_url(self) -> str:
        return self.urls["usdm"]

    @property
    def coinm_url(self) -> str:
        return self.urls["coinm"]

    def timestamp_ms(self) -> int:
        """The ``timestamp`` of a request sent now, on the server's clock as far as known."""
        return self.server_clock.time_ms()

    @property
    def time_offset_ms(self) -> int:
        """Server time minus local time, added to every ``timestamp``."""
        return self.server_clock.offset_ms

    @time_offset_ms.setter
    def time_offset_ms(self, offset: int) -> None:
        self.server_clock.offset_ms = offset

    @property
    def time_sync_interval(self) -> float | None:
        """Seconds between clock syncs before signed requests; ``None`` never syncs."""
        return self.server_clock.interval

    @time_sync_interval.setter
    def time_sync_interval(self, interval: float | None) -> None:
        self.server_clock.interval = interval

    @property
    def max_clock_offset(self) -> float | None:
        """The largest offset of the server's clock from ours believed, in seconds (a day:
        no real clock is further off); ``None`` believes any (a simulator at another date)."""
        return self.server_clock.max_offset

    # --- sending -------------------------------------------------------------------------

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
        go into a form body, GET and DELETE parameters into the query string.
        """
        if isinstance(security, Security):
            kind = security  # Security(member) is the slow path of the enum metaclass
        elif security is not None:
            kind = Security(security)
        else:
            kind = Security.USER_DATA if signed else Security.NONE
        sent_headers = RedactedHeaders(headers or ())  # holds the key: no repr of it
        if kind.needs_key:
            sent_headers["X-MBX-APIKEY"] = self._require_key(kind)
        if method.upper() in ("POST", "PUT"):
            options["data"] = _pairs(params)
            params = None
        if "costs" not in options:
            options["costs"] = self.costs(weight=1)
        if kind.signed:
            self._require_signer()  # before the clock sync: fail without sending anything
            await self._sync_time_if_due(url)
        try:
            return await super().request(
                method, url, params, signed=kind.signed, headers=sent_headers, **options
            )
        except errors.InvalidTimestampError:
            if not kind.signed or self.time_sync_interval is None:
                raise
            # Our clock drifted from Binance's (-1021): the request was refused before it
            # did anything, so resync and send it once more with a fresh timestamp.
            await self.sync_time(url)
            return await super().request(
                method, url, params, signed=kind.signed, headers=sent_headers, **options
            )

    async def call_endpoint(
        self, endpoint: Endpoint, params: Params | None = None, *, weight: int | None = None
    ) -> Any:
        """Send a request to a declared endpoint (what catalog tasks do), charging its
        weight (``weight``, else the endpoint's for ``params``) and order count."""
        return await self._send_call(EndpointCall(endpoint, params, weight=weight))

    def send_call(self, call: EndpointCall) -> Coroutine[Any, Any, Any]:
        """Send an :class:`EndpointCall` (what a catalog task does on every run): as
        :meth:`call_endpoint` would, with the encoding done once per call rather than
        once per request. Returns the coroutine to await.

        When no hook it stands in for is overridden (see :meth:`_lean`), this is the lean
        path: :meth:`request`'s steps in the same order (the key header, the signer check
        and the clock sync first, one resync and resend after -1021) on the call's encoded
        text, without rebuilding the request for every send; else the general path."""
        default_handling = self._lean()
        if default_handling is None:
            return self._send_general(call)
        return self.send_lean(call, default_handling, None)

    async def _send_general(self, call: EndpointCall) -> Any:
        """:meth:`send_call` when a hook the lean path stands in for is overridden."""
        cls = type(self)
        if cls.call_endpoint is not BinanceRestApi.call_endpoint or "call_endpoint" in vars(self):
            return await self.call_endpoint(call.endpoint, call.params, weight=call.weight)
        return await self._send_call(call)

    async def send_lean(
        self, call: EndpointCall, default_handling: bool, task: BaseTask | None
    ) -> Any:
        """The lean path of :meth:`send_call` (``default_handling`` is what :meth:`_lean`
        said, not ``None``).

        ``task`` is the task sending the call when the caller did not make it the running
        task (:func:`aioca.task.current_task`), as :meth:`BinanceTask.run
        <aioca_binance.task.BinanceTask.run>` does not for a request that goes well:
        setting that context variable is one of the costliest steps of a request. It is
        then set here, before any hook or request that could read it runs (the clock sync,
        an error response, a retry, an exchangeInfo answer), and reset at the end, so
        everything that runs sees what it would have seen; errors name ``task`` either way.
        ``None``: the caller has set it."""
        token: contextvars.Token[BaseTask | None] | None = None
        try:
            endpoint = call.endpoint
            base = self.urls[endpoint.market]
            plan = self._plans.get(call.plan_key)
            if (
                plan is None
                or plan[0] is not base
                or plan[1] is not self.api_key
                or plan[2] is not self.rate_limiter
            ):
                plan = self._plan(call, base)  # raises (no key) before anything is sent
            headers, costs, limiter, fixed_target = plan[3], plan[4], plan[5], plan[6]
            if call.signed:
                self._require_signer()  # before the clock sync: fail without sending anything
                if self.server_clock.due:
                    if task is not None and token is None:
                        token = _running_task.set(task)
                    await self._sync_time_if_due(base + endpoint.path)
            # RestApi.request's loop, in this coroutine rather than one more: the same limiter,
            # transport, retry decisions and error hooks; every attempt signed afresh.
            method = call.method
            resent = False
            started = time.monotonic()
            attempt = 0
            describe_args: tuple[Any, ...]
            while True:
                attempt += 1
                if call.signed:
                    target, data, signing = self._signed_target(call, base, fixed_target)
                    describe_args = (call, base, signing, headers, costs, task)
                else:
                    target, data = fixed_target, call.body  # type: ignore[assignment]
                    describe_args = (call, base, None, headers, costs, task)
                try:
                    status, raw_headers, content = await self._transport(
                        limiter,
                        costs,
                        method,
                        target,
                        data,
                        headers,
                        None,
                        _describe,
                        describe_args,
                    )
                    if status < 400 and default_handling:
                        try:  # the default handling of a 2xx answer, as _lean_result does it
                            result = self.json_loads(content)
                        except (ValueError, RecursionError):
                            pass  # _lean_result's decode() raises, worded as always
                        else:
                            if type(result) is not dict or _error_code(result) is None:
                                break
                            # An error body with HTTP 200: _lean_result raises it.
                    if task is not None and token is None:  # the hooks may read it
                        token = _running_task.set(task)
                    result = self._lean_result(
                        status, raw_headers, content, _describe, describe_args, default_handling
                    )
                    break
                except errors.RateLimitError as exc:
                    self._hold_limiter(limiter, exc)
                    error: errors.AiocaError = exc
                except errors.AiocaError as exc:
                    error = exc
                if task is not None and token is None:  # the retry policy and hooks may read it
                    token = _running_task.set(task)
                url = base + endpoint.path
                may_retry = self._may_retry(method, endpoint.changes_orders)
                delay = self._retry_delay(error, attempt, started, may_retry, method, url)
                if delay is not None:
                    await _rest._sleep(delay)  # looked up now: tests replace it
                    continue
                if (
                    isinstance(error, errors.InvalidTimestampError)
                    and call.signed
                    and self.time_sync_interval is not None
                    and not resent
                ):
                    # Our clock drifted from Binance's (-1021): the request was refused before
                    # it did anything, so resync and send it once more with a fresh timestamp
                    # (and the retry budget of a new request, as request() does).
                    resent = True
                    await self.sync_time(url)
                    started, attempt = time.monotonic(), 0
                    continue
                raise error
            # Nothing below holds a signature: a traceback through this frame would show it.
            target = data = signing = describe_args = plan = headers = None  # type: ignore[assignment]
            if call.exchange_info and isinstance(result, Mapping):
                if task is not None and token is None:
                    token = _running_task.set(task)
                self.apply_exchange_info(result)
            if endpoint.batch:
                self.batch_error(call, result, task)
            return result
        except BaseException:
            # A traceback keeps this frame's locals, and error trackers show them: not the
            # signed URL, body, signature and key header of the last attempt.
            target = data = signing = describe_args = plan = headers = None  # type: ignore[assignment]
            raise
        finally:
            if token is not None:
                _running_task.reset(token)

    async def _send_call(self, call: EndpointCall) -> Any:
        """The general path: :meth:`request` with the call's parameters, then what an
        exchangeInfo answer says about the limits."""
        if self._lean() is not None:
            return await self.send_call(call)
        endpoint = call.endpoint
        result = await self.request(
            endpoint.method,
            self.urls[endpoint.market] + endpoint.path,
            call.params,
            security=call.kind,
            costs=self._costs_of(call),
            changes_orders=endpoint.changes_orders,
        )
        if call.exchange_info and isinstance(result, Mapping):
            self.apply_exchange_info(result)
        if endpoint.batch:
            self.batch_error(call, result)
        return result

    # --- the lean path -------------------------------------------------------------------

    def _lean(self) -> bool | None:
        """``None`` when a hook the lean path stands in for is overridden, by the class or
        on the instance (then the general path runs, calling it); else whether responses
        get the default handling (see :meth:`RestApi._lean_result`)."""
        # Checked on every call against the functions as defined, not cached per class: a
        # hook patched on the class later (monkeypatch, mock.patch.object) must be called.
        cls = type(self)
        for name, original in _ORIGINAL_HOOKS:
            if getattr(cls, name) is not original:
                return None
        if not vars(self).keys().isdisjoint(_INSTANCE_HOOKS):
            return self._default_handling() if vars(self).keys().isdisjoint(_LEAN_HOOKS) else None
        return cls.handle_response is _DEFAULT_HANDLE and cls.decode is _DEFAULT_DECODE

    def _plan(self, call: EndpointCall, base: str) -> _Plan:
        """Work out (and keep) the send plan of ``call`` on this API: see :data:`_Plan`."""
        headers = self._headers_for(call)
        costs = self._costs_of(call)
        limiter = self._limiter_for_base(base)
        target = None if call.signed and not call.in_body else self._target(base, call)
        plan: _Plan = (base, self.api_key, self.rate_limiter, headers, costs, limiter, target)
        if len(self._plans) >= _MAX_TARGETS:
            self._plans.clear()  # many distinct queries: start over, never grow
        self._plans[call.plan_key] = plan
        return plan

    def _signed_target(
        self, call: EndpointCall, base: str, body_target: URL | None = None
    ) -> tuple[URL, bytes | None, tuple[str | None, str, str]]:
        """Append ``recvWindow`` (unless given), ``timestamp`` and ``signature`` to the
        call's encoded parameters, as :meth:`sign_request` does: the URL and body to send,
        and the values added (for :func:`_describe`)."""
        signer = self._require_signer()
        timestamp = str(self.timestamp_ms())
        added = f"timestamp={_quote(timestamp)}"
        recv_window = None
        if not call.recv_window_given:
            recv_window = str(self.recv_window)
            added = f"recvWindow={_quote(recv_window)}&{added}"
        signed = f"{call.text}&{added}" if call.text else added
        signature = signer.sign(signed)
        # HMAC signatures are hex; Ed25519 and RSA ones are base64, whose +/= are escaped.
        wire = f"{signed}&signature={_quote(signature)}"
        signing = (recv_window, timestamp, signature)
        if call.in_body:
            target = body_target if body_target is not None else self._target(base, call)
            return target, wire.encode(), signing
        return URL(f"{base}{call.endpoint.path}?{wire}", encoded=True), None, signing

    def _costs_of(self, call: EndpointCall) -> dict[str, int]:
        """:meth:`costs` of a call, one dict per distinct charge (the limiter only reads it)."""
        costs = self._costs_cache.get(call.charge)
        if costs is None:
            weight, orders = call.charge
            costs = self._costs_cache[call.charge] = self.costs(weight=weight, orders=orders)
        return costs

    def _may_retry(self, method: str, changes_orders: bool) -> bool:
        """``self.retry.may_retry(...)``, worked out once per policy, method and kind."""
        policy, verdicts = self._retry_cache
        if policy is not self.retry:
            policy, verdicts = self._retry_cache = (self.retry, {})
        key = (method, changes_orders)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = policy.may_retry(method, changes_orders=changes_orders)
        return verdict

    def _target(self, base: str, call: EndpointCall) -> URL:
        """The URL object of an unsigned call (its query string included, unless it is a
        POST or PUT): built once and shared by every call that sends the same (a ring
        polling one ticker), keyed by strings whose hashes Python already keeps."""
        targets = self._targets.get(base)
        if targets is None:
            targets = self._targets[base] = {}
        target = targets.get(call.key)
        if target is None:
            if len(targets) >= _MAX_TARGETS:
                targets.clear()  # many distinct queries: start over, never grow
            url = base + call.endpoint.path
            text = "" if call.in_body else call.text
            target = targets[call.key] = URL(f"{url}?{text}" if text else url, encoded=True)
        return target

    def _headers_for(self, call: EndpointCall) -> CIMultiDictProxy[str]:
        """The headers of a call, shared by every request with the same key and body kind
        (read-only; aiohttp copies them, and takes a ``CIMultiDict`` without converting)."""
        if not call.needs_key and not call.in_body:
            return _NO_HEADERS
        headers: CIMultiDict[str] = CIMultiDict()
        if call.needs_key:
            headers["X-MBX-APIKEY"] = self._require_key(call.kind)
        if call.in_body:
            headers.update(_FORM_HEADERS)
        return CIMultiDictProxy(headers)

    def _limiter_for_base(self, base: str) -> Limiter:
        """:meth:`rate_limiter_for` of a request to the base URL ``base`` (the limiter is
        per host), without parsing the URL again for every request."""
        if self.rate_limiter is not None:
            return self.rate_limiter
        host = self._hosts.get(base)
        if host is None:
            host = self._hosts[base] = urlsplit(base).netloc
        limiter = self._limiters.get(host)
        if limiter is None:
            limiter = self.rate_limiter_for(PreparedRequest("GET", base + "/"))
        return limiter

    # --- rate limits -----------------------------------------------------------------------

    def rate_limits(self) -> list[Window]:
        return list(self._windows)

    def costs(self, *, weight: int, orders: int = 0) -> dict[str, int]:
        """What a request charges: ``weight`` to the REQUEST_WEIGHT windows, ``orders`` to
        the ORDERS windows and 1 to RAW_REQUEST windows, whatever their periods."""
        return {"REQUEST_WEIGHT": weight, "ORDERS": orders, "RAW_REQUEST": 1}

    def apply_exchange_info(self, info: Mapping[str, Any]) -> None:
        """Use the live limits of an ``exchangeInfo`` answer (``rateLimits``) from now on,
        in the limiters this API made (a limiter passed as ``rate_limiter=`` is left as is).

        Catalog tasks call it for you when they fetch exchangeInfo; the defaults until then
        are Binance's published 2400 weight/min per IP and 1200 orders/min, 300 per 10 s.
        """
        windows = windows_from_rate_limits(info.get("rateLimits") or [])
        if not windows:
            return
        self._windows = windows
        # The limiters this API made itself; one given as rate_limiter= is the caller's.
        for limiter in self._limiters.values():
            limiter.set_windows(windows)

    def clock(self) -> float:
        return self.server_clock.time()

    # --- time sync -------------------------------------------------------------------------

    async def sync_time(self, url: str | None = None) -> int:
        """Measure the offset of Binance's clock from ours (``time_offset_ms``) with the
        server-time endpoint of the market ``url`` belongs to; returns the offset in ms.
        Failures raise :class:`~aioca.errors.ClockSyncError` (see :class:`aioca.ServerClock`)."""
        time_url = self._time_url(url)
        read = functools.partial(self._read_server_time, time_url)
        return await self.server_clock.sync(read, time_url)

    async def _sync_time_if_due(self, url: str) -> None:
        time_url = self._time_url(url)
        read = functools.partial(self._read_server_time, time_url)
        backend = self.limiter_backend
        if isinstance(backend, SharedClock) and self.server_clock.due:
            await self._sync_shared(backend, read, time_url)
            return
        await self.server_clock.sync_if_due(read, time_url)

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
        base, time_path = self._time_endpoint(url)
        return base + time_path

    def _time_endpoint(self, url: str | None) -> tuple[str, str]:
        for market, base in self.urls.items():
            if url is not None and url.startswith(base):
                return base, _TIME_PATHS[market]
        return self.urls["coinm"], _TIME_PATHS["coinm"]

    def _require_key(self, kind: Security) -> str:
        if not self.api_key:
            raise errors.AuthenticationError(
                f"a {kind.value} request needs an API key: BinanceRestApi(api_key=...)",
                exchange=self.exchange,
            )
        return self.api_key

    def _require_signer(self, request: PreparedRequest | None = None) -> Signer:
        if self._signer is None:
            message = "a signed request needs api_secret (HMAC) or private_key (Ed25519/RSA)"
            if request is not None:
                raise errors.AuthenticationError(message, **self.error_context(request))
            raise errors.AuthenticationError(message, exchange=self.exchange)
        return self._signer

    def sign_request(self, request: PreparedRequest) -> None:
        signer = self._require_signer(request)
        target = request.form if request.form is not None else request.query
        if not any(name == "recvWindow" for name, _ in (*request.query, *target)):
            target.append(("recvWindow", str(self.recv_window)))
        target.append(("timestamp", str(self.timestamp_ms())))
        payload = request.query_string() + (request.body() or "")
        target.append(("signature", signer.sign(payload)))

    # --- errors --------------------------------------------------------------------------

    def is_error_answer(self, payload: Any) -> bool:
        """Binance sometimes answers an error with HTTP 200 and its error body
        (``{"code": -2019, "msg": ...}``): an error as with a 4xx. Success bodies that
        carry a ``code`` carry 200 (``{"code": 200, "msg": "success"}``), never a negative
        one."""
        return type(payload) is dict and _error_code(payload) is not None

    def batch_error(self, call: EndpointCall, answer: Any, task: BaseTask | None = None) -> None:
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
        base = self.urls[call.endpoint.market]
        context: errors.RequestContext = {
            "exchange": self.exchange,
            "task_name": str(task) if task is not None else _running_name(),
            "method": call.method,
            "url": base + call.endpoint.path,
        }
        order_ids, client_ids = _batch_ids(call)
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
            status=200,
            **context,
        )

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        code: int | None = None
        msg = ""
        if isinstance(payload, Mapping):
            raw_code = payload.get("code")
            code = (
                raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
            )
            msg = str(payload.get("msg") or "")
        message = msg or response.excerpt() or "(empty body)"
        error_class = error_class_for(response.status, code)
        context = self.error_context(response.request)
        if issubclass(error_class, errors.RateLimitError):
            retry_after = response.retry_after()
            if error_class is errors.IPBannedError:
                until = _ban_end(message, retry_after)
                return errors.IPBannedError(
                    message,
                    until=until,
                    retry_after=retry_after,
                    code=code,
                    status=response.status,
                    **context,
                )
            return error_class(
                message, retry_after=retry_after, code=code, status=response.status, **context
            )
        return error_class(message, code=code, status=response.status, **context)

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        signer = type(self._signer).__name__ if self._signer is not None else "none"
        return (
            f"<BinanceRestApi key={key} signer={signer} coinm={self.coinm_url!r} "
            f"session={'closed' if self.closed else 'open'}>"
        )


def _urlencode(pairs: list[tuple[str, str]]) -> str:
    """``urlencode(pairs)`` for text pairs, byte for byte, without a ``quote_plus`` call for
    the names and values that need no escaping (most of them)."""
    return "&".join([f"{_quote(name)}={_quote(value)}" for name, value in pairs])


def _quote(text: str) -> str:
    """``quote_plus(text)``, without the call when there is nothing to escape (digits,
    hex): the encoding of the values a signed request adds is what ``urlencode`` makes."""
    return text if text.isascii() and text.isalnum() else quote_plus(text)


def _pairs(params: Params | None) -> list[tuple[str, Any]]:
    if params is None:
        return []
    items: Iterable[tuple[str, Any]] = params.items() if isinstance(params, Mapping) else params
    return list(items)


def _error_code(payload: Mapping[str, Any]) -> int | None:
    """The code of a Binance error body (a negative integer beside a ``msg``), else ``None``."""
    code = payload.get("code")
    if type(code) is int and code < 0 and "msg" in payload:
        return code
    return None


def _running_name() -> str | None:
    task = current_task()
    return str(task) if task is not None else None


def _batch_ids(call: EndpointCall) -> tuple[list[str | int | None], list[str | None]]:
    """The order ids and client order ids of each item of a batch call, in item order
    (what a refused item's error names)."""
    sent = dict(call.params)
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


_ORIGINAL_HOOKS = tuple((name, getattr(BinanceRestApi, name)) for name in _LEAN_HOOKS)
"""The hooks the lean path stands in for, as defined here: a class whose hook is another
function (a subclass's, or a patch) takes the general path."""
_DEFAULT_HANDLE = RestApi.handle_response
_DEFAULT_DECODE = RestApi.decode

"""``RestApi``: the HTTP side every exchange plugin builds on, and the one request pipeline.

A ``RestApi`` owns one ``aiohttp.ClientSession``, opened lazily on the first request and
closed by ``await api.close()``, by ``async with api:``, or by the synchronous operator at
the end of its run. A closed API opens a fresh session on its next request, which is what
lets the seed's synchronous ``op.run()`` be called again and again with the same API.

Every request goes through :meth:`RestApi.send_plan`, whatever sent it (``request()``,
a catalog task of any plugin): a :class:`~aioca.request.RequestPlan` encoded once, then per
attempt the clock sync a signed request needs, a fresh signature, admission by the rate
limiter, the exchange on the wire, the response hooks, and the retry rule. Plugins
override hooks, which are called the same way whether or not they are overridden:

* :meth:`RestApi.prepare_request` adds what every send of a request carries (a header),
  once, when its plan is built;
* :meth:`RestApi.sign_request` adds credentials to a :class:`PreparedRequest` for each
  attempt of a signed request, working on exactly the query string and body that will be
  sent (:meth:`RestApi.sign_plan` does the same on a plan, where a plugin can do it faster);
* :meth:`RestApi.handle_response` turns a response into a result or an error,
  :meth:`RestApi.map_error` an error response into an exception of :mod:`aioca.errors`,
  :meth:`RestApi.is_error_answer` recognises an error sent with HTTP 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from . import errors
from ._version import __version__
from .clock import SYSTEM_TIMER, ServerClock, Timer
from .limits.base import Limiter, LimiterBackend
from .ratelimit import LimiterStatus, RateLimiter, Window
from .request import (
    DECODE_ERRORS,
    Params,
    PreparedRequest,
    RedactedHeaders,
    RequestPlan,
    Response,
    Wire,
    encode_params,
    encode_value,
    parse_retry_after,
    try_decode,
    urlencode_pairs,
)
from .retry import RetryPolicy
from .task import BaseTask, current_task

__all__ = [
    "Params",
    "PreparedRequest",
    "RedactedHeaders",
    "RequestPlan",
    "Response",
    "RestApi",
    "Wire",
    "encode_params",
    "encode_value",
    "parse_retry_after",
    "try_decode",
    "urlencode_pairs",
]

USER_AGENT = f"aioca/{__version__} (+https://github.com/aioca/aioca) aiohttp/{aiohttp.__version__}"

_fast_loads: Callable[[bytes], Any] | None
try:  # the `fast` extra: orjson decodes large bodies (500 klines) several times faster
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None


def default_json_loads() -> Callable[[bytes], Any]:
    """orjson's decoder when installed (``pip install aioca-core[fast]``), else the stdlib's."""
    return _fast_loads if _fast_loads is not None else json.loads


_DEFAULT_PAUSE = 1.0  # seconds to hold a host after a 429 that gave no Retry-After
_DEFAULT_BAN = 120.0  # a 418 that does not say how long: the shortest ban exchanges give
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The default cap on a response body, after decompression: 32 MiB, several times the
largest answer the exchanges we know document (a full list of every instrument)."""
DEFAULT_MAX_PAUSE = 300.0
"""The longest an HTTP 429's ``Retry-After`` may hold an API's requests, in seconds."""
_MAX_SHARED_PLANS = 1024

logger = logging.getLogger("aioca")

_STATUS_ERRORS: dict[int, type[errors.ExchangeError]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    403: errors.AuthenticationError,
    404: errors.BadRequestError,
    422: errors.BadRequestError,
}

# Sessions are tracked so that the synchronous operator can close every session opened on
# its event loop, including those of APIs it never saw (an API used inside a FunctionTask).
_open_apis: weakref.WeakSet[RestApi] = weakref.WeakSet()


async def close_apis_on_running_loop() -> None:
    """Close the sessions of every API opened on the running event loop."""
    loop = asyncio.get_running_loop()
    for api in list(_open_apis):
        if api._session_loop is loop:
            await api.close()


class RestApi(ABC):
    """Base class of an exchange's REST API object.

    ``timeout`` is seconds (a float) or an ``aiohttp.ClientTimeout``; ``proxy`` an HTTP
    proxy URL; ``connection_limit`` the size of the connection pool; ``json_loads`` the JSON
    decoder (orjson's when installed, else the standard library's); ``retry`` the
    :class:`~aioca.RetryPolicy`; ``rate_limiter`` a :class:`~aioca.RateLimiter` to share
    with other API objects (by default each host gets its own, with the windows of
    :meth:`rate_limits`); ``limiter_backend`` where the limiter of each host comes from
    instead (e.g. :class:`aioca.limits.redis.RedisBackend`, one budget for many
    processes); ``local_address`` the local IP address requests leave from (each address
    has its own weight budget at the exchange). ``max_response_bytes`` caps a response body (after
    decompression, enforced while it arrives: :class:`~aioca.errors.ResponseTooLargeError`);
    ``max_pause`` caps how long an HTTP 429's ``Retry-After`` holds every request, in
    seconds. ``timer`` is where the API reads the time and waits (retry pauses, its
    limiters): a :class:`aioca.testing.FakeClock` in tests. Subclasses set the class
    attribute ``exchange`` and implement :meth:`sign_request`; one that signs with the
    exchange's time sets :attr:`server_clock`.

    Redirects are never followed: an HTTP 3xx raises
    :class:`~aioca.errors.UnexpectedRedirectError` (a redirect would hand a signed
    request, its key and its body to another host, and send an order twice).
    """

    exchange: ClassVar[str] = ""
    """The exchange's name, as registered by its plugin (``"example"``)."""

    server_clock: ServerClock | None = None
    """The exchange's clock, when signed requests carry its time: synced before them when
    due, and once more when the exchange refuses a timestamp (see :class:`ServerClock`)."""

    _session: aiohttp.ClientSession | None
    _session_loop: asyncio.AbstractEventLoop | None

    def __init__(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout = 10.0,
        proxy: str | None = None,
        connection_limit: int = 100,
        json_loads: Callable[[bytes], Any] | None = None,
        user_agent: str = USER_AGENT,
        retry: RetryPolicy | None = None,
        rate_limiter: Limiter | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_pause: float = DEFAULT_MAX_PAUSE,
        timer: Timer | None = None,
        limiter_backend: LimiterBackend | None = None,
        local_address: str | None = None,
    ) -> None:
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
            raise TypeError(f"max_response_bytes must be an int, not {max_response_bytes!r}")
        if max_response_bytes <= 0:
            raise ValueError(f"max_response_bytes must be positive, not {max_response_bytes}")
        if (
            isinstance(max_pause, bool)
            or not isinstance(max_pause, int | float)
            or not 0 <= max_pause < math.inf
        ):
            raise ValueError(
                f"max_pause must be a finite number of seconds >= 0, not {max_pause!r}"
            )
        self.timeout = to_client_timeout(timeout)
        self.max_response_bytes = max_response_bytes
        """The largest response body read, in bytes after decompression."""
        self.max_pause = float(max_pause)
        """The longest pause an HTTP 429 imposes on this API's requests, in seconds."""
        self.timer: Timer = timer if timer is not None else SYSTEM_TIMER
        """Where this API reads the time and waits (see :class:`aioca.clock.Timer`)."""
        self.proxy = proxy
        self.connection_limit = connection_limit
        self.json_loads = json_loads if json_loads is not None else default_json_loads()
        self.user_agent = user_agent
        self.retry = retry if retry is not None else RetryPolicy()
        self.rate_limiter = rate_limiter
        """A limiter shared with other API objects (several keys on one IP), if given."""
        self.limiter_backend = limiter_backend
        """Where per-host limiters come from, if given (else one local limiter per host)."""
        self.local_address = local_address
        """The local IP address requests leave from, if bound."""
        self._limiters: dict[str, Limiter] = {}
        self._plans: dict[Hashable, RequestPlan] = {}
        # Plans by the parameters object they were made for (see EndpointTask._plan_for):
        # id -> (task class, the parameters, the plan), the parameters kept so that the id
        # cannot be reused while the entry lives.
        self._params_plans: dict[int, tuple[type, object, RequestPlan]] = {}
        self._session = None
        self._session_loop = None

    # --- session lifecycle -------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether no session is open (a request opens one)."""
        return self._session is None or self._session.closed

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and not session.closed and self._session_loop is loop:
            return session
        session = aiohttp.ClientSession(
            timeout=self.timeout,
            headers={"User-Agent": self.user_agent},
            connector=aiohttp.TCPConnector(
                limit=self.connection_limit,
                local_addr=(self.local_address, 0) if self.local_address else None,
            ),
        )
        # aiohttp quietly sends a GET, PUT or DELETE a second time when a pooled connection
        # turns out to be closed. For an exchange that can cancel or modify an order twice,
        # beneath our RetryPolicy; only the policy decides what is repeated. (A private
        # flag, the one aiohttp's own test client clears; skipped if it ever disappears.)
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        self._session = session
        self._session_loop = loop
        _open_apis.add(self)
        return session

    async def close(self) -> None:
        """Close the HTTP session. The API stays usable: the next request opens a new one."""
        session, self._session, self._session_loop = self._session, None, None
        _open_apis.discard(self)
        if session is not None and not session.closed:
            await session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- hooks for plugins ---------------------------------------------------------------

    @abstractmethod
    def sign_request(self, request: PreparedRequest) -> None:
        """Add credentials to ``request`` in place (parameters, signature, headers), for
        one attempt of a signed request.

        Sign what :meth:`PreparedRequest.query_string` and :meth:`PreparedRequest.body`
        return: that is exactly what will be sent.
        """

    def prepare_request(self, request: PreparedRequest) -> None:
        """Add what every send of ``request`` carries (a header, say), once, when its
        plan is built: for every call of :meth:`request`, and once per distinct call of a
        catalog task. Signing is :meth:`sign_request`'s, per attempt. Does nothing by
        default."""
        return

    def check_signing(self, plan: RequestPlan) -> None:
        """Raise (an :class:`~aioca.errors.AuthenticationError`, say) when a signed plan
        cannot be signed, before anything is sent, the clock sync included. Does nothing
        by default."""
        return

    def sign_plan(self, plan: RequestPlan) -> Wire:
        """The wire of one attempt of a signed plan: by default the plan as a
        :class:`PreparedRequest`, signed by :meth:`sign_request`. A plugin may override it
        to sign the plan's encoded text directly (it must send what it signs)."""
        request = plan.prepared()
        self.sign_request(request)
        body = request.body()
        return Wire(
            URL(request.full_url(), encoded=True),
            body.encode() if body is not None else None,
            request.headers,
        )

    def handle_response(self, response: Response) -> Any:
        """Turn a response into the task's result, or raise. By default an HTTP status of
        400 or more is an error (see :meth:`map_error`), the body is decoded as JSON, and a
        2xx whose decoded body :meth:`is_error_answer` recognises is an error too."""
        if response.status >= 400:
            raise self.map_error(response, self._try_decode(response))
        payload = self.decode(response)
        if self.is_error_answer(payload):
            raise self.map_error(response, payload)
        return payload

    def is_error_answer(self, payload: Any) -> bool:
        """Whether a decoded 2xx body is in fact an error (an exchange that sometimes
        answers HTTP 200 with its error body). Plugins override it; the default: never."""
        return False

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        """The exception for an error response. ``payload`` is the decoded JSON body, or
        ``None`` when the body is not JSON. The default maps the HTTP status only: 400, 404
        and 422 to ``BadRequestError``, 401 and 403 to ``AuthenticationError``, 429 to
        ``RateLimitError`` and 418 to ``IPBannedError`` (both with ``Retry-After``), 5xx to
        ``ExchangeServerError``, anything else to ``ExchangeError``."""
        code = msg = None
        if isinstance(payload, Mapping):
            code = payload.get("code")
            msg = payload.get("msg") or payload.get("message")
        if not isinstance(code, int | str):
            code = None
        message = str(msg) if msg else response.excerpt() or "(empty body)"
        status = response.status
        if status in (418, 429):
            return self.rate_limit_error(response, message, code=code, banned=status == 418)
        context = self.error_context(response.request)
        error_class = _STATUS_ERRORS.get(status)
        if error_class is None:
            error_class = errors.ExchangeServerError if status >= 500 else errors.ExchangeError
        return error_class(message, code=code, status=status, **context)

    def rate_limit_error(
        self,
        response: Response,
        message: str,
        *,
        code: int | str | None = None,
        banned: bool = False,
        until: float | None = None,
    ) -> errors.RateLimitError:
        """The error for a rate-limited answer: :class:`~aioca.errors.RateLimitError`
        (HTTP 429), or :class:`~aioca.errors.IPBannedError` when ``banned`` (HTTP 418),
        with the ``Retry-After`` the exchange gave (read defensively) and, for a ban, its
        end: ``until`` (Unix seconds, when the exchange's message says), else now plus
        ``Retry-After``. The pipeline then holds every request behind the limiter."""
        retry_after = response.retry_after()
        context = self.error_context(response.request)
        if not banned:
            return errors.RateLimitError(
                message, retry_after=retry_after, code=code, status=response.status, **context
            )
        if until is None and retry_after is not None:
            until = time.time() + retry_after
        return errors.IPBannedError(
            message,
            until=until,
            retry_after=retry_after,
            code=code,
            status=response.status,
            **context,
        )

    def error_context(self, request: PreparedRequest) -> errors.RequestContext:
        """What every exception of a request carries: never the query, which holds the
        signature."""
        return {
            "exchange": self.exchange or None,
            "task_name": request.name(),
            "method": request.method,
            "url": request.url,
        }

    def decode(self, response: Response) -> Any:
        """Decode the body as JSON, or raise :class:`~aioca.errors.InvalidResponseError`."""
        try:
            return self.json_loads(response.body)
        except DECODE_ERRORS as exc:
            if isinstance(exc, RecursionError):
                what = "a JSON body nested too deeply to decode"
            else:
                what = "an empty body" if not response.body else "a body that is not JSON"
            raise errors.InvalidResponseError(
                f"HTTP {response.status} with {what}: {response.excerpt()!r}",
                status=response.status,
                body=response.excerpt(),
                **self.error_context(response.request),
            ) from None

    def _try_decode(self, response: Response) -> Any:
        return try_decode(self.json_loads, response.body)

    async def sync_clock(self, plan: RequestPlan, *, after: float | None = None) -> None:
        """Measure the exchange's clock for a signed plan: when due (``after`` is
        ``None``), or once more after the exchange refused the timestamp of a request
        started at ``after`` (``time.monotonic()``). A plugin whose markets have several
        time endpoints overrides it to read the plan's."""
        clock = self.server_clock
        if clock is None:
            return
        if after is None:
            await clock.sync_if_due()
        else:
            await clock.resync_after(after)

    # --- plans and the request ---------------------------------------------------------------

    def plan_endpoint(self, endpoint: Any, params: Any, *, shared: bool = True) -> RequestPlan:
        """The plan of a catalog task's request (see :class:`aioca.endpoint.EndpointTask`):
        the plugin's wire rules for its declared ``endpoint`` and the task's parameters.
        ``shared``: the plan may serve every task that sends the same (keep it with
        :meth:`shared_plan`); ``False`` for one run's (an order with a fresh client id)."""
        raise NotImplementedError(f"{type(self).__name__} declares no catalog endpoints")

    def shared_plan(self, key: Hashable, build: Callable[[], RequestPlan]) -> RequestPlan:
        """The plan kept under ``key`` on this API, built by ``build()`` the first time:
        N tasks polling one ticker share one plan (its encoded text, URL object and
        headers) rather than building N. At most 1,024 are kept (then the cache starts
        over: it never grows without bound); :meth:`forget_plans` empties it."""
        plans = self._plans
        plan = plans.get(key)
        if plan is None:
            if len(plans) >= _MAX_SHARED_PLANS:
                plans.clear()
            plan = plans[key] = build()
        return plan

    def forget_plans(self) -> None:
        """Drop the shared plans (after changing what they were built from: a key, a URL)."""
        self._plans.clear()
        self._params_plans.clear()

    def plan(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        data: Params | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = False,
        costs: Mapping[str, int] | None = None,
        idempotent: bool | None = None,
        changes_orders: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        endpoint: Any = None,
        extra: Any = None,
    ) -> RequestPlan:
        """A :class:`~aioca.request.RequestPlan` for these arguments (see :meth:`request`),
        after :meth:`prepare_request`: send it with :meth:`send_plan`, as often as needed."""
        request = PreparedRequest(
            method=method.upper(),
            url=url,
            query=encode_params(params),
            form=encode_params(data) if data is not None else None,
            headers=RedactedHeaders(headers or ()),
            signed=signed,
            costs=dict(costs) if costs else {},
        )
        if json_body is not None:
            request.content = json.dumps(json_body, separators=(",", ":"))
            request.headers.setdefault("Content-Type", "application/json")
        elif request.form is not None:
            request.headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        self.prepare_request(request)
        return RequestPlan(
            request.method,
            request.url,
            query=request.query,
            form=request.form,
            content=request.content,
            headers=request.headers,
            signed=request.signed,
            costs=request.costs,
            idempotent=idempotent,
            changes_orders=changes_orders,
            endpoint=endpoint,
            extra=extra,
            timeout=to_client_timeout(timeout) if timeout is not None else None,
        )

    async def request(
        self,
        method: str,
        url: str,
        params: Params | None = None,
        *,
        data: Params | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        task_name: str | None = None,
        costs: Mapping[str, int] | None = None,
        idempotent: bool | None = None,
        changes_orders: bool = False,
    ) -> Any:
        """Send one request and return its decoded JSON body.

        ``params`` go into the query string and ``data`` into a form body, both in the
        order given, ``None`` values left out; ``json_body`` is sent as a JSON body.
        ``signed=True`` has the plugin sign the request. ``costs`` is what the request
        charges to the rate limiter's windows (e.g. ``{"REQUEST_WEIGHT": 5}``).
        Whether a transient failure is retried follows :meth:`RetryPolicy.may_retry
        <aioca.RetryPolicy.may_retry>`: ``changes_orders=True`` (the request creates,
        amends or cancels orders) means never; ``idempotent`` declares whether the request
        may be repeated (default: only GET, HEAD and OPTIONS, as the policy lists them).
        Every attempt is signed afresh. Errors are raised as :mod:`aioca.errors`
        exceptions naming the task (``task_name``, by default the running one).
        """
        plan = self.plan(
            method,
            url,
            params,
            data=data,
            json_body=json_body,
            headers=headers,
            signed=signed,
            costs=costs,
            idempotent=idempotent,
            changes_orders=changes_orders,
            timeout=timeout,
        )
        return await self.send_plan(plan, task_name=task_name)

    async def send_plan(
        self, plan: RequestPlan, *, task: BaseTask | None = None, task_name: str | None = None
    ) -> Any:
        """Send ``plan`` and return the result :meth:`handle_response` makes of the answer:
        the one pipeline of every request (see the module). ``task`` (by default the
        running one) or ``task_name`` is what errors name."""
        if task is None and task_name is None:
            task = current_task()
        if plan.signed:
            self.check_signing(plan)  # before the clock sync: fail without sending anything
            clock = self.server_clock
            if clock is not None and clock.due:
                await self.sync_clock(plan)
        limiter = self.rate_limiter_for(plan)
        unsigned = plan.wire  # None for a signed plan: each attempt gets its own
        resynced = False
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            sent_at = time.monotonic()
            # A signed plan's wire (its signature) is passed on, never kept in a local of
            # this frame: a traceback's frames show their locals (error trackers capture
            # them).
            try:
                status, headers, body = await self._transport(
                    limiter,
                    plan,
                    self.sign_plan(plan) if unsigned is None else unsigned,
                    task,
                    task_name,
                )
                return self.handle_response(
                    Response(None, status, headers, body, plan=plan, task=task, task_name=task_name)
                )
            except errors.RateLimitError as exc:
                self._hold_limiter(limiter, exc)
                error: errors.AiocaError = exc
            except errors.AiocaError as exc:
                error = exc
            may_retry = self.retry.may_retry(
                plan.method, idempotent=plan.idempotent, changes_orders=plan.changes_orders
            )
            delay = self._retry_delay(
                error, attempt, started, may_retry, plan.method, plan.url, timeout=plan.timeout
            )
            if delay is not None:
                await self.timer.sleep(delay)
                continue
            clock = self.server_clock
            if (
                isinstance(error, errors.InvalidTimestampError)
                and plan.signed
                and clock is not None
                and clock.resync
                and not resynced
            ):
                # Our clock drifted from the exchange's: the request was refused before it
                # did anything, so measure again and send it once more, with the retry
                # budget of a new request.
                resynced = True
                await self.sync_clock(plan, after=sent_at)
                started, attempt = time.monotonic(), 0
                continue
            raise error

    def _retry_delay(
        self,
        error: errors.AiocaError,
        attempt: int,
        started: float,
        may_retry: bool,
        method: str,
        url: str,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` after ``error``, or ``None`` when
        the error is final (not retryable, attempts or total time used up, or a pause
        longer than the request may wait)."""
        elapsed = time.monotonic() - started
        if not (may_retry and self.retry.is_retryable(error)) or attempt >= self.retry.attempts:
            return None
        delay = self.retry.delay(attempt, error)
        if elapsed + delay > self.retry.total_time or delay > self._max_wait(timeout):
            return None
        logger.info(
            "retrying %s %s in %.2f s (attempt %d of %d) after %s",
            method,
            url,
            delay,
            attempt + 1,
            self.retry.attempts,
            type(error).__name__,
        )
        return delay

    def _max_wait(self, timeout: float | aiohttp.ClientTimeout | None) -> float:
        """The longest a request may be held by a pause: its own timeout (the API's
        unless given), and never more than ``max_pause``."""
        client_timeout = self.timeout if timeout is None else to_client_timeout(timeout)
        total = client_timeout.total
        return self.max_pause if total is None else min(total, self.max_pause)

    def _hold_limiter(self, limiter: Limiter, error: errors.RateLimitError) -> None:
        """Hold ``limiter`` after ``error``: a ban until its end (HTTP 418), a pause of
        ``Retry-After`` bounded by ``max_pause`` (HTTP 429)."""
        retry_after = error.retry_after
        if retry_after is not None and not math.isfinite(retry_after):
            retry_after = None  # parse_retry_after never gives one; a hand-made error might
        if isinstance(error, errors.IPBannedError):
            # On the limiter's clock (the exchange's): Retry-After is relative, and a ban end
            # quoted by the exchange is already in its time.
            if retry_after is not None:
                until = limiter.clock() + retry_after
            elif error.until is not None and math.isfinite(error.until):
                until = error.until
            else:
                until = limiter.clock() + _DEFAULT_BAN
            limiter.ban(until, error.msg)
        else:
            pause = retry_after if retry_after is not None else _DEFAULT_PAUSE
            limiter.pause(min(pause, self.max_pause))

    # --- rate limits -----------------------------------------------------------------------

    def rate_limits(self) -> list[Window]:
        """The budgets a new per-host limiter gets (plugins supply their exchange's)."""
        return []

    def clock(self) -> float:
        """The exchange's current time in seconds, as well as known (for the limiter)."""
        server_clock = self.server_clock
        return server_clock.time() if server_clock is not None else self.timer()

    def timestamp_ms(self) -> int:
        """The exchange's time in milliseconds, as well as known: a signed request's
        timestamp (with a :attr:`server_clock`; this machine's time without one)."""
        server_clock = self.server_clock
        return server_clock.time_ms() if server_clock is not None else int(self.timer() * 1000)

    @property
    def time_offset_ms(self) -> int:
        """The exchange's time minus ours, in milliseconds (0 without a server clock)."""
        server_clock = self.server_clock
        return server_clock.offset_ms if server_clock is not None else 0

    @time_offset_ms.setter
    def time_offset_ms(self, offset: int) -> None:
        if self.server_clock is None:
            raise AttributeError(f"{type(self).__name__} has no server clock to offset")
        self.server_clock.offset_ms = offset

    def rate_limiter_for(self, plan: RequestPlan | PreparedRequest) -> Limiter:
        """The limiter a request goes through: the one given to the API, else one per host
        made from :meth:`rate_limits` (a plugin overrides it for per-account budgets)."""
        if self.rate_limiter is not None:
            return self.rate_limiter
        host = plan.host if isinstance(plan, RequestPlan) else urlsplit(plan.url).netloc
        limiter = self._limiters.get(host)
        if limiter is None:
            # Also without windows: a 429 pause or a 418 ban still holds the host.
            if self.limiter_backend is not None:
                limiter = self.limiter_backend.limiter(
                    host, self.rate_limits(), clock=self.clock, local_address=self.local_address
                )
            else:
                limiter = RateLimiter(self.rate_limits(), clock=self.clock, sleep=self.timer.sleep)
            self._limiters[host] = limiter
        return limiter

    @property
    def limiters(self) -> Mapping[str, Limiter]:
        """The limiters this API made, by host (read-only; a limiter given as
        ``rate_limiter=`` is the caller's and not among them): what a plugin updates when
        the exchange reports its live limits."""
        return MappingProxyType(self._limiters)

    def rate_limit_status(self) -> dict[str, LimiterStatus]:
        """Used and limit of every window, and any pause (HTTP 429) or ban (HTTP 418) with
        its end, per host (``"shared"`` for a given limiter)."""
        if self.rate_limiter is not None:
            return {"shared": self.rate_limiter.status()}
        return {host: limiter.status() for host, limiter in self._limiters.items()}

    # --- sending -----------------------------------------------------------------------------

    async def send(
        self, request: PreparedRequest, *, timeout: float | aiohttp.ClientTimeout | None = None
    ) -> Response:
        """Send a prepared request as is (no signing, no retry) and read the whole
        response; transport failures become :class:`~aioca.errors.NetworkError`."""
        plan = RequestPlan(
            request.method,
            request.url,
            query=request.query,
            form=request.form,
            content=request.content,
            headers=request.headers,
            costs=request.costs,
            timeout=to_client_timeout(timeout) if timeout is not None else None,
        )
        wire = plan.wire
        assert wire is not None  # the plan is not signed
        status, headers, body = await self._transport(
            self.rate_limiter_for(plan), plan, wire, request.task, request.task_name
        )
        return Response(request, status, headers, body, plan=plan)

    def _context(
        self, plan: RequestPlan, task: BaseTask | None, task_name: str | None
    ) -> errors.RequestContext:
        if task_name is None and task is not None:
            task_name = str(task)
        return {
            "exchange": self.exchange or None,
            "task_name": task_name,
            "method": plan.method,
            "url": plan.url,
        }

    async def _transport(
        self,
        limiter: Limiter,
        plan: RequestPlan,
        wire: Wire,
        task: BaseTask | None,
        task_name: str | None,
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Admission by ``limiter``, then the exchange on the wire: ``(status, headers,
        body)``.

        Redirects are not followed (a 3xx raises), the body is read up to
        ``max_response_bytes``, and every failure is raised outside the handler of the
        transport's own exception, so that no aiohttp error (whose text and traceback
        can hold the signed URL) hangs on as ``__context__``."""
        client_timeout = plan.timeout if plan.timeout is not None else self.timeout
        costs = plan.costs
        try:
            admitted = limiter.try_acquire(costs)
        except errors.IPBannedError:
            admitted = False  # _admit raises it again, with the request's context
        if not admitted:
            await self._admit(limiter, plan, client_timeout, task, task_name)
        reads_headers = limiter.reads_headers
        sent_at = limiter.clock() if reads_headers else 0.0
        session = self._get_session()
        status: int | None = None
        raw: aiohttp.ClientResponse | None = None
        failure: errors.AiocaError
        try:
            # Awaited rather than entered with `async with`: the same request and release,
            # without the coroutines of aiohttp's two context managers per request.
            raw = await session._request(
                plan.method,
                wire.target,
                data=wire.body,
                # None rather than an empty mapping: aiohttp then skips merging them
                # with the session's (the same request on the wire).
                headers=wire.headers or None,
                proxy=self.proxy,
                timeout=client_timeout,
                allow_redirects=False,
            )
            status = raw.status
            if 300 <= status < 400:
                raw.close()  # its body is not read: the connection is not reused
                failure = self._redirect_error(raw, plan, task, task_name)
            else:
                # The whole body (decompressed, as aiohttp delivers it), then the
                # connection released; reading stops as soon as it grows past
                # max_response_bytes, and a Content-Length over it is refused before
                # reading. aiohttp inflates a compressed body chunk by chunk as it is read,
                # so a gzip bomb is stopped after that many bytes of output, not after it
                # has filled the memory. (Here rather than in a coroutine of its own: one
                # frame less per request.)
                limit = self.max_response_bytes
                length = raw.content_length
                content: bytes | None = None
                if length is None or length <= limit:
                    stream = raw.content
                    chunks: list[bytes] = []
                    size = 0
                    complete = False
                    try:
                        while chunk := await stream.readany():
                            size += len(chunk)
                            if size > limit:
                                break
                            chunks.append(chunk)
                        else:
                            complete = True
                    except BaseException:
                        # What leaving `async with` does: release, and wait for the writer.
                        raw.release()
                        await raw.wait_for_close()
                        raise
                    if complete:
                        await raw.wait_for_close()  # also waits for the writer; frees it
                        content = b"".join(chunks)
                if content is None:
                    raw.close()  # the rest is not read: the connection is not reused
                    failure = errors.ResponseTooLargeError(
                        f"HTTP {status} with a body larger than max_response_bytes "
                        f"({self.max_response_bytes} bytes): reading stopped there",
                        status=status,
                        limit=self.max_response_bytes,
                        **self._context(plan, task, task_name),
                    )
                else:
                    if reads_headers:
                        limiter.observe(raw.headers, sent_at=sent_at)
                    if logger.isEnabledFor(logging.DEBUG):
                        # Never the query or the body: they hold signatures and keys.
                        logger.debug(
                            "%s %s -> HTTP %d, %d bytes (%s)",
                            plan.method,
                            plan.url,
                            status,
                            len(content),
                            self._context(plan, task, task_name)["task_name"],
                        )
                    return status, raw.headers, content
        except TimeoutError:
            failure = errors.RequestTimeoutError(
                "the request timed out", **self._context(plan, task, task_name)
            )
        except aiohttp.ClientPayloadError as exc:
            failure = errors.IncompleteResponseError(
                f"HTTP {status} with a body cut short ({type(exc).__name__})",
                status=status or 0,
                **self._context(plan, task, task_name),
            )
        except aiohttp.ClientConnectorError as exc:
            failure = errors.ConnectError(
                f"{type(exc).__name__}: {_without_query(str(exc))}",
                **self._context(plan, task, task_name),
            )
        except aiohttp.ClientError as exc:
            failure = errors.NetworkError(
                f"{type(exc).__name__}: {_without_query(str(exc))}",
                **self._context(plan, task, task_name),
            )
        # Raised here, after the handler: no aiohttp exception as its __context__. And
        # without the signed wire and the response among this frame's locals, which a
        # traceback keeps and error trackers show.
        del wire, raw
        raise failure

    async def _admit(
        self,
        limiter: Limiter,
        plan: RequestPlan,
        timeout: aiohttp.ClientTimeout,
        task: BaseTask | None,
        task_name: str | None,
    ) -> None:
        """Wait for the limiter's admission, at most as long as the request may wait on a
        pause; a ban, or a pause longer than that, fails now with the request's context."""
        max_wait = self.max_pause if timeout.total is None else min(timeout.total, self.max_pause)
        failure: errors.RateLimitError
        try:
            await limiter.acquire(plan.costs, max_wait=max_wait)
            return
        except errors.IPBannedError as exc:
            failure = errors.IPBannedError(
                exc.msg,
                until=exc.until,
                retry_after=exc.retry_after,
                **self._context(plan, task, task_name),
            )
        except errors.RateLimitError as exc:
            failure = errors.RateLimitError(
                f"{exc.msg} on {plan.host}",
                retry_after=exc.retry_after,
                **self._context(plan, task, task_name),
            )
        raise failure

    def _redirect_error(
        self,
        raw: aiohttp.ClientResponse,
        plan: RequestPlan,
        task: BaseTask | None,
        task_name: str | None,
    ) -> errors.UnexpectedRedirectError:
        """The error for a 3xx: its status and the host it pointed to, never the rest of
        the Location (a path or query could echo the signed request)."""
        location = raw.headers.get("Location")
        host: str | None = None
        try:
            pointed = URL(location) if location else None
        except ValueError:
            pointed = None
        if pointed is not None and pointed.is_absolute() and pointed.host:
            port = pointed.explicit_port
            host = pointed.host if port is None else f"{pointed.host}:{port}"
        elif pointed is not None:
            host = plan.host  # a relative Location: the same host
        where = f" to {host}" if host else ""
        return errors.UnexpectedRedirectError(
            f"HTTP {raw.status} redirect{where} refused: aioca never follows redirects "
            "(a redirect would carry the request, its key and its body elsewhere)",
            location_host=host,
            status=raw.status,
            **self._context(plan, task, task_name),
        )

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<{type(self).__name__} exchange={self.exchange!r} session={state}>"


def to_client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """Seconds or a ``ClientTimeout`` as a ``ClientTimeout``."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return aiohttp.ClientTimeout(total=float(timeout))


_QUERY_IN_TEXT = re.compile(r"\?[^\s'\"<>)]*")


def _without_query(text: str) -> str:
    """Blank out every query string in a transport error's text: a signed query holds the
    signature (and on some exchanges the key), and aiohttp quotes URLs in its own spelling,
    so matching our URL verbatim is not enough."""
    return _QUERY_IN_TEXT.sub("?<query hidden>", text)

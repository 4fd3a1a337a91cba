"""``RestApi``: the HTTP side every exchange plugin builds on.

A ``RestApi`` owns one ``aiohttp.ClientSession``, opened lazily on the first request and
closed by ``await api.close()``, by ``async with api:``, or by the synchronous operator at
the end of its run. A closed API opens a fresh session on its next request, which is what
lets the seed's synchronous ``op.run()`` be called again and again with the same API.

Plugins override three hooks:

* :meth:`RestApi.sign_request` adds credentials to a :class:`PreparedRequest`, working on
  exactly the query string and body that will be sent;
* :meth:`RestApi.prepare_request` runs for every request (signed or not), e.g. to add an
  API-key header to market-data requests; by default it signs the requests marked signed;
* :meth:`RestApi.map_error` turns an error response into an exception of
  :mod:`aioca.errors`; :meth:`RestApi.handle_response` decides what counts as an error
  (an exchange that answers HTTP 200 with an error envelope overrides it).
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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Self
from urllib.parse import urlencode, urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from . import errors
from ._version import __version__
from .limits.base import Limiter, LimiterBackend
from .ratelimit import LimiterStatus, RateLimiter, Window
from .retry import RetryPolicy
from .task import BaseTask, current_task

__all__ = ["Params", "PreparedRequest", "RedactedHeaders", "Response", "RestApi"]

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]
"""Request parameters: a mapping, or ``(name, value)`` pairs when order or repeats matter."""

USER_AGENT = f"aioca/{__version__} (+https://github.com/aioca/aioca) aiohttp/{aiohttp.__version__}"

_fast_loads: Callable[[bytes], Any] | None
try:  # the `fast` extra: orjson decodes large bodies (500 klines) several times faster
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None


def default_json_loads() -> Callable[[bytes], Any]:
    """orjson's decoder when installed (``pip install aioca[fast]``), else the stdlib's."""
    return _fast_loads if _fast_loads is not None else json.loads


_BODY_EXCERPT = 200
_DEFAULT_PAUSE = 1.0  # seconds to hold a host after a 429 that gave no Retry-After
_DEFAULT_BAN = 120.0  # a 418 that does not say how long: the shortest ban exchanges give
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The default cap on a response body, after decompression: 32 MiB, several times the
largest answer the exchanges we know document (a full list of every instrument)."""
DEFAULT_MAX_PAUSE = 300.0
"""The longest an HTTP 429's ``Retry-After`` may hold an API's requests, in seconds."""
_DECODE_ERRORS = (ValueError, RecursionError)  # RecursionError: JSON nested too deep
_RESPONSE_HOOKS = frozenset({"handle_response", "decode"})

logger = logging.getLogger("aioca")
_sleep = asyncio.sleep  # one name for the pauses between retries, so tests can record them


def encode_value(value: Any) -> str:
    """How a parameter value is written on the wire: booleans as ``true``/``false``,
    floats and decimals in plain notation (``0.0000001``, never ``1e-07``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode_params(params: Params | None) -> list[tuple[str, str]]:
    """Parameters as ``(name, text)`` pairs in their given order; ``None`` values are left out."""
    if params is None:
        return []
    pairs = params.items() if isinstance(params, Mapping) else params
    return [(str(name), encode_value(value)) for name, value in pairs if value is not None]


_Encoded = tuple[tuple[tuple[str, str], ...], str]
"""Pairs already URL-encoded, and their encoding."""


def _encode_pairs(pairs: list[tuple[str, str]], memo: _Encoded | None) -> _Encoded:
    """``urlencode(pairs)``, reusing ``memo`` (the pairs encoded last time) when ``pairs``
    still starts with them: a signed request is encoded to be signed, gets its signature
    appended, then is encoded again to be sent; the second time only the signature is new.
    Pairs are immutable tuples, so comparing them (by identity first) is exact."""
    if memo is not None:
        done, text = memo
        count = len(done)
        if len(pairs) >= count and tuple(pairs[:count]) == done:
            if len(pairs) == count:
                return memo
            extra = urlencode(pairs[count:])
            return tuple(pairs), f"{text}&{extra}" if text else extra
    return tuple(pairs), urlencode(pairs)


class RedactedHeaders(dict[str, str]):
    """Request headers whose ``repr`` shows their names only: they carry API keys,
    signatures and passphrases, and a ``repr`` ends up in logs, in test output and in the
    locals an error tracker captures from a traceback."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{name!r}: '<redacted>'" for name in self) + "}"


@dataclass(slots=True)
class PreparedRequest:
    """A request about to be sent, as the signing hooks see and change it.

    ``query`` and ``form`` are ordered ``(name, value)`` text pairs; what is signed is
    exactly what is sent, because :meth:`query_string` and :meth:`body` are also what the
    transport uses. ``content`` is a raw body (e.g. JSON) for exchanges that want one.
    """

    method: str
    url: str
    # Not in the repr: once signed they hold signatures, keys and passphrases, and a repr
    # ends up in logs, tracebacks and test output.
    query: list[tuple[str, str]] = field(default_factory=list, repr=False)
    form: list[tuple[str, str]] | None = field(default=None, repr=False)
    content: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=RedactedHeaders, repr=False)
    signed: bool = False
    task_name: str | None = None
    task: BaseTask | None = field(default=None, repr=False)
    """The task sending the request; its name is only computed if an error needs it."""
    costs: dict[str, int] = field(default_factory=dict)
    """Units this request charges to each rate-limit window, by window name."""
    _query_memo: _Encoded | None = field(default=None, init=False, repr=False, compare=False)
    _form_memo: _Encoded | None = field(default=None, init=False, repr=False, compare=False)

    def name(self) -> str | None:
        """The name of the task that sent the request, for error messages."""
        if self.task_name is None and self.task is not None:
            self.task_name = str(self.task)
        return self.task_name

    def query_string(self) -> str:
        """The query string sent, without ``?``."""
        self._query_memo = memo = _encode_pairs(self.query, self._query_memo)
        return memo[1]

    def body(self) -> str | None:
        """The body sent: the form fields URL-encoded, else ``content``, else ``None``."""
        if self.form is not None:
            self._form_memo = memo = _encode_pairs(self.form, self._form_memo)
            return memo[1]
        return self.content

    def full_url(self) -> str:
        """The URL with its query string, as sent."""
        query = self.query_string()
        return f"{self.url}?{query}" if query else self.url


@dataclass(slots=True, frozen=True)
class Response:
    """A response as the error hooks see it: the request it answers, the HTTP status, the
    headers and the raw body."""

    request: PreparedRequest
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def retry_after(self) -> float | None:
        """The ``Retry-After`` header in seconds (see :func:`parse_retry_after`)."""
        return parse_retry_after(self.headers.get("Retry-After"))

    def excerpt(self) -> str:
        """The first characters of the body, for error messages."""
        text = " ".join(self.text().split())
        return text if len(text) <= _BODY_EXCERPT else text[:_BODY_EXCERPT] + "..."


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds from now, or ``None`` when absent or unusable.

    Both forms of RFC 9110 are read: a number of seconds, and an HTTP date (a date in the
    past is 0). Anything else is ignored rather than trusted: negative numbers, ``inf``,
    ``nan``, ``1e308`` (not finite once added to a clock), text. How long a pause may
    actually last is bounded by the caller (``RestApi``'s ``max_pause``)."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            return None  # RFC 9110 dates are GMT; a date without a zone is not one
        now = time.time() if now is None else now
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(seconds) or seconds < 0 or seconds > 1e9:
        return None
    return seconds


def try_decode(json_loads: Callable[[bytes], Any], body: bytes) -> Any:
    """``json_loads(body)``, or ``None`` when the body is not JSON (or nested too deeply
    for the decoder): for error answers, whose body may be anything."""
    try:
        return json_loads(body)
    except _DECODE_ERRORS:
        return None


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
    :class:`~aioca.RetryPolicy`;
    ``rate_limiter`` a :class:`~aioca.RateLimiter` to share with other API objects (by
    default each host gets its own, with the windows of :meth:`rate_limits`);
    ``limiter_backend`` where the limiter of each host comes from instead (e.g.
    :class:`aioca.limits.redis.RedisBackend`, one budget for many processes);
    ``local_address`` the local IP address requests leave from (each address has its own
    weight budget at the exchange).
    ``max_response_bytes`` caps a response body (after decompression, enforced while it
    arrives: :class:`~aioca.errors.ResponseTooLargeError`); ``max_pause`` caps how long an
    HTTP 429's ``Retry-After`` holds every request, in seconds. Subclasses set the class
    attribute ``exchange`` and implement :meth:`sign_request`.

    Redirects are never followed: an HTTP 3xx raises
    :class:`~aioca.errors.UnexpectedRedirectError` (a redirect would hand a signed
    request, its key and its body to another host, and send an order twice).
    """

    exchange: ClassVar[str] = ""
    """The exchange's name, as registered by its plugin (``"example"``)."""

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
        """Add credentials to ``request`` in place (parameters, signature, headers).

        Sign what :meth:`PreparedRequest.query_string` and :meth:`PreparedRequest.body`
        return: that is exactly what will be sent.
        """

    def prepare_request(self, request: PreparedRequest) -> None:
        """Called for every request before it is sent; signs those marked ``signed``."""
        if request.signed:
            self.sign_request(request)

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
        context = self.error_context(response.request)
        if status in (418, 429):
            retry_after = response.retry_after()
            if status == 429:
                return errors.RateLimitError(
                    message, retry_after=retry_after, code=code, status=status, **context
                )
            until = time.time() + retry_after if retry_after is not None else None
            return errors.IPBannedError(
                message, until=until, retry_after=retry_after, code=code, status=status, **context
            )
        error_class = _STATUS_ERRORS.get(status)
        if error_class is None:
            error_class = errors.ExchangeServerError if status >= 500 else errors.ExchangeError
        return error_class(message, code=code, status=status, **context)

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
        except _DECODE_ERRORS as exc:
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

    # --- the request -----------------------------------------------------------------------

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
        Every attempt is prepared and signed afresh. Errors are raised as
        :mod:`aioca.errors` exceptions naming the task (by default the running one).
        """
        may_retry = self.retry.may_retry(
            method, idempotent=idempotent, changes_orders=changes_orders
        )
        running = current_task() if task_name is None else None
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            request = PreparedRequest(
                method=method.upper(),
                url=url,
                query=encode_params(params),
                form=encode_params(data) if data is not None else None,
                headers=RedactedHeaders(headers or ()),
                signed=signed,
                task_name=task_name,
                task=running,
                costs=dict(costs) if costs else {},
            )
            if json_body is not None:
                request.content = json.dumps(json_body, separators=(",", ":"))
                request.headers.setdefault("Content-Type", "application/json")
            elif request.form is not None:
                request.headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            try:
                self.prepare_request(request)
                response = await self.send(request, timeout=timeout)
                return self.handle_response(response)
            except errors.RateLimitError as exc:
                self._note_rate_limit(request, exc)
                error: errors.AiocaError = exc
            except errors.AiocaError as exc:
                error = exc
            delay = self._retry_delay(
                error, attempt, started, may_retry, request.method, url, timeout=timeout
            )
            if delay is None:
                raise error
            await _sleep(delay)

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
        longer than the request may wait). One decision for every way a request is sent
        (:meth:`request` and the plugins' lean paths)."""
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

    def _note_rate_limit(self, request: PreparedRequest, error: errors.RateLimitError) -> None:
        """Make every request behind the same limiter wait out a 429 or a 418."""
        self._hold_limiter(self.rate_limiter_for(request), error)

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
        return time.time()

    def rate_limiter_for(self, request: PreparedRequest) -> Limiter:
        """The limiter a request goes through: the one given to the API, else one per host
        made from :meth:`rate_limits`."""
        if self.rate_limiter is not None:
            return self.rate_limiter
        host = urlsplit(request.url).netloc
        limiter = self._limiters.get(host)
        if limiter is None:
            # Also without windows: a 429 pause or a 418 ban still holds the host.
            if self.limiter_backend is not None:
                limiter = self.limiter_backend.limiter(
                    host, self.rate_limits(), clock=self.clock, local_address=self.local_address
                )
            else:
                limiter = RateLimiter(self.rate_limits(), clock=self.clock)
            self._limiters[host] = limiter
        return limiter

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
        """Send a prepared request as is and read the whole response; transport failures
        become :class:`~aioca.errors.NetworkError` / :class:`~aioca.errors.RequestTimeoutError`."""
        # The signed URL and body are passed inline, never kept in a local of this frame:
        # a traceback's frames show their locals (error trackers capture them).
        status, headers, content = await self._transport(
            self.rate_limiter_for(request),
            request.costs,
            request.method,
            URL(request.full_url(), encoded=True),
            _encoded(request.body()),
            request.headers,
            timeout,
            _itself,
            (request,),
        )
        return Response(request, status, headers, content)

    async def _transport(
        self,
        limiter: Limiter,
        costs: Mapping[str, int],
        method: str,
        target: URL,
        data: bytes | None,
        headers: Mapping[str, str],
        timeout: float | aiohttp.ClientTimeout | None,
        describe: Callable[..., PreparedRequest],
        describe_args: tuple[Any, ...],
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Admission by ``limiter``, then the exchange on the wire: ``(status, headers,
        body)``. What :meth:`send` and the plugins' lean paths share, so both charge,
        reconcile, log and map transport failures alike. ``describe(*describe_args)``
        gives the request as a :class:`PreparedRequest`, built only when an error or a
        debug log names it (a function and its arguments rather than a closure: nothing
        is allocated for it on the way of a request that succeeds).

        Redirects are not followed (a 3xx raises), the body is read up to
        ``max_response_bytes``, and every failure is raised outside the handler of the
        transport's own exception, so that no aiohttp error (whose text and traceback
        can hold the signed URL) hangs on as ``__context__``."""
        client_timeout = self.timeout if timeout is None else to_client_timeout(timeout)
        try:
            admitted = limiter.try_acquire(costs)
        except errors.IPBannedError:
            admitted = False  # _admit raises it again, with the request's context
        if not admitted:
            await self._admit(limiter, costs, client_timeout, describe, describe_args)
        reads_headers = limiter.reads_headers
        sent_at = limiter.clock() if reads_headers else 0.0
        session = self._get_session()
        status: int | None = None
        raw: aiohttp.ClientResponse | None = None
        failure: errors.AiocaError
        try:
            # Awaited rather than entered with `async with`: the same request and release,
            # without the four coroutines of aiohttp's two context managers per request
            # (and without the wrapper session.request() puts around this coroutine).
            raw = await session._request(
                method,
                target,
                data=data,
                headers=headers,
                proxy=self.proxy,
                timeout=client_timeout,
                allow_redirects=False,
            )
            status = raw.status
            if 300 <= status < 400:
                raw.close()  # its body is not read: the connection is not reused
                failure = self._redirect_error(raw, describe(*describe_args))
            else:
                content = await _read_body(raw, self.max_response_bytes)
                if content is None:
                    failure = errors.ResponseTooLargeError(
                        f"HTTP {status} with a body larger than max_response_bytes "
                        f"({self.max_response_bytes} bytes): reading stopped there",
                        status=status,
                        limit=self.max_response_bytes,
                        **self.error_context(describe(*describe_args)),
                    )
                else:
                    if reads_headers:
                        limiter.observe(raw.headers, sent_at=sent_at)
                    if logger.isEnabledFor(logging.DEBUG):
                        request = describe(*describe_args)
                        # Never the query or the body: they hold signatures and keys.
                        logger.debug(
                            "%s %s -> HTTP %d, %d bytes (%s)",
                            request.method,
                            request.url,
                            status,
                            len(content),
                            request.name(),
                        )
                    return status, raw.headers, content
        except TimeoutError:
            failure = errors.RequestTimeoutError(
                "the request timed out", **self.error_context(describe(*describe_args))
            )
        except aiohttp.ClientPayloadError as exc:
            failure = errors.IncompleteResponseError(
                f"HTTP {status} with a body cut short ({type(exc).__name__})",
                status=status or 0,
                **self.error_context(describe(*describe_args)),
            )
        except aiohttp.ClientConnectorError as exc:
            failure = errors.ConnectError(
                f"{type(exc).__name__}: {_without_query(str(exc))}",
                **self.error_context(describe(*describe_args)),
            )
        except aiohttp.ClientError as exc:
            failure = errors.NetworkError(
                f"{type(exc).__name__}: {_without_query(str(exc))}",
                **self.error_context(describe(*describe_args)),
            )
        # Raised here, after the handler: no aiohttp exception as its __context__. And
        # without the signed URL, body and key header among this frame's locals, which a
        # traceback keeps and error trackers show.
        del target, data, headers, raw, describe_args
        raise failure

    async def _admit(
        self,
        limiter: Limiter,
        costs: Mapping[str, int],
        timeout: aiohttp.ClientTimeout,
        describe: Callable[..., PreparedRequest],
        describe_args: tuple[Any, ...],
    ) -> None:
        """Wait for the limiter's admission, at most as long as the request may wait on a
        pause; a ban, or a pause longer than that, fails now with the request's context."""
        max_wait = self.max_pause if timeout.total is None else min(timeout.total, self.max_pause)
        failure: errors.RateLimitError
        try:
            await limiter.acquire(costs, max_wait=max_wait)
            return
        except errors.IPBannedError as exc:
            failure = errors.IPBannedError(
                exc.msg,
                until=exc.until,
                retry_after=exc.retry_after,
                **self.error_context(describe(*describe_args)),
            )
        except errors.RateLimitError as exc:
            request = describe(*describe_args)
            host = urlsplit(request.url).netloc
            failure = errors.RateLimitError(
                f"{exc.msg} on {host}", retry_after=exc.retry_after, **self.error_context(request)
            )
        del describe_args  # it may hold a signature: not among a traceback's locals
        raise failure

    def _redirect_error(
        self, raw: aiohttp.ClientResponse, request: PreparedRequest
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
            host = urlsplit(request.url).netloc  # a relative Location: the same host
        where = f" to {host}" if host else ""
        return errors.UnexpectedRedirectError(
            f"HTTP {raw.status} redirect{where} refused: aioca never follows redirects "
            "(a redirect would carry the request, its key and its body elsewhere)",
            location_host=host,
            status=raw.status,
            **self.error_context(request),
        )

    def _lean_result(
        self,
        status: int,
        headers: CIMultiDictProxy[str],
        content: bytes,
        describe: Callable[..., PreparedRequest],
        describe_args: tuple[Any, ...],
        default_handling: bool | None = None,
    ) -> Any:
        """What :meth:`handle_response` makes of a response, for the lean paths: a 2xx
        answer is decoded at once when neither :meth:`handle_response` nor :meth:`decode`
        is overridden (the default handling, byte for byte); anything else, and every
        response of an API that overrides either hook (an exchange that reports errors in
        HTTP 200 bodies), goes through the hooks with a full :class:`Response`.
        ``default_handling`` is :meth:`_default_handling`, when the caller knows it."""
        if default_handling is None:
            default_handling = self._default_handling()
        if status < 400 and default_handling:
            try:
                payload = self.json_loads(content)
            except _DECODE_ERRORS:
                pass  # decode() below raises the InvalidResponseError, worded as always
            else:
                if not self.is_error_answer(payload):
                    return payload
        return self.handle_response(Response(describe(*describe_args), status, headers, content))

    def _default_handling(self) -> bool:
        cls = type(self)
        return (
            cls.handle_response is RestApi.handle_response
            and cls.decode is RestApi.decode
            and self.__dict__.keys().isdisjoint(_RESPONSE_HOOKS)
        )

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<{type(self).__name__} exchange={self.exchange!r} session={state}>"


def _itself(request: PreparedRequest) -> PreparedRequest:
    return request


def _encoded(body: str | None) -> bytes | None:
    return body.encode() if body is not None else None


async def _read_body(raw: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The whole body of ``raw`` (decompressed, as aiohttp delivers it), then the
    connection released; ``None`` as soon as it grows past ``limit`` bytes, with the
    connection closed. A ``Content-Length`` over the limit is refused before reading.

    aiohttp inflates a compressed body chunk by chunk as it is read, so a gzip bomb is
    stopped after ``limit`` bytes of output, not after it has filled the memory."""
    length = raw.content_length
    if length is not None and length > limit:
        raw.close()
        return None
    stream = raw.content
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await stream.readany():
            size += len(chunk)
            if size > limit:
                raw.close()
                return None
            chunks.append(chunk)
    except BaseException:
        # What leaving `async with` does: release, and wait for the writer.
        raw.release()
        await raw.wait_for_close()
        raise
    await raw.wait_for_close()  # also waits for the writer; frees the connection
    return b"".join(chunks)


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

"""Requests as the pipeline carries them: encoded once into a plan, signed per attempt.

A :class:`RequestPlan` is the core's unit of sending: everything about a request that does
not change between two sends of it (method, URL, parameters encoded as the wire text,
static headers, rate-limit costs, what retries may do), frozen and built once. A catalog
task's plan is shared by every task that sends the same, on one API object; a plan for
``RestApi.request()`` is built for that one call. An unsigned plan carries its
:class:`Wire` (the URL object, body bytes and headers aiohttp is handed); a signed one gets
a fresh wire for every attempt from the API's ``sign_plan()``, with a new timestamp and
signature over exactly the bytes sent.

:class:`PreparedRequest` is the mutable form that the classic hooks (``prepare_request``,
``sign_request``) see and change; :class:`Response` is what the response hooks see.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

if TYPE_CHECKING:
    from .task import BaseTask

__all__ = [
    "Params",
    "PreparedRequest",
    "RedactedHeaders",
    "RequestPlan",
    "Response",
    "Wire",
    "encode_params",
    "encode_value",
    "parse_retry_after",
    "try_decode",
    "urlencode_pairs",
]

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]
"""Request parameters: a mapping, or ``(name, value)`` pairs when order or repeats matter."""

_BODY_EXCERPT = 200
DECODE_ERRORS = (ValueError, RecursionError)
"""What a JSON decoder raises for a body it cannot decode (RecursionError: nested too deep)."""


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


def _quote(text: str) -> str:
    """``quote_plus(text)``, without the call when there is nothing to escape (most names
    and values: letters and digits)."""
    return text if text.isascii() and text.isalnum() else quote_plus(text)


def urlencode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """``urllib.parse.urlencode(pairs)`` for text pairs, byte for byte, faster for the
    names and values that need no escaping."""
    return "&".join([f"{_quote(name)}={_quote(value)}" for name, value in pairs])


class RedactedHeaders(dict[str, str]):
    """Request headers whose ``repr`` shows their names only: they carry API keys,
    signatures and passphrases, and a ``repr`` ends up in logs, in test output and in the
    locals an error tracker captures from a traceback."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{name!r}: '<redacted>'" for name in self) + "}"


_Encoded = tuple[tuple[tuple[str, str], ...], str]
"""Pairs already URL-encoded, and their encoding."""


def _encode_pairs(pairs: list[tuple[str, str]], memo: _Encoded | None) -> _Encoded:
    """``urlencode(pairs)``, reusing ``memo`` (the pairs encoded last time) when ``pairs``
    still starts with them: a signed request is encoded to be signed, gets its signature
    appended, then is encoded again to be sent; the second time only the signature is new."""
    if memo is not None:
        done, text = memo
        count = len(done)
        if len(pairs) >= count and tuple(pairs[:count]) == done:
            if len(pairs) == count:
                return memo
            extra = urlencode(pairs[count:])
            return tuple(pairs), f"{text}&{extra}" if text else extra
    return tuple(pairs), urlencode(pairs)


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


class Wire:
    """What goes on the wire for one attempt: the URL object (query included), the body
    bytes and the headers. Its ``repr`` shows neither: a signed wire holds the signature."""

    __slots__ = ("body", "headers", "target")

    def __init__(self, target: URL, body: bytes | None, headers: Mapping[str, str]) -> None:
        self.target = target
        self.body = body
        self.headers = headers

    def __repr__(self) -> str:
        return f"<Wire {self.target.scheme}://{self.target.host}{self.target.path}>"


class RequestPlan:
    """A request encoded once, for sending as often as needed (see the module).

    ``query`` and ``form`` are the parameters as ``(name, text)`` pairs in the order sent
    (``form`` is ``None`` without a form body), ``content`` a raw body (JSON), ``headers``
    the static headers, ``costs`` what a send charges to the rate limiter's windows.
    ``idempotent`` and ``changes_orders`` are what the retry rule reads
    (:meth:`aioca.RetryPolicy.may_retry`). ``endpoint`` is the plugin's declaration of a
    catalog task's endpoint and ``extra`` whatever the plugin precomputed for its hooks
    (the core reads neither). ``timeout`` overrides the API's for this request.

    Derived once: ``query_text`` and ``body_text`` (what is signed), ``host``, ``target``
    (the URL object with the query), and for an unsigned plan its :attr:`wire`.
    """

    __slots__ = (
        "body_text",
        "changes_orders",
        "content",
        "costs",
        "endpoint",
        "extra",
        "form",
        "headers",
        "host",
        "idempotent",
        "method",
        "query",
        "query_text",
        "signed",
        "target",
        "timeout",
        "url",
        "wire",
    )

    def __init__(
        self,
        method: str,
        url: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        form: Iterable[tuple[str, str]] | None = None,
        content: str | None = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = False,
        costs: Mapping[str, int] | None = None,
        idempotent: bool | None = None,
        changes_orders: bool = False,
        endpoint: Any = None,
        extra: Any = None,
        timeout: Any = None,
        query_text: str | None = None,
        form_text: str | None = None,
    ) -> None:
        self.method = method.upper()
        self.url = url
        self.query = tuple(query)
        self.form = tuple(form) if form is not None else None
        self.content = content
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict(headers or {}))
        self.signed = signed
        self.costs: Mapping[str, int] = costs if costs is not None else {}
        self.idempotent = idempotent
        self.changes_orders = changes_orders
        self.endpoint = endpoint
        self.extra = extra
        self.timeout = timeout
        self.query_text = query_text if query_text is not None else urlencode_pairs(self.query)
        if self.form is not None:
            self.body_text: str | None = (
                form_text if form_text is not None else urlencode_pairs(self.form)
            )
        else:
            self.body_text = content
        self.host = urlsplit(url).netloc
        self.target = URL(f"{url}?{self.query_text}" if self.query_text else url, encoded=True)
        """The URL with the plan's query string (a signed plan's wire adds its signature)."""
        self.wire: Wire | None = None
        """The wire of an unsigned plan, the same for every send; ``None`` when signed."""
        if not signed:
            body = self.body_text.encode() if self.body_text is not None else None
            self.wire = Wire(self.target, body, self.headers)

    def prepared(
        self, task: BaseTask | None = None, task_name: str | None = None
    ) -> PreparedRequest:
        """The plan as a fresh, mutable :class:`PreparedRequest` (what ``sign_request``
        changes), and what error hooks get to name the request."""
        return PreparedRequest(
            method=self.method,
            url=self.url,
            query=list(self.query),
            form=list(self.form) if self.form is not None else None,
            content=self.content,
            headers=RedactedHeaders(self.headers),
            signed=self.signed,
            task_name=task_name,
            task=task,
            costs=dict(self.costs),
        )

    def __repr__(self) -> str:
        state = "signed" if self.signed else "unsigned"
        return f"<RequestPlan {self.method} {self.url} {state}>"


class Response:
    """A response as the hooks see it: the request it answers (``request``, built when
    read), the HTTP status, the headers and the raw body; ``plan`` is the plan sent, when
    the pipeline sent it."""

    __slots__ = ("_request", "_task", "_task_name", "body", "headers", "plan", "status")

    def __init__(
        self,
        request: PreparedRequest | None,
        status: int,
        headers: CIMultiDictProxy[str],
        body: bytes,
        *,
        plan: RequestPlan | None = None,
        task: BaseTask | None = None,
        task_name: str | None = None,
    ) -> None:
        if request is None and plan is None:
            raise TypeError("a Response needs its request or its plan")
        self._request = request
        self._task = task
        self._task_name = task_name
        self.plan = plan
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def request(self) -> PreparedRequest:
        """The request answered (without its signature), for hooks and error messages."""
        if self._request is None:
            assert self.plan is not None
            self._request = self.plan.prepared(self._task, self._task_name)
        return self._request

    @property
    def method(self) -> str:
        """The request's HTTP method, read without building :attr:`request` (a hook that
        only needs the method, on every answer, should not pay for the whole request)."""
        if self.plan is not None:
            return self.plan.method
        return self.request.method

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def retry_after(self) -> float | None:
        """The ``Retry-After`` header in seconds (see :func:`parse_retry_after`)."""
        return parse_retry_after(self.headers.get("Retry-After"))

    def excerpt(self) -> str:
        """The first characters of the body, for error messages."""
        text = " ".join(self.text().split())
        return text if len(text) <= _BODY_EXCERPT else text[:_BODY_EXCERPT] + "..."

    def __repr__(self) -> str:
        where = self.plan.url if self.plan is not None else self.request.url
        return f"<Response {self.status} {where} {len(self.body)} bytes>"


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
    except DECODE_ERRORS:
        return None

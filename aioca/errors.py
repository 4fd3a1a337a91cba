"""The exceptions aioca raises, in one tree.

Every error aioca reports about a request, an exchange, a plugin or the framework's state
derives from :class:`AiocaError`, so one ``except AiocaError`` catches them all, and each also
inherits the builtin it resembles (``TimeoutError``, ``LookupError``, ``ValueError``,
``RuntimeError``) so generic handlers keep working. Misuse of an API in code (an argument of
the wrong type or an out-of-range setting) raises ``TypeError``/``ValueError`` as Python
does::

    AiocaError
    ├── InvalidParameterError (ValueError)    bad input, caught before anything is sent
    ├── MissingApiError                       a task needs an API object and has none
    ├── EventLoopRunningError (RuntimeError)  a sync call made inside a running event loop
    ├── PluginError                           a plugin registered something inconsistent
    │   └── DuplicateExchangeError            two plugins claim one exchange name
    ├── UnknownExchangeError (LookupError)    no installed plugin provides that exchange
    └── RequestError                          something went wrong with one request
        ├── NetworkError                      the request did not get a response
        │   ├── ConnectError                  could not connect: nothing was sent
        │   └── RequestTimeoutError (TimeoutError)
        ├── OrderStateUnknownError            an order was sent, its outcome is unknown
        ├── ClockSyncError                    the exchange's clock could not be read: nothing sent
        ├── InvalidResponseError              a response that cannot be decoded (HTML, empty...)
        │   ├── IncompleteResponseError       the body was cut short (also a NetworkError)
        │   └── ResponseTooLargeError         the body exceeded ``max_response_bytes``
        └── ExchangeError                     the exchange answered with an error
            ├── UnexpectedRedirectError       a 3xx: redirects are never followed
            ├── AuthenticationError           bad key, signature or permissions
            ├── InvalidTimestampError         the request's timestamp is outside recvWindow
            ├── BadRequestError               the exchange rejected a parameter
            │   └── BadSymbolError            unknown or invalid symbol
            ├── InsufficientFundsError        not enough balance or margin
            ├── OrderError                    an order was rejected or cannot be changed
            │   ├── OrderNotFoundError
            │   └── BatchError (ExceptionGroup)  some items of a batch were refused
            ├── RateLimitError                too many requests (HTTP 429); ``retry_after``
            │   └── IPBannedError             banned for ignoring limits (HTTP 418); ``until``
            └── ExchangeServerError           the exchange failed (HTTP 5xx): outcome unknown

Request errors carry the exchange's name, the name of the task that sent the request
(``task_name``), the HTTP method and the URL *without* its query string: a signed query
holds a signature and sometimes an API key, and exception text ends up in logs. For the
same reason they never chain the transport's own exception (``__context__`` is empty): an
aiohttp error can quote the full URL. An error about one order (a cancel refused, an
order whose outcome is unknown) also carries ``order_id`` and ``client_order_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypedDict, Unpack

__all__ = [
    "AiocaError",
    "AuthenticationError",
    "BadRequestError",
    "BadSymbolError",
    "BatchError",
    "ClockSyncError",
    "ConnectError",
    "DuplicateExchangeError",
    "EventLoopRunningError",
    "ExchangeError",
    "ExchangeServerError",
    "IPBannedError",
    "IncompleteResponseError",
    "InsufficientFundsError",
    "InvalidParameterError",
    "InvalidResponseError",
    "InvalidTimestampError",
    "MissingApiError",
    "NetworkError",
    "OrderError",
    "OrderNotFoundError",
    "OrderStateUnknownError",
    "PluginError",
    "RateLimitError",
    "RequestContext",
    "RequestError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "UnexpectedRedirectError",
    "UnknownExchangeError",
]


class AiocaError(Exception):
    """Root of every exception aioca raises."""


class InvalidParameterError(AiocaError, ValueError):
    """A task was given parameters it cannot send; raised before any request.

    ``problems`` lists every problem found, as ``(parameter, reason)`` pairs (``parameter``
    is ``None`` for a rule that spans several), so that a user fixes them all in one go.
    ``parameter`` and ``reason`` are the first problem's, kept for code that reads one.
    """

    def __init__(
        self,
        parameter: str | None,
        reason: str,
        *,
        task_name: str | None = None,
        problems: Sequence[tuple[str | None, str]] | None = None,
    ):
        self.problems: list[tuple[str | None, str]] = (
            list(problems) if problems else [(parameter, reason)]
        )
        self.parameter, self.reason = self.problems[0]
        self.task_name = task_name
        where = f" in {task_name}" if task_name else ""
        if len(self.problems) == 1:
            subject = f"parameter {parameter!r}" if parameter else "parameters"
            super().__init__(f"invalid {subject}{where}: {reason}")
        else:
            listed = "; ".join(f"{name!r}: {why}" if name else why for name, why in self.problems)
            super().__init__(f"{len(self.problems)} invalid parameters{where}: {listed}")

    @classmethod
    def from_problems(
        cls, problems: Sequence[tuple[str | None, str]], *, task_name: str | None = None
    ) -> InvalidParameterError:
        """The error for a non-empty list of ``(parameter, reason)`` problems."""
        first_name, first_reason = problems[0]
        return cls(first_name, first_reason, task_name=task_name, problems=problems)

    @staticmethod
    def problems_of(error: Any) -> list[tuple[str | None, str]]:
        """Every problem of a pydantic ``ValidationError`` (anything with ``errors()``) as
        ``(parameter, reason)``: the top-level parameter, and the reason, prefixed with the
        path inside the parameter when the problem is nested (``0.px: Field required``)."""
        problems: list[tuple[str | None, str]] = []
        for details in error.errors():
            location = tuple(details.get("loc") or ())
            parameter = str(location[0]) if location else None
            reason = str(details.get("msg", "invalid value")).removeprefix("Value error, ")
            if len(location) > 1:
                reason = f"{'.'.join(str(part) for part in location[1:])}: {reason}"
            problems.append((parameter, reason))
        return problems or [(None, "invalid value")]

    @classmethod
    def from_validation_error(
        cls, error: Any, *, task_name: str | None = None
    ) -> InvalidParameterError:
        """Every problem of a pydantic ``ValidationError`` as one error (see
        :meth:`problems_of`).

        Task base classes validate with a pydantic model and raise this, so that a user
        sees one error type whatever the plugin."""
        return cls.from_problems(cls.problems_of(error), task_name=task_name)


class MissingApiError(AiocaError):
    """A task needs an exchange API object and none was given or set as default."""


class EventLoopRunningError(AiocaError, RuntimeError):
    """A synchronous entry point was called while an event loop is running (Jupyter, async code).

    The synchronous wrappers start their own event loop, which asyncio forbids inside a
    running one; the message names the async method to await instead.
    """


class PluginError(AiocaError):
    """An exchange plugin registered something inconsistent."""


class DuplicateExchangeError(PluginError):
    """Two installed plugins register the same exchange name."""


class UnknownExchangeError(AiocaError, LookupError):
    """No installed plugin provides the exchange asked for; the message lists those that do."""


class RequestContext(TypedDict, total=False):
    """The context every :class:`RequestError` carries (see ``RestApi.error_context``)."""

    exchange: str | None
    task_name: str | None
    method: str | None
    url: str | None


class RequestError(AiocaError):
    """A request failed; carries enough context to find it, never its credentials.

    Attributes: ``exchange``, ``task_name`` (the ``str()`` of the task that sent it, when
    known), ``method`` and ``url`` (without the query string); ``order_id`` and
    ``client_order_id`` when the request was about one order (a cancel, a query, an order
    whose outcome is unknown), else ``None``.
    """

    order_id: str | int | None = None
    client_order_id: str | None = None

    def __init__(
        self,
        message: str,
        *,
        exchange: str | None = None,
        task_name: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self._message = message
        self.exchange = exchange
        self.task_name = task_name
        self.method = method
        self.url = url
        super().__init__(message)

    @property
    def message(self) -> str:
        """The error's own text, without the request context ``str()`` adds."""
        return self._message

    def __str__(self) -> str:
        context = []
        if self.exchange:
            context.append(f"exchange={self.exchange}")
        if self.task_name:
            context.append(f"task={self.task_name}")
        if self.method and self.url:
            context.append(f"request={self.method} {self.url}")
        # An id the message already quotes is not repeated.
        if self.order_id is not None and str(self.order_id) not in self.message:
            context.append(f"order_id={self.order_id}")
        if self.client_order_id is not None and self.client_order_id not in self.message:
            context.append(f"client_order_id={self.client_order_id}")
        return f"{self.message} ({', '.join(context)})" if context else self.message


class NetworkError(RequestError):
    """The request got no usable response: connection refused or reset, DNS, TLS, proxy."""


class ConnectError(NetworkError):
    """The connection could not be made (refused, DNS, TLS): the request was not sent."""


class RequestTimeoutError(NetworkError, TimeoutError):
    """The request did not complete within its timeout. For an order, its outcome is unknown."""


class OrderStateUnknownError(RequestError):
    """An order-creating request was sent but no answer says whether it was accepted (a
    timeout, a dropped connection, an HTTP 5xx). It is never re-sent automatically: query
    the order by ``client_order_id`` before placing it again. ``__cause__`` is the failure.
    """

    def __init__(
        self, message: str, *, client_order_id: str | None, **context: Unpack[RequestContext]
    ) -> None:
        self.client_order_id = client_order_id
        super().__init__(message, **context)

    @classmethod
    def after(
        cls, failure: RequestError, client_order_ids: Sequence[str], id_name: str
    ) -> OrderStateUnknownError:
        """The error for an order sent with ``client_order_ids`` (named ``id_name`` on the
        exchange, e.g. ``newClientOrderId``) whose outcome ``failure`` leaves unknown; raise
        it ``from failure``. It carries the failure's request context."""
        ids = ", ".join(client_order_ids)
        return cls(
            f"the order may or may not have been placed ({type(failure).__name__}): query "
            f"it by {id_name} {ids} before placing it again",
            client_order_id=client_order_ids[0] if client_order_ids else None,
            exchange=failure.exchange,
            task_name=failure.task_name,
            method=failure.method,
            url=failure.url,
        )


class ClockSyncError(RequestError):
    """The exchange's clock could not be read before a signed request (the server-time
    endpoint failed, hung past the request's timeout, or answered nonsense). The signed
    request itself was **not** sent: an order was not placed. ``__cause__`` is the failure
    of the server-time request, when there was one."""


class InvalidResponseError(RequestError):
    """The exchange answered with a body that is not the JSON expected (an HTML error page,
    an empty or truncated body). ``status`` is the HTTP status and ``body`` the first
    characters of what came back."""

    def __init__(
        self, message: str, *, status: int, body: str = "", **context: Unpack[RequestContext]
    ):
        self.status = status
        self.body = body
        super().__init__(message, **context)


class IncompleteResponseError(InvalidResponseError, NetworkError):
    """The connection failed while the body was arriving: the status is known, the body
    is not. A transport failure, so safe requests are retried."""


class ResponseTooLargeError(InvalidResponseError):
    """The body was larger than the API's ``max_response_bytes`` (counted after
    decompression, while it arrived): reading stopped there and the connection was closed.
    ``limit`` is the cap in bytes. A hostile or broken server cannot exhaust memory."""

    def __init__(self, message: str, *, status: int, limit: int, **context: Unpack[RequestContext]):
        self.limit = limit
        super().__init__(message, status=status, **context)


class ExchangeError(RequestError):
    """The exchange answered with an error.

    ``code`` is the exchange's own error code (a number such as ``-1121`` or a string
    such as ``"51000"``, as the exchange sends it; ``None`` when the body had none),
    ``msg`` its message and ``status`` the HTTP status. ``data`` is what else the error
    body reported, where an exchange documents more than a code and a message (an order
    that was cancelled while its replacement failed, say): a failure must not hide what
    did happen. ``None`` when there was nothing more.
    """

    def __init__(
        self,
        msg: str,
        *,
        code: int | str | None = None,
        status: int | None = None,
        data: Mapping[str, Any] | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.code = code
        self.msg = msg
        self.status = status
        self.data = data
        head = f"[{code}] {msg}" if code is not None else msg
        if status is not None:
            head = f"HTTP {status}: {head}"
        super().__init__(head, **context)


class UnexpectedRedirectError(ExchangeError):
    """The server answered with a redirect (HTTP 3xx). aioca never follows one: a redirect
    would carry a signed request, its API key and its body to another host, and repeat an
    order. ``location_host`` is the host (and port) the redirect pointed to, never its path
    or query. The request reached the server once: for an order, its outcome is unknown."""

    def __init__(
        self,
        msg: str,
        *,
        location_host: str | None = None,
        status: int | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.location_host = location_host
        super().__init__(msg, status=status, **context)


class AuthenticationError(ExchangeError):
    """The exchange refused the credentials: unknown key, bad signature, missing permission."""


class InvalidTimestampError(ExchangeError):
    """The request's timestamp is too far from the exchange's clock (outside ``recvWindow``)."""


class BadRequestError(ExchangeError):
    """The exchange rejected the request's parameters."""


class BadSymbolError(BadRequestError):
    """The symbol is unknown to the exchange or not valid for this endpoint."""


class InsufficientFundsError(ExchangeError):
    """Not enough balance or margin for the request."""


class OrderError(ExchangeError):
    """The exchange rejected an order or a change to one."""


class OrderNotFoundError(OrderError):
    """The order does not exist (or no longer exists) on the exchange."""


class BatchError(OrderError, ExceptionGroup):
    """Some items of a batch request (place, modify or cancel several orders) were refused.

    A batch is not atomic: the items that succeeded took effect and are not lost with the
    error. ``items`` holds every item of the answer in request order; ``succeeded`` those
    that went through (placed orders with their ids), ``failed`` the refused ones, and
    ``item_errors`` pairs each refused item's index with the exception its code maps to.
    It is also an ``ExceptionGroup`` of those exceptions, so ``except*`` works, and when
    every refused item maps to the same class the batch error is also an instance of that
    class (see :meth:`combined`): ``except InsufficientFundsError`` catches a batch that
    failed for that reason alone. ``envelope`` is the whole answer when the exchange wraps
    its items in one.
    """

    family: ClassVar[type[ExchangeError] | None] = None
    """The class every refused item maps to, on the combined classes."""

    def __new__(
        cls, msg: str, *, item_errors: Sequence[tuple[int, ExchangeError]], **_: Any
    ) -> BatchError:
        exceptions = [error for _, error in item_errors]
        return super().__new__(cls, msg, exceptions)

    def __init__(
        self,
        msg: str,
        *,
        items: Sequence[Any],
        item_errors: Sequence[tuple[int, ExchangeError]],
        envelope: Any = None,
        code: int | str | None = None,
        status: int | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.items = list(items)
        self.item_errors = list(item_errors)
        failed_at = {index for index, _ in self.item_errors}
        self.failed = [item for index, item in enumerate(self.items) if index in failed_at]
        self.succeeded = [item for index, item in enumerate(self.items) if index not in failed_at]
        self.envelope = envelope
        super().__init__(msg, code=code, status=status, **context)

    def derive(self, excs: Sequence[Exception]) -> BatchError:  # type: ignore[override]
        """The same batch, narrowed to ``excs`` (what ``except*`` and ``split()`` call)."""
        kept = [(index, error) for index, error in self.item_errors if error in excs]
        derived = BatchError(
            self.msg,
            items=self.items,
            item_errors=kept,
            envelope=self.envelope,
            code=self.code,
            status=self.status,
            exchange=self.exchange,
            task_name=self.task_name,
            method=self.method,
            url=self.url,
        )
        return derived

    @classmethod
    def combined(cls, item_classes: Sequence[type[ExchangeError]]) -> type[BatchError]:
        """``cls``, combined with the refused items' class when they all share one."""
        distinct = set(item_classes)
        if len(distinct) != 1:
            return cls
        (family,) = distinct
        if issubclass(cls, family):
            return cls  # OrderError, ExchangeError: nothing to add
        key = (cls, family)
        combined = _COMBINED_BATCH_ERRORS.get(key)
        if combined is None:
            combined = type(
                f"{cls.__name__}[{family.__name__}]",
                (cls, family),
                {"family": family, "__module__": cls.__module__, "__doc__": cls.__doc__},
            )
            _COMBINED_BATCH_ERRORS[key] = combined
        return combined


_COMBINED_BATCH_ERRORS: dict[tuple[type[BatchError], type[ExchangeError]], type[BatchError]] = {}


class RateLimitError(ExchangeError):
    """Too many requests (HTTP 429). ``retry_after`` is the pause the exchange asked for,
    in seconds, when it said."""

    def __init__(
        self,
        msg: str,
        *,
        retry_after: float | None = None,
        code: int | str | None = None,
        status: int | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.retry_after = retry_after
        super().__init__(msg, code=code, status=status, **context)


class IPBannedError(RateLimitError):
    """The exchange has banned this IP for ignoring rate limits (HTTP 418). ``until`` is the
    Unix time in seconds when the ban lifts, when known."""

    def __init__(
        self,
        msg: str,
        *,
        until: float | None = None,
        retry_after: float | None = None,
        code: int | str | None = None,
        status: int | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.until = until
        super().__init__(msg, retry_after=retry_after, code=code, status=status, **context)


class ExchangeServerError(ExchangeError):
    """The exchange failed to process the request (HTTP 5xx). Whether a state-changing
    request took effect is unknown: query before repeating it."""

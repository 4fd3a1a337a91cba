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
        ├── InvalidResponseError              a response that cannot be decoded (HTML, empty...)
        │   └── IncompleteResponseError       the body was cut short (also a NetworkError)
        └── ExchangeError                     the exchange answered with an error
            ├── AuthenticationError           bad key, signature or permissions
            ├── InvalidTimestampError         the request's timestamp is outside recvWindow
            ├── BadRequestError               the exchange rejected a parameter
            │   └── BadSymbolError            unknown or invalid symbol
            ├── InsufficientFundsError        not enough balance or margin
            ├── OrderError                    an order was rejected or cannot be changed
            │   └── OrderNotFoundError
            ├── RateLimitError                too many requests (HTTP 429); ``retry_after``
            │   └── IPBannedError             banned for ignoring limits (HTTP 418); ``until``
            └── ExchangeServerError           the exchange failed (HTTP 5xx): outcome unknown

Request errors carry the exchange's name, the name of the task that sent the request
(``task_name``), the HTTP method and the URL *without* its query string: a signed query
holds a signature and sometimes an API key, and exception text ends up in logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

__all__ = [
    "AiocaError",
    "AuthenticationError",
    "BadRequestError",
    "BadSymbolError",
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
    "UnknownExchangeError",
]


class AiocaError(Exception):
    """Root of every exception aioca raises."""


class InvalidParameterError(AiocaError, ValueError):
    """A task was given a parameter it cannot send; raised before any request.

    ``parameter`` names the offending parameter (``None`` when the problem spans several)
    and ``reason`` says what is wrong with it. ``problems`` lists every problem found at
    once as ``(parameter, reason)`` pairs, the first one being ``parameter`` and ``reason``.
    """

    def __init__(
        self,
        parameter: str | None,
        reason: str,
        *,
        task_name: str | None = None,
        problems: tuple[tuple[str | None, str], ...] = (),
    ):
        self.parameter = parameter
        self.reason = reason
        self.task_name = task_name
        self.problems = problems or ((parameter, reason),)
        where = f" in {task_name}" if task_name else ""
        if len(self.problems) > 1:
            listed = "; ".join(f"{name!r}: {why}" if name else why for name, why in self.problems)
            super().__init__(f"invalid parameters{where}: {listed}")
            return
        subject = f"parameter {parameter!r}" if parameter else "parameters"
        super().__init__(f"invalid {subject}{where}: {reason}")

    @classmethod
    def from_validation_error(
        cls, error: Any, *, task_name: str | None = None
    ) -> InvalidParameterError:
        """Every problem of a pydantic ``ValidationError`` (anything with ``errors()``) in
        one error: each names the top-level parameter and the reason, prefixed with the
        path inside the parameter when the problem is nested (``0.px: Field required``).

        Task base classes validate with a pydantic model and raise this, so that a user
        sees one error type whatever the plugin, and every mistake at once."""
        problems = []
        for details in error.errors():
            location = tuple(details.get("loc") or ())
            parameter = str(location[0]) if location else None
            reason = str(details.get("msg", "invalid value")).removeprefix("Value error, ")
            if len(location) > 1:
                reason = f"{'.'.join(str(part) for part in location[1:])}: {reason}"
            problems.append((parameter, reason))
        if not problems:
            problems.append((None, "invalid value"))
        first, why = problems[0]
        return cls(first, why, task_name=task_name, problems=tuple(problems))


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
    known), ``method`` and ``url`` (without the query string).
    """

    def __init__(
        self,
        message: str,
        *,
        exchange: str | None = None,
        task_name: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.message = message
        self.exchange = exchange
        self.task_name = task_name
        self.method = method
        self.url = url
        super().__init__(message)

    def __str__(self) -> str:
        context = []
        if self.exchange:
            context.append(f"exchange={self.exchange}")
        if self.task_name:
            context.append(f"task={self.task_name}")
        if self.method and self.url:
            context.append(f"request={self.method} {self.url}")
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


class ExchangeError(RequestError):
    """The exchange answered with an error.

    ``code`` is the exchange's own error code (a number such as ``-1121`` or a string
    such as ``"51000"``, as the exchange sends it; ``None`` when the body had none),
    ``msg`` its message and ``status`` the HTTP status.
    """

    def __init__(
        self,
        msg: str,
        *,
        code: int | str | None = None,
        status: int | None = None,
        **context: Unpack[RequestContext],
    ) -> None:
        self.code = code
        self.msg = msg
        self.status = status
        head = f"[{code}] {msg}" if code is not None else msg
        if status is not None:
            head = f"HTTP {status}: {head}"
        super().__init__(head, **context)


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

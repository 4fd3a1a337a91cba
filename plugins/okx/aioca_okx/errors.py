"""OKX's error codes mapped onto aioca's exception tree, and the batch error.

OKX answers most errors with HTTP 200 and an envelope ``{"code": "51000", "msg": "...",
"data": []}``; code ``"0"`` is success. Order endpoints answer ``"1"`` (every item failed)
or ``"2"`` (some failed) and put the real reason in each item's ``sCode``/``sMsg``, so the
code that picks the exception class is the item's. Authentication and rate-limit failures
also come with an HTTP status (401, 429), and an HTTP 5xx means the outcome is unknown.

The HTTP status decides first where a caller acts on it (429 is a rate limit, 5xx a server
failure whatever the code); then :data:`ERROR_CLASSES` (codes whose meaning is precise),
then the code's family (:func:`error_class_for`), then the status. Codes follow OKX's v5
"Error Code" page (REST: 50000-50xxx general and authentication, 51xxx trading).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aioca import errors

__all__ = ["ERROR_CLASSES", "OkxBatchError", "batch_error_class", "error_class_for"]

_AUTH = errors.AuthenticationError
_TIMESTAMP = errors.InvalidTimestampError
_BAD = errors.BadRequestError
_SYMBOL = errors.BadSymbolError
_FUNDS = errors.InsufficientFundsError
_ORDER = errors.OrderError
_NO_ORDER = errors.OrderNotFoundError
_LIMIT = errors.RateLimitError
_SERVER = errors.ExchangeServerError

ERROR_CLASSES: Mapping[str, type[errors.ExchangeError]] = {
    # 50000-50099: general
    "50001": _SERVER,  # Service temporarily unavailable
    "50004": _SERVER,  # Endpoint request timeout (does not say whether it succeeded)
    "50005": _SERVER,  # API is offline or unavailable
    "50011": _LIMIT,  # Rate limit reached (HTTP 429)
    "50012": _AUTH,  # Account status invalid
    "50013": _SERVER,  # Systems are busy
    "50026": _SERVER,  # System error
    "50030": _AUTH,  # No permission to use this API
    "50035": _AUTH,  # This endpoint requires that the API key be bound to an IP
    "50040": _LIMIT,  # Too frequent operations
    "50061": _LIMIT,  # Sub-account order rate limit exceeded
    # 50100-50119: authentication (50100-50199 as a family, below)
    "50102": _TIMESTAMP,  # Timestamp request expired
    # 51000-51099: parameters, with these exceptions
    "51001": _SYMBOL,  # Instrument ID does not exist
    "51002": _SYMBOL,  # Instrument ID does not match underlying index
    "51004": _ORDER,  # Order amount exceeds the current tier limit
    "51008": _FUNDS,  # Order failed: insufficient balance
    "51009": _ORDER,  # Order blocked by the platform
    "51011": _ORDER,  # Duplicated order ID
    "51015": _SYMBOL,  # Instrument ID does not match instrument type
    "51016": _ORDER,  # Duplicated client order ID
    "51026": _SYMBOL,  # Instrument type does not match underlying index
    "51027": _SYMBOL,  # Contract expired
    # 51100 and beyond: order processing
    "51119": _FUNDS,  # Order failed: insufficient balance
    "51127": _FUNDS,  # Available balance is 0
    "51131": _FUNDS,  # Insufficient balance
    "51400": _NO_ORDER,  # Cancel failed: the order was filled, canceled or does not exist
    "51401": _NO_ORDER,  # Cancel failed: the order was already canceled
    "51402": _NO_ORDER,  # Cancel failed: the order was already completed
    "51503": _NO_ORDER,  # Amend failed: the order was filled, canceled or does not exist
    "51603": _NO_ORDER,  # Order does not exist
}
"""OKX error code → exception class, where the code alone says what went wrong."""


def _family(code: int) -> type[errors.ExchangeError] | None:
    if 50100 <= code <= 50199:
        return _AUTH  # API key, passphrase, signature, IP whitelist, permissions
    if 50000 <= code <= 50099:
        return _BAD  # empty body, bad JSON, bad Content-Type, missing parameter...
    if 51000 <= code <= 51099:
        return _BAD  # "Parameter {param0} error" and its kin
    if 51100 <= code <= 51999:
        return _ORDER  # placing, canceling and amending orders
    return None


def error_class_for(status: int, code: str | int | None) -> type[errors.ExchangeError]:
    """The exception class for an answer with HTTP ``status`` and OKX ``code`` (or an
    item's ``sCode``)."""
    if status == 429:
        return errors.RateLimitError
    if status >= 500:
        return errors.ExchangeServerError
    number: int | None = None
    if code is not None:
        try:
            number = int(code)
        except ValueError:
            number = None
    if number is not None:
        mapped = ERROR_CLASSES.get(str(number)) or _family(number)
        if mapped is not None:
            return mapped
    if status in (401, 403):
        return errors.AuthenticationError
    if 400 <= status < 500:
        return errors.BadRequestError
    return errors.ExchangeError


class OkxBatchError(errors.BatchError):
    """Some items of a batch request (place, cancel or amend several orders) failed: the
    core's :class:`~aioca.errors.BatchError` with OKX's names for the ids.

    ``items`` holds every item of the answer in request order, ``succeeded`` those whose
    ``sCode`` is ``"0"`` and ``failed`` the others; ``item_errors`` pairs each failed
    item's index with the exception its ``sCode`` maps to. ``ord_ids``/``cl_ord_ids`` are
    the ids of the orders that went through. ``envelope`` is the whole answer. ``code`` is
    the envelope's (``"1"``: every item failed, ``"2"``: some did).
    """

    @property
    def ord_ids(self) -> list[str]:
        """Exchange order ids of the items that succeeded (those OKX gave one)."""
        return [str(item["ordId"]) for item in self.succeeded if item.get("ordId")]

    @property
    def cl_ord_ids(self) -> list[str]:
        """Client order ids of the items that succeeded (those that had one)."""
        return [str(item["clOrdId"]) for item in self.succeeded if item.get("clOrdId")]


def batch_error_class(item_classes: Sequence[type[errors.ExchangeError]]) -> type[OkxBatchError]:
    """``OkxBatchError``, combined with the failed items' class when they all share one."""
    return OkxBatchError.combined(item_classes)  # type: ignore[return-value]

"""Binance's error codes mapped onto aioca's exception tree.

Binance answers an error with an HTTP status and ``{"code": -1121, "msg": "Invalid symbol."}``.
The HTTP status decides first where it carries the meaning a caller acts on: 429 and 418
are rate limits whatever the code, and 5xx means the outcome is unknown (an order may or may
not have been placed). Otherwise the code picks the class from :data:`ERROR_CLASSES`, and
codes not listed fall back on their family (the thousands block) and then on the status.
The table follows Binance's COIN-M error-code page (see ``plugins/binance/spec``).
"""

from __future__ import annotations

from collections.abc import Mapping

from aioca import errors

__all__ = ["ERROR_CLASSES", "error_class_for"]

_TIMESTAMP = errors.InvalidTimestampError
_AUTH = errors.AuthenticationError
_BAD = errors.BadRequestError
_SYMBOL = errors.BadSymbolError
_FUNDS = errors.InsufficientFundsError
_ORDER = errors.OrderError
_NO_ORDER = errors.OrderNotFoundError
_LIMIT = errors.RateLimitError
_SERVER = errors.ExchangeServerError

ERROR_CLASSES: Mapping[int, type[errors.ExchangeError]] = {
    # 10xx: general server or network issues
    -1000: _SERVER,  # UNKNOWN
    -1001: _SERVER,  # DISCONNECTED
    -1002: _AUTH,  # UNAUTHORIZED
    -1003: _LIMIT,  # TOO_MANY_REQUESTS
    -1006: _SERVER,  # UNEXPECTED_RESP: execution status unknown
    -1007: _SERVER,  # TIMEOUT: execution status unknown
    -1008: _SERVER,  # Request throttled (server overloaded)
    -1011: _AUTH,  # NON_WHITE_LIST: this IP cannot access this route
    -1014: _ORDER,  # UNKNOWN_ORDER_COMPOSITION
    -1015: _LIMIT,  # TOO_MANY_ORDERS
    -1021: _TIMESTAMP,  # INVALID_TIMESTAMP
    -1022: _AUTH,  # INVALID_SIGNATURE
    -1023: _BAD,  # START_TIME_GREATER_THAN_END_TIME
    # 11xx: request issues
    -1121: _SYMBOL,  # BAD_SYMBOL
    -1125: _AUTH,  # INVALID_LISTEN_KEY
    # 20xx: processing issues
    -2010: _ORDER,  # NEW_ORDER_REJECTED
    -2011: _ORDER,  # CANCEL_REJECTED
    -2013: _NO_ORDER,  # NO_SUCH_ORDER
    -2014: _AUTH,  # BAD_API_KEY_FMT
    -2015: _AUTH,  # REJECTED_MBX_KEY
    -2016: _BAD,  # NO_TRADING_WINDOW
    -2018: _FUNDS,  # BALANCE_NOT_SUFFICIENT
    -2019: _FUNDS,  # MARGIN_NOT_SUFFICIEN
    -2023: _ORDER,  # USER_IN_LIQUIDATION
    -2024: _FUNDS,  # POSITION_NOT_SUFFICIENT
    -2027: _FUNDS,  # MAX_LEVERAGE_RATIO
    -2028: _FUNDS,  # MIN_LEVERAGE_RATIO
    # 40xx-42xx: filters and other issues; most are order rejections (see the fallback)
    -4028: _BAD,  # INVALID_LEVERAGE
    -4044: _BAD,  # INVALID_BALANCE_TYPE
    -4046: _BAD,  # NO_NEED_TO_CHANGE_MARGIN_TYPE
    -4047: _BAD,  # THERE_EXISTS_OPEN_ORDERS
    -4048: _BAD,  # THERE_EXISTS_QUANTITY
    -4049: _BAD,  # ADD_ISOLATED_MARGIN_REJECT
    -4050: _FUNDS,  # CROSS_BALANCE_INSUFFICIENT
    -4051: _FUNDS,  # ISOLATED_BALANCE_INSUFFICIENT
    -4052: _BAD,  # NO_NEED_TO_CHANGE_AUTO_ADD_MARGIN
    -4053: _BAD,  # AUTO_ADD_CROSSED_MARGIN_REJECT
    -4054: _BAD,  # ADD_ISOLATED_MARGIN_NO_POSITION_REJECT
    -4055: _BAD,  # AMOUNT_MUST_BE_POSITIVE
    -4056: _AUTH,  # INVALID_API_KEY_TYPE
    -4057: _AUTH,  # INVALID_RSA_PUBLIC_KEY
    -4059: _BAD,  # NO_NEED_TO_CHANGE_POSITION_SIDE
    -4067: _BAD,  # POSITION_SIDE_CHANGE_EXISTS_OPEN_ORDERS
    -4068: _BAD,  # POSITION_SIDE_CHANGE_EXISTS_QUANTITY
    -4087: _SYMBOL,  # INVALID_PAIR
    -4088: _BAD,  # INVALID_TIME_INTERVAL
    -4104: _BAD,  # INVALID_CONTRACT_TYPE
    -4110: _BAD,  # INVALID_CLIENT_TRAN_ID_LEN
    -4111: _BAD,  # DUPLICATED_CLIENT_TRAN_ID
    -4150: _BAD,  # ISOLATED_LEVERAGE_REJECT_WITH_POSITION
    -4188: _TIMESTAMP,  # ME_INVALID_TIMESTAMP
    -4194: _BAD,  # ADJUST_LEVERAGE_KYC_FAILED
    -4195: _BAD,  # ADJUST_LEVERAGE_ONE_MONTH_FAILED
    -4200: _BAD,  # ADJUST_LEVERAGE_X_DAYS_FAILED
    -4201: _BAD,  # ADJUST_LEVERAGE_KYC_LIMIT
    -4202: _BAD,  # ADJUST_LEVERAGE_ACCOUNT_SYMBOL_FAILED
    -4220: _BAD,  # CANNOT_CHANGE_DUAL_SIDE
    # 50xx (USD-M page, may appear in COIN-M order responses)
    -5028: _TIMESTAMP,  # ME_RECVWINDOW_REJECT
}
"""Binance error code → exception class, where the code alone says what went wrong."""


def _family(code: int) -> type[errors.ExchangeError] | None:
    if -1199 <= code <= -1100:
        return _BAD  # 11xx: request issues (bad, missing or unknown parameters)
    if -2099 <= code <= -2000:
        return _ORDER  # 20xx: order processing
    if -4299 <= code <= -4000 or -5099 <= code <= -5000:
        return _ORDER  # 40xx-42xx, 50xx: order filters and order rejections
    return None


def error_class_for(status: int, code: int | None) -> type[errors.ExchangeError]:
    """The exception class for an error answer with HTTP ``status`` and Binance ``code``."""
    if status == 418:
        return errors.IPBannedError
    if status == 429:
        return errors.RateLimitError
    if status >= 500:
        return errors.ExchangeServerError
    if code is not None:
        mapped = ERROR_CLASSES.get(code) or _family(code)
        if mapped is not None:
            return mapped
    if status in (401, 403):
        # 401: bad key; Binance uses 403 for its web application firewall, not for keys,
        # so a 403 without a code is a generic refusal.
        return errors.AuthenticationError if status == 401 else errors.ExchangeError
    if 400 <= status < 500:
        return errors.BadRequestError
    return errors.ExchangeError

"""Batch items: each item of ``batchOrders`` read as a request of its own.

The server checks the request's own parameters; an item's fields are checked here, by
the types the spec gives them (``binance-usdm-rest.json``, ``item_fields`` of
``POST``/``PUT /fapi/v1/batchOrders``), so one bad item becomes an error object in its
slot of the answer while the others go through, as Binance does.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..errors import SimError, illegal_chars, mandatory_missing

__all__ = ["ITEM_FIELDS", "order_items"]

_MATCH = (
    "OPPONENT",
    "OPPONENT_5",
    "OPPONENT_10",
    "OPPONENT_20",
    "QUEUE",
    "QUEUE_5",
    "QUEUE_10",
    "QUEUE_20",
)
_SIDES = ("BUY", "SELL")

ITEM_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "place": {
        "symbol": ("STRING", ()),
        "side": ("ENUM", _SIDES),
        "positionSide": ("ENUM", ("BOTH", "LONG", "SHORT")),
        "type": (
            "ENUM",
            (
                "LIMIT",
                "MARKET",
                "STOP",
                "STOP_MARKET",
                "TAKE_PROFIT",
                "TAKE_PROFIT_MARKET",
                "TRAILING_STOP_MARKET",
            ),
        ),
        "timeInForce": ("ENUM", ("GTC", "IOC", "FOK", "GTX", "GTD", "RPI")),
        "quantity": ("DECIMAL", ()),
        "reduceOnly": ("ENUM", ("true", "false")),
        "price": ("DECIMAL", ()),
        "newClientOrderId": ("STRING", ()),
        "newOrderRespType": ("ENUM", ("ACK", "RESULT")),
        "priceMatch": ("ENUM", _MATCH),
        "selfTradePreventionMode": (
            "ENUM",
            ("NONE", "EXPIRE_TAKER", "EXPIRE_BOTH", "EXPIRE_MAKER"),
        ),
        "goodTillDate": ("LONG", ()),
    },
    "modify": {
        "orderId": ("LONG", ()),
        "origClientOrderId": ("STRING", ()),
        "symbol": ("STRING", ()),
        "side": ("ENUM", _SIDES),
        "quantity": ("DECIMAL", ()),
        "price": ("DECIMAL", ()),
        "priceMatch": ("ENUM", _MATCH),
        "stopPrice": ("DECIMAL", ()),
        "modifyId": ("LONG", ()),
        "recvWindow": ("LONG", ()),
        "timestamp": ("LONG", ()),
    },
}
"""Each item's fields and their spec types (ENUM with its values), per batch endpoint."""

_REQUIRED = {"place": ("symbol", "side", "type"), "modify": ("symbol", "side", "quantity", "price")}
_ENUM_ERRORS = {
    "side": (-1117, "Invalid side."),
    "type": (-1116, "Invalid orderType."),
    "timeInForce": (-1115, "Invalid timeInForce."),
    "newOrderRespType": (-1136, "Invalid newOrderRespType."),
    "positionSide": (-4060, "Invalid position side."),
}
_INT = re.compile(r"^-?[0-9]{1,20}$")
_DECIMAL = re.compile(r"^-?([0-9]{1,20})(\.[0-9]{1,20})?$")
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


def _convert(name: str, kind: str, choices: tuple[str, ...], raw: Any) -> Any:
    text = raw if isinstance(raw, str) else str(raw).lower() if isinstance(raw, bool) else str(raw)
    if kind == "LONG":
        if not _INT.match(text):
            raise illegal_chars(name, "^[0-9]{1,20}$")
        return int(text)
    if kind == "DECIMAL":
        if not _DECIMAL.match(text):
            raise illegal_chars(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$")
        return Decimal(text)
    if kind == "ENUM" and text not in choices:
        code, msg = _ENUM_ERRORS.get(
            name, (-1130, f"Data sent for parameter '{name}' is not valid.")
        )
        raise SimError(code, msg)
    if name in ("newClientOrderId", "origClientOrderId") and not _CLIENT_ID.match(text):
        raise illegal_chars(name, "^[\\.A-Z\\:/a-z0-9_-]{1,36}$")
    return text


def _read(item: Any, kind: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise SimError(-1130, "Data sent for parameter 'batchOrders' is not valid.")
    fields = ITEM_FIELDS[kind]
    unread = [name for name in item if name not in fields]
    if unread:
        raise SimError(
            -1104,
            f"Not all sent parameters were read; read '{len(item) - len(unread)}' "
            f"parameter(s) but was sent '{len(item)}'.",
        )
    values: dict[str, Any] = {}
    for name, (spec_type, choices) in fields.items():
        raw = item.get(name)
        if raw is None or raw == "":
            if name in _REQUIRED[kind]:
                raise mandatory_missing(name)
            continue
        values[name] = _convert(name, spec_type, choices, raw)
    values.pop("recvWindow", None)
    values.pop("timestamp", None)
    return values


def order_items(items: list[Any], kind: str) -> list[dict[str, Any] | SimError]:
    """Each item converted, or the error it gets (``kind`` is "place" or "modify")."""
    if not 1 <= len(items) <= 5:
        raise SimError(-4082, f"Invalid number of batch place orders: {len(items)}")
    result: list[dict[str, Any] | SimError] = []
    for item in items:
        try:
            result.append(_read(item, kind))
        except SimError as error:
            result.append(error)
    return result

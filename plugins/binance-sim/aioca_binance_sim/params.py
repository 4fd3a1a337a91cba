"""Reading a request's parameters the way Binance does: from the raw query string and form
body, checked against the endpoint's spec entry (the package's copy of Binance's spec,
:mod:`.endpoints`), with Binance's -11xx error codes.

Per parameter: required (-1102), empty (-1105), type (LONG, DECIMAL: -1100 with the legal
range; BOOLEAN, ARRAY: -1130), enum values (the code Binance has for the parameter, else
-1130), client order ids (Binance's pattern); per request: parameters the endpoint does
not read (-1104), and the documented cross-parameter rules (:mod:`.rules`). Nothing here
comes from the client's catalogs or models: the simulator checks the client, it does not
echo it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from .endpoints import EndpointSpec, ParamSpec, endpoints
from .errors import SimError, illegal_chars, invalid_parameter, mandatory_missing
from .rules import rules_of

__all__ = ["batch_item_reader", "merge", "parse_pairs", "read_params"]

_INT = re.compile(r"^-?[0-9]{1,20}$")
_INT_RANGE = "^[0-9]{1,20}$"
_DECIMAL = re.compile(r"^-?([0-9]{1,20})(\.[0-9]{1,20})?$")
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_CLIENT_ID_RANGE = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"
_CLIENT_ID_FIELDS = frozenset({"newClientOrderId", "origClientOrderId", "clientAlgoId"})

_ENUM_ERRORS: dict[str, tuple[int, str]] = {
    "side": (-1117, "Invalid side."),
    "type": (-1116, "Invalid orderType."),
    "timeInForce": (-1115, "Invalid timeInForce."),
    "interval": (-1120, "Invalid interval."),
    "newOrderRespType": (-1136, "Invalid newOrderRespType."),
    "positionSide": (-4060, "Invalid position side."),
    "workingType": (-4031, "Invalid parameter working type"),
    "contractType": (-4104, "Invalid contract type."),
}
"""Enum parameters whose bad values have a code of their own; others get -1130."""


def parse_pairs(raw: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` as decoded pairs, in order (blank values kept)."""
    if not raw:
        return []
    pairs = []
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def merge(query: list[tuple[str, str]], body: list[tuple[str, str]]) -> dict[str, str]:
    """One mapping of the query's and the body's parameters: a name sent twice in one of
    them is refused (-1101); a name in both takes the query's value, as Binance does."""
    merged: dict[str, str] = {}
    for source in (body, query):
        seen: set[str] = set()
        for name, value in source:
            if name in seen:
                raise SimError(-1101, "Duplicate values for a parameter detected.")
            seen.add(name)
            merged[name] = value
    return merged


_SERVER_CHECKED = frozenset({"timestamp", "signature", "recvWindow"})
"""Read by the server's security checks, not passed on to handlers."""
_ARRAY_ITEMS: dict[str | None, type] = {"LONG": int, "INT": int, "STRING": str, "OBJECT": dict}
_MAX_ITEMS = re.compile(r"[Mm]ax(?:imum)?\s+(\d+)\s+orders")


def _convert(param: ParamSpec, value: str) -> Any:
    """``value`` as the handler gets it, by the parameter's spec type."""
    kind = param.type
    name = param.name
    if kind in ("LONG", "INT"):
        if not _INT.match(value):
            raise illegal_chars(name, _INT_RANGE)
        number = int(value)
        if name == "limit" and (number < 1 or (param.maximum and number > param.maximum)):
            raise invalid_parameter(name)
        return number
    if kind == "DECIMAL":
        if not _DECIMAL.match(value):
            raise illegal_chars(name, _DECIMAL_RANGE)
        return Decimal(value)
    if kind == "BOOLEAN":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise invalid_parameter(name)
        return lowered == "true"
    if kind == "ENUM" and param.enum:
        if value not in param.enum and set(param.enum) == _TRUE_FALSE:
            # "true"/"false" are read whatever their case: Binance's own SDKs send "FALSE"
            # (the default reduceOnly/priceProtect of their batch order items).
            lowered = value.lower()
            if lowered in _TRUE_FALSE:
                return lowered
        if value not in param.enum:
            code, msg = _ENUM_ERRORS.get(
                name, (-1130, f"Data sent for parameter '{name}' is not valid.")
            )
            raise SimError(code, msg)
        return value
    if kind == "ARRAY":
        return _array(param, value)
    if name in _CLIENT_ID_FIELDS and not _CLIENT_ID.match(value):
        raise illegal_chars(name, _CLIENT_ID_RANGE)
    return value


_TRUE_FALSE = frozenset({"true", "false"})


def _array(param: ParamSpec, value: str) -> list[Any]:
    name = param.name
    try:
        items = json.loads(value)
    except ValueError:
        raise invalid_parameter(name) from None
    wanted = _ARRAY_ITEMS.get(param.items, object)
    if not isinstance(items, list) or not all(
        isinstance(item, wanted) and not isinstance(item, bool) for item in items
    ):
        raise invalid_parameter(name)
    if param.items == "OBJECT":
        found = _MAX_ITEMS.search(param.description)
        most = int(found.group(1)) if found else 5
        if not 1 <= len(items) <= most:
            raise SimError(-4082, f"Invalid number of batch place orders: {len(items)}")
    return items


def _read(
    params: tuple[ParamSpec, ...], received: Mapping[str, str], known: frozenset[str]
) -> dict[str, Any]:
    unread = [name for name in received if name not in known]
    if unread:
        read = len(received) - len(unread)
        raise SimError(
            -1104,
            f"Not all sent parameters were read; read '{read}' parameter(s) but was sent "
            f"'{len(received)}'.",
        )
    values: dict[str, Any] = {}
    for param in params:
        if param.name in _SERVER_CHECKED:
            continue
        value = received.get(param.name)
        if value is None or value == "":
            if param.required:
                raise mandatory_missing(param.name)
            if value == "":
                raise SimError(-1105, f"Parameter '{param.name}' was empty.")
            continue
        values[param.name] = _convert(param, value)
    return values


def read_params(spec: EndpointSpec, received: Mapping[str, str]) -> dict[str, Any]:
    """The endpoint's parameters by its spec, converted (LONG -> int, DECIMAL ->
    ``Decimal``, BOOLEAN -> bool, ARRAY -> the decoded list; absent optional ones absent),
    or the SimError Binance would answer. ``timestamp``, ``recvWindow`` and ``signature``
    are the server's security checks' (signed endpoints only): never passed on."""
    known = frozenset(param.name for param in spec.params)
    if spec.signed:
        known |= _SERVER_CHECKED
    values = _read(spec.params, received, known)
    rules_of(spec.market, spec.method, spec.path).check(values)
    return values


_SAME_RULES = re.compile(r"(?:Parameter|Paremeter) rules are same with `(New|Modify) Order`")


def _single_order(spec: EndpointSpec) -> EndpointSpec | None:
    """The single-order endpoint whose rules a batch's items follow: the batch's note
    ("Parameter rules are same with `New Order`"), else its method (POST: New Order,
    PUT: Modify Order) on the market's ``order`` path."""
    method = {"POST": "POST", "PUT": "PUT"}.get(spec.method)
    for note in spec.notes:
        found = _SAME_RULES.search(note)
        if found:
            method = "POST" if found.group(1) == "New" else "PUT"
    path = spec.path.replace("batchOrders", "order")
    for other in endpoints(spec.market):
        if (other.method, other.path) == (method, path):
            return other
    return None


def batch_item_reader(spec: EndpointSpec) -> Any:
    """A function reading one item of ``spec``'s ``batchOrders`` (a decoded JSON object)
    as a request of the single-order endpoint of its own: the item fields the spec lists,
    required where either the item or the single endpoint requires them, and that
    endpoint's rules; values as text, as Binance reads them."""
    batch = next(param for param in spec.params if param.name == "batchOrders")
    single = _single_order(spec)
    single_required = {p.name for p in single.params if p.required} if single else set()
    fields = tuple(
        ParamSpec(
            name=item.name,
            type=item.type,
            required=item.required or item.name in single_required,
            enum=item.enum,
            items=item.items,
        )
        for item in batch.item_fields
        if item.name not in _SERVER_CHECKED
    )
    known = frozenset(item.name for item in batch.item_fields)
    rules = rules_of(single.market, single.method, single.path) if single else None

    def read(item: Mapping[str, Any]) -> dict[str, Any]:
        text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in item.items()}
        values = _read(fields, text, known)
        if rules is not None:
            rules.check(values)
        return values

    return read

"""Reading a request's parameters the way Binance does: from the raw query string and form
body, checked against the endpoint's declaration, with Binance's -11xx error codes.

The rules per parameter (type, enum values, bounds, required) are derived once, at start,
from the catalog's pydantic ``Params`` models, so the simulator and the client agree by
construction; per request only a dictionary walk and a few regular expressions run.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import unquote_plus

import annotated_types
from pydantic.fields import FieldInfo

from aioca_binance.task import BinanceParams

from .endpoints import ParamSpec
from .errors import SimError, illegal_chars, invalid_parameter, mandatory_missing

__all__ = ["Field", "parse_pairs", "read_params", "read_spec_params", "specs_of"]

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


@dataclass(frozen=True, slots=True)
class Field:
    """What one parameter takes: ``kind`` is ``str``, ``int``, ``decimal``, ``literal``,
    ``list_int``, ``list_str`` or ``list_dict``."""

    name: str
    kind: str
    required: bool
    choices: frozenset[str] = frozenset()
    lo: int | None = None
    hi: int | None = None


_ENGINE_CHECKED = frozenset({"leverage"})
"""Parameters whose range the engine checks itself, answering Binance's own code (-4028
for a leverage out of range) rather than the generic -1130."""


def _constraints(metadata: list[Any]) -> Iterator[Any]:
    for item in metadata:
        if isinstance(item, FieldInfo):
            yield from _constraints(item.metadata)
        else:
            yield item


def _field(name: str, info: FieldInfo) -> Field:
    annotation: Any = info.annotation
    metadata: list[Any] = list(info.metadata)
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif origin is Union or origin is types.UnionType:
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            annotation = members[0]
        else:
            break
    lo = hi = None
    for item in _constraints(metadata):
        if isinstance(item, annotated_types.Ge):
            lo = int(item.ge)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Le):
            hi = int(item.le)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.MaxLen):
            hi = item.max_length
        elif isinstance(item, annotated_types.MinLen):
            lo = item.min_length
    required = info.is_required()
    if name in _ENGINE_CHECKED:
        lo = hi = None
    if annotation is int:
        return Field(name, "int", required, lo=lo, hi=hi)
    if annotation is Decimal:
        return Field(name, "decimal", required)
    if get_origin(annotation) is Literal:
        return Field(name, "literal", required, frozenset(map(str, get_args(annotation))))
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        while get_origin(item_type) is Annotated:
            item_type = get_args(item_type)[0]
        kind = {int: "list_int", str: "list_str"}.get(item_type, "list_dict")
        return Field(name, kind, required, lo=lo, hi=hi)
    return Field(name, "str", required)


def specs_of(model: type[BinanceParams], signed: bool) -> dict[str, Field]:
    """The parameters an endpoint reads, from its catalog ``Params`` model (plus
    ``timestamp`` and ``signature`` for signed endpoints)."""
    fields = {name: _field(name, info) for name, info in model.model_fields.items()}
    if signed:
        fields["timestamp"] = Field("timestamp", "int", True)
        fields["signature"] = Field("signature", "str", True)
    return fields


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


def _convert(field: Field, value: str) -> Any:
    kind = field.kind
    name = field.name
    if kind == "int":
        if not _INT.match(value):
            raise illegal_chars(name, _INT_RANGE)
        number = int(value)
        if (field.lo is not None and number < field.lo) or (
            field.hi is not None and number > field.hi
        ):
            raise invalid_parameter(name)
        return number
    if kind == "decimal":
        if not _DECIMAL.match(value):
            raise illegal_chars(name, _DECIMAL_RANGE)
        return Decimal(value)
    if kind == "literal":
        if value not in field.choices:
            code, msg = _ENUM_ERRORS.get(
                name, (-1130, f"Data sent for parameter '{name}' is not valid.")
            )
            raise SimError(code, msg)
        return value
    if kind.startswith("list_"):
        try:
            items = json.loads(value)
        except ValueError:
            raise invalid_parameter(name) from None
        wanted = {"list_int": int, "list_str": str, "list_dict": dict}[kind]
        if not isinstance(items, list) or not all(isinstance(item, wanted) for item in items):
            raise invalid_parameter(name)
        if kind == "list_dict" and not 1 <= len(items) <= (field.hi or 5):
            raise SimError(-4082, f"Invalid number of batch place orders: {len(items)}")
        if field.hi is not None and len(items) > field.hi:
            raise invalid_parameter(name)
        return items
    if name in _CLIENT_ID_FIELDS and not _CLIENT_ID.match(value):
        raise illegal_chars(name, _CLIENT_ID_RANGE)
    return value


def read_params(
    fields: dict[str, Field],
    received: dict[str, str],
    one_of: tuple[tuple[str, ...], ...] = (),
) -> dict[str, Any]:
    """The endpoint's parameters, converted (ints, ``Decimal``, lists), or the SimError
    Binance would answer: -1104 for a parameter the endpoint does not read, -1102 for a
    missing one, -1100/-1130 and the enum codes for a bad value."""
    unread = [name for name in received if name not in fields]
    if unread:
        read = len(received) - len(unread)
        raise SimError(
            -1104,
            f"Not all sent parameters were read; read '{read}' parameter(s) but was sent "
            f"'{len(received)}'.",
        )
    values: dict[str, Any] = {}
    for name, field in fields.items():
        value = received.get(name)
        if value is None or value == "":
            if field.required:
                raise mandatory_missing(name)
            if value == "":
                raise SimError(-1105, f"Parameter '{name}' was empty.")
            continue
        values[name] = _convert(field, value)
    for group in one_of:
        if all(name not in values for name in group):
            names = "' or '".join(group)
            raise SimError(-1102, f"Param '{names}' must be sent, but all were empty/null!")
    return values


_SERVER_CHECKED = frozenset({"timestamp", "signature", "recvWindow"})
"""Read by the server's security checks, not passed on to handlers."""
_ARRAY_ITEMS: dict[str | None, type] = {"LONG": int, "INT": int, "STRING": str, "OBJECT": dict}


def _convert_spec(param: ParamSpec, value: str) -> Any:
    """``value`` as the handler gets it, by the parameter's spec type."""
    kind = param.type
    name = param.name
    if kind in ("LONG", "INT"):
        if not _INT.match(value):
            raise illegal_chars(name, _INT_RANGE)
        return int(value)
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
        if value not in param.enum:
            code, msg = _ENUM_ERRORS.get(
                name, (-1130, f"Data sent for parameter '{name}' is not valid.")
            )
            raise SimError(code, msg)
        return value
    if kind == "ARRAY":
        try:
            items = json.loads(value)
        except ValueError:
            raise invalid_parameter(name) from None
        wanted = _ARRAY_ITEMS.get(param.items, object)
        if not isinstance(items, list) or not all(
            isinstance(item, wanted) and not isinstance(item, bool) for item in items
        ):
            raise invalid_parameter(name)
        return items
    if name in _CLIENT_ID_FIELDS and not _CLIENT_ID.match(value):
        raise illegal_chars(name, _CLIENT_ID_RANGE)
    return value


def read_spec_params(
    params: tuple[ParamSpec, ...], received: dict[str, str], *, signed: bool
) -> dict[str, Any]:
    """The endpoint's parameters by its spec, converted (LONG -> int, DECIMAL ->
    ``Decimal``, BOOLEAN -> bool, ARRAY -> the decoded list), or the SimError Binance
    would answer: -1104 for a parameter the endpoint does not read, -1102 for a missing
    one, -1105 for an empty optional one, -1100/-1130 and the enum codes for a bad value.
    ``timestamp``, ``recvWindow`` and ``signature`` are the server's: never passed on."""
    known = {param.name for param in params}
    if signed:
        known |= _SERVER_CHECKED
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
        values[param.name] = _convert_spec(param, value)
    return values

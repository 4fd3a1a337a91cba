"""What the generated response models of every market share.

The models (``aioca_binance.<market>.models``) are generated from the example answers
Binance documents, one convention for all of them:

* attributes are snake_case, each with Binance's key as its alias (``order_id`` reads
  ``orderId``; the one-letter keys get names: ``T`` is ``time``, or ``transaction_time``
  beside an ``E``); ``model_dump(by_alias=True)`` gives Binance's keys back;
* prices, quantities and rates are :class:`~decimal.Decimal` (never ``float``), ``None``
  where Binance leaves one blank (``""``, :data:`DecimalField`), times are ``int``
  milliseconds (:meth:`ResponseModel.datetime_of` gives an aware ``datetime``);
* every field may be missing (``None``): Binance adds fields and drops them (the COIN-M
  integration removed ``avgPrice`` from order answers), and an answer with one field
  more or less must still parse; a field not modelled is kept, as sent, in
  ``model_extra``;
* rows Binance sends as arrays (a candle, a price level) are read by position.

Nothing here runs until ``task.parsed`` is read: models are built on first use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, TypeAdapter, model_validator
from pydantic_core import core_schema

__all__ = ["DecimalField", "PriceLevel", "ResponseModel", "ResponseParser", "RowModel"]


def _blank_is_none(_blank: str) -> None:
    return None


class _BlankIsNone:
    """The schema of :data:`DecimalField`: a decimal, or ``""`` read as ``None``.

    Binance sends ``""`` where a number does not apply (the funding rate of a delivery
    contract, in premiumIndex answers and mark price streams). The schema is a pydantic-core
    union tried left to right, the decimal first: a number costs what a plain ``Decimal``
    field does plus the union's step, about 2-3 % of a stream message's parse (a
    ``BeforeValidator``, a Python function on every value, cost 8-10 %; a "smart" union,
    25 %); only a value the decimal refuses is compared with ``""``, whose function runs
    for blanks alone. The streams' fast path validates with the model's own validator
    (pydantic-core reuses it), so it reads blanks as every other path does. A value that
    is neither fails with one error at the field, ``decimal_parsing``, as a plain
    ``Decimal`` field's malformed string does (a union would otherwise report both of its
    branches); for a non-string (``[1]``) or ``"NaN"``, too, where the plain field says
    ``decimal_type`` or ``finite_number``."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        blank = core_schema.no_info_after_validator_function(
            _blank_is_none, core_schema.literal_schema([""])
        )
        number = core_schema.union_schema(
            [handler.generate_schema(Decimal), blank],
            mode="left_to_right",
            custom_error_type="decimal_parsing",
        )
        return core_schema.nullable_schema(number)


DecimalField = Annotated[Decimal | None, _BlankIsNone()]
"""A decimal field that may be blank: ``""`` reads as ``None`` (type checkers see
``Decimal | None``). Every ``Decimal`` field of the REST answers' models and of the stream
payloads' models is one, so a number Binance leaves blank never fails a whole answer or
message."""


class ResponseModel(BaseModel):
    """Base of the response models: frozen, unknown fields kept, built on first use,
    readable by attribute name or by Binance's key."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True, populate_by_name=True)

    def datetime_of(self, name: str) -> dt.datetime | None:
        """The millisecond time in field ``name`` (``"update_time"``) as an aware UTC
        ``datetime``; ``None`` when the answer did not carry it."""
        value = getattr(self, name)
        if value is None:
            return None
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)


class RowModel(ResponseModel):
    """A row Binance sends as a JSON array: the slots are the fields, in declaration order
    (``slots``); slots past the known ones are kept as extras named ``slot_12``, ...; a
    mapping with the field names is accepted as is."""

    slots: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, data: Any) -> Any:
        if not isinstance(data, list | tuple):
            return data
        if len(data) < len(cls.slots):
            raise ValueError(f"a row of {len(cls.slots)} slots, got {len(data)}")
        fields: dict[str, Any] = dict(zip(cls.slots, data, strict=False))
        for index in range(len(cls.slots), len(data)):
            fields[f"slot_{index}"] = data[index]
        return fields


class PriceLevel(NamedTuple):
    """One ``[price, qty]`` level of an order book's bids or asks."""

    price: Decimal
    qty: Decimal


class ResponseParser:
    """Parses answers by endpoint: the type of each ``(METHOD, path)``'s answer in
    ``types``, validated with a :class:`pydantic.TypeAdapter` built the first time that type
    is needed and kept (endpoints that share a type share one)."""

    def __init__(self, types: Mapping[tuple[str, str], object]) -> None:
        self.types = types
        self._adapters: dict[object, TypeAdapter[Any]] = {}

    def adapter(self, method: str, path: str) -> TypeAdapter[Any]:
        """The adapter of an endpoint's answer; ``LookupError`` for one without a type."""
        key = (method.upper(), path)
        try:
            answer_type: Any = self.types[key]
        except KeyError:
            raise LookupError(f"no response model for {key[0]} {path}") from None
        found = self._adapters.get(answer_type)
        if found is None:
            found = self._adapters[answer_type] = TypeAdapter(answer_type)
        return found

    def parse(self, method: str, path: str, data: Any) -> Any:
        """``data``, the decoded JSON of ``METHOD path``'s answer, as its models; raises
        ``LookupError`` for an endpoint without a type and ``pydantic.ValidationError`` for
        an answer that does not fit it."""
        return self.adapter(method, path).validate_python(data)

"""Parameter value types of the Binance catalogs: what a user writes, what Binance gets.

The generated tasks take Python values the way people write them and send them the way
Binance documents them:

* :data:`DecimalText` for prices and quantities: a ``Decimal``, an ``int`` or a ``str``
  (``"0.1"``), sent in plain notation. A ``float`` is taken only when it holds what its
  short form says (``0.1``, ``9000.5``, ``1e-05``: at most 15 significant digits, the
  digits a float keeps); one that carries binary noise (``0.1 + 0.2``) is refused with a
  message naming the value, rather than sent as ``0.30000000000000004``;
* :data:`Millis` for times in milliseconds: an ``int``, or an aware ``datetime`` (a naive
  one is refused: its time zone would be a guess);
* :data:`BooleanText` for Binance's ``"true"``/``"false"`` parameters: ``True``/``False``
  or the words, sent as the words (also inside a batch's JSON items, where Binance wants
  strings).

Each one is a pydantic type, so a wrong value is one more problem in the one
:class:`~aioca.errors.InvalidParameterError` a task raises, never a crash of its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from aioca.params import INT64_MAX, refuse_bool

__all__ = [
    "FLOAT_DIGITS",
    "BooleanText",
    "DecimalText",
    "Millis",
    "PositiveDecimalText",
    "decimal_from_user",
    "millis_from_user",
    "text_from_bool",
]

FLOAT_DIGITS = 15
"""Significant digits a ``float`` keeps exactly (``sys.float_info.dig``): a decimal with no
more than these survives the trip into a float and back."""


def decimal_from_user(value: Any) -> Any:
    """A float as the decimal it was written as, when it is one; booleans refused (pydantic
    reads ``True`` as 1). Other values go on to pydantic's own ``Decimal`` checks."""
    kind = value.__class__
    if kind is str or kind is Decimal or kind is int:  # the usual: nothing to do
        return value
    if kind is bool:
        raise ValueError("a boolean is not a number")
    if kind is float:
        short = format(value, f".{FLOAT_DIGITS}g")
        if float(short) != value:
            raise ValueError(
                f"the float {value!r} is not a decimal of {FLOAT_DIGITS} digits or fewer "
                "(binary rounding): pass a Decimal or a str, e.g. "
                f"Decimal('{format(Decimal(short), 'f')}')"
            )
        return Decimal(short)
    return value


def millis_from_user(value: Any) -> Any:
    """An aware ``datetime`` as milliseconds since the epoch; a naive one refused; booleans
    refused. Integers go on to the bounds of :data:`Millis`."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(
                "a naive datetime: give it a time zone (datetime(..., tzinfo=UTC)), or "
                "pass milliseconds since the epoch"
            )
        return round(value.timestamp() * 1000)
    return refuse_bool(value)


def text_from_bool(value: Any) -> Any:
    """``True``/``False`` as Binance's ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


DecimalText = Annotated[Decimal, BeforeValidator(decimal_from_user), Field(allow_inf_nan=False)]
"""A finite decimal (see the module for floats)."""
PositiveDecimalText = Annotated[
    Decimal, BeforeValidator(decimal_from_user), Field(gt=0, allow_inf_nan=False)
]
"""A price, quantity or rate: finite, greater than zero (see the module for floats)."""
Millis = Annotated[int, BeforeValidator(millis_from_user), Field(ge=0, le=INT64_MAX)]
"""A time in milliseconds since the epoch: an ``int`` or an aware ``datetime``."""
BooleanText = Annotated[Literal["true", "false"], BeforeValidator(text_from_bool)]
"""A boolean as Binance spells it on the wire; ``True``/``False`` accepted."""

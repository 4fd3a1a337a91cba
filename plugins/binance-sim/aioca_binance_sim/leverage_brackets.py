"""A futures contract's leverage brackets set by a test, in Binance's two spellings.

A test gives :meth:`BinanceSimulator.set_leverage_brackets` the rows it wants REST's
``leverageBracket`` to answer, keyed as that market answers them (USDⓈ-M
``/fapi/v1/leverageBracket``: ``bracket``, ``initialLeverage``, ``notionalCap``,
``notionalFloor``, ``maintMarginRatio``, ``cum``; COIN-M ``/dapi/v2/leverageBracket``:
``qtyCap`` and ``qtylFloor`` for the cap and floor, in contracts' base coin). They are
checked as one table (every problem named in one ``ValueError``): numbered from 1, each
floor the previous cap (the first 0), leverage falling and the maintenance ratio rising
from bracket to bracket, and ``cum`` Binance's maintenance amount, the sum over the
brackets below of ``floor * (ratio - previous ratio)``, which the USDⓈ-M engine uses in
the maintenance margin.

The same table is the ``bks`` of the ``!contractInfo`` event announcing it, keyed as
Binance's docs example: ``bs`` the bracket, ``bnf`` / ``bnc`` its floor and cap, ``mmr``
the maintenance ratio, ``cf`` the ``cum`` ("auxiliary number for quick calculation"),
``ma`` its leverage and ``mi`` the lowest leverage it covers (the next bracket's plus
one, 1 for the last: the example's brackets 50/21 and 20/11).

A COIN-M contract no test gave a table has :data:`COINM_BRACKETS`, the one table its REST
rows, its account's caps (``maxQty``, the highest leverage) and any ``bks`` are all read
from. Binance documents one row of it (``/dapi/v1/leverageBracket``'s example: 125x to 50,
ratio 0.004); the rows below it are the simulator's, and where its leverage ends (20x, for
every leverage from 1) no larger cap is assumed: :func:`cap_at` of a leverage at or below
the last bracket's is that bracket's cap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CAP_KEYS",
    "COINM_BRACKETS",
    "Bracket",
    "bks",
    "cap_at",
    "cumulative",
    "parse_brackets",
    "rest_rows",
    "table_of",
]

CAP_KEYS = {"usdm": ("notionalCap", "notionalFloor"), "coinm": ("qtyCap", "qtylFloor")}
"""What each market calls a bracket's cap and floor."""
_TOLERANCE = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Bracket:
    """One row of a leverage bracket table."""

    bracket: int
    initial_leverage: int
    cap: Decimal
    floor: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _row(market: str, index: int, row: Any, problems: list[str]) -> Bracket | None:
    where = f"bracket row {index}"
    if not isinstance(row, Mapping):
        problems.append(f"{where}: not a mapping but {type(row).__name__}")
        return None
    cap_key, floor_key = CAP_KEYS[market]
    keys = ("bracket", "initialLeverage", cap_key, floor_key, "maintMarginRatio", "cum")
    missing = [key for key in keys if key not in row]
    extra = sorted(str(key) for key in row if key not in keys)
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    if extra:
        problems.append(f"{where}: unknown {', '.join(extra)} (use {', '.join(keys)})")
    if missing:
        return None
    values = {key: _number(row[key]) for key in keys}
    for key, value in values.items():
        if value is None:
            problems.append(f"{where}: {key} {row[key]!r} is not a number")
    for key in ("bracket", "initialLeverage"):
        value = values[key]
        if value is not None and (value != value.to_integral_value() or value < 1):
            problems.append(f"{where}: {key} {row[key]!r} is not a whole number from 1")
    if any(value is None for value in values.values()):
        return None
    return Bracket(
        int(row["bracket"]),
        int(row["initialLeverage"]),
        _whole(values[cap_key]),
        _whole(values[floor_key]),
        values["maintMarginRatio"] or Decimal(0),
        values["cum"] or Decimal(0),
    )


def _whole(value: Decimal | None) -> Decimal:
    """A cap or floor without a trailing ``.0`` when whole (``5000.0`` answers ``5000``)."""
    number = value or Decimal(0)
    return Decimal(int(number)) if number == number.to_integral_value() else number


def parse_brackets(market: str, rows: Sequence[Mapping[str, Any]]) -> tuple[Bracket, ...]:
    """Check ``rows`` (REST's keys for ``market``) as one table; ``ValueError`` naming
    every problem."""
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not rows:
        raise ValueError("brackets must be a non-empty list of leverageBracket rows")
    problems: list[str] = []
    parsed = [_row(market, i, row, problems) for i, row in enumerate(rows, 1)]
    table = [row for row in parsed if row is not None]
    if len(table) == len(parsed):
        problems += _table_problems(table)
    if problems:
        raise ValueError("bad leverage brackets: " + "; ".join(problems))
    return tuple(table)


def cumulative(rows: Sequence[tuple[Decimal, Decimal]]) -> list[Decimal]:
    """Binance's ``cum`` of each bracket given as ``(floor, maintenance ratio)``: the
    previous bracket's plus ``floor * (ratio - previous ratio)`` (0 for the first)."""
    amounts, cum, ratio = [], Decimal(0), Decimal(0)
    for floor, row_ratio in rows:
        cum += floor * (row_ratio - ratio)
        amounts.append(cum)
        ratio = row_ratio
    return amounts


def table_of(rows: Sequence[tuple[int, int, int, int, str]]) -> tuple[Bracket, ...]:
    """A built-in table from ``(bracket, leverage, cap, floor, ratio)`` rows, each
    ``cum`` computed (:func:`cumulative`), so that it passes :func:`parse_brackets`."""
    ratios = [(Decimal(floor), Decimal(ratio)) for _, _, _, floor, ratio in rows]
    return tuple(
        Bracket(bracket, leverage, Decimal(cap), Decimal(floor), Decimal(ratio), cum)
        for (bracket, leverage, cap, floor, ratio), cum in zip(
            rows, cumulative(ratios), strict=True
        )
    )


def cap_at(table: Sequence[Bracket], leverage: int) -> Decimal:
    """The largest position at ``leverage`` (notional on USDⓈ-M, quantity on COIN-M): the
    cap of the last bracket that still allows it, the first bracket's for a leverage
    above them all (which a table set by a test can leave an account with)."""
    allowed = [row.cap for row in table if row.initial_leverage >= leverage]
    return max(allowed) if allowed else table[0].cap


COINM_BRACKETS = table_of(
    ((1, 125, 50, 0, "0.004"), (2, 50, 500, 50, "0.01"), (3, 20, 5000, 500, "0.025"))
)
"""Every COIN-M contract's brackets until a test sets its own (``cum`` by Binance's
formula): its first row is Binance's documented example."""


def _table_problems(table: list[Bracket]) -> list[str]:
    problems = []
    floor, ratio = Decimal(0), Decimal(0)
    expected = cumulative([(row.floor, row.maint_margin_ratio) for row in table])
    for index, (row, cum) in enumerate(zip(table, expected, strict=True), 1):
        where = f"bracket {index}"
        if row.bracket != index:
            problems.append(f"{where}: numbered {row.bracket} (brackets count from 1)")
        if row.floor != floor:
            problems.append(f"{where}: floor {row.floor} is not the previous cap {floor}")
        if row.cap <= row.floor:
            problems.append(f"{where}: cap {row.cap} is not above its floor {row.floor}")
        if index > 1 and row.initial_leverage >= table[index - 2].initial_leverage:
            problems.append(f"{where}: leverage {row.initial_leverage} does not fall")
        if not Decimal(0) < row.maint_margin_ratio < 1:
            problems.append(f"{where}: maintMarginRatio {row.maint_margin_ratio} not in (0, 1)")
        elif row.maint_margin_ratio < ratio:
            problems.append(f"{where}: maintMarginRatio {row.maint_margin_ratio} falls")
        if abs(row.cum - cum) > _TOLERANCE:
            problems.append(f"{where}: cum {row.cum} is not {cum.normalize():f}")
        floor, ratio = row.cap, row.maint_margin_ratio
    return problems


def _plain(value: Decimal) -> int | float:
    """A JSON number as Binance writes these: whole numbers as integers."""
    return int(value) if value == value.to_integral_value() else float(value)


def rest_rows(market: str, table: Sequence[Bracket]) -> list[dict[str, Any]]:
    """The table as ``leverageBracket`` answers it (``market``'s keys)."""
    cap_key, floor_key = CAP_KEYS[market]
    return [
        {
            "bracket": row.bracket,
            "initialLeverage": row.initial_leverage,
            cap_key: _plain(row.cap),
            floor_key: _plain(row.floor),
            "maintMarginRatio": float(row.maint_margin_ratio),
            "cum": _plain(row.cum) if market == "usdm" else float(row.cum),
        }
        for row in table
    ]


def bks(table: Sequence[Bracket]) -> list[dict[str, Any]]:
    """The table as ``!contractInfo``'s ``bks``."""
    return [
        {
            "bs": row.bracket,
            "bnf": _plain(row.floor),
            "bnc": _plain(row.cap),
            "mmr": float(row.maint_margin_ratio),
            "cf": _plain(row.cum),
            "mi": table[i + 1].initial_leverage + 1 if i + 1 < len(table) else 1,
            "ma": row.initial_leverage,
        }
        for i, row in enumerate(table)
    ]

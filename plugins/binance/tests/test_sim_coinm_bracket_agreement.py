"""Every COIN-M contract's leverage caps, REST bracket rows and ``!contractInfo`` brackets
are one table.

Binance's ``/dapi/v2/leverageBracket`` answers a contract's brackets: ``initialLeverage``
is "the maximum leverage" of a bracket and ``qtyCap`` its "upper edge of base asset
quantity", so a bracket covers the leverages from the next bracket's plus one (1 for the
last) to its own, and the account's cap at a leverage (``maxQty`` of ``POST
/dapi/v1/leverage`` and of ``positionRisk``) is the ``qtyCap`` of the bracket covering
it; a leverage above the first bracket's is refused (-4028). For every contract, at every
leverage a client can ask for (1 to 125), the simulator must answer those caps
from the very rows REST answers; announcing those same rows as a change
(``sim.set_leverage_brackets``) must push them as ``bks`` and change neither REST's rows
nor any cap (a built-in cap table apart from the REST rows shows up as a cap that moves).
The last test breaks the simulator on purpose (a cap table of its own with a fourth
level, as the simulator had) and sees the check fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import published
from test_sim_contract_brackets import _as_bks

from aioca.errors import ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMChangeInitialLeverage,
    CoinMNotionalBracketForSymbol,
    CoinMPositionInformation,
)
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim import engine as coinm_engine

_LEVERAGES = 125
"""The leverages a client can ask for (1 to 125: aioca refuses more before sending)."""

Caps = dict[str, dict[int, str | int]]
"""Per contract, per leverage: ``maxQty`` as answered, or the refusal's error code."""


@contextlib.asynccontextmanager
async def _market() -> AsyncIterator[tuple[BinanceSimulator, BinanceRestApi, FakeClock]]:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=6, clock=clock, weight_limit=1_000_000) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
    ):
        follow_clock(api, sim)
        yield sim, api, clock


async def _rest_rows(api: BinanceRestApi) -> dict[str, list[dict[str, Any]]]:
    """Every contract's rows of ``/dapi/v2/leverageBracket``."""
    answer = await CoinMNotionalBracketForSymbol(api=api).run()
    return {row["symbol"]: list(row["brackets"]) for row in answer}


def _documented_cap(rows: list[dict[str, Any]], leverage: int) -> str | int:
    """What Binance's rows mean at ``leverage``: the ``qtyCap`` of the bracket covering
    it (the lowest ``initialLeverage`` at or above it), -4028 above the first's."""
    covering = [row for row in rows if row["initialLeverage"] >= leverage]
    if not covering:
        return -4028
    return str(min(covering, key=lambda row: row["initialLeverage"])["qtyCap"])


async def _caps(api: BinanceRestApi, symbols: list[str], top: int) -> Caps:
    """``maxQty`` at every leverage from ``top`` down to 1 (the account then holds 1x)."""
    caps: Caps = {}
    for symbol in symbols:
        caps[symbol] = {}
        for leverage in range(top, 0, -1):
            try:
                answer = await CoinMChangeInitialLeverage(
                    api=api, symbol=symbol, leverage=leverage
                ).run()
            except ExchangeError as refused:
                caps[symbol][leverage] = refused.code
            else:
                caps[symbol][leverage] = answer["maxQty"]
    return caps


async def _held_caps(api: BinanceRestApi) -> dict[str, str]:
    """``positionRisk``'s ``maxQty`` of every contract (one row per contract: one-way)."""
    return {row["symbol"]: row["maxQty"] for row in await CoinMPositionInformation(api=api).run()}


async def _disagreements() -> list[str]:
    """Where caps, REST rows and ``bks`` part, for every COIN-M contract."""
    problems: list[str] = []
    async with _market() as (sim, api, clock):
        rows = await _rest_rows(api)
        top = _LEVERAGES
        caps = await _caps(api, sorted(rows), top)
        held = await _held_caps(api)
        at = 0
        for symbol, table in rows.items():
            at = sim.set_leverage_brackets("coinm", symbol, table)
        events = published(sim, "coinm", "!contractInfo", at // 1000)
        clock.advance(1.0)
        follow_clock(api, sim)
        rows_after = await _rest_rows(api)
        caps_after = await _caps(api, sorted(rows), top)
    bks = {event["s"]: event["bks"] for event in events}
    if set(rows) != set(sim.market.instruments):
        problems.append(f"REST rows for {sorted(rows)}, not every contract")
    for symbol, table in rows.items():
        wanted = {lev: _documented_cap(table, lev) for lev in range(top, 0, -1)}
        if caps[symbol] != wanted:
            parted = {lev: cap for lev, cap in caps[symbol].items() if cap != wanted[lev]}
            problems.append(f"{symbol}: caps {parted} are not REST's rows' {table}")
        if held.get(symbol) != wanted[1]:
            problems.append(f"{symbol}: positionRisk maxQty {held.get(symbol)} at 1x")
        if bks.get(symbol) != _as_bks("coinm", table):
            problems.append(f"{symbol}: bks {bks.get(symbol)} != REST's {table}")
        if rows_after[symbol] != table:
            problems.append(f"{symbol}: REST's rows {rows_after[symbol]} after announcing them")
        if caps_after[symbol] != caps[symbol]:
            problems.append(f"{symbol}: the caps moved once its own rows were announced")
    return problems


async def test_every_contract_s_caps_rest_rows_and_bks_are_one_table() -> None:
    assert await _disagreements() == []


# --- the check can fail ----------------------------------------------------------------------


def _four_levels(self: Any, symbol: str, leverage: int, now: int) -> Decimal:
    """The cap table the simulator had apart from its REST rows (a fourth level, 50000
    up to 10x, that no REST row listed)."""
    if leverage > 50:
        return Decimal(50)
    if leverage > 20:
        return Decimal(500)
    return Decimal(5000 if leverage > 10 else 50_000)


async def test_the_check_fails_when_the_caps_have_a_table_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(coinm_engine.Engine, "max_qty", _four_levels)
    problems = await _disagreements()
    assert problems
    assert all("caps" in problem or "positionRisk" in problem for problem in problems)

"""COIN-M's two ``leverageBracket`` endpoints answer one table, with Binance's ``cum``.

``/dapi/v1/leverageBracket`` answers per pair, ``/dapi/v2/leverageBracket`` per contract;
the simulator's tables are per contract (``sim.set_leverage_brackets``), a pair's being
its perpetual's. Each answer must pass the check ``set_leverage_brackets`` applies
(:func:`~aioca_binance_sim.leverage_brackets.parse_brackets`: ``cum`` of bracket n is
``cum(n-1) + floor_n * (mmr_n - mmr_(n-1))``), v1's rows for a pair must be v2's for its
perpetual, before and after a test sets a table. The last test breaks the simulator on
purpose (the old stand-in with ``cum`` 0, v1 ignoring a set table) and sees it fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from test_sim_contract_brackets import _table

from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMNotionalBracketForPair, CoinMNotionalBracketForSymbol
from aioca_binance_sim import BinanceSimulator, account_handlers
from aioca_binance_sim import engine as coinm_engine
from aioca_binance_sim.leverage_brackets import (
    COINM_BRACKETS,
    Bracket,
    parse_brackets,
    rest_rows,
)


@contextlib.asynccontextmanager
async def _market() -> AsyncIterator[tuple[BinanceSimulator, BinanceRestApi, FakeClock]]:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
    ):
        follow_clock(api, sim)
        yield sim, api, clock


async def _both(api: BinanceRestApi) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every pair's rows (v1) and every contract's (v2)."""
    pairs = await CoinMNotionalBracketForPair(api=api).run()
    contracts = await CoinMNotionalBracketForSymbol(api=api).run()
    return (
        {row["pair"]: row["brackets"] for row in pairs},
        {row["symbol"]: row["brackets"] for row in contracts},
    )


def _problems(pairs: dict[str, Any], contracts: dict[str, Any]) -> list[str]:
    """Where v1 and v2 part, or a table fails ``set_leverage_brackets``'s check."""
    problems = []
    for pair, rows in pairs.items():
        if rows != contracts.get(f"{pair}_PERP"):
            problems.append(f"{pair}: v1 {rows} != v2 {contracts.get(f'{pair}_PERP')}")
    for symbol, rows in contracts.items():
        try:
            parse_brackets("coinm", rows)
        except ValueError as error:
            problems.append(f"{symbol}: {error}")
    return problems


async def test_both_endpoints_answer_the_stand_in_with_binance_s_cum() -> None:
    async with _market() as (_, api, _clock):
        pairs, contracts = await _both(api)
        (one,) = await CoinMNotionalBracketForPair(api=api, pair="ETHUSD").run()
    assert _problems(pairs, contracts) == []
    assert len(pairs) == 5
    assert len(contracts) > len(pairs)
    assert one == {"pair": "ETHUSD", "brackets": pairs["ETHUSD"]}
    cums = [row["cum"] for row in pairs["BTCUSD"]]
    assert cums[0] == 0
    assert all(c > 0 for c in cums[1:])  # the old table had 0.0 throughout


async def test_a_set_table_is_answered_by_both_endpoints() -> None:
    async with _market() as (sim, api, clock):
        sim.set_leverage_brackets("coinm", "BTCUSD_PERP", _table("coinm"))
        clock.advance(1.0)  # the change takes effect at the next whole second
        follow_clock(api, sim)
        pairs, contracts = await _both(api)
    wanted = rest_rows("coinm", parse_brackets("coinm", _table("coinm")))
    assert pairs["BTCUSD"] == contracts["BTCUSD_PERP"] == wanted
    assert pairs["ETHUSD"] != wanted  # only that pair's
    assert _problems(pairs, contracts) == []


# --- the comparison can fail ---------------------------------------------------------------

_OLD_STAND_IN = tuple(
    Bracket(b, lev, Decimal(cap), Decimal(floor), Decimal(ratio), Decimal(0))
    for b, lev, cap, floor, ratio in (
        (1, 125, 50, 0, "0.004"), (2, 50, 500, 50, "0.01"), (3, 20, 5000, 500, "0.025")
    )
)  # fmt: skip
"""The table both endpoints answered before, ``cum`` 0.0 in every bracket."""


def _ignoring_set_tables(call: Any, symbol: str) -> list[dict[str, Any]]:
    return rest_rows("coinm", COINM_BRACKETS)


@pytest.mark.parametrize("mutation", ["cum zero", "set table ignored"])
async def test_the_checks_fail_when_the_simulator_is_broken(
    mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mutation == "cum zero":
        monkeypatch.setattr(coinm_engine, "COINM_BRACKETS", _OLD_STAND_IN)
        with pytest.raises(AssertionError):
            await test_both_endpoints_answer_the_stand_in_with_binance_s_cum()
    else:
        monkeypatch.setattr(account_handlers, "_brackets", _ignoring_set_tables)
        with pytest.raises(AssertionError):
            await test_a_set_table_is_answered_by_both_endpoints()

"""Leverage bracket changes: ``sim.set_leverage_brackets(market, symbol, rows)`` and the
``!contractInfo`` event that announces them, on USDⓈ-M and COIN-M.

The rows are REST's (``/fapi/v1/leverageBracket``, ``/dapi/v2/leverageBracket``); from the
next simulated second REST answers them and ``!contractInfo`` pushes exactly one event
whose ``bks`` is the same table, keyed as Binance's documented example (``bs``, ``bnf``,
``bnc``, ``mmr``, ``cf``, ``mi``, ``ma``). Checked here: the event's shape against the
documented example (no ``st``: see :mod:`aioca_binance_sim.contracts`), its typed arrival
through ``market_stream``, its agreement with REST before and after, the accounts' caps
following the new brackets, bad tables refused naming every problem, and
deliberate breakages that the agreement check catches.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import documented_streams, publish_and_read, published, shape, subscribed

from aioca.errors import ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMChangeInitialLeverage,
    CoinMNotionalBracketForSymbol,
    CoinMPositionInformation,
)
from aioca_binance.streams import coinm, usdm
from aioca_binance.usdm import (
    UsdmChangeInitialLeverage,
    UsdmNotionalAndLeverageBrackets,
    UsdmPositionInformationV2,
)
from aioca_binance_sim import BinanceSimulator

SYMBOLS = {"usdm": "ETHUSDT", "coinm": "ETHUSD_PERP"}
CAPS = {"usdm": ("notionalCap", "notionalFloor"), "coinm": ("qtyCap", "qtylFloor")}


def _table(market: str) -> list[dict[str, Any]]:
    """The brackets of Binance's documented ``!contractInfo`` example (50x to 5000, 20x
    to 25000), and a third (10x) so that the second's lowest leverage is 11 as there."""
    cap, floor = CAPS[market]
    rows = [
        (1, 50, 5000, 0, 0.01, 0),
        (2, 20, 25000, 5000, 0.025, 75),
        (3, 10, 50000, 25000, 0.05, 700),
    ]
    return [
        {"bracket": b, "initialLeverage": lev, cap: c, floor: f, "maintMarginRatio": r, "cum": cum}
        for b, lev, c, f, r, cum in rows
    ]


def _as_bks(market: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """REST's bracket rows written as ``bks`` (what the event must carry)."""
    cap, floor = CAPS[market]
    return [
        {
            "bs": row["bracket"],
            "bnf": row[floor],
            "bnc": row[cap],
            "mmr": row["maintMarginRatio"],
            "cf": row["cum"],
            "mi": rows[i + 1]["initialLeverage"] + 1 if i + 1 < len(rows) else 1,
            "ma": row["initialLeverage"],
        }
        for i, row in enumerate(rows)
    ]


async def _rest_brackets(api: BinanceRestApi, market: str, symbol: str) -> list[dict[str, Any]]:
    if market == "usdm":
        answer: Any = await UsdmNotionalAndLeverageBrackets(api=api, symbol=symbol).run()
    else:
        (answer,) = await CoinMNotionalBracketForSymbol(api=api, symbol=symbol).run()
    assert answer["symbol"] == symbol
    return list(answer["brackets"])


def _typed_bks(event: Any) -> list[dict[str, Any]]:
    rows = getattr(event, "notional_bracket_updates", None) or event.bracket_list
    return [
        {
            "bs": row.notional_bracket,
            "bnf": row.floor_notional,
            "bnc": row.cap_notional,
            "mmr": float(row.maintenance_ratio),
            "cf": row.auxiliary_number,
            "mi": row.min_leverage,
            "ma": row.max_leverage,
        }
        for row in rows
    ]


def _disagreements(
    market: str, events: list[Any], before: list[Any], after: list[Any], old: list[Any]
) -> list[str]:
    """Where the stream and REST part: one event after the change, its ``bks`` REST's
    new rows, and REST's rows before the change the old ones."""
    problems = []
    if len(events) != 1:
        problems.append(f"{len(events)} contractInfo events, not one")
    if before != old:
        problems.append(f"REST answered {before} before the change, not the old {old}")
    for event in events:
        if _typed_bks(event) != _as_bks(market, after):
            problems.append(f"bks {_typed_bks(event)} != REST's {_as_bks(market, after)}")
    return problems


async def _change_and_follow(market: str) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Set the table mid-second; read the stream and REST's rows around the change."""
    symbol = SYMBOLS[market]
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
        subscribed(sim, market, "!contractInfo") as (stream, hub),
    ):
        follow_clock(api, sim)
        old = await _rest_brackets(api, market, symbol)
        clock.advance(0.25)  # mid-second: the change waits for the next second
        sim.set_leverage_brackets(market, symbol, _table(market))
        follow_clock(api, sim)
        before = await _rest_brackets(api, market, symbol)
        events = [message.data for message in await publish_and_read(stream, hub, clock, 3)]
        follow_clock(api, sim)
        after = await _rest_brackets(api, market, symbol)
    return events, before, after, old


# --- shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize("market", ["usdm", "coinm"])
def test_a_bracket_change_is_shaped_as_binance_s_example_with_its_brackets(market: str) -> None:
    documented = documented_streams(market)["!contractInfo"]

    async def build() -> tuple[int, list[Any], list[Any]]:
        async with BinanceSimulator(seed=3) as sim:
            at = sim.set_leverage_brackets(market, SYMBOLS[market], _table(market))
            return (
                at,
                published(sim, market, "!contractInfo", at // 1000 - 1),
                published(sim, market, "!contractInfo", at // 1000),
            )

    at, earlier, (event,) = asyncio.run(build())
    assert earlier == []
    assert at % 1000 == 0
    assert shape(event) == shape(documented)  # every documented key, bks too; no st
    assert list(event) == list(documented)  # in the documented order
    assert event["bks"][:2] == documented["bks"]  # the documented brackets, value for value
    assert event["bks"][2] == {
        "bs": 3, "bnf": 25000, "bnc": 50000, "mmr": 0.05, "cf": 700, "mi": 1, "ma": 10,
    }  # fmt: skip
    assert (event["s"], event["cs"], event["E"]) == (SYMBOLS[market], "TRADING", at)


def test_a_status_and_a_bracket_change_each_send_their_event() -> None:
    async def build() -> list[Any]:
        async with BinanceSimulator(seed=3) as sim:
            sim.set_contract_status("usdm", "BTCUSDT", "SETTLING")
            at = sim.set_leverage_brackets("usdm", "BTCUSDT", _table("usdm"))
            return published(sim, "usdm", "!contractInfo", at // 1000)

    status, brackets = asyncio.run(build())
    assert "bks" not in status
    assert status["cs"] == "SETTLING"
    assert brackets["cs"] == "SETTLING"  # the contract's status as the brackets change
    assert brackets["bks"] == _as_bks("usdm", _table("usdm"))


# --- typed, and in agreement with REST -----------------------------------------------------


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_one_typed_event_carries_what_rest_answers_from_the_next_second(
    market: str,
) -> None:
    events, before, after, old = await _change_and_follow(market)
    model = usdm.ContractInfo if market == "usdm" else coinm.ContractInfo
    assert all(isinstance(event, model) for event in events)
    assert _disagreements(market, events, before, after, old) == []
    assert after == _table(market)  # REST answers the rows given, as given
    assert old != after


@pytest.mark.parametrize(
    "mutation", ["bks swaps mi and ma", "REST ignores the change", "two events"]
)
async def test_the_agreement_check_catches_a_broken_simulator(
    mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aioca_binance_sim import contracts
    from aioca_binance_sim.contracts import ContractChanges

    if mutation == "bks swaps mi and ma":
        made = contracts.bks

        def swapped(table: Any) -> list[dict[str, Any]]:
            return [{**row, "mi": row["ma"], "ma": row["mi"]} for row in made(table)]

        monkeypatch.setattr(contracts, "bks", swapped)
    elif mutation == "REST ignores the change":
        monkeypatch.setattr(ContractChanges, "brackets", lambda self, symbol, now: None)
    else:
        in_second = ContractChanges.brackets_in_second
        monkeypatch.setattr(
            ContractChanges,
            "brackets_in_second",
            lambda self, second: in_second(self, second) or in_second(self, second - 1),
        )
    events, before, after, old = await _change_and_follow("usdm")
    assert _disagreements("usdm", events, before, after, old) != []


# --- the engine follows ------------------------------------------------------------------


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_the_account_s_caps_follow_the_new_brackets(market: str) -> None:
    """Changing the leverage answers the cap of the new table's bracket (USDⓈ-M
    ``maxNotionalValue``, COIN-M ``maxQty``), a leverage above its first bracket is
    refused as Binance refuses a leverage the symbol does not offer, and the positions
    answer the cap of the leverage the account holds."""
    change = UsdmChangeInitialLeverage if market == "usdm" else CoinMChangeInitialLeverage
    positions = UsdmPositionInformationV2 if market == "usdm" else CoinMPositionInformation
    key = "maxNotionalValue" if market == "usdm" else "maxQty"
    symbol = SYMBOLS[market]
    which = {"symbol": symbol} if market == "usdm" else {"pair": "ETHUSD"}
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
    ):
        follow_clock(api, sim)
        before = await change(api=api, symbol=symbol, leverage=20).run()
        sim.set_leverage_brackets(market, symbol, _table(market))
        clock.advance(1.0)
        follow_clock(api, sim)
        after = await change(api=api, symbol=symbol, leverage=20).run()
        at_ten = await change(api=api, symbol=symbol, leverage=10).run()
        with pytest.raises(ExchangeError) as refused:
            await change(api=api, symbol=symbol, leverage=51).run()
        (held,) = [
            row for row in await positions(api=api, **which).run() if row["symbol"] == symbol
        ]
    assert before[key] != "25000"
    assert after[key] == "25000"  # bracket 2: 20x up to 25000
    assert at_ten[key] == "50000"
    assert refused.value.code == -4028  # the table's first bracket allows 50x at most
    assert held[key] == "50000"  # at the account's 10x


# --- refused -------------------------------------------------------------------------------


async def test_a_bad_table_is_refused_naming_every_problem() -> None:
    async with BinanceSimulator(seed=1) as sim:
        good = _table("usdm")
        bad = [
            {**good[0], "notionalCap": "lots"},
            {**good[1], "bracket": 5, "notionalFloor": 6000, "initialLeverage": 60},
            {**good[2], "cum": 1},
            {"bracket": 4, "qtyCap": 1},
        ]
        with pytest.raises(ValueError, match="bad leverage brackets") as refused:
            sim.set_leverage_brackets("usdm", "ETHUSDT", bad)
        message = str(refused.value)
        for problem in (
            "bracket row 1: notionalCap 'lots' is not a number",
            "bracket row 4: missing initialLeverage, notionalCap, notionalFloor",
            "unknown qtyCap",
        ):
            assert problem in message
        with pytest.raises(ValueError, match="bad leverage brackets") as refused:
            sim.set_leverage_brackets("usdm", "ETHUSDT", [good[0], bad[1], bad[2]])
        message = str(refused.value)
        for problem in (
            "bracket 2: numbered 5",
            "bracket 2: floor 6000 is not the previous cap 5000",
            "bracket 2: leverage 60 does not fall",
            "bracket 3: cum 1 is not",
        ):
            assert problem in message
        with pytest.raises(ValueError, match="unknown notionalCap"):
            sim.set_leverage_brackets("coinm", "ETHUSD_PERP", good)  # COIN-M's keys differ
        with pytest.raises(ValueError, match="no usdm contract 'ETHUSD_PERP'"):
            sim.set_leverage_brackets("usdm", "ETHUSD_PERP", good)
        with pytest.raises(ValueError, match="no futures market 'spot'"):
            sim.set_leverage_brackets("spot", "ETHUSDT", good)
        with pytest.raises(ValueError, match="non-empty list"):
            sim.set_leverage_brackets("usdm", "ETHUSDT", [])
        assert sim.venues["usdm"].market.core.contracts.bracket_changes == []
        assert sim.market.contracts.bracket_changes == []


def test_cum_is_checked_to_binance_s_formula() -> None:
    from aioca_binance_sim.leverage_brackets import parse_brackets

    table = parse_brackets("usdm", _table("usdm"))
    assert [row.cum for row in table] == [0, 75, 700]
    assert [row.cap for row in table] == [Decimal(5000), Decimal(25000), Decimal(50000)]

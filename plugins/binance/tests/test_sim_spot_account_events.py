"""The simulator's Spot ``outboundAccountPosition`` and pegged ``executionReport``, raw
over the WebSocket API, against REST at each step.

Binance sends ``outboundAccountPosition`` "any time an account balance has changed" with
"the assets that were possibly changed by the event that generated the balance change":
so one per action that changed balances, after that action's ``executionReport`` events
(before its ``listStatus``), naming the assets it changed, and none for an action that
changed nothing. Each test places, fills or cancels through REST with the clock stopped,
reads every frame the action made, and compares the exact sequence of events, each
position's figures with ``GET /api/v3/account`` and each report's price and peg with
``GET /api/v3/order`` at that moment. The last test breaks the simulator on purpose (the
old sequence, a missing position, the pegged price as ``p``, no peg fields) and sees the
comparison fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import events_until_quiet, subscribe_user_data

from aioca_binance import BinanceRestApi
from aioca_binance.spot import (
    SpotAccount,
    SpotCancelOrder,
    SpotCancelOrderList,
    SpotNewOrder,
    SpotOrderListOto,
    SpotQueryOrder,
)
from aioca_binance_sim import BinanceSimulator, ws_api

BTC = "BTCUSDT"
QTY = Decimal("0.01")
ER, POSITION, LIST = "executionReport", "outboundAccountPosition", "listStatus"
_PEG = {"pegPriceType": "gP", "pegOffsetType": "gOT", "pegOffsetValue": "gOV"}


class Session:
    """A simulator with a stopped clock, its REST API and a raw user-data subscription."""

    def __init__(self, sim: BinanceSimulator, api: BinanceRestApi, ws: Any) -> None:
        self.sim, self.api, self.ws = sim, api, ws

    def price(self, factor: str) -> Decimal:
        """``factor`` times BTCUSDT's last trade price, on the tick."""
        venue = self.sim.venues["spot"]
        spec = venue.symbols[BTC]
        last = spec.tick * venue.tape.last_trade(spec, self.sim.now_ms()).ticks
        return (last * Decimal(factor)).quantize(spec.tick)

    async def events(self) -> list[dict[str, Any]]:
        """Every event the last action sent (until none comes for 0.3 s)."""
        return await events_until_quiet(self.ws)

    async def disagreements(self, events: list[dict[str, Any]]) -> list[str]:
        """Where the positions and reports among ``events`` differ from REST now."""
        problems = []
        account = await SpotAccount(api=self.api).run()
        balances = {row["asset"]: (row["free"], row["locked"]) for row in account["balances"]}
        for event in events:
            if event["e"] == POSITION:
                for row in event["B"]:
                    if balances.get(row["a"]) != (row["f"], row["l"]):
                        problems.append(f"{row} != REST {balances.get(row['a'])}")
            if event["e"] == ER:
                order = await SpotQueryOrder(api=self.api, symbol=BTC, orderId=event["i"]).run()
                problems += _report_problems(event, order)
        return problems


def _report_problems(report: dict[str, Any], order: dict[str, Any]) -> list[str]:
    """A report's price and peg against REST's order (``peggedPrice`` only while the
    report's status is REST's: it may be the last of several)."""
    problems = []
    if report["p"] != order["price"]:
        problems.append(f"p {report['p']} != REST price {order['price']}")
    want = {key: order[name] for name, key in _PEG.items() if name in order}
    if "peggedPrice" in order:
        want["gp"] = order["peggedPrice"]
    got = {key: report[key] for key in ("gP", "gOT", "gOV", "gp") if key in report}
    if got != want:
        problems.append(f"peg {got} != REST {want}")
    return problems


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    return [str(event["e"]) for event in events]


def _assets(event: dict[str, Any]) -> set[str]:
    return {row["a"] for row in event["B"]}


@contextlib.asynccontextmanager
async def _session() -> AsyncIterator[Session]:
    async with (
        BinanceSimulator(seed=5, clock=FakeClock()) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
        aiohttp.ClientSession() as http,
        http.ws_connect(sim.ws_api_url) as ws,
    ):
        follow_clock(api, sim)
        await subscribe_user_data(sim, api, ws)
        yield Session(sim, api, ws)


# --- market and limit orders ---------------------------------------------------------------


async def _market_buy(session: Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    placed = await SpotNewOrder(
        api=session.api, symbol=BTC, side="BUY", type="MARKET", quantity=Decimal("0.5")
    ).run()
    return placed, await session.events()


async def test_a_market_order_sends_its_reports_then_one_position() -> None:
    async with _session() as session:
        placed, events = await _market_buy(session)
        problems = await session.disagreements(events)
    fills = len(placed["fills"])
    assert fills >= 2  # the case: one position for several fills
    assert _kinds(events) == [ER] * (1 + fills) + [POSITION]
    assert [e["x"] for e in events[:-1]] == ["NEW"] + ["TRADE"] * fills
    assert _assets(events[-1]) == {"BTC", "USDT"}
    assert problems == []


async def test_a_resting_order_and_its_cancellation_each_send_one_position() -> None:
    async with _session() as session:
        placed = await SpotNewOrder(
            api=session.api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
            quantity=QTY, price=session.price("0.98"),
        ).run()  # fmt: skip
        new = await session.events()
        problems = await session.disagreements(new)
        await SpotCancelOrder(api=session.api, symbol=BTC, orderId=placed["orderId"]).run()
        canceled = await session.events()
        problems += await session.disagreements(canceled)
    assert _kinds(new) == [ER, POSITION]
    assert _kinds(canceled) == [ER, POSITION]
    assert (new[0]["x"], canceled[0]["x"]) == ("NEW", "CANCELED")
    assert _assets(new[1]) == _assets(canceled[1]) == {"USDT"}  # the hold, then its release
    assert problems == []


# --- order lists ---------------------------------------------------------------------------


async def test_an_oto_s_pending_report_adds_no_position() -> None:
    async with _session() as session:
        placed = await SpotOrderListOto(
            api=session.api, symbol=BTC, workingType="LIMIT", workingSide="BUY",
            workingPrice=session.price("0.98"), workingQuantity=QTY, workingTimeInForce="GTC",
            pendingType="LIMIT_MAKER", pendingSide="SELL", pendingQuantity=QTY,
            pendingPrice=session.price("1.05"),
        ).run()  # fmt: skip
        new = await session.events()
        problems = await session.disagreements(new)
        await SpotCancelOrderList(
            api=session.api, symbol=BTC, orderListId=placed["orderListId"]
        ).run()
        canceled = await session.events()
        problems += await session.disagreements(canceled)
    assert _kinds(new) == [ER, ER, POSITION, LIST]
    assert [e["X"] for e in new[:2]] == ["NEW", "PENDING_NEW"]
    assert _assets(new[2]) == {"USDT"}  # the working buy's hold; the pending sell holds none
    assert _kinds(canceled) == [ER, ER, POSITION, LIST]
    assert _assets(canceled[2]) == {"USDT"}
    assert problems == []


async def test_an_oto_filled_at_once_sends_one_position_for_its_whole_placement() -> None:
    """The working buy takes at once and its pending sell goes to the book: one action,
    so one position, with both assets (the buy's quote paid, its base bought and the
    sell's hold of it), after every report and before the listStatus."""
    async with _session() as session:
        await SpotOrderListOto(
            api=session.api, symbol=BTC, workingType="LIMIT", workingSide="BUY",
            workingPrice=session.price("1.02"), workingQuantity=QTY, workingTimeInForce="GTC",
            pendingType="LIMIT_MAKER", pendingSide="SELL", pendingQuantity=QTY,
            pendingPrice=session.price("1.05"),
        ).run()  # fmt: skip
        events = await session.events()
        problems = await session.disagreements(events)
    reports = [(e["x"], e["X"]) for e in events if e["e"] == ER]
    assert reports[:2] == [("NEW", "NEW"), ("NEW", "PENDING_NEW")]
    assert reports[-1] == ("NEW", "NEW")  # the pending sell, released
    assert {x for x, _ in reports[2:-1]} == {"TRADE"}
    assert _kinds(events) == [ER] * len(reports) + [POSITION, LIST]
    assert _assets(events[-2]) == {"BTC", "USDT"}
    assert problems == []


# --- pegged orders -------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [None, 2])
async def test_a_pegged_order_s_report_carries_its_peg_as_rest_answers_it(
    offset: int | None,
) -> None:
    extra: dict[str, Any] = {}
    if offset is not None:
        extra = {"pegOffsetType": "PRICE_LEVEL", "pegOffsetValue": offset}
    async with _session() as session:
        placed = await SpotNewOrder(
            api=session.api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="GTC",
            quantity=QTY, pegPriceType="PRIMARY_PEG", **extra,
        ).run()  # fmt: skip
        events = await session.events()
        problems = await session.disagreements(events)
        order = await SpotQueryOrder(api=session.api, symbol=BTC, orderId=placed["orderId"]).run()
    assert _kinds(events) == [ER, POSITION]
    report = events[0]
    assert report["p"] == order["price"] == "0.00000000"  # none was sent
    assert report.get("gP") == "PRIMARY_PEG"
    assert Decimal(report.get("gp", "0")) > 0
    assert ("gOT" in report, report.get("gOV")) == (offset is not None, offset)
    assert problems == []


# --- the comparison can fail ---------------------------------------------------------------


def _position_per_report(self: Any, order: Any, execution: str, fill: Any, now: int) -> None:
    """The old sequence: a position of the order's two assets after every report."""
    assets = (order.spec.base, order.spec.quote)
    report = ws_api.execution_report(order, execution, fill, now)
    self._post(lambda: [report, self._position(assets, now)])


def _pegged_price_as_p(*args: Any) -> dict[str, Any]:
    report = _REPORT(*args)
    order = args[0]
    report["p"] = f"{order.price:.8f}"
    return report


_REPORT = ws_api.execution_report


@pytest.mark.parametrize(
    "mutation", ["position per report", "no position", "pegged price as p", "no peg fields"]
)
async def test_the_comparison_fails_when_the_simulator_is_broken(
    mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mutation == "position per report":
        monkeypatch.setattr(ws_api.SpotUserApi, "_on_order_event", _position_per_report)
        monkeypatch.setattr(ws_api.SpotUserApi, "_on_account_event", lambda *_: None)
    elif mutation == "no position":
        monkeypatch.setattr(ws_api.SpotUserApi, "_on_account_event", lambda *_: None)
    elif mutation == "pegged price as p":
        monkeypatch.setattr(ws_api, "execution_report", _pegged_price_as_p)
    else:
        monkeypatch.setattr(ws_api, "_peg_fields", lambda order: {})
    if mutation.startswith(("position", "no position")):
        case = test_a_market_order_sends_its_reports_then_one_position()
    else:
        case = test_a_pegged_order_s_report_carries_its_peg_as_rest_answers_it(2)
    with pytest.raises(AssertionError):
        await case

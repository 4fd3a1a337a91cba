"""The simulator's Spot user-data events of OTO and OTOCO order lists, against REST.

Binance reports every order of a new OTO(CO): ``executionReport`` NEW for the working
order and for each pending one (status ``PENDING_NEW``, as the placement answer's
``orderReports`` show it), then ``listStatus``; once the working order fills, each pending
order's ``executionReport`` NEW (status NEW) as it goes to the book. Each test places a
list (buy and sell, the working order filled at once or later, or the list canceled
first), reads the events typed through aioca's ``spot_user_stream`` up to each action's
``listStatus``, and compares them with REST at that moment: every order's last report
with ``GET /api/v3/order``, the open ones with ``openOrders``, the list's last
``listStatus`` with ``GET /api/v3/orderList``. The last test breaks the simulator on
purpose and sees the comparison fail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import (
    documented_events,
    events_until,
    frames_until_terminated,
    shape,
    spot_price,
    spot_user_data,
    user_data_socket,
)
from test_sim_streams_spot_events import _first_trade_time

from aioca_binance import BinanceRestApi
from aioca_binance.spot import (
    SpotAccount,
    SpotCancelOrder,
    SpotCancelOrderList,
    SpotNewOrder,
    SpotOpenOrders,
    SpotOrderAmendKeepPriority,
    SpotOrderListOpo,
    SpotOrderListOto,
    SpotOrderListOtoco,
    SpotQueryOrder,
    SpotQueryOrderList,
)
from aioca_binance.streams import spot as models
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSDT"
QTY = Decimal("0.01")
OPEN = frozenset({"NEW", "PARTIALLY_FILLED", "PENDING_NEW"})


class Follower:
    """The account's user-data events as they arrive, and their agreement with REST."""

    def __init__(self, sim: BinanceSimulator, api: BinanceRestApi, stream: Any) -> None:
        self.sim, self.api, self.stream = sim, api, stream
        self.reports: dict[int, models.ExecutionReport] = {}
        """Each order's last ``executionReport``."""
        self.lists: dict[int, models.ListStatus] = {}
        """Each list's last ``listStatus``."""
        self.balances: dict[str, tuple[Decimal, Decimal]] = {}
        """Each asset's last ``outboundAccountPosition`` figures (free, locked)."""

    async def action(self) -> list[tuple[int, str, str]]:
        """The events of one action on a list (up to its ``listStatus``), as ``(order id,
        execution type, order status)`` of its reports."""
        events = await events_until(self.stream, models.ListStatus)
        seen = []
        for event in events:
            if isinstance(event, models.ExecutionReport):
                assert event.order_id is not None
                self.reports[event.order_id] = event
                seen.append(
                    (event.order_id, event.current_execution_type, event.current_order_status)
                )
            elif isinstance(event, models.ListStatus):
                assert event.order_list_id is not None
                self.lists[event.order_list_id] = event
            elif isinstance(event, models.OutboundAccountPosition):
                for row in event.balances_array or []:
                    assert row.asset is not None
                    self.balances[row.asset] = (Decimal(row.free or ""), Decimal(row.locked or ""))
        assert isinstance(events[-1], models.ListStatus)
        assert sum(isinstance(e, models.ListStatus) for e in events) == 1
        return [(i, str(x), str(status)) for i, x, status in seen]

    async def disagreements(self, list_id: int) -> list[str]:
        """Where the events so far differ from what REST answers now (nothing moves
        between: the clock is the test's)."""
        api, problems = self.api, []
        listed = await SpotQueryOrderList(api=api, orderListId=list_id).run()
        status = self.lists.get(list_id)
        if status is None:
            return [f"no listStatus of list {list_id}"]
        got = (
            status.order_list_id, status.contingency_type, status.list_status_type,
            status.list_order_status, status.list_client_order_id,
            [(o.order_id, o.client_order_id) for o in status.orders or []],
        )  # fmt: skip
        want = (
            listed["orderListId"], listed["contingencyType"], listed["listStatusType"],
            listed["listOrderStatus"], listed["listClientOrderId"],
            [(o["orderId"], o["clientOrderId"]) for o in listed["orders"]],
        )  # fmt: skip
        if got != want:
            problems.append(f"listStatus {got} != orderList {want}")
        for entry in listed["orders"]:
            order_id = entry["orderId"]
            rest = await SpotQueryOrder(api=api, symbol=BTC, orderId=order_id).run()
            report = self.reports.get(order_id)
            if report is None:
                problems.append(f"order {order_id}: no executionReport")
                continue
            working = rest["workingTime"]
            # a report of a cancel request carries the cancel's id in c, the order's in C
            canceled = report.current_execution_type == "CANCELED"
            own_id = (canceled and report.original_client_order_id) or report.client_order_id
            got = (
                report.current_order_status, report.order_id, own_id,
                report.order_list_id, report.order_quantity, report.cumulative_filled_quantity,
                report.is_working, report.working_time, report.order_creation_time,
            )  # fmt: skip
            want = (
                rest["status"], rest["orderId"], rest["clientOrderId"], rest["orderListId"],
                Decimal(rest["origQty"]), Decimal(rest["executedQty"]),
                rest["isWorking"] and rest["status"] in OPEN,  # "on the book" now
                None if working == -1 else working, rest["time"],
            )  # fmt: skip
            if got != want:
                problems.append(f"order {order_id}: executionReport {got} != order {want}")
        account = {b["asset"]: b for b in (await SpotAccount(api=api).run())["balances"]}
        for asset, (free, locked) in self.balances.items():
            want = (Decimal(account[asset]["free"]), Decimal(account[asset]["locked"]))
            if (free, locked) != want:
                problems.append(f"{asset}: position {(free, locked)} != account {want}")
        open_now = {o["orderId"] for o in await SpotOpenOrders(api=api, symbol=BTC).run()}
        reported_open = {i for i, r in self.reports.items() if r.current_order_status in OPEN}
        if open_now != reported_open:
            problems.append(f"open by the events {reported_open} != openOrders {open_now}")
        return problems

    async def agrees(self, list_id: int) -> None:
        problems = await self.disagreements(list_id)
        assert not problems, "\n".join(problems)


Scenario = Callable[[BinanceSimulator, FakeClock, BinanceRestApi, Follower], Awaitable[None]]


async def _run(seed: int, scenario: Scenario) -> None:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=seed, clock=clock) as sim,
        sim.api(time_sync_interval=None) as api,
    ):
        follow_clock(api, sim)
        async with spot_user_data(sim, api) as stream:
            await scenario(sim, clock, api, Follower(sim, api, stream))


async def _oto(sim: BinanceSimulator, api: BinanceRestApi, side: str, at: str) -> Any:
    """An OTO: a LIMIT ``side`` working order at ``at`` times the last price, then a
    LIMIT_MAKER of the other side 3% away on the profitable side."""
    other = "SELL" if side == "BUY" else "BUY"
    return await SpotOrderListOto(
        api=api, symbol=BTC, workingType="LIMIT", workingSide=side,
        workingPrice=spot_price(sim, at),
        workingQuantity=QTY, workingTimeInForce="GTC", pendingType="LIMIT_MAKER",
        pendingSide=other, pendingQuantity=QTY,
        pendingPrice=spot_price(sim, "1.03" if side == "BUY" else "0.97"),
    ).run()  # fmt: skip


async def _otoco(sim: BinanceSimulator, api: BinanceRestApi, side: str, at: str) -> Any:
    """An OTOCO: a LIMIT ``side`` working order at ``at`` times the last price, then a
    one-cancels-the-other pair of the other side 5% above and below (a sell takes profit
    above and stops below, a buy stops above and takes profit below)."""
    other = "SELL" if side == "BUY" else "BUY"
    above, below = ("LIMIT_MAKER", "STOP_LOSS") if other == "SELL" else ("STOP_LOSS", "TAKE_PROFIT")
    legs: dict[str, Any] = {"pendingAboveType": above, "pendingBelowType": below}
    for where, factor, kind in (("Above", "1.05", above), ("Below", "0.95", below)):
        key = "Price" if kind == "LIMIT_MAKER" else "StopPrice"
        legs[f"pending{where}{key}"] = spot_price(sim, factor)
    return await SpotOrderListOtoco(
        api=api, symbol=BTC, workingType="LIMIT", workingSide=side,
        workingPrice=spot_price(sim, at),
        workingQuantity=QTY, workingTimeInForce="GTC", pendingSide=other, pendingQuantity=QTY,
        **legs,
    ).run()  # fmt: skip


def _ids(placed: Any) -> list[int]:
    return [order["orderId"] for order in placed["orders"]]


async def _fill_working_later(
    sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, placed: Any
) -> None:
    """Move the clock to the first public trade through the working order's price, and
    make a request there (the engine looks at the market when asked)."""
    working = placed["orderReports"][0]
    price = Decimal(working["price"])
    buying = working["side"] == "BUY"
    when = _first_trade_time(sim, lambda p: p < price if buying else p > price)
    clock.advance((when + 1 - sim.now_ms()) / 1000)
    follow_clock(api, sim)
    await SpotQueryOrderList(api=api, orderListId=placed["orderListId"]).run()


# --- shapes --------------------------------------------------------------------------------


async def test_an_otoco_s_reports_and_list_status_are_shaped_as_binance_documents_them() -> None:
    documented = documented_events("spot")
    async with user_data_socket(seed=5) as (sim, api, ws):
        placed = await _otoco(sim, api, "BUY", "0.99")
        frames = await frames_until_terminated(sim, ws)
    reports = [f for f in frames if f["event"]["e"] == "executionReport"]
    (listed,) = [f for f in frames if f["event"]["e"] == "listStatus"]
    assert [(r["event"]["i"], r["event"]["X"]) for r in reports] == [
        (order["orderId"], order["status"]) for order in placed["orderReports"]
    ]  # NEW, PENDING_NEW, PENDING_NEW: the placement answer's statuses
    working, *pending = reports
    assert shape(working, ordered=True) == shape(documented["executionReport"], ordered=True)
    # a pending order is not on the book: Binance shows ``W`` "only ... if the order has
    # been placed on the book", so its report is the documented one without it
    without_w = dict(documented["executionReport"])
    without_w["event"] = {k: v for k, v in without_w["event"].items() if k != "W"}
    for report in pending:
        assert shape(report, ordered=True) == shape(without_w, ordered=True)
        assert report["event"]["w"] is False
    assert shape(listed, ordered=True) == shape(documented["listStatus"], ordered=True)
    assert (listed["event"]["c"], listed["event"]["l"]) == ("OTO", "EXEC_STARTED")


# --- OTO -----------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["BUY", "SELL"])
async def test_an_oto_filled_later_reports_pending_new_then_new_as_rest_shows_them(
    side: str,
) -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _oto(sim, api, side, "0.999" if side == "BUY" else "1.001")
        working, pending = _ids(placed)
        assert [r["status"] for r in placed["orderReports"]] == ["NEW", "PENDING_NEW"]
        assert await follow.action() == [
            (working, "NEW", "NEW"), (pending, "NEW", "PENDING_NEW"),
        ]  # fmt: skip
        assert follow.reports[pending].is_working is False
        assert follow.reports[pending].working_time is None  # "only visible ... on the book"
        await follow.agrees(placed["orderListId"])
        await _fill_working_later(sim, clock, api, placed)
        assert await follow.action() == [
            (working, "TRADE", "FILLED"), (pending, "NEW", "NEW"),
        ]  # fmt: skip
        assert follow.reports[pending].is_working is True
        assert follow.lists[placed["orderListId"]].list_order_status == "EXECUTING"
        await follow.agrees(placed["orderListId"])
        await SpotCancelOrder(api=api, symbol=BTC, orderId=pending).run()
        assert await follow.action() == [(pending, "CANCELED", "CANCELED")]
        assert follow.lists[placed["orderListId"]].list_order_status == "ALL_DONE"
        await follow.agrees(placed["orderListId"])

    await _run(5, scenario)


@pytest.mark.parametrize("side", ["BUY", "SELL"])
async def test_an_oto_whose_working_order_fills_at_once_announces_both_then_works(
    side: str,
) -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _oto(sim, api, side, "1.01" if side == "BUY" else "0.99")
        working, pending = _ids(placed)
        events = await follow.action()
        # both announced first (the pending one PENDING_NEW), then the working order's
        # fills, then the pending order going to the book
        assert events[:2] == [(working, "NEW", "NEW"), (pending, "NEW", "PENDING_NEW")]
        trades = events[2:-1]
        assert trades
        assert all(e[:2] == (working, "TRADE") for e in trades)
        assert trades[-1][2] == "FILLED"
        assert events[-1] == (pending, "NEW", "NEW")
        assert [r["status"] for r in placed["orderReports"]] == ["FILLED", "NEW"]
        await follow.agrees(placed["orderListId"])

    await _run(5, scenario)


@pytest.mark.parametrize("how", ["the list", "its working order", "its pending order"])
async def test_an_oto_canceled_before_its_working_order_fills_cancels_both(how: str) -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _oto(sim, api, "BUY", "0.99")
        working, pending = _ids(placed)
        await follow.action()
        if how == "the list":
            await SpotCancelOrderList(api=api, symbol=BTC, orderListId=placed["orderListId"]).run()
        else:
            chosen = working if how == "its working order" else pending
            await SpotCancelOrder(api=api, symbol=BTC, orderId=chosen).run()
        assert await follow.action() == [
            (working, "CANCELED", "CANCELED"), (pending, "CANCELED", "CANCELED"),
        ]  # fmt: skip
        assert follow.lists[placed["orderListId"]].list_status_type == "ALL_DONE"
        await follow.agrees(placed["orderListId"])

    await _run(6, scenario)


# --- OPO -----------------------------------------------------------------------------------


async def test_an_opo_pending_order_amended_before_release_keeps_its_amended_quantity() -> None:
    """An OPO's pending order takes the working order's quantity, but an amendment that
    reduced it before the working order filled stands: Binance's amendment "reduce[s] the
    quantity of an existing open order", and the release must not give it back (the
    simulator used to overwrite it with the working order's executed quantity, so REST,
    the release's report and ``GET /api/v3/order/amendments`` disagreed)."""

    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await SpotOrderListOpo(
            api=api, symbol=BTC, workingType="LIMIT", workingSide="BUY",
            workingPrice=spot_price(sim, "0.999"), workingQuantity=QTY,
            workingTimeInForce="GTC", pendingType="LIMIT_MAKER", pendingSide="SELL",
            pendingPrice=spot_price(sim, "1.03"),
        ).run()  # fmt: skip
        working, pending = _ids(placed)
        await follow.action()
        smaller = Decimal("0.004")
        await SpotOrderAmendKeepPriority(
            api=api, symbol=BTC, orderId=pending, newQty=smaller, newClientOrderId="smaller"
        ).run()
        assert await follow.action() == [(pending, "REPLACED", "PENDING_NEW")]
        assert follow.reports[pending].order_quantity == smaller
        # (the amendment's listStatus is UPDATED, which REST's list never shows: no
        # comparison with REST before the next action)
        await _fill_working_later(sim, clock, api, placed)
        assert await follow.action() == [
            (working, "TRADE", "FILLED"), (pending, "NEW", "NEW"),
        ]  # fmt: skip
        assert follow.reports[working].cumulative_filled_quantity == QTY
        assert follow.reports[pending].order_quantity == smaller
        rest = await SpotQueryOrder(api=api, symbol=BTC, orderId=pending).run()
        assert (rest["status"], Decimal(rest["origQty"])) == ("NEW", smaller)
        await follow.agrees(placed["orderListId"])

    await _run(5, scenario)


# --- OTOCO ---------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["BUY", "SELL"])
async def test_an_otoco_filled_later_reports_both_pending_orders_as_rest_shows_them(
    side: str,
) -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _otoco(sim, api, side, "0.999" if side == "BUY" else "1.001")
        working, above, below = _ids(placed)
        assert await follow.action() == [
            (working, "NEW", "NEW"), (above, "NEW", "PENDING_NEW"), (below, "NEW", "PENDING_NEW"),
        ]  # fmt: skip
        await follow.agrees(placed["orderListId"])
        await _fill_working_later(sim, clock, api, placed)
        assert await follow.action() == [
            (working, "TRADE", "FILLED"), (above, "NEW", "NEW"), (below, "NEW", "NEW"),
        ]  # fmt: skip
        await follow.agrees(placed["orderListId"])
        await SpotCancelOrderList(api=api, symbol=BTC, orderListId=placed["orderListId"]).run()
        assert await follow.action() == [
            (above, "CANCELED", "CANCELED"), (below, "CANCELED", "CANCELED"),
        ]  # fmt: skip
        await follow.agrees(placed["orderListId"])

    await _run(5, scenario)


@pytest.mark.parametrize("side", ["BUY", "SELL"])
async def test_an_otoco_whose_working_order_fills_at_once_puts_both_legs_to_work(
    side: str,
) -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _otoco(sim, api, side, "1.01" if side == "BUY" else "0.99")
        working, above, below = _ids(placed)
        events = await follow.action()
        assert events[:3] == [
            (working, "NEW", "NEW"), (above, "NEW", "PENDING_NEW"), (below, "NEW", "PENDING_NEW"),
        ]  # fmt: skip
        assert events[-2:] == [(above, "NEW", "NEW"), (below, "NEW", "NEW")]
        assert {e[:2] for e in events[3:-2]} == {(working, "TRADE")}
        assert [r["status"] for r in placed["orderReports"]] == ["FILLED", "NEW", "NEW"]
        await follow.agrees(placed["orderListId"])

    await _run(5, scenario)


async def test_an_otoco_canceled_before_its_working_order_fills_cancels_all_three() -> None:
    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _otoco(sim, api, "SELL", "1.01")
        working, above, below = _ids(placed)
        await follow.action()
        await SpotCancelOrder(api=api, symbol=BTC, orderId=working).run()
        assert await follow.action() == [
            (working, "CANCELED", "CANCELED"),
            (above, "CANCELED", "CANCELED"),
            (below, "CANCELED", "CANCELED"),
        ]
        await follow.agrees(placed["orderListId"])

    await _run(6, scenario)


# --- an order's hold ----------------------------------------------------------------------


@pytest.mark.parametrize(("side", "at"), [("BUY", "0.95"), ("SELL", "1.05")])
async def test_a_resting_order_s_report_is_followed_by_the_position_with_its_hold(
    side: str, at: str
) -> None:
    """The account position sent with a NEW report shows what the order holds, as REST's
    account does then (the simulator used to send it before taking the hold)."""
    async with (
        BinanceSimulator(seed=5) as sim,
        sim.api() as api,
        spot_user_data(sim, api) as stream,
    ):
        await SpotNewOrder(
            api=api, symbol=BTC, side=side, type="LIMIT", timeInForce="GTC",
            quantity=QTY, price=spot_price(sim, at),
        ).run()  # fmt: skip
        events = await events_until(stream, models.OutboundAccountPosition)
        account = {b["asset"]: b for b in (await SpotAccount(api=api).run())["balances"]}
    report, position = events
    assert isinstance(report, models.ExecutionReport)
    assert report.current_order_status == "NEW"
    held = "USDT" if side == "BUY" else "BTC"
    figures = {row.asset: (row.free, row.locked) for row in position.balances_array or []}
    assert figures[held] == (account[held]["free"], account[held]["locked"])
    assert Decimal(account[held]["locked"]) > 0


# --- the comparison can fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    "mutation", ["no pending report", "stale status", "always on book", "position before hold"]
)
async def test_the_rest_comparison_catches_a_simulator_that_reports_wrongly(
    mutation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A simulator that forgets the pending orders' reports, reports a status older than
    the order's, says every open order is on the book, or sends the account position
    before the order's hold: the comparison says so."""
    from aioca_binance_sim import ws_api
    from aioca_binance_sim.spot.engine import SpotEngine

    if mutation == "position before hold":  # the simulator as it was: NEW, then the hold
        hold = SpotEngine._hold
        announce = SpotEngine._notify
        monkeypatch.setattr(SpotEngine, "_hold", lambda self, order, now: None)

        def late(self: SpotEngine, order: Any, execution: str, fill: Any, now: int) -> None:
            announce(self, order, execution, fill, now)
            if execution == "NEW" and order.status == "NEW" and not order.locked:
                hold(self, order, now)

        monkeypatch.setattr(SpotEngine, "_notify", late)

        def per_report(self: Any, order: Any, execution: str, fill: Any, now: int) -> None:
            """A position with each report, as it was, not one when the action ends."""
            made = ws_api.execution_report(order, execution, fill, now)
            self._post(lambda: [made, self._position((order.spec.base, order.spec.quote), now)])

        monkeypatch.setattr(ws_api.SpotUserApi, "_on_order_event", per_report)
        monkeypatch.setattr(ws_api.SpotUserApi, "_on_account_event", lambda *_: None)
    elif mutation == "no pending report":
        original = SpotEngine._notify

        def forgetful(self: SpotEngine, order: Any, execution: str, fill: Any, now: int) -> None:
            if order.status != "PENDING_NEW":
                original(self, order, execution, fill, now)

        monkeypatch.setattr(SpotEngine, "_notify", forgetful)
    else:
        report = ws_api.execution_report

        def wrong(order: Any, execution: str, fill: Any, now: int) -> dict[str, Any]:
            made = report(order, execution, fill, now)
            if mutation == "stale status" and made["X"] == "PENDING_NEW":
                made["X"] = "NEW"
            if mutation == "always on book":
                made["w"] = made["X"] in OPEN
            return made

        monkeypatch.setattr(ws_api, "execution_report", wrong)
    found: list[str] = []

    async def scenario(
        sim: BinanceSimulator, clock: FakeClock, api: BinanceRestApi, follow: Follower
    ) -> None:
        placed = await _oto(sim, api, "BUY", "0.999")
        await follow.action()
        found.extend(await follow.disagreements(placed["orderListId"]))
        await _fill_working_later(sim, clock, api, placed)  # the pending order's turn
        await follow.action()
        found.extend(await follow.disagreements(placed["orderListId"]))

    await _run(5, scenario)
    expected = {
        "no pending report": "no executionReport",
        "stale status": "'NEW'",
        "always on book": "executionReport",
        "position before hold": "BTC: position",  # the pending sell holds BTC
    }[mutation]
    assert any(expected in problem for problem in found), found

"""The simulator's Spot user data for Order Amend Keep Priority, raw over the WebSocket
API and typed through aioca's client, against REST.

Binance's user-data stream lists the execution type "REPLACED - The order has been
amended": an amendment sends one ``executionReport`` with ``x`` REPLACED, the order's
status unchanged, ``q`` the new quantity, ``c`` its client id after the amendment and
``C`` the one before; the hold it gives back moves a balance, so one
``outboundAccountPosition`` follows, as after every action that changes balances; and a
list's order whose client id changed adds the list's ``listStatus`` with ``l`` UPDATED
(Binance's Order Amend Keep Priority FAQ). Each test rests an order with the clock
stopped, amends it over REST, reads every frame the amendment made and compares them
with the REST answer and ``GET /api/v3/account``. A refused amendment sends nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import (
    events_until,
    events_until_quiet,
    spot_price,
    spot_user_data,
    user_data_socket,
)

from aioca.errors import ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.spot import (
    SpotAccount,
    SpotNewOrder,
    SpotOrderAmendKeepPriority,
    SpotOrderAmendments,
    SpotOrderListOco,
    SpotOrderListOto,
    SpotQueryOrderList,
)
from aioca_binance.streams import spot as models
from aioca_binance.streams.structs import payload_decoder
from aioca_binance_sim import BinanceSimulator

BTC = "BTCUSDT"
ER, POSITION, LIST = "executionReport", "outboundAccountPosition", "listStatus"
CHANGED = {"c", "C", "q", "x"}
"""What an amendment's report changes from the order's NEW report (the clock is stopped:
its times are the same)."""


async def _balances(sim: BinanceSimulator, api: BinanceRestApi) -> dict[str, dict[str, str]]:
    """Each asset's free and locked amounts as REST answers them now (the API's timestamps
    put back on the stopped clock first: the waits for quiet took real time)."""
    follow_clock(api, sim)
    account = await SpotAccount(api=api).run()
    return {row["asset"]: {"f": row["free"], "l": row["locked"]} for row in account["balances"]}


async def _resting(sim: BinanceSimulator, api: BinanceRestApi, side: str, **extra: Any) -> Any:
    factor = "0.98" if side == "BUY" else "1.02"
    return await SpotNewOrder(
        api=api, symbol=BTC, side=side, type="LIMIT", timeInForce="GTC",
        quantity=Decimal("0.02"), price=spot_price(sim, factor), **extra,
    ).run()  # fmt: skip


REPLY_KEYS = {
    "i": "orderId", "g": "orderListId", "c": "clientOrderId", "C": "origClientOrderId",
    "q": "qty", "p": "price", "z": "executedQty", "X": "status",
}  # fmt: skip
"""Each field of the REPLACED report and the REST answer's ``amendedOrder`` key of it."""


def _disagreements(report: dict[str, Any], amended: dict[str, Any]) -> dict[str, Any]:
    """The fields where ``report`` differs from the REST answer's ``amendedOrder``."""
    return {
        key: (report[key], amended[name])
        for key, name in REPLY_KEYS.items()
        if report[key] != amended[name]
    }


@pytest.mark.parametrize(("side", "asset"), [("BUY", "USDT"), ("SELL", "BTC")])
@pytest.mark.parametrize("client_id", ["amended-1", None])
async def test_an_amendment_sends_replaced_then_the_position_of_the_hold_it_gave_back(
    side: str, asset: str, client_id: str | None
) -> None:
    async with user_data_socket(clock=FakeClock()) as (sim, api, ws):
        placed = await _resting(sim, api, side, newClientOrderId="placed-1")
        new, _ = await events_until_quiet(ws)
        before = await _balances(sim, api)
        given = {} if client_id is None else {"newClientOrderId": client_id}
        answer = await SpotOrderAmendKeepPriority(
            api=api, symbol=BTC, orderId=placed["orderId"], newQty=Decimal("0.005"), **given
        ).run()
        events = await events_until_quiet(ws)
        after = await _balances(sim, api)
        (history,) = await SpotOrderAmendments(api=api, symbol=BTC, orderId=placed["orderId"]).run()
    amended = answer["amendedOrder"]
    assert [e["e"] for e in events] == [ER, POSITION]
    report, position = events
    assert report["x"] == "REPLACED"
    assert _disagreements(report, amended) == {}
    assert (report["X"], report["C"], report["q"]) == ("NEW", "placed-1", "0.00500000")
    if client_id is not None:
        assert report["c"] == client_id
    else:  # generated, as the answer shows it
        assert report["c"] not in ("", "placed-1")
    assert (history["newClientOrderId"], history["newQty"]) == (report["c"], report["q"])
    # every other field as the order's NEW report wrote it: built by the same builder
    assert {k: v for k, v in report.items() if k not in CHANGED} == {
        k: v for k, v in new.items() if k not in CHANGED
    }
    assert position["B"] == [{"a": asset, **after[asset]}]  # the hold, as REST shows it
    released = Decimal(before[asset]["l"]) - Decimal(after[asset]["l"])
    expected = Decimal("0.015") * (Decimal(placed["price"]) if side == "BUY" else 1)
    assert released == expected.quantize(Decimal("0.00000001"))
    assert Decimal(after[asset]["f"]) - Decimal(before[asset]["f"]) == released


async def test_a_refused_amendment_sends_nothing_and_uses_no_execution_id() -> None:
    async with user_data_socket(clock=FakeClock()) as (sim, api, ws):
        placed = await _resting(sim, api, "BUY", newClientOrderId="placed-1")
        await _resting(sim, api, "SELL", newClientOrderId="other-1")
        await events_until_quiet(ws)
        before = await _balances(sim, api)
        refusals = []
        for quantity, client_id in (
            ("0.02", None),  # not smaller
            ("0.03", None),  # larger
            ("0.01", "other-1"),  # another open order's client id
        ):
            given = {} if client_id is None else {"newClientOrderId": client_id}
            with pytest.raises(ExchangeError) as refused:
                await SpotOrderAmendKeepPriority(
                    api=api, symbol=BTC, orderId=placed["orderId"],
                    newQty=Decimal(quantity), **given,
                ).run()  # fmt: skip
            refusals.append(refused.value.code)
        events = await events_until_quiet(ws)
        after = await _balances(sim, api)
        answer = await SpotOrderAmendKeepPriority(
            api=api, symbol=BTC, orderId=placed["orderId"], newQty=Decimal("0.01")
        ).run()
    assert refusals == [-2038, -2038, -2010]
    assert events == []
    assert after == before
    assert answer["executionId"] == 1  # the refusals took none


async def test_amending_a_list_s_order_sends_its_list_status_updated_when_its_id_changes() -> None:
    """The working buy of an OTO holds USDT, its pending sell nothing: amending the buy
    sends REPLACED, the position, then the list UPDATED with the new client id; the
    pending sell, REPLACED (status PENDING_NEW, as REST answers) then the list; reusing
    the buy's client id ("It is possible to reuse the current clientOrderId"), no list."""
    async with user_data_socket(clock=FakeClock()) as (sim, api, ws):
        placed = await SpotOrderListOto(
            api=api, symbol=BTC, workingType="LIMIT", workingSide="BUY",
            workingPrice=spot_price(sim, "0.98"), workingQuantity=Decimal("0.02"),
            workingTimeInForce="GTC", workingClientOrderId="work-1",
            pendingType="LIMIT_MAKER", pendingSide="SELL", pendingQuantity=Decimal("0.02"),
            pendingPrice=spot_price(sim, "1.05"), pendingClientOrderId="pend-1",
        ).run()  # fmt: skip
        await events_until_quiet(ws)
        working, pending = (o["orderId"] for o in placed["orders"])
        steps = []
        for order_id, quantity, client_id in (
            (working, "0.015", "work-2"),
            (pending, "0.01", None),
            (working, "0.01", "work-2"),
        ):
            given = {} if client_id is None else {"newClientOrderId": client_id}
            follow_clock(api, sim)
            answer = await SpotOrderAmendKeepPriority(
                api=api, symbol=BTC, orderId=order_id, newQty=Decimal(quantity), **given
            ).run()
            steps.append((answer, await events_until_quiet(ws), await _balances(sim, api)))
        follow_clock(api, sim)
        listed = await SpotQueryOrderList(api=api, orderListId=placed["orderListId"]).run()
    kinds = [[e["e"] for e in events] for _, events, _ in steps]
    assert kinds == [[ER, POSITION, LIST], [ER, LIST], [ER, POSITION]]
    for answer, events, balances in steps:
        amended = answer["amendedOrder"]
        assert events[0]["x"] == "REPLACED"
        assert _disagreements(events[0], amended) == {}
        if events[-1]["e"] == LIST:
            status = events[-1]
            assert status["l"] == "UPDATED"
            rest = answer["listStatus"]
            assert (status["g"], status["c"], status["L"], status["C"]) == (
                rest["orderListId"], rest["contingencyType"], rest["listOrderStatus"],
                rest["listClientOrderId"],
            )  # fmt: skip
            assert status["O"] == [
                {"s": o["symbol"], "i": o["orderId"], "c": o["clientOrderId"]}
                for o in rest["orders"]
            ]
        if events[1]["e"] == POSITION:
            assert events[1]["B"] == [{"a": "USDT", **balances["USDT"]}]
    assert steps[1][1][0]["X"] == "PENDING_NEW"
    assert steps[1][1][0]["w"] is False
    assert steps[2][0]["amendedOrder"]["origClientOrderId"] == "work-2"  # reused: no list
    assert listed["listStatusType"] == "EXEC_STARTED"  # the list's own type is unchanged


@pytest.mark.parametrize("first", [0, 1])
async def test_amending_an_oco_leg_gives_back_only_what_neither_leg_still_needs(
    first: int,
) -> None:
    """A sell OCO's legs share one hold of 0.02 BTC (kept by one leg). Amending either
    leg to 0.01 gives back nothing: the other still sells 0.02; amending the other to
    0.005 then gives back 0.01, what neither needs any more. The position sent after each
    amendment and ``GET /api/v3/account`` agree."""
    async with user_data_socket(clock=FakeClock()) as (sim, api, ws):
        placed = await SpotOrderListOco(
            api=api, symbol=BTC, side="SELL", quantity=Decimal("0.02"),
            aboveType="LIMIT_MAKER", abovePrice=spot_price(sim, "1.02"),
            belowType="STOP_LOSS", belowStopPrice=spot_price(sim, "0.98"),
        ).run()  # fmt: skip
        await events_until_quiet(ws)
        start = await _balances(sim, api)
        legs = [o["orderId"] for o in placed["orders"]]
        steps = []
        for leg, quantity in ((legs[first], "0.01"), (legs[1 - first], "0.005")):
            follow_clock(api, sim)
            await SpotOrderAmendKeepPriority(
                api=api, symbol=BTC, orderId=leg, newQty=Decimal(quantity)
            ).run()
            steps.append((await events_until_quiet(ws), await _balances(sim, api)))
    locked = [Decimal(balances["BTC"]["l"]) for _, balances in steps]
    assert [Decimal(start["BTC"]["l"]) - held for held in locked] == [0, Decimal("0.01")]
    first, second = (events for events, _ in steps)
    assert POSITION not in [e["e"] for e in first]  # nothing given back
    (position,) = [e for e in second if e["e"] == POSITION]
    assert position["B"] == [{"a": "BTC", **steps[1][1]["BTC"]}]


async def test_an_amended_oco_leg_that_trades_in_part_holds_only_its_rest() -> None:
    """A sell OCO of 0.02 whose LIMIT_MAKER (above, at the ask: the leg that keeps the
    pair's hold) is amended to 0.01 keeps holding 0.02: the stop still sells 0.02. Once
    the LIMIT_MAKER trades 0.004 (the account's own buy at the ask, self-trade prevention
    off), the stop has expired and the leg works on for 0.006: the position sent after
    that trade and ``GET /api/v3/account`` both hold 0.006 BTC, not the stop's old need."""
    async with user_data_socket(clock=FakeClock()) as (sim, api, ws):
        venue = sim.venues["spot"]
        spec = venue.symbols[BTC]
        ask = spec.tick * venue.tape.best(spec, sim.now_ms())[1]
        placed = await SpotOrderListOco(
            api=api, symbol=BTC, side="SELL", quantity=Decimal("0.02"),
            aboveType="LIMIT_MAKER", abovePrice=ask,
            belowType="STOP_LOSS", belowStopPrice=spot_price(sim, "0.98"),
        ).run()  # fmt: skip
        above = placed["orders"][0]["orderId"]
        await events_until_quiet(ws)
        start = await _balances(sim, api)
        await SpotOrderAmendKeepPriority(
            api=api, symbol=BTC, orderId=above, newQty=Decimal("0.01")
        ).run()
        await events_until_quiet(ws)
        amended = await _balances(sim, api)
        await SpotNewOrder(
            api=api, symbol=BTC, side="BUY", type="LIMIT", timeInForce="IOC",
            quantity=Decimal("0.004"), price=ask, selfTradePreventionMode="NONE",
        ).run()  # fmt: skip
        events = await events_until_quiet(ws)
        after = await _balances(sim, api)
    assert amended["BTC"]["l"] == start["BTC"]["l"]  # the stop still needed 0.02
    reports = {(e["i"], e["x"]): e for e in events if e["e"] == ER}
    assert reports[above, "TRADE"]["X"] == "PARTIALLY_FILLED"
    assert (above, "CANCELED") not in reports
    assert reports[placed["orders"][1]["orderId"], "EXPIRED"]["X"] == "EXPIRED"
    assert Decimal(after["BTC"]["l"]) == Decimal("0.006")
    *_, position = [e for e in events if e["e"] == POSITION]
    (btc,) = [b for b in position["B"] if b["a"] == "BTC"]
    assert btc == {"a": "BTC", **after["BTC"]}


async def test_the_client_reads_an_amendment_s_events_typed_and_as_structs() -> None:
    """Through aioca's ``spot_user_stream`` (pydantic models) and the msgspec struct view
    of the same models: REPLACED and UPDATED are read as sent."""
    async with (
        BinanceSimulator(seed=5, clock=FakeClock()) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
    ):
        follow_clock(api, sim)
        async with spot_user_data(sim, api) as stream:
            placed = await SpotOrderListOto(
                api=api, symbol=BTC, workingType="LIMIT", workingSide="BUY",
                workingPrice=spot_price(sim, "0.98"), workingQuantity=Decimal("0.02"),
                workingTimeInForce="GTC", workingClientOrderId="work-1",
                pendingType="LIMIT_MAKER", pendingSide="SELL", pendingQuantity=Decimal("0.02"),
                pendingPrice=spot_price(sim, "1.05"),
            ).run()  # fmt: skip
            await events_until(stream, models.ListStatus)
            await SpotOrderAmendKeepPriority(
                api=api, symbol=BTC, orderId=placed["orders"][0]["orderId"],
                newQty=Decimal("0.01"), newClientOrderId="work-2",
            ).run()  # fmt: skip
            report, position, status = await events_until(stream, models.ListStatus)
    assert isinstance(report, models.ExecutionReport)
    assert isinstance(position, models.OutboundAccountPosition)
    assert (report.current_execution_type, report.current_order_status) == ("REPLACED", "NEW")
    assert (report.client_order_id, report.original_client_order_id) == ("work-2", "work-1")
    assert report.order_quantity == Decimal("0.01")
    assert isinstance(status, models.ListStatus)
    assert status.list_status_type == "UPDATED"
    as_sent = json.dumps(report.model_dump(mode="json", by_alias=True, exclude_none=True))
    struct = payload_decoder(models.ExecutionReport, False).decode(as_sent)
    assert (struct.current_execution_type, struct.original_client_order_id) == (
        "REPLACED", "work-1",
    )  # fmt: skip
    assert struct.order_quantity == Decimal("0.01")
    as_sent = json.dumps(status.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert payload_decoder(models.ListStatus, False).decode(as_sent).list_status_type == "UPDATED"

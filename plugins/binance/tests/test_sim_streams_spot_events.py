"""The simulator's Spot user-data events beyond an order's own (``listStatus`` of order
lists, ``balanceUpdate`` of deposits and withdrawals) and its ``<symbol>@blockTrade``
stream: shaped as Binance documents them, received typed by aioca's stream clients, in
the order the account changed, and agreeing with what REST answers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import (
    documented_events,
    events_until,
    frames_until_terminated,
    publish_and_read,
    shape,
    spot_price,
    spot_user_data,
    subscribed,
    user_data_socket,
)

from aioca_binance import BinanceRestApi
from aioca_binance.spot import (
    SpotAccount,
    SpotCancelOrderList,
    SpotHistoricalBlockTrades,
    SpotOrderListOco,
    SpotQueryOrder,
    SpotQueryOrderList,
)
from aioca_binance.streams import spot as models
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.background import background_simulator
from aioca_binance_sim.spot.blocks import BLOCK_PERIOD_MS
from aioca_binance_sim.spot.tape import TRADE_MS

BTC = "BTCUSDT"


async def _place_sell_oco(sim: BinanceSimulator, api: BinanceRestApi) -> dict[str, Any]:
    placed: dict[str, Any] = await SpotOrderListOco(
        api=api, symbol=BTC, side="SELL", quantity=Decimal("0.2"),
        aboveType="LIMIT_MAKER", abovePrice=spot_price(sim, "1.002"),
        belowType="STOP_LOSS", belowStopPrice=spot_price(sim, "0.998"),
    ).run()  # fmt: skip
    return placed


def _first_trade_time(sim: BinanceSimulator, reached: Any, hours: int = 72) -> int:
    """When the first public trade after now meets ``reached(price)``."""
    venue = sim.venues["spot"]
    spec = venue.symbols[BTC]
    start = sim.now_ms() // TRADE_MS + 1
    for trade in venue.tape.trades_range(spec, start, start + hours * 3600_000 // TRADE_MS):
        if reached(spec.tick * trade.ticks):
            return int(trade.time)
    raise AssertionError("the market never got there")


# --- shapes --------------------------------------------------------------------------------


async def test_list_status_and_balance_update_are_shaped_as_binance_documents_them() -> None:
    documented = documented_events("spot")
    async with user_data_socket(seed=5) as (sim, api, ws):
        placed = await _place_sell_oco(sim, api)
        sim.spot.deposit("ETH", "1.5")
        frames = await frames_until_terminated(sim, ws)
    events = [frame["event"] for frame in frames]
    (listed,) = [frame for frame in frames if frame["event"]["e"] == "listStatus"]
    (balance,) = [frame for frame in frames if frame["event"]["e"] == "balanceUpdate"]
    assert shape(listed, ordered=True) == shape(documented["listStatus"], ordered=True)
    assert shape(balance, ordered=True) == shape(documented["balanceUpdate"], ordered=True)
    status = listed["event"]
    assert status["g"] == placed["orderListId"]
    assert (status["c"], status["l"], status["L"], status["r"]) == (
        "OCO", "EXEC_STARTED", "EXECUTING", "NONE",
    )  # fmt: skip
    assert status["C"] == placed["listClientOrderId"]
    assert status["O"] == [
        {"s": BTC, "i": order["orderId"], "c": order["clientOrderId"]} for order in placed["orders"]
    ]
    assert balance["event"]["a"] == "ETH"
    assert balance["event"]["d"] == "1.50000000"
    # the deposit's account position follows its balanceUpdate and names that asset only
    after = events[events.index(balance["event"]) + 1]
    assert after["e"] == "outboundAccountPosition"
    assert after["B"] == [{"a": "ETH", "f": "11.50000000", "l": "0.00000000"}]


# --- order lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "filled"),
    [(5, "LIMIT_MAKER"), (4, "STOP_LOSS")],  # the market reaches the leg above, or below
)
async def test_an_oco_placed_then_filled_sends_list_status_after_its_legs_reports(
    seed: int, filled: str
) -> None:
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=seed, clock=clock) as sim,
        sim.api(time_sync_interval=None) as api,
    ):
        follow_clock(api, sim)
        async with spot_user_data(sim, api) as stream:
            placed = await _place_sell_oco(sim, api)
            placing = await events_until(stream, models.ListStatus)
            above = Decimal(placed["orderReports"][0]["price"])
            below = Decimal(placed["orderReports"][1]["stopPrice"])
            when = _first_trade_time(sim, lambda price: price > above or price <= below)
            clock.advance((when + 1 - sim.now_ms()) / 1000)
            follow_clock(api, sim)
            rest_list = await SpotQueryOrderList(
                api=api, orderListId=placed["orderListId"]
            ).run()  # the request that makes the engine look
            ending = await events_until(stream, models.ListStatus)
            rest_orders = {
                o["orderId"]: await SpotQueryOrder(api=api, symbol=BTC, orderId=o["orderId"]).run()
                for o in placed["orders"]
            }
    legs = [o["orderId"] for o in placed["orders"]]
    # placement: each leg's NEW report (each followed by its account position), then the
    # list's EXEC_STARTED
    reports = [e for e in placing if isinstance(e, models.ExecutionReport)]
    assert [(r.order_id, r.current_execution_type) for r in reports] == [
        (leg, "NEW") for leg in legs
    ]
    assert all(r.order_list_id == placed["orderListId"] for r in reports)
    assert isinstance(placing[-1], models.ListStatus)
    assert sum(isinstance(e, models.ListStatus) for e in placing) == 1
    started = placing[-1]
    assert (started.list_status_type, started.list_order_status) == ("EXEC_STARTED", "EXECUTING")
    assert started.order_list_id == placed["orderListId"]
    assert started.list_client_order_id == placed["listClientOrderId"]
    assert [(o.order_id, o.client_order_id) for o in started.orders or []] == [
        (o["orderId"], o["clientOrderId"]) for o in placed["orders"]
    ]
    # the fill: one leg trades, the other expires, and only then the list's ALL_DONE
    # (one listStatus for the whole action, its state as REST answers it)
    done = ending[-1]
    assert [type(e) for e in ending].count(models.ListStatus) == 1
    assert (done.list_status_type, done.list_order_status) == ("ALL_DONE", "ALL_DONE")
    assert rest_list["listOrderStatus"] == "ALL_DONE"
    assert done.transaction_time == when  # the time of the trade that set it off
    final = {
        r.order_id: r.current_order_status for r in ending if isinstance(r, models.ExecutionReport)
    }
    assert final == {leg: rest_orders[leg]["status"] for leg in legs}
    assert sorted(final.values()) == ["EXPIRED", "FILLED"]
    for leg in legs:  # nothing more of an order once it ended (a stop that triggers
        # expires its sibling, and is not canceled by that sibling's end)
        statuses = [
            r.current_order_status
            for r in ending
            if isinstance(r, models.ExecutionReport) and r.order_id == leg
        ]
        assert not {"CANCELED", "EXPIRED", "FILLED"} & set(statuses[:-1]), statuses
    (winner,) = [leg for leg in legs if final[leg] == "FILLED"]
    assert rest_orders[winner]["type"] == filled
    kinds = [r.current_execution_type for r in ending if isinstance(r, models.ExecutionReport)]
    assert "TRADE" in kinds
    assert "EXPIRED" in kinds


async def test_a_canceled_list_ends_with_one_all_done_after_both_cancellations() -> None:
    async with (
        BinanceSimulator(seed=6) as sim,
        sim.api() as api,
        spot_user_data(sim, api) as stream,
    ):
        placed = await _place_sell_oco(sim, api)
        await events_until(stream, models.ListStatus)
        await SpotCancelOrderList(api=api, symbol=BTC, orderListId=placed["orderListId"]).run()
        ending = await events_until(stream, models.ListStatus)
    reports = [
        (e.order_id, e.current_execution_type)
        for e in ending
        if isinstance(e, models.ExecutionReport)
    ]
    assert reports == [(o["orderId"], "CANCELED") for o in placed["orders"]]
    assert isinstance(ending[-1], models.ListStatus)
    assert ending[-1].list_order_status == "ALL_DONE"


# --- deposits and withdrawals --------------------------------------------------------------


async def test_a_deposit_and_a_withdrawal_arrive_typed_and_rest_shows_the_balance() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        before = {b["asset"]: b for b in (await SpotAccount(api=api).run())["balances"]}
        async with spot_user_data(sim, api) as stream:
            assert sim.spot.deposit("USDT", Decimal("250.5")) == Decimal("100250.5")
            deposit = await events_until(stream, models.OutboundAccountPosition)
            after_deposit = await SpotAccount(api=api).run()
            sim.spot.withdraw("BTC", "0.25")
            withdrawal = await events_until(stream, models.OutboundAccountPosition)
            after_withdrawal = await SpotAccount(api=api).run()
    assert [type(e) for e in deposit] == [models.BalanceUpdate, models.OutboundAccountPosition]
    credit, position = deposit
    assert (credit.asset, credit.balance_delta) == ("USDT", Decimal("250.5"))
    assert credit.clear_time == credit.event_time
    balances = {b["asset"]: b for b in after_deposit["balances"]}
    assert Decimal(balances["USDT"]["free"]) == Decimal(before["USDT"]["free"]) + Decimal("250.5")
    assert after_deposit["updateTime"] == credit.clear_time
    assert [(b.asset, Decimal(b.free or "")) for b in position.balances_array or []] == [
        ("USDT", Decimal(balances["USDT"]["free"]))
    ]
    assert [type(e) for e in withdrawal] == [models.BalanceUpdate, models.OutboundAccountPosition]
    debit = withdrawal[0]
    assert (debit.asset, debit.balance_delta) == ("BTC", Decimal("-0.25"))
    balances = {b["asset"]: b for b in after_withdrawal["balances"]}
    assert Decimal(balances["BTC"]["free"]) == Decimal(before["BTC"]["free"]) - Decimal("0.25")


async def test_a_withdrawal_takes_only_what_is_free_and_bad_input_names_every_problem() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        free, locked = sim.spot.balance("BTC")
        await _place_sell_oco(sim, api)  # holds 0.2 BTC
        assert sim.spot.balance("BTC") == (free - Decimal("0.2"), locked + Decimal("0.2"))
        with pytest.raises(ValueError, match=r"only 0\.8 is free"):
            sim.spot.withdraw("BTC", "0.9")
        assert sim.spot.balance("BTC") == (free - Decimal("0.2"), locked + Decimal("0.2"))
        with pytest.raises(ValueError, match="NOPE") as refused:
            sim.spot.deposit("NOPE", "-1.123456789")
        assert "'NOPE' is not one the Spot market lists" in str(refused.value)
        assert "not a positive number" in str(refused.value)
        with pytest.raises(ValueError, match="more than 8 decimals"):
            sim.spot.deposit("BTC", "0.123456789")
        with pytest.raises(ValueError, match="not a number"):
            sim.spot.deposit("BTC", "lots")
        with pytest.raises(ValueError, match="not a Decimal, str or int"):
            sim.spot.deposit("BTC", 1.5)  # type: ignore[arg-type]
        assert sim.spot.balance("BTC") == (free - Decimal("0.2"), locked + Decimal("0.2"))


# --- block trades --------------------------------------------------------------------------


async def test_block_trades_stream_typed_and_agree_with_rest() -> None:
    start = 1_795_000_000
    clock = FakeClock(float(start - start % (BLOCK_PERIOD_MS // 1000) + 900 - 2))
    async with (
        BinanceSimulator(seed=4, clock=clock) as sim,
        sim.api() as api,
        subscribed(sim, "spot", "btcusdt@blockTrade") as (stream, hub),
    ):
        # two seconds without a block trade, then one with
        blocks = [message.data for message in await publish_and_read(stream, hub, clock, 4)]
        (block,) = blocks
        rest = await SpotHistoricalBlockTrades(
            api=api, symbol=BTC, fromId=block.block_trade_id, limit=1
        ).run()
    assert isinstance(block, models.BlockTrade)
    assert block.trade_time is not None
    assert block.trade_time % BLOCK_PERIOD_MS == 0
    assert block.trade_time // 1000 == clock.now - 2  # the quarter hour, not before it
    assert block.symbol == BTC
    assert rest == [
        {
            "id": block.block_trade_id,
            "price": str(block.price),
            "qty": str(block.quantity),
            "quoteQty": rest[0]["quoteQty"],
            "time": block.trade_time,
            "isBuyerMaker": block.buyer_is_maker,
        }
    ]
    assert Decimal(rest[0]["quoteQty"]) == block.price * block.quantity  # type: ignore[operator]


def test_a_deposit_from_another_thread_than_a_background_simulator_s_reaches_its_streams() -> None:
    """``background_simulator`` serves on a thread of its own: ``sim.spot.deposit()`` from
    the caller's thread changes the account on the simulator's loop, and the event goes
    out as from any change."""

    async def deposit_and_listen(sim: BinanceSimulator) -> list[Any]:
        async with sim.api() as api, spot_user_data(sim, api) as stream:
            # from a thread running no event loop at all (as synchronous code)
            assert await asyncio.to_thread(sim.spot.deposit, "SOL", "3") == Decimal("103")
            return await events_until(stream, models.OutboundAccountPosition)

    with background_simulator(seed=5) as sim:
        events = asyncio.run(deposit_and_listen(sim))
        with pytest.raises(ValueError, match="only 103 is free"):
            sim.spot.withdraw("SOL", "104")  # the refusal reaches the calling thread
    assert [type(e) for e in events] == [models.BalanceUpdate, models.OutboundAccountPosition]
    assert (events[0].asset, events[0].balance_delta) == ("SOL", Decimal("3"))

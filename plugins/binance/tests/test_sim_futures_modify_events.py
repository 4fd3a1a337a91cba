"""The simulator's futures user data for a modified order (USDⓈ-M ``PUT /fapi/v1/order``
and ``/fapi/v1/batchOrders``, COIN-M ``PUT /dapi/v1/order`` and ``/dapi/v1/batchOrders``),
read typed through aioca's ``futures_user_stream`` and compared with the REST answers.

Binance's ``ORDER_TRADE_UPDATE`` documents ``M``: "modifyId, only pushed for AMENDMENT
(order modification) events when a modifyId was provided in the request": a modification
sends one ``ORDER_TRADE_UPDATE`` with ``x`` AMENDMENT and the new ``p`` and ``q`` (``M``
the request's ``modifyId``, which the answer returns as-is); a new price that crosses the
book takes at once, so its TRADE reports (each with its ``ACCOUNT_UPDATE``) follow; a
modification that cancels the order (a GTX order whose new price would take) sends what a
cancellation sends; a refused one, or a refused item of a batch, sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from binance_ws import until
from sim_helpers import FakeClock, follow_clock
from sim_streams_helpers import events_while_coming, fast_settings

from aioca.errors import BatchError, ExchangeError
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMCancelOrder,
    CoinMModifyMultipleOrders,
    CoinMModifyOrder,
    CoinMNewOrder,
    CoinMQueryOrder,
)
from aioca_binance.streams import coinm, futures_user_stream, usdm
from aioca_binance.streams.structs import payload_decoder
from aioca_binance.usdm import (
    UsdmCancelOrder,
    UsdmModifyMultipleOrders,
    UsdmModifyOrder,
    UsdmNewOrder,
    UsdmQueryOrder,
)
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.market import TRADE_MS


@dataclass(frozen=True)
class Futures:
    """One futures market's symbol, order size and REST tasks."""

    market: str
    symbol: str
    quantity: Decimal
    new: Any
    modify: Any
    batch: Any
    cancel: Any
    models: Any

    def best(self, sim: BinanceSimulator) -> tuple[Decimal, Decimal]:
        """The best bid and ask now, as the engine takes from them."""
        if self.market == "usdm":
            venue = sim.venues["usdm"]
            spec = venue.symbols[self.symbol]
            bid, ask = venue.market.best_prices(spec, sim.now_ms())
            return spec.ticks_price(bid), spec.ticks_price(ask)
        return sim.engine.best_prices(sim.market.instruments[self.symbol], sim.now_ms())

    def below(self, sim: BinanceSimulator, factor: str) -> Decimal:
        """``factor`` times the best bid, on the tick: a buy there rests."""
        bid, _ = self.best(sim)
        return (bid * Decimal(factor)).quantize(bid)

    def low_between(self, sim: BinanceSimulator, start_ms: int, end_ms: int) -> Decimal:
        """The lowest public trade price after ``start_ms`` up to ``end_ms``: what a
        resting buy priced there or above would have met."""
        first, last = start_ms // TRADE_MS + 1, end_ms // TRADE_MS
        if self.market == "usdm":
            venue = sim.venues["usdm"]
            spec = venue.symbols[self.symbol]
            trades = venue.market.trades(spec, first, last)
            return spec.ticks_price(min(t.ticks for t in trades))
        instrument = sim.market.instruments[self.symbol]
        trades = sim.market.trades_range(instrument, first, last)
        return Decimal(min(t.ticks for t in trades)).scaleb(-instrument.pair.tick_decimals)

    def above(self, sim: BinanceSimulator) -> Decimal:
        """A little over the best ask, on the tick: a buy there takes, even if the book
        moved (every 100 ms) before the request arrives."""
        _, ask = self.best(sim)
        return (ask * Decimal("1.002")).quantize(ask)


MARKETS = [
    Futures(
        "usdm", "BTCUSDT", Decimal("0.010"), UsdmNewOrder, UsdmModifyOrder,
        UsdmModifyMultipleOrders, UsdmCancelOrder, usdm,
    ),
    Futures(
        "coinm", "BTCUSD_PERP", Decimal(2), CoinMNewOrder, CoinMModifyOrder,
        CoinMModifyMultipleOrders, CoinMCancelOrder, coinm,
    ),
]  # fmt: skip
market = pytest.mark.parametrize("futures", MARKETS, ids=[m.market for m in MARKETS])


@asynccontextmanager
async def _account(futures: Futures) -> AsyncIterator[tuple[BinanceSimulator, Any, Any]]:
    """A simulator, its API and the account's user data of ``futures``' market, typed."""
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        hub = sim.market_streams[futures.market]
        url, settings = sim.ws_urls[futures.market], fast_settings(futures.market)
        async with futures_user_stream(api, futures.market, base_url=url, settings=settings) as s:
            await until(lambda: any(c.listen_key for c in hub.connections))
            yield sim, api, s


async def _resting(
    futures: Futures, sim: BinanceSimulator, api: BinanceRestApi, stream: Any, **extra: Any
) -> Any:
    """A buy resting below the book; its NEW event read."""
    placed = await futures.new(
        api=api, symbol=futures.symbol, side="BUY", type="LIMIT",
        timeInForce=extra.pop("timeInForce", "GTC"), quantity=futures.quantity,
        price=futures.below(sim, "0.98"), **extra,
    ).run()  # fmt: skip
    (new,) = await events_while_coming(stream)
    assert (new.order.order_id, new.order.execution_type) == (placed["orderId"], "NEW")
    return placed


def _updates(events: list[Any]) -> list[tuple[str, str | None, str | None]]:
    """Each event's type, and an order update's execution type and status."""
    return [
        (e.event_type, e.order.execution_type, e.order.order_status)
        if e.event_type == "ORDER_TRADE_UPDATE"
        else (e.event_type, None, None)
        for e in events
    ]


def _as_answered(event: Any, answer: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Where the AMENDMENT ``event`` differs from the modify answer."""
    order = event.order
    pairs = {
        "orderId": (order.order_id, answer["orderId"]),
        "clientOrderId": (order.client_order_id, answer["clientOrderId"]),
        "price": (order.original_price, Decimal(answer["price"])),
        "origQty": (order.original_quantity, Decimal(answer["origQty"])),
        "modifyId": (order.modify_id, _text(answer.get("modifyId"))),
    }
    return {key: pair for key, pair in pairs.items() if pair[0] != pair[1]}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@market
async def test_a_modification_sends_one_amendment_with_the_answer_s_price_and_quantity(
    futures: Futures,
) -> None:
    async with _account(futures) as (sim, api, stream):
        placed = await _resting(futures, sim, api, stream)
        answers, events = [], []
        for quantity, given in ((futures.quantity * 2, {"modifyId": 7}), (futures.quantity, {})):
            modify = futures.modify(
                api=api, symbol=futures.symbol, side="BUY", orderId=placed["orderId"],
                quantity=quantity, price=futures.below(sim, "0.97"), **given,
            )  # fmt: skip
            answers.append(await modify.run())
            events.append(await events_while_coming(stream))
    for answer, sent in zip(answers, events, strict=True):
        (amendment,) = sent
        assert isinstance(amendment, futures.models.OrderTradeUpdate)
        assert (amendment.order.execution_type, amendment.order.order_status) == (
            "AMENDMENT", answer["status"],
        )  # fmt: skip
        assert _as_answered(amendment, answer) == {}
    assert answers[0]["status"] == "NEW"
    assert (answers[0]["modifyId"], events[0][0].order.modify_id) == (7, "7")
    assert "modifyId" not in answers[1]  # "If omitted, it is not included in the response"
    assert events[1][0].order.modify_id is None
    assert events[0][0].order.original_quantity == futures.quantity * 2
    # the msgspec struct view of the same model reads it too (user data streams deliver
    # models or JSON: ``typed="struct"`` is for market streams)
    as_sent = json.dumps(events[0][0].model_dump(mode="json", by_alias=True, exclude_none=True))
    struct = payload_decoder(futures.models.OrderTradeUpdate, False).decode(as_sent)
    assert (struct.order.execution_type, struct.order.modify_id) == ("AMENDMENT", "7")
    assert struct.order.original_price == Decimal(answers[0]["price"])


@market
async def test_a_modification_whose_price_takes_sends_amendment_then_its_trades(
    futures: Futures,
) -> None:
    async with _account(futures) as (sim, api, stream):
        placed = await _resting(futures, sim, api, stream)
        price = futures.above(sim)
        answer = await futures.modify(
            api=api, symbol=futures.symbol, side="BUY", orderId=placed["orderId"],
            quantity=futures.quantity, price=price, modifyId=3,
        ).run()  # fmt: skip
        events = await events_while_coming(stream)
    amendment, *rest = events
    fills = len(rest) // 2
    assert fills >= 1
    assert _updates(events) == [("ORDER_TRADE_UPDATE", "AMENDMENT", "NEW")] + [
        ("ORDER_TRADE_UPDATE", "TRADE", "PARTIALLY_FILLED"),
        ("ACCOUNT_UPDATE", None, None),
    ] * (fills - 1) + [
        ("ORDER_TRADE_UPDATE", "TRADE", "FILLED"),
        ("ACCOUNT_UPDATE", None, None),
    ]
    assert answer["status"] == "FILLED"
    assert amendment.order.original_price == Decimal(answer["price"]) == price
    assert amendment.order.modify_id == "3"
    trades = rest[::2]
    assert [t.order.modify_id for t in trades] == [None] * fills  # only for AMENDMENT
    assert sum(t.order.last_filled_quantity for t in trades) == Decimal(answer["executedQty"])


@market
async def test_a_modification_that_cancels_sends_what_a_cancellation_sends(
    futures: Futures,
) -> None:
    """ "The order will be cancelled by the amendment ... When the order is `GTX` and the
    new price will cause it to be executed immediately": one CANCELED update, as
    ``DELETE`` of the same kind of order sends."""
    async with _account(futures) as (sim, api, stream):
        modified = await _resting(futures, sim, api, stream, timeInForce="GTX")
        canceled = await _resting(futures, sim, api, stream, timeInForce="GTX")
        answer = await futures.modify(
            api=api, symbol=futures.symbol, side="BUY", orderId=modified["orderId"],
            quantity=futures.quantity, price=futures.above(sim), modifyId=5,
        ).run()  # fmt: skip
        by_modify = await events_while_coming(stream)
        await futures.cancel(api=api, symbol=futures.symbol, orderId=canceled["orderId"]).run()
        by_cancel = await events_while_coming(stream)
    assert answer["status"] == "CANCELED"
    assert (
        _updates(by_modify)
        == _updates(by_cancel)
        == [("ORDER_TRADE_UPDATE", "CANCELED", "CANCELED")]
    )
    assert by_modify[0].order.order_id == modified["orderId"]
    assert by_modify[0].order.modify_id is None  # M: "only pushed for AMENDMENT"


@market
async def test_a_refused_modification_sends_nothing(futures: Futures) -> None:
    async with _account(futures) as (sim, api, stream):
        placed = await _resting(futures, sim, api, stream)
        codes = []
        for side, price in (
            ("BUY", Decimal(placed["price"])),
            ("SELL", futures.below(sim, "0.97")),
        ):
            with pytest.raises(ExchangeError) as refused:  # nothing to modify; wrong side
                await futures.modify(
                    api=api, symbol=futures.symbol, side=side, orderId=placed["orderId"],
                    quantity=futures.quantity, price=price, modifyId=9,
                ).run()  # fmt: skip
            codes.append(refused.value.code)
        events = await events_while_coming(stream)
    assert codes == ([-5027, -1130] if futures.market == "usdm" else [-4197, -1130])
    assert events == []


@market
async def test_a_post_only_order_that_would_take_is_refused_and_sends_nothing(
    futures: Futures,
) -> None:
    """-5022 GTX_ORDER_REJECT on both markets (the COIN-M extract notes that this 50xx
    reject shows up in COIN-M order responses): nothing placed, nothing reported."""
    async with _account(futures) as (sim, api, stream):
        with pytest.raises(ExchangeError) as refused:
            await futures.new(
                api=api, symbol=futures.symbol, side="BUY", type="LIMIT", timeInForce="GTX",
                quantity=futures.quantity, price=futures.above(sim),
            ).run()  # fmt: skip
        events = await events_while_coming(stream)
        placed = await _resting(futures, sim, api, stream, timeInForce="GTX")  # one that rests
    assert refused.value.code == -5022
    assert events == []
    assert placed["status"] == "NEW"


@market
async def test_a_modification_resets_the_stp_mode_and_where_public_trades_may_fill_it(
    futures: Futures,
) -> None:
    """A buy rests below the book; the market dips, but not to it; the buy is then
    modified to the dip's low, still below the book: its STP mode is reset to NONE
    (Binance's STP FAQ; COIN-M kept EXPIRE_TAKER), and the trades before the
    modification met the old price, not the new one, so it stays NEW (the new price joins
    the book now; a guard: both engines already scanned up to the request before it)."""
    clock = FakeClock()
    async with (
        BinanceSimulator(seed=5, clock=clock) as sim,
        sim.api(time_sync_interval=None, max_clock_offset=None) as api,
    ):
        follow_clock(api, sim)
        placed = await futures.new(
            api=api, symbol=futures.symbol, side="BUY", type="LIMIT", timeInForce="GTC",
            quantity=futures.quantity, price=futures.below(sim, "0.98"),
            selfTradePreventionMode="EXPIRE_TAKER",
        ).run()  # fmt: skip
        start, old = sim.now_ms(), Decimal(placed["price"])
        for _ in range(200):  # ten minutes at a time, until a dip the old price missed
            clock.advance(600)
            low = futures.low_between(sim, start, sim.now_ms())
            bid, _ = futures.best(sim)
            if old < low < bid:
                break
        else:
            raise AssertionError("the market never dipped without reaching the order")
        follow_clock(api, sim)
        await futures.modify(
            api=api, symbol=futures.symbol, side="BUY", orderId=placed["orderId"],
            quantity=futures.quantity, price=low,
        ).run()  # fmt: skip
        order = await _query(futures, api, placed["orderId"])
    assert Decimal(order["price"]) == low
    assert (order["status"], order["selfTradePreventionMode"]) == ("NEW", "NONE")


async def _query(futures: Futures, api: BinanceRestApi, order_id: int) -> Any:
    task = UsdmQueryOrder if futures.market == "usdm" else CoinMQueryOrder
    return await task(api=api, symbol=futures.symbol, orderId=order_id).run()


@market
async def test_a_batch_modification_sends_one_amendment_per_modified_order(
    futures: Futures,
) -> None:
    async with _account(futures) as (sim, api, stream):
        first = await _resting(futures, sim, api, stream)
        second = await _resting(futures, sim, api, stream)
        price = futures.below(sim, "0.97")
        items = [
            {"orderId": first["orderId"], "modifyId": 1},
            {"orderId": 1, "modifyId": 2},  # no such order: refused
            {"orderId": second["orderId"]},
        ]
        with pytest.raises(BatchError) as refused:  # a batch is not atomic: the rest went
            await futures.batch(
                api=api,
                batchOrders=[
                    {"symbol": futures.symbol, "side": "BUY", "quantity": str(futures.quantity),
                     "price": str(price), **item}
                    for item in items
                ],
            ).run()  # fmt: skip
        answer = list(refused.value.items)
        events = await events_while_coming(stream)
    assert answer[1] == {"code": -2013, "msg": "Order does not exist."}
    assert answer[0]["modifyId"] == 1  # returned as sent
    assert "modifyId" not in answer[2]
    assert [index for index, _ in refused.value.item_errors] == [1]
    assert _updates(events) == [("ORDER_TRADE_UPDATE", "AMENDMENT", "NEW")] * 2
    for event, answered in zip(events, (answer[0], answer[2]), strict=True):
        assert _as_answered(event, answered) == {}
    assert [e.order.modify_id for e in events] == ["1", None]

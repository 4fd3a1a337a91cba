"""Spot pegged orders (Binance's pegged orders FAQ): a limit order priced from the book,
PRIMARY_PEG at the best price of its own side, MARKET_PEG at the best of the other side,
``pegOffsetType=PRICE_LEVEL`` with ``pegOffsetValue`` levels deeper; answers show the
sent ``price`` (zero when none) and the ``peggedPrice``; the filters apply at the pegged
price; stop-limit orders are pegged when they trigger; MARKET, STOP_LOSS and TAKE_PROFIT
cannot be pegged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.tape import TRADE_MS

BTC = "BTCUSDT"


@pytest.fixture
def desk() -> SpotDesk:
    return SpotDesk()


def book(desk: SpotDesk, depth: int = 5) -> tuple[list[Decimal], list[Decimal]]:
    answer = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=depth)
    return [Decimal(p) for p, _ in answer["bids"]], [Decimal(p) for p, _ in answer["asks"]]


def test_the_symbol_allows_pegged_orders(desk: SpotDesk) -> None:
    info = desk.call("GET", "/api/v3/exchangeInfo", symbol=BTC)["symbols"][0]
    assert info["pegInstructionsAllowed"] is True


def test_a_primary_peg_buy_rests_at_the_best_bid(desk: SpotDesk) -> None:
    bids, _ = book(desk)
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        pegPriceType="PRIMARY_PEG", newOrderRespType="RESULT")  # fmt: skip
    assert placed["status"] == "NEW"
    assert placed["price"] == "0.00000000"  # no price was sent
    assert placed["pegPriceType"] == "PRIMARY_PEG"
    assert Decimal(placed["peggedPrice"]) == bids[0]
    assert desk.locked("USDT") == (bids[0] * Decimal("0.01")).quantize(Decimal("0.00000001"))
    queried = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert Decimal(queried["peggedPrice"]) == bids[0]
    assert queried["pegPriceType"] == "PRIMARY_PEG"


def test_a_price_level_offset_goes_deeper_into_the_book(desk: SpotDesk) -> None:
    bids, _ = book(desk)
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                        pegPriceType="PRIMARY_PEG", pegOffsetType="PRICE_LEVEL",
                        pegOffsetValue=3, newOrderRespType="RESULT")  # fmt: skip
    assert Decimal(placed["peggedPrice"]) == bids[3]
    assert (placed["pegOffsetType"], placed["pegOffsetValue"]) == ("PRICE_LEVEL", 3)


def test_a_market_peg_ioc_takes_the_best_offer_and_only_that_price(desk: SpotDesk) -> None:
    answer = desk.call("GET", "/api/v3/depth", symbol=BTC, limit=5)
    best, available = (Decimal(v) for v in answer["asks"][0])
    placed = desk.order(side="BUY", type="LIMIT", timeInForce="IOC",
                        quantity=available + Decimal("0.1"), pegPriceType="MARKET_PEG",
                        price=best + 10)  # fmt: skip
    assert Decimal(placed["peggedPrice"]) == best
    assert Decimal(placed["price"]) == best + 10  # the sent price, answered as sent
    assert placed["status"] == "EXPIRED"
    assert {Decimal(fill["price"]) for fill in placed["fills"]} == {best}
    assert Decimal(placed["executedQty"]) == available


def test_a_pegged_limit_maker_sell_rests_at_the_best_ask(desk: SpotDesk) -> None:
    _, asks = book(desk)
    placed = desk.order(side="SELL", type="LIMIT_MAKER", quantity=Decimal("0.01"),
                        pegPriceType="PRIMARY_PEG", newOrderRespType="RESULT")  # fmt: skip
    assert placed["status"] == "NEW"
    assert Decimal(placed["peggedPrice"]) == asks[0]


def test_a_pegged_stop_limit_is_priced_when_it_triggers(desk: SpotDesk) -> None:
    stop = desk.price("0.999")
    placed = desk.order(side="SELL", type="STOP_LOSS_LIMIT", quantity=Decimal("0.01"),
                        stopPrice=stop, timeInForce="GTC", pegPriceType="PRIMARY_PEG",
                        newOrderRespType="RESULT")  # fmt: skip
    assert "peggedPrice" not in placed  # not priced until it triggers
    spec = desk.venue.symbols[BTC]
    start = desk.now // TRADE_MS + 1
    trigger = next(
        trade
        for trade in desk.venue.tape.trades_range(spec, start, start + 72 * 360)
        if spec.tick * trade.ticks <= stop
    )
    desk.now = trigger.time
    _, asks = desk.venue.tape.book_levels(spec, trigger.time, 1)
    order = desk.call("GET", "/api/v3/order", symbol=BTC, orderId=placed["orderId"])
    assert order["isWorking"]
    assert Decimal(order["peggedPrice"]) == spec.tick * asks[0][0]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "MARKET", "pegPriceType": "PRIMARY_PEG"},
        {"type": "STOP_LOSS", "stopPrice": "0.99", "pegPriceType": "MARKET_PEG"},
        {"type": "LIMIT", "timeInForce": "IOC", "pegPriceType": "PRIMARY_PEG"},
        {"type": "LIMIT_MAKER", "pegPriceType": "MARKET_PEG"},
    ],
)
def test_unsupported_pegged_orders_are_refused(desk: SpotDesk, params: dict[str, Any]) -> None:
    if "stopPrice" in params:
        params["stopPrice"] = desk.price(params["stopPrice"])
    for path in ("/api/v3/order", "/api/v3/order/test"):
        with pytest.raises(SimError) as caught:
            desk.call("POST", path, symbol=BTC, side="BUY", quantity=Decimal("0.01"), **params)
        assert (caught.value.code, caught.value.msg) == (-1014, "Unsupported order combination.")


def test_offset_type_and_value_go_together(desk: SpotDesk) -> None:
    with pytest.raises(SimError) as caught:
        desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.01"),
                   pegPriceType="PRIMARY_PEG", pegOffsetValue=2)  # fmt: skip
    assert caught.value.code == -1102
    assert "'pegOffsetType'" in caught.value.msg


def test_filters_apply_at_the_pegged_price(desk: SpotDesk) -> None:
    with pytest.raises(SimError) as caught:  # 0.00002 BTC at the best bid: under NOTIONAL
        desk.order(side="BUY", type="LIMIT", timeInForce="GTC", quantity=Decimal("0.00002"),
                   pegPriceType="PRIMARY_PEG")  # fmt: skip
    assert (caught.value.code, caught.value.msg) == (-1013, "Filter failure: NOTIONAL")

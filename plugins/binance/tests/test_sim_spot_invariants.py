"""The Spot account stays consistent whatever is done to it: a seeded random mix of orders,
lists, cancellations and time passing never breaks the simulator (only Binance's refusals,
``SimError``), and after every step no balance is negative, what is locked is what the open
orders hold, and every asset's total is the demo funding plus the account's own trades.
Mixed with amendments and cancel-replaces, each working order (each open OCO pair, whose
legs share one hold) also holds exactly what its rest needs."""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sim_spot_helpers import SpotDesk

from aioca_binance_sim.errors import SimError
from aioca_binance_sim.spot.engine import INITIAL_BALANCES
from aioca_binance_sim.spot.orders import LIMIT_PRICED, Order

SYMBOLS = ("BTCUSDT", "ETHBTC", "XRPUSDT")
QUANTITY = {"BTCUSDT": "0.01", "ETHBTC": "0.05", "XRPUSDT": "50"}
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT")


def random_step(desk: SpotDesk, rng: random.Random) -> None:
    symbol = rng.choice(SYMBOLS)
    qty = Decimal(QUANTITY[symbol]) * rng.randint(1, 4)
    side = rng.choice(("BUY", "SELL"))
    near = lambda low, high: desk.price(f"{rng.uniform(low, high):.4f}", symbol)  # noqa: E731
    action = rng.randrange(14)
    if action == 0:
        desk.order(symbol=symbol, side=side, type="MARKET", quantity=qty)
    elif action == 1:
        desk.order(symbol=symbol, side=side, type="LIMIT", quantity=qty, price=near(0.99, 1.01),
                   timeInForce=rng.choice(("GTC", "IOC", "FOK")))  # fmt: skip
    elif action == 2:
        kind = rng.choice(("STOP_LOSS", "TAKE_PROFIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"))
        extra: dict[str, Any] = {}
        if kind.endswith("LIMIT"):
            extra = {"price": near(0.99, 1.01), "timeInForce": "GTC"}
        desk.order(symbol=symbol, side=side, type=kind, quantity=qty,
                   stopPrice=near(0.995, 1.005), **extra)  # fmt: skip
    elif action == 3:
        desk.call("POST", "/api/v3/orderList/oco", symbol=symbol, side="SELL", quantity=qty,
                  aboveType="LIMIT_MAKER", abovePrice=near(1.001, 1.004),
                  belowType="STOP_LOSS", belowStopPrice=near(0.996, 0.999))  # fmt: skip
    elif action == 4:
        desk.call("POST", "/api/v3/orderList/otoco", symbol=symbol, workingType="LIMIT",
                  workingSide="BUY", workingPrice=near(0.998, 1.002), workingQuantity=qty,
                  workingTimeInForce="GTC", pendingSide="SELL", pendingQuantity=qty,
                  pendingAboveType="LIMIT_MAKER", pendingAbovePrice=near(1.003, 1.006),
                  pendingBelowType="STOP_LOSS",
                  pendingBelowStopPrice=near(0.99, 0.995))  # fmt: skip
    elif action == 5:
        open_orders = desk.call("GET", "/api/v3/openOrders")
        if open_orders:
            order = rng.choice(open_orders)
            desk.call("DELETE", "/api/v3/order", symbol=order["symbol"], orderId=order["orderId"])
    elif action == 6:
        desk.call("DELETE", "/api/v3/openOrders", symbol=symbol)
    elif action == 7:  # rest at the best price, where the account's next orders meet it
        book = desk.call("GET", "/api/v3/depth", symbol=symbol, limit=1)
        best = book["asks" if side == "SELL" else "bids"][0][0]
        desk.order(symbol=symbol, side=side, type="LIMIT", timeInForce="GTC", quantity=qty,
                   price=Decimal(best))  # fmt: skip
    elif action == 8:  # meet one of the account's own resting orders: STP acts
        resting = [o for o in desk.call("GET", "/api/v3/openOrders")
                   if o["type"] in ("LIMIT", "LIMIT_MAKER")]  # fmt: skip
        if resting:
            own = rng.choice(resting)
            other = "SELL" if own["side"] == "BUY" else "BUY"
            desk.order(symbol=own["symbol"], side=other, type="LIMIT",
                       timeInForce=rng.choice(("GTC", "IOC")),
                       price=Decimal(own.get("peggedPrice", own["price"])),
                       quantity=Decimal(QUANTITY[own["symbol"]]) * rng.randint(1, 4),
                       selfTradePreventionMode=rng.choice(STP_MODES))  # fmt: skip
    elif action == 9:  # a trailing stop, with or without its activation price
        kind = rng.choice(("STOP_LOSS", "TAKE_PROFIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"))
        extra = {"price": near(0.99, 1.01), "timeInForce": "GTC"} if kind.endswith("LIMIT") else {}
        if rng.random() < 0.5:
            extra["stopPrice"] = near(0.995, 1.005)
        desk.order(symbol=symbol, side=side, type=kind, quantity=qty,
                   trailingDelta=rng.choice((10, 25, 50)), **extra)  # fmt: skip
    elif action == 10:  # an iceberg
        desk.order(symbol=symbol, side=side, type="LIMIT", timeInForce="GTC", quantity=qty * 4,
                   price=near(0.998, 1.002), icebergQty=qty)  # fmt: skip
    elif action == 11:  # a pegged order
        peg = rng.choice(("PRIMARY_PEG", "MARKET_PEG"))
        offset = {"pegOffsetType": "PRICE_LEVEL", "pegOffsetValue": rng.randint(1, 5)}
        desk.order(symbol=symbol, side=side, type="LIMIT", quantity=qty, pegPriceType=peg,
                   timeInForce="GTC" if peg == "PRIMARY_PEG" else rng.choice(("GTC", "IOC")),
                   **(offset if rng.random() < 0.5 else {}))  # fmt: skip
    else:
        desk.now += rng.choice((1_000, 10_000, 60_000, 600_000))


def check_books(desk: SpotDesk) -> None:
    engine = desk.venue.engine
    engine.catch_up(desk.now)
    held: dict[str, Decimal] = defaultdict(Decimal)
    for order in engine.open_orders():
        held[order.spec.quote if order.side == "BUY" else order.spec.base] += order.locked
    totals = dict(INITIAL_BALANCES)
    for trade in engine.trades:
        spec = desk.venue.symbols[trade["symbol"]]
        qty, quote, fee = (Decimal(trade[k]) for k in ("qty", "quoteQty", "commission"))
        sign = 1 if trade["isBuyer"] else -1
        totals[spec.base] += sign * qty
        totals[spec.quote] -= sign * quote
        totals[trade["commissionAsset"]] -= fee
    for asset in engine.free:
        assert engine.free[asset] >= 0, asset
        assert engine.locked[asset] == held[asset], asset
        assert engine.free[asset] + engine.locked[asset] == totals[asset], asset


@pytest.mark.parametrize("seed", range(6))
def test_random_trading_keeps_the_account_consistent(seed: int) -> None:
    rng = random.Random(seed)
    desk = SpotDesk(seed=seed)
    refusals: list[int] = []
    for _ in range(150):
        try:
            random_step(desk, rng)
        except SimError as error:  # Binance's refusal, the only failure allowed
            refusals.append(error.code)
        check_books(desk)
    assert all(code < 0 for code in refusals)
    assert desk.venue.engine.trades, "nothing traded: the mix is too timid to test anything"
    assert len(refusals) < 150


def test_the_mix_meets_every_order_kind() -> None:
    """The random mix above does reach the account's own orders (else it proves nothing
    about STP), and trailing stops, icebergs and pegged orders do trade in it."""
    prevented = 0
    traded: set[str] = set()
    for seed in range(6):
        rng, desk = random.Random(seed), SpotDesk(seed=seed)
        for _ in range(150):
            with contextlib.suppress(SimError):
                random_step(desk, rng)
        engine = desk.venue.engine
        prevented += len(engine.prevented)
        for order in engine.orders.values():
            if order.executed:
                traded |= {name for name, value in (
                    ("trailing", order.trailing_delta), ("iceberg", order.iceberg_qty),
                    ("pegged", order.peg_price_type)) if value}  # fmt: skip
    assert prevented > 0
    assert traded == {"trailing", "iceberg", "pegged"}


def amend_or_replace(desk: SpotDesk, rng: random.Random) -> None:
    """Amend a random open order down, or cancel-replace it (either mode) by a limit order."""
    open_orders = desk.venue.engine.open_orders()
    if not open_orders:
        return
    order = rng.choice(open_orders)
    qty = (order.orig_qty * Decimal(rng.choice(("0.25", "0.5", "0.75")))).quantize(order.spec.step)
    if rng.random() < 0.5:
        desk.call("PUT", "/api/v3/order/amend/keepPriority", symbol=order.symbol,
                  orderId=order.order_id, newQty=qty)  # fmt: skip
    else:
        desk.call("POST", "/api/v3/order/cancelReplace", symbol=order.symbol,
                  cancelOrderId=order.order_id, side=order.side, type="LIMIT",
                  cancelReplaceMode=rng.choice(("STOP_ON_FAILURE", "ALLOW_FAILURE")),
                  timeInForce="GTC", quantity=qty,
                  price=desk.price(rng.choice(("0.999", "1.001")), order.symbol))  # fmt: skip


def _need(order: Order) -> Decimal:
    """What an order of the account must hold for its rest: the base for a sell, the
    quote at its price for a limit-priced buy (to the 8 decimals balances keep)."""
    if order.side == "SELL":
        return order.remaining
    if order.type not in LIMIT_PRICED:
        return Decimal(0)
    return (order.price * order.remaining).quantize(Decimal("0.00000001"))


def check_holds(desk: SpotDesk) -> None:
    """Each working order holds what its rest needs (a limit-priced one: a market-priced
    stop pays as it fills), an open OCO pair once, the larger need of its legs."""
    engine = desk.venue.engine
    for order in engine.open_orders():
        if order.status == "PENDING_NEW" or not order.is_working:
            continue
        pair = [order, *(leg for leg in order.siblings if leg.is_open)]
        if len(pair) == 1 and order.type not in LIMIT_PRICED:
            continue
        need = max(_need(leg) for leg in pair)
        assert sum(leg.locked for leg in pair) == need, (order.order_id, order.type)


@pytest.mark.parametrize("seed", range(12))
def test_amendments_and_replacements_keep_each_order_s_hold(seed: int) -> None:
    rng = random.Random(seed)
    desk = SpotDesk(seed=seed)
    for _ in range(200):
        with contextlib.suppress(SimError):
            if rng.random() < 0.25:
                amend_or_replace(desk, rng)
            else:
                random_step(desk, rng)
        check_books(desk)
        check_holds(desk)
    assert desk.venue.engine.amendments, "no amendment went through: the mix tests nothing"

"""Liquidation on USDⓈ-M: when the mark price brings a position's margin (isolated) or
an asset's cross margin down to the maintenance margin, the position is closed by an
``autoclose-`` order that ``forceOrders``, ``userTrades`` and the income history show;
a position with margin to spare over the same prices is left alone. Multi-Assets mode
lets USDC margin a USDT position. ``adlQuantile`` ranks the positions held."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sim_usdm_helpers import Desk

from aioca_binance_sim.market import TRADE_MS

D = Decimal
ETH = "ETHUSDT"
DAY = 86_400_000


def _market(desk: Desk, side: str, qty: str, symbol: str = ETH) -> Any:
    return desk("POST", "/fapi/v1/order", symbol=symbol, side=side, type="MARKET",
                quantity=D(qty), newOrderRespType="RESULT")  # fmt: skip


def _position(desk: Desk, symbol: str = ETH) -> dict[str, Any]:
    rows = desk("GET", "/fapi/v2/positionRisk", symbol=symbol)
    return next(r for r in rows if r["positionSide"] == "BOTH")  # type: ignore[no-any-return]


def _first(desk: Desk, symbol: str, met: Callable[[D], bool]) -> int:
    """The first trade time after now, within a day, whose mark price meets ``met``."""
    s = desk.venue.symbols[symbol]
    for step in range(desk.now // TRADE_MS + 1, (desk.now + DAY) // TRADE_MS):
        if met(desk.venue.market.mark_price(s, step * TRADE_MS)):
            return step * TRADE_MS
    raise AssertionError("the mark never got there within a day")


def _thin_isolated_long(desk: Desk) -> D:
    """A 1 ETH isolated long at 100x, its margin cut to just above maintenance: the
    liquidation price it reports."""
    desk("POST", "/fapi/v1/marginType", symbol=ETH, marginType="ISOLATED")
    desk("POST", "/fapi/v1/leverage", symbol=ETH, leverage=100)
    _market(desk, "BUY", "1.000")
    engine = desk.engine
    p = engine.positions[(ETH, "BOTH")]
    spare = p.isolated_margin - engine.maint_margin(p, desk.now)
    desk(
        "POST",
        "/fapi/v1/positionMargin",
        symbol=ETH,
        amount=(spare * D("0.7")).quantize(D("0.01")),
        type=2,
    )
    return D(_position(desk)["liquidationPrice"])


def test_an_isolated_position_is_liquidated_when_the_mark_reaches_its_liquidation_price() -> None:
    desk = Desk()
    liquidation = _thin_isolated_long(desk)
    assert liquidation > 0
    margin = desk.engine.positions[(ETH, "BOTH")].isolated_margin
    wallet = desk.engine.account.balances["USDT"]
    safe_until = _first(desk, ETH, lambda mark: mark <= liquidation * D("1.001"))
    desk.advance(safe_until - TRADE_MS - desk.now)
    assert desk("GET", "/fapi/v1/forceOrders") == []  # not yet: the mark stayed above
    assert D(_position(desk)["positionAmt"]) == 1
    below = _first(desk, ETH, lambda mark: mark < liquidation * D("0.999"))
    desk.advance(below - desk.now)
    forced = desk("GET", "/fapi/v1/forceOrders", symbol=ETH)
    assert len(forced) == 1
    order = forced[0]
    assert order["clientOrderId"].startswith("autoclose-")
    assert (order["status"], order["type"], order["timeInForce"]) == ("FILLED", "LIMIT", "IOC")
    assert (order["side"], order["executedQty"]) == ("SELL", "1.000")
    assert order["time"] <= below
    assert D(_position(desk)["positionAmt"]) == 0
    trades = desk("GET", "/fapi/v1/userTrades", symbol=ETH)
    assert trades[-1]["orderId"] == order["orderId"]
    assert D(trades[-1]["realizedPnl"]) < 0
    kinds = {r["incomeType"] for r in desk("GET", "/fapi/v1/income", symbol=ETH)}
    assert {"REALIZED_PNL", "COMMISSION", "INSURANCE_CLEAR"} <= kinds
    # The simulator's rule: an isolated liquidation costs exactly the isolated margin.
    assert desk.engine.account.balances["USDT"] == wallet - margin
    assert desk("GET", "/fapi/v1/forceOrders", autoCloseType="ADL") == []


def test_a_position_with_margin_to_spare_survives_the_same_prices() -> None:
    thin = Desk()
    liquidation = _thin_isolated_long(thin)
    below = _first(thin, ETH, lambda mark: mark < liquidation * D("0.999"))
    desk = Desk()
    desk("POST", "/fapi/v1/marginType", symbol=ETH, marginType="ISOLATED")
    desk("POST", "/fapi/v1/leverage", symbol=ETH, leverage=5)
    _market(desk, "BUY", "1.000")
    desk.advance(below - desk.now)
    assert desk("GET", "/fapi/v1/forceOrders") == []
    assert D(_position(desk)["positionAmt"]) == 1


def _falls(desk: Desk) -> bool:
    """Whether ETH's mark is lower half a day on (the seeded walk's direction)."""
    s = desk.venue.symbols[ETH]
    mark = desk.venue.market.mark_price
    return mark(s, desk.now + DAY // 2) < mark(s, desk.now)


def _thin_cross(desk: Desk, usdc: D) -> int:
    """A cross 1 ETH position at 100x on the side the market moves against, on a USDT
    wallet holding little more than its maintenance margin (set directly: the simulator
    has no transfer out), and ``usdc`` in USDC: the first time the mark moves far enough
    to use that cushion up."""
    losing = "BUY" if _falls(desk) else "SELL"
    desk("POST", "/fapi/v1/leverage", symbol=ETH, leverage=100)
    _market(desk, losing, "1.000")
    engine = desk.engine
    p = engine.positions[(ETH, "BOTH")]
    cushion = engine.maint_margin(p, desk.now) * D("1.5")
    engine.account.balances["USDT"] = cushion - engine.unrealized(p, desk.now)
    engine.account.balances["USDC"] = usdc
    entry, sign = p.entry, (1 if losing == "BUY" else -1)
    return _first(desk, ETH, lambda mark: sign * (entry - mark) > cushion)


def test_a_cross_position_is_liquidated_when_the_wallet_no_longer_covers_it() -> None:
    desk = Desk()
    when = _thin_cross(desk, D(0))
    desk.advance(when - desk.now)
    forced = desk("GET", "/fapi/v1/forceOrders")
    assert len(forced) == 1
    assert forced[0]["clientOrderId"].startswith("autoclose-")
    assert D(_position(desk)["positionAmt"]) == 0


def test_multi_assets_mode_lets_usdc_carry_a_usdt_position() -> None:
    desk = Desk()
    desk("POST", "/fapi/v1/multiAssetsMargin", multiAssetsMargin="true")
    when = _thin_cross(desk, D(50_000))
    desk.advance(when - desk.now)
    assert desk("GET", "/fapi/v1/forceOrders") == []
    assert abs(D(_position(desk)["positionAmt"])) == 1


def test_without_multi_assets_usdc_does_not_carry_a_usdt_position() -> None:
    desk = Desk()
    when = _thin_cross(desk, D(50_000))
    desk.advance(when - desk.now)
    assert len(desk("GET", "/fapi/v1/forceOrders")) == 1


def test_adl_quantile_ranks_a_profitable_position_and_not_a_losing_one() -> None:
    winner, loser = Desk(), Desk()
    falls = _falls(winner)
    for desk, side in ((winner, "SELL" if falls else "BUY"), (loser, "BUY" if falls else "SELL")):
        desk("POST", "/fapi/v1/leverage", symbol=ETH, leverage=50)
        _market(desk, side, "1.000")
        desk.advance(DAY // 2)
    won = winner("GET", "/fapi/v1/adlQuantile", symbol=ETH)[0]["adlQuantile"]
    lost = loser("GET", "/fapi/v1/adlQuantile", symbol=ETH)[0]["adlQuantile"]
    held = "SHORT" if falls else "LONG"
    assert won["BOTH"] == won[held] >= 1
    assert lost["BOTH"] == 0

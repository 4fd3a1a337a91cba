"""Handlers of the signed USDⓈ-M endpoints (orders, algo orders, positions, account,
history, convert) and of the user data stream's listen key, backed by
:class:`~aioca_binance_sim.usdm.engine.UsdmEngine`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..context import Call
from ..downloads import download_link, new_download
from ..errors import SimError
from ..leverage_brackets import rest_rows
from .batch import order_items
from .engine import MAKER_FEE, TAKER_FEE, Order, Position, UsdmEngine, money
from .instruments import UsdmSymbol
from .market_handlers import rate_limits, usdm, venue_of

__all__: list[str] = []

_DONE = {"code": 200, "msg": "success"}
_ALL_CANCELED = {"code": 200, "msg": "The operation of cancel all open order is done."}


def _engine(call: Call) -> UsdmEngine:
    engine = venue_of(call).engine
    engine.catch_up(call.now)
    return engine


def _error_json(error: SimError) -> dict[str, Any]:
    return {"code": error.code, "msg": error.msg}


def _between(rows: list[Any], p: dict[str, Any], key: str) -> list[Any]:
    if "startTime" in p and "endTime" in p and p["startTime"] > p["endTime"]:
        raise SimError(-1023, "Start time is greater than end time.")
    if "startTime" in p:
        rows = [r for r in rows if r[key] >= p["startTime"]]
    if "endTime" in p:
        rows = [r for r in rows if r[key] <= p["endTime"]]
    return rows


def _limit(p: dict[str, Any], default: int, most: int) -> int:
    limit = p.get("limit", default)
    if not 1 <= limit <= most:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    return int(limit)


# --- orders ---------------------------------------------------------------------------


def placed_json(order: Order, params: dict[str, Any]) -> dict[str, Any]:
    """The placement answer: with ``newOrderRespType=RESULT`` the order after its fills
    (a MARKET order FILLED), else, Binance's default ``ACK``, the order as accepted
    (``NEW``, nothing executed yet) though it may have filled at once."""
    if params.get("newOrderRespType", "ACK") == "ACK" and order.accepted is not None:
        return dict(order.accepted)
    return order.to_json()


@usdm("/fapi/v1/order", "POST")
def new_order(call: Call) -> Any:
    return placed_json(_engine(call).new_order(call.params, call.now), call.params)


@usdm("/fapi/v1/order/test", "POST")
def test_order(call: Call) -> Any:
    """Checks an order as ``POST /fapi/v1/order`` would, without placing it."""
    return _engine(call).new_order(call.params, call.now, test=True).to_json()


@usdm("/fapi/v1/order")
def query_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    return order.to_json(with_time=True, with_cum_qty=False)


@usdm("/fapi/v1/openOrder")
def query_open_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    if not order.is_open:
        raise SimError(-2013, "Order does not exist.")
    return order.to_json(with_time=True, with_cum_qty=False)


@usdm("/fapi/v1/order", "PUT")
def modify_order(call: Call) -> Any:
    return _engine(call).modify(call.params, call.now).modify_json()


@usdm("/fapi/v1/order", "DELETE")
def cancel_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).cancel(
        p["symbol"], p.get("orderId"), p.get("origClientOrderId"), call.now
    )
    return _canceled_json(order)


def _canceled_json(order: Order) -> dict[str, Any]:
    """A canceled order as the cancel endpoints write it (no ``avgPrice``)."""
    data = order.to_json()
    del data["avgPrice"]
    return data


@usdm("/fapi/v1/allOpenOrders", "DELETE")
def cancel_all(call: Call) -> Any:
    _engine(call).cancel_all(call.params["symbol"], call.now)
    return dict(_ALL_CANCELED)


@usdm("/fapi/v1/openOrders")
def open_orders(call: Call) -> Any:
    engine = _engine(call)
    name = call.params.get("symbol")
    if name is not None:
        engine.symbol(name)
    return [o.to_json(with_time=True, with_cum_qty=False) for o in engine.open_orders(name)]


@usdm("/fapi/v1/allOrders")
def all_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    limit = _limit(p, 500, 1000)
    chosen = {s.name for s in venue_of(call).selected(p)}
    orders: list[Order] = [o for o in engine.orders.values() if o.symbol.name in chosen]
    if "orderId" in p:
        orders = [o for o in orders if o.order_id >= p["orderId"]]
    rows = _between([o.to_json(with_time=True, with_cum_qty=False) for o in orders], p, "time")
    return rows[:limit] if "orderId" in p or "startTime" in p else rows[-limit:]


@usdm("/fapi/v1/batchOrders", "POST")
def place_batch(call: Call) -> Any:
    """Each item placed on its own: a refused item is an error object in its slot."""
    engine = _engine(call)
    results: list[Any] = []
    for item in order_items(call.params["batchOrders"], "place"):
        if isinstance(item, SimError):
            results.append(_error_json(item))
            continue
        try:
            results.append(placed_json(engine.new_order(item, call.now), item))
        except SimError as error:
            results.append(_error_json(error))
    return results


@usdm("/fapi/v1/batchOrders", "PUT")
def modify_batch(call: Call) -> Any:
    engine = _engine(call)
    results: list[Any] = []
    for item in order_items(call.params["batchOrders"], "modify"):
        if isinstance(item, SimError):
            results.append(_error_json(item))
            continue
        try:
            results.append(engine.modify(item, call.now).modify_json())
        except SimError as error:
            results.append(_error_json(error))
    return results


@usdm("/fapi/v1/batchOrders", "DELETE")
def cancel_batch(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    name = p["symbol"]
    engine.symbol(name)
    if "orderIdList" not in p and "origClientOrderIdList" not in p:
        raise SimError(
            -1102,
            "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were "
            "empty/null!",
        )
    ids: list[tuple[int | None, str | None]] = [(i, None) for i in p.get("orderIdList", [])]
    ids += [(None, c) for c in p.get("origClientOrderIdList", [])]
    if len(ids) > 10:
        raise SimError(-4032, "Exceed maximum cancel order size.")
    results: list[Any] = []
    for order_id, client_id in ids:
        try:
            results.append(_canceled_json(engine.cancel(name, order_id, client_id, call.now)))
        except SimError as error:
            results.append(_error_json(error))
    return results


@usdm("/fapi/v1/countdownCancelAll", "POST")
def countdown_cancel_all(call: Call) -> Any:
    engine = _engine(call)
    name = call.params["symbol"]
    engine.symbol(name)
    countdown = call.params["countdownTime"]
    if countdown:
        engine.countdowns[name] = call.now + countdown
    else:
        engine.countdowns.pop(name, None)
    return {"symbol": name, "countdownTime": str(countdown)}


@usdm("/fapi/v1/orderAmendment")
def order_amendments(call: Call) -> Any:
    p = call.params
    engine = _engine(call)
    limit = _limit(p, 50, 100)
    order = engine.find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    rows = [a for a in engine.amendments if a["orderId"] == order.order_id]
    rows = _between(rows, p, "time")
    rows.sort(key=lambda a: a["amendmentId"], reverse=True)
    return rows[:limit]


@usdm("/fapi/v1/rateLimit/order")
def order_rate_limits(call: Call) -> Any:
    return [r for r in rate_limits(call) if r["rateLimitType"] == "ORDERS"]


# --- algo orders -----------------------------------------------------------------------


@usdm("/fapi/v1/algoOrder", "POST")
def new_algo_order(call: Call) -> Any:
    return _engine(call).new_algo(call.params, call.now).to_json()


@usdm("/fapi/v1/algoOrder")
def query_algo_order(call: Call) -> Any:
    p = call.params
    return _engine(call).find_algo(p.get("algoId"), p.get("clientAlgoId")).to_json(query=True)


@usdm("/fapi/v1/algoOrder", "DELETE")
def cancel_algo_order(call: Call) -> Any:
    p = call.params
    algo = _engine(call).cancel_algo(p.get("algoId"), p.get("clientAlgoId"), call.now)
    return {"algoId": algo.algo_id, "clientAlgoId": algo.client_id, "code": "200", "msg": "success"}


@usdm("/fapi/v1/algoOpenOrders", "DELETE")
def cancel_all_algo(call: Call) -> Any:
    engine = _engine(call)
    name = call.params["symbol"]
    engine.symbol(name)
    for algo in engine.open_algo_orders(name):
        engine.cancel_algo(algo.algo_id, None, call.now)
    return dict(_ALL_CANCELED)


@usdm("/fapi/v1/openAlgoOrders")
def open_algo_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    name = p.get("symbol")
    if name is not None:
        engine.symbol(name)
    rows = engine.open_algo_orders(name)
    if "algoId" in p:
        rows = [a for a in rows if a.algo_id == p["algoId"]]
    if "algoType" in p and p["algoType"] != "CONDITIONAL":
        rows = []
    return [a.to_json(query=True) for a in rows]


@usdm("/fapi/v1/allAlgoOrders")
def all_algo_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    name = engine.symbol(p["symbol"]).name
    limit = _limit(p, 500, 1000)
    rows = [a for a in engine.algo_orders.values() if a.symbol.name == name]
    if "algoId" in p:
        rows = [a for a in rows if a.algo_id >= p["algoId"]]
    data = _between([a.to_json(query=True) for a in rows], p, "createTime")
    return data[:limit] if "algoId" in p or "startTime" in p else data[-limit:]


# --- account and positions --------------------------------------------------------------


def _asset_json(engine: UsdmEngine, asset: str, now: int, *, v2: bool) -> dict[str, Any]:
    f = engine.asset_figures(asset, now)
    initial = f["position_margin"] + f["order_margin"]
    row: dict[str, Any] = {
        "asset": asset,
        "walletBalance": money(f["wallet"]),
        "unrealizedProfit": money(f["unrealized"]),
        "marginBalance": money(f["wallet"] + f["unrealized"]),
        "maintMargin": money(f["maint"]),
        "initialMargin": money(initial),
        "positionInitialMargin": money(f["position_margin"]),
        "openOrderInitialMargin": money(f["order_margin"]),
        "crossWalletBalance": money(f["cross_wallet"]),
        "crossUnPnl": money(f["cross_unrealized"]),
        "availableBalance": money(f["available"]),
        "maxWithdrawAmount": money(max(Decimal(0), min(f["available"], f["wallet"]))),
    }
    if v2:
        row["marginAvailable"] = True
    row["updateTime"] = engine.account.update_time.get(asset, 0)
    return row


def _totals(engine: UsdmEngine, now: int) -> dict[str, Any]:
    """The account's totals, in USDT as Binance sums them in single-asset mode (the USDC
    figures count at par)."""
    keys = {
        "totalInitialMargin": "initialMargin",
        "totalMaintMargin": "maintMargin",
        "totalWalletBalance": "walletBalance",
        "totalUnrealizedProfit": "unrealizedProfit",
        "totalMarginBalance": "marginBalance",
        "totalPositionInitialMargin": "positionInitialMargin",
        "totalOpenOrderInitialMargin": "openOrderInitialMargin",
        "totalCrossWalletBalance": "crossWalletBalance",
        "totalCrossUnPnl": "crossUnPnl",
        "availableBalance": "availableBalance",
        "maxWithdrawAmount": "maxWithdrawAmount",
    }
    rows = [_asset_json(engine, asset, now, v2=False) for asset in engine.account.balances]
    return {
        total: money(sum((Decimal(r[key]) for r in rows), Decimal(0)))
        for total, key in keys.items()
    }


def _positions(engine: UsdmEngine, call: Call, *, held_only: bool) -> list[Position]:
    chosen = venue_of(call).selected(call.params)
    found = []
    for s in chosen:
        for side in engine.sides():
            position = engine.position(s, side)
            if held_only and not position.amount and not engine.open_orders(s.name):
                continue
            found.append(position)
    return found


def _notional(engine: UsdmEngine, position: Position, now: int) -> Decimal:
    return position.amount * engine.market.mark_price(position.symbol, now)


def _open_notional(engine: UsdmEngine, position: Position, side: str) -> Decimal:
    return sum(
        (
            o.remaining * o.price
            for o in engine.open_orders(position.symbol.name)
            if o.side == side and o.position_side == position.side
        ),
        Decimal(0),
    )


def _break_even(position: Position) -> str:
    if not position.amount:
        return "0.0"
    per_unit = position.fees / abs(position.amount)
    price = position.entry + (per_unit if position.amount > 0 else -per_unit)
    return f"{price:.{position.symbol.tick_decimals + 4}f}"


def _entry(position: Position) -> str:
    if not position.amount:
        return "0.0"
    return f"{position.entry:.{position.symbol.tick_decimals + 4}f}"


def _order_margin_of(engine: UsdmEngine, position: Position) -> Decimal:
    return sum(
        (
            o.remaining * o.price / engine.leverage(o.symbol.name)
            for o in engine.open_orders(position.symbol.name)
            if o.position_side == position.side and not o.reduce_only
        ),
        Decimal(0),
    )


@usdm("/fapi/v2/account")
def account_v2(call: Call) -> Any:
    engine = _engine(call)
    now = call.now
    positions = []
    for position in _positions(engine, call, held_only=False):
        s = position.symbol
        margin = engine.position_margin(position, now)
        order_margin = _order_margin_of(engine, position)
        positions.append(
            {
                "symbol": s.name,
                "initialMargin": money(margin + order_margin),
                "maintMargin": money(engine.maint_margin(position, now)),
                "unrealizedProfit": money(engine.unrealized(position, now)),
                "positionInitialMargin": money(margin),
                "openOrderInitialMargin": money(order_margin),
                "leverage": str(engine.leverage(s.name)),
                "isolated": s.name in engine.account.isolated,
                "entryPrice": _entry(position),
                "breakEvenPrice": _break_even(position),
                "maxNotional": str(engine.max_notional(s, engine.leverage(s.name), now)),
                "bidNotional": money(_open_notional(engine, position, "BUY")),
                "askNotional": money(_open_notional(engine, position, "SELL")),
                "positionSide": position.side,
                "positionAmt": s.qty_text(position.amount),
                "updateTime": position.update_time,
            }
        )
    return {
        "feeTier": 0,
        "feeBurn": engine.account.fee_burn,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "multiAssetsMargin": engine.account.multi_assets,
        "tradeGroupId": -1,
        **_totals(engine, now),
        "assets": [_asset_json(engine, a, now, v2=True) for a in engine.account.balances],
        "positions": positions,
    }


@usdm("/fapi/v3/account")
def account_v3(call: Call) -> Any:
    """Only the positions held (or with open orders), as the v3 endpoint lists them."""
    engine = _engine(call)
    now = call.now
    positions = []
    for position in _positions(engine, call, held_only=True):
        s = position.symbol
        margin = engine.position_margin(position, now)
        positions.append(
            {
                "symbol": s.name,
                "positionSide": position.side,
                "positionAmt": s.qty_text(position.amount),
                "unrealizedProfit": money(engine.unrealized(position, now)),
                "isolatedMargin": money(position.isolated_margin),
                "notional": money(_notional(engine, position, now)),
                "isolatedWallet": money(position.isolated_margin),
                "initialMargin": money(margin + _order_margin_of(engine, position)),
                "maintMargin": money(engine.maint_margin(position, now)),
                "updateTime": position.update_time,
            }
        )
    return {
        **_totals(engine, now),
        "assets": [_asset_json(engine, a, now, v2=False) for a in engine.account.balances],
        "positions": positions,
    }


def _balance_rows(call: Call) -> list[dict[str, Any]]:
    engine = _engine(call)
    rows = []
    for asset in engine.account.balances:
        data = _asset_json(engine, asset, call.now, v2=True)
        rows.append(
            {
                "accountAlias": "SgsR",
                "asset": asset,
                "balance": data["walletBalance"],
                "crossWalletBalance": data["crossWalletBalance"],
                "crossUnPnl": data["crossUnPnl"],
                "availableBalance": data["availableBalance"],
                "maxWithdrawAmount": data["maxWithdrawAmount"],
                "marginAvailable": True,
                "updateTime": data["updateTime"],
            }
        )
    return rows


@usdm("/fapi/v2/balance")
def balance_v2(call: Call) -> Any:
    return _balance_rows(call)


@usdm("/fapi/v3/balance")
def balance_v3(call: Call) -> Any:
    return _balance_rows(call)


@usdm("/fapi/v2/positionRisk")
def position_risk_v2(call: Call) -> Any:
    """Every symbol (each side in hedge mode), held or not, as v2 lists them."""
    engine = _engine(call)
    now = call.now
    rows = []
    for position in _positions(engine, call, held_only=False):
        s = position.symbol
        leverage = engine.leverage(s.name)
        isolated = s.name in engine.account.isolated
        rows.append(
            {
                "entryPrice": _entry(position),
                "breakEvenPrice": _break_even(position),
                "marginType": "isolated" if isolated else "cross",
                "isAutoAddMargin": "false",
                "isolatedMargin": money(position.isolated_margin),
                "leverage": str(leverage),
                "liquidationPrice": money(engine.liquidation_price(position, now)),
                "markPrice": f"{engine.market.mark_price(s, now):.8f}",
                "maxNotionalValue": str(engine.max_notional(s, leverage, now)),
                "positionAmt": s.qty_text(position.amount),
                "notional": money(_notional(engine, position, now)),
                "isolatedWallet": money(position.isolated_margin),
                "symbol": s.name,
                "unRealizedProfit": money(engine.unrealized(position, now)),
                "positionSide": position.side,
                "updateTime": position.update_time,
            }
        )
    return rows


@usdm("/fapi/v3/positionRisk")
def position_risk_v3(call: Call) -> Any:
    """The positions held (or with open orders), as v3 lists them."""
    engine = _engine(call)
    now = call.now
    rows = []
    for position in _positions(engine, call, held_only=True):
        s = position.symbol
        margin = engine.position_margin(position, now)
        order_margin = _order_margin_of(engine, position)
        share = engine.market.ratio("adl", s, now)
        rows.append(
            {
                "symbol": s.name,
                "positionSide": position.side,
                "positionAmt": s.qty_text(position.amount),
                "entryPrice": _entry(position),
                "breakEvenPrice": _break_even(position),
                "markPrice": f"{engine.market.mark_price(s, now):.8f}",
                "unRealizedProfit": money(engine.unrealized(position, now)),
                "liquidationPrice": money(engine.liquidation_price(position, now)),
                "isolatedMargin": money(position.isolated_margin),
                "notional": money(_notional(engine, position, now)),
                "marginAsset": s.margin_asset,
                "isolatedWallet": money(position.isolated_margin),
                "initialMargin": money(margin + order_margin),
                "maintMargin": money(engine.maint_margin(position, now)),
                "positionInitialMargin": money(margin),
                "openOrderInitialMargin": money(order_margin),
                "adl": int(share * 5) if position.amount else 0,
                "bidNotional": money(_open_notional(engine, position, "BUY")),
                "askNotional": money(_open_notional(engine, position, "SELL")),
                "updateTime": position.update_time,
            }
        )
    return rows


@usdm("/fapi/v1/accountConfig")
def account_config(call: Call) -> Any:
    engine = _engine(call)
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": engine.account.dual_side,
        "updateTime": 0,
        "multiAssetsMargin": engine.account.multi_assets,
        "tradeGroupId": -1,
    }


@usdm("/fapi/v1/symbolConfig")
def symbol_config(call: Call) -> Any:
    engine = _engine(call)
    return [
        {
            "symbol": s.name,
            "marginType": "ISOLATED" if s.name in engine.account.isolated else "CROSSED",
            "isAutoAddMargin": False,
            "leverage": engine.leverage(s.name),
            "maxNotionalValue": str(engine.max_notional(s, engine.leverage(s.name), call.now)),
        }
        for s in venue_of(call).selected(call.params)
    ]


@usdm("/fapi/v1/pmAccountInfo")
def pm_account(call: Call) -> Any:
    engine = _engine(call)
    asset = call.params["asset"]
    if asset not in engine.account.balances:
        raise SimError(-1108, "Invalid asset.")
    available = max(Decimal(0), engine.available(asset, call.now))
    return {
        "maxWithdrawAmountUSD": money(available),
        "asset": asset,
        "maxWithdrawAmount": money(available),
    }


@usdm("/fapi/v1/leverage", "POST")
def change_leverage(call: Call) -> Any:
    return _engine(call).set_leverage(call.params["symbol"], call.params["leverage"])


@usdm("/fapi/v1/marginType", "POST")
def change_margin_type(call: Call) -> Any:
    _engine(call).set_margin_type(call.params["symbol"], call.params["marginType"])
    return dict(_DONE)


@usdm("/fapi/v1/positionSide/dual")
def position_mode(call: Call) -> Any:
    return {"dualSidePosition": _engine(call).account.dual_side}


def _flag(call: Call, name: str) -> bool:
    value = call.params[name]
    if value not in ("true", "false"):
        raise SimError(-1130, f"Data sent for parameter '{name}' is not valid.")
    return bool(value == "true")


@usdm("/fapi/v1/positionSide/dual", "POST")
def change_position_mode(call: Call) -> Any:
    _engine(call).set_dual_side(_flag(call, "dualSidePosition"))
    return dict(_DONE)


@usdm("/fapi/v1/multiAssetsMargin")
def multi_assets_mode(call: Call) -> Any:
    return {"multiAssetsMargin": _engine(call).account.multi_assets}


@usdm("/fapi/v1/multiAssetsMargin", "POST")
def change_multi_assets_mode(call: Call) -> Any:
    _engine(call).set_multi_assets(_flag(call, "multiAssetsMargin"), call.now)
    return dict(_DONE)


@usdm("/fapi/v1/feeBurn")
def fee_burn(call: Call) -> Any:
    return {"feeBurn": _engine(call).account.fee_burn}


@usdm("/fapi/v1/feeBurn", "POST")
def change_fee_burn(call: Call) -> Any:
    _engine(call).account.fee_burn = _flag(call, "feeBurn")
    return dict(_DONE)


@usdm("/fapi/v1/stock/contract", "POST")
def stock_contract(call: Call) -> Any:
    """Signing the TradFi-perpetuals agreement: accepted (the simulator lists none)."""
    _engine(call)
    return dict(_DONE)


@usdm("/fapi/v1/positionMargin", "POST")
def position_margin(call: Call) -> Any:
    p = call.params
    return _engine(call).modify_margin(
        p["symbol"], p["amount"], p["type"], p.get("positionSide"), call.now
    )


@usdm("/fapi/v1/positionMargin/history")
def position_margin_history(call: Call) -> Any:
    p = call.params
    engine = _engine(call)
    engine.symbol(p["symbol"])
    rows = [r for r in engine.margin_history if r["symbol"] == p["symbol"]]
    if "type" in p:
        rows = [r for r in rows if str(r["type"]) == p["type"]]
    rows = _between(rows, p, "time")
    return rows[: _limit(p, 500, 1000)]


@usdm("/fapi/v1/adlQuantile")
def adl_quantile(call: Call) -> Any:
    """Each held symbol's ADL quantile from its positions (:meth:`UsdmEngine.adl_quantile`):
    one-way mode and isolated hedge mode answer LONG/SHORT/BOTH, cross hedge mode answers
    one value for LONG and SHORT (from both sides' profit together) and ``HEDGE``."""
    engine = _engine(call)
    rows = []
    for s in venue_of(call).selected(call.params):
        held = {side: engine.position(s, side) for side in engine.sides()}
        if not any(p.amount for p in held.values()) and "symbol" not in call.params:
            continue
        if not engine.account.dual_side:
            both = engine.adl_quantile([held["BOTH"]], call.now)
            amount = held["BOTH"].amount
            quantiles = {
                "LONG": both if amount > 0 else 0,
                "SHORT": both if amount < 0 else 0,
                "BOTH": both,
            }
        elif s.name in engine.account.isolated:
            quantiles = {
                "LONG": engine.adl_quantile([held["LONG"]], call.now),
                "SHORT": engine.adl_quantile([held["SHORT"]], call.now),
                "BOTH": 0,
            }
        else:
            shared = engine.adl_quantile(list(held.values()), call.now)
            quantiles = {
                "LONG": shared if held["LONG"].amount else 0,
                "SHORT": shared if held["SHORT"].amount else 0,
                "HEDGE": 0,
            }
        rows.append({"symbol": s.name, "adlQuantile": quantiles})
    return rows


@usdm("/fapi/v1/commissionRate")
def commission_rate(call: Call) -> Any:
    s = _engine(call).symbol(call.params["symbol"])
    return {
        "symbol": s.name,
        "makerCommissionRate": str(MAKER_FEE),
        "takerCommissionRate": str(TAKER_FEE),
        "rpiCommissionRate": "0.00005",
    }


def _bracket_rows(engine: UsdmEngine, s: UsdmSymbol, now: int) -> dict[str, Any]:
    # ``cum`` an integer when whole: the SDK's model of the one-symbol answer takes only
    # integers there (the docs write 0 there, 0.0 in the list); rest_rows writes it so.
    return {
        "symbol": s.name,
        "notionalCoef": 1.0,
        "brackets": rest_rows("usdm", engine.brackets(s, now)),
    }


@usdm("/fapi/v1/leverageBracket")
def leverage_bracket(call: Call) -> Any:
    engine = _engine(call)
    rows = [_bracket_rows(engine, s, call.now) for s in venue_of(call).selected(call.params)]
    return rows[0] if "symbol" in call.params else rows


@usdm("/fapi/v1/apiTradingStatus")
def api_trading_status(call: Call) -> Any:
    """The quantitative rules' indicators, computed from the account's own orders:
    UFR (orders never filled), IFER (IOC/FOK expired), GCR (GTC canceled), DR (dust)."""
    engine = _engine(call)
    chosen = {s.name for s in venue_of(call).selected(call.params)}
    by_symbol: dict[str, list[Order]] = {}
    for order in engine.orders.values():
        if order.symbol.name in chosen:
            by_symbol.setdefault(order.symbol.name, []).append(order)
    indicators = {}
    for name, orders in by_symbol.items():
        total = len(orders)
        unfilled = sum(1 for o in orders if not o.executed)
        quick = [o for o in orders if o.time_in_force in ("IOC", "FOK")]
        expired = sum(1 for o in quick if o.status == "EXPIRED")
        gtc = [o for o in orders if o.time_in_force == "GTC"]
        canceled = sum(1 for o in gtc if o.status == "CANCELED")
        dust = sum(1 for o in orders if o.executed and o.cum_quote < o.symbol.min_notional)
        figures = (
            ("UFR", unfilled / total, 0.995),
            ("IFER", expired / len(quick) if quick else 0.0, 0.99),
            ("GCR", canceled / len(gtc) if gtc else 0.0, 0.99),
            ("DR", dust / total, 0.99),
        )
        indicators[name] = [
            {
                "isLocked": False,
                "plannedRecoverTime": 0,
                "indicator": indicator,
                "value": round(value, 4),
                "triggerValue": trigger,
            }
            for indicator, value, trigger in figures
        ]
    return {"indicators": indicators, "updateTime": call.now}


@usdm("/fapi/v1/userTrades")
def user_trades(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    name = engine.symbol(p["symbol"]).name
    limit = _limit(p, 500, 1000)
    if "fromId" in p and ("startTime" in p or "endTime" in p):
        raise SimError(-1128, "Combination of optional parameters invalid.")
    rows = [t for t in engine.user_trades if t["symbol"] == name]
    if "orderId" in p:
        rows = [t for t in rows if t["orderId"] == p["orderId"]]
    if "fromId" in p:
        rows = [t for t in rows if t["id"] >= p["fromId"]]
    rows = _between(rows, p, "time")
    return rows[:limit] if "fromId" in p or "startTime" in p else rows[-limit:]


@usdm("/fapi/v1/income")
def income(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    limit = _limit(p, 100, 1000)
    rows = list(engine.income)
    if "symbol" in p:
        engine.symbol(p["symbol"])
        rows = [r for r in rows if r["symbol"] == p["symbol"]]
    if "incomeType" in p:
        rows = [r for r in rows if r["incomeType"] == p["incomeType"]]
    rows = _between(rows, p, "time")
    return rows[:limit] if "startTime" in p else rows[-limit:]


@usdm("/fapi/v1/forceOrders")
def force_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    if "symbol" in p:
        engine.symbol(p["symbol"])
    limit = p.get("limit", 50)
    if not 1 <= limit <= 100:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    if p.get("autoCloseType") == "ADL":
        return []  # the simulator never auto-deleverages
    end = p.get("endTime", call.now)
    start = p.get("startTime", end - 7 * 86_400_000)  # the docs: 7 days before endTime
    rows = []
    for order_id in engine.liquidations:
        order = engine.orders[order_id]
        if "symbol" in p and order.symbol.name != p["symbol"]:
            continue
        if start <= order.time <= end:
            data = order.to_json(with_time=True, with_cum_qty=False)
            rows.append({k: v for k, v in data.items() if k not in _NOT_IN_FORCE_ORDERS})
    return rows[-limit:]


_NOT_IN_FORCE_ORDERS = frozenset(
    {"priceProtect", "priceMatch", "selfTradePreventionMode", "goodTillDate"}
)
"""Order fields Binance's ``forceOrders`` example does not show."""


# --- history downloads -------------------------------------------------------------------


def _download_id(call: Call) -> Any:
    p = call.params
    if p["startTime"] > p["endTime"]:
        raise SimError(-1023, "Start time is greater than end time.")
    if p["endTime"] - p["startTime"] > 365 * 86_400_000:
        raise SimError(-4088, "Maximum time interval is 365 days.")
    return new_download(_engine(call).downloads, call.now)


def _download_link(call: Call) -> Any:
    return download_link(_engine(call).downloads, call.params["downloadId"])


for _path in ("/fapi/v1/income/asyn", "/fapi/v1/order/asyn", "/fapi/v1/trade/asyn"):
    usdm(_path)(_download_id)
    usdm(_path + "/id")(_download_link)


# --- convert ---------------------------------------------------------------------------

_USD_ASSETS = ("USDT", "USDC")


def _usd_value(call: Call, asset: str) -> Decimal:
    """One unit of ``asset`` in USD: the stablecoins at par (USDC a hair under), coins at
    their USDT perpetual's index (a composite index, ``DEFI``, is no asset to convert)."""
    venue = venue_of(call)
    if asset == "USDT":
        return Decimal(1)
    if asset == "USDC":
        return Decimal("0.9998")
    s = venue.symbols.get(f"{asset}USDT")
    if s is None or s.components:
        raise SimError(-1108, "Invalid asset.")
    return venue.market.index_price(s, call.now)


@usdm("/fapi/v1/convert/getQuote", "POST")
def convert_quote(call: Call) -> Any:
    p = call.params
    engine = _engine(call)
    fro, to = p["fromAsset"], p["toAsset"]
    if fro == to or (fro not in _USD_ASSETS and to not in _USD_ASSETS):
        raise SimError(-1130, "Data sent for parameter 'toAsset' is not valid.")
    if ("fromAmount" in p) == ("toAmount" in p):
        raise SimError(
            -1102, "Param 'fromAmount' or 'toAmount' must be sent, but both were empty/null!"
        )
    ratio = (_usd_value(call, fro) / _usd_value(call, to)).quantize(Decimal("0.00000001"))
    from_amount = p.get("fromAmount") or (p["toAmount"] / ratio).quantize(Decimal("0.00000001"))
    to_amount = p.get("toAmount") or (from_amount * ratio).quantize(Decimal("0.00000001"))
    quote_id = str(12_415_572_564 + len(engine.quotes))
    valid = {"10s": 10_000, "30s": 30_000, "1m": 60_000}.get(p.get("validTime", "10s"))
    if valid is None:
        raise SimError(-1130, "Data sent for parameter 'validTime' is not valid.")
    quote = {
        "quoteId": quote_id,
        "ratio": str(ratio),
        "inverseRatio": str((1 / ratio).quantize(Decimal("0.00000001"))),
        "validTimestamp": call.now + valid,
        "toAmount": str(to_amount),
        "fromAmount": str(from_amount),
    }
    engine.quotes[quote_id] = {**quote, "fromAsset": fro, "toAsset": to}
    return quote


@usdm("/fapi/v1/convert/acceptQuote", "POST")
def convert_accept(call: Call) -> Any:
    engine = _engine(call)
    quote = engine.quotes.get(call.params["quoteId"])
    if quote is None or call.now > quote["validTimestamp"] or "orderId" in quote:
        raise SimError(-1130, "Data sent for parameter 'quoteId' is not valid.")
    fro, to = quote["fromAsset"], quote["toAsset"]
    amount, received = Decimal(quote["fromAmount"]), Decimal(quote["toAmount"])
    if engine.available(fro, call.now) < amount:
        raise SimError(-2018, "Balance is insufficient.")
    engine._credit(fro, -amount, call.now)
    engine._credit(to, received, call.now)
    order_id = str(933_256_278_426_274_426 + len(engine.conversions))
    quote["orderId"] = order_id
    engine.conversions[order_id] = {**quote, "createTime": call.now}
    return {"orderId": order_id, "createTime": call.now, "orderStatus": "PROCESS"}


@usdm("/fapi/v1/convert/orderStatus")
def convert_status(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    if "orderId" not in p and "quoteId" not in p:
        raise SimError(
            -1102, "Param 'orderId' or 'quoteId' must be sent, but both were empty/null!"
        )
    for order_id, done in engine.conversions.items():
        if order_id == p.get("orderId") or done["quoteId"] == p.get("quoteId"):
            return {
                "orderId": int(order_id),
                "orderStatus": "SUCCESS",
                "fromAsset": done["fromAsset"],
                "fromAmount": done["fromAmount"],
                "toAsset": done["toAsset"],
                "toAmount": done["toAmount"],
                "ratio": done["ratio"],
                "inverseRatio": done["inverseRatio"],
                "createTime": done["createTime"],
            }
    raise SimError(-2013, "Order does not exist.")


# --- user data stream ----------------------------------------------------------------------


@usdm("/fapi/v1/listenKey", "POST")
def start_stream(call: Call) -> Any:
    return {"listenKey": venue_of(call).engine.start_stream(call.now)}


@usdm("/fapi/v1/listenKey", "PUT")
def keepalive_stream(call: Call) -> Any:
    return {"listenKey": venue_of(call).engine.keepalive_stream(call.now)}


@usdm("/fapi/v1/listenKey", "DELETE")
def close_stream(call: Call) -> Any:
    venue_of(call).engine.close_stream(call.now)
    return {}

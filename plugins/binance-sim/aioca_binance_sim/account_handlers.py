"""Handlers of the signed COIN-M endpoints (account, orders, positions, history, algo
orders) and of the user data stream's listen key, backed by the paper-trading engine."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from .context import Call, handles
from .downloads import download_link, new_download
from .endpoints import endpoints
from .engine import MAKER_FEE, TAKER_FEE, Engine, coin
from .errors import SimError
from .leverage_brackets import rest_rows
from .params import batch_item_reader

__all__: list[str] = []

_DONE = {"code": 200, "msg": "success"}


def _engine(call: Call) -> Engine:
    engine: Engine = call.venue.engine
    engine.catch_up(call.now)
    return engine


# --- orders ---------------------------------------------------------------------------


@handles("POST", "/dapi/v1/order")
def new_order(call: Call) -> Any:
    order = _engine(call).new_order(call.params, call.now)
    return order.to_json(with_time=False)


@handles("GET", "/dapi/v1/order")
def query_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    return order.to_json(with_cum_qty=False)


@handles("GET", "/dapi/v1/openOrder")
def query_open_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    if not order.is_open:
        raise SimError(-2013, "Order does not exist.")
    return order.to_json(with_cum_qty=False)


@handles("PUT", "/dapi/v1/order")
def modify_order(call: Call) -> Any:
    return _engine(call).modify(call.params, call.now).modify_json()


@handles("DELETE", "/dapi/v1/order")
def cancel_order(call: Call) -> Any:
    p = call.params
    order = _engine(call).cancel(
        p["symbol"], p.get("orderId"), p.get("origClientOrderId"), call.now
    )
    return order.to_json(with_time=False)


@handles("DELETE", "/dapi/v1/allOpenOrders")
def cancel_all(call: Call) -> Any:
    _engine(call).cancel_all(call.params["symbol"], call.now)
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


@handles("GET", "/dapi/v1/openOrders")
def open_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    if "symbol" in p:
        engine.instrument(p["symbol"])
    if "pair" in p:
        call.venue.pair(p["pair"])
    orders = engine.open_orders(p.get("symbol"), p.get("pair"))
    return [order.to_json(with_cum_qty=False) for order in orders]


@handles("GET", "/dapi/v1/allOrders")
def all_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    chosen = {i.symbol for i in call.venue.selected(p)}
    orders = [o for o in engine.orders.values() if o.instrument.symbol in chosen]
    if "orderId" in p:
        orders = [o for o in orders if o.order_id >= p["orderId"]]
    if "startTime" in p:
        orders = [o for o in orders if o.time >= p["startTime"]]
    if "endTime" in p:
        orders = [o for o in orders if o.time <= p["endTime"]]
    limit = p.get("limit", 50)
    return [o.to_json(with_cum_qty=False) for o in orders[:limit]]


@cache
def _item_reader(method: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    spec = next(
        s for s in endpoints("coinm") if (s.method, s.path) == (method, "/dapi/v1/batchOrders")
    )
    reader: Callable[[dict[str, Any]], dict[str, Any]] = batch_item_reader(spec)
    return reader


def _batch_items(call: Call, method: str) -> list[dict[str, Any] | SimError]:
    """Each batch item read as if it were a request of its own: the spec's item fields
    and the single-order endpoint's rules (values as text, as Binance reads them)."""
    read = _item_reader(method)
    items: list[dict[str, Any] | SimError] = []
    for raw in call.params["batchOrders"]:
        try:
            items.append(read(raw))
        except SimError as error:
            items.append(error)
    return items


def _error_json(error: SimError) -> dict[str, Any]:
    return {"code": error.code, "msg": error.msg}


@handles("POST", "/dapi/v1/batchOrders")
def place_batch(call: Call) -> Any:
    engine = _engine(call)
    results: list[Any] = []
    for item in _batch_items(call, "POST"):
        if isinstance(item, SimError):
            results.append(_error_json(item))
            continue
        try:
            results.append(engine.new_order(item, call.now).to_json(with_time=False))
        except SimError as error:
            results.append(_error_json(error))
    return results


@handles("PUT", "/dapi/v1/batchOrders")
def modify_batch(call: Call) -> Any:
    engine = _engine(call)
    results: list[Any] = []
    for item in _batch_items(call, "PUT"):
        if isinstance(item, SimError):
            results.append(_error_json(item))
            continue
        try:
            results.append(engine.modify(item, call.now).modify_json())
        except SimError as error:
            results.append(_error_json(error))
    return results


@handles("DELETE", "/dapi/v1/batchOrders")
def cancel_batch(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    symbol = p["symbol"]
    engine.instrument(symbol)
    ids: list[tuple[int | None, str | None]] = [(i, None) for i in p.get("orderIdList", [])]
    ids += [(None, c) for c in p.get("origClientOrderIdList", [])]
    if len(ids) > 10:
        raise SimError(-4032, "Exceed maximum cancel order size.")
    results: list[Any] = []
    for order_id, client_id in ids:
        try:
            results.append(
                engine.cancel(symbol, order_id, client_id, call.now).to_json(with_time=False)
            )
        except SimError as error:
            results.append(_error_json(error))
    return results


@handles("POST", "/dapi/v1/countdownCancelAll")
def countdown_cancel_all(call: Call) -> Any:
    engine = _engine(call)
    symbol = call.params["symbol"]
    engine.instrument(symbol)
    countdown = call.params["countdownTime"]
    if countdown:
        engine.countdowns[symbol] = call.now + countdown
    else:
        engine.countdowns.pop(symbol, None)
    return {"symbol": symbol, "countdownTime": str(countdown)}


@handles("GET", "/dapi/v1/orderAmendment")
def order_amendments(call: Call) -> Any:
    p = call.params
    engine = _engine(call)
    order = engine.find_order(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
    rows = [a for a in engine.amendments if a["orderId"] == order.order_id]
    rows.sort(key=lambda a: a["amendmentId"], reverse=True)
    return rows[: p.get("limit", 50)]


# --- account and positions --------------------------------------------------------------


def _asset_json(engine: Engine, asset: str, now: int) -> dict[str, Any]:
    figures = engine.asset_figures(asset, now)
    wallet = figures["wallet"]
    margin = wallet + figures["unrealized"]
    initial = figures["position_margin"] + figures["order_margin"]
    return {
        "asset": asset,
        "walletBalance": coin(wallet),
        "unrealizedProfit": coin(figures["unrealized"]),
        "marginBalance": coin(margin),
        "maintMargin": coin(figures["position_margin"] / 4),
        "initialMargin": coin(initial),
        "positionInitialMargin": coin(figures["position_margin"]),
        "openOrderInitialMargin": coin(figures["order_margin"]),
        "maxWithdrawAmount": coin(max(Decimal(0), figures["available"])),
        "crossWalletBalance": coin(wallet),
        "crossUnPnl": coin(figures["unrealized"]),
        "availableBalance": coin(figures["available"]),
        "updateTime": engine.account.update_time.get(asset, 0),
    }


@handles("GET", "/dapi/v1/balance")
def balance(call: Call) -> Any:
    engine = _engine(call)
    rows = []
    for asset in engine.account.balances:
        data = _asset_json(engine, asset, call.now)
        rows.append(
            {
                "accountAlias": "SgsR",
                "asset": asset,
                "balance": data["walletBalance"],
                "withdrawAvailable": data["maxWithdrawAmount"],
                "crossWalletBalance": data["crossWalletBalance"],
                "crossUnPnl": data["crossUnPnl"],
                "availableBalance": data["availableBalance"],
                "updateTime": data["updateTime"],
            }
        )
    return rows


def _position_rows(engine: Engine, call: Call, *, risk: bool) -> list[dict[str, Any]]:
    p = call.params
    rows = []
    for instrument in engine.instruments.values():
        if "pair" in p and instrument.pair.name != p["pair"]:
            continue
        if "marginAsset" in p and instrument.pair.base != p["marginAsset"]:
            continue
        for side in engine.sides():
            position = engine.position(instrument, side)
            lev = engine.leverage(instrument.symbol)
            decimals = instrument.pair.tick_decimals + 8
            entry = f"{position.entry:.{decimals}f}" if position.amount else "0.0"
            unrealized = coin(engine.unrealized(position, call.now))
            isolated = instrument.symbol in engine.account.isolated
            row: dict[str, Any] = {
                "symbol": instrument.symbol,
                "positionAmt": str(position.amount),
                "entryPrice": entry,
                "breakEvenPrice": entry,
                "leverage": str(lev),
                "maxQty": str(engine.max_qty(instrument.symbol, lev, call.now)),
                "positionSide": side,
                "updateTime": position.update_time,
            }
            if risk:
                mark = call.venue.market.mark_price(instrument, call.now)
                row.update(
                    markPrice=f"{mark:.8f}",
                    unRealizedProfit=unrealized,
                    liquidationPrice="0",
                    marginType="isolated" if isolated else "cross",
                    isolatedMargin=coin(position.isolated_margin),
                    isAutoAddMargin="false",
                    notionalValue=coin(
                        position.amount
                        * Decimal(instrument.pair.contract_size)
                        / Decimal(str(mark))
                    ),
                )
            else:
                margin = coin(engine.position_margin(position, call.now))
                row.update(
                    initialMargin=margin,
                    maintMargin=coin(engine.position_margin(position, call.now) / 4),
                    unrealizedProfit=unrealized,
                    positionInitialMargin=margin,
                    openOrderInitialMargin="0",
                    isolated=isolated,
                )
            rows.append(row)
    return rows


@handles("GET", "/dapi/v1/account")
def account(call: Call) -> Any:
    engine = _engine(call)
    return {
        "assets": [_asset_json(engine, asset, call.now) for asset in engine.account.balances],
        "positions": _position_rows(engine, call, risk=False),
        "canDeposit": True,
        "canTrade": True,
        "canWithdraw": True,
        "feeTier": 0,
        "updateTime": max(engine.account.update_time.values(), default=0),
    }


@handles("GET", "/dapi/v1/positionRisk")
def position_risk(call: Call) -> Any:
    engine = _engine(call)
    if "pair" in call.params:
        call.venue.pair(call.params["pair"])
    return _position_rows(engine, call, risk=True)


@handles("GET", "/dapi/v1/pmAccountInfo")
def pm_account(call: Call) -> Any:
    engine = _engine(call)
    asset = call.params["asset"]
    if asset not in engine.account.balances:
        raise SimError(-1108, "Invalid asset.")
    available = max(Decimal(0), engine.available(asset, call.now))
    pair = call.venue.pair(asset + "USD")
    usd = available * Decimal(str(call.venue.market.index_price(pair, call.now)))
    return {"maxWithdrawAmountUSD": coin(usd), "asset": asset, "maxWithdrawAmount": coin(available)}


@handles("POST", "/dapi/v1/leverage")
def change_leverage(call: Call) -> Any:
    params = call.params
    return _engine(call).set_leverage(params["symbol"], params["leverage"], call.now)


@handles("POST", "/dapi/v1/marginType")
def change_margin_type(call: Call) -> Any:
    _engine(call).set_margin_type(call.params["symbol"], call.params["marginType"])
    return dict(_DONE)


@handles("GET", "/dapi/v1/positionSide/dual")
def position_mode(call: Call) -> Any:
    return {"dualSidePosition": _engine(call).account.dual_side}


@handles("POST", "/dapi/v1/positionSide/dual")
def change_position_mode(call: Call) -> Any:
    value = call.params["dualSidePosition"]
    if value not in ("true", "false"):
        raise SimError(-1130, "Data sent for parameter 'dualSidePosition' is not valid.")
    _engine(call).set_dual_side(value == "true")
    return dict(_DONE)


@handles("POST", "/dapi/v1/positionMargin")
def position_margin(call: Call) -> Any:
    p = call.params
    return _engine(call).modify_margin(
        p["symbol"], p["amount"], p["type"], p.get("positionSide"), call.now
    )


@handles("GET", "/dapi/v1/positionMargin/history")
def position_margin_history(call: Call) -> Any:
    p = call.params
    engine = _engine(call)
    engine.instrument(p["symbol"])
    rows = [r for r in engine.margin_history if r["symbol"] == p["symbol"]]
    if "type" in p:
        rows = [r for r in rows if r["type"] == p["type"]]
    rows = _between(rows, p, "time")
    return rows[: p.get("limit", 50)]


def _between(rows: list[dict[str, Any]], p: dict[str, Any], key: str) -> list[dict[str, Any]]:
    if "startTime" in p:
        rows = [r for r in rows if r[key] >= p["startTime"]]
    if "endTime" in p:
        rows = [r for r in rows if r[key] <= p["endTime"]]
    return rows


@handles("GET", "/dapi/v1/adlQuantile")
def adl_quantile(call: Call) -> Any:
    engine = _engine(call)
    rows = []
    for instrument in call.venue.selected(call.params):
        held = [engine.position(instrument, side).amount for side in engine.sides()]
        if not any(held) and "symbol" not in call.params:
            continue
        quantile = {"LONG": 1, "SHORT": 1, "HEDGE": 0} if engine.account.dual_side else {
            "LONG": 1, "SHORT": 1, "BOTH": 1 if any(held) else 0
        }  # fmt: skip
        rows.append({"symbol": instrument.symbol, "adlQuantile": quantile})
    return rows


@handles("GET", "/dapi/v1/commissionRate")
def commission_rate(call: Call) -> Any:
    instrument = _engine(call).instrument(call.params["symbol"])
    return {
        "symbol": instrument.symbol,
        "makerCommissionRate": str(MAKER_FEE),
        "takerCommissionRate": f"{TAKER_FEE:.5f}",
    }


def _brackets(call: Call, symbol: str) -> list[dict[str, Any]]:
    """``symbol``'s brackets now, as ``leverageBracket`` answers them: the rows the
    account's caps come from (:meth:`~.engine.Engine.brackets`)."""
    engine: Engine = call.venue.engine
    return rest_rows("coinm", engine.brackets(symbol, call.now))


@handles("GET", "/dapi/v1/leverageBracket")
def leverage_bracket_pair(call: Call) -> Any:
    """Each pair's brackets. Binance answers them per pair here and per contract in v2,
    the simulator's are set per contract: a pair's are its perpetual contract's (every
    simulated pair has one), the same table v2 answers for that contract."""
    _engine(call)
    names = (
        [call.venue.pair(call.params["pair"]).name]
        if "pair" in call.params
        else list(call.venue.market.pairs)
    )
    return [{"pair": name, "brackets": _brackets(call, f"{name}_PERP")} for name in names]


@handles("GET", "/dapi/v2/leverageBracket")
def leverage_bracket_symbol(call: Call) -> Any:
    """Each contract's brackets (:func:`_brackets`)."""
    _engine(call)
    return [
        {"symbol": i.symbol, "notionalCoef": 1.0, "brackets": _brackets(call, i.symbol)}
        for i in call.venue.selected(call.params)
    ]


@handles("GET", "/dapi/v1/userTrades")
def user_trades(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    chosen = {i.symbol for i in call.venue.selected(p)}
    rows = [t for t in engine.user_trades if t["symbol"] in chosen]
    if "orderId" in p:
        rows = [t for t in rows if str(t["orderId"]) == p["orderId"]]
    if "fromId" in p:
        rows = [t for t in rows if t["id"] >= p["fromId"]]
    rows = _between(rows, p, "time")
    return rows[: p.get("limit", 50)]


@handles("GET", "/dapi/v1/income")
def income(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    rows = list(engine.income)
    if "symbol" in p:
        engine.instrument(p["symbol"])
        rows = [r for r in rows if r["symbol"] == p["symbol"]]
    if "incomeType" in p:
        rows = [r for r in rows if r["incomeType"] == p["incomeType"]]
    rows = _between(rows, p, "time")
    return rows[: p.get("limit", 100)]


@handles("GET", "/dapi/v1/forceOrders")
def force_orders(call: Call) -> Any:
    _engine(call)
    if "symbol" in call.params:
        call.venue.instrument(call.params["symbol"])
    return []  # the paper account is never liquidated


# --- history downloads -------------------------------------------------------------------


def _download_id(call: Call) -> Any:
    p = call.params
    if p["startTime"] > p["endTime"]:
        raise SimError(-1023, "Start time is greater than end time.")
    return new_download(call.venue.engine.downloads, call.now)


def _download_link(call: Call) -> Any:
    return download_link(call.venue.engine.downloads, call.params["downloadId"])


for _path in ("/dapi/v1/income/asyn", "/dapi/v1/order/asyn", "/dapi/v1/trade/asyn"):
    handles("GET", _path)(_download_id)
    handles("GET", _path + "/id")(_download_link)


# --- algo orders -------------------------------------------------------------------------


@handles("POST", "/dapi/v1/algoOrder")
def new_algo_order(call: Call) -> Any:
    """Stored and listed; the simulator does not trigger conditional orders."""
    p = call.params
    engine = _engine(call)
    instrument = engine.instrument(p["symbol"])
    decimals = instrument.pair.tick_decimals

    def price(name: str) -> str:
        value = p.get(name)
        return f"{value:.{decimals}f}" if value is not None else ""

    algo_id = 2_000_000 + len(engine.algo_orders) + 1
    order = {
        "algoId": algo_id,
        "clientAlgoId": p.get("clientAlgoId") or f"sim{algo_id}",
        "algoType": p["algoType"],
        "orderType": p["type"],
        "symbol": instrument.symbol,
        "side": p["side"],
        "positionSide": p.get("positionSide", "BOTH"),
        "timeInForce": p.get("timeInForce", "GTC"),
        "quantity": str(p.get("quantity", "0")),
        "algoStatus": "NEW",
        "triggerPrice": price("triggerPrice"),
        "price": price("price"),
        "icebergQuantity": None,
        "selfTradePreventionMode": p.get("selfTradePreventionMode", "EXPIRE_MAKER"),
        "workingType": p.get("workingType", "CONTRACT_PRICE"),
        "priceMatch": p.get("priceMatch", "NONE"),
        "closePosition": p.get("closePosition") == "true",
        "priceProtect": p.get("priceProtect") == "true",
        "reduceOnly": p.get("reduceOnly") == "true",
        "activatePrice": price("activatePrice"),
        "callbackRate": str(p.get("callbackRate", "")),
        "createTime": call.now,
        "updateTime": call.now,
        "triggerTime": 0,
        "goodTillDate": p.get("goodTillDate", 0),
    }
    engine.algo_orders[algo_id] = order
    return order


@handles("GET", "/dapi/v1/openAlgoOrders")
def open_algo_orders(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    rows = [o for o in engine.algo_orders.values() if o["algoStatus"] == "NEW"]
    if "symbol" in p:
        engine.instrument(p["symbol"])
        rows = [o for o in rows if o["symbol"] == p["symbol"]]
    if "algoId" in p:
        rows = [o for o in rows if o["algoId"] == p["algoId"]]
    if "algoType" in p:
        rows = [o for o in rows if o["algoType"] == p["algoType"]]
    return rows


@handles("DELETE", "/dapi/v1/algoOrder")
def cancel_algo_order(call: Call) -> Any:
    engine = _engine(call)
    p = call.params
    if "algoId" not in p and "clientAlgoId" not in p:
        raise SimError(
            -1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!"
        )
    for order in engine.algo_orders.values():
        if order["algoStatus"] == "NEW" and (
            order["algoId"] == p.get("algoId") or order["clientAlgoId"] == p.get("clientAlgoId")
        ):
            order["algoStatus"] = "CANCELED"
            order["updateTime"] = call.now
            return {
                "algoId": order["algoId"],
                "clientAlgoId": order["clientAlgoId"],
                "code": "200",
                "msg": "success",
            }
    raise SimError(-2011, "Unknown order sent.")


# --- user data stream ----------------------------------------------------------------------


@handles("POST", "/dapi/v1/listenKey")
def start_stream(call: Call) -> Any:
    return {"listenKey": call.venue.engine.start_stream(call.now)}


@handles("PUT", "/dapi/v1/listenKey")
def keepalive_stream(call: Call) -> Any:
    return {"listenKey": call.venue.engine.keepalive_stream(call.now)}


@handles("DELETE", "/dapi/v1/listenKey")
def close_stream(call: Call) -> Any:
    call.venue.engine.close_stream(call.now)
    return {}

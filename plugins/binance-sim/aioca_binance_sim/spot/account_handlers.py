"""Spot's signed endpoints: the account, orders, order lists, trades."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..context import Call, handles
from ..errors import SimError, mandatory_missing
from .engine import COMMISSION, SpotEngine, new_client_id
from .orders import Order, OrderList
from .symbols import (
    EXCHANGE_MAX_NUM_ORDERS,
    MAX_NUM_ALGO_ORDERS,
    MAX_NUM_ORDER_LISTS,
    MAX_NUM_ORDERS,
    RATE_LIMITS,
    SpotSymbol,
    dec,
)
from .venue import SpotVenue

__all__ = ["ReplaceError"]

_SPOT = "spot"
_ORDER_KEYS = (
    "symbol", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",
    "newClientOrderId", "strategyId", "strategyType", "stopPrice", "trailingDelta",
    "icebergQty", "selfTradePreventionMode", "pegPriceType", "pegOffsetValue", "pegOffsetType",
)  # fmt: skip
_LEG_FIELDS = {
    "ClientOrderId": "newClientOrderId",
    "IcebergQty": "icebergQty",
    "Price": "price",
    "StopPrice": "stopPrice",
    "TrailingDelta": "trailingDelta",
    "TimeInForce": "timeInForce",
    "StrategyId": "strategyId",
    "StrategyType": "strategyType",
    "PegPriceType": "pegPriceType",
    "PegOffsetType": "pegOffsetType",
    "PegOffsetValue": "pegOffsetValue",
    "Quantity": "quantity",
}


class ReplaceError(SimError):
    """-2021/-2022 of ``cancelReplace``: Binance's body adds ``data`` (both outcomes)."""

    def __init__(self, code: int, msg: str, data: dict[str, Any]) -> None:
        super().__init__(code, msg)
        self.data = data

    def body(self) -> dict[str, Any]:
        return {**super().body(), "data": self.data}


def _engine(call: Call) -> SpotEngine:
    venue: SpotVenue = call.venue
    venue.engine.catch_up(call.now)
    _credit(call)
    return venue.engine


def _credit(call: Call) -> None:
    """Give the server's ORDERS windows back the orders first filled since the last
    request (Spot counts unfilled orders; the server counted them when placed)."""
    engine: SpotEngine = call.venue.engine
    count = engine.take_credits(call.now)
    limits = getattr(call, "limits", None)
    if count and limits is not None and hasattr(limits, "credit_filled_orders"):
        limits.credit_filled_orders(count, call.now / 1000)


def _commission_rates() -> dict[str, str]:
    rate = dec(COMMISSION)
    return {"maker": rate, "taker": rate, "buyer": dec(0), "seller": dec(0)}


# --- the account ------------------------------------------------------------------------


@handles("GET", "/api/v3/account", market=_SPOT)
def account(call: Call) -> Any:
    engine = _engine(call)
    venue: SpotVenue = call.venue
    balances = [
        {"asset": asset, "free": dec(engine.free[asset]), "locked": dec(engine.locked[asset])}
        for asset in engine.free
    ]
    if call.params.get("omitZeroBalances"):
        balances = [b for b in balances if Decimal(b["free"]) or Decimal(b["locked"])]
    bps = int(COMMISSION * 10_000)
    return {
        "makerCommission": bps,
        "takerCommission": bps,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": _commission_rates(),
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": engine.update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": 100_000_000 + venue.seed % 900_000_000,
    }


@handles("GET", "/api/v3/account/commission", market=_SPOT)
def commission(call: Call) -> Any:
    venue: SpotVenue = call.venue
    spec = venue.symbol(call.params["symbol"])
    zero = {"maker": dec(0), "taker": dec(0), "buyer": dec(0), "seller": dec(0)}
    return {
        "symbol": spec.symbol,
        "standardCommission": _commission_rates(),
        "specialCommission": dict(zero),
        "taxCommission": dict(zero),
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": dec(0),
        },
    }


_INTERVAL_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}


@handles("GET", "/api/v3/rateLimit/order", market=_SPOT)
def rate_limit_order(call: Call) -> Any:
    """The account's unfilled-order counts on each ORDERS budget of the market (the
    server's configured ones when it passes them, else Binance's published ones)."""
    engine = _engine(call)
    limits = getattr(call, "limits", None)
    listed = limits.rate_limits_info() if limits is not None else RATE_LIMITS
    answer = []
    for budget in listed:
        if budget["rateLimitType"] != "ORDERS":
            continue
        window = _INTERVAL_MS[str(budget["interval"])] * int(budget["intervalNum"])
        answer.append(dict(budget, count=engine.order_count(call.now, window)))
    return answer


@handles("GET", "/api/v3/myFilters", market=_SPOT)
def my_filters(call: Call) -> Any:
    venue: SpotVenue = call.venue
    venue.symbol(call.params["symbol"])
    return {
        "exchangeFilters": [
            {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": EXCHANGE_MAX_NUM_ORDERS}
        ],
        "symbolFilters": [
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": MAX_NUM_ORDERS},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": MAX_NUM_ALGO_ORDERS},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": MAX_NUM_ORDER_LISTS},
        ],
        "assetFilters": [],
    }


def _limit(params: dict[str, Any]) -> int:
    limit: int = params.get("limit", 500)
    if limit < 1:
        raise SimError(-1130, "Data sent for parameter 'limit' is not valid.")
    return min(limit, 1000)


def _in_time(params: dict[str, Any], time: int) -> bool:
    start, end = params.get("startTime"), params.get("endTime")
    return (start is None or time >= start) and (end is None or time <= end)


@handles("GET", "/api/v3/myTrades", market=_SPOT)
def my_trades(call: Call) -> Any:
    engine, params = _engine(call), call.params
    engine.spec(params["symbol"])
    if "fromId" in params and ("startTime" in params or "endTime" in params):
        raise SimError(-1128, "Combination of optional parameters invalid.")
    found = [
        t
        for t in engine.trades
        if t["symbol"] == params["symbol"]
        and ("orderId" not in params or t["orderId"] == params["orderId"])
        and ("fromId" not in params or t["id"] >= params["fromId"])
        and _in_time(params, t["time"])
    ]
    limit = _limit(params)
    return found[:limit] if "fromId" in params or "startTime" in params else found[-limit:]


@handles("GET", "/api/v3/myAllocations", market=_SPOT)
def my_allocations(call: Call) -> Any:
    """The SOR orders' fills: the simulator's SOR routes every order to its own book."""
    engine, params = _engine(call), call.params
    engine.spec(params["symbol"])
    found = []
    for order in engine.orders.values():
        if not order.sor or order.symbol != params["symbol"]:
            continue
        if "orderId" in params and order.order_id != params["orderId"]:
            continue
        for fill in order.fills:
            if "fromAllocationId" in params and fill.trade_id < params["fromAllocationId"]:
                continue
            if not _in_time(params, fill.time):
                continue
            found.append(
                {
                    "symbol": order.symbol,
                    "allocationId": fill.trade_id,
                    "allocationType": "SOR",
                    "orderId": order.order_id,
                    "orderListId": order.list_id,
                    "price": dec(fill.price),
                    "qty": dec(fill.qty),
                    "quoteQty": dec(fill.price * fill.qty),
                    "commission": dec(fill.commission),
                    "commissionAsset": fill.commission_asset,
                    "time": fill.time,
                    "isBuyer": order.side == "BUY",
                    "isMaker": fill.maker,
                    "isAllocator": False,
                }
            )
    return found[: _limit(params)]


@handles("GET", "/api/v3/myPreventedMatches", market=_SPOT)
def my_prevented_matches(call: Call) -> Any:
    """The matches self-trade prevention stopped on the symbol: by ``preventedMatchId``,
    or those of ``orderId`` (as taker or maker) from ``fromPreventedMatchId`` on, at most
    ``limit`` (Binance's supported combinations)."""
    engine, params = _engine(call), call.params
    engine.spec(params["symbol"])
    if "preventedMatchId" not in params and "orderId" not in params:
        raise SimError(
            -1102, "Param 'preventedMatchId' or 'orderId' must be sent, but both were empty/null!"
        )
    found = [m for m in engine.prevented if m["symbol"] == params["symbol"]]
    if "preventedMatchId" in params:
        return [dict(m) for m in found if m["preventedMatchId"] == params["preventedMatchId"]]
    order_id = params["orderId"]
    start = params.get("fromPreventedMatchId", 0)
    found = [
        m
        for m in found
        if order_id in (m["takerOrderId"], m["makerOrderId"]) and m["preventedMatchId"] >= start
    ]
    return [dict(m) for m in found[: _limit(params)]]


# --- orders -----------------------------------------------------------------------------


def _order_params(params: dict[str, Any]) -> dict[str, Any]:
    return {name: params[name] for name in _ORDER_KEYS if name in params}


def _placement(order: Order, params: dict[str, Any], now: int) -> dict[str, Any]:
    kind = params.get("newOrderRespType")
    if kind is None:
        kind = "FULL" if order.type in ("MARKET", "LIMIT") else "ACK"
    if kind == "ACK":
        return order.ack(now)
    return order.result(now, full=kind == "FULL")


@handles("POST", "/api/v3/order", market=_SPOT)
def new_order(call: Call) -> Any:
    engine = _engine(call)
    order = engine.place(_order_params(call.params), call.now)
    _credit(call)
    return _placement(order, call.params, call.now)


def _test_answer(params: dict[str, Any], *, special: bool = True) -> dict[str, Any]:
    """``{}``, or with ``computeCommissionRates`` the rates an order would pay (SOR
    orders have no special commission, as Binance documents them)."""
    if not params.get("computeCommissionRates"):
        return {}
    rate = dec(COMMISSION)
    zero = {"maker": dec(0), "taker": dec(0)}
    special_rates = {"specialCommissionForOrder": dict(zero)} if special else {}
    return {
        "standardCommissionForOrder": {"maker": rate, "taker": rate},
        **special_rates,
        "taxCommissionForOrder": dict(zero),
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": dec(0),
        },
    }


@handles("POST", "/api/v3/order/test", market=_SPOT)
def test_order(call: Call) -> Any:
    """Every check of a new order, nothing placed."""
    _engine(call).check(_order_params(call.params), call.now)
    return _test_answer(call.params)


def _find(engine: SpotEngine, params: dict[str, Any], *, cancel: bool) -> Order:
    if "orderId" not in params and "origClientOrderId" not in params:
        raise SimError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    order = engine.find(params["symbol"], params.get("orderId"), params.get("origClientOrderId"))
    if order is None:
        if cancel:
            raise SimError(-2011, "Unknown order sent.")
        raise SimError(-2013, "Order does not exist.")
    return order


@handles("GET", "/api/v3/order", market=_SPOT)
def query_order(call: Call) -> Any:
    return _find(_engine(call), call.params, cancel=False).query()


def _cancel(engine: SpotEngine, order: Order, params: dict[str, Any], now: int) -> Any:
    """Cancel ``order`` (its whole list, for a list's order) under the request's
    ``newClientOrderId`` or a generated one: the answer's ``clientOrderId`` and the
    ``c`` of the ``executionReport`` CANCELED are that id. The answer is the order's own
    report, a list's order's too, as Binance answers a leg's cancellation (by
    ``DELETE /api/v3/order`` as by cancel-replace's cancel)."""
    cancel_id = params.get("newClientOrderId") or new_client_id()
    engine.cancel(order, now, params.get("cancelRestrictions"), cancel_id=cancel_id)
    return order.canceled(now, cancel_id)


@handles("DELETE", "/api/v3/order", market=_SPOT)
def cancel_order(call: Call) -> Any:
    engine = _engine(call)
    return _cancel(engine, _find(engine, call.params, cancel=True), call.params, call.now)


@handles("GET", "/api/v3/openOrders", market=_SPOT)
def open_orders(call: Call) -> Any:
    engine = _engine(call)
    symbol = call.params.get("symbol")
    if symbol is not None:
        engine.spec(symbol)
    return [order.query() for order in engine.open_orders(symbol)]  # pending list orders too


@handles("DELETE", "/api/v3/openOrders", market=_SPOT)
def cancel_open_orders(call: Call) -> Any:
    engine, now = _engine(call), call.now
    symbol = call.params["symbol"]
    engine.spec(symbol)
    singles = [o for o in engine.open_orders(symbol) if o.list_id == -1]
    lists = [lst for lst in engine.lists.values() if lst.is_open and lst.spec.symbol == symbol]
    if not singles and not lists:
        raise SimError(-2011, "Unknown order sent.")
    cancel_id = new_client_id()
    answer: list[Any] = []
    for order in singles:
        engine.cancel(order, now, cancel_id=cancel_id)
        answer.append(order.canceled(now, cancel_id))
    for order_list in lists:
        engine.cancel_list(order_list, now, cancel_id=cancel_id)
        answer.append(_canceled_list(order_list, cancel_id, now))
    return answer


@handles("GET", "/api/v3/allOrders", market=_SPOT)
def all_orders(call: Call) -> Any:
    engine, params = _engine(call), call.params
    engine.spec(params["symbol"])
    found = [
        order.query()
        for order in engine.orders.values()
        if order.symbol == params["symbol"]
        and ("orderId" not in params or order.order_id >= params["orderId"])
        and _in_time(params, order.time)
    ]
    limit = _limit(params)
    return found[:limit] if "orderId" in params or "startTime" in params else found[-limit:]


@handles("PUT", "/api/v3/order/amend/keepPriority", market=_SPOT)
def amend_order(call: Call) -> Any:
    engine, params, now = _engine(call), call.params, call.now
    order = _find(engine, params, cancel=True)
    previous_client = order.client_id
    execution = engine.amend(order, params["newQty"], params.get("newClientOrderId"), now)
    amended = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.list_id,
        "origClientOrderId": previous_client,
        "clientOrderId": order.client_id,
        "price": dec(order.price),
        "qty": dec(order.orig_qty),
        "executedQty": dec(order.executed),
        "preventedQty": dec(order.prevented_qty),
        "quoteOrderQty": dec(order.quote_order_qty),
        "cumulativeQuoteQty": dec(order.cum_quote),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "workingTime": order.working_time,
        "selfTradePreventionMode": order.stp_mode,
    }
    answer: dict[str, Any] = {
        "transactTime": now,
        "executionId": execution,
        "amendedOrder": amended,
    }
    if order.list_id != -1:
        listed = engine.lists[order.list_id].to_json()
        answer["listStatus"] = {
            k: v for k, v in listed.items() if k not in ("listStatusType", "transactionTime")
        }
    return answer


@handles("GET", "/api/v3/order/amendments", market=_SPOT)
def order_amendments(call: Call) -> Any:
    engine, params = _engine(call), call.params
    engine.spec(params["symbol"])
    found = [
        a
        for a in engine.amendments
        if a["symbol"] == params["symbol"]
        and a["orderId"] == params["orderId"]
        and a["executionId"] >= params.get("fromExecutionId", 0)
    ]
    return found[: min(params.get("limit", 500), 1000)]


@handles("POST", "/api/v3/order/cancelReplace", market=_SPOT)
def cancel_replace(call: Call) -> Any:
    """Cancel an order and place another in one request (Binance's outcomes and codes:
    -2022 when nothing was done, -2021 when one half failed, both with ``data``).

    The new order's parameters and filters are checked first, a refusal being the plain
    error with nothing done: Binance's "Filters and Order Count are evaluated before the
    processing of the cancellation and order placement occurs". The order-count filters
    (MAX_NUM_ORDERS...) stay with the placement, after the cancel: whether Binance counts
    the order being canceled is not documented, and counting it would refuse a
    replacement at the limit that the cancel makes room for."""
    engine, params, now = _engine(call), call.params, call.now
    if "cancelOrderId" not in params and "cancelOrigClientOrderId" not in params:
        raise SimError(
            -1102,
            "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were "
            "empty/null!",
        )
    engine.check(_order_params(params), now, in_list=True)  # in_list: no order counts
    stop_on_failure = params["cancelReplaceMode"] == "STOP_ON_FAILURE"
    cancel_answer: Any
    canceled = False
    try:
        order = engine.find(
            params["symbol"], params.get("cancelOrderId"), params.get("cancelOrigClientOrderId")
        )
        if order is None:
            raise SimError(-2011, "Unknown order sent.")
        cancel_params = {
            "newClientOrderId": params.get("cancelNewClientOrderId"),
            "cancelRestrictions": params.get("cancelRestrictions"),
        }
        cancel_answer = _cancel(engine, order, {k: v for k, v in cancel_params.items() if v}, now)
        canceled = True
    except SimError as error:
        cancel_answer = {"code": error.code, "msg": error.msg}
    if not canceled and stop_on_failure:
        raise ReplaceError(
            -2022,
            "Order cancel-replace failed.",
            {
                "cancelResult": "FAILURE",
                "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": cancel_answer,
                "newOrderResponse": None,
            },
        )
    placed = False
    try:
        new = engine.place(_order_params(params), now)
        new_answer: Any = _placement(new, params, now)
        placed = True
    except SimError as error:
        new_answer = {"code": error.code, "msg": error.msg}
    data = {
        "cancelResult": "SUCCESS" if canceled else "FAILURE",
        "newOrderResult": "SUCCESS" if placed else "FAILURE",
        "cancelResponse": cancel_answer,
        "newOrderResponse": new_answer,
    }
    _credit(call)
    if canceled and placed:
        return data
    if canceled or placed:
        raise ReplaceError(-2021, "Order cancel-replace partially failed.", data)
    raise ReplaceError(-2022, "Order cancel-replace failed.", data)


# --- SOR --------------------------------------------------------------------------------


def _sor_symbol(call: Call) -> SpotSymbol:
    venue: SpotVenue = call.venue
    spec = venue.symbol(call.params["symbol"])
    if spec.base != "BTC" or spec.quote == "BTC":
        raise SimError(-1013, "SOR is not enabled for this symbol.")
    return spec


@handles("POST", "/api/v3/sor/order", market=_SPOT)
def sor_order(call: Call) -> Any:
    _sor_symbol(call)
    order = _engine(call).place(_order_params(call.params), call.now, sor=True)
    _credit(call)
    return _placement(order, call.params, call.now)


@handles("POST", "/api/v3/sor/order/test", market=_SPOT)
def sor_order_test(call: Call) -> Any:
    _sor_symbol(call)
    _engine(call).check(_order_params(call.params), call.now)
    return _test_answer(call.params, special=False)


# --- order lists ------------------------------------------------------------------------


def _canceled_list(order_list: OrderList, cancel_id: str, now: int) -> dict[str, Any]:
    body = order_list.to_json(now)
    body["orderReports"] = [order.canceled(now, cancel_id) for order in order_list.orders]
    return body


def _leg(params: dict[str, Any], prefix: str, side: str, kind: str) -> dict[str, Any]:
    """A list leg's order parameters from its prefixed ones (``abovePrice`` -> ``price``)."""
    leg: dict[str, Any] = {"symbol": params["symbol"], "side": side, "type": kind}
    for suffix, name in _LEG_FIELDS.items():
        value = params.get(prefix + suffix)
        if value is not None:
            leg[name] = Decimal(value) if name == "icebergQty" else value
    if "selfTradePreventionMode" in params:
        leg["selfTradePreventionMode"] = params["selfTradePreventionMode"]
    return leg


def _checked(engine: SpotEngine, leg: dict[str, Any], prefix: str, now: int) -> None:
    """Check a leg, naming its parameters as they were sent (``abovePrice``)."""
    try:
        engine.check(leg, now, in_list=True)
    except SimError as error:
        for suffix, name in _LEG_FIELDS.items():
            error.msg = error.msg.replace(f"'{name}'", f"'{prefix}{suffix}'")
        raise


def _last_ticks(call: Call, spec: SpotSymbol) -> int:
    venue: SpotVenue = call.venue
    return venue.tape.last_trade(spec, call.now).ticks


def _check_oco(call: Call, side: str, above: dict[str, Any], below: dict[str, Any]) -> None:
    """The legs' roles and prices: a sell OCO takes profit above and stops loss below the
    last price, a buy OCO the other way round (-1165..-1199 for a leg on the wrong side,
    -2010 when its price is on the wrong side of the market)."""
    above_type, below_type = above["type"], below["type"]
    if side == "BUY":
        if above_type == "LIMIT_MAKER":
            raise SimError(-1165, "A limit order in a buy OCO must be below.")
        if above_type.startswith("TAKE_PROFIT"):
            raise SimError(-1198, "A take profit order in a buy OCO must be below.")
        if below_type.startswith("STOP_LOSS"):
            raise SimError(-1196, "A stop loss order in a buy OCO must be above.")
    else:
        if above_type.startswith("STOP_LOSS"):
            raise SimError(-1197, "A stop loss order in a sell OCO must be below.")
        if below_type.startswith("TAKE_PROFIT"):
            raise SimError(-1199, "A take profit order in a sell OCO must be above.")
    venue: SpotVenue = call.venue
    spec = venue.symbol(call.params["symbol"])
    last = _last_ticks(call, spec)
    above_at = above.get("stopPrice", above.get("price"))
    below_at = below.get("stopPrice", below.get("price"))
    if (
        above_at is not None
        and below_at is not None
        and not spec.to_ticks(above_at) > last > spec.to_ticks(below_at)
    ):
        raise SimError(-2010, "The relationship of the prices for the orders is not correct.")


def _list_answer(call: Call, order_list: OrderList) -> dict[str, Any]:
    _credit(call)
    engine: SpotEngine = call.venue.engine
    return engine.list_report(order_list, call.now)


@handles("POST", "/api/v3/orderList/oco", market=_SPOT)
def new_oco(call: Call) -> Any:
    engine, params, now = _engine(call), call.params, call.now
    side = params["side"]
    above = _leg(params, "above", side, params["aboveType"])
    below = _leg(params, "below", side, params["belowType"])
    above["quantity"] = below["quantity"] = params["quantity"]
    _checked(engine, above, "above", now)
    _checked(engine, below, "below", now)
    _check_oco(call, side, above, below)
    order_list = engine.new_list("OCO", [above, below], params, now, oco=(0, 1))
    return _list_answer(call, order_list)


@handles("POST", "/api/v3/order/oco", market=_SPOT)
def new_oco_legacy(call: Call) -> Any:
    """The deprecated OCO: a LIMIT_MAKER and a STOP_LOSS(_LIMIT), the stop listed first."""
    engine, params, now = _engine(call), call.params, call.now
    side = params["side"]
    base = {"symbol": params["symbol"], "side": side, "quantity": params["quantity"]}
    limit_leg = dict(base, type="LIMIT_MAKER", price=params["price"])
    stop_leg = dict(base, type="STOP_LOSS", stopPrice=params["stopPrice"])
    if "stopLimitPrice" in params:
        if "stopLimitTimeInForce" not in params:
            raise mandatory_missing("stopLimitTimeInForce")
        stop_leg.update(
            type="STOP_LOSS_LIMIT",
            price=params["stopLimitPrice"],
            timeInForce=params["stopLimitTimeInForce"],
        )
    elif "stopLimitTimeInForce" in params:
        raise SimError(-1106, "Parameter 'stopLimitTimeInForce' sent when not required.")
    for leg, prefix in ((limit_leg, "limit"), (stop_leg, "stop")):
        if f"{prefix}ClientOrderId" in params:
            leg["newClientOrderId"] = params[f"{prefix}ClientOrderId"]
        if f"{prefix}IcebergQty" in params:
            leg["icebergQty"] = params[f"{prefix}IcebergQty"]
        for suffix in ("StrategyId", "StrategyType"):
            if prefix + suffix in params:
                leg[suffix[0].lower() + suffix[1:]] = params[prefix + suffix]
    if "selfTradePreventionMode" in params:
        limit_leg["selfTradePreventionMode"] = stop_leg["selfTradePreventionMode"] = params[
            "selfTradePreventionMode"
        ]
    venue: SpotVenue = call.venue
    spec = venue.symbol(params["symbol"])
    last = _last_ticks(call, spec)
    price, stop = spec.to_ticks(params["price"]), spec.to_ticks(params["stopPrice"])
    if not (price < last < stop if side == "BUY" else price > last > stop):
        raise SimError(-2010, "The relationship of the prices for the orders is not correct.")
    order_list = engine.new_list("OCO", [stop_leg, limit_leg], params, now, oco=(0, 1))
    return _list_answer(call, order_list)


def _working(params: dict[str, Any]) -> dict[str, Any]:
    return _leg(params, "working", params["workingSide"], params["workingType"])


def _pending(params: dict[str, Any], prefix: str, kind: str, qty: Decimal) -> dict[str, Any]:
    leg = _leg(params, prefix, params["pendingSide"], kind)
    leg["quantity"] = qty
    return leg


def _oto(call: Call, *, pays_other: bool, oco: bool) -> Any:
    engine, params, now = _engine(call), call.params, call.now
    working = _working(params)
    _checked(engine, working, "working", now)
    qty = params["workingQuantity"] if pays_other else params["pendingQuantity"]
    if oco:
        above = _pending(params, "pendingAbove", params["pendingAboveType"], qty)
        legs = [working, above]
        _checked(engine, above, "pendingAbove", now)
        if "pendingBelowType" in params:
            below = _pending(params, "pendingBelow", params["pendingBelowType"], qty)
            _checked(engine, below, "pendingBelow", now)
            _check_oco(call, params["pendingSide"], above, below)
            legs.append(below)
        groups: tuple[int, ...] = (1, 2) if len(legs) == 3 else ()
    else:
        pending = _pending(params, "pending", params["pendingType"], qty)
        _checked(engine, pending, "pending", now)
        legs, groups = [working, pending], ()
    order_list = engine.new_list(
        "OTO", legs, params, now, working=0, oco=groups, pays_other=pays_other
    )
    return _list_answer(call, order_list)


@handles("POST", "/api/v3/orderList/oto", market=_SPOT)
def new_oto(call: Call) -> Any:
    return _oto(call, pays_other=False, oco=False)


@handles("POST", "/api/v3/orderList/otoco", market=_SPOT)
def new_otoco(call: Call) -> Any:
    return _oto(call, pays_other=False, oco=True)


@handles("POST", "/api/v3/orderList/opo", market=_SPOT)
def new_opo(call: Call) -> Any:
    """One-pays-the-other: the pending order sells (or buys) what the working order got."""
    return _oto(call, pays_other=True, oco=False)


@handles("POST", "/api/v3/orderList/opoco", market=_SPOT)
def new_opoco(call: Call) -> Any:
    return _oto(call, pays_other=True, oco=True)


def _find_list(engine: SpotEngine, list_id: int | None, client_id: str | None) -> OrderList | None:
    if list_id is not None:
        return engine.lists.get(list_id)
    matches = [lst for lst in engine.lists.values() if lst.client_id == client_id]
    return max(matches, key=lambda lst: lst.list_id) if matches else None


@handles("GET", "/api/v3/orderList", market=_SPOT)
def query_order_list(call: Call) -> Any:
    engine, params = _engine(call), call.params
    if "orderListId" not in params and "origClientOrderId" not in params:
        raise SimError(
            -1102,
            "Param 'origClientOrderId' or 'orderListId' must be sent, but both were empty/null!",
        )
    found = _find_list(engine, params.get("orderListId"), params.get("origClientOrderId"))
    if found is None:
        raise SimError(-2013, "Order list does not exist.")
    return found.to_json()


@handles("DELETE", "/api/v3/orderList", market=_SPOT)
def cancel_order_list(call: Call) -> Any:
    engine, params, now = _engine(call), call.params, call.now
    engine.spec(params["symbol"])
    if "orderListId" not in params and "listClientOrderId" not in params:
        raise SimError(
            -1102,
            "Param 'listClientOrderId' or 'orderListId' must be sent, but both were empty/null!",
        )
    found = _find_list(engine, params.get("orderListId"), params.get("listClientOrderId"))
    if found is None or found.spec.symbol != params["symbol"] or not found.is_open:
        raise SimError(-2011, "Unknown order list sent.")
    cancel_id = params.get("newClientOrderId") or new_client_id()
    engine.cancel_list(found, now, cancel_id=cancel_id)
    return _canceled_list(found, cancel_id, now)


@handles("GET", "/api/v3/openOrderList", market=_SPOT)
def open_order_lists(call: Call) -> Any:
    engine = _engine(call)
    return [lst.to_json() for lst in engine.lists.values() if lst.is_open]


@handles("GET", "/api/v3/allOrderList", market=_SPOT)
def all_order_lists(call: Call) -> Any:
    engine, params = _engine(call), call.params
    if "fromId" in params and ("startTime" in params or "endTime" in params):
        raise SimError(-1128, "Combination of optional parameters invalid.")
    found = [
        lst.to_json()
        for lst in engine.lists.values()
        if ("fromId" not in params or lst.list_id >= params["fromId"])
        and _in_time(params, lst.time)
    ]
    limit = _limit(params)
    return found[:limit] if "fromId" in params or "startTime" in params else found[-limit:]

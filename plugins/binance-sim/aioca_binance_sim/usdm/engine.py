"""The USDⓈ-M paper account: balances in USDT and USDC, linear positions, orders that
fill against the simulated book, algo (conditional) orders triggered by the simulated
price, funding every eight hours.

How it follows Binance (``binance-usdm-rest.json`` and the USD-M error codes):

* a taker order (MARKET, or a LIMIT that crosses) walks the book level by level, one
  trade per level, up to its limit price; what is left of a GTC/GTD LIMIT rests, an IOC
  expires, a FOK that cannot fill whole is refused (-5021), a GTX that would take is
  refused (-5022);
* resting orders fill at their own price, as makers, when the simulated trades reach it;
  like every other change with time (algo triggers, GTD expiry, countdown cancels,
  funding), this is done lazily, in time order, on the next request (:meth:`catch_up`);
* a position's entry price is the quantity-weighted mean of its fills; closing ``q`` at
  ``p`` realises ``q * (p - entry)`` (the opposite for a short), paid in the margin
  asset with the fees (maker 0.02 %, taker 0.05 % of the notional);
* margin is ``notional / leverage`` (by the mark price for positions, the order price for
  open orders); an order is refused with -2019 when the asset's available balance cannot
  carry it, and with -2027 when the position would pass the leverage's notional cap.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..errors import SimError, bad_symbol, mandatory_missing
from ..futures_orders import (
    own_makers,
    refuse_taking_post_only,
    refuse_unfillable_fok,
    reset_on_modify,
    take,
    walk_book,
)
from ..futures_settings import change_margin_type, change_position_mode
from ..leverage_brackets import Bracket, cap_at
from ..listen_key import ListenKeyHolder
from ..market import TRADE_MS
from .instruments import UsdmSymbol
from .market import UsdmMarket

__all__ = [
    "INITIAL_BALANCES",
    "MAKER_FEE",
    "TAKER_FEE",
    "AlgoOrder",
    "Order",
    "Position",
    "UsdmEngine",
    "brackets",
    "max_notional",
    "money",
]

INITIAL_BALANCES: dict[str, Decimal] = {"USDT": Decimal("100000"), "USDC": Decimal("50000")}
MARGIN_ASSETS = ("USDT", "USDC")
"""The assets that margin contracts; Multi-Assets mode pools them."""
"""The demo account's wallet."""

MAKER_FEE = Decimal("0.0002")
TAKER_FEE = Decimal("0.0005")
DEFAULT_LEVERAGE = 20
FUNDING_MS = 8 * 3_600_000
_EIGHT = Decimal("0.00000001")
_ALGO_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_MAX_SCAN_TRADES = 8640  # one day of trades: older crossings are not looked for
_UNKNOWN_ORDER = "Unknown order sent."
_NO_ORDER = "Order does not exist."


def money(value: Decimal) -> str:
    """An amount of the margin asset as Binance writes it: eight decimals, no exponent."""
    return format(value.quantize(_EIGHT) + 0, "f")


def brackets(symbol: UsdmSymbol) -> tuple[Bracket, ...]:
    """The notional brackets ``symbol`` starts with, leverage decreasing. ``cum`` is
    Binance's maintenance amount: the ratio steps times the floors below."""
    scale = 5 if symbol.base in ("BTC", "ETH") else 1
    if symbol.quote == "USDC":
        scale = max(1, scale // 5)
    leverages = sorted({symbol.max_leverage, symbol.max_leverage // 2, 20, 10, 5, 2, 1})
    leverages.reverse()
    caps = [50_000, 250_000, 1_000_000, 5_000_000, 20_000_000, 50_000_000, 200_000_000]
    ratios = [Decimal(r) for r in ("0.004", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25")]
    rows: list[Bracket] = []
    floor, cum, previous = 0, Decimal(0), Decimal(0)
    for number, (leverage, cap, ratio) in enumerate(zip(leverages, caps, ratios, strict=False)):
        cum += floor * (ratio - previous)
        rows.append(Bracket(number + 1, leverage, Decimal(cap * scale), Decimal(floor), ratio, cum))
        floor, previous = cap * scale, ratio
    return tuple(rows)


def max_notional(table: tuple[Bracket, ...], leverage: int) -> Decimal:
    """The largest position notional at ``leverage``: the cap of the last bracket that
    still allows it (the first bracket's for a leverage above them all, which a table
    set by a test can leave an account with)."""
    return cap_at(table, leverage)


@dataclass(slots=True)
class Order:
    order_id: int
    symbol: UsdmSymbol
    client_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    quantity: Decimal
    reduce_only: bool
    position_side: str
    time: int
    update_time: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    price_match: str = "NONE"
    stp_mode: str = "NONE"
    good_till: int = 0
    orig_type: str = ""
    stop_price: Decimal = Decimal(0)
    close_position: bool = False
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    checked_ms: int = 0
    """Trades up to this time have been compared with the order's price."""
    accepted: dict[str, Any] | None = None
    """The order as accepted, before any fill: the ``ACK`` answer."""
    modify_id: int | None = None
    """The ``modifyId`` sent with the order's last modification, if any: returned in that
    modification's answer and pushed as ``M`` of its AMENDMENT event."""

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed

    def average_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else Decimal(0)

    def to_json(self, *, with_time: bool = False, with_cum_qty: bool = True) -> dict[str, Any]:
        """The order as Binance writes it: ``with_time`` for queries (``time``, no
        ``cumQty``), the placement and cancel answers otherwise."""
        s = self.symbol
        data: dict[str, Any] = {
            "orderId": self.order_id,
            "symbol": s.name,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": s.price_text(self.price) if self.price else "0",
            "avgPrice": f"{self.average_price():.{s.tick_decimals + 4}f}",
            "origQty": s.qty_text(self.quantity),
            "executedQty": s.qty_text(self.executed),
            "cumQuote": f"{self.cum_quote:.{s.tick_decimals + s.step_decimals}f}"
            if self.executed
            else "0",
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": s.price_text(self.stop_price) if self.stop_price else "0",
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.orig_type or self.type,
            "priceMatch": self.price_match,
            "selfTradePreventionMode": self.stp_mode,
            "goodTillDate": self.good_till,
            "updateTime": self.update_time,
        }
        if with_cum_qty:
            data["cumQty"] = s.qty_text(self.executed)
        if with_time:
            data["time"] = self.time
        return data

    def modify_json(self) -> dict[str, Any]:
        """The modify answer: the order with ``pair`` and ``cumBase`` as documented, and
        the request's ``modifyId`` when one was sent ("returned as-is in the response")."""
        data = self.to_json()
        data["pair"] = self.symbol.pair
        data["cumBase"] = self.symbol.qty_text(self.executed)
        if self.modify_id is not None:
            data["modifyId"] = self.modify_id
        return data


@dataclass(slots=True)
class AlgoOrder:
    algo_id: int
    client_id: str
    symbol: UsdmSymbol
    side: str
    type: str
    position_side: str
    time_in_force: str
    quantity: Decimal
    trigger_price: Decimal
    price: Decimal
    working_type: str
    price_match: str
    close_position: bool
    price_protect: bool
    reduce_only: bool
    activate_price: Decimal
    callback_rate: Decimal
    stp_mode: str
    good_till: int
    create_time: int
    update_time: int
    status: str = "NEW"
    trigger_time: int = 0
    actual_order: Order | None = None
    checked_ms: int = 0
    activated: bool = False
    extreme: Decimal = Decimal(0)
    """For a trailing stop: the lowest (BUY) or highest (SELL) price since activation."""

    @property
    def is_open(self) -> bool:
        return self.status == "NEW"

    def _status(self) -> str:
        if self.status == "TRIGGERED" and self.actual_order and not self.actual_order.is_open:
            return "FINISHED"
        return self.status

    def to_json(self, *, query: bool = False) -> dict[str, Any]:
        s = self.symbol
        trailing = self.type == "TRAILING_STOP_MARKET"

        def price(value: Decimal) -> str:
            return s.price_text(value) if value else ("" if trailing else s.price_text(0))

        data: dict[str, Any] = {
            "algoId": self.algo_id,
            "clientAlgoId": self.client_id,
            "algoType": "CONDITIONAL",
            "orderType": self.type,
            "symbol": s.name,
            "side": self.side,
            "positionSide": self.position_side,
            "timeInForce": self.time_in_force,
            "quantity": s.qty_text(self.quantity),
            "algoStatus": self._status(),
            "triggerPrice": price(self.trigger_price),
            "price": price(self.price),
            "icebergQuantity": None,
            "selfTradePreventionMode": self.stp_mode,
            "workingType": self.working_type,
            "priceMatch": self.price_match,
            "closePosition": self.close_position,
            "priceProtect": self.price_protect,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": self.good_till,
        }
        if not query or trailing:
            data["activatePrice"] = s.price_text(self.activate_price) if trailing else ""
            data["callbackRate"] = str(self.callback_rate) if trailing else ""
        if query:
            actual = self.actual_order
            zero = s.price_text(0)
            data.update(
                actualOrderId=str(actual.order_id) if actual else "",
                actualPrice=f"{actual.average_price():.{s.tick_decimals + 4}f}"
                if actual
                else f"{0:.5f}",
                tpTriggerPrice=zero,
                tpPrice=zero,
                slTriggerPrice=zero,
                slPrice=zero,
                tpOrderType="",
            )
        return data


@dataclass(slots=True)
class Position:
    symbol: UsdmSymbol
    side: str
    amount: Decimal = Decimal(0)
    """Signed: a short is negative, in one-way and hedge mode alike."""
    entry: Decimal = Decimal(0)
    isolated_margin: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    """Fees paid while opening the current position (for the break-even price)."""
    update_time: int = 0


@dataclass(slots=True)
class _Account:
    balances: dict[str, Decimal] = field(default_factory=lambda: dict(INITIAL_BALANCES))
    update_time: dict[str, int] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    isolated: set[str] = field(default_factory=set)
    dual_side: bool = False
    multi_assets: bool = False
    fee_burn: bool = False


class UsdmEngine(ListenKeyHolder):
    """The account, its orders, algo orders, positions, fills and history."""

    listen_key_path = "/fapi/v1/listenKey"

    def __init__(self, market: UsdmMarket, funded_ms: int = 0) -> None:
        self.market = market
        self.symbols = market.symbols
        self.account = _Account()
        self.account.update_time = dict.fromkeys(self.account.balances, funded_ms)
        self.orders: dict[int, Order] = {}
        self.algo_orders: dict[int, AlgoOrder] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.user_trades: list[dict[str, Any]] = []
        self.income: list[dict[str, Any]] = []
        self.margin_history: list[dict[str, Any]] = []
        self.amendments: list[dict[str, Any]] = []
        self.countdowns: dict[str, int] = {}
        self.downloads: dict[str, int] = {}
        self.quotes: dict[str, dict[str, Any]] = {}
        self.conversions: dict[str, dict[str, Any]] = {}
        self.listeners: list[Callable[[Order, str, Any, int], None]] = []
        """Told of every order event: ``(order, execution type, fill or None, time)``,
        where a fill is ``(quantity, price, maker, fee, trade id)``."""
        self.caught_up_ms = funded_ms
        self.liquidations: list[int] = []
        """The ids of the liquidation orders, oldest first (``forceOrders``)."""
        self.risk_checked_ms = funded_ms
        """Mark prices up to this time have been compared with the margins."""
        self._next_id = 1
        self._next_algo = 1
        self._next_trade = 1
        self._next_tran = 1

    # --- lookups ----------------------------------------------------------------------

    def symbol(self, name: str) -> UsdmSymbol:
        found = self.symbols.get(name)
        if found is None:
            raise bad_symbol()
        return found

    def find_order(
        self, name: str, order_id: int | None, client_id: str | None, *, code: int = -2013
    ) -> Order:
        self.symbol(name)
        if order_id is None and client_id is None:
            raise SimError(
                -1102,
                "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
            )
        if order_id is not None:
            order = self.orders.get(order_id)
        else:
            matches = [
                o
                for o in self.orders.values()
                if o.client_id == client_id and o.symbol.name == name
            ]
            order = max(matches, key=lambda o: o.order_id) if matches else None
        if order is None or order.symbol.name != name:
            raise SimError(code, _NO_ORDER if code == -2013 else _UNKNOWN_ORDER)
        return order

    def open_orders(self, name: str | None = None) -> list[Order]:
        return [
            o for o in self.orders.values() if o.is_open and (name is None or o.symbol.name == name)
        ]

    def open_algo_orders(self, name: str | None = None) -> list[AlgoOrder]:
        return [
            a
            for a in self.algo_orders.values()
            if a.is_open and (name is None or a.symbol.name == name)
        ]

    def position(self, symbol: UsdmSymbol, side: str = "BOTH") -> Position:
        key = (symbol.name, side)
        found = self.positions.get(key)
        if found is None:
            found = self.positions[key] = Position(symbol, side)
        return found

    def leverage(self, name: str) -> int:
        return self.account.leverage.get(name, DEFAULT_LEVERAGE)

    def sides(self) -> tuple[str, ...]:
        return ("LONG", "SHORT") if self.account.dual_side else ("BOTH",)

    # --- time passing -----------------------------------------------------------------

    def catch_up(self, now: int) -> None:
        """Run, in time order, what happened since the last request: algo triggers and
        resting fills up to each funding time, the funding payment, then up to ``now``."""
        start = self.caught_up_ms
        if now <= start:
            return
        funding = FUNDING_MS * (start // FUNDING_MS + 1)
        while funding <= now:
            self._advance(funding)
            self._fund(funding)
            funding += FUNDING_MS
        self._advance(now)
        self.caught_up_ms = now

    def _advance(self, now: int) -> None:
        for name, deadline in sorted(self.countdowns.items(), key=lambda item: item[1]):
            if now >= deadline:
                del self.countdowns[name]
                for order in self.open_orders(name):
                    self._close(order, "CANCELED", deadline)
        for algo in list(self.algo_orders.values()):
            if algo.is_open:
                self._watch(algo, now)
        for order in list(self.orders.values()):
            if order.is_open and order.time_in_force == "GTD" and order.good_till <= now:
                self._scan(order, order.good_till)
                if order.is_open:
                    self._close(order, "EXPIRED", order.good_till)
            elif order.is_open and order.type == "LIMIT":
                self._scan(order, now)
        self._watch_margins(now)

    # --- liquidation ------------------------------------------------------------------

    def _watch_margins(self, now: int) -> None:
        """Compare each position's margin with its maintenance margin at every trade time
        (10 s) since the last look, by the mark price: the first time an isolated
        position's margin, or an asset's cross margin (both margin assets together in
        Multi-Assets mode), falls to the maintenance margin, liquidate it."""
        first = self.risk_checked_ms // TRADE_MS + 1
        last = now // TRADE_MS
        self.risk_checked_ms = max(self.risk_checked_ms, now)
        if not any(p.amount for p in self.positions.values()):
            return
        for step in range(max(first, last - _MAX_SCAN_TRADES), last + 1):
            self._check_margins(step * TRADE_MS)

    def _check_margins(self, at: int) -> None:
        held = [p for p in self.positions.values() if p.amount]
        for position in held:
            if position.symbol.name in self.account.isolated:
                equity = position.isolated_margin + self.unrealized(position, at)
                if equity <= self.maint_margin(position, at):
                    self._liquidate(position, at, cross=False)
        groups = [MARGIN_ASSETS] if self.account.multi_assets else [(a,) for a in MARGIN_ASSETS]
        for assets in groups:
            cross = [
                p
                for p in held
                if p.amount
                and p.symbol.margin_asset in assets
                and p.symbol.name not in self.account.isolated
            ]
            if not cross:
                continue
            maint = sum((self.maint_margin(p, at) for p in cross), Decimal(0))
            if self._cross_equity(assets, at) <= maint:
                for position in cross:
                    self._liquidate(position, at, cross=True)

    def _cross_equity(self, assets: tuple[str, ...], at: int) -> Decimal:
        """The cross margin balance of ``assets``: their wallets less what isolated
        positions hold, plus the cross positions' unrealized profit."""
        total = sum((self.account.balances.get(a, Decimal(0)) for a in assets), Decimal(0))
        for p in self.positions.values():
            if p.amount and p.symbol.margin_asset in assets:
                if p.symbol.name in self.account.isolated:
                    total -= p.isolated_margin
                else:
                    total += self.unrealized(p, at)
        return total

    def _liquidate(self, position: Position, at: int, *, cross: bool) -> None:
        """Close ``position`` by a liquidation order as Binance shows one (``forceOrders``:
        clientOrderId ``autoclose-…``, LIMIT IOC, FILLED), after cancelling the
        symbol's open orders. The simulator's choices, Binance publishing no formula
        for them: the order fills whole at the mark price (on the tick) as a taker; an
        isolated position loses exactly its isolated margin (what the close leaves of
        it, or lacks, is the ``INSURANCE_CLEAR`` income); a cross position pays its
        maintenance margin as ``INSURANCE_CLEAR``, as far as the cross margin left
        covers it."""
        s = position.symbol
        for order in self.open_orders(s.name):
            self._close(order, "CANCELED", at)
        price = self.market.mark_price(s, at).quantize(s.tick)
        quantity = abs(position.amount)
        side = "SELL" if position.amount > 0 else "BUY"
        margin_before = position.isolated_margin
        wallet_before = self.account.balances.get(s.margin_asset, Decimal(0))
        maint = self.maint_margin(position, at)
        self._next_id += 1
        order = Order(
            order_id=4_000_000_000 + self._next_id,
            symbol=s,
            client_id=f"autoclose-{at}{self._next_id % 1_000_000:06d}",
            side=side,
            type="LIMIT",
            time_in_force="IOC",
            price=price,
            quantity=quantity,
            reduce_only=False,
            position_side=position.side,
            time=at,
            update_time=at,
            checked_ms=at,
        )
        self.orders[order.order_id] = order
        self.liquidations.append(order.order_id)
        order.accepted = order.to_json()
        self._notify(order, "NEW", None, at)
        self._fill(order, quantity, price, maker=False, now=at)
        change = self.account.balances.get(s.margin_asset, Decimal(0)) - wallet_before
        if cross:
            left = self._cross_equity((s.margin_asset,), at)
            clearance = max(Decimal(0), min(maint, left))
        else:
            clearance = margin_before + change  # what is left of the isolated margin
        if clearance:
            self._credit(s.margin_asset, -clearance, at)
            self._income(s.name, "INSURANCE_CLEAR", -clearance, s.margin_asset, at, "")

    def _fund(self, at: int) -> None:
        """Pay or receive funding on every open perpetual position at ``at``."""
        for position in self.positions.values():
            if not position.amount or not position.symbol.instrument.perpetual:
                continue
            s = position.symbol
            rate = self.market.funding_rate(s, at)
            payment = -position.amount * self.market.mark_price(s, at) * rate
            self._credit(s.margin_asset, payment, at)
            self._income(s.name, "FUNDING_FEE", payment, s.margin_asset, at, "")

    def _scan(self, order: Order, now: int) -> None:
        first = order.checked_ms // TRADE_MS + 1
        last = now // TRADE_MS
        if last < first:
            return
        first = max(first, last - _MAX_SCAN_TRADES)
        limit_ticks = int(order.price.scaleb(order.symbol.tick_decimals))
        for trade in self.market.trades(order.symbol, first, last):
            crossed = (
                trade.ticks <= limit_ticks if order.side == "BUY" else trade.ticks >= limit_ticks
            )
            if crossed:
                self._fill(order, order.remaining, order.price, maker=True, now=trade.time)
                break
        order.checked_ms = now

    def _watch(self, algo: AlgoOrder, now: int) -> None:
        """Trigger ``algo`` at the first trade (or mark price) since its last look that
        meets its condition."""
        first = algo.checked_ms // TRADE_MS + 1
        last = now // TRADE_MS
        if last < first:
            return
        first = max(first, last - _MAX_SCAN_TRADES)
        s = algo.symbol
        for trade in self.market.trades(s, first, last):
            if algo.working_type == "MARK_PRICE":
                price = self.market.mark_price(s, trade.time)
            else:
                price = s.ticks_price(trade.ticks)
            if self._condition_met(algo, price):
                self._trigger(algo, trade.time)
                return
        algo.checked_ms = now

    def _condition_met(self, algo: AlgoOrder, price: Decimal) -> bool:
        if algo.type == "TRAILING_STOP_MARKET":
            rate = algo.callback_rate / 100
            if not algo.activated:
                reached = (
                    price <= algo.activate_price
                    if algo.side == "BUY"
                    else price >= algo.activate_price
                )
                if not reached:
                    return False
                algo.activated, algo.extreme = True, price
            if algo.side == "BUY":
                algo.extreme = min(algo.extreme, price)
                return price >= algo.extreme * (1 + rate)
            algo.extreme = max(algo.extreme, price)
            return price <= algo.extreme * (1 - rate)
        return _crosses(algo.type, algo.side, price, algo.trigger_price)

    def _trigger(self, algo: AlgoOrder, at: int) -> None:
        algo.trigger_time = algo.update_time = at
        algo.checked_ms = at
        market = algo.type.endswith("MARKET")
        params: dict[str, Any] = {
            "symbol": algo.symbol.name,
            "side": algo.side,
            "type": "MARKET" if market else "LIMIT",
            "positionSide": algo.position_side,
            "newClientOrderId": f"algo_{algo.algo_id}",
        }
        if algo.close_position:
            held = self._held(algo.symbol, algo.side, algo.position_side)
            params["quantity"] = held
        else:
            params["quantity"] = algo.quantity
        if (algo.reduce_only or algo.close_position) and not self.account.dual_side:
            params["reduceOnly"] = "true"
        if not market:
            params["price"] = algo.price
            params["timeInForce"] = algo.time_in_force
        try:
            if not params["quantity"]:
                raise SimError(-2022, "ReduceOnly Order is rejected.")
            order = self.new_order(params, at, orig_type=algo.type, stop_price=algo.trigger_price)
        except SimError:
            algo.status = "REJECTED"
            return
        order.working_type = algo.working_type
        algo.actual_order = order
        algo.status = "TRIGGERED"

    def _held(self, symbol: UsdmSymbol, side: str, position_side: str) -> Decimal:
        """The quantity an order of ``side`` would close (closePosition)."""
        if position_side == "BOTH":
            amount = self.position(symbol).amount
            return abs(amount) if (amount < 0) == (side == "BUY") and amount else Decimal(0)
        return abs(self.position(symbol, position_side).amount)

    # --- orders -----------------------------------------------------------------------

    def new_order(
        self,
        params: dict[str, Any],
        now: int,
        *,
        test: bool = False,
        orig_type: str = "",
        stop_price: Decimal = Decimal(0),
    ) -> Order:
        """Validate and place an order (``params`` as converted from the request); with
        ``test``, validate only."""
        s = self.symbol(params["symbol"])
        kind = params["type"]
        if kind in _ALGO_TYPES:
            raise SimError(
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API "
                "endpoints instead.",
            )
        side = params["side"]
        time_in_force = params.get("timeInForce")
        price_match = params.get("priceMatch", "NONE")
        if kind == "MARKET" and time_in_force is not None:
            raise SimError(-1106, "Parameter 'timeInForce' sent when not required.")
        if price_match != "NONE" and kind != "LIMIT":
            raise SimError(
                -5038, "Price match only supports order type: LIMIT, STOP AND TAKE_PROFIT"
            )
        if kind == "LIMIT" and time_in_force is None:
            raise mandatory_missing("timeInForce")
        if price_match != "NONE" and "price" in params:
            raise SimError(-1106, "Parameter 'price' sent when not required.")
        quantity = self._quantity(s, params, kind)
        if price_match != "NONE":
            price = self._matched_price(s, side, price_match, now)
        else:
            price = self._price(s, params, kind, side, now)
        good_till = self._good_till(params, time_in_force, now)
        position_side = self._position_side(params)
        reduce_only = params.get("reduceOnly") == "true"
        client_id = params.get("newClientOrderId") or "web_" + secrets.token_hex(10)
        if any(o.client_id == client_id for o in self.open_orders(s.name)):
            raise SimError(-4116, "ClientOrderId is duplicated.")
        if reduce_only:
            self._check_reduce_only(s, side, quantity)
        held = abs(self.position(s, position_side).amount)
        if position_side != "BOTH" and _closing(position_side, side) and quantity > held:
            raise SimError(-2022, "ReduceOnly Order is rejected.")
        reference = price if kind == "LIMIT" else self.market.last_price(s, now)
        closes = self._only_closes(s, side, position_side, quantity)
        if not reduce_only and not closes and quantity * reference < s.min_notional:
            raise SimError(
                -4164,
                f"Order's notional must be no smaller than {s.min_notional} (unless you "
                "choose reduce only)",
            )
        if not reduce_only and not self._only_closes(s, side, position_side, quantity):
            self._check_notional_cap(s, side, position_side, quantity, reference)
            self._check_margin(s, quantity, reference)
        bid, ask = self.market.best_prices(s, now)
        limit_ticks = int(price.scaleb(s.tick_decimals)) if kind == "LIMIT" else None
        takes = kind == "MARKET" or (
            limit_ticks is not None
            and (limit_ticks >= ask if side == "BUY" else limit_ticks <= bid)
        )
        refuse_taking_post_only(time_in_force, takes)
        levels = self._levels(s, side, limit_ticks, quantity, now) if takes else []
        refuse_unfillable_fok(time_in_force, levels, quantity)
        self._next_id += 1
        order = Order(
            order_id=4_000_000_000 + self._next_id,
            symbol=s,
            client_id=client_id,
            side=side,
            type=kind,
            time_in_force=time_in_force or "GTC",
            price=price if kind == "LIMIT" else Decimal(0),
            quantity=quantity,
            reduce_only=reduce_only,
            position_side=position_side,
            time=now,
            update_time=now,
            price_match=price_match,
            stp_mode=params.get("selfTradePreventionMode", "NONE"),
            good_till=good_till,
            orig_type=orig_type,
            stop_price=stop_price,
            checked_ms=now,
        )
        if test:
            self._next_id -= 1
            return order
        self.orders[order.order_id] = order
        order.accepted = order.to_json()
        self._notify(order, "NEW", None, now)
        limit = order.price if kind == "LIMIT" else None
        take(
            order,
            levels,
            own_makers(order, self.open_orders(s.name), limit) if levels else [],
            lambda price, qty: self._fill(order, qty, price, maker=False, now=now),
            lambda ended, status: self._close(ended, status, now),
        )
        return order

    def _levels(
        self, s: UsdmSymbol, side: str, limit_ticks: int | None, quantity: Decimal, now: int
    ) -> list[tuple[Decimal, Decimal]]:
        """The ``(price, quantity)`` a taker order gets, walking the book from the best
        opposite level up to its limit (:func:`~..futures_orders.walk_book`)."""
        return walk_book(
            side,
            self.market.best_prices(s, now),
            limit_ticks,
            quantity,
            lambda tick: s.steps_qty(self.market.level_steps(s, tick, now)),
            s.ticks_price,
        )

    def _notify(self, order: Order, execution: str, fill: Any, now: int) -> None:
        for listener in self.listeners:
            listener(order, execution, fill, now)

    def _quantity(self, s: UsdmSymbol, params: dict[str, Any], kind: str) -> Decimal:
        quantity: Decimal | None = params.get("quantity")
        if quantity is None:
            raise mandatory_missing("quantity")
        if quantity <= 0:
            raise SimError(-4003, "Quantity less than zero.")
        if quantity < s.step:
            raise SimError(-4004, "Quantity less than min quantity.")
        if quantity > (s.market_max_qty if kind == "MARKET" else s.max_qty):
            raise SimError(-4005, "Quantity greater than max quantity.")
        if quantity % s.step:
            raise SimError(-4023, "Qty not increased by step size.")
        return quantity

    def _price(
        self, s: UsdmSymbol, params: dict[str, Any], kind: str, side: str, now: int
    ) -> Decimal:
        price: Decimal | None = params.get("price")
        if kind == "MARKET":
            if price is not None:
                raise SimError(-1106, "Parameter 'price' sent when not required.")
            return Decimal(0)
        if price is None:
            raise mandatory_missing("price")
        self._check_price(s, price, side, now)
        return price

    def _check_price(self, s: UsdmSymbol, price: Decimal, side: str, now: int) -> None:
        """PRICE_FILTER and PERCENT_PRICE, with Binance's codes."""
        if price <= 0:
            raise SimError(-4001, "Price less than 0.")
        if price < s.tick:
            raise SimError(-4013, "Price less than min price.")
        if price > s.max_price:
            raise SimError(-4002, "Price greater than max price.")
        if price % s.tick:
            raise SimError(-4014, "Price not increased by tick size.")
        mark = self.market.mark_price(s, now)
        if side == "BUY" and price > mark * Decimal("1.05"):
            raise SimError(-4016, "Price is higher than mark price multiplier cap.")
        if side == "SELL" and price < mark * Decimal("0.95"):
            raise SimError(-4024, "Price is lower than mark price multiplier floor.")

    def _matched_price(self, s: UsdmSymbol, side: str, match: str, now: int) -> Decimal:
        """The price ``priceMatch`` picks: OPPONENT(_N) the N-th level of the other side,
        QUEUE(_N) the N-th level of the order's own side."""
        bid, ask = self.market.best_prices(s, now)
        kind, _, level = match.partition("_")
        n = int(level or 1) - 1
        if kind == "OPPONENT":
            ticks = ask + n if side == "BUY" else bid - n
        else:
            ticks = bid - n if side == "BUY" else ask + n
        return s.ticks_price(ticks)

    def _good_till(self, params: dict[str, Any], time_in_force: str | None, now: int) -> int:
        good_till = params.get("goodTillDate")
        if time_in_force != "GTD":
            if good_till is not None:
                raise SimError(-1106, "Parameter 'goodTillDate' sent when not required.")
            return 0
        if good_till is None:
            raise mandatory_missing("goodTillDate")
        if not now + 600_000 < good_till < 253_402_300_799_000:
            raise SimError(
                -5040,
                "The goodTillDate timestamp must be greater than the current time plus 600 "
                "seconds and smaller than 253402300799000 (UTC 9999-12-31 23:59:59)",
            )
        return int(good_till)

    def _position_side(self, params: dict[str, Any]) -> str:
        side = params.get("positionSide")
        if side is not None and side not in ("BOTH", "LONG", "SHORT"):
            raise SimError(-4060, "Invalid position side.")
        if self.account.dual_side:
            if side not in ("LONG", "SHORT"):
                raise SimError(-4061, "Order's position side does not match user's setting.")
            if params.get("reduceOnly") is not None:
                raise SimError(-1106, "Parameter 'reduceOnly' sent when not required.")
            return str(side)
        if side not in (None, "BOTH"):
            raise SimError(-4061, "Order's position side does not match user's setting.")
        return "BOTH"

    def _check_reduce_only(self, s: UsdmSymbol, side: str, quantity: Decimal) -> None:
        amount = self.position(s).amount
        reduces = amount < 0 if side == "BUY" else amount > 0
        if not reduces or quantity > abs(amount):
            raise SimError(-2022, "ReduceOnly Order is rejected.")

    def _only_closes(self, s: UsdmSymbol, side: str, position_side: str, qty: Decimal) -> bool:
        """Whether the order only reduces a position (needs no new margin)."""
        if position_side != "BOTH":
            return _closing(position_side, side)
        amount = self.position(s).amount
        return (amount < 0 if side == "BUY" else amount > 0) and qty <= abs(amount)

    def _check_notional_cap(
        self, s: UsdmSymbol, side: str, position_side: str, qty: Decimal, price: Decimal
    ) -> None:
        amount = self.position(s, position_side).amount
        after = abs(amount + (qty if side == "BUY" else -qty))
        cap = max_notional(self.brackets(s, self.caught_up_ms), self.leverage(s.name))
        if after * price > cap:
            raise SimError(-2027, "Exceeded the maximum allowable position at current leverage.")

    def _check_margin(self, s: UsdmSymbol, quantity: Decimal, price: Decimal) -> None:
        needed = quantity * price / self.leverage(s.name)
        if needed > self.available(s.margin_asset):
            raise SimError(-2019, "Margin is insufficient.")

    def _credit(self, asset: str, amount: Decimal, now: int) -> None:
        self.account.balances[asset] = self.account.balances.get(asset, Decimal(0)) + amount
        self.account.update_time[asset] = now

    def _fill(self, order: Order, qty: Decimal, price: Decimal, *, maker: bool, now: int) -> None:
        s = order.symbol
        asset = s.margin_asset
        position = self.position(s, order.position_side)
        signed = qty if order.side == "BUY" else -qty
        fee = qty * price * (MAKER_FEE if maker else TAKER_FEE)
        realized = Decimal(0)
        amount = position.amount
        isolated = s.name in self.account.isolated
        leverage = self.leverage(s.name)
        if amount == 0 or (amount > 0) == (signed > 0):
            total = abs(amount) + qty
            position.entry = (abs(amount) * position.entry + qty * price) / total
            position.amount = amount + signed
            position.fees += fee
            if isolated:
                position.isolated_margin += qty * price / leverage
        else:
            closing = min(qty, abs(amount))
            direction = 1 if amount > 0 else -1
            realized = closing * (price - position.entry) * direction
            position.amount = amount + signed
            if isolated:
                position.isolated_margin *= (
                    abs(position.amount) / abs(amount) if abs(signed) < abs(amount) else 0
                )
            position.fees *= (abs(amount) - closing) / abs(amount)
            if abs(signed) > abs(amount):
                opened = abs(signed) - abs(amount)
                position.entry = price
                position.fees = fee * opened / qty
                if isolated:
                    position.isolated_margin = opened * price / leverage
            elif position.amount == 0:
                position.entry = Decimal(0)
        position.update_time = now
        self._credit(asset, realized - fee, now)
        order.executed += qty
        order.cum_quote += qty * price
        order.status = "FILLED" if order.executed == order.quantity else "PARTIALLY_FILLED"
        order.update_time = now
        trade_id = self._next_trade
        self._next_trade += 1
        self.user_trades.append(
            {
                "buyer": order.side == "BUY",
                "commission": money(fee),
                "commissionAsset": asset,
                "id": trade_id,
                "maker": maker,
                "orderId": order.order_id,
                "price": s.price_text(price),
                "qty": s.qty_text(qty),
                "quoteQty": f"{qty * price:.{s.tick_decimals + s.step_decimals}f}",
                "realizedPnl": money(realized),
                "side": order.side,
                "positionSide": order.position_side,
                "symbol": s.name,
                "time": now,
            }
        )
        if realized:
            self._income(s.name, "REALIZED_PNL", realized, asset, now, str(trade_id))
        self._income(s.name, "COMMISSION", -fee, asset, now, str(trade_id))
        self._notify(order, "TRADE", (qty, price, maker, fee, trade_id), now)

    def _income(
        self, name: str, kind: str, amount: Decimal, asset: str, now: int, trade: str
    ) -> None:
        self._next_tran += 1
        self.income.append(
            {
                "symbol": name,
                "incomeType": kind,
                "income": money(amount),
                "asset": asset,
                "info": kind,
                "time": now,
                "tranId": 9_000_000_000 + self._next_tran,
                "tradeId": trade,
            }
        )

    def _close(self, order: Order, status: str, now: int) -> None:
        order.status = status
        order.update_time = now
        self._notify(order, status, None, now)

    def cancel(self, name: str, order_id: int | None, client_id: str | None, now: int) -> Order:
        order = self.find_order(name, order_id, client_id, code=-2011)
        if not order.is_open:
            raise SimError(-2011, _UNKNOWN_ORDER)
        self._close(order, "CANCELED", now)
        return order

    def cancel_all(self, name: str, now: int) -> None:
        self.symbol(name)
        for order in self.open_orders(name):
            self._close(order, "CANCELED", now)

    def modify(self, params: dict[str, Any], now: int) -> Order:
        """Change a LIMIT order's price and quantity (both sent, as USDⓈ-M requires).

        The account's user data: an ``ORDER_TRADE_UPDATE`` with ``x`` AMENDMENT (the new
        ``p`` and ``q``, ``M`` the ``modifyId`` when one was sent), then the TRADE
        reports of what a new price that crosses takes at once; a modification that
        cancels the order (Binance: a new quantity <= ``executedQty``, a GTX order whose
        new price would take) sends what a cancellation sends, and a refused one nothing."""
        order = self.find_order(
            params["symbol"], params.get("orderId"), params.get("origClientOrderId")
        )
        if not order.is_open:
            raise SimError(-2013, _NO_ORDER)
        if order.type != "LIMIT":
            raise SimError(-5025, "Only limit order is supported.")
        if params["side"] != order.side:
            raise SimError(-1130, "Data sent for parameter 'side' is not valid.")
        if params.get("reduceOnly") == "true" and not order.reduce_only:
            raise SimError(-5047, "The original order is not a reduce-only order")
        s = order.symbol
        quantity = self._quantity(s, params, "LIMIT")
        match = params.get("priceMatch", "NONE")
        if match != "NONE":
            price = self._matched_price(s, order.side, match, now)
        else:
            price = params["price"]
            self._check_price(s, price, order.side, now)
        if quantity == order.quantity and price == order.price:
            raise SimError(-5027, "No need to modify the order.")
        if not order.reduce_only and quantity * price < s.min_notional:
            raise SimError(-5029, f"Order's notional must be no smaller than {s.min_notional}")
        bid, ask = self.market.best_prices(s, now)
        ticks = int(price.scaleb(s.tick_decimals))
        takes = ticks >= ask if order.side == "BUY" else ticks <= bid
        before_price, before_qty = order.price, order.quantity
        self.amendments.append(
            {
                "amendmentId": len(self.amendments) + 1,
                "symbol": s.name,
                "pair": s.pair,
                "orderId": order.order_id,
                "clientOrderId": order.client_id,
                "time": now,
                "amendment": {
                    "price": {"before": s.price_text(before_price), "after": s.price_text(price)},
                    "origQty": {"before": s.qty_text(before_qty), "after": s.qty_text(quantity)},
                    "count": sum(1 for a in self.amendments if a["orderId"] == order.order_id) + 1,
                },
            }
        )
        order.update_time = now
        order.modify_id = params.get("modifyId")
        if quantity <= order.executed or (order.time_in_force == "GTX" and takes):
            self._close(order, "CANCELED", now)
            return order
        order.quantity, order.price, order.price_match = quantity, price, match
        reset_on_modify(order, now)
        self._notify(order, "AMENDMENT", None, now)
        if takes:
            for fill_price, qty in self._levels(s, order.side, ticks, order.remaining, now):
                self._fill(order, qty, fill_price, maker=False, now=now)
        return order

    # --- algo orders ----------------------------------------------------------------

    def new_algo(self, params: dict[str, Any], now: int) -> AlgoOrder:
        """Validate and place a conditional order (``POST /fapi/v1/algoOrder``)."""
        s = self.symbol(params["symbol"])
        kind = params["type"]
        if kind not in _ALGO_TYPES:
            raise SimError(-1116, "Invalid orderType.")
        side = params["side"]
        close = params.get("closePosition") == "true"
        reduce_only = params.get("reduceOnly") == "true"
        position_side = self._position_side(
            {k: v for k, v in params.items() if k != "reduceOnly" or not self.account.dual_side}
        )
        if close:
            if kind not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
                raise SimError(-1106, "Parameter 'closePosition' sent when not required.")
            if "quantity" in params:
                raise SimError(-4137, "Quantity must be zero with closePosition equals true.")
            if "reduceOnly" in params:
                raise SimError(-1106, "Parameter 'reduceOnly' sent when not required.")
            if position_side != "BOTH" and not _closing(position_side, side):
                raise SimError(-4061, "Order's position side does not match user's setting.")
            quantity = Decimal(0)
        else:
            quantity = self._quantity(s, params, "MARKET" if kind.endswith("MARKET") else "LIMIT")
        last = self.market.last_price(s, now)
        reference = (
            self.market.mark_price(s, now) if params.get("workingType") == "MARK_PRICE" else last
        )
        trigger = params.get("triggerPrice")
        price = Decimal(0)
        activate = Decimal(0)
        rate = Decimal(0)
        time_in_force = params.get("timeInForce", "GTC")
        if kind == "TRAILING_STOP_MARKET":
            rate_sent: Decimal | None = params.get("callbackRate")
            if rate_sent is None:
                raise mandatory_missing("callbackRate")
            if not Decimal("0.1") <= rate_sent <= Decimal("10"):
                raise SimError(-1130, "Data sent for parameter 'callbackRate' is not valid.")
            rate = rate_sent
            activate = params.get("activatePrice", reference)
            if (side == "BUY" and activate > reference) or (
                side == "SELL" and activate < reference
            ):
                raise SimError(-2021, "Order would immediately trigger.")
        else:
            if trigger is None:
                raise mandatory_missing("triggerPrice")
            if trigger <= 0 or trigger % s.tick:
                raise SimError(-4014, "Price not increased by tick size.")
            if _crosses(kind, side, reference, trigger):
                raise SimError(-2021, "Order would immediately trigger.")
            if not kind.endswith("MARKET"):
                price = params.get("price")  # type: ignore[assignment]
                if price is None:
                    raise mandatory_missing("price")
                if price <= 0:
                    raise SimError(-4001, "Price less than 0.")
                if price % s.tick:
                    raise SimError(-4014, "Price not increased by tick size.")
        if (
            not close
            and not reduce_only
            and quantity * (price or trigger or reference) < s.min_notional
        ):
            raise SimError(
                -4164,
                f"Order's notional must be no smaller than {s.min_notional} (unless you choose "
                "reduce only)",
            )
        if len(self.open_algo_orders(s.name)) >= 10:
            raise SimError(-4045, "Reach max stop order limit.")
        client_id = params.get("clientAlgoId") or secrets.token_urlsafe(16)[:22]
        if any(a.client_id == client_id for a in self.open_algo_orders()):
            raise SimError(-4116, "ClientOrderId is duplicated.")
        self._next_algo += 1
        algo = AlgoOrder(
            algo_id=3_000_000 + self._next_algo,
            client_id=client_id,
            symbol=s,
            side=side,
            type=kind,
            position_side=position_side,
            time_in_force=time_in_force,
            quantity=quantity,
            trigger_price=trigger or Decimal(0),
            price=price,
            working_type=params.get("workingType", "CONTRACT_PRICE"),
            price_match=params.get("priceMatch", "NONE"),
            close_position=close,
            price_protect=params.get("priceProtect") == "true",
            reduce_only=reduce_only,
            activate_price=activate,
            callback_rate=rate,
            stp_mode=params.get("selfTradePreventionMode", "EXPIRE_MAKER"),
            good_till=params.get("goodTillDate", 0),
            create_time=now,
            update_time=now,
            checked_ms=now,
        )
        self.algo_orders[algo.algo_id] = algo
        return algo

    def find_algo(self, algo_id: int | None, client_id: str | None) -> AlgoOrder:
        if algo_id is None and client_id is None:
            raise SimError(
                -1102, "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!"
            )
        for algo in self.algo_orders.values():
            if algo.algo_id == algo_id or (algo_id is None and algo.client_id == client_id):
                return algo
        raise SimError(-2013, _NO_ORDER)

    def cancel_algo(self, algo_id: int | None, client_id: str | None, now: int) -> AlgoOrder:
        try:
            algo = self.find_algo(algo_id, client_id)
        except SimError as error:
            if error.code == -2013:
                raise SimError(-2011, _UNKNOWN_ORDER) from None
            raise
        if not algo.is_open:
            raise SimError(-2011, _UNKNOWN_ORDER)
        algo.status = "CANCELED"
        algo.update_time = now
        return algo

    # --- account ----------------------------------------------------------------------

    def unrealized(self, position: Position, now: int) -> Decimal:
        if not position.amount:
            return Decimal(0)
        mark = self.market.mark_price(position.symbol, now)
        return position.amount * (mark - position.entry)

    def position_margin(self, position: Position, now: int) -> Decimal:
        if not position.amount:
            return Decimal(0)
        mark = self.market.mark_price(position.symbol, now)
        return abs(position.amount) * mark / self.leverage(position.symbol.name)

    def brackets(self, s: UsdmSymbol, now: int) -> tuple[Bracket, ...]:
        """``s``'s brackets at ``now``: those a test set
        (:meth:`~aioca_binance_sim.BinanceSimulator.set_leverage_brackets`), or its own."""
        chosen = self.market.core.contracts.brackets(s.name, now)
        return brackets(s) if chosen is None else chosen

    def max_notional(self, s: UsdmSymbol, leverage: int, now: int) -> Decimal:
        return max_notional(self.brackets(s, now), leverage)

    def maint_margin(self, position: Position, now: int) -> Decimal:
        if not position.amount:
            return Decimal(0)
        notional = abs(position.amount) * self.market.mark_price(position.symbol, now)
        for row in self.brackets(position.symbol, now):
            if notional <= row.cap:
                return notional * row.maint_margin_ratio - row.cum
        return notional * Decimal("0.25")

    def order_margin(self, asset: str, name: str | None = None) -> Decimal:
        total = Decimal(0)
        for order in self.orders.values():
            s = order.symbol
            counted = order.is_open and order.price and not order.reduce_only
            if counted and s.margin_asset == asset and (name is None or s.name == name):
                total += order.remaining * order.price / self.leverage(s.name)
        return total

    def asset_figures(self, asset: str, now: int) -> dict[str, Decimal]:
        wallet = self.account.balances.get(asset, Decimal(0))
        held = [p for p in self.positions.values() if p.symbol.margin_asset == asset and p.amount]
        cross = [p for p in held if p.symbol.name not in self.account.isolated]
        isolated = [p for p in held if p.symbol.name in self.account.isolated]
        unrealized = sum((self.unrealized(p, now) for p in held), Decimal(0))
        cross_unrealized = sum((self.unrealized(p, now) for p in cross), Decimal(0))
        position_margin = sum((self.position_margin(p, now) for p in held), Decimal(0))
        cross_margin = sum((self.position_margin(p, now) for p in cross), Decimal(0))
        isolated_wallets = sum((p.isolated_margin for p in isolated), Decimal(0))
        maint = sum((self.maint_margin(p, now) for p in held), Decimal(0))
        order_margin = self.order_margin(asset)
        available = wallet + cross_unrealized - cross_margin - isolated_wallets - order_margin
        return {
            "wallet": wallet,
            "cross_wallet": wallet - isolated_wallets,
            "unrealized": unrealized,
            "cross_unrealized": cross_unrealized,
            "position_margin": position_margin,
            "maint": maint,
            "order_margin": order_margin,
            "available": available,
        }

    def available(self, asset: str, now: int | None = None) -> Decimal:
        """What new margin in ``asset`` may use: the asset's own available balance, or in
        Multi-Assets mode the sum over every margin asset (USDT and USDC counted one for
        one: the simulator's choice, Binance values them at their index price)."""
        at = now if now is not None else self.caught_up_ms
        if self.account.multi_assets and asset in MARGIN_ASSETS:
            return sum((self.asset_figures(a, at)["available"] for a in MARGIN_ASSETS), Decimal(0))
        return self.asset_figures(asset, at)["available"]

    def set_multi_assets(self, on: bool, now: int) -> None:
        """Switch Multi-Assets mode with the refusals of Binance's USDⓈ-M error list
        (-4171 unchanged, -4170 open orders, -4167 a symbol in isolated margin, -4172 a
        negative margin asset, -4169 an asset that cannot carry its own positions alone);
        the order of the checks is the simulator's choice."""
        account = self.account
        if on == account.multi_assets:
            raise SimError(
                -4171,
                "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.",
            )
        if self.open_orders() or self.open_algo_orders():
            raise SimError(
                -4170, "Unable to adjust Multi-Assets Mode with open orders in USDⓈ-M Futures."
            )
        if on and account.isolated:
            raise SimError(
                -4167,
                "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under "
                "isolated-margin mode.",
            )
        if on and any(account.balances.get(a, Decimal(0)) < 0 for a in MARGIN_ASSETS):
            raise SimError(
                -4172,
                "Unable to adjust Multi-Assets Mode with a negative wallet balance of margin "
                "available asset in USDⓈ-M Futures account.",
            )
        if not on and any(self.asset_figures(a, now)["available"] < 0 for a in MARGIN_ASSETS):
            raise SimError(
                -4169,
                "Unable to adjust Multi-Assets Mode with insufficient margin balance in USDⓈ-M "
                "Futures.",
            )
        account.multi_assets = on

    def liquidation_price(self, position: Position, now: int) -> Decimal:
        """Where the position's margin would be used up (0 when it never is): the
        isolated wallet, or the asset's cross margin, less the maintenance margin."""
        if not position.amount:
            return Decimal(0)
        s = position.symbol
        if s.name in self.account.isolated:
            cushion = position.isolated_margin
        else:
            figures = self.asset_figures(s.margin_asset, now)
            cushion = figures["available"] + self.position_margin(position, now)
            cushion -= self.unrealized(position, now)
        cushion -= self.maint_margin(position, now)
        price = position.entry - cushion / position.amount
        return max(price, Decimal(0))

    def adl_quantile(self, positions: list[Position], now: int) -> int:
        """Where ``positions`` would stand in the auto-deleveraging queue, 0 (last) to 4
        (first). Binance ranks by profit ratio times effective leverage against every
        other trader; with no other trader, the simulator's choice is: 0 without
        profit, else 1 plus the whole part of (return on the positions' initial margin
        x leverage), at most 4."""
        held = [p for p in positions if p.amount]
        if not held:
            return 0
        profit = sum((self.unrealized(p, now) for p in held), Decimal(0))
        if profit <= 0:
            return 0
        leverage = self.leverage(held[0].symbol.name)
        cost = sum((abs(p.amount) * p.entry for p in held), Decimal(0)) / leverage
        return min(4, 1 + int(profit / cost * leverage))

    def set_leverage(self, name: str, leverage: int) -> dict[str, Any]:
        s = self.symbol(name)
        top = self.brackets(s, self.caught_up_ms)[0].initial_leverage
        if not 1 <= leverage <= min(s.max_leverage, top):
            raise SimError(-4028, f"Leverage {leverage} is not valid")
        held = sum((abs(p.amount) for (n, _), p in self.positions.items() if n == name), Decimal(0))
        cap = max_notional(self.brackets(s, self.caught_up_ms), leverage)
        if held * self.market.mark_price(s, self.caught_up_ms) > cap:
            raise SimError(-2027, "Exceeded the maximum allowable position at current leverage.")
        self.account.leverage[name] = leverage
        return {"leverage": leverage, "maxNotionalValue": str(cap), "symbol": name}

    def set_margin_type(self, name: str, margin_type: str) -> None:
        self.symbol(name)
        if margin_type == "ISOLATED" and self.account.multi_assets:
            raise SimError(
                -4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode."
            )
        orders = self.open_orders(name)
        change_margin_type(self.account, self.positions, orders, name, margin_type)

    def set_dual_side(self, dual: bool) -> None:
        change_position_mode(self.account, self.positions.values(), self.open_orders(), dual)

    def modify_margin(
        self, name: str, amount: Decimal, kind: int, side: str | None, now: int
    ) -> dict[str, Any]:
        s = self.symbol(name)
        if kind not in (1, 2):
            raise SimError(-1130, "Data sent for parameter 'type' is not valid.")
        if amount <= 0:
            raise SimError(-4055, "Amount must be positive.")
        if name not in self.account.isolated:
            raise SimError(-4049, "Add margin only support for isolated position.")
        position = self.position(s, side or self.sides()[0])
        if not position.amount:
            raise SimError(-4054, "Cannot add position margin: position is 0.")
        asset = s.margin_asset
        if kind == 1:
            if amount > self.available(asset, now):
                raise SimError(-4050, "Cross balance insufficient.")
            position.isolated_margin += amount
        else:
            if amount > position.isolated_margin - self.maint_margin(position, now):
                raise SimError(-4051, "Isolated balance insufficient.")
            position.isolated_margin -= amount
        self.margin_history.append(
            {
                "symbol": name,
                "type": kind,
                "deltaType": "USER_ADJUST",
                "amount": money(amount),
                "asset": asset,
                "time": now,
                "positionSide": position.side,
            }
        )
        return {
            "amount": float(amount),
            "code": 200,
            "msg": "Successfully modify position margin.",
            "type": kind,
        }


def _closing(position_side: str, side: str) -> bool:
    """Whether an order of ``side`` closes a hedge-mode ``position_side``."""
    return (position_side == "LONG" and side == "SELL") or (
        position_side == "SHORT" and side == "BUY"
    )


def _crosses(kind: str, side: str, price: Decimal, trigger: Decimal) -> bool:
    """Binance's trigger rule: STOP(_MARKET) BUY at ``price >= trigger``, SELL at
    ``price <= trigger``; TAKE_PROFIT(_MARKET) the other way round."""
    stop = kind.startswith("STOP")
    rising = side == "BUY" if stop else side == "SELL"
    return price >= trigger if rising else price <= trigger


def round_down(value: Decimal) -> Decimal:
    return value.quantize(_EIGHT, rounding=ROUND_DOWN)

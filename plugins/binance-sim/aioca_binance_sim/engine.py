"""A small paper-trading engine: the simulator's one account, its orders and positions.

Deliberately simple, but consistent with the market data: a MARKET order, or a LIMIT
order that crosses the book (a buy at or above the best ask, a sell at or below the best
bid), takes at once, as a taker, walking the levels ``GET /dapi/v1/depth`` shows up to
its limit; what it does not get there rests (LIMIT GTC) or expires (MARKET, IOC); a FOK
the book cannot fill whole and a GTX that would take are refused, and a taker that
reaches the account's own resting order meets self-trade prevention, by the rules
USDⓈ-M shares (:mod:`.futures_orders`). Resting LIMIT orders fill at their own price,
as makers, once the simulated trades reach it: they are checked lazily, on every request
that reads or changes the account (nothing runs in the background), against the trades
since the last check.

COIN-M accounting: quantities are contracts of a fixed USD value (100 USD for BTC, 10 USD
for the others); margin, fees and profit are in the coin. A position's entry price is the
harmonic mean of its fills (the average of the USD value per coin), and profit on ``q``
contracts closed at ``p`` is ``q * size * (1/entry - 1/p)`` for a long.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from .errors import SimError, bad_symbol, mandatory_missing
from .futures_orders import (
    own_makers,
    refuse_taking_post_only,
    refuse_unfillable_fok,
    reset_on_modify,
    take,
    walk_book,
)
from .futures_settings import change_margin_type, change_position_mode
from .instruments import Instrument
from .leverage_brackets import COINM_BRACKETS, Bracket, cap_at
from .listen_key import ListenKeyHolder
from .market import TRADE_MS, Market, book_step

__all__ = ["INITIAL_BALANCES", "Engine", "Order", "Position"]

INITIAL_BALANCES: dict[str, Decimal] = {
    "BTC": Decimal("1"),
    "ETH": Decimal("30"),
    "BNB": Decimal("150"),
    "SOL": Decimal("600"),
    "XRP": Decimal("45000"),
}
"""The demo account's wallet, about 90,000 USD per coin."""

MAKER_FEE = Decimal("0.00015")
TAKER_FEE = Decimal("0.00040")
DEFAULT_LEVERAGE = 20
MAX_LEVERAGE = 125
_EIGHT = Decimal("0.00000001")
_CONDITIONAL = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
_MAX_SCAN_TRADES = 8640  # one day of trades: older crossings are not looked for
_UNKNOWN_ORDER = "Unknown order sent."


def coin(value: Decimal) -> str:
    """A coin amount as Binance writes it: eight decimals, never an exponent."""
    return format(value.quantize(_EIGHT) + 0, "f")


@dataclass(slots=True)
class Order:
    order_id: int
    instrument: Instrument
    client_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    quantity: int
    reduce_only: bool
    position_side: str
    time: int
    update_time: int
    status: str = "NEW"
    executed: int = 0
    cum_base: Decimal = Decimal(0)
    price_match: str = "NONE"
    stp_mode: str = "NONE"
    checked_ms: int = 0
    """Trades up to this time have been compared with the order's price."""
    modify_id: int | None = None
    """The ``modifyId`` sent with the order's last modification, if any: returned in that
    modification's answer and pushed as ``M`` of its AMENDMENT event."""

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def remaining(self) -> int:
        return self.quantity - self.executed

    def average_price(self) -> Decimal:
        if not self.executed:
            return Decimal(0)
        size = self.instrument.pair.contract_size
        return self.executed * size / self.cum_base

    def to_json(self, *, with_time: bool = True, with_cum_qty: bool = True) -> dict[str, Any]:
        decimals = self.instrument.pair.tick_decimals
        average = self.average_price()
        data: dict[str, Any] = {
            "orderId": self.order_id,
            "symbol": self.instrument.symbol,
            "pair": self.instrument.pair.name,
            "status": self.status,
            "clientOrderId": self.client_id,
            "price": f"{self.price:.{decimals}f}" if self.price else "0",
            "avgPrice": f"{average:.{decimals + 4}f}" if self.executed else "0.0",
            "origQty": str(self.quantity),
            "executedQty": str(self.executed),
            "cumBase": coin(self.cum_base),
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": False,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": "0",
            "workingType": "CONTRACT_PRICE",
            "priceProtect": False,
            "origType": self.type,
            "priceMatch": self.price_match,
            "selfTradePreventionMode": self.stp_mode,
            "updateTime": self.update_time,
        }
        if with_cum_qty:
            data["cumQty"] = str(self.executed)
        if with_time:
            data["time"] = self.time
        return data

    def modify_json(self) -> dict[str, Any]:
        """The modify answer: the order, and the request's ``modifyId`` when one was sent
        ("passed through as-is ... If omitted, it is not included in the response")."""
        data = self.to_json(with_time=False)
        if self.modify_id is not None:
            data["modifyId"] = self.modify_id
        return data


@dataclass(slots=True)
class Position:
    instrument: Instrument
    side: str
    amount: int = 0
    entry: Decimal = Decimal(0)
    isolated_margin: Decimal = Decimal(0)
    update_time: int = 0


@dataclass(slots=True)
class _Account:
    balances: dict[str, Decimal] = field(default_factory=lambda: dict(INITIAL_BALANCES))
    update_time: dict[str, int] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    isolated: set[str] = field(default_factory=set)
    dual_side: bool = False


class Engine(ListenKeyHolder):
    """The account, its orders, positions, fills and history."""

    listen_key_path = "/dapi/v1/listenKey"

    def __init__(
        self, market: Market, instruments: dict[str, Instrument], funded_ms: int = 0
    ) -> None:
        self.market = market
        self.instruments = instruments
        self.account = _Account()
        # The demo wallet was funded when the venue opened: Binance reports a held asset
        # with the time its balance last changed, and updateTime 0 only for assets never
        # funded (clients such as ccxt skip those rows as placeholders).
        self.account.update_time = dict.fromkeys(self.account.balances, funded_ms)
        self.orders: dict[int, Order] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.user_trades: list[dict[str, Any]] = []
        self.income: list[dict[str, Any]] = []
        self.margin_history: list[dict[str, Any]] = []
        self.amendments: list[dict[str, Any]] = []
        self.algo_orders: dict[int, dict[str, Any]] = {}
        self.countdowns: dict[str, int] = {}
        self.downloads: dict[str, int] = {}
        self.listeners: list[Callable[[Order, str, Any, int], None]] = []
        """Told of every order event: ``(order, execution type, fill or None, time)``,
        where a fill is ``(quantity, price, maker, fee, trade id)`` (the user data stream)."""
        self._next_id = 1
        self._next_trade = 1
        self._next_tran = 1

    # --- lookups ----------------------------------------------------------------------

    def instrument(self, symbol: str) -> Instrument:
        found = self.instruments.get(symbol)
        if found is None:
            raise bad_symbol()
        return found

    def _new_id(self) -> int:
        self._next_id += 1
        return 10_000_000 + self._next_id

    def find_order(
        self, symbol: str, order_id: int | None, client_id: str | None, *, code: int = -2013
    ) -> Order:
        self.instrument(symbol)
        message = "Order does not exist." if code == -2013 else _UNKNOWN_ORDER
        if order_id is not None:
            order = self.orders.get(order_id)
        else:
            matches = [
                o
                for o in self.orders.values()
                if o.client_id == client_id and o.instrument.symbol == symbol
            ]
            order = max(matches, key=lambda o: o.order_id) if matches else None
        if order is None or order.instrument.symbol != symbol:
            raise SimError(code, message)
        return order

    def open_orders(self, symbol: str | None = None, pair: str | None = None) -> list[Order]:
        return [
            order
            for order in self.orders.values()
            if order.is_open
            and (symbol is None or order.instrument.symbol == symbol)
            and (pair is None or order.instrument.pair.name == pair)
        ]

    def position(self, instrument: Instrument, side: str = "BOTH") -> Position:
        key = (instrument.symbol, side)
        found = self.positions.get(key)
        if found is None:
            found = self.positions[key] = Position(instrument, side)
        return found

    def leverage(self, symbol: str) -> int:
        return self.account.leverage.get(symbol, DEFAULT_LEVERAGE)

    # --- time passing -----------------------------------------------------------------

    def catch_up(self, now: int) -> None:
        """Fill resting orders the market has reached since the last look, and run
        expired countdown cancellations."""
        for symbol, deadline in list(self.countdowns.items()):
            if now >= deadline:
                del self.countdowns[symbol]
                for order in self.open_orders(symbol):
                    self._close(order, "CANCELED", now)
        for order in list(self.orders.values()):
            if order.is_open and order.type == "LIMIT":
                self._scan(order, now)

    def _scan(self, order: Order, now: int) -> None:
        first = order.checked_ms // TRADE_MS + 1
        last = now // TRADE_MS
        if last < first:
            return
        first = max(first, last - _MAX_SCAN_TRADES)
        limit_ticks = _ticks(order.instrument, order.price)
        for trade in self.market.trades_range(order.instrument, first, last):
            crossed = (
                trade.ticks <= limit_ticks if order.side == "BUY" else trade.ticks >= limit_ticks
            )
            if crossed:
                self._fill(order, order.remaining, order.price, maker=True, now=trade.time)
                break
        order.checked_ms = now

    # --- orders -----------------------------------------------------------------------

    def best_prices(self, instrument: Instrument, now: int) -> tuple[Decimal, Decimal]:
        """Best bid and best ask now (the bid is the last trade, the ask a tick above)."""
        ticks = self.market.last_trade(instrument, now).ticks
        scale = Decimal(10) ** instrument.pair.tick_decimals
        return Decimal(ticks) / scale, Decimal(ticks + 1) / scale

    def new_order(self, params: dict[str, Any], now: int) -> Order:
        """Validate and place an order (``params`` as read from the request)."""
        instrument = self.instrument(params["symbol"])
        kind = params["type"]
        if kind in _CONDITIONAL:
            raise SimError(
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API "
                "endpoints instead.",
            )
        side = params["side"]
        quantity = self._quantity(params)
        price = self._price(instrument, params, kind, side, now)
        time_in_force = params.get("timeInForce")
        if kind == "LIMIT" and time_in_force is None:
            raise mandatory_missing("timeInForce")
        position_side = self._position_side(params)
        reduce_only = params.get("reduceOnly") == "true"
        client_id = params.get("newClientOrderId") or "web_" + secrets.token_hex(10)
        if any(o.client_id == client_id for o in self.open_orders(instrument.symbol)):
            raise SimError(-4116, "ClientOrderId is duplicated.")
        if reduce_only:
            self._check_reduce_only(instrument, side, quantity)
        bid, ask = self.best_prices(instrument, now)
        fill_price = ask if side == "BUY" else bid
        marketable = kind == "MARKET" or (price >= ask if side == "BUY" else price <= bid)
        if not reduce_only and not self._closes(instrument, side, position_side, quantity):
            self._check_margin(instrument, quantity, price if kind == "LIMIT" else fill_price)
        refuse_taking_post_only(time_in_force, marketable)
        limit_ticks = _ticks(instrument, price) if kind == "LIMIT" else None
        levels = self._levels(instrument, side, limit_ticks, quantity, now) if marketable else []
        refuse_unfillable_fok(time_in_force, levels, quantity)
        order = Order(
            self._new_id(),
            instrument,
            client_id,
            side,
            kind,
            time_in_force or "GTC",
            price if kind == "LIMIT" else Decimal(0),
            quantity,
            reduce_only,
            position_side,
            now,
            now,
            price_match=params.get("priceMatch", "NONE"),
            stp_mode=params.get("selfTradePreventionMode", "NONE"),
            checked_ms=now,
        )
        self.orders[order.order_id] = order
        self._notify(order, "NEW", None, now)
        # a GTX rests, as a maker (one that would take was refused above)
        limit = price if kind == "LIMIT" else None
        take(
            order,
            levels,
            own_makers(order, self.open_orders(instrument.symbol), limit) if levels else [],
            lambda at, qty: self._fill(order, qty, at, maker=False, now=now),
            lambda ended, status: self._close(ended, status, now),
        )
        return order

    def _levels(
        self, instrument: Instrument, side: str, limit_ticks: int | None, quantity: int, now: int
    ) -> list[tuple[Decimal, int]]:
        """The ``(price, contracts)`` a taker order gets, walking the book from the best
        opposite level up to its limit (:func:`~.futures_orders.walk_book`), the levels
        ``GET /dapi/v1/depth`` shows."""
        last = self.market.last_trade(instrument, now).ticks
        step = book_step(now)
        decimals = instrument.pair.tick_decimals
        return walk_book(
            side,
            (last, last + 1),
            limit_ticks,
            quantity,
            lambda tick: self.market.level_qty(instrument, tick, step),
            lambda tick: Decimal(tick).scaleb(-decimals),
        )

    def _notify(self, order: Order, execution: str, fill: Any, now: int) -> None:
        for listener in self.listeners:
            listener(order, execution, fill, now)

    def _quantity(self, params: dict[str, Any]) -> int:
        quantity = params.get("quantity")
        if quantity is None:
            raise mandatory_missing("quantity")
        if quantity <= 0:
            raise SimError(-4003, "Quantity less than zero.")
        if quantity != quantity.to_integral_value():
            raise SimError(-4023, "Qty not increased by step size.")
        return int(quantity)

    def _price(
        self, instrument: Instrument, params: dict[str, Any], kind: str, side: str, now: int
    ) -> Decimal:
        price: Decimal | None = params.get("price")
        if kind == "MARKET":
            if price is not None:
                raise SimError(-1106, "Parameter 'price' sent when not required.")
            return Decimal(0)
        if price is None:
            raise mandatory_missing("price")
        if price <= 0:
            raise SimError(-4001, "Price less than 0.")
        step = Decimal(1).scaleb(-instrument.pair.tick_decimals)
        if price % step:
            raise SimError(-4014, "Price not increased by tick size.")
        mark = Decimal(str(self.market.mark_price(instrument, now)))
        if side == "BUY" and price > mark * Decimal("1.05"):
            raise SimError(-4016, "Price is higher than mark price multiplier cap.")
        if side == "SELL" and price < mark * Decimal("0.95"):
            raise SimError(-4024, "Price is lower than mark price multiplier floor.")
        return price

    def _position_side(self, params: dict[str, Any]) -> str:
        side = params.get("positionSide")
        if self.account.dual_side:
            if side not in ("LONG", "SHORT"):
                raise SimError(-4061, "Order's position side does not match user's setting.")
            if params.get("reduceOnly") is not None:
                raise SimError(-1106, "Parameter 'reduceOnly' sent when not required.")
            return str(side)
        if side not in (None, "BOTH"):
            raise SimError(-4061, "Order's position side does not match user's setting.")
        return "BOTH"

    def _check_reduce_only(self, instrument: Instrument, side: str, quantity: int) -> None:
        amount = self.position(instrument).amount
        reduces = amount < 0 if side == "BUY" else amount > 0
        if not reduces or quantity > abs(amount):
            raise SimError(-2022, "ReduceOnly Order is rejected.")

    def _closes(self, instrument: Instrument, side: str, position_side: str, qty: int) -> bool:
        """Whether the order only reduces a position (needs no new margin)."""
        if position_side == "LONG":
            return side == "SELL"
        if position_side == "SHORT":
            return side == "BUY"
        amount = self.position(instrument).amount
        return (amount < 0 if side == "BUY" else amount > 0) and qty <= abs(amount)

    def _check_margin(self, instrument: Instrument, quantity: int, price: Decimal) -> None:
        size = instrument.pair.contract_size
        needed = quantity * size / price / self.leverage(instrument.symbol)
        if needed > self.available(instrument.pair.base):
            raise SimError(-2019, "Margin is insufficient.")

    def _fill(self, order: Order, qty: int, price: Decimal, *, maker: bool, now: int) -> None:
        instrument = order.instrument
        size = instrument.pair.contract_size
        asset = instrument.pair.base
        position = self.position(instrument, order.position_side)
        signed = qty if order.side == "BUY" else -qty  # a short is negative, hedged or not
        realized = Decimal(0)
        amount = position.amount
        if amount == 0 or (amount > 0) == (signed > 0):
            value = abs(amount) / position.entry if amount else Decimal(0)
            total = abs(amount) + qty
            position.entry = total / (value + Decimal(qty) / price)
            position.amount = amount + signed
        else:
            closing = min(qty, abs(amount))
            direction = 1 if amount > 0 else -1
            realized = closing * size * (1 / position.entry - 1 / price) * direction
            position.amount = amount + signed
            if abs(signed) > abs(amount):
                position.entry = price
            elif position.amount == 0:
                position.entry = Decimal(0)
        position.update_time = now
        fee = qty * size / price * (MAKER_FEE if maker else TAKER_FEE)
        self.account.balances[asset] += realized - fee
        self.account.update_time[asset] = now
        order.executed += qty
        order.cum_base += qty * size / price
        order.status = "FILLED" if order.executed == order.quantity else "PARTIALLY_FILLED"
        order.update_time = now
        trade_id = self._next_trade
        self._next_trade += 1
        decimals = instrument.pair.tick_decimals
        self.user_trades.append(
            {
                "symbol": instrument.symbol,
                "id": trade_id,
                "orderId": order.order_id,
                "pair": instrument.pair.name,
                "side": order.side,
                "price": f"{price:.{decimals}f}",
                "qty": str(qty),
                "realizedPnl": coin(realized),
                "marginAsset": asset,
                "baseQty": coin(qty * size / price),
                "commission": coin(fee),
                "commissionAsset": asset,
                "time": now,
                "positionSide": order.position_side,
                "buyer": order.side == "BUY",
                "maker": maker,
            }
        )
        if realized:
            self._income(instrument.symbol, "REALIZED_PNL", realized, asset, now, trade_id)
        self._income(instrument.symbol, "COMMISSION", -fee, asset, now, trade_id)
        self._notify(order, "TRADE", (qty, price, maker, fee, trade_id), now)

    def _income(
        self, symbol: str, kind: str, amount: Decimal, asset: str, now: int, trade: int | str
    ) -> None:
        self._next_tran += 1
        self.income.append(
            {
                "symbol": symbol,
                "incomeType": kind,
                "income": coin(amount),
                "asset": asset,
                "info": "",
                "time": now,
                "tranId": str(9_000_000_000 + self._next_tran),
                "tradeId": str(trade),
            }
        )

    def _close(self, order: Order, status: str, now: int) -> None:
        order.status = status
        order.update_time = now
        self._notify(order, status, None, now)

    def cancel(self, symbol: str, order_id: int | None, client_id: str | None, now: int) -> Order:
        order = self.find_order(symbol, order_id, client_id, code=-2011)
        if not order.is_open:
            raise SimError(-2011, _UNKNOWN_ORDER)
        self._close(order, "CANCELED", now)
        return order

    def cancel_all(self, symbol: str, now: int) -> None:
        self.instrument(symbol)
        for order in self.open_orders(symbol):
            self._close(order, "CANCELED", now)

    def modify(self, params: dict[str, Any], now: int) -> Order:
        """Change a LIMIT order's price and quantity.

        As Binance documents it: the order is canceled by the modification when it is
        partially filled and the new quantity <= ``executedQty``, or when it is GTX and
        the new price would take; otherwise it takes the new price and quantity, and a
        price that crosses the book takes at once, walking it (:meth:`_levels`). The
        account's user data: an ``ORDER_TRADE_UPDATE`` with ``x`` AMENDMENT (the new ``p``
        and ``q``, ``M`` the ``modifyId`` when one was sent), then the TRADE reports of
        what it took; a
        modification that cancels sends what a cancellation sends, a refused one nothing."""
        order = self.find_order(
            params["symbol"], params.get("orderId"), params.get("origClientOrderId")
        )
        if not order.is_open:
            raise SimError(-2013, "Order does not exist.")
        if order.type != "LIMIT":
            raise SimError(-4196, "Only limit order is supported.")
        if params["side"] != order.side:
            raise SimError(-1130, "Data sent for parameter 'side' is not valid.")
        quantity = self._quantity(params) if "quantity" in params else order.quantity
        price = (
            self._price(order.instrument, params, "LIMIT", order.side, now)
            if "price" in params
            else order.price
        )
        if quantity == order.quantity and price == order.price:
            raise SimError(-4197, "No need to modify the order.")
        decimals = order.instrument.pair.tick_decimals
        self.amendments.append(
            {
                "amendmentId": len(self.amendments) + 1,
                "symbol": order.instrument.symbol,
                "pair": order.instrument.pair.name,
                "orderId": order.order_id,
                "clientOrderId": order.client_id,
                "time": now,
                "amendment": {
                    "price": {
                        "before": f"{order.price:.{decimals}f}",
                        "after": f"{price:.{decimals}f}",
                    },
                    "origQty": {"before": str(order.quantity), "after": str(quantity)},
                    "count": sum(1 for a in self.amendments if a["orderId"] == order.order_id) + 1,
                },
            }
        )
        bid, ask = self.best_prices(order.instrument, now)
        takes = price >= ask if order.side == "BUY" else price <= bid
        order.update_time = now
        order.modify_id = params.get("modifyId")
        if quantity <= order.executed or (order.time_in_force == "GTX" and takes):
            self._close(order, "CANCELED", now)
            return order
        order.quantity, order.price = quantity, price
        reset_on_modify(order, now)
        self._notify(order, "AMENDMENT", None, now)
        if takes:
            ticks = _ticks(order.instrument, price)
            for at, qty in self._levels(order.instrument, order.side, ticks, order.remaining, now):
                self._fill(order, qty, at, maker=False, now=now)
        return order

    # --- account ----------------------------------------------------------------------

    def unrealized(self, position: Position, now: int) -> Decimal:
        if not position.amount:
            return Decimal(0)
        mark = Decimal(str(self.market.mark_price(position.instrument, now)))
        size = position.instrument.pair.contract_size
        return position.amount * size * (1 / position.entry - 1 / mark)

    def position_margin(self, position: Position, now: int) -> Decimal:
        if not position.amount:
            return Decimal(0)
        mark = Decimal(str(self.market.mark_price(position.instrument, now)))
        size = position.instrument.pair.contract_size
        return abs(position.amount) * size / mark / self.leverage(position.instrument.symbol)

    def order_margin(self, asset: str) -> Decimal:
        total = Decimal(0)
        for order in self.orders.values():
            if order.is_open and order.instrument.pair.base == asset and order.price:
                size = order.instrument.pair.contract_size
                lev = self.leverage(order.instrument.symbol)
                total += order.remaining * size / order.price / lev
        return total

    def asset_figures(self, asset: str, now: int | None = None) -> dict[str, Decimal]:
        wallet = self.account.balances[asset]
        positions = [
            p for p in self.positions.values() if p.instrument.pair.base == asset and p.amount
        ]
        at = now if now is not None else max([p.update_time for p in positions] or [0])
        unrealized = sum((self.unrealized(p, at) for p in positions), Decimal(0))
        position_margin = sum((self.position_margin(p, at) for p in positions), Decimal(0))
        order_margin = self.order_margin(asset)
        available = wallet + unrealized - position_margin - order_margin
        return {
            "wallet": wallet,
            "unrealized": unrealized,
            "position_margin": position_margin,
            "order_margin": order_margin,
            "available": available,
        }

    def available(self, asset: str, now: int | None = None) -> Decimal:
        return self.asset_figures(asset, now)["available"]

    def sides(self) -> tuple[str, ...]:
        return ("LONG", "SHORT") if self.account.dual_side else ("BOTH",)

    def set_leverage(self, symbol: str, leverage: int, now: int) -> dict[str, Any]:
        self.instrument(symbol)
        top = self.brackets(symbol, now)[0].initial_leverage
        if not 1 <= leverage <= min(MAX_LEVERAGE, top):
            raise SimError(-4028, f"Leverage {leverage} is not valid")
        self.account.leverage[symbol] = leverage
        cap = self.max_qty(symbol, leverage, now)
        return {"leverage": leverage, "maxQty": str(cap), "symbol": symbol}

    def brackets(self, symbol: str, now: int) -> tuple[Bracket, ...]:
        """``symbol``'s leverage brackets at ``now``: those a test set
        (:meth:`~aioca_binance_sim.BinanceSimulator.set_leverage_brackets`), else the
        market's :data:`~.leverage_brackets.COINM_BRACKETS`. REST's ``leverageBracket``
        answers these rows and the account's caps come from them: one table."""
        table = self.market.contracts.brackets(symbol, now)
        return COINM_BRACKETS if table is None else table

    def max_qty(self, symbol: str, leverage: int, now: int) -> Decimal:
        """The largest position at ``leverage``: the cap of the last of ``symbol``'s
        brackets (:meth:`brackets`) that still allows it."""
        return cap_at(self.brackets(symbol, now), leverage)

    def set_margin_type(self, symbol: str, margin_type: str) -> None:
        self.instrument(symbol)
        orders = self.open_orders(symbol)
        change_margin_type(self.account, self.positions, orders, symbol, margin_type)

    def set_dual_side(self, dual: bool) -> None:
        change_position_mode(self.account, self.positions.values(), self.open_orders(), dual)

    def modify_margin(
        self, symbol: str, amount: Decimal, kind: int, side: str | None, now: int
    ) -> dict[str, Any]:
        instrument = self.instrument(symbol)
        if kind not in (1, 2):
            raise SimError(-1130, "Data sent for parameter 'type' is not valid.")
        if amount <= 0:
            raise SimError(-4055, "Amount must be positive.")
        if symbol not in self.account.isolated:
            raise SimError(-4049, "Add margin only support for isolated position.")
        position = self.position(instrument, side or self.sides()[0])
        if not position.amount:
            raise SimError(-4054, "Cannot add position margin: position is 0.")
        asset = instrument.pair.base
        if kind == 1:
            if amount > self.available(asset, now):
                raise SimError(-4050, "Cross balance insufficient.")
            position.isolated_margin += amount
        else:
            if amount > position.isolated_margin:
                raise SimError(-4051, "Isolated balance insufficient.")
            position.isolated_margin -= amount
        self.margin_history.append(
            {
                "amount": coin(amount),
                "asset": asset,
                "symbol": symbol,
                "time": now,
                "type": kind,
                "positionSide": position.side,
            }
        )
        return {
            "amount": float(amount),
            "code": 200,
            "msg": "Successfully modify position margin.",
            "type": kind,
        }


def _ticks(instrument: Instrument, price: Decimal) -> int:
    """``price`` in ticks of ``instrument``'s price step."""
    return int(price.scaleb(instrument.pair.tick_decimals))


def round_down(value: Decimal) -> Decimal:
    return value.quantize(_EIGHT, rounding=ROUND_DOWN)

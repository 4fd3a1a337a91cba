"""The Spot paper account: balances (free and locked), orders matched against the
synthetic book, stop orders triggered by the simulated trades, order lists, history.

Checks run in Binance's order and answer its codes: the type's mandatory parameters
(-1102) and the ones it does not take (-1106), precision (-1111), the symbol's filters
(-1013 ``Filter failure: ...``), then the matching engine's refusals (-2010: duplicate
client id, a LIMIT_MAKER that would take, a stop that would trigger at once, a balance
too small).

Taker orders walk the book level by level (each level is one fill, as Binance reports
them in ``fills``) and remove what they take from it; resting orders fill later against
the public trades that reach their price (a trade through the price fills the rest, a
trade at the price fills up to its size), when a request next looks (:meth:`catch_up`).

The account's own resting orders sit in that book too: a taker that reaches one (at the
resting order's price, ahead of the synthetic liquidity there) meets self-trade
prevention, by the taker's ``selfTradePreventionMode`` as Binance's STP FAQ describes it:
EXPIRE_TAKER expires the taker's rest, EXPIRE_MAKER the resting order, EXPIRE_BOTH both
(status ``EXPIRED_IN_MATCH``, execution ``TRADE_PREVENTION``); DECREMENT takes the smaller
of the two quantities off both (``preventedQuantity``) and expires the one left with
nothing; NONE lets the two trade (a self-trade, a fill on each side); TRANSFER acts as
DECREMENT between orders of one account (the FAQ says so). Each prevented match is
recorded for ``GET /api/v3/myPreventedMatches`` (``tradeGroupId`` -1: the account is in
no trade group), and the taker's placement answer lists them (``preventedMatches``).
"""

from __future__ import annotations

import secrets
import string
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from ..errors import SimError, bad_symbol, mandatory_missing
from ..market import book_step
from .orders import LIMIT_PRICED, STOP_TYPES, Fill, Order, OrderList
from .symbols import (
    EXCHANGE_MAX_NUM_ORDERS,
    MAX_NUM_ALGO_ORDERS,
    MAX_NUM_ORDER_LISTS,
    MAX_NUM_ORDERS,
    SpotSymbol,
    filter_failure,
)
from .tape import BOOK_DEPTH, TRADE_MS, Tape

__all__ = [
    "COMMISSION",
    "FILL_CREDIT_DELAY_MS",
    "INITIAL_BALANCES",
    "SpotEngine",
    "new_client_id",
    "rejected",
]

COMMISSION = Decimal("0.001")
"""Maker and taker commission (10 basis points, Binance's standard Spot rate)."""
INITIAL_BALANCES: dict[str, Decimal] = {
    "BTC": Decimal("1"),
    "ETH": Decimal("10"),
    "BNB": Decimal("20"),
    "SOL": Decimal("100"),
    "XRP": Decimal("10000"),
    "USDT": Decimal("100000"),
    "USDC": Decimal("50000"),
    "FDUSD": Decimal("0"),
}
"""The demo wallet (FDUSD listed empty, as Binance lists an asset once held)."""
FILL_CREDIT_DELAY_MS = 1000
"""An order's first fill takes it off the unfilled order count this long after the fill
(Binance: "a short delay between the order being filled and the unfilled order count
update")."""
_EIGHT = Decimal("0.00000001")
_ALPHABET = string.ascii_letters + string.digits
_MAX_SCAN_TRADES = 8640  # one day of public trades
_REQUIRED: dict[str, tuple[str, ...]] = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "MARKET": (),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "LIMIT_MAKER": ("quantity", "price"),
}
_NOT_TAKEN: dict[str, tuple[str, ...]] = {
    "LIMIT": ("stopPrice", "quoteOrderQty", "trailingDelta"),
    "MARKET": ("price", "timeInForce", "stopPrice", "icebergQty", "trailingDelta"),
    "STOP_LOSS": ("price", "timeInForce", "quoteOrderQty", "icebergQty"),
    "STOP_LOSS_LIMIT": ("quoteOrderQty",),
    "TAKE_PROFIT": ("price", "timeInForce", "quoteOrderQty", "icebergQty"),
    "TAKE_PROFIT_LIMIT": ("quoteOrderQty",),
    "LIMIT_MAKER": ("timeInForce", "stopPrice", "quoteOrderQty", "trailingDelta"),
}
_DECIMALS = ("quantity", "quoteOrderQty", "price", "stopPrice", "icebergQty")
_MARKET_KINDS = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})


def rejected(message: str) -> SimError:
    """A refusal by the matching engine (-2010 NEW_ORDER_REJECTED)."""
    return SimError(-2010, message)


def new_client_id() -> str:
    """A client order id as Binance generates them (22 letters and digits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


def _q(value: Decimal) -> Decimal:
    return value.quantize(_EIGHT)


class SpotEngine:
    """The account, its orders, order lists and trades."""

    def __init__(self, tape: Tape, symbols: dict[str, SpotSymbol], funded_ms: int) -> None:
        self.tape = tape
        self.symbols = symbols
        self.free: dict[str, Decimal] = dict(INITIAL_BALANCES)
        self.locked: dict[str, Decimal] = dict.fromkeys(INITIAL_BALANCES, Decimal(0))
        self.update_time = funded_ms
        self.orders: dict[int, Order] = {}
        self.lists: dict[int, OrderList] = {}
        self.trades: list[dict[str, Any]] = []
        self.amendments: list[dict[str, Any]] = []
        self.order_events: deque[tuple[int, int]] = deque()
        """``(time ms, change)`` of the unfilled order count over the last day: +n when
        orders are placed, -1 when an order is first filled (Binance's Spot rule), the
        fill counting :data:`FILL_CREDIT_DELAY_MS` later, as Binance's short delay."""
        self._uncredited: deque[int] = deque()
        """When orders got their first fill, until the server's ORDERS windows are told."""
        self.listeners: list[Callable[[Order, str, Fill | None, int], None]] = []
        """Told of every order event: ``(order, execution type, fill or None, time)``."""
        self.list_listeners: list[Callable[[OrderList, int, str], None]] = []
        """Told ``(order list, time, listStatusType)`` once per action that placed,
        changed or ended an order list (its placement, a leg's fill, expiry or
        cancellation, and what that set off; an amendment that changed a leg's client id),
        after the events of that action's orders: the type is the list's own
        (``EXEC_STARTED``, ``ALL_DONE``), or ``UPDATED`` for that amendment."""
        self.balance_listeners: list[Callable[[str, Decimal, int], None]] = []
        """Told ``(asset, delta, time)`` of every deposit or withdrawal (:meth:`fund`)."""
        self.external_locks: dict[str, Decimal] = {}
        """What something outside Spot trading holds of each asset (:meth:`lock_externally`):
        part of ``locked``, never released by an order."""
        self.lock_listeners: list[Callable[[str, Decimal, int], None]] = []
        """Told ``(asset, delta, time)`` of every external lock (> 0) or unlock (< 0)."""
        self.account_listeners: list[Callable[[tuple[str, ...], int], None]] = []
        """Told ``(assets, time)`` once per action that changed balances: the assets
        whose free or locked amount it changed (in the order it first moved them), after
        the events of that action's orders and before its lists' (Binance sends
        ``outboundAccountPosition`` "any time an account balance has changed", with "the
        assets that were possibly changed by the event"); not told when nothing changed."""
        self._action_depth = 0
        self._before: dict[str, tuple[Decimal, Decimal]] = {}
        """Each asset the current action moved, as it was before the action."""
        self._touched_lists: dict[int, OrderList] = {}
        self._updated_lists: set[int] = set()
        """The lists of the current action whose ``listStatus`` says ``UPDATED`` (a leg's
        client id changed by an amendment)."""
        self.prevented: list[dict[str, Any]] = []
        """The prevented matches, as ``GET /api/v3/myPreventedMatches`` lists them."""
        self._prevented_ids: dict[str, int] = {}
        """The next ``preventedMatchId`` of each symbol."""
        self._next_order = 0
        self._next_list = -1
        self._next_trade: dict[str, int] = {}
        self._next_execution = 0

    # --- lookups ----------------------------------------------------------------------

    def spec(self, symbol: str) -> SpotSymbol:
        found = self.symbols.get(symbol)
        if found is None:
            raise bad_symbol()
        return found

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return [
            order
            for order in self.orders.values()
            if order.is_open and (symbol is None or order.symbol == symbol)
        ]

    def find(self, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        self.spec(symbol)
        if order_id is not None:
            order = self.orders.get(order_id)
            return order if order is not None and order.symbol == symbol else None
        matches = [
            o for o in self.orders.values() if o.client_id == client_id and o.symbol == symbol
        ]
        return max(matches, key=lambda o: o.order_id) if matches else None

    def count_order(self, now: int, count: int = 1) -> None:
        self.order_events.append((now, count))
        while self.order_events and self.order_events[0][0] <= now - 86_400_000:
            self.order_events.popleft()

    def order_count(self, now: int, window_ms: int) -> int:
        """The unfilled order count of the current ``window_ms`` interval (intervals are
        aligned to the epoch, a day to 00:00 UTC): never below zero, as Binance keeps it."""
        self.count_order(now, 0)
        start = now // window_ms * window_ms
        count = 0
        for _, change in sorted(e for e in self.order_events if start <= e[0] <= now):
            count = max(0, count + change)
        return count

    def take_credits(self, now: int) -> int:
        """How many first fills the server's ORDERS windows are now owed (each once)."""
        count = 0
        while self._uncredited and self._uncredited[0] <= now - FILL_CREDIT_DELAY_MS:
            self._uncredited.popleft()
            count += 1
        return count

    # --- balances ---------------------------------------------------------------------

    def _move(self, asset: str, free: Decimal = Decimal(0), locked: Decimal = Decimal(0)) -> None:
        """Change ``asset``'s balances, inside an action (:meth:`_action`), which
        reports the change when it ends."""
        if asset not in self._before:
            self._before[asset] = self._balance(asset)
        self.free[asset] = self.free.get(asset, Decimal(0)) + free
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + locked

    def _balance(self, asset: str) -> tuple[Decimal, Decimal]:
        return self.free.get(asset, Decimal(0)), self.locked.get(asset, Decimal(0))

    def fund(self, asset: str, delta: Decimal, now: int) -> None:
        """A deposit (``delta`` > 0) or withdrawal (< 0) of ``asset``: the free balance
        changes by ``delta`` and the ``balance_listeners`` are told. A withdrawal takes
        only what is free (a ``ValueError`` says so, and nothing changes)."""
        free = self.free.get(asset, Decimal(0))
        if free + delta < 0:
            raise ValueError(f"cannot withdraw {-delta} {asset}: only {free} is free")
        with self._action(now):
            self._move(asset, delta)
            self.update_time = now
            for listener in self.balance_listeners:
                listener(asset, delta, now)

    def lock_externally(self, asset: str, delta: Decimal, now: int) -> None:
        """Something outside Spot trading (Binance: another product using the balance, as
        collateral for one) locks ``delta`` of ``asset`` (> 0: free to locked) or unlocks
        it (< 0: back to free); the ``lock_listeners`` are told. It locks only what is
        free and unlocks only what it locked (a ``ValueError`` says so, and nothing
        changes)."""
        free = self.free.get(asset, Decimal(0))
        held = self.external_locks.get(asset, Decimal(0))
        if delta > free:
            raise ValueError(f"cannot lock {delta} {asset}: only {free} is free")
        if -delta > held:
            raise ValueError(f"cannot unlock {-delta} {asset}: only {held} is locked externally")
        with self._action(now):
            self._move(asset, -delta, delta)
            self.external_locks[asset] = held + delta
            self.update_time = now
            for listener in self.lock_listeners:
                listener(asset, delta, now)

    def _lock(self, order: Order, amount: Decimal, now: int) -> None:
        asset = order.spec.quote if order.side == "BUY" else order.spec.base
        if amount > self.free.get(asset, Decimal(0)):
            raise rejected("Account has insufficient balance for requested action.")
        self._move(asset, -amount, amount)
        order.locked += amount
        self.update_time = now

    def _release(self, order: Order, now: int) -> None:
        if order.locked:
            self._give_back(order, order.locked, now)

    def _give_back(self, order: Order, amount: Decimal, now: int) -> None:
        """Return ``amount`` of ``order``'s hold to the account's free balance."""
        asset = order.spec.quote if order.side == "BUY" else order.spec.base
        self._move(asset, amount, -amount)
        order.locked -= amount
        self.update_time = now

    def _lock_amount(self, order: Order, qty: Decimal) -> Decimal:
        """What a resting order of ``qty`` holds: quote at its price for a buy (a stop
        buy at market holds nothing: its cost is known when it triggers), base for a sell."""
        if order.side == "SELL":
            return qty
        if order.type in LIMIT_PRICED:
            return _q(order.price * qty)
        return Decimal(0)

    # --- placing ----------------------------------------------------------------------

    def check(self, params: dict[str, Any], now: int, *, in_list: bool = False) -> SpotSymbol:
        """Every check of a new order that does not need the book (also ``order/test``)."""
        spec = self.spec(params["symbol"])
        kind = params["type"]
        for name in _REQUIRED[kind]:
            if name == "stopPrice" and "trailingDelta" in params:
                continue  # a trailing stop's stopPrice is optional (its activation price)
            if name == "price" and "pegPriceType" in params:
                continue  # "If pegPriceType is specified, price becomes optional"
            if name not in params:
                if name == "stopPrice":
                    raise SimError(
                        -1102,
                        "Param 'stopPrice' or 'trailingDelta' must be sent, but both were "
                        "empty/null!",
                    )
                raise mandatory_missing(name)
        for name in _NOT_TAKEN[kind]:
            if name in params:
                raise SimError(-1106, f"Parameter '{name}' sent when not required.")
        for name in _DECIMALS:
            value = params.get(name)
            if value is not None and value.as_tuple().exponent < -8:
                raise SimError(-1111, f"Parameter '{name}' has too much precision.")
        if kind == "MARKET":
            if "quantity" not in params and "quoteOrderQty" not in params:
                raise SimError(
                    -1102,
                    "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                )
            if "quantity" in params and "quoteOrderQty" in params:
                raise SimError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if "trailingDelta" in params:
            spec.check_trailing_delta(params["side"], kind, params["trailingDelta"])
        pegged = self._check_peg(params, spec, kind, now)
        iceberg = params.get("icebergQty")
        if iceberg is not None and params.get("timeInForce", "GTC") != "GTC":
            raise rejected("Unsupported order combination")
        if "price" in params:
            spec.check_price(params["price"])
        if "stopPrice" in params:
            spec.check_price(params["stopPrice"])
        quantity = params.get("quantity")
        if quantity is not None:
            spec.check_quantity(quantity, market=kind in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"))
        if iceberg is not None and quantity is not None:
            if iceberg >= quantity:
                raise rejected("IcebergQty exceeds QTY.")
            if -(-quantity // iceberg) > 100:
                raise filter_failure("ICEBERG_PARTS")
            if iceberg % spec.step:
                raise filter_failure("LOT_SIZE")
        average = self.tape.avg_price(spec, now)
        for price in (params.get("price"), pegged):  # a pegged order passes at both
            if price is not None:
                spec.check_percent_price(params["side"], price, average)
                if quantity is not None:
                    spec.check_notional(price * quantity)
        if "price" not in params and pegged is None:
            if "quoteOrderQty" in params:
                spec.check_notional(params["quoteOrderQty"], market=True)
            elif quantity is not None:
                reference = params.get("stopPrice", average)
                spec.check_notional(reference * quantity, market=True)
        if not in_list:
            self._check_counts(spec, [kind])
        return spec

    def _check_peg(
        self, params: dict[str, Any], spec: SpotSymbol, kind: str, now: int
    ) -> Decimal | None:
        """A pegged order's checks (Binance's pegged orders FAQ) and its price now (None
        for a stop-limit order, pegged when it triggers). MARKET, STOP_LOSS and
        TAKE_PROFIT cannot be pegged, a pegged LIMIT_MAKER only to its own side, a LIMIT
        pegged to its own side only GTC: -1014 "Unsupported order combination." (chosen:
        Binance's code for an order combination it does not support)."""
        peg = params.get("pegPriceType")
        offset_type, offset = params.get("pegOffsetType"), params.get("pegOffsetValue")
        if offset_type is not None and offset is None:
            raise mandatory_missing("pegOffsetValue")
        if offset is not None and offset_type is None:
            raise mandatory_missing("pegOffsetType")
        if peg is None:
            if offset is not None:
                raise mandatory_missing("pegPriceType")
            return None
        unsupported = SimError(-1014, "Unsupported order combination.")
        if kind in _MARKET_KINDS:
            raise unsupported
        if kind == "LIMIT_MAKER" and peg != "PRIMARY_PEG":
            raise unsupported
        if kind == "LIMIT" and peg == "PRIMARY_PEG" and params.get("timeInForce") != "GTC":
            raise unsupported
        if kind in STOP_TYPES:
            return None
        return self.peg_price(spec, params["side"], peg, offset or 0, now)

    def peg_price(self, spec: SpotSymbol, side: str, peg: str, offset: int, now: int) -> Decimal:
        """The best price of the order's own side (PRIMARY_PEG) or of the other side
        (MARKET_PEG), ``offset`` existing levels deeper into the book."""
        bids, asks = self.tape.book_levels(spec, now, offset + 1)
        own_side = bids if side == "BUY" else asks
        levels = own_side if peg == "PRIMARY_PEG" else (asks if side == "BUY" else bids)
        if len(levels) <= offset:
            raise SimError(-1112, "No orders on book for symbol.")
        return spec.tick * levels[offset][0]

    def _check_counts(self, spec: SpotSymbol, kinds: list[str]) -> None:
        open_orders = self.open_orders()
        on_symbol = [o for o in open_orders if o.symbol == spec.symbol]
        if len(on_symbol) + len(kinds) > MAX_NUM_ORDERS:
            raise filter_failure("MAX_NUM_ORDERS")
        algos = sum(1 for kind in kinds if kind in STOP_TYPES)
        if algos and sum(1 for o in on_symbol if o.is_algo) + algos > MAX_NUM_ALGO_ORDERS:
            raise filter_failure("MAX_NUM_ALGO_ORDERS")
        if len(open_orders) + len(kinds) > EXCHANGE_MAX_NUM_ORDERS:
            raise filter_failure("EXCHANGE_MAX_NUM_ORDERS")

    def _check_client_id(self, client_id: str, own: Order | None = None) -> None:
        """Refuse a client id an open order has; ``own`` (an amended order) may keep its
        own ("It is possible to reuse the current clientOrderId")."""
        if any(o.client_id == client_id and o is not own for o in self.open_orders()):
            raise rejected("Duplicate order sent.")

    def _triggers(self, side: str, kind: str, stop_ticks: int, price_ticks: int) -> bool:
        """Whether a stop order triggers at a last price of ``price_ticks``: a stop loss
        when the price moves against the position (up for a buy), a take profit when it
        moves in favour."""
        rising = (kind.startswith("STOP_LOSS")) == (side == "BUY")
        return price_ticks >= stop_ticks if rising else price_ticks <= stop_ticks

    def _make(self, params: dict[str, Any], spec: SpotSymbol, now: int) -> Order:
        self._next_order += 1
        kind = params["type"]
        default_tif = "GTC"
        price = params.get("price", Decimal(0))
        peg = params.get("pegPriceType")
        if peg is not None:
            price = Decimal(0)
            if kind not in STOP_TYPES:
                offset = params.get("pegOffsetValue", 0)
                price = self.peg_price(spec, params["side"], peg, offset, now)
        return Order(
            self._next_order,
            spec,
            params.get("newClientOrderId") or new_client_id(),
            params["side"],
            kind,
            params.get("timeInForce", default_tif),
            price,
            params.get("quantity", Decimal(0)),
            now,
            peg_price_type=peg,
            peg_offset_type=params.get("pegOffsetType"),
            peg_offset_value=params.get("pegOffsetValue"),
            sent_price=params.get("price", Decimal(0)),
            quote_order_qty=params.get("quoteOrderQty", Decimal(0)),
            stop_price=params.get("stopPrice", Decimal(0)),
            iceberg_qty=params.get("icebergQty", Decimal(0)),
            stp_mode=params.get("selfTradePreventionMode", "EXPIRE_MAKER"),
            strategy_id=params.get("strategyId"),
            strategy_type=params.get("strategyType"),
            trailing_delta=params.get("trailingDelta"),
            update_time=now,
            working_time=-1 if kind in STOP_TYPES else now,  # a stop works once triggered
            checked_ms=now,
        )

    def place(self, params: dict[str, Any], now: int, *, sor: bool = False) -> Order:
        """Check and place one order; its ``fills`` are those of this placement."""
        self.catch_up(now)
        spec = self.check(params, now)
        if "newClientOrderId" in params:
            self._check_client_id(params["newClientOrderId"])
        order = self._make(params, spec, now)
        order.sor = sor
        self._vet(order, now)
        self.count_order(now)
        with self._action(now):
            self._open(order, now)
        return order

    def _vet(self, order: Order, now: int) -> None:
        """The matching engine's refusals that depend on the market and the account."""
        spec = order.spec
        bid, ask = self.tape.best(spec, now)
        last = self.tape.last_trade(spec, now).ticks
        stop = spec.to_ticks(order.stop_price)
        if (
            order.type in STOP_TYPES
            and order.stop_price
            and self._triggers(order.side, order.type, stop, last)
        ):
            raise rejected("Order would trigger immediately.")
        if order.type == "LIMIT_MAKER":
            ticks = spec.to_ticks(order.price)
            if (order.side == "BUY" and ticks >= ask) or (order.side == "SELL" and ticks <= bid):
                raise rejected("Order would immediately match and take.")
        if order.type == "MARKET":
            levels = self._walk(order, now)
            if order.side == "BUY":
                cost = sum((spec.tick * t * spec.step * s for t, s in levels), Decimal(0))
                if _q(cost) > self.free.get(spec.quote, Decimal(0)):
                    raise rejected("Account has insufficient balance for requested action.")
            else:
                qty = sum((spec.step * s for _, s in levels), Decimal(0))
                if qty > self.free.get(spec.base, Decimal(0)):
                    raise rejected("Account has insufficient balance for requested action.")
        else:
            need = self._lock_amount(order, order.orig_qty)
            asset = spec.quote if order.side == "BUY" else spec.base
            if need > self.free.get(asset, Decimal(0)):
                raise rejected("Account has insufficient balance for requested action.")

    def _open(self, order: Order, now: int) -> None:
        """Put a checked order to work: take what it can, rest or expire the rest."""
        self.orders[order.order_id] = order
        self._hold(order, now)
        self._notify(order, "NEW", None, now)
        self._start(order, now)

    def _hold(self, order: Order, now: int) -> None:
        """Hold what a new order needs (a market order pays as it fills), before its NEW
        report: the account position sent with that report then shows the hold, as
        REST's account does at that moment."""
        if order.type in STOP_TYPES and not order.triggered:
            order.working_time = -1
        if order.type != "MARKET":
            self._lock(order, self._initial_lock(order), now)

    def _start(self, order: Order, now: int) -> None:
        """A held and announced order meets the market: a stop waits for its trigger
        (a trailing one without a stop price tracks from now), any other order works
        (:meth:`_work`)."""
        if order.type in STOP_TYPES and not order.triggered:
            if order.trailing_delta is not None and not order.stop_price:
                self._track(order, self.tape.last_trade(order.spec, now).ticks, now)
            return
        self._work(order, now)

    def _initial_lock(self, order: Order) -> Decimal:
        """What a new order holds; the legs of a one-cancels-the-other pair share one
        hold (the larger of theirs), kept by the first leg."""
        if not order.siblings:
            return self._lock_amount(order, order.orig_qty)
        group = [order, *order.siblings]
        if min(o.order_id for o in group) != order.order_id:
            return Decimal(0)
        return max(self._lock_amount(o, o.orig_qty) for o in group)

    def _work(self, order: Order, now: int) -> None:
        """A working order meets the book: market orders and marketable limit orders take
        from it (FOK only when it can fill entirely), then the rest rests or expires."""
        market = order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT")
        if order.type == "LIMIT_MAKER":
            return
        levels = self._walk(order, now)
        if market and order.side == "BUY" and order.type != "MARKET":
            cost = sum((order.spec.tick * t * order.spec.step * s for t, s in levels), Decimal(0))
            if _q(cost) > self.free.get(order.spec.quote, Decimal(0)):
                self._finish(order, "EXPIRED", now)
                return
        filled = sum((order.spec.step * s for _, s in levels), Decimal(0))
        if order.time_in_force == "FOK" and not market and filled < order.remaining:
            self._finish(order, "EXPIRED", now)
            return
        if self._meet_own(order, now):
            levels = self._walk(order, now) if order.is_open else []
        self._take(order, levels, now)
        if not order.is_open:
            return
        if market:
            if order.quote_order_qty:
                order.orig_qty = order.executed + order.prevented_qty
            self._finish(order, "FILLED" if order.remaining <= 0 else "EXPIRED", now)
        elif order.time_in_force == "IOC":
            self._finish(order, "EXPIRED", now)

    def _walk(self, order: Order, now: int, before: int | None = None) -> list[tuple[int, int]]:
        """The book levels ``order`` would take now, as ``(ticks, steps)`` (``before``:
        only the levels better than this price, for a buy below it, for a sell above)."""
        spec, tape = order.spec, self.tape
        step = book_step(now)
        bid, ask = tape.best(spec, now)
        buying = order.side == "BUY"
        limit = None
        if order.type not in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
            limit = spec.to_ticks(order.price)
        budget = (
            order.quote_order_qty - order.cum_quote - order.prevented_quote
            if order.quote_order_qty
            else None
        )
        wanted = None if budget is not None else spec.to_steps(order.remaining)
        levels: list[tuple[int, int]] = []
        ticks = ask if buying else bid
        for _ in range(BOOK_DEPTH):
            if ticks <= 0 or (limit is not None and (ticks > limit if buying else ticks < limit)):
                break
            if before is not None and (ticks >= before if buying else ticks <= before):
                break
            available = tape.level_steps(spec, ticks, step)
            if budget is not None:
                unit_cost = spec.tick * ticks * spec.step
                take = min(available, int(budget / unit_cost))
                budget -= unit_cost * take
            else:
                assert wanted is not None
                take = min(available, wanted)
                wanted -= take
            if take:
                levels.append((ticks, take))
            if (budget is not None and take < available) or wanted == 0:
                break
            ticks += 1 if buying else -1
        return levels

    def _take(self, order: Order, levels: list[tuple[int, int]], now: int) -> None:
        step = book_step(now)
        for ticks, steps in levels:
            self.tape.take(order.spec, ticks, step, steps)
            self._fill(order, order.spec.tick * ticks, order.spec.step * steps, False, now)

    # --- executions -------------------------------------------------------------------

    def _fill(self, order: Order, price: Decimal, qty: Decimal, maker: bool, now: int) -> None:
        spec = order.spec
        cost = _q(price * qty)
        if order.side == "BUY":
            release = min(order.locked, _q(order.price * qty)) if order.locked else Decimal(0)
            order.locked -= release
            self._move(spec.quote, release - cost, -release)
            commission = _q(qty * COMMISSION)
            self._move(spec.base, qty - commission)
            asset = spec.base
        else:
            release = min(order.locked, qty)
            order.locked -= release
            self._move(spec.base, release - qty, -release)
            commission = _q(cost * COMMISSION)
            self._move(spec.quote, cost - commission)
            asset = spec.quote
        if not order.executed:  # its first fill: off the unfilled order count
            self._uncredited.append(now)
            self.order_events.append((now + FILL_CREDIT_DELAY_MS, -1))
        trade_id = self._next_trade.get(spec.symbol, 0) + 1
        self._next_trade[spec.symbol] = trade_id
        fill = Fill(trade_id, price, qty, commission, asset, maker, now)
        order.fills.append(fill)
        order.executed += qty
        order.cum_quote += cost
        order.update_time = now
        self.update_time = now
        self.trades.append(
            {
                "symbol": spec.symbol,
                "id": trade_id,
                "orderId": order.order_id,
                "orderListId": order.list_id,
                "price": f"{price:.8f}",
                "qty": f"{qty:.8f}",
                "quoteQty": f"{cost:.8f}",
                "commission": f"{commission:.8f}",
                "commissionAsset": asset,
                "time": now,
                "isBuyer": order.side == "BUY",
                "isMaker": maker,
                "isBestMatch": True,
            }
        )
        if order.remaining <= 0 and not order.quote_order_qty:
            order.status = "FILLED"
            self._release(order, now)
        else:
            order.status = "PARTIALLY_FILLED"
        self._notify(order, "TRADE", fill, now)
        self._list_event(order, now)

    def _finish(self, order: Order, status: str, now: int) -> None:
        """End an order (CANCELED, EXPIRED...) and give back what it held."""
        if order.status == "FILLED" or not order.is_open:
            return
        order.status = status
        order.update_time = now
        self._release(order, now)
        execution = "TRADE_PREVENTION" if status == "EXPIRED_IN_MATCH" else status
        self._notify(order, execution, None, now)
        self._list_event(order, now)

    def _notify(self, order: Order, execution: str, fill: Fill | None, now: int) -> None:
        for listener in self.listeners:
            listener(order, execution, fill, now)

    # --- self-trade prevention --------------------------------------------------------

    def _own_makers(self, order: Order) -> list[Order]:
        """The account's resting orders ``order`` would trade with, in the book's
        priority: best price first, then the oldest."""
        buying = order.side == "BUY"
        limit = None if order.type in _MARKET_KINDS else order.price
        found = [
            other
            for other in self.open_orders(order.symbol)
            if other is not order
            and other.side != order.side
            and other.status != "PENDING_NEW"
            and other.is_working
            and other.type in LIMIT_PRICED
            and (limit is None or (other.price <= limit if buying else other.price >= limit))
        ]
        found.sort(key=lambda other: (other.price if buying else -other.price, other.order_id))
        return found

    def _meet_own(self, order: Order, now: int) -> bool:
        """Take the book down to each of the account's own resting orders ``order``
        reaches, and let self-trade prevention act there; whether any was reached."""
        makers = self._own_makers(order)
        for maker in makers:
            if not order.is_open or not maker.is_open:
                continue
            ahead = self._walk(order, now, before=order.spec.to_ticks(maker.price))
            self._take(order, ahead, now)
            if not order.is_open or self._taker_qty(order, maker.price) <= 0:
                break
            self._prevent(order, maker, now)
        return bool(makers)

    def _taker_qty(self, order: Order, price: Decimal) -> Decimal:
        """What the taker can still trade at ``price`` (by quantity, or by what is left of
        its quote budget, in whole steps)."""
        if not order.quote_order_qty:
            return order.remaining
        step = order.spec.step
        left = order.quote_order_qty - order.cum_quote - order.prevented_quote
        return Decimal(int(left / (price * step))) * step

    def _prevent(self, taker: Order, maker: Order, now: int) -> None:
        """One prevented match (Binance's STP FAQ): its id counts per symbol from 0, and
        ``takerPreventedQuantity`` / ``makerPreventedQuantity`` say what the prevention
        took off each order it acted on (all that was left for an EXPIRE mode, the match
        for DECREMENT)."""
        mode = taker.stp_mode
        match = min(self._taker_qty(taker, maker.price), maker.remaining)
        if mode == "NONE":  # no prevention: the account trades with itself
            self._fill(maker, maker.price, match, True, now)
            self._fill(taker, maker.price, match, False, now)
            return
        match_id = self._prevented_ids.get(taker.symbol, 0)
        self._prevented_ids[taker.symbol] = match_id + 1
        taken: dict[str, Decimal] = {}
        if mode in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
            taken["makerPreventedQuantity"] = maker.remaining
            self._expire_in_match(maker, maker.remaining, match_id, now)
        if mode in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
            taken["takerPreventedQuantity"] = self._taker_qty(taker, maker.price)
            self._expire_in_match(taker, taken["takerPreventedQuantity"], match_id, now)
        if mode in ("DECREMENT", "TRANSFER"):  # TRANSFER within one account: DECREMENT
            taken = {"takerPreventedQuantity": match, "makerPreventedQuantity": match}
            for order in (maker, taker):
                self._decrement(order, match, maker.price, match_id, now)
        quantities: dict[str, str] = {
            name: f"{taken[name]:.8f}"
            for name in ("takerPreventedQuantity", "makerPreventedQuantity")
            if name in taken
        }
        taker.prevented_matches.append(
            {
                "preventedMatchId": match_id,
                "makerOrderId": maker.order_id,
                "price": f"{maker.price:.8f}",
                **quantities,
            }
        )
        self.prevented.append(
            {
                "symbol": taker.symbol,
                "preventedMatchId": match_id,
                "takerOrderId": taker.order_id,
                "makerSymbol": maker.symbol,
                "makerOrderId": maker.order_id,
                "tradeGroupId": -1,
                "selfTradePreventionMode": mode,
                "price": f"{maker.price:.8f}",
                **quantities,
                "transactTime": now,
            }
        )

    def _expire_in_match(self, order: Order, qty: Decimal, match_id: int, now: int) -> None:
        order.prevented_qty += qty
        order.prevented_match_id = match_id
        if order.quote_order_qty:  # a quote-budget order's quantity is what it came to
            order.orig_qty = order.executed + order.prevented_qty
        self._finish(order, "EXPIRED_IN_MATCH", now)

    def _decrement(
        self, order: Order, qty: Decimal, price: Decimal, match_id: int, now: int
    ) -> None:
        order.prevented_qty += qty
        order.prevented_match_id = match_id
        order.update_time = now
        if order.quote_order_qty:
            order.prevented_quote += _q(qty * price)
        release = min(order.locked, self._lock_amount(order, qty))
        if release:
            order.locked -= release
            asset = order.spec.quote if order.side == "BUY" else order.spec.base
            self._move(asset, release, -release)
        left = self._taker_qty(order, price) if order.quote_order_qty else order.remaining
        if left <= 0:
            if order.quote_order_qty:
                order.orig_qty = order.executed + order.prevented_qty + order.prevented_qty
            self._finish(order, "EXPIRED_IN_MATCH", now)
        else:
            self._notify(order, "TRADE_PREVENTION", None, now)

    # --- time passing -----------------------------------------------------------------

    def catch_up(self, now: int) -> None:
        """Match resting orders against the public trades since the last look, trigger
        the stops those trades reached, and activate the order lists' next orders."""
        for _ in range(4):  # a trigger can activate list orders that can fill in turn
            changed = False
            for order in sorted(self.open_orders(), key=lambda o: o.order_id):
                if order.status != "PENDING_NEW" and order.checked_ms < now:
                    changed |= self._scan(order, now)
            if not changed:
                break

    def _scan(self, order: Order, now: int) -> bool:
        spec = order.spec
        first = order.checked_ms // TRADE_MS + 1
        last = now // TRADE_MS
        order.checked_ms = now
        if last < first:
            return False
        first = max(first, last - _MAX_SCAN_TRADES)
        stop = spec.to_ticks(order.stop_price)
        limit = spec.to_ticks(order.price)
        changed = False
        for trade in self.tape.trades_range(spec, first, last):
            if not order.is_open:
                break
            if order.type in STOP_TYPES and not order.triggered:
                if order.trailing_delta is not None:
                    if self._trail(order, stop, trade.ticks, trade.time):
                        self._trigger(order, trade.time)
                        changed = True
                elif self._triggers(order.side, order.type, stop, trade.ticks):
                    self._trigger(order, trade.time)
                    changed = True
                continue
            if order.type in ("MARKET", "STOP_LOSS", "TAKE_PROFIT"):
                continue
            through = trade.ticks < limit if order.side == "BUY" else trade.ticks > limit
            if through or trade.ticks == limit:  # each public trade: one action
                qty = order.remaining
                if not through:
                    qty = min(qty, spec.step * trade.steps, self._visible(order))
                with self._action(trade.time):
                    self._fill(order, order.price, qty, True, trade.time)
                changed = True
        return changed

    def _track(self, order: Order, ticks: int, when: int) -> None:
        """A trailing stop starts tracking the price from a trade at ``ticks``."""
        order.trailing_time = when
        order.extreme = ticks

    def _trail(self, order: Order, stop: int, ticks: int, when: int) -> bool:
        """One public trade for a trailing stop (Binance's trailing stop FAQ): before it
        tracks, a trade meeting its stopPrice condition starts the tracking; while it
        tracks, a sell follows the highest trade and triggers on a fall of
        ``trailingDelta`` BIPS from it, a buy the lowest and triggers on such a rise."""
        if order.trailing_time == -1:
            if self._triggers(order.side, order.type, stop, ticks):
                self._track(order, ticks, when)
            return False
        delta = Decimal(order.trailing_delta or 0) / 10_000
        if order.side == "SELL":
            order.extreme = max(order.extreme, ticks)
            return ticks <= order.extreme * (1 - delta)
        order.extreme = min(order.extreme, ticks)
        return ticks >= order.extreme * (1 + delta)

    def _visible(self, order: Order) -> Decimal:
        """What of a resting order a trade at its price can fill: all of it, or for an
        iceberg what is left of the tranche on display (``icebergQty`` at a time, the
        next shown once it is filled, as Binance's ICEBERG orders work); a trade through
        the price fills the hidden part too."""
        if not order.iceberg_qty:
            return order.remaining
        return order.iceberg_qty - (order.executed % order.iceberg_qty)

    def _trigger(self, order: Order, when: int) -> None:
        with self._action(when):  # its siblings' expiry and its fills: one action
            self._trigger_now(order, when)

    def _trigger_now(self, order: Order, when: int) -> None:
        order.triggered = True
        order.working_time = when
        order.update_time = when
        for sibling in order.siblings:
            self._finish(sibling, "EXPIRED", when)
        if order.peg_price_type is not None:  # priced from the book as it triggers
            try:
                price = self.peg_price(
                    order.spec, order.side, order.peg_price_type, order.peg_offset_value or 0, when
                )
                order.spec.check_notional(price * order.remaining)
            except SimError:
                self._finish(order, "EXPIRED", when)
                return
            if order.locked:  # what it held at its sent price, held again at the new one
                asset = order.spec.quote if order.side == "BUY" else order.spec.base
                self._move(asset, order.locked, -order.locked)
                order.locked = Decimal(0)
            order.price = price
        if order.type in LIMIT_PRICED:
            try:
                self._hold_own(order, when)
            except SimError:
                self._finish(order, "EXPIRED", when)
                return
        self._work(order, when)

    def _hold_own(self, order: Order, now: int) -> None:
        """Make ``order`` hold what its own rest needs, no more, no less: a leg left alone
        by its siblings' end (it traded, or it triggered) no longer shares the pair's one
        hold, which the first leg kept at the larger need of the two (:meth:`_initial_lock`,
        less what an amendment gave back): the leg that did not keep it holds its rest now,
        and the one that kept it gives back what its rest does not need (an amended leg's
        hold stayed at its sibling's need). Refused (-2010) when the account cannot hold."""
        need = self._lock_amount(order, order.remaining)
        if need > order.locked:
            self._lock(order, need - order.locked, now)
        elif need < order.locked:
            self._give_back(order, order.locked - need, now)

    # --- cancelling -------------------------------------------------------------------

    def cancel(
        self, order: Order, now: int, restriction: str | None = None, *, cancel_id: str
    ) -> None:
        """Cancel an open order (an order list's: the whole list) for the cancel request
        whose client id is ``cancel_id`` (see :attr:`~.orders.Order.cancel_id`)."""
        if not order.is_open:
            raise SimError(-2011, "Unknown order sent.")
        if restriction is not None and order.status != (
            "NEW" if restriction == "ONLY_NEW" else "PARTIALLY_FILLED"
        ):
            raise SimError(-2011, "Order was not canceled due to cancel restrictions.")
        if order.list_id != -1:
            self.cancel_list(self.lists[order.list_id], now, cancel_id=cancel_id)
        else:
            with self._action(now):
                order.cancel_id = cancel_id
                self._finish(order, "CANCELED", now)

    def cancel_list(self, order_list: OrderList, now: int, *, cancel_id: str) -> None:
        """Cancel every open order of a list, all for one cancel request (``cancel_id``):
        each is marked before any ends, as ending one ends its siblings."""
        with self._action(now):
            self._touched_lists[order_list.list_id] = order_list
            for order in order_list.orders:
                if order.is_open:
                    order.cancel_id = cancel_id
            for order in order_list.orders:
                self._finish(order, "CANCELED", now)
            order_list.settle()

    # --- order lists --------------------------------------------------------------------

    @contextmanager
    def _action(self, now: int) -> Iterator[None]:
        """One action of the engine (an order's placement or cancellation, a list's, a
        fill by a public trade, a stop triggering, an amendment, a deposit or an external
        lock, and all they set off): when the outermost action ends, the balances it
        changed are told to the ``account_listeners`` once, then the lists it touched to
        the ``list_listeners``, as they are then, so after the events of its orders."""
        self._action_depth += 1
        try:
            yield
        finally:
            self._action_depth -= 1
            if not self._action_depth:
                self._account_changes(now)
                touched = list(self._touched_lists.values())
                updated = set(self._updated_lists)
                self._touched_lists.clear()
                self._updated_lists.clear()
                for order_list in touched:
                    kind = "UPDATED" if order_list.list_id in updated else None
                    for listener in self.list_listeners:
                        listener(order_list, now, kind or order_list.status_type)

    def _account_changes(self, now: int) -> None:
        """Tell the ``account_listeners`` the assets the action ended changed (none: not
        told), an asset moved and moved back counting as unchanged."""
        changed = tuple(a for a, was in self._before.items() if self._balance(a) != was)
        self._before.clear()
        if changed:
            for listener in self.account_listeners:
                listener(changed, now)

    def _list_event(self, order: Order, now: int) -> None:
        """What an order's fill or end does to its list: a one-cancels-the-other leg that
        fills (even partly) or ends expires its siblings; an OTO's working order, once
        filled, puts the pending orders to work; once it ends unfilled, they end too."""
        if order.list_id == -1:
            return
        order_list = self.lists[order.list_id]
        with self._action(now):
            self._touched_lists[order_list.list_id] = order_list
            self._list_changes(order, order_list, now)

    def _list_changes(self, order: Order, order_list: OrderList, now: int) -> None:
        if order.executed or not order.is_open:
            ended = False
            for sibling in order.siblings:
                # a triggered stop, or a leg that traded, is the leg that won: its
                # siblings' end is its doing, and it works on
                if sibling.is_open and not sibling.triggered and not sibling.executed:
                    self._finish(sibling, "EXPIRED" if order.executed else "CANCELED", now)
                    ended = True
            if ended and order.is_open:
                self._hold_own(order, now)
        if order is order_list.working:
            if order.status == "FILLED":
                ready = [p for p in order_list.pending if p.status == "PENDING_NEW"]
                for pending in ready:  # each announced NEW before any of them works
                    self._release_pending(pending, order, now)
                for pending in ready:
                    if pending.is_open:  # not ended by a sibling that filled meanwhile
                        self._activate(pending, now)
            elif not order.is_open:
                for pending in order_list.pending:
                    self._finish(
                        pending, "CANCELED" if order.status == "CANCELED" else "EXPIRED", now
                    )
        order_list.settle()

    def _release_pending(self, pending: Order, working: Order, now: int) -> None:
        """A pending order leaves PENDING_NEW as its working order fills: it becomes NEW
        (an OPO's taking the working order's executed quantity, or less if an amendment
        reduced it meanwhile: an amendment only ever reduces, and one the account was
        told of must not be undone), priced if pegged and held, and Binance's
        ``executionReport`` NEW says so, before the order meets the market; it expires
        right after when the account cannot hold it or a pegged price cannot be found."""
        if self.lists[pending.list_id].pays_other:
            pending.orig_qty = min(pending.orig_qty, working.executed)
        pending.status = "NEW"
        pending.time = pending.update_time = pending.checked_ms = now
        pending.working_time = now if pending.type not in STOP_TYPES else -1
        try:
            if pending.peg_price_type is not None and pending.type not in STOP_TYPES:
                pending.price = self.peg_price(  # it enters at the best price of now
                    pending.spec,
                    pending.side,
                    pending.peg_price_type,
                    pending.peg_offset_value or 0,
                    now,
                )
            self._hold(pending, now)
            held = True
        except SimError:
            held = False
        self._notify(pending, "NEW", None, now)
        if not held:
            self._finish(pending, "EXPIRED", now)

    def _activate(self, pending: Order, now: int) -> None:
        """A released (priced, held) pending order meets the market: a stop waits for its
        trigger or triggers at once, a LIMIT_MAKER rests, any other order works."""
        try:
            if pending.type in STOP_TYPES:
                last = self.tape.last_trade(pending.spec, now).ticks
                stop = pending.spec.to_ticks(pending.stop_price)
                if pending.trailing_delta is not None:
                    if not pending.stop_price or self._triggers(
                        pending.side, pending.type, stop, last
                    ):
                        self._track(pending, last, now)
                elif self._triggers(pending.side, pending.type, stop, last):
                    self._trigger(pending, now)
                return
            if pending.type == "LIMIT_MAKER":
                return
            self._work(pending, now)
        except SimError:
            self._finish(pending, "EXPIRED", now)

    def new_list(
        self,
        contingency: str,
        legs: list[dict[str, Any]],
        params: dict[str, Any],
        now: int,
        *,
        working: int | None = None,
        oco: tuple[int, ...] = (),
        pays_other: bool = False,
    ) -> OrderList:
        """Check and place an order list: ``legs`` are order parameters, ``working`` the
        index of the OTO's working leg, ``oco`` the indices that cancel each other."""
        self.catch_up(now)
        specs = [self.check(leg, now, in_list=True) for leg in legs]
        spec = specs[0]
        self._check_counts(spec, [leg["type"] for leg in legs])
        if (
            sum(1 for lst in self.lists.values() if lst.is_open and lst.spec is spec)
            >= MAX_NUM_ORDER_LISTS
        ):
            raise filter_failure("MAX_NUM_ORDER_LISTS")
        client_ids = [leg["newClientOrderId"] for leg in legs if "newClientOrderId" in leg]
        for client_id in client_ids:
            self._check_client_id(client_id)
        if len(set(client_ids)) < len(client_ids):
            raise rejected("Duplicate order sent.")
        list_client_id = params.get("listClientOrderId") or new_client_id()
        if any(lst.client_id == list_client_id and lst.is_open for lst in self.lists.values()):
            raise rejected("Duplicate order sent.")
        orders = [self._make(leg, spec, now) for leg in legs]
        for index, order in enumerate(orders):
            if working is not None and index != working:
                order.status = "PENDING_NEW"
                order.working_time = -1
            else:
                self._vet(order, now)
        self._next_list += 1
        order_list = OrderList(
            self._next_list, contingency, list_client_id, spec, now, orders,
            working=orders[working] if working is not None else None, pays_other=pays_other,
        )  # fmt: skip
        for order in orders:
            order.list_id = order_list.list_id
            self.orders[order.order_id] = order
        for index in oco:
            orders[index].siblings = [orders[i] for i in oco if i != index]
        self.lists[order_list.list_id] = order_list
        self.count_order(now, len(orders))
        with self._action(now):
            self._touched_lists[order_list.list_id] = order_list
            # Binance reports every order of a new list (an OTO's pending ones as
            # PENDING_NEW) before any of them works: a working leg that fills at once
            # does so after its pending legs were announced
            started = [o for o in orders if o.status != "PENDING_NEW"]
            for order in started:
                self._hold(order, now)
            for order in orders:
                self._notify(order, "NEW", None, now)
            for order in started:
                if order.is_open:  # not ended by a sibling's fill meanwhile
                    self._start(order, now)
            order_list.settle()
        return order_list

    def list_report(self, order_list: OrderList, now: int) -> dict[str, Any]:
        body = order_list.to_json()
        body["orderReports"] = [order.report(now) for order in order_list.orders]
        return body

    # --- amending ---------------------------------------------------------------------

    def _amend_release(self, order: Order) -> tuple[Order, Decimal]:
        """What an amendment that lowered ``order``'s quantity gives back, and from which
        order's hold: what the hold has beyond the need of what is left to trade (a lone
        order's rest, at its price for a buy; none for an order that holds nothing, as a
        pending list order). The legs of a one-cancels-the-other pair share one hold
        (:meth:`_initial_lock`, kept by one leg): only what no open leg still needs goes
        back, so amending one leg of two that need the same gives back nothing."""
        group = [order, *order.siblings]
        holder = max(group, key=lambda o: o.locked)
        need = max(self._lock_amount(o, o.remaining) for o in group if o.is_open)
        return holder, max(holder.locked - need, Decimal(0))

    def amend(self, order: Order, new_qty: Decimal, client_id: str | None, now: int) -> int:
        """Reduce an open order's quantity keeping its place in the queue (Binance only
        allows a decrease), as one action: the order's ``executionReport`` with ``x``
        REPLACED (``q`` the new quantity, ``c`` the new client id, ``C`` the previous
        one), then the ``outboundAccountPosition`` of the hold it gave back (none when it
        held nothing: a pending list order; an OCO's legs share one hold, and give back
        only what neither still needs, see :meth:`_amend_release`), then,
        for an order list's order whose client id changed, the list's ``listStatus`` with
        ``l`` UPDATED (Binance's Order Amend Keep Priority FAQ: "If the amended order is
        part of an order list and the client order ID has been changed, you will also
        receive a listStatus event"). A refused amendment changes and sends nothing."""
        if not order.is_open:
            raise SimError(-2011, "Unknown order sent.")
        if new_qty >= order.orig_qty:
            raise SimError(-2038, "Order amend (quantity increase) is not supported.")
        order.spec.check_quantity(new_qty)
        if new_qty <= order.executed + order.prevented_qty:  # nothing would be left
            raise SimError(-2038, "Order amend (quantity increase) is not supported.")
        if client_id is not None:
            self._check_client_id(client_id, own=order)
        self._next_execution += 1
        old_client = order.client_id
        previous = order.orig_qty
        with self._action(now):
            order.orig_qty = new_qty
            holder, release = self._amend_release(order)
            if release:
                self._give_back(holder, release, now)
            order.client_id = client_id or new_client_id()
            order.amended_from = old_client
            order.update_time = now
            self.amendments.append(
                {
                    "symbol": order.symbol,
                    "orderId": order.order_id,
                    "executionId": self._next_execution,
                    "origClientOrderId": old_client,
                    "newClientOrderId": order.client_id,
                    "origQty": f"{previous:.8f}",
                    "newQty": f"{new_qty:.8f}",
                    "time": now,
                }
            )
            if order.list_id != -1 and order.client_id != old_client:
                self._touched_lists[order.list_id] = self.lists[order.list_id]
                self._updated_lists.add(order.list_id)
            self._notify(order, "REPLACED", None, now)
        return self._next_execution

"""A Spot order and an order list, as the engine keeps them and as Binance writes them.

Binance answers an order in several shapes (placement ACK / RESULT / FULL, the query, the
cancellation, a list's report); each is a method here, with the keys of Binance's
documented examples, in their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .symbols import SpotSymbol, dec

__all__ = ["FINAL", "STOP_TYPES", "Fill", "Order", "OrderList"]

STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
LIMIT_PRICED = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})
FINAL = frozenset({"FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"})


@dataclass(slots=True)
class Fill:
    """One execution of an order: the account's trade."""

    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    maker: bool
    time: int

    def to_json(self, sor: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "price": dec(self.price),
            "qty": dec(self.qty),
            "commission": dec(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.trade_id,
        }
        if sor:
            body = {"matchType": "ONE_PARTY_TRADE_REPORT", **body, "allocId": self.trade_id}
        return body


@dataclass(slots=True)
class Order:
    order_id: int
    spec: SpotSymbol
    client_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    time: int
    quote_order_qty: Decimal = Decimal(0)
    stop_price: Decimal = Decimal(0)
    iceberg_qty: Decimal = Decimal(0)
    stp_mode: str = "EXPIRE_MAKER"
    strategy_id: int | None = None
    strategy_type: int | None = None
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    update_time: int = 0
    working_time: int = -1
    """When the order started working (-1: a stop not triggered, a pending list leg)."""
    list_id: int = -1
    locked: Decimal = Decimal(0)
    """What the order still holds of the account (quote for a buy, base for a sell)."""
    checked_ms: int = 0
    """Public trades up to here have been matched against the resting order."""
    fills: list[Fill] = field(default_factory=list)
    sor: bool = False
    triggered: bool = False
    siblings: list[Order] = field(default_factory=list)
    """The other legs of its one-cancels-the-other pair."""
    peg_price_type: str | None = None
    """``PRIMARY_PEG`` (the best price of the order's side) or ``MARKET_PEG`` (of the
    other side): ``price`` is then the pegged price, ``sent_price`` what was sent."""
    peg_offset_type: str | None = None
    peg_offset_value: int | None = None
    sent_price: Decimal = Decimal(0)
    trailing_delta: int | None = None
    """A trailing stop's ``trailingDelta`` (BIPS)."""
    trailing_time: int = -1
    """When the trailing stop started tracking the price (-1: not yet)."""
    extreme: int = 0
    """The tracked extreme in ticks since ``trailing_time``: the highest trade for a sell,
    the lowest for a buy."""
    prevented_qty: Decimal = Decimal(0)
    """What self-trade prevention took off the order (Binance's ``preventedQuantity``)."""
    prevented_quote: Decimal = Decimal(0)
    """For a quote-budget order: what of its budget the prevented quantity was worth."""
    prevented_match_id: int | None = None
    """The last prevented match the order was part of (``preventedMatchId``)."""
    prevented_matches: list[dict[str, Any]] = field(default_factory=list)
    """The matches STP prevented when the order was the taker (its placement answer's
    ``preventedMatches``)."""
    amended_from: str = ""
    """The client id the order had before its last amendment (Order Amend Keep Priority):
    the ``C`` of that amendment's ``executionReport`` (``x`` REPLACED)."""
    cancel_id: str = ""
    """The client id of the cancel request that canceled the order (its
    ``newClientOrderId``, given or generated), empty until one does: the ``c`` of the
    order's ``executionReport`` ``x`` CANCELED, whose ``C`` is then the order's own id
    (Binance: "Original client order ID; This is the ID of the order being canceled"),
    as the REST answer's ``clientOrderId`` and ``origClientOrderId``."""

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW")

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed - self.prevented_qty

    @property
    def is_working(self) -> bool:
        return self.working_time != -1

    @property
    def is_algo(self) -> bool:
        return self.type in STOP_TYPES

    def _head(self, transact: int) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.list_id,
            "clientOrderId": self.client_id,
            "transactTime": transact,
        }

    @property
    def shown_price(self) -> Decimal:
        """``price`` as Binance answers it: what was sent (zero when a pegged order sent
        none); the pegged price is ``peggedPrice``."""
        return self.sent_price if self.peg_price_type else self.price

    def peg_fields(self) -> dict[str, Any]:
        """Binance's conditional fields of a pegged order, as REST answers them (the
        ``executionReport`` carries the same, under its own keys)."""
        if self.peg_price_type is None:
            return {}
        found: dict[str, Any] = {"pegPriceType": self.peg_price_type}
        if self.peg_offset_type is not None:
            found["pegOffsetType"] = self.peg_offset_type
            found["pegOffsetValue"] = self.peg_offset_value
        if self.price:  # a pegged stop-limit order is priced when it triggers
            found["peggedPrice"] = dec(self.price)
        return found

    def _figures(self) -> dict[str, Any]:
        return {
            "price": dec(self.shown_price),
            **self.peg_fields(),
            "origQty": dec(self.orig_qty),
            "executedQty": dec(self.executed),
            "origQuoteOrderQty": dec(self.quote_order_qty),
            "cummulativeQuoteQty": dec(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
        }

    def _trailing(self) -> dict[str, Any]:
        """Binance's conditional fields of a trailing stop."""
        if self.trailing_delta is None:
            return {}
        return {"trailingDelta": self.trailing_delta, "trailingTime": self.trailing_time}

    def _prevention(self) -> dict[str, Any]:
        """Binance's conditional fields of an order self-trade prevention acted on."""
        if self.prevented_match_id is None:
            return {}
        return {
            "preventedMatchId": self.prevented_match_id,
            "preventedQuantity": dec(self.prevented_qty),
        }

    def _optional(self) -> dict[str, Any]:
        """Fields Binance adds only when the order has them."""
        extra: dict[str, Any] = {}
        if self.is_algo:
            extra["stopPrice"] = dec(self.stop_price)
        extra |= self._trailing()
        if self.iceberg_qty:
            extra["icebergQty"] = dec(self.iceberg_qty)
        if self.strategy_id is not None:
            extra["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            extra["strategyType"] = self.strategy_type
        return extra

    def ack(self, transact: int) -> dict[str, Any]:
        return self._head(transact)

    def result(self, transact: int, *, full: bool = False) -> dict[str, Any]:
        """The RESULT (``full``: FULL, with the fills of this placement) answer."""
        body = self._head(transact) | self._figures()
        body.update(self._optional())
        body["workingTime"] = self.working_time
        if full:
            body["fills"] = [f.to_json(self.sor) for f in self.fills]
        if self.prevented_matches:
            body["preventedMatches"] = [dict(match) for match in self.prevented_matches]
        if self.sor:
            body["workingFloor"] = "SOR"
        body["selfTradePreventionMode"] = self.stp_mode
        if self.prevented_qty:
            body["preventedQuantity"] = dec(self.prevented_qty)
        if self.sor:
            body["usedSor"] = True
        return body

    def report(self, transact: int) -> dict[str, Any]:
        """The order's entry in a list placement's ``orderReports``."""
        return self.result(transact)

    def query(self) -> dict[str, Any]:
        """``GET /api/v3/order``, ``openOrders``, ``allOrders``."""
        body: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": self.list_id,
            "clientOrderId": self.client_id,
            "price": dec(self.shown_price),
            **self.peg_fields(),
            "origQty": dec(self.orig_qty),
            "executedQty": dec(self.executed),
            "cummulativeQuoteQty": dec(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": dec(self.stop_price),
            "icebergQty": dec(self.iceberg_qty),
            **self._trailing(),
            "time": self.time,
            "updateTime": self.update_time,
            "isWorking": self.is_working,
            "workingTime": self.working_time,
            "origQuoteOrderQty": dec(self.quote_order_qty),
            "selfTradePreventionMode": self.stp_mode,
        }
        body |= self._prevention()
        if self.strategy_id is not None:
            body["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            body["strategyType"] = self.strategy_type
        return body

    def canceled(self, transact: int, new_client_id: str) -> dict[str, Any]:
        """The answer to a cancellation: the original client id, and the cancel's own."""
        body: dict[str, Any] = {
            "symbol": self.symbol,
            "origClientOrderId": self.client_id,
            "orderId": self.order_id,
            "orderListId": self.list_id,
            "clientOrderId": new_client_id,
            "transactTime": transact,
        }
        body |= self._figures()
        body |= self._optional()
        body["selfTradePreventionMode"] = self.stp_mode
        body |= self._prevention()
        return body


@dataclass(slots=True)
class OrderList:
    """OCO, OTO (also OTOCO, OPO, OPOCO: Binance reports them as ``OTO``)."""

    list_id: int
    contingency: str
    client_id: str
    spec: SpotSymbol
    time: int
    orders: list[Order]
    working: Order | None = None
    """The OTO's working order; the others are pending until it fills."""
    pays_other: bool = False
    """OPO/OPOCO: the pending orders take the working order's executed quantity (at most:
    an amendment may have reduced theirs)."""
    status_type: str = "EXEC_STARTED"
    order_status: str = "EXECUTING"

    @property
    def pending(self) -> list[Order]:
        return [order for order in self.orders if order is not self.working]

    @property
    def is_open(self) -> bool:
        return self.order_status == "EXECUTING"

    def settle(self) -> None:
        """ALL_DONE once every order is final."""
        if all(not order.is_open for order in self.orders):
            self.status_type = self.order_status = "ALL_DONE"

    def to_json(self, transact: int | None = None) -> dict[str, Any]:
        return {
            "orderListId": self.list_id,
            "contingencyType": self.contingency,
            "listStatusType": self.status_type,
            "listOrderStatus": self.order_status,
            "listClientOrderId": self.client_id,
            "transactionTime": self.time if transact is None else transact,
            "symbol": self.spec.symbol,
            "orders": [
                {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_id}
                for o in self.orders
            ],
        }

# Parameter names are OKX's wire names, which are camelCase (N815).
# ruff: noqa: N815
"""OKX order book trading: placing, canceling, amending and querying orders (private).

Order endpoints are counted per user id *and instrument* (60 requests, or for batches 300
orders, per 2 s on each instrument), and placing and amending also count on the
sub-account's 1000 orders per 2 s (see :data:`aioca_okx.api.ORDER_RATE_WINDOW`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from aioca.params import Count, Text

from ..endpoint import Auth, Endpoint, RateLimit, Scope
from ..task import OkxParams, OkxTask, Texts
from .enums import (
    PRICED_ORDER_TYPES,
    ClOrdId,
    HistoryState,
    InstId,
    InstType,
    OrdType,
    PendingState,
    PosSide,
    Side,
    TdMode,
    TgtCcy,
)

__all__ = [
    "AmendOrderParams",
    "CancelOrderParams",
    "OkxAmendBatchOrders",
    "OkxAmendOrder",
    "OkxCancelBatchOrders",
    "OkxCancelOrder",
    "OkxFetchFills",
    "OkxFetchOpenOrders",
    "OkxFetchOrder",
    "OkxFetchOrderHistory",
    "OkxPlaceBatchOrders",
    "OkxPlaceOrder",
    "PlaceOrderParams",
]

Positive = Annotated[Decimal, Field(gt=0)]
MAX_BATCH = 20
"""OKX takes at most 20 orders in one batch request."""


def _per_instrument(limit: int, *, per_order: bool = False) -> RateLimit:
    return RateLimit(limit, 2, Scope.USER, key="instId", per_order=per_order)


class PlaceOrderParams(OkxParams):
    """One new order (``OkxPlaceOrder``, and each item of ``OkxPlaceBatchOrders``)."""

    instId: InstId
    tdMode: TdMode
    side: Side
    ordType: OrdType
    sz: Positive
    px: Positive | None = None
    ccy: Text | None = None
    clOrdId: ClOrdId | None = None
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,16}$")] | None = None
    posSide: PosSide | None = None
    reduceOnly: bool | None = None
    tgtCcy: TgtCcy | None = None
    banAmend: bool | None = None
    stpMode: Annotated[str, Field(pattern=r"^(cancel_maker|cancel_taker|cancel_both)$")] | None = (
        None
    )

    @model_validator(mode="after")
    def _price_matches_type(self) -> PlaceOrderParams:
        if self.ordType in PRICED_ORDER_TYPES and self.px is None:
            raise ValueError(f"a {self.ordType} order needs 'px'")
        if self.ordType == "market" and self.px is not None:
            raise ValueError("a market order takes no 'px'")
        return self


class CancelOrderParams(OkxParams):
    """One cancellation, by order id or client order id."""

    one_of = (("ordId", "clOrdId"),)

    instId: InstId
    ordId: Annotated[str, Field(pattern=r"^[0-9]+$")] | None = None
    clOrdId: ClOrdId | None = None


class AmendOrderParams(OkxParams):
    """One amendment: a new size and/or price for an order given by either id."""

    one_of = (("ordId", "clOrdId"), ("newSz", "newPx"))

    instId: InstId
    ordId: Annotated[str, Field(pattern=r"^[0-9]+$")] | None = None
    clOrdId: ClOrdId | None = None
    reqId: ClOrdId | None = None
    cxlOnFail: bool | None = None
    newSz: Positive | None = None
    newPx: Positive | None = None


def _batch_of(item: type[OkxParams]) -> type[OkxParams]:
    class BatchParams(OkxParams):
        orders: Annotated[list[item], Field(min_length=1, max_length=MAX_BATCH)]  # type: ignore[valid-type]

    BatchParams.__name__ = BatchParams.__qualname__ = f"Batch{item.__name__}"
    return BatchParams


class OkxPlaceOrder(OkxTask):
    """Place an order (spot, margin, swap, futures, option).

    API endpoint: POST /api/v5/trade/order
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/order",
        Auth.PRIVATE,
        _per_instrument(60),
        creates_orders=True,
        changes_orders=True,
        counts_orders=True,
    )
    texts = Texts(
        en="OKX {side} {ordType} order on {instId}: size {sz} at {px}",
        zh="OKX {instId} 下单 {side} {ordType} 数量{sz} 价格{px}",
    )
    Params = PlaceOrderParams


class OkxPlaceBatchOrders(OkxTask):
    """Place up to 20 orders in one request; each succeeds or fails on its own.

    API endpoint: POST /api/v5/trade/batch-orders
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-multiple-orders
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/batch-orders",
        Auth.PRIVATE,
        _per_instrument(300, per_order=True),
        batch=True,
        creates_orders=True,
        changes_orders=True,
        counts_orders=True,
    )
    texts = Texts(en="OKX batch of {count} new orders", zh="OKX 批量下单({count}笔)")
    Params = _batch_of(PlaceOrderParams)


class OkxCancelOrder(OkxTask):
    """Cancel an open order, by ``ordId`` or ``clOrdId``.

    API endpoint: POST /api/v5/trade/cancel-order
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-order
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/cancel-order",
        Auth.PRIVATE,
        _per_instrument(60),
        changes_orders=True,
    )
    texts = Texts(
        en="Cancel OKX order {id} on {instId}",
        zh="OKX {instId} 撤单 {id}",
    )
    Params = CancelOrderParams


class OkxCancelBatchOrders(OkxTask):
    """Cancel up to 20 open orders in one request; each succeeds or fails on its own.

    API endpoint: POST /api/v5/trade/cancel-batch-orders
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-multiple-orders
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/cancel-batch-orders",
        Auth.PRIVATE,
        _per_instrument(300, per_order=True),
        batch=True,
        changes_orders=True,
    )
    texts = Texts(en="Cancel a batch of {count} OKX orders", zh="OKX 批量撤单({count}笔)")
    Params = _batch_of(CancelOrderParams)


class OkxAmendOrder(OkxTask):
    """Change the size and/or price of an open order.

    API endpoint: POST /api/v5/trade/amend-order
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-amend-order
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/amend-order",
        Auth.PRIVATE,
        _per_instrument(60),
        changes_orders=True,
        counts_orders=True,
    )
    texts = Texts(
        en="Amend OKX order {id} on {instId}: size {newSz}, price {newPx}",
        zh="OKX {instId} 改单 {id} 新数量{newSz} 新价格{newPx}",
    )
    Params = AmendOrderParams


class OkxAmendBatchOrders(OkxTask):
    """Amend up to 20 open orders in one request; each succeeds or fails on its own.

    API endpoint: POST /api/v5/trade/amend-batch-orders
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-amend-multiple-orders
    """

    endpoint = Endpoint(
        "POST",
        "/api/v5/trade/amend-batch-orders",
        Auth.PRIVATE,
        _per_instrument(300, per_order=True),
        batch=True,
        changes_orders=True,
        counts_orders=True,
    )
    texts = Texts(en="Amend a batch of {count} OKX orders", zh="OKX 批量改单({count}笔)")
    Params = _batch_of(AmendOrderParams)


class OkxFetchOrder(OkxTask):
    """Get one order's details, by ``ordId`` or ``clOrdId``.

    API endpoint: GET /api/v5/trade/order
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-details
    """

    endpoint = Endpoint("GET", "/api/v5/trade/order", Auth.PRIVATE, _per_instrument(60))
    texts = Texts(en="OKX order {id} on {instId}", zh="查询OKX {instId} 订单 {id}")
    Params = CancelOrderParams


class OkxFetchOpenOrders(OkxTask):
    """Get the open (live and partially filled) orders, newest first.

    API endpoint: GET /api/v5/trade/orders-pending
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-list
    """

    endpoint = Endpoint(
        "GET", "/api/v5/trade/orders-pending", Auth.PRIVATE, RateLimit(60, 2, Scope.USER)
    )
    texts = Texts(
        en="OKX open orders ({instType} {instId})", zh="获取OKX未成交订单({instType} {instId})"
    )

    class Params(OkxParams):
        instType: InstType | None = None
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None
        ordType: OrdType | None = None
        state: PendingState | None = None
        after: Text | None = None
        before: Text | None = None
        limit: Annotated[Count, Field(ge=1, le=100)] | None = None


class OkxFetchOrderHistory(OkxTask):
    """Get the completed orders of the last 7 days (canceled ones for 2 hours only).

    API endpoint: GET /api/v5/trade/orders-history
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-7-days
    """

    endpoint = Endpoint(
        "GET", "/api/v5/trade/orders-history", Auth.PRIVATE, RateLimit(40, 2, Scope.USER)
    )
    texts = Texts(en="OKX {instType} order history", zh="获取OKX {instType} 历史订单(近7天)")

    class Params(OkxParams):
        instType: InstType
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None
        ordType: OrdType | None = None
        state: HistoryState | None = None
        after: Text | None = None
        before: Text | None = None
        begin: Count | None = None
        end: Count | None = None
        limit: Annotated[Count, Field(ge=1, le=100)] | None = None


class OkxFetchFills(OkxTask):
    """Get the fills (trade details) of the last 3 days.

    API endpoint: GET /api/v5/trade/fills
    API doc: https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-transaction-details-last-3-days
    """

    endpoint = Endpoint("GET", "/api/v5/trade/fills", Auth.PRIVATE, RateLimit(60, 2, Scope.USER))
    texts = Texts(en="OKX fills ({instType} {instId})", zh="获取OKX成交明细({instType} {instId})")

    class Params(OkxParams):
        instType: InstType | None = None
        uly: Text | None = None
        instFamily: Text | None = None
        instId: InstId | None = None
        ordId: Text | None = None
        subType: Text | None = None
        after: Text | None = None
        before: Text | None = None
        begin: Count | None = None
        end: Count | None = None
        limit: Annotated[Count, Field(ge=1, le=100)] | None = None

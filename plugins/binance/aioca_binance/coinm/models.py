# Field names are Binance's JSON keys, which are camelCase (N815) and once a bare `l` (E741).
# ruff: noqa: N815
"""Typed pydantic models for the main Binance COIN-M futures REST responses.

A task's ``result`` stays the raw JSON exactly as Binance returned it: nothing here runs
unless it is asked for. ``task.parsed`` (implemented elsewhere) calls :func:`parse_response`
on demand, which validates the raw JSON with a :class:`pydantic.TypeAdapter` built the first
time that response shape is parsed and cached from then on. Model classes are declared with
``defer_build=True``, so importing this module builds no validator either.

Conventions:

* Field names are Binance's JSON keys as they are on the wire (camelCase, and the one-letter
  keys of ``aggTrades`` and ``depth``), so ``model_dump()`` gives back Binance's keys.
  The exception is :class:`Kline`: a candle is a bare JSON array, so its slots get readable
  snake_case names. :class:`AggTrade` and :class:`OrderBook` add read-only snake_case
  properties for their one-letter keys.
* Decimal strings become :class:`decimal.Decimal` (never ``float``); times are ``int``
  milliseconds since the epoch; booleans are ``bool`` (``"false"``/``"true"`` strings, as
  ``positionRisk`` sends ``isAutoAddMargin``, are accepted too).
* Models are frozen and keep unknown keys (``extra="allow"``), so a field Binance adds later
  does not break parsing; such a field is kept as raw JSON in ``model_extra``.
* A field is required when every documented example carries it; it is optional (``None``
  when absent) when some example lacks it or Binance documents it as conditional.
* :data:`RESPONSE_MODELS` maps ``(METHOD, path)`` to the type of the whole response body,
  e.g. ``list[TickerPrice]`` (``ticker/price`` is a list even for one symbol on COIN-M) or
  ``OpenInterest`` (an object).
"""

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, model_validator

__all__ = [
    "RESPONSE_MODELS",
    "Account",
    "AccountAsset",
    "AccountPosition",
    "AggTrade",
    "Balance",
    "BookTicker",
    "FundingRate",
    "Kline",
    "OpenInterest",
    "Order",
    "OrderBook",
    "PositionRisk",
    "PremiumIndex",
    "PriceLevel",
    "Ticker24hr",
    "TickerPrice",
    "Trade",
    "parse_response",
    "response_adapter",
]


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


# Binance sends "" instead of a number where a field does not apply (premiumIndex's funding
# fields for delivery contracts); that becomes None.
_OptionalDecimal = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)


# --------------------------------------------------------------------------- market data

_KLINE_SLOTS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "base_asset_volume",
    "number_of_trades",
    "taker_buy_volume",
    "taker_buy_base_asset_volume",
    "ignore",
)


class Kline(_Model):
    """One candle of GET /dapi/v1/klines, continuousKlines, indexPriceKlines, markPriceKlines
    and premiumIndexKlines.

    Binance sends a 12-slot JSON array; the slots are mapped by position to the fields below,
    in this order. For index, mark and premium-index klines the volume slots are "0" and
    ``number_of_trades`` holds the number of basic data points (premiumIndexKlines documents
    it as "ignore"). The last slot, ``ignore``, is kept as sent. Slots past the twelfth,
    should Binance append any, are kept as extras named ``slot_12``, ``slot_13``, ...
    A mapping with the field names is accepted as is.
    """

    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: int
    base_asset_volume: Decimal
    number_of_trades: int
    taker_buy_volume: Decimal
    taker_buy_base_asset_volume: Decimal
    ignore: Any

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, data: Any) -> Any:
        if not isinstance(data, list | tuple):
            return data
        if len(data) < len(_KLINE_SLOTS):
            raise ValueError(f"a kline is an array of {len(_KLINE_SLOTS)} slots, got {len(data)}")
        fields: dict[str, Any] = dict(zip(_KLINE_SLOTS, data, strict=False))
        for index in range(len(_KLINE_SLOTS), len(data)):
            fields[f"slot_{index}"] = data[index]
        return fields


class TickerPrice(_Model):
    """One entry of GET /dapi/v1/ticker/price (a list, even for one symbol)."""

    symbol: str
    ps: str
    price: Decimal
    time: int


class BookTicker(_Model):
    """One entry of GET /dapi/v1/ticker/bookTicker (a list, even for one symbol)."""

    lastUpdateId: int
    symbol: str
    pair: str
    bidPrice: Decimal
    bidQty: Decimal
    askPrice: Decimal
    askQty: Decimal
    time: int


class Ticker24hr(_Model):
    """One entry of GET /dapi/v1/ticker/24hr (a list, even for one symbol)."""

    symbol: str
    pair: str
    priceChange: Decimal
    priceChangePercent: Decimal
    weightedAvgPrice: Decimal
    lastPrice: Decimal
    lastQty: Decimal
    openPrice: Decimal
    highPrice: Decimal
    lowPrice: Decimal
    volume: Decimal
    baseVolume: Decimal
    openTime: int
    closeTime: int
    firstId: int
    lastId: int
    count: int


class PriceLevel(NamedTuple):
    """One ``[price, qty]`` level of GET /dapi/v1/depth's bids or asks."""

    price: Decimal
    qty: Decimal


class OrderBook(_Model):
    """The order book of GET /dapi/v1/depth; ``E`` is the message time, ``T`` the
    transaction time (also readable as ``message_time`` and ``transaction_time``)."""

    lastUpdateId: int
    symbol: str
    pair: str
    E: int
    T: int
    bids: list[PriceLevel]
    asks: list[PriceLevel]

    @property
    def message_time(self) -> int:
        return self.E

    @property
    def transaction_time(self) -> int:
        return self.T


class Trade(_Model):
    """One trade of GET /dapi/v1/trades and GET /dapi/v1/historicalTrades."""

    id: int
    price: Decimal
    qty: Decimal
    baseQty: Decimal
    time: int
    isBuyerMaker: bool


class AggTrade(_Model):
    """One aggregate trade of GET /dapi/v1/aggTrades.

    Fields keep Binance's one-letter keys (``a``, ``p``, ``q``, ``f``, ``l``, ``T``, ``m``)
    so the model reads and dumps exactly what is on the wire; the snake_case properties
    give the same values by name.
    """

    a: int
    p: Decimal
    q: Decimal
    f: int
    l: int  # noqa: E741
    T: int
    m: bool

    @property
    def agg_trade_id(self) -> int:
        return self.a

    @property
    def price(self) -> Decimal:
        return self.p

    @property
    def qty(self) -> Decimal:
        return self.q

    @property
    def first_trade_id(self) -> int:
        return self.f

    @property
    def last_trade_id(self) -> int:
        return self.l

    @property
    def time(self) -> int:
        return self.T

    @property
    def is_buyer_maker(self) -> bool:
        return self.m


class PremiumIndex(_Model):
    """One entry of GET /dapi/v1/premiumIndex (a list, even for one symbol).

    For delivery contracts Binance sends ``lastFundingRate`` and ``interestRate`` as "",
    which become None, and ``nextFundingTime`` as 0, which is kept.
    """

    symbol: str
    pair: str
    markPrice: Decimal
    indexPrice: Decimal
    estimatedSettlePrice: Decimal
    lastFundingRate: _OptionalDecimal
    interestRate: _OptionalDecimal
    nextFundingTime: int
    time: int


class FundingRate(_Model):
    """One entry of GET /dapi/v1/fundingRate."""

    symbol: str
    fundingTime: int
    fundingRate: Decimal


class OpenInterest(_Model):
    """The object of GET /dapi/v1/openInterest."""

    symbol: str
    pair: str
    openInterest: Decimal
    contractType: str
    time: int


# --------------------------------------------------------------------------- account


class AccountAsset(_Model):
    """One entry of ``assets`` in GET /dapi/v1/account."""

    asset: str
    walletBalance: Decimal
    unrealizedProfit: Decimal
    marginBalance: Decimal
    maintMargin: Decimal
    initialMargin: Decimal
    positionInitialMargin: Decimal
    openOrderInitialMargin: Decimal
    maxWithdrawAmount: Decimal
    crossWalletBalance: Decimal
    crossUnPnl: Decimal
    availableBalance: Decimal
    updateTime: int


class AccountPosition(_Model):
    """One entry of ``positions`` in GET /dapi/v1/account."""

    symbol: str
    positionAmt: Decimal
    initialMargin: Decimal
    maintMargin: Decimal
    unrealizedProfit: Decimal
    positionInitialMargin: Decimal
    openOrderInitialMargin: Decimal
    leverage: int
    isolated: bool
    positionSide: str
    entryPrice: Decimal
    breakEvenPrice: Decimal
    maxQty: Decimal
    notionalValue: Decimal | None = None
    updateTime: int


class Account(_Model):
    """The object of GET /dapi/v1/account."""

    assets: list[AccountAsset]
    positions: list[AccountPosition]
    canDeposit: bool
    canTrade: bool
    canWithdraw: bool
    feeTier: int
    updateTime: int


class Balance(_Model):
    """One entry of GET /dapi/v1/balance."""

    accountAlias: str
    asset: str
    balance: Decimal
    withdrawAvailable: Decimal
    crossWalletBalance: Decimal
    crossUnPnl: Decimal
    availableBalance: Decimal
    updateTime: int


class PositionRisk(_Model):
    """One entry of GET /dapi/v1/positionRisk (``isAutoAddMargin`` arrives as a string)."""

    symbol: str
    positionAmt: Decimal
    entryPrice: Decimal
    breakEvenPrice: Decimal
    markPrice: Decimal
    unRealizedProfit: Decimal
    liquidationPrice: Decimal
    leverage: int
    maxQty: Decimal
    marginType: str
    isolatedMargin: Decimal
    isAutoAddMargin: bool
    positionSide: str
    updateTime: int


# --------------------------------------------------------------------------- orders


class Order(_Model):
    """An order of GET/POST/PUT/DELETE /dapi/v1/order, GET openOrder, openOrders, allOrders.

    Optional fields: ``avgPrice`` and ``cumBase`` (no longer in the placement, modification
    and cancellation responses since the COIN-M/USD-M integration), ``cumQty`` (only in
    those responses), ``time`` (only in queries), ``pair`` (missing from the openOrders
    example), ``activatePrice`` and ``priceRate`` (TRAILING_STOP_MARKET orders only).
    """

    orderId: int
    symbol: str
    pair: str | None = None
    status: str
    clientOrderId: str
    price: Decimal
    avgPrice: Decimal | None = None
    origQty: Decimal
    executedQty: Decimal
    cumQty: Decimal | None = None
    cumBase: Decimal | None = None
    timeInForce: str
    type: str
    origType: str
    side: str
    positionSide: str
    reduceOnly: bool
    closePosition: bool
    stopPrice: Decimal
    activatePrice: Decimal | None = None
    priceRate: Decimal | None = None
    workingType: str
    priceProtect: bool
    priceMatch: str
    selfTradePreventionMode: str
    time: int | None = None
    updateTime: int


# --------------------------------------------------------------------------- registry

_KLINES = list[Kline]

RESPONSE_MODELS: Mapping[tuple[str, str], object] = MappingProxyType(
    {
        ("GET", "/dapi/v1/klines"): _KLINES,
        ("GET", "/dapi/v1/continuousKlines"): _KLINES,
        ("GET", "/dapi/v1/indexPriceKlines"): _KLINES,
        ("GET", "/dapi/v1/markPriceKlines"): _KLINES,
        ("GET", "/dapi/v1/premiumIndexKlines"): _KLINES,
        ("GET", "/dapi/v1/ticker/price"): list[TickerPrice],
        ("GET", "/dapi/v1/ticker/bookTicker"): list[BookTicker],
        ("GET", "/dapi/v1/ticker/24hr"): list[Ticker24hr],
        ("GET", "/dapi/v1/depth"): OrderBook,
        ("GET", "/dapi/v1/trades"): list[Trade],
        ("GET", "/dapi/v1/historicalTrades"): list[Trade],
        ("GET", "/dapi/v1/aggTrades"): list[AggTrade],
        ("GET", "/dapi/v1/premiumIndex"): list[PremiumIndex],
        ("GET", "/dapi/v1/fundingRate"): list[FundingRate],
        ("GET", "/dapi/v1/openInterest"): OpenInterest,
        ("GET", "/dapi/v1/account"): Account,
        ("GET", "/dapi/v1/balance"): list[Balance],
        ("GET", "/dapi/v1/positionRisk"): list[PositionRisk],
        ("GET", "/dapi/v1/order"): Order,
        ("POST", "/dapi/v1/order"): Order,
        ("PUT", "/dapi/v1/order"): Order,
        ("DELETE", "/dapi/v1/order"): Order,
        ("GET", "/dapi/v1/openOrder"): Order,
        ("GET", "/dapi/v1/openOrders"): list[Order],
        ("GET", "/dapi/v1/allOrders"): list[Order],
    }
)
"""``(METHOD, path)`` -> the type of the whole response body."""

# Keyed by response type, so endpoints that share a shape (the five klines, trades and
# historicalTrades, the order endpoints) share one adapter. Filled on first use only.
_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def response_adapter(method: str, path: str) -> TypeAdapter[Any]:
    """The cached TypeAdapter for an endpoint's response, built on first use.

    Raises LookupError for an endpoint without a model.
    """
    key = (method.upper(), path)
    try:
        response_type: Any = RESPONSE_MODELS[key]
    except KeyError:
        raise LookupError(f"no response model for {key[0]} {path}") from None
    adapter = _ADAPTERS.get(response_type)
    if adapter is None:
        adapter = _ADAPTERS[response_type] = TypeAdapter(response_type)
    return adapter


def parse_response(method: str, path: str, data: Any) -> Any:
    """Validate the raw JSON ``data`` of ``METHOD path`` into its typed model(s).

    Raises LookupError for an endpoint without a model and pydantic.ValidationError for a
    body that does not fit it.
    """
    return response_adapter(method, path).validate_python(data)

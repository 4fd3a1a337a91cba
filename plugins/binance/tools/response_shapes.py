"""Response types from Binance's documented example answers, for tools/generate_catalog.py.

Each endpoint's example answers (``binance-<market>-responses.json``: ``example``, or every
one of ``examples``) are read into shapes: objects with their fields, lists, rows sent as
arrays (a candle, a price level), maps keyed by data (a symbol, a market), and scalars.
Endpoints whose answers name the same thing (every order endpoint answers an order) share
one named shape (SHAPE_NAMES); its fields are the union of what the examples show, and a
field missing from one of them is ``NotRequired`` in the TypedDict. From the shapes come:

* ``results.py``: a ``TypedDict`` per object, the decoded JSON (``task.result``);
* ``models.py``: a pydantic model per object (``task.parsed``, see
  ``aioca_binance.model_base``), and ``RESPONSE_MODELS``, the type of each answer.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# --- what the examples do not say ------------------------------------------------------------

SHAPE_NAMES: Mapping[str, Mapping[str, str]] = {
    # The name of an endpoint's answer (of each item, for a list): endpoints of one name
    # share one model. COIN-M keeps the names of its hand-written models of before.
    "coinm": {
        "GET /dapi/v1/ticker/price": "TickerPrice",
        "GET /dapi/v1/ticker/bookTicker": "BookTicker",
        "GET /dapi/v1/ticker/24hr": "Ticker24hr",
        "GET /dapi/v1/depth": "OrderBook",
        "GET /dapi/v1/trades": "Trade",
        "GET /dapi/v1/historicalTrades": "Trade",
        "GET /dapi/v1/aggTrades": "AggTrade",
        "GET /dapi/v1/premiumIndex": "PremiumIndex",
        "GET /dapi/v1/fundingRate": "FundingRate",
        "GET /dapi/v1/openInterest": "OpenInterest",
        "GET /dapi/v1/account": "Account",
        "GET /dapi/v1/balance": "Balance",
        "GET /dapi/v1/positionRisk": "PositionRisk",
        "GET /dapi/v1/order": "Order",
        "POST /dapi/v1/order": "Order",
        "PUT /dapi/v1/order": "Order",
        "DELETE /dapi/v1/order": "Order",
        "GET /dapi/v1/openOrder": "Order",
        "GET /dapi/v1/openOrders": "Order",
        "GET /dapi/v1/allOrders": "Order",
        "POST /dapi/v1/batchOrders": "Order",
        "PUT /dapi/v1/batchOrders": "Order",
        "DELETE /dapi/v1/batchOrders": "Order",
        "GET /dapi/v1/time": "ServerTime",
        "GET /dapi/v1/exchangeInfo": "ExchangeInfo",
        "GET /dapi/v1/userTrades": "UserTrade",
        "GET /dapi/v1/income": "Income",
        "POST /dapi/v1/listenKey": "ListenKey",
        "PUT /dapi/v1/listenKey": "ListenKey",
    },
    "usdm": {
        "GET /fapi/v1/ticker/price": "TickerPrice",
        "GET /fapi/v2/ticker/price": "TickerPrice",
        "GET /fapi/v1/ticker/bookTicker": "BookTicker",
        "GET /fapi/v1/ticker/24hr": "Ticker24hr",
        "GET /fapi/v1/depth": "OrderBook",
        "GET /fapi/v1/rpiDepth": "OrderBook",
        "GET /fapi/v1/trades": "Trade",
        "GET /fapi/v1/historicalTrades": "Trade",
        "GET /fapi/v1/aggTrades": "AggTrade",
        "GET /fapi/v1/premiumIndex": "MarkPrice",
        "GET /fapi/v1/fundingRate": "FundingRate",
        "GET /fapi/v1/openInterest": "OpenInterest",
        "GET /fapi/v2/account": "AccountV2",
        "GET /fapi/v3/account": "AccountV3",
        "GET /fapi/v2/balance": "Balance",
        "GET /fapi/v3/balance": "Balance",
        "GET /fapi/v2/positionRisk": "PositionRiskV2",
        "GET /fapi/v3/positionRisk": "PositionRiskV3",
        "GET /fapi/v1/order": "Order",
        "POST /fapi/v1/order": "Order",
        "PUT /fapi/v1/order": "Order",
        "DELETE /fapi/v1/order": "Order",
        "GET /fapi/v1/openOrder": "Order",
        "GET /fapi/v1/openOrders": "Order",
        "GET /fapi/v1/allOrders": "Order",
        "POST /fapi/v1/batchOrders": "Order",
        "PUT /fapi/v1/batchOrders": "Order",
        "DELETE /fapi/v1/batchOrders": "Order",
        "POST /fapi/v1/order/test": "Order",
        "GET /fapi/v1/algoOrder": "AlgoOrder",
        "POST /fapi/v1/algoOrder": "AlgoOrder",
        "DELETE /fapi/v1/algoOrder": "AlgoOrderCancel",
        "GET /fapi/v1/openAlgoOrders": "AlgoOrder",
        "GET /fapi/v1/allAlgoOrders": "AlgoOrder",
        "GET /fapi/v1/time": "ServerTime",
        "GET /fapi/v1/exchangeInfo": "ExchangeInfo",
        "GET /fapi/v1/userTrades": "UserTrade",
        "GET /fapi/v1/income": "Income",
        "POST /fapi/v1/listenKey": "ListenKey",
        "PUT /fapi/v1/listenKey": "ListenKey",
    },
    "spot": {
        "GET /api/v3/ticker/price": "TickerPrice",
        "GET /api/v3/ticker/bookTicker": "BookTicker",
        "GET /api/v3/ticker/24hr": "Ticker24hr",
        "GET /api/v3/ticker": "RollingTicker",
        "GET /api/v3/ticker/tradingDay": "RollingTicker",
        "GET /api/v3/depth": "OrderBook",
        "GET /api/v3/trades": "Trade",
        "GET /api/v3/historicalTrades": "Trade",
        "GET /api/v3/aggTrades": "AggTrade",
        "GET /api/v3/account": "Account",
        "GET /api/v3/order": "Order",
        "POST /api/v3/order": "Order",
        "DELETE /api/v3/order": "Order",
        "GET /api/v3/openOrders": "Order",
        "DELETE /api/v3/openOrders": "Order",
        "GET /api/v3/allOrders": "Order",
        "POST /api/v3/sor/order": "Order",
        "GET /api/v3/orderList": "OrderList",
        "DELETE /api/v3/orderList": "OrderList",
        "GET /api/v3/allOrderList": "OrderList",
        "GET /api/v3/openOrderList": "OrderList",
        "POST /api/v3/order/oco": "OrderList",
        "POST /api/v3/orderList/oco": "OrderList",
        "POST /api/v3/orderList/opo": "OrderList",
        "POST /api/v3/orderList/opoco": "OrderList",
        "POST /api/v3/orderList/oto": "OrderList",
        "POST /api/v3/orderList/otoco": "OrderList",
        "GET /api/v3/time": "ServerTime",
        "GET /api/v3/exchangeInfo": "ExchangeInfo",
        "GET /api/v3/myTrades": "UserTrade",
    },
}

ROWS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # Arrays Binance sends for a row, slot by slot (the docs' comments name each slot).
    "coinm": {
        # https://developers.binance.com/docs/derivatives/coin-margined-futures/market-data/
        # rest-api/Kline-Candlestick-Data
        "Kline": (
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
        ),
    },
    "usdm": {
        # https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/
        # rest-api/Kline-Candlestick-Data
        "Kline": (
            "open_time",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "close_time",
            "quote_asset_volume",
            "number_of_trades",
            "taker_buy_base_asset_volume",
            "taker_buy_quote_asset_volume",
            "ignore",
        ),
    },
    "spot": {
        # binance-spot-api-docs rest-api.md, "Kline/Candlestick data"
        "Kline": (
            "open_time",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "close_time",
            "quote_asset_volume",
            "number_of_trades",
            "taker_buy_base_asset_volume",
            "taker_buy_quote_asset_volume",
            "ignore",
        ),
    },
}

ROW_TIMES = frozenset({"open_time", "close_time", "number_of_trades"})
"""Row slots that are integers (times in ms, counts); the others are decimals but
``ignore``, kept as sent."""

MAPS: Mapping[str, frozenset[str]] = {
    # Objects keyed by data rather than by field names: "<METHOD path>.<field path>".
    "coinm": frozenset(),
    "usdm": frozenset(
        {
            "GET /fapi/v1/apiTradingStatus.indicators",
            "GET /fapi/v1/tradingSchedule.marketSchedules",
        }
    ),
    "spot": frozenset(),
}

SHORT_KEYS: Mapping[str, str] = {
    # Binance's one-letter keys (aggregate trades, order books), by their docs' comments.
    "a": "agg_trade_id",
    "p": "price",
    "q": "qty",
    "f": "first_trade_id",
    "l": "last_trade_id",
    "T": "time",
    "m": "is_buyer_maker",
    "M": "is_best_match",
    "E": "message_time",
}
"""``T`` beside an ``E`` is ``transaction_time`` (an order book's)."""

_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_DECIMAL_NAME = re.compile(
    r"(?i)(price|qty|quantity|amount|balance|margin|notional|rate|profit|pnl|fee|"
    r"commission|volume|value|size|ratio|interest|basis|delta|bracket.*cap|cap$|"
    r"floor|multiplier|percent|amt|wallet|cum|avg|maint|liquidation|entry|mark|index)"
)
_ID_NAME = re.compile(r"(?i)(id|ids|key)$")
_TIME_NAME = re.compile(r"(?i)(time|date|timestamp)$")


class SpecError(Exception):
    """The examples and the tables disagree; the message says where."""


# --- shapes ----------------------------------------------------------------------------------


@dataclass
class Scalar:
    kinds: set[str] = field(default_factory=set)  # str, int, float, bool, null
    samples: list[Any] = field(default_factory=list)


@dataclass
class Obj:
    name: str
    fields: dict[str, Any] = field(default_factory=dict)  # key -> shape
    seen: dict[str, int] = field(default_factory=dict)  # key -> examples that had it
    count: int = 0  # examples of this object
    where: list[str] = field(default_factory=list)  # what it is: answers, fields of others


@dataclass
class Lst:
    item: Any = None  # None: only empty lists were seen


@dataclass
class Map:
    value: Any = None


@dataclass
class Row:
    name: str


@dataclass
class Union:
    options: list[Any]


class Shapes:
    """Every named object of one market, and the answer type of each endpoint."""

    def __init__(self, market: str) -> None:
        self.market = market
        self.objects: dict[str, Obj] = {}
        self.roots: dict[str, Any] = {}  # "METHOD path" -> shape
        self.rows: Mapping[str, tuple[str, ...]] = ROWS[market]

    # --- reading ---------------------------------------------------------------------------

    def add_endpoint(self, key: str, base: str, examples: Sequence[Any]) -> None:
        root: Any = None
        for example in examples:
            root = self.merge(root, self.read(example, base, key, where=f"the answer of {key}"))
        self.roots[key] = root

    def read(self, value: Any, name: str, path: str, *, where: str) -> Any:
        if isinstance(value, dict):
            if path in MAPS[self.market]:
                shape = Map()
                for item in value.values():
                    shape.value = self.merge(shape.value, self.read(item, name, path, where=where))
                return shape
            obj = self.objects.get(name)
            if obj is None:
                obj = self.objects[name] = Obj(name)
            obj.count += 1
            if where not in obj.where:
                obj.where.append(where)
            for key, item in value.items():
                # a list's items are named in the singular (``fills``: ``OrderFill``)
                child_name = name + _pascal(_singular(key) if isinstance(item, list) else key)
                child = self.read(item, child_name, f"{path}.{key}", where=f"``{key}`` of {name}")
                obj.fields[key] = self.merge(obj.fields.get(key), child)
                obj.seen[key] = obj.seen.get(key, 0) + 1
            return obj
        if isinstance(value, list):
            shape = Lst()
            for item in value:
                if isinstance(item, list) and self._row_kind(item, path) is not None:
                    shape.item = self.merge(shape.item, Row(self._row_kind(item, path) or ""))
                    continue
                shape.item = self.merge(shape.item, self.read(item, name, path + "[]", where=where))
            return shape
        scalar = Scalar()
        scalar.kinds.add(_kind(value))
        scalar.samples.append(value)
        return scalar

    def _row_kind(self, item: list[Any], path: str) -> str | None:
        if path.endswith((".bids", ".asks")) and len(item) == 2:
            return "PriceLevel"
        if (
            "Kline" in self.rows
            and len(item) == len(self.rows["Kline"])
            and isinstance(item[0], int)
            and "lines" in path.lower()
        ):
            return "Kline"
        return None

    def merge(self, first: Any, second: Any) -> Any:
        if first is None:
            return second
        if second is None:
            return first
        if isinstance(first, Scalar) and isinstance(second, Scalar):
            first.kinds |= second.kinds
            first.samples += second.samples
            return first
        if isinstance(first, Obj) and isinstance(second, Obj) and first is second:
            return first
        if isinstance(first, Lst) and isinstance(second, Lst):
            first.item = self.merge(first.item, second.item)
            return first
        if isinstance(first, Map) and isinstance(second, Map):
            first.value = self.merge(first.value, second.value)
            return first
        if isinstance(first, Row) and isinstance(second, Row) and first.name == second.name:
            return first
        options = first.options if isinstance(first, Union) else [first]
        for option in second.options if isinstance(second, Union) else [second]:
            for index, known in enumerate(options):
                if type(known) is type(option) and not isinstance(known, Row | Obj):
                    options[index] = self.merge(known, option)
                    break
                if known is option:
                    break
            else:
                if isinstance(option, Scalar) and option.kinds == {"null"}:
                    continue
                options.append(option)
        return options[0] if len(options) == 1 else Union(options)

    # --- types -------------------------------------------------------------------------------

    def typed_dict_type(self, shape: Any, names: set[str]) -> str:
        """The annotation of ``shape`` in a TypedDict (JSON as decoded)."""
        if shape is None:
            return "list[Any]"
        if isinstance(shape, Scalar):
            kinds = shape.kinds - {"null"}
            order = ["str", "int", "float", "bool"]
            if kinds == {"int", "float"}:
                kinds = {"float"}
            parts = [kind for kind in order if kind in kinds] or ["Any"]
            if "null" in shape.kinds and parts != ["Any"]:
                parts.append("None")
            if "Any" in parts:
                names.add("Any")
            return " | ".join(parts)
        if isinstance(shape, Obj):
            names.add(shape.name + "Dict")
            return shape.name + "Dict"
        if isinstance(shape, Lst):
            if shape.item is None:
                names.add("Any")
                return "list[Any]"
            return f"list[{self.typed_dict_type(shape.item, names)}]"
        if isinstance(shape, Map):
            return f"dict[str, {self.typed_dict_type(shape.value, names)}]"
        if isinstance(shape, Row):
            return "list[int | str]" if shape.name == "Kline" else "list[str]"
        if isinstance(shape, Union):
            parts = [self.typed_dict_type(option, names) for option in shape.options]
            nullable = any(_only_null(option) for option in shape.options)
            parts = [
                part for part, o in zip(parts, shape.options, strict=True) if not _only_null(o)
            ]
            return " | ".join(dict.fromkeys([*parts, *(["None"] if nullable else [])]))
        raise SpecError(f"unknown shape {shape!r}")

    def model_type(self, shape: Any, key: str, names: set[str]) -> str:
        """The annotation of ``shape`` in a pydantic model (``key``: its JSON key)."""
        if shape is None:
            names.add("Any")
            return "list[Any]"
        if isinstance(shape, Scalar):
            return _scalar_model_type(shape, key, names)
        if isinstance(shape, Obj):
            return shape.name
        if isinstance(shape, Lst):
            if shape.item is None:
                names.add("Any")
                return "list[Any]"
            return f"list[{self.model_type(shape.item, key, names)}]"
        if isinstance(shape, Map):
            return f"dict[str, {self.model_type(shape.value, key, names)}]"
        if isinstance(shape, Row):
            if shape.name == "PriceLevel":
                names.add("PriceLevel")
            return shape.name
        if isinstance(shape, Union):
            options = [o for o in shape.options if not _only_null(o)]
            parts = [self.model_type(option, key, names) for option in options]
            return " | ".join(dict.fromkeys(parts))
        raise SpecError(f"unknown shape {shape!r}")

    def root_names(self, key: str) -> tuple[str, str] | None:
        """The TypedDict and model annotations of an endpoint's answer."""
        root = self.roots.get(key)
        if root is None:
            return None
        return self.typed_dict_type(root, set()), self.model_type(root, "", set())


def _only_null(shape: Any) -> bool:
    return isinstance(shape, Scalar) and shape.kinds <= {"null"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    raise SpecError(f"unexpected JSON value {value!r}")


FIELD_TYPES: Mapping[str, str] = {
    # COIN-M ticker/price's ``ps`` is the pair ("BTCUSD"); the docs example shows a price
    # there, which would make it a decimal.
    "ps": "str",
}
"""Field types the examples get wrong, by JSON key."""

_INTEGER_TEXT = re.compile(r"^-?\d+$")


def _scalar_model_type(shape: Scalar, key: str, names: set[str]) -> str:
    """A scalar's model type from its examples and its key: ids and times stay integers
    or texts, numeric texts and fractional numbers become decimals (integral numbers stay
    ``int`` unless the key names an amount, a price or a rate), ``"true"``/``"false"``
    texts booleans."""
    if key in FIELD_TYPES:
        return FIELD_TYPES[key]
    kinds = shape.kinds - {"null"}
    samples = [sample for sample in shape.samples if sample is not None]
    texts = [sample for sample in samples if isinstance(sample, str)]
    if not kinds:
        names.add("Any")
        return "Any"
    if kinds == {"bool"}:
        return "bool"
    if kinds == {"str"} and all(text in ("true", "false") for text in texts):
        return "bool"
    numeric = all(
        isinstance(sample, int | float) or _DECIMAL_TEXT.match(sample) or sample == ""
        for sample in samples
        if not isinstance(sample, bool)
    ) and any(not isinstance(sample, str) or sample for sample in samples)
    # A number sent as text is a decimal (a price "30004" may be "30003.2" next time),
    # but a time sent as text is still a time.
    is_time = bool(_TIME_NAME.search(key)) or key in ("T", "E")
    integral = numeric and all(
        isinstance(sample, int)
        or (is_time and isinstance(sample, str) and _INTEGER_TEXT.match(sample))
        for sample in samples
    )
    if _ID_NAME.search(key) and not _DECIMAL_NAME.search(key):
        if kinds <= {"int"}:
            return "int"
        if kinds <= {"str"}:
            return "str"
        return "int | str"
    if bool(kinds - {"int", "float", "str"}) or not numeric:
        if kinds == {"str"}:
            return "str"
        names.add("Any")
        return "Any"
    if integral and (is_time or not _DECIMAL_NAME.search(key)):
        return "int"
    names.add("DecimalField")
    return "DecimalField"


def _singular(key: str) -> str:
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith("sses") or not key.endswith("s") or key.endswith("ss"):
        return key
    return key[:-1]


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def snake(key: str, siblings: Iterable[str]) -> str:
    """A JSON key as a snake_case attribute (``orderId`` is ``order_id``; one-letter keys
    by SHORT_KEYS)."""
    if len(key) == 1:
        if key == "T" and "E" in siblings:
            return "transaction_time"
        if key not in SHORT_KEYS:
            raise SpecError(f"no name for the one-letter key {key!r}: add it to SHORT_KEYS")
        return SHORT_KEYS[key]
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name).lower()
    if keyword.iskeyword(name) or name.startswith("model_"):
        name += "_"
    return name

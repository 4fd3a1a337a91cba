"""Typed COIN-M response models, checked against Binance's documented example responses."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from decimal import Decimal
from types import ModuleType
from typing import Any, get_origin

import pydantic
import pytest
from spec_files import SPEC_DIR

from aioca_binance.coinm import models
from aioca_binance.coinm.models import (
    RESPONSE_MODELS,
    Account,
    AccountAsset,
    AccountPosition,
    AggTrade,
    Balance,
    BookTicker,
    FundingRate,
    Kline,
    OpenInterest,
    Order,
    OrderBook,
    PositionRisk,
    PremiumIndex,
    PriceLevel,
    Ticker24hr,
    TickerPrice,
    Trade,
    parse_response,
    response_adapter,
)

KLINE_PATHS = [
    "/dapi/v1/klines",
    "/dapi/v1/continuousKlines",
    "/dapi/v1/indexPriceKlines",
    "/dapi/v1/markPriceKlines",
    "/dapi/v1/premiumIndexKlines",
]
ORDER_ENDPOINTS = [
    ("GET", "/dapi/v1/order"),
    ("POST", "/dapi/v1/order"),
    ("PUT", "/dapi/v1/order"),
    ("DELETE", "/dapi/v1/order"),
    ("GET", "/dapi/v1/openOrder"),
]
ALL_ENDPOINTS = sorted(RESPONSE_MODELS)


@pytest.fixture(scope="module")
def responses() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SPEC_DIR / "binance-coinm-responses.json").read_text(encoding="utf-8")
    )
    return data


@pytest.fixture(scope="module")
def rest_endpoints() -> dict[tuple[str, str], dict[str, Any]]:
    entries = json.loads((SPEC_DIR / "binance-coinm-rest.json").read_text(encoding="utf-8"))
    return {(e["method"], e["path"]): e for e in entries}


def example(responses: dict[str, Any], method: str, path: str) -> Any:
    """A deep copy of the documented example, so a test may change it freely."""
    return copy.deepcopy(responses[f"{method} {path}"]["example"])


def parsed(responses: dict[str, Any], method: str, path: str) -> Any:
    return parse_response(method, path, example(responses, method, path))


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_documented_example_parses(responses: dict[str, Any], method: str, path: str) -> None:
    response_type = RESPONSE_MODELS[(method, path)]
    result = parsed(responses, method, path)
    if get_origin(response_type) is list:
        (item_type,) = response_type.__args__  # type: ignore[attr-defined]
        assert isinstance(result, list)
        assert result
        assert all(isinstance(item, item_type) for item in result)
    else:
        assert isinstance(result, response_type)  # type: ignore[arg-type]


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_registry_key_is_a_real_endpoint(
    rest_endpoints: dict[tuple[str, str], dict[str, Any]], method: str, path: str
) -> None:
    assert (method, path) in rest_endpoints


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
def test_list_or_object_matches_rest_spec(
    rest_endpoints: dict[tuple[str, str], dict[str, Any]], method: str, path: str
) -> None:
    is_list = get_origin(RESPONSE_MODELS[(method, path)]) is list
    assert rest_endpoints[(method, path)]["response_kind"] == ("array" if is_list else "object")


@pytest.mark.parametrize(
    ("method", "path"), [key for key in ALL_ENDPOINTS if key[1] not in KLINE_PATHS]
)
def test_field_names_are_the_wire_keys(responses: dict[str, Any], method: str, path: str) -> None:
    raw = example(responses, method, path)
    result = parse_response(method, path, raw)
    raw_items = raw if isinstance(raw, list) else [raw]
    items = result if isinstance(result, list) else [result]
    for raw_item, item in zip(raw_items, items, strict=True):
        assert set(item.model_dump(exclude_unset=True)) == set(raw_item)


def test_registry_covers_the_requested_endpoints() -> None:
    wanted = {("GET", path) for path in KLINE_PATHS} | set(ORDER_ENDPOINTS)
    wanted |= {
        ("GET", f"/dapi/v1/{name}")
        for name in (
            "ticker/price",
            "ticker/bookTicker",
            "ticker/24hr",
            "depth",
            "trades",
            "historicalTrades",
            "aggTrades",
            "premiumIndex",
            "fundingRate",
            "openInterest",
            "account",
            "balance",
            "positionRisk",
            "openOrders",
            "allOrders",
        )
    }
    assert wanted <= set(RESPONSE_MODELS)


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        RESPONSE_MODELS[("GET", "/dapi/v1/time")] = object  # type: ignore[index]


def test_all_is_sorted_and_complete() -> None:
    # isort-style, as ruff's RUF022 wants: CONSTANTS, then Classes, then functions.
    def isort_key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert models.__all__ == sorted(models.__all__, key=isort_key)
    assert all(hasattr(models, name) for name in models.__all__)


# --------------------------------------------------------------------------- klines


def test_kline_open_is_the_example_decimal(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/klines")[0]
    assert candle.open == Decimal("9640.7")
    assert type(candle.open) is Decimal


def test_kline_slots_map_in_order(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/klines")[0]
    assert candle.open_time == 1591258320000
    assert candle.high == Decimal("9642.4")
    assert candle.low == Decimal("9640.6")
    assert candle.close == Decimal("9642.0")
    assert candle.volume == Decimal("206")
    assert candle.close_time == 1591258379999
    assert candle.base_asset_volume == Decimal("2.13660389")
    assert candle.number_of_trades == 48
    assert candle.taker_buy_volume == Decimal("119")
    assert candle.taker_buy_base_asset_volume == Decimal("1.23424865")
    assert candle.ignore == "0"


def test_kline_times_and_trade_count_are_ints(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/klines")[0]
    assert type(candle.open_time) is int
    assert type(candle.close_time) is int
    assert type(candle.number_of_trades) is int


def test_continuous_kline_parses_like_klines(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/continuousKlines")[0]
    assert candle.close == Decimal("9642.0")
    assert candle.number_of_trades == 48


def test_index_price_kline_has_zero_volumes(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/indexPriceKlines")[0]
    assert candle.open == Decimal("9653.69440000")
    assert candle.volume == 0
    assert candle.taker_buy_volume == 0
    assert candle.number_of_trades == 60


def test_mark_price_kline_values(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/markPriceKlines")[0]
    assert candle.high == Decimal("9654.56401333")
    assert candle.close_time == 1591256519999


def test_premium_index_kline_keeps_negative_values(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/premiumIndexKlines")[0]
    assert candle.open == Decimal("-0.00042931")
    assert candle.low == Decimal("-0.00059406")


def test_kline_endpoints_share_one_adapter() -> None:
    adapters = {id(response_adapter("GET", path)) for path in KLINE_PATHS}
    assert len(adapters) == 1


def test_kline_with_three_slots_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="12 slots, got 3"):
        parse_response("GET", "/dapi/v1/klines", [[1591258320000, "9640.7", "9642.4"]])


def test_kline_with_non_numeric_open_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/klines")
    body[0][1] = "not a number"
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/klines", body)


def test_kline_that_is_not_an_array_or_mapping_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/klines", ["9640.7"])


def test_kline_extra_slots_are_kept(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/klines")
    body[0] += ["new", 7]
    candle = parse_response("GET", "/dapi/v1/klines", body)[0]
    assert candle.model_extra == {"slot_12": "new", "slot_13": 7}


def test_kline_accepts_a_tuple(responses: dict[str, Any]) -> None:
    row = tuple(example(responses, "GET", "/dapi/v1/klines")[0])
    assert Kline.model_validate(row).close_time == 1591258379999


def test_kline_accepts_its_own_dump(responses: dict[str, Any]) -> None:
    candle = parsed(responses, "GET", "/dapi/v1/klines")[0]
    assert Kline.model_validate(candle.model_dump()) == candle


# --------------------------------------------------------------------------- tickers


def test_ticker_price_is_a_decimal_not_a_float(responses: dict[str, Any]) -> None:
    (ticker,) = parsed(responses, "GET", "/dapi/v1/ticker/price")
    assert isinstance(ticker, TickerPrice)
    assert type(ticker.price) is Decimal
    assert ticker.price == Decimal("9647.8")


def test_ticker_price_symbol_pair_and_time(responses: dict[str, Any]) -> None:
    (ticker,) = parsed(responses, "GET", "/dapi/v1/ticker/price")
    assert ticker.symbol == "BTCUSD_200626"
    # The documented example puts a price in "ps" (a doc typo for the pair); it is a string.
    assert ticker.ps == "9647.8"
    assert ticker.time == 1591257246176


def test_ticker_price_for_one_symbol_is_still_a_list(responses: dict[str, Any]) -> None:
    assert isinstance(parsed(responses, "GET", "/dapi/v1/ticker/price"), list)


def test_ticker_price_dumps_back_to_the_wire_json(responses: dict[str, Any]) -> None:
    raw = example(responses, "GET", "/dapi/v1/ticker/price")
    result = parse_response("GET", "/dapi/v1/ticker/price", raw)
    assert response_adapter("GET", "/dapi/v1/ticker/price").dump_python(result, mode="json") == raw


def test_ticker_price_with_non_numeric_price_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/ticker/price")
    body[0]["price"] = "abc"
    with pytest.raises(pydantic.ValidationError, match="price"):
        parse_response("GET", "/dapi/v1/ticker/price", body)


def test_ticker_price_nan_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/ticker/price")
    body[0]["price"] = "NaN"
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/ticker/price", body)


def test_ticker_price_missing_field_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/ticker/price")
    del body[0]["price"]
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/ticker/price", body)


def test_ticker_price_unknown_field_is_kept(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/ticker/price")
    body[0]["newField"] = "1.5"
    (ticker,) = parse_response("GET", "/dapi/v1/ticker/price", body)
    assert ticker.model_extra == {"newField": "1.5"}
    assert ticker.newField == "1.5"


def test_object_response_given_a_list_is_rejected(responses: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_response(
            "GET", "/dapi/v1/openInterest", [example(responses, "GET", "/dapi/v1/openInterest")]
        )


def test_models_are_frozen(responses: dict[str, Any]) -> None:
    (ticker,) = parsed(responses, "GET", "/dapi/v1/ticker/price")
    with pytest.raises(pydantic.ValidationError):
        ticker.price = Decimal(1)


def test_book_ticker_values(responses: dict[str, Any]) -> None:
    (ticker,) = parsed(responses, "GET", "/dapi/v1/ticker/bookTicker")
    assert isinstance(ticker, BookTicker)
    assert ticker.lastUpdateId == 1027024
    assert ticker.bidPrice == Decimal("9650.1")
    assert ticker.askQty == Decimal("7")
    assert ticker.time == 1591257300345


def test_ticker_24hr_values(responses: dict[str, Any]) -> None:
    (ticker,) = parsed(responses, "GET", "/dapi/v1/ticker/24hr")
    assert isinstance(ticker, Ticker24hr)
    assert ticker.priceChangePercent == Decimal("1.436")
    assert ticker.baseVolume == Decimal("5192.94797687")
    assert ticker.openTime == 1591170300000
    assert (ticker.firstId, ticker.lastId, ticker.count) == (600507, 697803, 97297)


# --------------------------------------------------------------------------- depth, trades


def test_order_book_levels_are_price_levels(responses: dict[str, Any]) -> None:
    book = parsed(responses, "GET", "/dapi/v1/depth")
    assert isinstance(book, OrderBook)
    assert book.bids == [PriceLevel(Decimal("9638.0"), Decimal("431"))]
    assert book.asks[0].price == Decimal("9638.2")
    assert book.asks[0].qty == Decimal("12")


def test_order_book_level_unpacks_as_a_pair(responses: dict[str, Any]) -> None:
    price, qty = parsed(responses, "GET", "/dapi/v1/depth").bids[0]
    assert (price, qty) == (Decimal("9638.0"), Decimal("431"))


def test_order_book_times(responses: dict[str, Any]) -> None:
    book = parsed(responses, "GET", "/dapi/v1/depth")
    assert (book.E, book.T) == (1591250106370, 1591250106368)
    assert (book.message_time, book.transaction_time) == (book.E, book.T)
    assert book.lastUpdateId == 16769853


def test_order_book_level_with_three_entries_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/depth")
    body["bids"][0].append("1")
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/depth", body)


def test_order_book_dumps_back_to_the_wire_json(responses: dict[str, Any]) -> None:
    raw = example(responses, "GET", "/dapi/v1/depth")
    book = parse_response("GET", "/dapi/v1/depth", raw)
    assert book.model_dump(mode="json") == raw


def test_trade_values(responses: dict[str, Any]) -> None:
    (trade,) = parsed(responses, "GET", "/dapi/v1/trades")
    assert isinstance(trade, Trade)
    assert trade.id == 28457
    assert trade.price == Decimal("9635.0")
    assert trade.baseQty == Decimal("0.01037883")
    assert trade.isBuyerMaker is True


def test_historical_trade_values(responses: dict[str, Any]) -> None:
    (trade,) = parsed(responses, "GET", "/dapi/v1/historicalTrades")
    assert isinstance(trade, Trade)
    assert trade.id == 595103
    assert trade.time == 1499865549590


def test_agg_trade_keeps_the_wire_keys(responses: dict[str, Any]) -> None:
    (trade,) = parsed(responses, "GET", "/dapi/v1/aggTrades")
    assert isinstance(trade, AggTrade)
    assert (trade.a, trade.f, trade.l, trade.T) == (416690, 595259, 595259, 1591250548649)
    assert trade.p == Decimal("9642.4")
    assert trade.q == Decimal("3")
    assert trade.m is False


def test_agg_trade_readable_properties(responses: dict[str, Any]) -> None:
    (trade,) = parsed(responses, "GET", "/dapi/v1/aggTrades")
    assert trade.agg_trade_id == 416690
    assert trade.price == Decimal("9642.4")
    assert trade.qty == Decimal("3")
    assert (trade.first_trade_id, trade.last_trade_id) == (595259, 595259)
    assert trade.time == 1591250548649
    assert trade.is_buyer_maker is False


def test_agg_trade_dumps_back_to_the_wire_json(responses: dict[str, Any]) -> None:
    raw = example(responses, "GET", "/dapi/v1/aggTrades")
    result = parse_response("GET", "/dapi/v1/aggTrades", raw)
    assert response_adapter("GET", "/dapi/v1/aggTrades").dump_python(result, mode="json") == raw


# --------------------------------------------------------------------------- funding, interest


def test_premium_index_perpetual_rates(responses: dict[str, Any]) -> None:
    perpetual = parsed(responses, "GET", "/dapi/v1/premiumIndex")[0]
    assert isinstance(perpetual, PremiumIndex)
    assert perpetual.markPrice == Decimal("11029.69574559")
    assert perpetual.lastFundingRate == Decimal("0.00071003")
    assert perpetual.interestRate == Decimal("0.00010000")
    assert perpetual.nextFundingTime == 1596096000000


def test_premium_index_delivery_blank_rates_become_none(responses: dict[str, Any]) -> None:
    delivery = parsed(responses, "GET", "/dapi/v1/premiumIndex")[1]
    assert delivery.symbol == "BTCUSD_200925"
    assert delivery.lastFundingRate is None
    assert delivery.interestRate is None
    assert delivery.nextFundingTime == 0


def test_premium_index_rate_that_is_not_a_number_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/premiumIndex")
    body[0]["lastFundingRate"] = "n/a"
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/premiumIndex", body)


def test_funding_rate_values(responses: dict[str, Any]) -> None:
    rates = parsed(responses, "GET", "/dapi/v1/fundingRate")
    assert all(isinstance(rate, FundingRate) for rate in rates)
    assert [rate.fundingTime for rate in rates] == [1596038400000, 1596067200000]
    assert rates[0].fundingRate == Decimal("-0.00300000")


def test_open_interest_is_an_object(responses: dict[str, Any]) -> None:
    interest = parsed(responses, "GET", "/dapi/v1/openInterest")
    assert isinstance(interest, OpenInterest)
    assert interest.openInterest == Decimal("15004")
    assert interest.contractType == "CURRENT_QUARTER"
    assert interest.time == 1591261042378


# --------------------------------------------------------------------------- account


def test_account_nested_models(responses: dict[str, Any]) -> None:
    account = parsed(responses, "GET", "/dapi/v1/account")
    assert isinstance(account, Account)
    assert [type(asset) for asset in account.assets] == [AccountAsset]
    assert [type(p) for p in account.positions] == [AccountPosition] * 3


def test_account_asset_values(responses: dict[str, Any]) -> None:
    (asset,) = parsed(responses, "GET", "/dapi/v1/account").assets
    assert asset.asset == "BTC"
    assert asset.walletBalance == Decimal("0.00241969")
    assert asset.unrealizedProfit == 0
    assert asset.updateTime == 1625474304765


def test_account_position_values(responses: dict[str, Any]) -> None:
    positions = parsed(responses, "GET", "/dapi/v1/account").positions
    assert [p.positionSide for p in positions] == ["BOTH", "LONG", "SHORT"]
    assert positions[0].leverage == 125
    assert positions[0].isolated is False
    assert positions[0].maxQty == Decimal("50")


def test_account_position_notional_value_is_optional(responses: dict[str, Any]) -> None:
    positions = parsed(responses, "GET", "/dapi/v1/account").positions
    assert positions[0].notionalValue is None
    assert positions[2].notionalValue == Decimal("0")


def test_account_flags(responses: dict[str, Any]) -> None:
    account = parsed(responses, "GET", "/dapi/v1/account")
    assert (account.canDeposit, account.canTrade, account.canWithdraw) == (True, True, True)
    assert account.feeTier == 2


def test_balance_values(responses: dict[str, Any]) -> None:
    (balance,) = parsed(responses, "GET", "/dapi/v1/balance")
    assert isinstance(balance, Balance)
    assert balance.accountAlias == "SgsR"
    assert balance.balance == Decimal("0.00250000")
    assert balance.availableBalance == Decimal("0.00241969")
    assert balance.updateTime == 1592468353979


def test_position_risk_values(responses: dict[str, Any]) -> None:
    long = parsed(responses, "GET", "/dapi/v1/positionRisk")[1]
    assert isinstance(long, PositionRisk)
    assert long.positionSide == "LONG"
    assert long.positionAmt == Decimal("1")
    assert long.entryPrice == Decimal("11707.70000003")
    assert long.liquidationPrice == Decimal("11667.63509587")
    assert long.leverage == 125


def test_position_risk_string_boolean_becomes_bool(responses: dict[str, Any]) -> None:
    positions = parsed(responses, "GET", "/dapi/v1/positionRisk")
    assert [p.isAutoAddMargin for p in positions] == [False, False, False]


# --------------------------------------------------------------------------- orders


@pytest.mark.parametrize(("method", "path"), ORDER_ENDPOINTS)
def test_order_endpoints_return_one_order(
    responses: dict[str, Any], method: str, path: str
) -> None:
    order = parsed(responses, method, path)
    assert isinstance(order, Order)
    assert type(order.orderId) is int
    assert type(order.origQty) is Decimal


def test_query_order_values(responses: dict[str, Any]) -> None:
    order = parsed(responses, "GET", "/dapi/v1/order")
    assert order.orderId == 1917641
    assert order.origQty == Decimal("0.40")
    assert order.activatePrice == Decimal("9020")
    assert order.priceRate == Decimal("0.3")
    assert order.time == 1579276756075
    assert order.cumQty is None


def test_new_order_values(responses: dict[str, Any]) -> None:
    order = parsed(responses, "POST", "/dapi/v1/order")
    assert order.clientOrderId == "testOrder"
    assert order.cumQty == Decimal("0")
    assert order.time is None
    assert order.updateTime == 1566818724722


def test_new_order_without_avg_price_and_cum_base(responses: dict[str, Any]) -> None:
    # Since the COIN-M/USD-M integration, placement responses lack avgPrice and cumBase.
    body = example(responses, "POST", "/dapi/v1/order")
    del body["avgPrice"], body["cumBase"]
    order = parse_response("POST", "/dapi/v1/order", body)
    assert (order.avgPrice, order.cumBase) == (None, None)


def test_modify_order_values(responses: dict[str, Any]) -> None:
    order = parsed(responses, "PUT", "/dapi/v1/order")
    assert order.orderId == 20072994037
    assert order.price == Decimal("30005")
    assert order.type == "LIMIT"
    assert order.activatePrice is None


def test_cancel_order_values(responses: dict[str, Any]) -> None:
    order = parsed(responses, "DELETE", "/dapi/v1/order")
    assert order.status == "CANCELED"
    assert order.orderId == 283194212
    assert order.reduceOnly is False


def test_open_order_values(responses: dict[str, Any]) -> None:
    order = parsed(responses, "GET", "/dapi/v1/openOrder")
    assert order.pair == "BTCUSD"
    assert order.stopPrice == Decimal("9300")
    assert order.priceProtect is False


def test_open_orders_entry_without_pair(responses: dict[str, Any]) -> None:
    (order,) = parsed(responses, "GET", "/dapi/v1/openOrders")
    assert isinstance(order, Order)
    assert order.pair is None
    assert order.symbol == "BTCUSD_200925"


def test_all_orders_values(responses: dict[str, Any]) -> None:
    (order,) = parsed(responses, "GET", "/dapi/v1/allOrders")
    assert isinstance(order, Order)
    assert order.avgPrice == Decimal("0.0")
    assert order.selfTradePreventionMode == "NONE"


def test_order_unknown_field_is_kept(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/order")
    body["goodTillDate"] = 0
    order = parse_response("GET", "/dapi/v1/order", body)
    assert order.model_extra == {"goodTillDate": 0}


def test_order_with_fractional_order_id_is_rejected(responses: dict[str, Any]) -> None:
    body = example(responses, "GET", "/dapi/v1/order")
    body["orderId"] = 1.5
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/order", body)


# --------------------------------------------------------------------------- lookup, laziness


def test_endpoint_without_a_model_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="GET /dapi/v1/time"):
        parse_response("GET", "/dapi/v1/time", {"serverTime": 1})


def test_known_path_with_other_method_raises_lookup_error() -> None:
    with pytest.raises(LookupError):
        parse_response("POST", "/dapi/v1/klines", [])


def test_method_is_case_insensitive(responses: dict[str, Any]) -> None:
    interest = parse_response(
        "get", "/dapi/v1/openInterest", example(responses, "GET", "/dapi/v1/openInterest")
    )
    assert isinstance(interest, OpenInterest)


def test_response_adapter_is_cached() -> None:
    first = response_adapter("GET", "/dapi/v1/depth")
    assert response_adapter("GET", "/dapi/v1/depth") is first


@pytest.fixture
def fresh_models(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[object]]:
    """A separate copy of the models module, imported while TypeAdapter builds are counted."""
    built: list[object] = []
    original_init = pydantic.TypeAdapter.__init__

    def counting_init(self: Any, type_: Any, *args: Any, **kwargs: Any) -> None:
        built.append(type_)
        original_init(self, type_, *args, **kwargs)

    monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counting_init)
    name = "aioca_binance.coinm._models_fresh_copy_for_tests"
    spec = importlib.util.spec_from_file_location(name, models.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module, built


def test_import_builds_no_adapter(fresh_models: tuple[ModuleType, list[object]]) -> None:
    module, built = fresh_models
    assert built == []
    assert module._ADAPTERS == {}


def test_import_builds_no_model_validator(fresh_models: tuple[ModuleType, list[object]]) -> None:
    module, _ = fresh_models
    assert module.Kline.__pydantic_complete__ is False
    assert module.Order.__pydantic_complete__ is False


def test_parse_twice_builds_one_adapter(
    responses: dict[str, Any], fresh_models: tuple[ModuleType, list[object]]
) -> None:
    module, built = fresh_models
    body = example(responses, "GET", "/dapi/v1/klines")
    first = module.parse_response("GET", "/dapi/v1/klines", body)
    second = module.parse_response("GET", "/dapi/v1/klines", body)
    assert first == second
    assert built == [module.RESPONSE_MODELS[("GET", "/dapi/v1/klines")]]


def test_lookup_error_builds_no_adapter(fresh_models: tuple[ModuleType, list[object]]) -> None:
    module, built = fresh_models
    with pytest.raises(LookupError):
        module.parse_response("GET", "/dapi/v1/ping", {})
    assert built == []

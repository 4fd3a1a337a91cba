"""The rules Binance states in prose (the spec's notes and parameter descriptions) that the
simulator enforces, each both ways: the request that breaks the sentence is refused with
Binance's code and message, the same request keeping it is accepted. The checks run on the
simulator's own reading of its spec copy (``read_params``), and a few over HTTP, so the
client plays no part; the inventory test keeps every rule-like sentence of the three spec
files either read by a pattern of ``aioca_binance_sim.rules`` or explained
(``sim_rules_inventory.EXPLAINED``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sim_core_helpers import call
from sim_rules_inventory import EXPLAINED, inventory, texts

from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.endpoints import endpoints
from aioca_binance_sim.errors import SimError
from aioca_binance_sim.params import read_params

MISSING = "Mandatory parameter '{}' was not sent, was empty/null, or malformed."
NOT_REQUIRED = "Parameter '{}' sent when not required."
EITHER = "Param '{}' or '{}' must be sent, but both were empty/null!"
INVALID = "Data sent for parameter '{}' is not valid."
COMBINATION = "Combination of optional parameters invalid."


def _read(market: str, method: str, path: str, params: dict[str, str]) -> dict[str, Any]:
    spec = next(s for s in endpoints(market) if (s.method, s.path) == (method, path))
    return read_params(spec, params)


def _refused(market: str, method: str, path: str, params: dict[str, str]) -> tuple[int, str]:
    with pytest.raises(SimError) as caught:
        _read(market, method, path, params)
    return caught.value.code, caught.value.msg


# --- Spot ---------------------------------------------------------------------------------

LEGACY_OCO = {
    "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.1", "price": "110000",
    "stopPrice": "90000",
}  # fmt: skip


def test_oco_stop_limit_price_needs_its_time_in_force() -> None:
    """``stopLimitPrice``: "If provided, `stopLimitTimeInForce` is required." """
    path = "/api/v3/order/oco"
    broken = {**LEGACY_OCO, "stopLimitPrice": "89900"}
    assert _refused("spot", "POST", path, broken) == (
        -1102,
        MISSING.format("stopLimitTimeInForce"),
    )
    kept = {**broken, "stopLimitTimeInForce": "GTC"}
    assert _read("spot", "POST", path, kept)["stopLimitTimeInForce"] == "GTC"
    assert "stopLimitPrice" not in _read("spot", "POST", path, LEGACY_OCO)


OCO = {
    "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.1",
    "aboveType": "LIMIT_MAKER", "abovePrice": "110000",
    "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": "90000", "belowPrice": "89900",
    "belowTimeInForce": "GTC",
}  # fmt: skip
OCO_PATH = "/api/v3/orderList/oco"


def test_oco_leg_time_in_force_is_required_for_limit_stops() -> None:
    """``belowTimeInForce``: "Required if `belowType` is `STOP_LOSS_LIMIT` or
    `TAKE_PROFIT_LIMIT`."""
    broken = {k: v for k, v in OCO.items() if k != "belowTimeInForce"}
    assert _refused("spot", "POST", OCO_PATH, broken) == (
        -1102,
        MISSING.format("belowTimeInForce"),
    )
    _read("spot", "POST", OCO_PATH, OCO)
    # a STOP_LOSS (market) leg needs none
    market_stop = {**broken, "belowType": "STOP_LOSS"}
    del market_stop["belowPrice"]
    _read("spot", "POST", OCO_PATH, market_stop)


def test_oco_leg_price_and_stop_price_only_for_the_types_that_use_them() -> None:
    """``abovePrice``: "Can be used if `aboveType` is `STOP_LOSS_LIMIT`, `LIMIT_MAKER`, or
    `TAKE_PROFIT_LIMIT`"; ``aboveStopPrice``: "Can be used if `aboveType` is `STOP_LOSS`,
    `STOP_LOSS_LIMIT`, `TAKE_PROFIT`, `TAKE_PROFIT_LIMIT`"."""
    stop_on_maker = {**OCO, "aboveStopPrice": "111000"}
    assert _refused("spot", "POST", OCO_PATH, stop_on_maker) == (
        -1106,
        NOT_REQUIRED.format("aboveStopPrice"),
    )
    market_stop = {k: v for k, v in OCO.items() if k != "belowTimeInForce"}
    market_stop["belowType"] = "STOP_LOSS"
    assert _refused("spot", "POST", OCO_PATH, market_stop) == (
        -1106,
        NOT_REQUIRED.format("belowPrice"),
    )
    del market_stop["belowPrice"]
    _read("spot", "POST", OCO_PATH, market_stop)


def test_oco_stop_leg_needs_a_stop_price_or_a_trailing_delta_or_both() -> None:
    """``belowStopPrice``: "Either `belowStopPrice` or `belowTrailingDelta` or both, must
    be specified." (for the stop types, where the stop price can be used at all)."""
    broken = {k: v for k, v in OCO.items() if k != "belowStopPrice"}
    assert _refused("spot", "POST", OCO_PATH, broken) == (
        -1102,
        EITHER.format("belowStopPrice", "belowTrailingDelta"),
    )
    _read("spot", "POST", OCO_PATH, {**broken, "belowTrailingDelta": "100"})
    _read("spot", "POST", OCO_PATH, {**OCO, "belowTrailingDelta": "100"})


def test_oco_leg_iceberg_only_on_gtc_or_limit_maker_legs() -> None:
    """``belowIcebergQty``: "this can only be used if `belowTimeInForce` is `GTC`"; a
    LIMIT_MAKER leg (no time in force) may be an iceberg too (New Order's note)."""
    ioc = {**OCO, "belowTimeInForce": "IOC", "belowIcebergQty": "1"}
    assert _refused("spot", "POST", OCO_PATH, ioc) == (
        -1106,
        NOT_REQUIRED.format("belowIcebergQty"),
    )
    _read("spot", "POST", OCO_PATH, {**OCO, "belowIcebergQty": "1"})
    _read("spot", "POST", OCO_PATH, {**OCO, "aboveIcebergQty": "1"})


OTO = {
    "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "SELL",
    "workingPrice": "110000", "workingQuantity": "0.1", "workingTimeInForce": "GTC",
    "pendingType": "MARKET", "pendingSide": "BUY", "pendingQuantity": "0.1",
}  # fmt: skip


def test_oto_working_iceberg_needs_gtc_or_limit_maker() -> None:
    """``workingIcebergQty``: "This can only be used if `workingTimeInForce` is `GTC`, or
    if `workingType` is `LIMIT_MAKER`."""
    path = "/api/v3/orderList/oto"
    fok = {**OTO, "workingTimeInForce": "FOK", "workingIcebergQty": "0.01"}
    assert _refused("spot", "POST", path, fok) == (-1106, NOT_REQUIRED.format("workingIcebergQty"))
    _read("spot", "POST", path, {**OTO, "workingIcebergQty": "0.01"})
    maker = {k: v for k, v in OTO.items() if k != "workingTimeInForce"}
    maker.update(workingType="LIMIT_MAKER", workingIcebergQty="0.01")
    _read("spot", "POST", path, maker)


ORDER = {
    "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
    "quantity": "0.01", "price": "90000",
}  # fmt: skip


def test_strategy_types_below_one_million_are_reserved() -> None:
    """``strategyType``: "The value cannot be less than `1000000`." (and the order lists'
    "Values smaller than `1000000` are reserved and cannot be used.")."""
    path = "/api/v3/order"
    assert _refused("spot", "POST", path, {**ORDER, "strategyType": "999999"}) == (
        -1130,
        INVALID.format("strategyType"),
    )
    assert _read("spot", "POST", path, {**ORDER, "strategyType": "1000000"})["strategyType"] == (
        1000000
    )
    low = {**OTO, "pendingStrategyType": "5"}
    assert _refused("spot", "POST", "/api/v3/orderList/oto", low) == (
        -1130,
        INVALID.format("pendingStrategyType"),
    )


def test_peg_offset_type_and_value_go_together() -> None:
    """New Order's note: "Use `pegOffsetType` and `pegOffsetValue` ... These parameters
    must be specified together."""
    path = "/api/v3/order"
    pegged = {**ORDER, "pegPriceType": "PRIMARY_PEG"}
    assert _refused("spot", "POST", path, {**pegged, "pegOffsetValue": "2"}) == (
        -1102,
        MISSING.format("pegOffsetType"),
    )
    assert _refused("spot", "POST", path, {**pegged, "pegOffsetType": "PRICE_LEVEL"}) == (
        -1102,
        MISSING.format("pegOffsetValue"),
    )
    _read("spot", "POST", path, {**pegged, "pegOffsetType": "PRICE_LEVEL", "pegOffsetValue": "2"})


DAY = 86_400_000


@pytest.mark.parametrize(
    ("market", "path", "hours", "base"),
    [
        ("spot", "/api/v3/allOrders", 24, {"symbol": "BTCUSDT"}),
        ("spot", "/api/v3/myTrades", 24, {"symbol": "BTCUSDT"}),
        ("usdm", "/fapi/v1/userTrades", 168, {"symbol": "BTCUSDT"}),
        ("usdm", "/fapi/v1/allOrders", 168, {"symbol": "BTCUSDT"}),
        ("coinm", "/dapi/v1/userTrades", 168, {"symbol": "BTCUSD_PERP"}),
        ("coinm", "/dapi/v1/klines", 4800, {"symbol": "BTCUSD_PERP", "interval": "1h"}),
    ],
)
def test_a_lookup_span_longer_than_documented_is_refused(
    market: str, path: str, hours: int, base: dict[str, str]
) -> None:
    """ "The time between `startTime` and `endTime` can't be longer than 24 hours" (7 days,
    200 days...): -1127, checked when both are sent."""
    start = 1_700_000_000_000
    too_long = {**base, "startTime": str(start), "endTime": str(start + hours * 3_600_000 + 1)}
    assert _refused(market, "GET", path, too_long) == (
        -1127,
        f"More than {hours} hours between startTime and endTime.",
    )
    longest = {**base, "startTime": str(start), "endTime": str(start + hours * 3_600_000)}
    _read(market, "GET", path, longest)
    _read(market, "GET", path, {**base, "startTime": str(start)})  # one end: no span


def test_spot_ticker_names_at_most_100_symbols() -> None:
    """``symbols``: "The maximum number of symbols allowed in a request is 100."""
    many = '["' + '","'.join(f"S{i}USDT" for i in range(101)) + '"]'
    assert _refused("spot", "GET", "/api/v3/ticker/24hr", {"symbols": many}) == (
        -1130,
        INVALID.format("symbols"),
    )
    hundred = '["' + '","'.join(f"S{i}USDT" for i in range(100)) + '"]'
    assert len(_read("spot", "GET", "/api/v3/ticker/24hr", {"symbols": hundred})["symbols"]) == 100


def test_all_order_lists_from_id_excludes_a_time_range() -> None:
    """``fromId``: "If supplied, neither startTime or endTime can be provided"."""
    path = "/api/v3/allOrderList"
    assert _refused("spot", "GET", path, {"fromId": "3", "startTime": "1"}) == (-1128, COMBINATION)
    assert _refused("spot", "GET", path, {"fromId": "3", "endTime": "1"}) == (-1128, COMBINATION)
    _read("spot", "GET", path, {"fromId": "3"})
    _read("spot", "GET", path, {"startTime": "1", "endTime": "2"})


# --- USDⓈ-M ----------------------------------------------------------------------------------

FUTURES_ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}


def test_usdm_modify_needs_both_quantity_and_price() -> None:
    """Modify Order: "Both `quantity` and `price` must be sent"."""
    path = "/fapi/v1/order"
    base = {"symbol": "BTCUSDT", "side": "BUY", "orderId": "1"}
    assert _refused("usdm", "PUT", path, {**base, "quantity": "0.01"}) == (
        -1102,
        MISSING.format("price"),
    )
    assert _refused("usdm", "PUT", path, {**base, "price": "90000"}) == (
        -1102,
        MISSING.format("quantity"),
    )
    _read("usdm", "PUT", path, {**base, "quantity": "0.01", "price": "90000"})


def test_gtd_orders_need_their_good_till_date() -> None:
    """``goodTillDate``: "mandatory when `timeInforce` set to `GTD`"."""
    gtd = {**FUTURES_ORDER, "price": "90000", "timeInForce": "GTD"}
    assert _refused("usdm", "POST", "/fapi/v1/order", gtd) == (
        -1102,
        MISSING.format("goodTillDate"),
    )
    _read("usdm", "POST", "/fapi/v1/order", {**gtd, "goodTillDate": "1900000000000"})


def test_price_match_only_on_limit_stop_and_take_profit_and_it_prices_them() -> None:
    """``priceMatch``: "only avaliable for `LIMIT`/`STOP`/`TAKE_PROFIT` order; Can't be
    passed together with `price`" (so it stands in for the table's ``price``)."""
    for market, symbol, path in (
        ("usdm", "BTCUSDT", "/fapi/v1/order/test"),
        ("coinm", "BTCUSD_PERP", "/dapi/v1/order"),
    ):
        market_order = {**FUTURES_ORDER, "symbol": symbol, "type": "MARKET"}
        assert _refused(market, "POST", path, {**market_order, "priceMatch": "QUEUE"}) == (
            -1106,
            NOT_REQUIRED.format("priceMatch"),
        )
        limit = {**FUTURES_ORDER, "symbol": symbol, "timeInForce": "GTC", "priceMatch": "QUEUE"}
        _read(market, "POST", path, limit)
        stop = {**limit, "type": "STOP", "stopPrice": "95000"}
        del stop["timeInForce"]
        _read(market, "POST", path, stop)


def test_convert_exchange_info_needs_one_of_its_assets() -> None:
    """ "User needs to supply either or both of the input parameter"."""
    path = "/fapi/v1/convert/exchangeInfo"
    assert _refused("usdm", "GET", path, {}) == (-1102, EITHER.format("fromAsset", "toAsset"))
    _read("usdm", "GET", path, {"fromAsset": "USDT"})
    _read("usdm", "GET", path, {"fromAsset": "USDT", "toAsset": "BNB"})


# --- COIN-M ----------------------------------------------------------------------------------


def test_coinm_modify_after_the_migration_needs_quantity_and_price() -> None:
    """ "After CM migration, both `quantity` and `price` are required."""
    path = "/dapi/v1/order"
    base = {"symbol": "BTCUSD_PERP", "side": "BUY", "orderId": "1"}
    assert _refused("coinm", "PUT", path, {**base, "price": "90000"}) == (
        -1102,
        MISSING.format("quantity"),
    )
    assert _refused("coinm", "PUT", path, {**base, "quantity": "1"}) == (
        -1102,
        MISSING.format("price"),
    )
    _read("coinm", "PUT", path, {**base, "quantity": "1", "price": "90000"})


TYPE_TABLE = {
    # Binance's table by type for futures New Order (COIN-M's page:
    # https://developers.binance.com/docs/derivatives/coin-margined-futures/trade/New-Order;
    # USDⓈ-M's Test New Order page in the spec copy carries the same rows)
    "LIMIT": {"timeInForce": "GTC", "quantity": "1", "price": "90000"},
    "MARKET": {"quantity": "1"},
    "STOP": {"quantity": "1", "price": "90000", "stopPrice": "95000"},
    "TAKE_PROFIT": {"quantity": "1", "price": "90000", "stopPrice": "85000"},
    "STOP_MARKET": {"stopPrice": "95000"},
    "TAKE_PROFIT_MARKET": {"stopPrice": "85000"},
    "TRAILING_STOP_MARKET": {"callbackRate": "1"},
}


@pytest.mark.parametrize(
    ("market", "path"), [("coinm", "/dapi/v1/order"), ("usdm", "/fapi/v1/order/test")]
)
@pytest.mark.parametrize("kind", sorted(TYPE_TABLE))
def test_every_row_of_the_futures_type_table(market: str, path: str, kind: str) -> None:
    """Each order ``type`` is accepted with its row's parameters and refused without any
    one of them (-1102 naming it): COIN-M's New Order, USDⓈ-M's Test New Order (the
    endpoints that take every parameter of the table)."""
    symbol = "BTCUSD_PERP" if market == "coinm" else "BTCUSDT"
    full = {"symbol": symbol, "side": "BUY", "type": kind, **TYPE_TABLE[kind]}
    _read(market, "POST", path, full)
    for name in TYPE_TABLE[kind]:
        without = {k: v for k, v in full.items() if k != name}
        assert _refused(market, "POST", path, without) == (-1102, MISSING.format(name))


def test_usdm_new_order_keeps_its_own_two_rows() -> None:
    """USDⓈ-M's New Order takes no ``stopPrice``/``callbackRate`` (conditional orders go to
    the algo endpoint): its table is its own LIMIT and MARKET rows, the other types are
    left to the engine (-4120)."""
    from aioca_binance_sim.rules import rules_of

    table = rules_of("usdm", "POST", "/fapi/v1/order").by_type
    assert table is not None
    assert set(table) == {"LIMIT", "MARKET"}
    limit = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", **TYPE_TABLE["LIMIT"]}
    _read("usdm", "POST", "/fapi/v1/order", limit)
    del limit["price"]
    assert _refused("usdm", "POST", "/fapi/v1/order", limit) == (-1102, MISSING.format("price"))


def test_coinm_batch_items_follow_the_whole_type_table() -> None:
    """A batch item is checked by the single order's rules: a STOP item without its
    ``price`` is refused like the single order."""
    from aioca_binance_sim.params import batch_item_reader

    spec = next(
        s for s in endpoints("coinm") if (s.method, s.path) == ("POST", "/dapi/v1/batchOrders")
    )
    read = batch_item_reader(spec)
    item = {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "STOP", "quantity": "1"}
    item["stopPrice"] = "95000"
    with pytest.raises(SimError) as caught:
        read(item)
    assert (caught.value.code, caught.value.msg) == (-1102, MISSING.format("price"))
    read({**item, "price": "90000"})


# --- over HTTP, on a running simulator ----------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_server_answers_the_prose_rules_with_binances_codes(
    http: aiohttp.ClientSession,
) -> None:
    async with BinanceSimulator(seed=3) as sim:
        status, _, answer = await call(
            http, sim, "coinm", "POST", "/dapi/v1/order",
            {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "STOP", "quantity": "1",
             "stopPrice": "1"},
            signed=True,
        )  # fmt: skip
        assert (status, answer) == (400, {"code": -1102, "msg": MISSING.format("price")})
        status, _, answer = await call(
            http, sim, "spot", "POST", "/api/v3/order/oco",
            {**LEGACY_OCO, "stopLimitPrice": "89900"}, signed=True,
        )  # fmt: skip
        assert (status, answer) == (
            400,
            {"code": -1102, "msg": MISSING.format("stopLimitTimeInForce")},
        )
        status, _, answer = await call(
            http, sim, "usdm", "PUT", "/fapi/v1/order",
            {"symbol": "BTCUSDT", "side": "BUY", "orderId": "1", "price": "1"}, signed=True,
        )  # fmt: skip
        assert (status, answer) == (400, {"code": -1102, "msg": MISSING.format("quantity")})
        # kept: the same COIN-M stop with its price passes the checks and reaches the engine
        status, _, answer = await call(
            http, sim, "coinm", "POST", "/dapi/v1/order",
            {"symbol": "BTCUSD_PERP", "side": "BUY", "type": "STOP", "quantity": "1",
             "stopPrice": "1", "price": "1"},
            signed=True,
        )  # fmt: skip
        assert answer.get("code") not in (-1102, -1106, -1128), answer


# --- the inventory ------------------------------------------------------------------------------


def test_every_rule_like_sentence_is_read_or_explained() -> None:
    """Each sentence of the three spec files that reads like a rule is matched by one of
    the rules' patterns, or listed in EXPLAINED with why the simulator does not read it
    there (advisory, depends on state the engines check, a default, a documented answer);
    and no explanation is stale."""
    rows = inventory()
    unexplained = [row for row in rows if row.status == "unexplained"]
    assert unexplained == [], "\n".join(f"{r.where}: {r.sentence}" for r in unexplained)
    every_text = " ".join(text for _, text in texts())
    assert [fragment for fragment in EXPLAINED if fragment not in every_text] == []
    assert sum(1 for row in rows if row.status == "read") >= 60


def test_peg_offset_value_is_at_most_100() -> None:
    """``pegOffsetValue``: "Price level to peg the price to (max: 100)"."""
    pegged = {**ORDER, "pegPriceType": "PRIMARY_PEG", "pegOffsetType": "PRICE_LEVEL"}
    assert _refused("spot", "POST", "/api/v3/order", {**pegged, "pegOffsetValue": "101"}) == (
        -1130,
        INVALID.format("pegOffsetValue"),
    )
    _read("spot", "POST", "/api/v3/order", {**pegged, "pegOffsetValue": "100"})


def test_coinm_callback_rate_between_a_tenth_and_ten() -> None:
    """``callbackRate``: "min 0.1, max 10 where 1 for 1%"."""
    trailing = {"symbol": "BTCUSD_PERP", "side": "SELL", "type": "TRAILING_STOP_MARKET"}
    trailing["quantity"] = "1"
    for bad in ("0.09", "10.1"):
        assert _refused("coinm", "POST", "/dapi/v1/order", {**trailing, "callbackRate": bad}) == (
            -1130,
            INVALID.format("callbackRate"),
        )
    for good in ("0.1", "10"):
        _read("coinm", "POST", "/dapi/v1/order", {**trailing, "callbackRate": good})


def test_cancel_replace_follows_new_orders_type_table() -> None:
    """cancelReplace: "Similar to `POST /api/v3/order`, additional mandatory parameters are
    determined by `type`"."""
    path = "/api/v3/order/cancelReplace"
    replace = {**ORDER, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": "1"}
    del replace["price"]
    assert _refused("spot", "POST", path, replace) == (-1102, MISSING.format("price"))
    _read("spot", "POST", path, {**replace, "price": "90000"})
    _read("spot", "POST", path, {**replace, "pegPriceType": "PRIMARY_PEG"})  # optional_if


def test_trading_day_ticker_names_at_most_100_symbols() -> None:
    """``symbols``: "The maximum number of `symbols` allowed in a request is 100."."""
    many = '["' + '","'.join(f"S{i}USDT" for i in range(101)) + '"]'
    path = "/api/v3/ticker/tradingDay"
    assert _refused("spot", "GET", path, {"symbols": many}) == (-1130, INVALID.format("symbols"))
    _read("spot", "GET", path, {"symbols": '["BTCUSDT"]'})


def test_usdm_user_trades_order_id_needs_the_symbol() -> None:
    """``orderId``: "Must be used together with parameter `symbol`." (kept: the endpoint
    requires ``symbol`` anyway, so the sentence agrees with the parameter table)."""
    from aioca_binance_sim.rules import rules_of

    assert ("orderId", "symbol") in rules_of("usdm", "GET", "/fapi/v1/userTrades").requires
    _read("usdm", "GET", "/fapi/v1/userTrades", {"symbol": "BTCUSDT", "orderId": "1"})


def test_coinm_algo_price_match_cannot_come_with_a_price() -> None:
    """``priceMatch``: "cannot be passed together with `price`."."""
    algo = {"algoType": "CONDITIONAL", "symbol": "BTCUSD_PERP", "side": "BUY", "type": "STOP"}
    algo.update(quantity="1", triggerPrice="95000", priceMatch="QUEUE")
    path = "/dapi/v1/algoOrder"
    assert _refused("coinm", "POST", path, {**algo, "price": "90000"}) == (-1128, COMBINATION)
    _read("coinm", "POST", path, algo)


def test_close_all_only_on_stop_market_and_take_profit_market() -> None:
    """``closePosition``: "Close-All, used with `STOP_MARKET` or `TAKE_PROFIT_MARKET`"."""
    path = "/dapi/v1/order"
    close = {"symbol": "BTCUSD_PERP", "side": "SELL", "closePosition": "true"}
    limit = {**close, "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "1"}
    assert _refused("coinm", "POST", path, limit) == (-1106, NOT_REQUIRED.format("closePosition"))
    _read("coinm", "POST", path, {**limit, "closePosition": "false"})
    _read("coinm", "POST", path, {**close, "type": "STOP_MARKET", "stopPrice": "85000"})
    _read("coinm", "POST", path, {**close, "type": "TAKE_PROFIT_MARKET", "stopPrice": "95000"})
    algo = {"algoType": "CONDITIONAL", **close, "triggerPrice": "85000"}
    assert _refused("coinm", "POST", "/dapi/v1/algoOrder", {**algo, "type": "STOP"}) == (
        -1106,
        NOT_REQUIRED.format("closePosition"),
    )
    _read("coinm", "POST", "/dapi/v1/algoOrder", {**algo, "type": "STOP_MARKET"})


def test_block_trades_limit_is_at_most_its_said_maximum() -> None:
    """Spot ``historicalBlockTrades`` ``limit``: "Maximum: 1000"."""
    path = "/api/v3/historicalBlockTrades"
    query = {"symbol": "BTCUSDT", "fromId": "1"}
    assert _refused("spot", "GET", path, {**query, "limit": "1001"}) == (
        -1130,
        INVALID.format("limit"),
    )
    _read("spot", "GET", path, {**query, "limit": "1000"})

"""Every rule across parameters the catalogs declare, broken one at a time, and all at once.

The rules come from the spec's notes and parameter descriptions (see
``tools/catalog_tables.py``: each one quotes the words it implements, and the generator
refuses a rule-like sentence no table accounts for). For each task of the three markets,
and each item model of a batch, every declared rule gets a test of its own: a parameter set
valid in every other respect that breaks just that rule is refused before anything is sent,
with an :class:`~aioca.errors.InvalidParameterError` naming the rule; and problems of
several kinds in one call are all reported together.

Then the values a user writes: ``bool`` for Binance's ``"true"``/``"false"``, ``Decimal``,
``int``, ``str`` and exact floats for decimals (a float carrying binary noise refused),
aware ``datetime`` for times (a naive one refused), enum members for enum values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import test_catalog_requests as walker  # the parameter walker of the request tests

from aioca.errors import InvalidParameterError
from aioca_binance import BinanceParams, BinanceTask
from aioca_binance.catalog import CATALOG
from aioca_binance.coinm import CoinMFetchKline, CoinMNewOrder
from aioca_binance.spot import SpotNewOrder, SpotTicker
from aioca_binance.spot.enums import OrderSideEnum, OrderTypeEnum, TimeInForceEnum
from aioca_binance.usdm import UsdmKlines, UsdmNewAlgoOrder, UsdmNewOrder, UsdmPlaceMultipleOrders
from aioca_binance.usdm.enums import KlineIntervalEnum


def _models() -> Iterator[tuple[str, type[BinanceTask], type[BinanceParams], str | None]]:
    """Every parameter model: each task's, and each batch's item model (by its field)."""
    for name, task in CATALOG.items():
        yield name, task, task.Params, None
        for field, model in task.Params.nested_models().items():
            assert issubclass(model, BinanceParams)
            yield f"{name}.{field}", task, model, field


def _rules() -> Iterator[Any]:
    for label, task, model, field in _models():
        for group in model.one_of:
            yield pytest.param(task, model, field, "one_of", group, id=f"{label} one_of {group}")
        for pair in model.exclusive:
            yield pytest.param(task, model, field, "exclusive", pair, id=f"{label} {pair}")
        for rule in model.required_when:
            yield pytest.param(
                task, model, field, "required_when", rule, id=f"{label} required_when {rule}"
            )
        for rule in model.forbidden_when:
            yield pytest.param(
                task, model, field, "forbidden_when", rule, id=f"{label} forbidden_when {rule}"
            )
        for rule in model.needs:
            yield pytest.param(task, model, field, "needs", rule, id=f"{label} needs {rule}")


RULES = list(_rules())


def _value(model: type[BinanceParams], name: str) -> Any:
    return walker.value_for(name, walker.shapes(model)[name])


def _other_value(model: type[BinanceParams], name: str, avoid: tuple[str, ...]) -> Any:
    shape = walker.shapes(model)[name]
    return next(choice for choice in shape.choices if choice not in avoid)


def _refused(
    task: type[BinanceTask], field: str | None, params: dict[str, Any]
) -> InvalidParameterError:
    """The error of a task given ``params`` (a batch item's, when ``field`` is set)."""
    if field is not None:
        outer = walker.valid_params(task.Params, full=False)
        params = {**outer, field: [params]}
    with pytest.raises(InvalidParameterError) as caught:
        task(**params)
    assert caught.value.task_name == task.__name__
    return caught.value


def _reasons(error: InvalidParameterError) -> list[str]:
    return [f"{name}: {reason}" if name else reason for name, reason in error.problems]


def test_every_market_has_rules_of_every_kind() -> None:
    kinds: dict[str, set[str]] = {}
    for rule in RULES:
        market = rule.values[0].endpoint.market
        kinds.setdefault(market, set()).add(rule.values[3])
    assert kinds["coinm"] >= {"one_of", "exclusive", "required_when", "forbidden_when", "needs"}
    assert kinds["usdm"] >= {"one_of", "exclusive", "required_when", "forbidden_when"}
    assert kinds["spot"] >= {"one_of", "exclusive", "required_when", "needs"}
    assert len(RULES) > 150


@pytest.mark.parametrize(("task", "model", "field", "kind", "rule"), RULES)
def test_a_broken_rule_is_refused_before_sending(
    task: type[BinanceTask],
    model: type[BinanceParams],
    field: str | None,
    kind: str,
    rule: Any,
) -> None:
    base = walker.valid_params(model, full=False)
    if kind == "one_of":
        params = {name: value for name, value in base.items() if name not in rule}
        expected = " or ".join(repr(name) for name in rule) + " must be sent"
    elif kind == "exclusive":
        first, second = rule
        params = {**base, first: _value(model, first), second: _value(model, second)}
        if rule == ("symbol", "pair"):
            params["pair"] = "ETHUSD"  # not BTCUSD_PERP's own pair: a real conflict
        # Keep the rules the two values set off (a priceMatch makes a price optional).
        params = _keep_other_rules(model, params, rule)
        expected = f"{first!r} and {second!r} cannot be sent together"
    elif kind == "required_when":
        name, values, required = rule
        for value in values:
            for needed in required:
                alternatives = needed.split("|")
                params = {
                    key: item
                    for key, item in {**base, name: value}.items()
                    if key not in alternatives
                }
                error = _refused(task, field, params)
                wanted = f"{alternatives[0]}: required when {name} is {value}"
                if field is not None:
                    wanted = f"{field}: 0.{wanted}"
                assert any(reason.startswith(wanted) for reason in _reasons(error)), (
                    wanted,
                    _reasons(error),
                )
        return
    elif kind == "forbidden_when":
        name, values, forbidden = rule
        for other in forbidden:
            params = {**base, name: values[0], other: _value(model, other)}
            error = _refused(task, field, params)
            wanted = f"{other}: cannot be sent when {name} is {values[0]}"
            if field is not None:
                wanted = f"{field}: 0.{wanted}"
            assert wanted in _reasons(error), _reasons(error)
        return
    else:
        name, alternatives = rule
        params = {**base, name: _value(model, name)}
        for other, allowed in alternatives:
            if allowed is None:
                params.pop(other, None)
            else:
                params[other] = _other_value(model, other, allowed)
        expected = f"{name}: needs"
    error = _refused(task, field, params)
    if field is not None:
        expected = f"{field}: 0.{expected}" if kind == "needs" else f"{field}: 0: {expected}"
    assert any(reason.startswith(expected) for reason in _reasons(error)), _reasons(error)


def _keep_other_rules(
    model: type[BinanceParams], params: dict[str, Any], rule: tuple[str, str]
) -> dict[str, Any]:
    for name, triggers, required in model.required_when:
        if params.get(name) in triggers:
            for needed in required:
                alternatives = needed.split("|")
                if not set(alternatives) & set(params):
                    params[alternatives[0]] = _value(model, alternatives[0])
    return params


# --- all at once --------------------------------------------------------------------------


def test_every_problem_of_one_call_is_reported_together() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        UsdmNewOrder(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",  # needs timeInForce and quantity: missing
            price="100",
            priceMatch="QUEUE",  # cannot be sent with price
            recvWindow=70_000,  # above 60000
        )
    reasons = _reasons(caught.value)
    assert "timeInForce: required when type is LIMIT" in reasons
    assert "quantity: required when type is LIMIT" in reasons
    assert "'price' and 'priceMatch' cannot be sent together" in reasons
    assert any(reason.startswith("recvWindow: ") for reason in reasons)
    assert len(reasons) == 4


def test_a_missing_required_parameter_is_one_problem_among_the_others() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        SpotNewOrder(side="BUY", type="MARKET", quantity="nope", bogus=1)  # type: ignore[call-arg]
    names = [name for name, _ in caught.value.problems]
    assert set(names) >= {"symbol", "quantity", "bogus"}


def test_a_batch_item_rule_names_the_item() -> None:
    orders = [
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"},
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1"},
    ]
    with pytest.raises(InvalidParameterError) as caught:
        UsdmPlaceMultipleOrders(batchOrders=orders)  # type: ignore[arg-type]
    reasons = _reasons(caught.value)
    assert "batchOrders: 1.timeInForce: required when type is LIMIT" in reasons
    assert not any(reason.startswith("batchOrders: 0") for reason in reasons)


def test_close_position_forbids_a_quantity_and_a_value_that_does_not_is_fine() -> None:
    with pytest.raises(InvalidParameterError, match="cannot be sent when closePosition is true"):
        UsdmNewAlgoOrder(
            algoType="CONDITIONAL",
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_MARKET",
            triggerPrice="90000",
            closePosition=True,
            quantity="1",
        )
    order = UsdmNewAlgoOrder(
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="90000",
        closePosition=False,
        quantity="1",
    )
    assert dict(order.wire_params())["closePosition"] == "false"


def test_an_iceberg_needs_gtc_or_a_limit_maker() -> None:
    with pytest.raises(InvalidParameterError, match="'icebergQty' in SpotNewOrder: needs time"):
        SpotNewOrder(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="IOC",
            quantity="1",
            price="1",
            icebergQty="0.5",
        )
    maker = SpotNewOrder(
        symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", quantity="1", price="1", icebergQty="0.5"
    )
    assert dict(maker.wire_params())["icebergQty"] == Decimal("0.5")


def test_a_symbol_and_its_own_pair_still_go_together() -> None:
    from aioca_binance.coinm import CoinMFetchTicker

    ticker = CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
    assert dict(ticker.wire_params()) == {"symbol": "BTCUSD_PERP"}


def test_spot_rolling_ticker_needs_a_symbol_or_symbols() -> None:
    with pytest.raises(InvalidParameterError, match="'symbol' or 'symbols' must be sent"):
        SpotTicker()
    assert dict(SpotTicker(symbols=["BTCUSDT", "ETHUSDT"]).wire_params()) == {
        "symbols": '["BTCUSDT","ETHUSDT"]'
    }


# --- values as a user writes them -------------------------------------------------------------


def test_booleans_are_sent_as_binance_words() -> None:
    order = CoinMNewOrder(
        symbol="BTCUSD_PERP", side="SELL", type="MARKET", quantity=1, reduceOnly=True
    )
    assert dict(order.wire_params())["reduceOnly"] == "true"
    same = CoinMNewOrder(
        symbol="BTCUSD_PERP", side="SELL", type="MARKET", quantity=1, reduceOnly="true"
    )
    assert same.wire_params() == order.wire_params()
    with pytest.raises(InvalidParameterError, match="reduceOnly"):
        CoinMNewOrder(
            symbol="BTCUSD_PERP",
            side="SELL",
            type="MARKET",
            quantity=1,
            reduceOnly="yes",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (Decimal("0.1"), "0.1"),
        ("0.1", "0.1"),
        (3, "3"),
        (0.1, "0.1"),  # a float that is the decimal it reads as (15 digits or fewer)
        (9000.5, "9000.5"),
        (1e-05, "0.00001"),
    ],
)
def test_decimals_from_decimal_int_str_and_exact_floats(value: Any, sent: str) -> None:
    order = SpotNewOrder(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=value)
    assert walker.wire_text(dict(order.wire_params())["quantity"]) == sent


@pytest.mark.parametrize("value", [0.1 + 0.2, 1 / 3, float("nan"), float("inf"), True])
def test_floats_with_binary_noise_and_non_numbers_are_refused(value: Any) -> None:
    with pytest.raises(InvalidParameterError, match="quantity") as caught:
        SpotNewOrder(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        assert "pass a Decimal or a str" in str(caught.value)


def test_times_from_milliseconds_or_aware_datetimes() -> None:
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    klines = UsdmKlines(symbol="BTCUSDT", interval="1m", startTime=moment, endTime=1767225660000)
    sent = dict(klines.wire_params())
    assert sent["startTime"] == 1767225600000
    assert sent["endTime"] == 1767225660000
    with pytest.raises(InvalidParameterError, match="naive datetime"):
        UsdmKlines(symbol="BTCUSDT", interval="1m", startTime=dt.datetime(2026, 1, 1))


def test_enums_as_strings_or_members() -> None:
    by_member = SpotNewOrder(
        symbol="BTCUSDT",
        side=OrderSideEnum.BUY,
        type=OrderTypeEnum.LIMIT,
        timeInForce=TimeInForceEnum.GTC,
        quantity="1",
        price="1",
    )
    by_text = SpotNewOrder(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="1", price="1"
    )
    assert by_member.wire_params() == by_text.wire_params()
    assert type(dict(by_member.wire_params())["side"]) is str
    klines = UsdmKlines(symbol="BTCUSDT", interval=KlineIntervalEnum.MINUTE_1)
    assert dict(klines.wire_params())["interval"] == "1m"
    assert KlineIntervalEnum.MONTH_1 == "1M"
    with pytest.raises(InvalidParameterError, match="interval"):
        CoinMFetchKline(symbol="BTCUSD_PERP", interval="7")  # type: ignore[arg-type]

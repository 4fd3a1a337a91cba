"""Typed answers of the three markets, checked against Binance's documented examples.

For every endpoint of ``binance-<market>-responses.json`` with an example, and for every
example variant a page gives: the answer parses into the endpoint's models
(``RESPONSE_MODELS``, what ``task.parsed`` uses), keeps every value (dumped back by alias it
is the example), fits the ``TypedDict`` the task declares as its ``result`` type, and still
parses with one field more (kept in ``model_extra``) or one field fewer. Then the
conventions, one for all models: snake_case attributes with Binance's keys as aliases,
decimals as ``Decimal``, times as ``int``, and the COIN-M cases the old hand-written models
covered, under their new names.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import re
import sys
import types
import typing
from decimal import Decimal
from types import ModuleType
from typing import Any, NotRequired

import pydantic
import pytest
from spec_files import SPEC_DIR

from aioca_binance.catalog import CATALOG
from aioca_binance.coinm import models
from aioca_binance.coinm.models import (
    RESPONSE_MODELS,
    AggTrade,
    Kline,
    OpenInterest,
    Order,
    OrderBook,
    parse_response,
    response_adapter,
)
from aioca_binance.model_base import DecimalField, PriceLevel, ResponseModel, RowModel

MARKETS = ("coinm", "usdm", "spot")
DOCUMENTED = {"coinm": 65, "usdm": 95, "spot": 48}
"""Endpoints with a documented example, as the spec's README counts them."""


def _responses(market: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SPEC_DIR / f"binance-{market}-responses.json").read_text(encoding="utf-8")
    )
    return data


RESPONSES = {market: _responses(market) for market in MARKETS}
MODELS = {market: importlib.import_module(f"aioca_binance.{market}.models") for market in MARKETS}
RESULTS = {market: importlib.import_module(f"aioca_binance.{market}.results") for market in MARKETS}


def _examples(answer: dict[str, Any]) -> list[Any]:
    if answer.get("examples"):
        return list(answer["examples"])
    return [answer["example"]] if answer.get("example") is not None else []


EXAMPLES = [
    pytest.param(market, key, index, example, id=f"{market} {key} #{index}")
    for market in MARKETS
    for key, answer in RESPONSES[market].items()
    for index, example in enumerate(_examples(answer))
]
TASKS = {
    (task.endpoint.market, f"{task.endpoint.method} {task.endpoint.path}"): task
    for task in CATALOG.values()
}


def _parse(market: str, key: str, body: Any) -> Any:
    method, path = key.split(" ", 1)
    return MODELS[market].parse_response(method, path, body)


def _dumped(value: Any) -> Any:
    """Parsed models back as JSON-like data, by Binance's keys (rows as their arrays)."""
    if isinstance(value, RowModel):
        slots = [getattr(value, slot) for slot in type(value).slots]
        extra = value.model_extra or {}
        return [_dumped(item) for item in slots] + [extra[k] for k in sorted(extra)]
    if isinstance(value, ResponseModel):
        data = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if item is not None or name in value.model_fields_set:
                data[info.alias or name] = _dumped(item)
        data.update(value.model_extra or {})
        return data
    if isinstance(value, tuple):  # PriceLevel
        return [_dumped(item) for item in value]
    if isinstance(value, list):
        return [_dumped(item) for item in value]
    if isinstance(value, dict):
        return {key: _dumped(item) for key, item in value.items()}
    return value


def _same(sent: Any, parsed: Any) -> bool:
    """Whether a parsed value is what was sent: decimals equal to the numbers and numeric
    texts, booleans to ``"true"``/``"false"``, ``""`` read as ``None``."""
    if isinstance(sent, dict) and isinstance(parsed, dict):
        return all(_same(sent[key], parsed.get(key)) for key in sent)
    if isinstance(sent, list) and isinstance(parsed, list):
        return len(sent) == len(parsed) and all(map(_same, sent, parsed))
    if isinstance(parsed, Decimal):
        return not isinstance(sent, bool) and Decimal(str(sent)) == parsed
    if isinstance(parsed, bool) and isinstance(sent, str):
        return sent == str(parsed).lower()
    if isinstance(parsed, int) and isinstance(sent, str):  # a time sent as text
        return sent == str(parsed)
    if parsed is None:
        return sent in (None, "")
    return bool(sent == parsed)


# --- every documented example -----------------------------------------------------------------


def test_every_documented_example_has_a_model_and_a_typed_task() -> None:
    for market in MARKETS:
        with_example = [key for key, a in RESPONSES[market].items() if _examples(a)]
        assert len(with_example) == DOCUMENTED[market]
        registry = {f"{m} {p}" for m, p in MODELS[market].RESPONSE_MODELS}
        assert set(with_example) == registry, market


@pytest.mark.parametrize(("market", "key", "index", "example"), EXAMPLES)
def test_documented_example_parses_and_keeps_every_value(
    market: str, key: str, index: int, example: Any
) -> None:
    parsed = _parse(market, key, copy.deepcopy(example))
    assert _same(example, _dumped(parsed)), (key, index)


@pytest.mark.parametrize(("market", "key", "index", "example"), EXAMPLES)
def test_documented_example_fits_the_declared_result_type(
    market: str, key: str, index: int, example: Any
) -> None:
    task = TASKS[(market, key)]
    result_ref, parsed_ref = typing.get_args(task.__orig_bases__[0])  # type: ignore[attr-defined]
    result_type = eval(result_ref.__forward_arg__, vars(RESULTS[market]))
    # A model named as an enum alias of the task's module is imported there as NameModel
    # (test_catalog_typing checks with mypy how the task module itself resolves it).
    models = vars(MODELS[market])
    names = {**models, **{f"{name}Model": value for name, value in models.items()}}
    parsed_type = eval(parsed_ref.__forward_arg__, names)
    method, path = key.split(" ", 1)
    assert parsed_type == MODELS[market].RESPONSE_MODELS[(method, path)]
    _check_json(example, result_type, key)


@pytest.mark.parametrize(("market", "key", "index", "example"), EXAMPLES)
def test_one_field_more_or_fewer_still_parses(
    market: str, key: str, index: int, example: Any
) -> None:
    target = example if isinstance(example, dict) else (example or [None])[0]
    if not isinstance(target, dict) or not target:
        return  # rows and lists of scalars have no fields
    wrap = (lambda item: item) if isinstance(example, dict) else (lambda item: [item])
    more = _parse(market, key, wrap({**target, "addedLater": "1"}))
    model = more if isinstance(more, ResponseModel) else more[0]
    assert model.model_extra == {"addedLater": "1"}
    for field in target:
        fewer = {name: value for name, value in target.items() if name != field}
        model = _parse(market, key, wrap(fewer))
        model = model if isinstance(model, ResponseModel) else model[0]
        attribute = next(
            name for name, info in type(model).model_fields.items() if (info.alias or name) == field
        )
        assert getattr(model, attribute) is None, field


def _check_json(value: Any, expected: Any, where: str) -> None:
    """``value`` (decoded JSON) fits the type ``expected`` (TypedDicts, lists, dicts,
    unions, scalars) as a type checker reads it."""
    origin = typing.get_origin(expected)
    if expected is Any:
        return
    if origin in (typing.Union, types.UnionType):
        problems = []
        for option in typing.get_args(expected):
            try:
                _check_json(value, option, where)
                return
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(f"{where}: {value!r} fits no option: {problems}")
    if expected is type(None):
        assert value is None, where
        return
    if origin is list:
        assert isinstance(value, list), where
        (item,) = typing.get_args(expected)
        for index, element in enumerate(value):
            _check_json(element, item, f"{where}[{index}]")
        return
    if origin is dict:
        assert isinstance(value, dict), where
        _, item = typing.get_args(expected)
        for key, element in value.items():
            _check_json(element, item, f"{where}.{key}")
        return
    if typing.is_typeddict(expected):
        assert isinstance(value, dict), where
        hints = typing.get_type_hints(expected, include_extras=True)
        assert set(value) <= set(hints), (where, set(value) - set(hints))
        for name, hint in hints.items():
            if typing.get_origin(hint) is NotRequired:
                if name not in value:
                    continue
                (hint,) = typing.get_args(hint)
            assert name in value, (where, name)
            _check_json(value[name], hint, f"{where}.{name}")
        return
    if expected is float:
        assert isinstance(value, int | float), where
        assert not isinstance(value, bool), where
        return
    assert isinstance(value, expected), (where, value, expected)
    assert not (expected is int and isinstance(value, bool)), where


# --- one convention for every model -----------------------------------------------------------

ALL_MODELS = [
    pytest.param(market, name, id=f"{market} {name}")
    for market in MARKETS
    for name in MODELS[market].__all__
    if isinstance(getattr(MODELS[market], name), type)
    and issubclass(getattr(MODELS[market], name), ResponseModel)
]


@pytest.mark.parametrize(("market", "name"), ALL_MODELS)
def test_attributes_are_snake_case_with_the_wire_keys_as_aliases(market: str, name: str) -> None:
    model = getattr(MODELS[market], name)
    keys = []
    for attribute, info in model.model_fields.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", attribute), attribute
        keys.append(info.alias or attribute)
    assert len(set(keys)) == len(keys)  # no key read by two fields
    assert model.model_config.get("extra") == "allow"
    assert model.model_config.get("frozen") is True


@pytest.mark.parametrize(("market", "name"), ALL_MODELS)
def test_every_object_field_may_be_missing(market: str, name: str) -> None:
    model = getattr(MODELS[market], name)
    if issubclass(model, RowModel):
        return  # a row has every slot
    assert model.model_validate({}).model_fields_set == set()


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        RESPONSE_MODELS[("GET", "/x")] = Order  # type: ignore[index]


def test_all_is_sorted_and_names_every_model() -> None:
    for market in MARKETS:
        module = MODELS[market]
        classes = {
            name
            for name, value in vars(module).items()
            if isinstance(value, type)
            and issubclass(value, ResponseModel)
            and value.__module__ == module.__name__
        }
        assert classes <= set(module.__all__)


# --- COIN-M, case by case ------------------------------------------------------------------

KLINE_PATHS = [
    "/dapi/v1/klines",
    "/dapi/v1/continuousKlines",
    "/dapi/v1/indexPriceKlines",
    "/dapi/v1/markPriceKlines",
    "/dapi/v1/premiumIndexKlines",
]


def example(method: str, path: str) -> Any:
    """A deep copy of the documented COIN-M example, so a test may change it freely."""
    return copy.deepcopy(RESPONSES["coinm"][f"{method} {path}"]["example"])


def parsed(method: str, path: str) -> Any:
    return parse_response(method, path, example(method, path))


@pytest.mark.parametrize("path", KLINE_PATHS)
def test_klines_are_rows_of_twelve_named_slots(path: str) -> None:
    (candle, *_) = parsed("GET", path)
    assert isinstance(candle, Kline)
    raw = example("GET", path)[0]
    assert candle.open_time == raw[0]
    assert candle.open == Decimal(raw[1])
    assert candle.close_time == raw[6]
    assert isinstance(candle.number_of_trades, int)
    assert candle.ignore == raw[11]


def test_kline_endpoints_share_one_adapter() -> None:
    adapters = {id(response_adapter("GET", path)) for path in KLINE_PATHS}
    assert len(adapters) == 1


def test_kline_rows_too_short_or_not_numbers_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/klines", [[1, "2", "3"]])
    row = example("GET", "/dapi/v1/klines")[0]
    row[1] = "not a number"
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/klines", [row])


def test_kline_extra_slots_are_kept_and_a_mapping_is_accepted() -> None:
    row = [*example("GET", "/dapi/v1/klines")[0], "future"]
    (candle,) = parse_response("GET", "/dapi/v1/klines", [row])
    assert candle.model_extra == {"slot_12": "future"}
    (again,) = parse_response("GET", "/dapi/v1/klines", [candle.model_dump()])
    assert again.close == candle.close


def test_ticker_price_is_a_decimal_and_ps_the_pair() -> None:
    (ticker,) = parsed("GET", "/dapi/v1/ticker/price")
    assert isinstance(ticker.price, Decimal)
    assert isinstance(ticker.ps, str)
    assert ticker.model_dump(by_alias=True, exclude_none=True).keys() == {
        "symbol",
        "ps",
        "price",
        "time",
    }


def test_order_book_levels_times_and_names() -> None:
    book = parsed("GET", "/dapi/v1/depth")
    assert isinstance(book, OrderBook)
    price, qty = book.bids[0]
    assert isinstance(book.bids[0], PriceLevel)
    assert isinstance(price, Decimal)
    assert isinstance(qty, Decimal)
    assert book.message_time == example("GET", "/dapi/v1/depth")["E"]
    assert book.transaction_time == example("GET", "/dapi/v1/depth")["T"]
    assert book.datetime_of("transaction_time") is not None
    assert "T" not in type(book).model_fields  # one field per key: no duplicate names


def test_order_book_level_of_three_entries_is_refused() -> None:
    body = example("GET", "/dapi/v1/depth")
    body["bids"][0] = ["1", "2", "3"]
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/depth", body)


def test_agg_trade_one_letter_keys_have_names() -> None:
    (trade,) = parsed("GET", "/dapi/v1/aggTrades")
    assert isinstance(trade, AggTrade)
    raw = example("GET", "/dapi/v1/aggTrades")[0]
    assert trade.agg_trade_id == raw["a"]
    assert trade.price == Decimal(raw["p"])
    assert trade.first_trade_id == raw["f"]
    assert trade.last_trade_id == raw["l"]
    assert trade.time == raw["T"]
    assert trade.is_buyer_maker is raw["m"]
    assert _same(raw, trade.model_dump(by_alias=True))
    assert trade.model_dump(by_alias=True).keys() == raw.keys()


def test_premium_index_blank_rates_become_none() -> None:
    entries = parsed("GET", "/dapi/v1/premiumIndex")
    raw = example("GET", "/dapi/v1/premiumIndex")
    for entry, sent in zip(entries, raw, strict=True):
        if sent["lastFundingRate"] == "":
            assert entry.last_funding_rate is None
        else:
            assert entry.last_funding_rate == Decimal(sent["lastFundingRate"])


def test_a_decimal_field_refuses_what_is_neither_a_number_nor_blank_as_decimal_does() -> None:
    """``DecimalField`` reads ``""`` as ``None`` and otherwise agrees with a plain
    ``Decimal | None`` field: the same values, and a malformed string refused with the same
    error (type, location, message, input); a non-string and ``"NaN"`` are refused too, as
    ``decimal_parsing`` where the plain field says ``decimal_type`` or ``finite_number``."""
    blank = pydantic.TypeAdapter(DecimalField)
    plain = pydantic.TypeAdapter(Decimal | None)
    assert blank.validate_python("") is None
    assert blank.validate_json('""') is None
    for good in ("1.50", " 2 ", "-0", "1e-3", 7, 0.5, None, Decimal("3.1")):
        assert repr(blank.validate_python(good)) == repr(plain.validate_python(good))
    for bad in (" ", "abc", "1.2.3", "0x10", '""'):
        with pytest.raises(pydantic.ValidationError) as refused:
            blank.validate_python(bad)
        with pytest.raises(pydantic.ValidationError) as expected:
            plain.validate_python(bad)
        assert refused.value.errors() == expected.value.errors(), bad
    for bad in ([1], True, "NaN", "-Infinity"):
        with pytest.raises(pydantic.ValidationError) as refused:
            blank.validate_python(bad)
        assert [(e["type"], e["input"]) for e in refused.value.errors()] == [
            ("decimal_parsing", bad)
        ]


def test_position_risk_string_boolean_becomes_bool() -> None:
    (position, *_) = parsed("GET", "/dapi/v1/positionRisk")
    assert isinstance(position.is_auto_add_margin, bool)


def test_open_interest_is_an_object() -> None:
    interest = parse_response(
        "get", "/dapi/v1/openInterest", example("GET", "/dapi/v1/openInterest")
    )
    assert isinstance(interest, OpenInterest)
    assert isinstance(interest.open_interest, Decimal)


def test_one_order_model_for_every_order_endpoint() -> None:
    for method, path in [
        ("GET", "/dapi/v1/order"),
        ("POST", "/dapi/v1/order"),
        ("PUT", "/dapi/v1/order"),
        ("DELETE", "/dapi/v1/order"),
        ("GET", "/dapi/v1/openOrder"),
    ]:
        assert isinstance(parsed(method, path), Order)
    (listed, *_) = parsed("GET", "/dapi/v1/allOrders")
    assert isinstance(listed, Order)


def test_order_without_the_fields_the_integration_removed() -> None:
    # Since the COIN-M/USD-M integration, placement answers lack avgPrice and cumBase.
    body = example("POST", "/dapi/v1/order")
    del body["avgPrice"], body["cumBase"]
    order = parse_response("POST", "/dapi/v1/order", body)
    assert (order.avg_price, order.cum_base) == (None, None)
    assert order.order_id == body["orderId"]
    assert order.datetime_of("update_time") is not None


def test_order_with_a_fractional_order_id_is_refused() -> None:
    body = example("GET", "/dapi/v1/order")
    body["orderId"] = 1.5
    with pytest.raises(pydantic.ValidationError):
        parse_response("GET", "/dapi/v1/order", body)


def test_models_are_frozen() -> None:
    order = parsed("GET", "/dapi/v1/order")
    with pytest.raises(pydantic.ValidationError):
        order.price = Decimal(1)


# --- lookup and laziness ----------------------------------------------------------------------


def test_endpoint_without_a_model_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="POST /dapi/v1/algoOrder"):
        parse_response("POST", "/dapi/v1/algoOrder", {})
    with pytest.raises(LookupError):
        parse_response("POST", "/dapi/v1/klines", [])


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


def test_import_builds_no_adapter_and_no_validator(
    fresh_models: tuple[ModuleType, list[object]],
) -> None:
    module, built = fresh_models
    assert built == []
    assert module.Kline.__pydantic_complete__ is False
    assert module.Order.__pydantic_complete__ is False


def test_parse_twice_builds_one_adapter(fresh_models: tuple[ModuleType, list[object]]) -> None:
    module, built = fresh_models
    body = example("GET", "/dapi/v1/klines")
    first = module.parse_response("GET", "/dapi/v1/klines", body)
    second = module.parse_response("GET", "/dapi/v1/klines", body)
    assert first == second
    assert built == [module.RESPONSE_MODELS[("GET", "/dapi/v1/klines")]]

"""Every COIN-M catalog task on the wire: the request it sends, and the input it refuses.

For each task of ``CATALOG`` (test ids are the task names) and two valid parameter sets
built from its ``Params`` model (``required``: the required fields only; ``full``: every
field), the tests check:

* through aioresponses (``aioca_mock``): method, path, host, query or form body, headers, the
  signature recomputed here, and that ``result`` is the mocked payload;
* on a real aiohttp server on 127.0.0.1 (aioresponses sorts the query, so it cannot show
  the order): the raw query string / body, parameters in ``Params`` field order, then
  ``recvWindow``, ``timestamp`` and ``signature`` last, signed over exactly the bytes sent;
* validation: a missing required field, a value of the wrong type or out of range, and an
  unknown parameter each raise ``InvalidParameterError`` naming it, before any request;
* the weight is the endpoint's rule applied to the parameters sent, and ``str(task)`` is a
  fully filled name in English and in Chinese.

The parameter sets come from walking the annotations; an annotation the walker does not
know fails loudly, so a new shape in the catalog is noticed here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import string
import time
import types
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import parse_qsl, urlencode

import annotated_types
import pydantic
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from pydantic.fields import FieldInfo
from yarl import URL

import aioca
from aioca.errors import InvalidParameterError
from aioca.request import Wire
from aioca_binance import BinanceRestApi, BinanceTask
from aioca_binance.coinm import CATALOG
from aioca_binance.task import _CLIENT_ID_FIELDS, BinanceParams

KEY = "test-key-aaaaaaaaaaaaaaaa"
SECRET = "test-secret-bbbbbbbbbbbbbbbb"
LOCAL = "http://127.0.0.1:9"
DEFAULT_RECV_WINDOW = 5000
SIGNING_NAMES = ("recvWindow", "timestamp", "signature")

TASKS = list(CATALOG.values())
NAMES = list(CATALOG)


def is_signed(task_cls: type[BinanceTask]) -> bool:
    """Binance's rule, written out here rather than read from ``Security.signed``."""
    return task_cls.endpoint.security.value in ("USER_DATA", "TRADE")


def needs_key(task_cls: type[BinanceTask]) -> bool:
    """Every security type but ``NONE`` sends the key header (``Security.needs_key``)."""
    return task_cls.endpoint.security.value != "NONE"


SIGNED_TASKS = [task for task in TASKS if is_signed(task)]
UNSIGNED_TASKS = [task for task in TASKS if not is_signed(task)]
VARIANTS = ("required", "full")

by_task = pytest.mark.parametrize("task_cls", TASKS, ids=NAMES)
by_variant = pytest.mark.parametrize("variant", VARIANTS)


# --- valid parameter sets, from the annotations ---------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What one ``Params`` field takes: ``kind`` is ``str``, ``int``, ``decimal``,
    ``literal``, ``list_int``, ``list_str`` or ``list_model`` (a batch's items, each
    validated by ``model``)."""

    kind: str
    optional: bool
    choices: tuple[Any, ...] = ()
    model: type[BinanceParams] | None = None
    lo: int | None = None
    hi: int | None = None


def _constraints(metadata: list[Any]) -> Iterator[Any]:
    for item in metadata:
        if isinstance(item, FieldInfo):
            yield from _constraints(item.metadata)
        else:
            yield item


def _unwrapped(annotation: Any) -> Any:
    """An annotation without its ``Annotated`` layers (a list item's constraints)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def shape_of(name: str, info: FieldInfo) -> Shape:
    """The shape of field ``name``; ``TypeError`` for an annotation not handled here."""
    annotation: Any = info.annotation
    metadata: list[Any] = list(info.metadata)
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif origin is Union or origin is types.UnionType:
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                raise TypeError(f"{name}: union {info.annotation!r} is not handled")
            optional = True
            annotation = members[0]
        else:
            break
    lo = hi = None
    for item in _constraints(metadata):
        if isinstance(item, annotated_types.Ge):
            lo = int(item.ge)
        elif isinstance(item, annotated_types.Gt):
            lo = int(item.gt) + 1
        elif isinstance(item, annotated_types.Le):
            hi = int(item.le)
        elif isinstance(item, annotated_types.Lt):
            hi = int(item.lt) - 1
    origin = get_origin(annotation)
    if annotation is str:
        return Shape("str", optional)
    if annotation is int:
        return Shape("int", optional, lo=lo, hi=hi)
    if annotation is Decimal:
        return Shape("decimal", optional)
    if origin is Literal:
        return Shape("literal", optional, choices=get_args(annotation))
    if origin is list:
        (item_type,) = get_args(annotation)
        item_type = _unwrapped(item_type)
        if item_type is int:
            return Shape("list_int", optional)
        if item_type is str:
            return Shape("list_str", optional)
        if isinstance(item_type, type) and issubclass(item_type, BinanceParams):
            return Shape("list_model", optional, model=item_type)
    raise TypeError(f"{name}: annotation {info.annotation!r} is not handled by this test")


STR_VALUES = {
    "symbol": "BTCUSD_PERP",
    "pair": "BTCUSD",
    "asset": "BTC",
    "marginAsset": "BTC",
    "dualSidePosition": "true",
    "closePosition": "true",
    "priceProtect": "true",
    "reduceOnly": "true",
    "algoType": "CONDITIONAL",
}
INT_VALUES = {
    "startTime": 1_700_000_000_000,
    "endTime": 1_700_000_600_000,
    "goodTillDate": 1_700_000_900_000,
    "recvWindow": 7_000,  # not the API's default, so a given one is told apart
    "countdownTime": 120_000,
    "leverage": 20,
    "type": 1,
}


def value_for(name: str, shape: Shape) -> Any:
    if shape.kind == "str":
        return STR_VALUES.get(name, "id.1:a/b_c-d")
    if shape.kind == "int":
        value = INT_VALUES.get(name, 5)
        if shape.lo is not None:
            value = max(value, shape.lo)
        if shape.hi is not None:
            value = min(value, shape.hi)
        return value
    if shape.kind == "decimal":
        return Decimal("1.5")
    if shape.kind == "literal":
        return shape.choices[0]
    if shape.kind == "list_int":
        return [1, 2]
    if shape.kind == "list_str":
        return ["a1", "b2"]
    assert shape.kind == "list_model"
    assert shape.model is not None
    return [valid_params(shape.model, full=False)]


def shapes(model: type[pydantic.BaseModel]) -> dict[str, Shape]:
    return {name: shape_of(name, info) for name, info in model.model_fields.items()}


def valid_params(model: type[BinanceParams], *, full: bool) -> dict[str, Any]:
    """A valid parameter set, in field order: the required fields (and the first of each
    "either ... or" group), or every field but the second of each pair that cannot be sent
    together (``symbol`` and its own ``pair`` may: the redundant pair is not sent)."""
    wanted = {name for name, info in model.model_fields.items() if full or info.is_required()}
    if not full:
        wanted |= {group[0] for group in model.one_of}
    for first, second in model.exclusive:
        if full and (first, second) != ("symbol", "pair"):
            wanted.discard(second)
    fields = shapes(model)
    # "A LIMIT order needs a price": what the values chosen for the others require.
    for name, triggers, required in model.required_when:
        if name in wanted and value_for(name, fields[name]) in triggers:
            wanted |= {alternatives.split("|")[0] for alternatives in required}
    return {name: value_for(name, shape) for name, shape in fields.items() if name in wanted}


def params_for(task_cls: type[BinanceTask], variant: str) -> dict[str, Any]:
    return valid_params(task_cls.Params, full=variant == "full")


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")  # decimals in batch items are JSON strings, as in the docs
    raise TypeError(repr(value))


def wire_text(value: Any) -> str:
    """A parameter value as it must appear on the wire (decoded)."""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), default=_json_default)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def expected_pairs(task_cls: type[BinanceTask], params: dict[str, Any]) -> list[tuple[str, str]]:
    """The parameters as they must be sent: in ``Params`` field order, as text, without a
    ``pair`` that its ``symbol`` already names."""
    redundant = {"pair"} if ("symbol", "pair") in task_cls.Params.exclusive else set()
    if "symbol" not in params:
        redundant = set()
    return [
        (name, wire_text(params[name]))
        for name in task_cls.Params.model_fields
        if name in params and name not in redundant
    ]


def as_sent(task: BinanceTask, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the client order ids an order-creating task generated for its run."""
    ids = task.client_order_ids
    if not ids:
        return params
    field = _CLIENT_ID_FIELDS[(task.endpoint.method, task.endpoint.path)]
    if "batchOrders" in params:
        item_model = shapes(task.Params)["batchOrders"].model
        assert item_model is not None
        orders = zip(params["batchOrders"], ids, strict=True)
        return {
            **params,
            "batchOrders": [
                # in the item model's field order, as the items are sent
                {n: v for n in item_model.model_fields if (v := {**o, field: cid}.get(n))}
                for o, cid in orders
            ],
        }
    return {**params, field: ids[0]}


def hmac_hex(payload: str) -> str:
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


# --- the helper itself -------------------------------------------------------------------------


def test_the_catalog_is_complete_and_walkable() -> None:
    assert len(CATALOG) == 69
    assert SIGNED_TASKS
    assert UNSIGNED_TASKS
    for task_cls in TASKS:
        for variant in VARIANTS:
            task_cls(**params_for(task_cls, variant))  # valid: no exception


def test_the_walker_fails_loudly_on_an_unknown_annotation() -> None:
    class Odd(BinanceParams):
        ratio: float

    with pytest.raises(TypeError, match="ratio"):
        valid_params(Odd, full=False)


def test_the_walker_honours_field_constraints() -> None:
    class Bounded(BinanceParams):
        small: Annotated[int, pydantic.Field(ge=10, le=20)]
        tiny: Annotated[int, pydantic.Field(gt=0, lt=3)] | None = None
        recvWindow: Annotated[int, pydantic.Field(ge=1, le=60000)] | None = None  # noqa: N815

    assert valid_params(Bounded, full=True) == {"small": 10, "tiny": 2, "recvWindow": 7000}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
async def api() -> AsyncIterator[BinanceRestApi]:
    # No clock sync: these tests look at the one request each task sends.
    api = BinanceRestApi(KEY, SECRET, urls={"coinm": LOCAL}, time_sync_interval=None)
    yield api
    await api.close()


@dataclass(frozen=True)
class Received:
    """One request as the server received it: the raw query string and the raw body."""

    method: str
    path: str
    query: str
    body: str
    headers: dict[str, str]


@pytest.fixture
async def server() -> AsyncIterator[tuple[list[Received], str]]:
    """A server on 127.0.0.1 recording each request's raw bytes; answers ``{"ok": true}``."""
    seen: list[Received] = []

    async def record(request: web.Request) -> web.Response:
        body = await request.text()
        path, _, query = request.raw_path.partition("?")
        seen.append(Received(request.method, path, query, body, dict(request.headers)))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(app, host="127.0.0.1") as test_server:
        yield seen, str(test_server.make_url("")).rstrip("/")


def sent(mock: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    """The one request the mock saw: method, URL (query included) and call kwargs."""
    assert len(mock.requests) == 1
    (method, url), calls = next(iter(mock.requests.items()))
    assert len(calls) == 1
    return method, url, calls[0].kwargs


# --- 2. the request, through aioresponses ------------------------------------------------------


@by_variant
@by_task
async def test_request_on_the_wire(
    task_cls: type[BinanceTask], variant: str, api: BinanceRestApi, aioca_mock: aioresponses
) -> None:
    endpoint = task_cls.endpoint
    signed = is_signed(task_cls)
    params = params_for(task_cls, variant)
    expected = expected_pairs(task_cls, params)
    payload = {"task": task_cls.__name__, "variant": variant, "values": [1, 2]}
    aioca_mock.add(
        re.compile(rf"^{re.escape(LOCAL + endpoint.path)}(\?.*)?$"),
        method=endpoint.method,
        payload=payload,
    )
    task = task_cls(api=api, **params)
    assert [(name, wire_text(value)) for name, value in task.wire_params()] == expected

    before = now_ms()
    assert await task.run() == payload
    after = now_ms()
    assert task.result == payload
    assert task.exception is None
    expected = expected_pairs(task_cls, as_sent(task, params))

    method, url, kwargs = sent(aioca_mock)
    assert method == endpoint.method
    assert (url.scheme, url.host, url.port) == ("http", "127.0.0.1", 9)
    assert url.path == endpoint.path
    headers = kwargs["headers"]
    if needs_key(task_cls):
        assert headers["X-MBX-APIKEY"] == KEY
    else:
        assert "X-MBX-APIKEY" not in headers

    if endpoint.method in ("POST", "PUT"):
        assert not url.query
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        body = kwargs["data"].decode()
        pairs = parse_qsl(body, keep_blank_values=True)
        if signed:  # the body is sent as built: its order is visible here
            payload_text, signature = body.rsplit("&signature=", 1)
            assert signature == hmac_hex(payload_text)
    else:
        assert kwargs.get("data") is None
        assert "Content-Type" not in headers
        pairs = list(url.query.items())  # sorted by aioresponses: compared as a mapping

    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), names
    received = dict(pairs)
    if not signed:
        assert received == dict(expected)
        assert not set(SIGNING_NAMES) & set(received)
        return

    signature = received.pop("signature")
    timestamp = received.pop("timestamp")
    assert before <= int(timestamp) <= after
    recv_window = str(params.get("recvWindow", DEFAULT_RECV_WINDOW))
    assert received.pop("recvWindow") == recv_window
    assert received == {name: value for name, value in expected if name != "recvWindow"}
    # Recomputed independently, in the order Binance's rules give: parameters as declared,
    # recvWindow (unless given among them), timestamp; signature over exactly those bytes.
    signed_pairs = list(expected)
    if "recvWindow" not in params:
        signed_pairs.append(("recvWindow", recv_window))
    signed_pairs.append(("timestamp", timestamp))
    assert signature == hmac_hex(urlencode(signed_pairs))


# --- 3. wire order and signature on the raw bytes, on a real server ----------------------------


async def _run_on_server(
    task_cls: type[BinanceTask], params: dict[str, Any], base_url: str
) -> BinanceTask:
    async with BinanceRestApi(
        KEY, SECRET, urls={"coinm": base_url}, time_sync_interval=None
    ) as api:
        task = task_cls(api=api, **params)
        await task.run()
        return task


def _raw_parameters(task_cls: type[BinanceTask], request: Received) -> str:
    endpoint = task_cls.endpoint
    assert request.method == endpoint.method
    assert request.path == endpoint.path
    assert (request.headers.get("X-MBX-APIKEY") == KEY) is needs_key(task_cls)
    if endpoint.method in ("POST", "PUT"):
        assert request.query == ""
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        return request.body
    assert request.body == ""
    return request.query


@by_variant
@pytest.mark.parametrize("task_cls", SIGNED_TASKS, ids=[t.__name__ for t in SIGNED_TASKS])
async def test_signed_wire_order_and_signature(
    task_cls: type[BinanceTask], variant: str, server: tuple[list[Received], str]
) -> None:
    seen, base_url = server
    params = params_for(task_cls, variant)
    before = now_ms()
    task = await _run_on_server(task_cls, params, base_url)
    assert task.result == {"ok": True}
    after = now_ms()
    assert len(seen) == 1
    request = seen[0]
    raw = _raw_parameters(task_cls, request)
    pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))

    expected = expected_pairs(task_cls, as_sent(task, params))
    trailer = [] if "recvWindow" in params else ["recvWindow"]
    assert [name for name, _ in pairs] == [name for name, _ in expected] + [
        *trailer,
        "timestamp",
        "signature",
    ]
    assert pairs[: len(expected)] == expected
    values = dict(pairs)
    assert values["recvWindow"] == str(params.get("recvWindow", DEFAULT_RECV_WINDOW))
    assert before <= int(values["timestamp"]) <= after
    assert abs(int(values["timestamp"]) - now_ms()) < 5_000

    payload, signature = (request.query + request.body).rsplit("&signature=", 1)
    assert "&" not in signature  # the signature is the last parameter
    assert signature == values["signature"]
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert signature == hmac_hex(payload)
    # What was signed is exactly the parameters as declared, then the signing fields.
    assert payload == urlencode(
        [*expected, *[(name, values[name]) for name in trailer], ("timestamp", values["timestamp"])]
    )


@by_variant
@pytest.mark.parametrize("task_cls", UNSIGNED_TASKS, ids=[t.__name__ for t in UNSIGNED_TASKS])
async def test_unsigned_wire_order(
    task_cls: type[BinanceTask], variant: str, server: tuple[list[Received], str]
) -> None:
    seen, base_url = server
    params = params_for(task_cls, variant)
    assert (await _run_on_server(task_cls, params, base_url)).result == {"ok": True}
    assert len(seen) == 1
    raw = _raw_parameters(task_cls, seen[0])
    expected = expected_pairs(task_cls, params)
    assert parse_qsl(raw, keep_blank_values=True) == expected
    assert raw == urlencode(expected)
    assert "signature=" not in raw
    assert "timestamp=" not in raw


# --- 4. validation: refused before anything is sent ----------------------------------------


def _refused(
    task_cls: type[BinanceTask], params: dict[str, Any], parameter: str, mock: aioresponses
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        task_cls(**params)
    error = caught.value
    assert parameter in [name for name, _ in error.problems], (params, error)
    assert error.task_name == task_cls.__name__
    assert parameter in str(error)
    assert not mock.requests


WITH_REQUIRED = [
    task for task in TASKS if any(info.is_required() for info in task.Params.model_fields.values())
]


@pytest.mark.parametrize("task_cls", WITH_REQUIRED, ids=[t.__name__ for t in WITH_REQUIRED])
def test_missing_required_parameter_is_refused(
    task_cls: type[BinanceTask], aioca_mock: aioresponses
) -> None:
    params = params_for(task_cls, "full")
    required = [name for name, info in task_cls.Params.model_fields.items() if info.is_required()]
    for name in required:
        _refused(task_cls, {k: v for k, v in params.items() if k != name}, name, aioca_mock)


def bad_values(shape: Shape) -> list[Any]:
    """Values a field of ``shape`` must refuse: a wrong type, and out of its bounds."""
    wrong: dict[str, list[Any]] = {
        # a megabyte of text; a lone surrogate, which no encoding can send
        "str": [["not", "a", "string"], {"a": 1}, "x" * 1_000_000, "BTC\ud800"],
        # True is 1 to Python, not to Binance; 2**64 fits no exchange's integers
        "int": ["not-a-number", Decimal("1.5"), [1], True, 2**64],
        # prices and quantities are finite and positive
        "decimal": ["not-a-number", "NaN", "Infinity", [1], "0", "-1", Decimal("-0.5")],
        "literal": [
            "NOT_A_CHOICE",
            # Binance's values are case-sensitive: "buy" is not "BUY"
            *[c.swapcase() for c in shape.choices if c.swapcase() not in shape.choices][:1],
        ],
        "list_int": ["not-a-list", ["a", "b"], [True]],
        "list_str": ["not-a-list", [{"a": 1}]],
        "list_model": ["not-a-list", ["not-an-order"], []],
    }
    values = list(wrong[shape.kind])
    if shape.model is not None:
        # An item refused for the reasons a single order would be.
        item = valid_params(shape.model, full=False)
        for name, field in shapes(shape.model).items():
            if field.kind in ("decimal", "int", "str") and name in item:
                values += [[item, {**item, name: bad}] for bad in bad_values(field)[:4]]
    if shape.lo is not None:
        values.append(shape.lo - 1)
    if shape.hi is not None:
        values.append(shape.hi + 1)
    return values


@by_task
def test_wrong_value_is_refused(task_cls: type[BinanceTask], aioca_mock: aioresponses) -> None:
    params = params_for(task_cls, "full")
    fields = shapes(task_cls.Params)
    if not fields:  # nothing to get wrong but the name
        _refused(task_cls, {"bogus": 1}, "bogus", aioca_mock)
        return
    for name, shape in fields.items():
        for bad in bad_values(shape):
            _refused(task_cls, {**params, name: bad}, name, aioca_mock)


@by_variant
@by_task
def test_unknown_parameter_is_refused(
    task_cls: type[BinanceTask], variant: str, aioca_mock: aioresponses
) -> None:
    params = params_for(task_cls, variant)
    _refused(task_cls, {**params, "bogus": 1}, "bogus", aioca_mock)
    # The API adds timestamp and signature itself: they are never task parameters.
    _refused(task_cls, {**params, "timestamp": now_ms()}, "timestamp", aioca_mock)
    _refused(task_cls, {**params, "signature": "0" * 64}, "signature", aioca_mock)
    # Parameters are Binance's camelCase names; the snake_case spelling is unknown.
    snake = {name: re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower() for name in params}
    renamed = [(name, alias) for name, alias in snake.items() if alias != name]
    for name, alias in renamed[:1]:
        rest = {k: v for k, v in params.items() if k != name}
        with pytest.raises(InvalidParameterError) as caught:
            task_cls(**rest, **{alias: params[name]})
        assert caught.value.parameter in (name, alias)
    assert not aioca_mock.requests


# --- 5. weight -------------------------------------------------------------------------------


@by_variant
@by_task
def test_weight_follows_the_endpoint_rule(task_cls: type[BinanceTask], variant: str) -> None:
    task = task_cls(**params_for(task_cls, variant))
    weight = task.weight
    assert weight == task.endpoint.weight_for(dict(task.wire_params()))
    assert type(weight) is int
    assert 0 <= weight <= task.endpoint.max_weight


# --- 6. names in both languages ------------------------------------------------------------


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


@by_variant
@by_task
def test_name_is_filled_in_english_and_chinese(task_cls: type[BinanceTask], variant: str) -> None:
    params = params_for(task_cls, variant)
    fields = set(task_cls.Params.model_fields)
    assert _placeholders(task_cls.texts.en) <= fields
    assert _placeholders(task_cls.texts.zh) <= fields
    task = task_cls(**params)

    names: dict[str, str] = {}
    for language in ("en", "zh"):
        aioca.set_language(language)
        names[language] = str(task)
    for language, name in names.items():
        assert name.strip(), language
        assert "{" not in name, (language, name)
        assert "}" not in name, (language, name)
        template = getattr(task_cls.texts, language)
        for field in _placeholders(template):
            if field in params:
                assert str(params[field]) in name, (language, field, name)
    assert names["en"] != names["zh"]
    assert re.search(r"[\u4e00-\u9fff]", names["zh"]), names["zh"]


# --- 7. Binance's signing of plans sends what the classic hook sends ----------------------

FIXED_MS = 1_700_000_123_456


class FixedClockApi(BinanceRestApi):
    """A fixed timestamp, so that two requests of the same task are byte for byte equal.
    Both ways of signing read it through timestamp_ms."""

    def timestamp_ms(self) -> int:
        return FIXED_MS


class ClassicSigningApi(FixedClockApi):
    """Signs every attempt the core's default way: the plan as a PreparedRequest, signed by
    sign_request (what a plugin written against the classic hook does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signed_requests = 0

    def sign_plan(self, plan: aioca.RequestPlan) -> Wire:
        return aioca.RestApi.sign_plan(self, plan)

    def sign_request(self, request: aioca.PreparedRequest) -> None:
        self.signed_requests += 1
        super().sign_request(request)


async def _send_with(
    api_class: type[BinanceRestApi], task_cls: type[BinanceTask], params: dict[str, Any], url: str
) -> BinanceRestApi:
    async with api_class(KEY, SECRET, urls={"coinm": url}, time_sync_interval=None) as api:
        task = task_cls(api=api, **params)
        await task.run()
        assert task.result == {"ok": True}
        return api


@by_variant
@by_task
async def test_plan_signing_and_classic_signing_send_the_same_bytes(
    task_cls: type[BinanceTask],
    variant: str,
    server: tuple[list[Received], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen, base_url = server
    # Order-creating tasks add a fresh client order id per run: the same one both times.
    monkeypatch.setattr(BinanceTask, "new_client_order_id", classmethod(lambda cls: "aioca-id"))
    params = params_for(task_cls, variant)
    await _send_with(FixedClockApi, task_cls, params, base_url)
    classic = await _send_with(ClassicSigningApi, task_cls, params, base_url)
    assert isinstance(classic, ClassicSigningApi)
    assert classic.signed_requests == (1 if is_signed(task_cls) else 0)
    assert len(seen) == 2
    first, second = seen
    assert (first.method, first.path, first.query, first.body) == (
        second.method,
        second.path,
        second.query,
        second.body,
    )
    for name in ("X-MBX-APIKEY", "Content-Type"):
        assert first.headers.get(name) == second.headers.get(name), name


async def test_a_signing_hook_patched_on_the_instance_is_called(
    server: tuple[list[Received], str],
) -> None:
    seen, base_url = server
    signed: list[str] = []
    async with FixedClockApi(KEY, SECRET, urls={"coinm": base_url}) as api:
        api.server_clock.synced_at = time.monotonic()  # no clock sync request in this test
        original = api.sign_plan

        def recording(plan: aioca.RequestPlan) -> Wire:
            wire = original(plan)
            signed.append(wire.target.raw_query_string)
            return wire

        api.sign_plan = recording  # type: ignore[method-assign]
        task = CATALOG["CoinMAccountInformation"](api=api)
        await task.run()
    assert len(seen) == 1
    assert signed == [seen[0].query]


async def test_an_overridden_handle_response_sees_every_answer(
    server: tuple[list[Received], str],
) -> None:
    seen, base_url = server

    class EnvelopeApi(BinanceRestApi):
        def handle_response(self, response: aioca.Response) -> Any:
            return {"status": response.status, "body": self.decode(response)}

    async with EnvelopeApi(KEY, SECRET, urls={"coinm": base_url}) as api:
        task = CATALOG["CoinMFetchTicker"](api=api, symbol="BTCUSD_PERP")
        assert await task.run() == {"status": 200, "body": {"ok": True}}
    assert len(seen) == 1


async def test_a_task_run_again_sends_the_same_encoded_request(
    server: tuple[list[Received], str],
) -> None:
    seen, base_url = server
    async with BinanceRestApi(KEY, SECRET, urls={"coinm": base_url}) as api:
        task = CATALOG["CoinMFetchKline"](api=api, symbol="BTCUSD_PERP", interval="1m", limit=5)
        for _ in range(3):
            await task.run()
    assert [request.query for request in seen] == ["symbol=BTCUSD_PERP&interval=1m&limit=5"] * 3


# --- 8. the catalog is lazy ---------------------------------------------------------------

TASK_MODULES = [f"aioca_binance.coinm.{name}" for name in ("account", "market", "statistics")]


def _in_fresh_interpreter(code: str) -> dict[str, Any]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_finding_the_exchange_imports_no_task_module() -> None:
    found = _in_fresh_interpreter(
        "import json, sys, aioca\n"
        "api = aioca.exchange('binance')\n"
        "names = list(aioca.catalog('binance'))\n"
        f"print(json.dumps({{'loaded': [m for m in {TASK_MODULES!r} if m in sys.modules],"
        " 'names': len(names), 'api': type(api).__name__}))"
    )
    assert found == {"loaded": [], "names": 69, "api": "BinanceRestApi"}


def test_a_class_is_imported_with_its_module_on_first_access() -> None:
    found = _in_fresh_interpreter(
        "import json, sys\n"
        "from aioca_binance.coinm import CATALOG\n"
        "before = [m for m in sys.modules if m.startswith('aioca_binance.coinm.')]\n"
        "ping = CATALOG['CoinMPing']\n"
        "from aioca_binance.coinm import CoinMPing\n"
        "after = sorted(m for m in sys.modules if m.startswith('aioca_binance.coinm.'))\n"
        "print(json.dumps({'before': before, 'after': after, 'same': ping is CoinMPing,"
        " 'where': ping.__module__}))"
    )
    assert found["before"] == []
    assert found["same"] is True
    assert found["where"] == "aioca_binance.coinm.market"
    assert "aioca_binance.coinm.market" in found["after"]
    assert "aioca_binance.coinm.account" not in found["after"]


def test_the_lazy_catalog_behaves_like_a_read_only_mapping() -> None:
    import aioca_binance.coinm as coinm

    assert len(CATALOG) == 69
    assert "CoinMPing" in CATALOG
    assert "CoinMEvil" not in CATALOG
    assert 42 not in CATALOG
    with pytest.raises(KeyError):
        CATALOG["CoinMEvil"]
    with pytest.raises(AttributeError, match="CoinMEvil"):
        coinm.CoinMEvil  # noqa: B018
    assert CATALOG.get("CoinMEvil") is None
    assert dict(CATALOG.items())["CoinMPing"] is coinm.CoinMPing
    assert set(CATALOG) <= set(dir(coinm))
    assert "69" in repr(CATALOG)

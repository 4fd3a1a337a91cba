"""Wire parity: every catalog task puts on the wire what Binance's official SDK of its
market sends for the same input.

For each task of the catalog, two parameter sets are generated from its parameter model
(the required parameters only, and every parameter that can be sent with them); aioca
and the SDK (``binance-sdk-derivatives-trading-coin-futures``, ``...-usds-futures``,
``binance-sdk-spot``: the ``interop`` extra) send it to a recording HTTP server on
127.0.0.1, and the two raw requests are compared: method, path, the parameters and their
values (query string and form body together: Binance reads both), the key header where
the security type needs it, and a signature that verifies over exactly the bytes sent
(HMAC; Ed25519 and RSA for a signed GET and POST).

Where the SDK sends something Binance's documentation does not ask for or forbids, aioca
follows the documentation: :data:`DIFFERENCES` lists each case with its reason, and the
test fails if a listed difference disappears (so the list stays true).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import re
import threading
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from aioca import errors
from aioca.params import TaskParams
from aioca_binance import BinanceRestApi
from aioca_binance.task import BinanceTask

SPEC = Path(__file__).resolve().parents[1] / "spec"
API_KEY = "parity-key-0123456789"
API_SECRET = "parity-secret-abcdefghijklmnop"
TIMESTAMP = 1_767_225_600_123

# --- the recording server -----------------------------------------------------------------


@dataclass
class Captured:
    method: str
    path: str
    query: str
    body: str
    headers: dict[str, str]

    @property
    def params(self) -> list[tuple[str, str]]:
        """Every parameter sent, query string then body, decoded."""
        return parse_qsl(self.query, keep_blank_values=True) + parse_qsl(
            self.body, keep_blank_values=True
        )

    @property
    def signed_payload(self) -> tuple[str, str] | None:
        """``(payload, signature)``: what the signature covers (the query string followed by
        the body, without the trailing ``signature``), if the request is signed."""
        total = self.query + self.body
        payload, sep, signature = total.rpartition("&signature=")
        if not sep:
            return None
        return payload, signature


class _Recorder(http.server.BaseHTTPRequestHandler):
    captured: list[Captured]

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        self.server.captured.append(  # type: ignore[attr-defined]
            Captured(
                self.command, path, query, body, {k.lower(): v for k, v in self.headers.items()}
            )
        )
        payload = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _record  # noqa: N815

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[Any]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.captured = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


# --- the catalog, the spec and the SDK -----------------------------------------------------

MARKETS = {
    "coinm": (
        "binance-coinm-rest.json",
        "binance_sdk_derivatives_trading_coin_futures",
        "DerivativesTradingCoinFutures",
    ),
    "usdm": (
        "binance-usdm-rest.json",
        "binance_sdk_derivatives_trading_usds_futures",
        "DerivativesTradingUsdsFutures",
    ),
    "spot": ("binance-spot-rest.json", "binance_sdk_spot", "Spot"),
}


def _spec(market: str) -> dict[tuple[str, str], dict[str, Any]]:
    entries = json.loads((SPEC / MARKETS[market][0]).read_text(encoding="utf-8"))
    return {(entry["method"], entry["path"]): entry for entry in entries}


def _catalog_tasks() -> list[type[BinanceTask]]:
    import aioca

    found = []
    for task in aioca.catalog("binance").values():
        if issubclass(task, BinanceTask) and task.endpoint.market in MARKETS:
            found.append(task)
    return sorted(found, key=lambda task: task.__name__)


TASKS = _catalog_tasks()

NO_SDK_METHOD: dict[str, str] = {
    "/dapi/v1/pmAccountInfo": "documented by Binance, not in the SDK",
    "/dapi/v1/algoOrder": "documented by Binance (the CM migration's algo orders), not in the SDK",
    "/dapi/v1/openAlgoOrders": "documented by Binance, not in the SDK",
    "/futures/data/delivery-price": "documented by Binance, not in the SDK",
}
"""Catalog endpoints no SDK method sends (the spec's ``-extra`` file): no parity to check."""


# --- parameter sets ------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation


_TIMES = {"startTime": 1_767_225_600_000, "endTime": 1_767_229_200_000}


def _annotation(info: Any) -> Any:
    """A field's type with the constraints pydantic moved to its metadata."""
    if info.metadata:
        return typing.Annotated[(info.annotation, *info.metadata)]
    return info.annotation


def _bounds(annotation: Any) -> tuple[int | None, int | None]:
    """The tightest ``ge``/``le`` of an annotation's metadata."""
    low: int | None = None
    high: int | None = None
    pending = [annotation]
    while pending:
        current = pending.pop()
        if typing.get_origin(current) is typing.Annotated:
            for item in current.__metadata__:
                for part in getattr(item, "metadata", [item]):
                    ge, le = getattr(part, "ge", None), getattr(part, "le", None)
                    if ge is not None:
                        low = ge if low is None else max(low, ge)
                    if le is not None:
                        high = le if high is None else min(high, le)
        pending += list(typing.get_args(current))
    return low, high


def _value(name: str, annotation: Any, index: int = 0) -> Any:
    value = _raw_value(name, annotation, index)
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = _bounds(annotation)
        if high is not None and value > high:
            value = high - index if low is None or high - index >= low else high
        if low is not None and value < low:
            value = low
    return value


def _raw_value(name: str, annotation: Any, index: int = 0) -> Any:
    kind = _unwrap(annotation)
    origin = typing.get_origin(kind)
    if origin is typing.Literal:
        choices = typing.get_args(kind)
        return choices[min(index, len(choices) - 1)]
    if origin is list:
        (item,) = typing.get_args(kind)
        item = _unwrap(item)
        if isinstance(item, type) and issubclass(item, TaskParams):
            return [_item(item, 0), _item(item, 1)]
        return [_value(name, item, 0), _value(name, item, 1)]
    if kind is bool:
        return True
    if kind is Decimal:
        return Decimal("1.5") + index
    if kind is int:
        if name in _TIMES:
            return _TIMES[name]
        if name == "recvWindow":
            return 6000
        if name == "limit":
            return 5
        return 12_345 + index
    if name == "symbol":
        return "BTCUSD_PERP"
    if name == "pair":
        return "BTCUSD"
    if name in ("newClientOrderId", "origClientOrderId", "clientAlgoId"):
        return f"parity-{index}"
    if name == "listenKey":
        return "parity-listen-key"
    return f"text{index}"


def _item(model: type[TaskParams], index: int) -> dict[str, Any]:
    values = {
        name: _value(name, _annotation(info), index)
        for name, info in model.model_fields.items()
        if info.is_required()
    }
    return _complete(model, values, optional=True)


def _complete(model: type[TaskParams], values: dict[str, Any], *, optional: bool) -> dict[str, Any]:
    """``values`` plus what the model's rules then require, and (``optional``) every other
    parameter that may be sent with them."""
    fields = model.model_fields
    if optional:
        for name, info in fields.items():
            values.setdefault(name, _value(name, _annotation(info)))
    for _ in range(len(fields) + 1):
        try:
            model.validate_all(values)
            return values
        except errors.InvalidParameterError as exc:
            changed = False
            for name, reason in exc.problems:
                trigger = re.search(r"cannot be sent when (\w+) is", reason)
                if trigger and not fields[trigger.group(1)].is_required():
                    changed |= values.pop(trigger.group(1), None) is not None
                elif name is None and "cannot be sent together" in reason:
                    second = reason.split("'")[3]
                    changed |= values.pop(second, None) is not None
                elif name is None and "must be sent" in reason:
                    first = reason.split("'")[1]
                    values[first] = _value(first, _annotation(fields[first]))
                    changed = True
                elif name in fields and name not in values:
                    values[name] = _value(name, _annotation(fields[name]))
                    changed = True
                elif name in values and not fields[name].is_required():
                    del values[name]
                    changed = True
            if not changed:
                raise
    raise AssertionError(f"no valid parameter set for {model}")


def parameter_sets(task: type[BinanceTask]) -> dict[str, dict[str, Any]]:
    model = task.Params
    required = {
        name: _value(name, _annotation(info))
        for name, info in model.model_fields.items()
        if info.is_required()
    }
    return {
        "required": _complete(model, dict(required), optional=False),
        "all": _complete(model, dict(required), optional=True),
    }


# --- sending through each side ------------------------------------------------------------


def send_aioca(task: type[BinanceTask], params: dict[str, Any], url: str) -> None:
    import asyncio

    async def run() -> None:
        api = BinanceRestApi(
            API_KEY,
            API_SECRET,
            urls={task.endpoint.market: url},
            time_sync_interval=None,
        )
        api.timestamp_ms = lambda: TIMESTAMP  # type: ignore[method-assign]
        # The recorder's "{}" is not every endpoint's answer: only the request counts.
        async with api:
            with contextlib.suppress(errors.AiocaError):
                await task(api=api, **params).run()

    asyncio.run(run())


def send_sdk(
    task: type[BinanceTask], entry: dict[str, Any], params: dict[str, Any], url: str
) -> None:
    import importlib

    from binance_common.configuration import ConfigurationRestAPI

    market = task.endpoint.market
    _, package, class_name = MARKETS[market]
    module = importlib.import_module(package)
    client = getattr(module, class_name)(
        config_rest_api=ConfigurationRestAPI(api_key=API_KEY, api_secret=API_SECRET, base_path=url)
    )
    names = {param["name"]: param["sdk_name"] for param in entry["params"]}
    arguments = {names[name]: _sdk_value(value) for name, value in params.items()}
    method = getattr(client.rest_api, entry["name"])
    with contextlib.suppress(Exception):  # the SDK reads "{}" as it can: only the request counts
        method(**arguments)


def _sdk_value(value: Any) -> Any:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [dict(item) for item in value]
    return value


@pytest.fixture(autouse=True)
def fixed_sdk_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    import binance_common.utils

    monkeypatch.setattr(binance_common.utils, "get_timestamp", lambda: TIMESTAMP)


# --- the comparison ---------------------------------------------------------------------------

DIFFERENCES = {
    "recvWindow": (
        "aioca sends recvWindow on every signed request (the API's recv_window, 5000 by "
        "default: Binance's documented default), so the window is explicit and set in one "
        "place; the SDK leaves it out unless given. Same meaning on Binance's side."
    ),
    "client order id": (
        "aioca gives every new order (order list, algo order) a client order id when the "
        "caller gives none (newClientOrderId, listClientOrderId, clientAlgoId), so an order "
        "whose outcome is unknown (a timeout, a 5xx) can be found and is never sent twice; "
        "the SDK leaves it to Binance."
    ),
    "pair": (
        "With a symbol and the pair it belongs to (BTCUSD_PERP and BTCUSD), aioca sends "
        "only the symbol: Binance documents that symbol and pair cannot be sent together "
        "(GET /dapi/v1/userTrades, the tickers); the SDK sends both."
    ),
}
"""What aioca sends differently from the SDK, and why: aioca follows Binance's docs (or
adds what they allow). Each case is checked to happen where expected, and nowhere else."""


def _value_of(text: str) -> Any:
    """A parameter's value for comparison: JSON lists and objects (batches) parsed, so that
    the order of an item's keys (free in JSON) does not count."""
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _comparable(params: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    return sorted(
        ((name, _value_of(value)) for name, value in params if name != "signature"),
        key=lambda pair: (pair[0], json.dumps(pair[1], sort_keys=True)),
    )


def expected_differences(
    task: type[BinanceTask], params: dict[str, Any], ours: Captured
) -> dict[str, str]:
    """The listed differences that apply to this request, with what aioca sent for each."""
    sent = dict(ours.params)
    found = {}
    if task.endpoint.security.signed and "recvWindow" not in params:
        found["recvWindow"] = sent.get("recvWindow", "")
    named = task.client_id_field
    if named is not None and not task.endpoint.batch and named not in params:
        found["client order id"] = sent.get(named, "")
    symbol, pair = params.get("symbol"), params.get("pair")
    if (
        ("symbol", "pair") in task.Params.exclusive
        and isinstance(symbol, str)
        and isinstance(pair, str)
        and symbol.startswith(pair + "_")
    ):
        found["pair"] = sent.get("pair", "")
    return found


def _verify_hmac(request: Captured) -> None:
    found = request.signed_payload
    assert found is not None, "a signed request without a signature"
    payload, signature = found
    expected = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert signature == expected, "the signature does not cover the bytes sent"


CASES = [
    (task, label)
    for task in TASKS
    if task.endpoint.path not in NO_SDK_METHOD
    for label in ("required", "all")
]


def _exchange(
    recorder: Any, task: type[BinanceTask], params: dict[str, Any]
) -> tuple[Captured, Captured]:
    endpoint = task.endpoint
    entry = _spec(endpoint.market).get((endpoint.method, endpoint.path))
    assert entry is not None, f"{task.__name__}: {endpoint} is not in the spec"
    url = _url(recorder)
    recorder.captured.clear()
    send_aioca(task, params, url)
    send_sdk(task, entry, params, url)
    assert len(recorder.captured) == 2, [c.path for c in recorder.captured]
    ours, theirs = recorder.captured
    return ours, theirs


@pytest.mark.parametrize(
    ("task", "label"), CASES, ids=[f"{task.__name__}-{label}" for task, label in CASES]
)
def test_aioca_sends_what_the_sdk_sends(recorder, task, label):
    endpoint = task.endpoint
    params = parameter_sets(task)[label]
    ours, theirs = _exchange(recorder, task, params)
    assert (ours.method, ours.path) == (theirs.method, theirs.path)
    assert (ours.method, ours.path) == (endpoint.method, endpoint.path)

    # The parameters and their values, less the listed differences, each of which must
    # show exactly as described.
    differences = expected_differences(task, params, ours)
    left_out = {task.client_id_field if n == "client order id" else n for n in differences}
    mine = [(n, v) for n, v in ours.params if n not in left_out]
    sdk = [(n, v) for n, v in theirs.params if n not in left_out]
    assert _comparable(mine) == _comparable(sdk)
    sdk_sent = dict(theirs.params)
    for name, value in differences.items():
        if name == "recvWindow":
            assert value == "5000"
            assert name not in sdk_sent
        elif name == "client order id":
            assert value  # generated by aioca
            assert task.client_id_field not in sdk_sent
        else:  # the pair of the symbol sent
            assert value == ""
            assert sdk_sent.get("pair") == params["pair"]

    # The key header where the security type needs it; aioca sends no key to public
    # endpoints (the SDK sends its key everywhere, which Binance does not ask for).
    if endpoint.security.needs_key:
        assert ours.headers.get("x-mbx-apikey") == API_KEY
        assert theirs.headers.get("x-mbx-apikey") == API_KEY
    else:
        assert "x-mbx-apikey" not in ours.headers

    # A signature over exactly the bytes sent, last, and the same time stamp.
    if endpoint.security.signed:
        _verify_hmac(ours)
        _verify_hmac(theirs)
        assert dict(ours.params)["timestamp"] == dict(theirs.params)["timestamp"]
    else:
        assert ours.signed_payload is None
        assert "timestamp" not in dict(ours.params)


def test_every_listed_difference_happens(recorder):
    """The list of differences stays true: each one shows on at least one request."""
    seen: set[str] = set()
    for task, label in CASES:
        params = parameter_sets(task)[label]
        if task.endpoint.security.signed or "pair" in params:
            ours, _ = _exchange(recorder, task, params)
            seen |= set(expected_differences(task, params, ours))
    assert seen == set(DIFFERENCES)


def test_each_task_says_in_its_docstring_where_it_differs_from_the_sdk():
    """A task on which a listed difference can happen says so in its docstring (what
    ``aioca describe`` prints): the symbol sent without its own pair, the generated client
    order id. (recvWindow, on every signed task, is said once, on the Binance page.)"""
    import aioca

    for name, task in aioca.catalog("binance").items():
        doc = " ".join((task.__doc__ or "").split())
        drops_pair = ("symbol", "pair") in task.Params.exclusive
        assert ("only the symbol is sent; Binance's SDK sends both" in doc) is drops_pair, name
        generates = task.client_id_field is not None
        said = f"without {task.client_id_field}, aioca sends one it generates"
        assert (said in doc and "Binance's SDK leaves it to Binance" in doc) is generates, name


# --- Ed25519 and RSA: the SDK's and aioca's signatures over the same bytes ------------------


def _key_pair(kind: str) -> tuple[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key: Any = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else (rsa.generate_private_key(public_exponent=65537, key_size=2048))
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key.public_key()


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
@pytest.mark.parametrize("task_name", ["CoinMAccountInformation", "CoinMNewOrder"])
def test_asymmetric_signatures_cover_the_bytes_sent(recorder, kind, task_name, monkeypatch):
    import asyncio
    import importlib
    from urllib.parse import unquote_plus

    from binance_common.configuration import ConfigurationRestAPI
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    import aioca

    task = aioca.catalog("binance")[task_name]
    pem, public = _key_pair(kind)
    params = parameter_sets(task)["all"]
    entry = _spec("coinm")[(task.endpoint.method, task.endpoint.path)]
    url = _url(recorder)
    recorder.captured.clear()

    async def run() -> None:
        api = BinanceRestApi(API_KEY, private_key=pem, urls={"coinm": url}, time_sync_interval=None)
        api.timestamp_ms = lambda: TIMESTAMP  # type: ignore[method-assign]
        async with api:
            with contextlib.suppress(errors.AiocaError):
                await task(api=api, **params).run()

    asyncio.run(run())
    module = importlib.import_module(MARKETS["coinm"][1])
    client = getattr(module, MARKETS["coinm"][2])(
        config_rest_api=ConfigurationRestAPI(api_key=API_KEY, private_key=pem, base_path=url)
    )
    names = {param["name"]: param["sdk_name"] for param in entry["params"]}
    with contextlib.suppress(Exception):
        getattr(client.rest_api, entry["name"])(**{names[k]: v for k, v in params.items()})
    ours, theirs = recorder.captured
    signatures = []
    for request in (ours, theirs):
        found = request.signed_payload
        assert found is not None
        payload, encoded = found
        signature = base64.b64decode(unquote_plus(encoded))
        if kind == "ed25519":
            public.verify(signature, payload.encode())
        else:
            public.verify(signature, payload.encode(), padding.PKCS1v15(), hashes.SHA256())
        signatures.append((payload, signature))
    # Both deterministic: the same bytes signed give the same signature.
    (our_payload, our_signature), (sdk_payload, sdk_signature) = signatures
    if our_payload == sdk_payload:
        assert our_signature == sdk_signature
    assert _comparable(ours.params) == _comparable(theirs.params)


def test_sdk_batch_items_add_their_model_defaults(recorder):
    """A batch written as the SDK's users write it (its item models) gets the models'
    defaults: ``reduceOnly`` and ``priceProtect`` as ``"FALSE"`` (Binance documents
    ``true``/``false``), ``workingType``, ``newOrderRespType`` and
    ``selfTradePreventionMode`` chosen for the user. aioca sends only what it is given and
    leaves the rest to Binance's documented defaults. (The catalog-wide test above passes
    plain mappings to the SDK, which it sends as given.)"""
    import importlib

    from binance_common.configuration import ConfigurationRestAPI

    import aioca

    task = aioca.catalog("binance")["CoinMPlaceMultipleOrders"]
    item = {
        "symbol": "BTCUSD_PERP",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": Decimal("1"),
        "price": Decimal("30000.5"),
        "newClientOrderId": "parity-batch",
    }
    url = _url(recorder)
    recorder.captured.clear()
    send_aioca(task, {"batchOrders": [item]}, url)
    module = importlib.import_module(MARKETS["coinm"][1])
    models = importlib.import_module(MARKETS["coinm"][1] + ".rest_api.models")
    client = module.DerivativesTradingCoinFutures(
        config_rest_api=ConfigurationRestAPI(api_key=API_KEY, api_secret=API_SECRET, base_path=url)
    )
    sdk_item = models.PlaceMultipleOrdersBatchOrdersParameterInner(
        symbol="BTCUSD_PERP",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=1,
        price=30000.5,
        new_client_order_id="parity-batch",
    )
    with contextlib.suppress(Exception):
        client.rest_api.place_multiple_orders(batch_orders=[sdk_item])
    ours, theirs = recorder.captured
    our_items = json.loads(dict(ours.params)["batchOrders"])
    sdk_items = json.loads(dict(theirs.params)["batchOrders"])
    assert our_items == [
        {
            "symbol": "BTCUSD_PERP",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "1",
            "price": "30000.5",
            "newClientOrderId": "parity-batch",
        }
    ]
    added = {key: value for key, value in sdk_items[0].items() if key not in our_items[0]}
    assert added == {
        "reduceOnly": "FALSE",
        "priceProtect": "FALSE",
        "workingType": "CONTRACT_PRICE",
        "newOrderRespType": "ACK",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    # A whole quantity: the SDK keeps a Python int as a JSON number; aioca sends decimals
    # as JSON strings, as Binance's docs write them ("quantity":"1").
    shared = {key: sdk_items[0][key] for key in our_items[0]}
    assert shared == {**our_items[0], "quantity": 1}


# --- the spec's signing vectors, the SDK side ------------------------------------------------

SPOT_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPOT_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
FUTURES_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"


@pytest.mark.parametrize(
    ("symbol", "payload", "signature"),
    [
        (
            "LTCBTC",
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
            "&recvWindow=5000&timestamp=1499827319559",
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
        ),
        (
            "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits one to six
            "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT"
            "&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
        ),
    ],
    ids=["ascii", "non-ascii"],
)
def test_the_spot_sdk_sends_the_published_vectors(
    recorder, monkeypatch, symbol, payload, signature
):
    """Binance's published Spot examples (spec: binance-signing-and-errors.md): the
    official Spot SDK puts exactly the published payload on the wire, UTF-8 percent-encoded
    for the non-ASCII symbol, and its HMAC is the published signature. (aioca's side of the
    same vectors is tested byte for byte with the Spot catalog.)"""
    import binance_common.utils
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_spot import Spot

    monkeypatch.setattr(binance_common.utils, "get_timestamp", lambda: 1_499_827_319_559)
    client = Spot(
        config_rest_api=ConfigurationRestAPI(
            api_key=SPOT_KEY, api_secret=SPOT_SECRET, base_path=_url(recorder)
        )
    )
    recorder.captured.clear()
    with contextlib.suppress(Exception):
        client.rest_api.new_order(
            symbol=symbol,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=1,
            price=0.1,
            recv_window=5000,
        )
    (sent,) = recorder.captured
    assert (sent.method, sent.path) == ("POST", "/api/v3/order")
    assert sent.signed_payload == (payload, signature)
    assert sent.headers["x-mbx-apikey"] == SPOT_KEY
    assert hmac.new(SPOT_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest() == signature


def test_the_usdm_sdk_signs_what_it_sends_in_its_own_order(recorder, monkeypatch):
    """The USDⓈ-M example (``3c661234…``) signs ``quantity`` and ``price`` before
    ``timeInForce``; the USDⓈ-M SDK sends ``timeInForce`` first, and signs that: a valid
    signature of its own bytes, not the published one. Binance reads parameters in any
    order, so both are right; aioca sends the declaration's order (the spec's)."""
    import binance_common.utils
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_usds_futures import DerivativesTradingUsdsFutures

    monkeypatch.setattr(binance_common.utils, "get_timestamp", lambda: 1_591_702_613_943)
    client = DerivativesTradingUsdsFutures(
        config_rest_api=ConfigurationRestAPI(
            api_key="key", api_secret=FUTURES_SECRET, base_path=_url(recorder)
        )
    )
    recorder.captured.clear()
    with contextlib.suppress(Exception):
        client.rest_api.new_order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            quantity=1,
            price=9000,
            time_in_force="GTC",
            recv_window=5000,
        )
    (sent,) = recorder.captured
    published = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
        "&recvWindow=5000&timestamp=1591702613943"
    )
    assert (
        hmac.new(FUTURES_SECRET.encode(), published.encode(), hashlib.sha256).hexdigest()
        == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    )
    found = sent.signed_payload
    assert found is not None
    payload, signature = found
    assert sorted(payload.split("&")) == sorted(published.split("&"))
    assert payload != published  # its own order
    assert (
        signature == hmac.new(FUTURES_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    )

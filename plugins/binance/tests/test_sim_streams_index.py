"""The simulator's USDⓈ-M index streams: ``<symbol>@compositeIndex`` of its composite index
contract (``DEFIUSDT``) and the one-asset ``<assetSymbol>@assetIndex`` (documented only in
the description of ``!assetIndex@arr``), shaped as Binance documents them, received typed
by aioca's ``market_stream``, and equal to REST (``/fapi/v1/indexInfo``,
``/fapi/v1/premiumIndex``, ``/fapi/v1/assetIndex``) at the same fake-clock millisecond."""

from __future__ import annotations

import contextlib
import importlib.util
from decimal import Decimal
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from sim_helpers import FakeClock
from sim_streams_helpers import (
    documented_streams,
    publish_and_read,
    published,
    raw_frames,
    rest_get,
    shape,
    subscribed,
    ws_spec,
)
from spec_files import SPEC_DIR

from aioca.errors import BadRequestError
from aioca_binance.streams import usdm as models
from aioca_binance.streams.protocol import BinanceMarketProtocol
from aioca_binance.usdm import UsdmSendQuoteRequest
from aioca_binance_sim import BinanceSimulator

COMPOSITE = "DEFIUSDT"
START = 1_795_000_003.0
"""A whole second of the fake clock: a payload of that second has ``E`` = now."""


def _built(sim: BinanceSimulator, topic: str) -> list[Any]:
    """What the USDⓈ-M hub publishes on ``topic`` for the clock's second."""
    return published(sim, "usdm", topic, sim.now_ms() // 1000)


# --- <symbol>@compositeIndex -----------------------------------------------------------------


async def test_the_composite_index_is_shaped_as_documented() -> None:
    async with BinanceSimulator(seed=3, clock=FakeClock(START)) as sim:
        (payload,) = _built(sim, "defiusdt@compositeIndex")
    documented = documented_streams("usdm")["btcusdt@compositeIndex"]
    assert shape(payload, ordered=True) == shape(documented, ordered=True)
    assert payload["e"] == "compositeIndex"
    assert payload["s"] == COMPOSITE
    assert payload["C"] == "baseAsset"
    assert [item["b"] for item in payload["c"]] == ["ETH", "BNB", "SOL", "XRP"]
    assert {item["q"] for item in payload["c"]} == {"USDT"}
    assert sum(Decimal(item["W"]) for item in payload["c"]) == 1  # shares of the index


async def test_the_composite_index_arrives_typed() -> None:
    clock = FakeClock(START)
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        async with subscribed(sim, "usdm", "defiusdt@compositeIndex") as (stream, hub):
            (message,) = await publish_and_read(stream, hub, clock, 1)
        now = sim.now_ms()
    event = message.data
    assert isinstance(event, models.CompositeIndexSymbolInformation)
    assert (event.symbol, event.event_time, event.base_asset_category) == (
        COMPOSITE,
        now,
        "baseAsset",
    )
    assert isinstance(event.price, Decimal)
    assert event.price > 0
    assert event.composition is not None
    assert len(event.composition) == 4
    for component in event.composition:
        assert isinstance(component, models.CompositeIndexSymbolInformationComposition)
        assert isinstance(component.weight_in_quantity, Decimal)
        assert isinstance(component.index_price, Decimal)


async def test_the_composite_index_equals_rest_at_the_same_millisecond() -> None:
    """``indexInfo`` gives the components and weights, ``premiumIndex`` the index price of
    the contract (``p``) and of each component's perpetual (``i``); the index is the sum
    of the weighted component prices (each written to 8 decimals: within their rounding)."""
    async with BinanceSimulator(seed=5, clock=FakeClock(START)) as sim:
        now = sim.now_ms()
        seen = await raw_frames(sim, "usdm", ["defiusdt@compositeIndex"])
        assert sim.now_ms() == now  # REST is asked at the stream's millisecond
        info = await rest_get(sim, "usdm", "/fapi/v1/indexInfo")
        one = await rest_get(sim, "usdm", "/fapi/v1/indexInfo", symbol=COMPOSITE)
        coin = await rest_get(sim, "usdm", "/fapi/v1/indexInfo", symbol="BTCUSDT")
        marks = await rest_get(sim, "usdm", "/fapi/v1/premiumIndex")
    (payload,) = seen["defiusdt@compositeIndex"]
    (row,) = info
    assert one == [row]
    assert coin == []  # a listed symbol that is no composite index
    assert (payload["E"], payload["s"], payload["C"]) == (
        row["time"],
        row["symbol"],
        row["component"],
    )
    assert payload["E"] == now
    assert [(c["b"], c["q"], c["w"], c["W"]) for c in payload["c"]] == [
        (c["baseAsset"], c["quoteAsset"], c["weightInQuantity"], c["weightInPercentage"])
        for c in row["baseAssetList"]
    ]
    index = {m["symbol"]: m["indexPrice"] for m in marks}
    assert payload["p"] == index[COMPOSITE]
    assert [c["i"] for c in payload["c"]] == [index[c["b"] + c["q"]] for c in payload["c"]]
    weights = [Decimal(c["w"]) for c in payload["c"]]
    weighted = sum(w * Decimal(c["i"]) for w, c in zip(weights, payload["c"], strict=True))
    rounding = sum(weights) * Decimal("0.5e-8") + Decimal("0.5e-8")
    assert abs(Decimal(payload["p"]) - weighted) <= rounding


async def _subscribe(ws: aiohttp.ClientWebSocketResponse, number: int, *topics: str) -> Any:
    """Send ``SUBSCRIBE`` for ``topics``; the hub's reply to it."""
    await ws.send_json({"method": "SUBSCRIBE", "params": list(topics), "id": number})
    return await ws.receive_json(timeout=2)


async def test_a_listed_contract_that_is_no_index_is_subscribed_and_sends_nothing() -> None:
    """The stream is named by its pattern (the spec's example stream is
    ``btcusdt@compositeIndex``): a listed contract without an index is subscribed as any
    stream (``{"result": null}``), by ``SUBSCRIBE`` and in the URL, and is sent nothing
    over seconds in which the composite's stream, on the same connection, says something
    every second. A symbol USDⓈ-M does not list is the same silence."""
    clock = FakeClock(START)
    quiet = ["btcusdt@compositeIndex", "ethusdt@compositeIndex", "nosuchusdt@compositeIndex"]
    async with BinanceSimulator(seed=3, clock=clock) as sim:
        hub = sim.market_streams["usdm"]
        hub.publish_interval = 3600.0  # the test publishes
        quarterly = next(name for name in sim.venues["usdm"].symbols if "_" in name)
        quiet.append(f"{quarterly.lower()}@compositeIndex")
        url = f"{sim.ws_urls['usdm']}/stream?streams=btcusdt@compositeIndex"
        received: list[str] = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            reply = await _subscribe(ws, 7, *quiet[1:], "defiusdt@compositeIndex")
            await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 8})
            listed = await ws.receive_json(timeout=2)
            for _ in range(3):
                clock.advance(1.0)
                await hub.publish()
                with contextlib.suppress(TimeoutError):
                    while True:
                        received.append((await ws.receive_json(timeout=0.3))["stream"])
    assert reply == {"result": None, "id": 7}
    assert listed == {"result": sorted([*quiet, "defiusdt@compositeIndex"]), "id": 8}
    assert received == ["defiusdt@compositeIndex"] * 3
    assert published(sim, "usdm", "btcusdt@compositeIndex", int(START)) == []


async def test_a_symbol_usdm_does_not_list_is_accepted_and_silent_as_on_every_stream() -> None:
    """Binance checks a stream name by its pattern: ``nosuchusdt@compositeIndex`` is
    accepted like ``nosuchusdt@aggTrade`` (in the URL and by ``SUBSCRIBE``; its silence:
    the test above), while a name no pattern matches is refused (code 2; HTTP 400 in the URL)."""
    async with BinanceSimulator(seed=3, clock=FakeClock(START)) as sim:
        base = sim.ws_urls["usdm"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/stream?streams=btcusdt@noSuchStream") as refused:
                status = refused.status
            url = f"{base}/stream?streams=nosuchusdt@compositeIndex"
            async with http.ws_connect(url) as in_url:
                await in_url.close()
            async with http.ws_connect(f"{base}/stream") as ws:
                unlisted = await _subscribe(ws, 1, "nosuchusdt@compositeIndex")
                trades = await _subscribe(ws, 2, "nosuchusdt@aggTrade")
                unknown = await _subscribe(ws, 3, "btcusdt@noSuchStream")
    assert status == 400
    assert unlisted == {"result": None, "id": 1}
    assert trades == {"result": None, "id": 2}
    assert unknown["error"]["code"] == 2


# --- <assetSymbol>@assetIndex ----------------------------------------------------------------


def _assets(sim: BinanceSimulator) -> list[str]:
    """The asset index's symbols (``BTCUSD``): one per coin with a USDT perpetual."""
    venue = sim.venues["usdm"]
    return [
        f"{s.base}USD"
        for s in venue.symbols.values()
        if s.name == f"{s.base}USDT" and not s.components
    ]


async def test_one_asset_s_index_is_shaped_as_an_item_of_the_array() -> None:
    async with BinanceSimulator(seed=3, clock=FakeClock(START)) as sim:
        (payload,) = _built(sim, "btcusd@assetIndex")
        unknown = _built(sim, "defiusd@assetIndex")  # the composite index is no margin asset
    (item, *_) = documented_streams("usdm")["!assetIndex@arr"]
    assert shape(payload, ordered=True) == shape(item, ordered=True)
    assert (payload["e"], payload["s"]) == ("assetIndexUpdate", "BTCUSD")
    assert unknown == []


def test_the_client_catalog_has_the_one_asset_stream_as_no_array() -> None:
    spec = BinanceMarketProtocol("usdm").spec_of("btcusd@assetIndex")
    assert spec is not None
    assert (spec.pattern, spec.model, spec.is_array) == (
        "<assetSymbol>@assetIndex",
        models.AssetIndex,
        False,
    )
    assert (spec.group, spec.update_speed) == ("market", "1s")  # as !assetIndex@arr's
    array = BinanceMarketProtocol("usdm").spec_of("!assetIndex@arr")
    assert array is not None
    assert array.is_array


async def test_one_asset_s_index_arrives_typed() -> None:
    clock = FakeClock(START)
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        async with subscribed(sim, "usdm", "ethusd@assetIndex") as (stream, hub):
            (message,) = await publish_and_read(stream, hub, clock, 1)
        now = sim.now_ms()
    event = message.data
    assert isinstance(event, models.AssetIndex)  # one item, not a list
    assert (event.asset_index_symbol, event.event_time) == ("ETHUSD", now)
    assert isinstance(event.index_price, Decimal)
    assert event.index_price > 0


_REST_NAMES = {"i": "index", "b": "bidBuffer", "a": "askBuffer", "B": "bidRate"}
_REST_NAMES |= {"A": "askRate", "q": "autoExchangeBidBuffer", "g": "autoExchangeAskBuffer"}
_REST_NAMES |= {"Q": "autoExchangeBidRate", "G": "autoExchangeAskRate", "s": "symbol"}
_REST_NAMES |= {"E": "time"}


async def test_one_asset_s_index_equals_its_array_item_and_rest_at_the_same_millisecond() -> None:
    async with BinanceSimulator(seed=5, clock=FakeClock(START)) as sim:
        assets = _assets(sim)
        topics = [f"{asset.lower()}@assetIndex" for asset in assets] + ["!assetIndex@arr"]
        now = sim.now_ms()
        seen = await raw_frames(sim, "usdm", topics)
        assert sim.now_ms() == now
        path = "/fapi/v1/assetIndex"
        rows = {asset: await rest_get(sim, "usdm", path, symbol=asset) for asset in assets}
        composite = await rest_get(sim, "usdm", path, expect_status=400, symbol="DEFIUSD")
    ((array,),) = [seen["!assetIndex@arr"]]
    by_asset = {item["s"]: item for item in array}
    assert set(by_asset) == set(assets)
    for asset in assets:
        (payload,) = seen[f"{asset.lower()}@assetIndex"]
        assert payload == by_asset[asset]
        row = rows[asset]
        assert {key: payload[key] for key in _REST_NAMES} == {
            key: row[name] for key, name in _REST_NAMES.items()
        }
        assert payload["E"] == now
    assert composite["code"] == -1121


# --- the catalog overlay ---------------------------------------------------------------------


def _generator() -> ModuleType:
    path = SPEC_DIR.parent / "tools" / "generate_streams.py"
    module_spec = importlib.util.spec_from_file_location("generate_streams_under_test", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_the_overlay_stream_comes_from_the_spec_s_description_and_stops_when_it_goes() -> None:
    """``<assetSymbol>@assetIndex`` is in the catalog because the spec's description of
    ``!assetIndex@arr`` names it: a spec whose description no longer does stops the
    generator rather than keep a stream Binance may have dropped."""
    generator = _generator()
    usdm = ws_spec()["markets"]["usdm"]
    rows = generator.described_streams("usdm", usdm, {"!assetIndex@arr": "AssetIndex"})
    assert rows == [
        (
            "<assetSymbol>@assetIndex",
            "^[a-z0-9]+@assetIndex$",
            "AssetIndex",
            False,
            "market",
            "1s",
        )
    ]
    changed = ws_spec()["markets"]["usdm"]
    for stream in changed["streams"]:
        if stream["stream"] == "!assetIndex@arr":
            stream["description"] = "Asset index price."
    with pytest.raises(SystemExit, match="no longer described"):
        generator.described_streams("usdm", changed, {"!assetIndex@arr": "AssetIndex"})
    assert generator.described_streams("spot", ws_spec()["markets"]["spot"], {}) == []


# --- what the composite index is not ---------------------------------------------------------


async def test_the_composite_index_is_no_asset_to_convert() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        quote = await UsdmSendQuoteRequest(
            api=api, fromAsset="USDT", toAsset="ETH", fromAmount="100"
        ).run()
        assert Decimal(quote["toAmount"]) > 0
        with pytest.raises(BadRequestError, match="-1108"):
            await UsdmSendQuoteRequest(
                api=api, fromAsset="USDT", toAsset="DEFI", fromAmount="100"
            ).run()

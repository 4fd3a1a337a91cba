"""The simulator's liquidation streams, ``<symbol>@forceOrder`` and ``!forceOrder@arr``, on
USDⓈ-M and COIN-M: shaped as Binance documents them, received typed by aioca's
``market_stream``, at most one per symbol per second, the same for the same seed, the
all-market stream the union of the symbols' streams, prices and quantities within the
symbols' filters and on the book's side (as REST's depth showed it then), and on USDⓈ-M
the account's own liquidation with the figures ``/fapi/v1/forceOrders`` answers."""

from __future__ import annotations

import contextlib
from collections import Counter
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from sim_helpers import FakeClock
from sim_streams_helpers import (
    API_PREFIX,
    documented_streams,
    futures_symbols,
    published,
    shape,
    subscribed,
)

from aioca.stream import Gap
from aioca_binance.streams import coinm, usdm
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.liquidations import CHANCE
from aioca_binance_sim.market import TRADE_MS

D = Decimal
SYMBOL = {"usdm": "BTCUSDT", "coinm": "BTCUSD_PERP"}
MODELS = {
    "usdm": (usdm.LiquidationOrder, usdm.AllMarketLiquidationOrder),
    "coinm": (coinm.MarketLiquidationOrder, coinm.AllMarketLiquidationOrder),
}


def _json(model: Any) -> Any:
    """A model as Binance's JSON, the fields it does not carry left out."""
    return model.model_dump(by_alias=True, exclude_none=True)


async def _drain(stream: Any, *, data: bool = True) -> list[Any]:
    """What ``stream`` received (gaps left out; the test sees none): its messages'
    ``data``, or the messages themselves, until nothing more comes for half a second."""
    items = []
    with contextlib.suppress(TimeoutError):
        while True:
            item = await stream.next(0.5)
            assert not isinstance(item, Gap), item
            items.append(item.data if data else item)
    return items


@pytest.mark.parametrize(
    ("market", "topic"),
    [
        ("usdm", "btcusdt@forceOrder"),
        ("usdm", "!forceOrder@arr"),
        ("coinm", "btcusd_perp@forceOrder"),
        ("coinm", "!forceOrder@arr"),
    ],
)
async def test_liquidations_are_shaped_as_binance_documents_them(market: str, topic: str) -> None:
    documented = documented_streams(market)[topic]
    async with BinanceSimulator(seed=3) as sim:
        assert sim.market_streams[market].source.find(topic) is not None
        now = sim.now_ms() // 1000
        payloads = [
            p for second in range(now - 120, now) for p in published(sim, market, topic, second)
        ]
    assert payloads  # a liquidation every ten seconds or so
    for payload in payloads:
        assert shape(payload) == shape(documented)
        assert payload["e"] == "forceOrder"
        order = payload["o"]
        assert (order["o"], order["f"], order["X"]) == ("LIMIT", "IOC", "FILLED")
        assert order["q"] == order["l"] == order["z"]  # filled whole, at once
        assert payload["E"] - 1000 <= order["T"] < payload["E"]  # the second before E
        if market == "coinm":
            assert order["ps"] == order["s"].split("_")[0]


def test_the_served_streams_cover_the_liquidation_streams() -> None:
    from aioca_binance_sim.feeds import find_feed
    from aioca_binance_sim.usdm.feeds import find_usdm_feed

    served_usdm = {t for t in documented_streams("usdm") if find_usdm_feed(t) is not None}
    served_coinm = {t for t in documented_streams("coinm") if find_feed(t) is not None}
    assert {"btcusdt@forceOrder", "!forceOrder@arr"} <= served_usdm
    assert {"btcusd_perp@forceOrder", "!forceOrder@arr"} <= served_coinm


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_liquidations_arrive_typed_one_per_symbol_per_second(market: str) -> None:
    """Through aioca's client, from the simulator's hub: the symbol's stream is exactly
    its share of the all-market stream, which carries every symbol's liquidations of
    each second (as the builders compute them, every symbol asked), at most one each."""
    clock = FakeClock()
    symbol = SYMBOL[market]
    mine, everyone = f"{symbol.lower()}@forceOrder", "!forceOrder@arr"
    one, every = MODELS[market]
    async with BinanceSimulator(seed=4, clock=clock) as sim:
        received: dict[str, list[Any]] = {mine: [], everyone: []}
        async with subscribed(sim, market, mine, everyone) as (stream, hub):
            first = sim.now_ms() // 1000 + 1
            for _ in range(60):
                clock.advance(1.0)
                await hub.publish()
            for item in await _drain(stream, data=False):
                received[item.stream].append(item.data)
            last = sim.now_ms() // 1000
            expected = [
                payload
                for second in range(first, last + 1)
                for name in futures_symbols(sim, market)
                for payload in published(sim, market, f"{name.lower()}@forceOrder", second)
            ]
    assert all(type(item) is one for item in received[mine])
    assert all(type(item) is every for item in received[everyone])
    everything = received[everyone]
    assert len(everything) == len(expected) > 30
    assert [_json(item) for item in everything] == [
        _json(every.model_validate(payload)) for payload in expected
    ]
    per_second = Counter((item.order.symbol, item.event_time) for item in everything)
    assert max(per_second.values()) == 1
    assert len({item.order.symbol for item in everything}) >= 5
    share = [item for item in everything if item.order.symbol == symbol]
    assert received[mine]
    assert [_json(item) for item in received[mine]] == [_json(item) for item in share]


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_liquidations_are_the_same_for_the_same_seed(market: str) -> None:
    clock = FakeClock()

    async def liquidations(seed: int) -> tuple[list[Any], int]:
        async with BinanceSimulator(seed=seed, clock=clock) as sim:
            now = sim.now_ms() // 1000
            arr = "!forceOrder@arr"
            return [p for s in range(now - 300, now) for p in published(sim, market, arr, s)], len(
                futures_symbols(sim, market)
            )

    (first, symbols), (again, _), (other, _) = [await liquidations(s) for s in (7, 7, 8)]
    assert first == again
    assert first != other
    # About CHANCE of the symbols' seconds have one: a rate, not a fixed pattern.
    assert 0.5 * CHANCE < len(first) / (300 * symbols) < 1.5 * CHANCE
    assert len({p["o"]["s"] for p in first}) == symbols


def _filter(info: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(f for f in info["filters"] if f["filterType"] == kind)


@pytest.mark.parametrize("market", ["usdm", "coinm"])
async def test_prices_and_quantities_respect_the_filters_and_the_book(market: str) -> None:
    """Every liquidation of five minutes: on the tick and the step, within LOT_SIZE and the
    PERCENT_PRICE band around the mark price (REST's premiumIndex then); its average
    price the best price of its side in REST's depth during its second, no more than
    that level held, its limit price beyond it; mostly sales after a falling trade, mostly
    purchases after a rising one."""
    clock = FakeClock()
    base = API_PREFIX[market]
    async with (
        BinanceSimulator(seed=5, clock=clock, weight_limit=10**9) as sim,
        aiohttp.ClientSession(sim.urls[market]) as http,
    ):

        async def get(path: str, **params: Any) -> Any:
            async with http.get(f"{base}/{path}", params=params) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        infos = {s["symbol"]: s for s in (await get("exchangeInfo"))["symbols"]}
        now = sim.now_ms() // 1000
        payloads = [
            p for s in range(now - 300, now) for p in published(sim, market, "!forceOrder@arr", s)
        ]
        checked = []
        for payload in payloads:
            order = payload["o"]
            clock.now = order["T"] / 1000  # REST at the moment of the liquidation
            depth = await get("depth", symbol=order["s"], limit=5)
            premium = await get("premiumIndex", symbol=order["s"])
            if isinstance(premium, list):  # COIN-M answers a list
                (premium,) = premium
            checked.append((order, infos[order["s"]], depth, D(premium["markPrice"])))
        source = sim.market_streams[market].source
        core = source.market.core if market == "usdm" else source.market
        instruments = core.instruments
        after: Counter[tuple[str, str]] = Counter()
        for order, *_ in checked:
            instrument = instruments[order["s"]]
            last = core.last_trade(instrument, order["T"])
            before = core.trade(instrument, last.id - 1)
            if last.ticks != before.ticks:
                after["fall" if last.ticks < before.ticks else "rise", order["S"]] += 1
    assert len(checked) > 100
    assert after["fall", "SELL"] > 2 * after["fall", "BUY"]
    assert after["rise", "BUY"] > 2 * after["rise", "SELL"]
    sides = Counter(order["S"] for order, *_ in checked)
    assert sides["SELL"] > 20
    assert sides["BUY"] > 20
    for order, info, depth, mark in checked:
        prices, lots = _filter(info, "PRICE_FILTER"), _filter(info, "LOT_SIZE")
        band = _filter(info, "PERCENT_PRICE")
        price, average, qty = D(order["p"]), D(order["ap"]), D(order["q"])
        for value in (price, average):
            assert value % D(prices["tickSize"]) == 0
            assert D(prices["minPrice"]) <= value <= D(prices["maxPrice"])
            assert mark * D(band["multiplierDown"]) <= value <= mark * D(band["multiplierUp"])
        assert qty % D(lots["stepSize"]) == 0
        assert D(lots["minQty"]) <= qty <= D(lots["maxQty"])
        best = depth["bids"][0] if order["S"] == "SELL" else depth["asks"][0]
        assert average == D(best[0])
        assert qty <= D(best[1])
        if order["S"] == "SELL":  # a long closed: sold into the bids, at worst its limit
            assert price < average
        else:
            assert price > average


async def test_the_account_s_own_liquidation_reaches_the_stream_as_force_orders_shows_it() -> None:
    """An isolated 100x ETH long with its margin cut: the simulator liquidates it when
    the mark price falls far enough; the ``ethusdt@forceOrder`` stream, the only thing
    asked meanwhile (no REST request catches the account up), carries that liquidation
    the second after, with ``/fapi/v1/forceOrders``'s side, prices, quantity and time."""
    clock = FakeClock()
    eth = "ETHUSDT"
    async with BinanceSimulator(seed=6, clock=clock) as sim, sim.api() as api:
        fapi = f"{sim.urls['usdm']}/fapi"
        venue = sim.venues["usdm"]

        async def call(method: str, path: str, **params: Any) -> Any:
            return await api.request(method, f"{fapi}{path}", params, signed=True)

        await call("POST", "/v1/marginType", symbol=eth, marginType="ISOLATED")
        await call("POST", "/v1/leverage", symbol=eth, leverage=100)
        await call("POST", "/v1/order", symbol=eth, side="BUY", type="MARKET", quantity="1.000")
        engine = venue.engine
        position = engine.positions[(eth, "BOTH")]
        spare = position.isolated_margin - engine.maint_margin(position, sim.now_ms())
        amount = (spare * D("0.7")).quantize(D("0.01"))
        await call("POST", "/v1/positionMargin", symbol=eth, amount=str(amount), type=2)
        (risk,) = [
            r
            for r in await call("GET", "/v2/positionRisk", symbol=eth)
            if r["positionSide"] == "BOTH"
        ]
        liquidation = D(risk["liquidationPrice"])
        s = venue.symbols[eth]
        start = sim.now_ms() // TRADE_MS + 1
        safe_until = next(
            step * TRADE_MS
            for step in range(start, start + 8640)
            if venue.market.mark_price(s, step * TRADE_MS) <= liquidation * D("1.001")
        )
        below = next(
            step * TRADE_MS
            for step in range(safe_until // TRADE_MS, start + 8640)
            if venue.market.mark_price(s, step * TRADE_MS) < liquidation * D("0.999")
        )
        async with subscribed(sim, "usdm", "ethusdt@forceOrder") as (stream, hub):
            clock.now = safe_until / 1000 - 60
            await hub.publish()
            assert engine.liquidations == []  # not yet: the mark stayed above
            while clock.now * 1000 < below + 2000:
                clock.advance(1.0)
                await hub.publish()
            received = await _drain(stream)
            pushed_before_rest = len(engine.liquidations)
            forced = await call("GET", "/v1/forceOrders", symbol=eth)
    assert pushed_before_rest == 1  # the stream caught the account up, not a request
    (order,) = forced
    assert order["clientOrderId"].startswith("autoclose-")
    own = [item for item in received if item.order.order_trade_time == order["time"]]
    assert len(own) == 1, [item.order for item in received]
    pushed = own[0]
    assert isinstance(pushed, usdm.LiquidationOrder)
    assert pushed.event_time == (order["time"] // 1000 + 1) * 1000
    o = pushed.order
    assert (o.symbol, o.side, o.order_type, o.time_in_force, o.order_status) == (
        eth, order["side"], order["type"], order["timeInForce"], order["status"],
    )  # fmt: skip
    assert o.original_quantity == o.cumulative_filled_quantity == D(order["executedQty"])
    assert o.price == D(order["price"])
    assert o.average_price == D(order["avgPrice"])
    assert o.order_trade_time == order["updateTime"]
    # Before and after, the synthetic liquidations went on: the account's took one second.
    assert len(received) > 2

"""Helpers of the simulator's stream tests, one definition for every test file: Binance's
documented stream payloads, read from the spec, and the shape to compare a payload with
them by; stream settings that wait on neither Binance's limits nor a reconnection; what a
simulator's hub publishes for one simulated second, built directly, read off a raw
connection or received through aioca's client, and what REST answers at that moment to
compare it with; the account's events, typed or as Spot's WebSocket API sends them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any

import aiohttp
from binance_ws import until
from sim_helpers import FakeClock, follow_clock
from spec_files import SPEC_DIR

from aioca.stream import Backoff, Gap, Stream, StreamSettings
from aioca_binance.streams import Message, market_settings, market_stream, spot_user_stream
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.streams import StreamHub

__all__ = [
    "API_PREFIX",
    "QUICK",
    "by_topic",
    "candle_row",
    "documented_events",
    "documented_fields",
    "documented_streams",
    "events_until",
    "events_until_quiet",
    "events_while_coming",
    "fast_settings",
    "frames_until_terminated",
    "futures_symbols",
    "next_event",
    "publish_and_read",
    "published",
    "raw_frames",
    "rest_get",
    "shape",
    "spot_user_data",
    "subscribe_user_data",
    "subscribed",
    "topics_of",
    "ws_spec",
]


@cache
def _spec_text() -> str:
    return (SPEC_DIR / "binance-ws-streams.json").read_text(encoding="utf-8")


def ws_spec() -> dict[str, Any]:
    """``binance-ws-streams.json``, parsed afresh at each call: a test may change what it
    gets (drop a field its case leaves out) without changing another test's."""
    data: dict[str, Any] = json.loads(_spec_text())
    return data


def documented_streams(market: str) -> dict[str, Any]:
    """Binance's example payload of each of ``market``'s streams, by the example's stream
    name (``"btcusdt@aggTrade"``, ``"!ticker@arr"``)."""
    streams = ws_spec()["markets"][market]["streams"]
    return {entry["example_stream"]: entry["example_payload"] for entry in streams}


def documented_fields(market: str) -> dict[str, Any]:
    """The fields Binance lists for each of ``market``'s streams, by the example's stream
    name: what an array documented by its element's fields only (``[{}]``) must carry."""
    streams = ws_spec()["markets"][market]["streams"]
    return {entry["example_stream"]: entry["payload_fields"] for entry in streams}


def documented_events(market: str) -> dict[str, Any]:
    """Binance's example payload of each of ``market``'s user-data events, by event name
    (``"executionReport"``, ``"ORDER_TRADE_UPDATE"``)."""
    events = ws_spec()["markets"][market]["user_data_events"]
    return {entry["event"]: entry["example_payload"] for entry in events}


def shape(value: Any, *, ordered: bool = False) -> Any:
    """Keys and value types, recursively (lists by their first item): what a payload must
    share with Binance's example, whatever the values. ``ordered``: an object as a list of
    ``(key, shape)`` pairs, so that the order of its keys counts too."""
    if isinstance(value, dict):
        if ordered:
            return [(key, shape(item, ordered=True)) for key, item in value.items()]
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0], ordered=ordered)] if value else []
    return type(value).__name__


QUICK = Backoff(initial=0.01, maximum=0.02, minimum=0.005)
"""Reconnection within 20 ms: a test that drops a connection does not wait for it."""


def fast_settings(market: str, **changes: Any) -> StreamSettings:
    """``market``'s stream settings for a test: no heartbeat, no message throttle, and
    :data:`QUICK` reconnections, then ``changes`` (a lifetime, an overlap timeout, a
    heartbeat of its own...): a test waits on neither Binance's limits nor a reconnection."""
    fast: dict[str, Any] = {"heartbeat": None, "messages_per_second": None, "backoff": QUICK}
    return market_settings(market, **(fast | changes))


def spot_price(sim: BinanceSimulator, factor: str, symbol: str = "BTCUSDT") -> Decimal:
    """``factor`` times ``symbol``'s last Spot trade price, on the tick."""
    venue = sim.venues["spot"]
    spec = venue.symbols[symbol]
    last = spec.tick * venue.tape.last_trade(spec, sim.now_ms()).ticks
    return (last * Decimal(factor)).quantize(spec.tick)


def futures_symbols(sim: BinanceSimulator, market: str) -> list[str]:
    """Every symbol ``market`` (``"usdm"`` or ``"coinm"``) lists, in its listing order:
    those an all-market stream carries."""
    if market == "usdm":
        return list(sim.venues["usdm"].symbols)
    return list(sim.market.instruments)


def published(sim: BinanceSimulator, market: str, topic: str, second: int) -> list[Any]:
    """What ``market``'s hub publishes on ``topic`` for the simulated ``second``, built as
    the hub builds it, without a connection: every payload of that second (none: ``[]``),
    for the symbol the topic names, or for the pair or all-market stream it is."""
    source = sim.market_streams[market].source
    found = source.find(topic)
    assert found is not None, f"the {market} hub serves no {topic}"
    feed, match = found
    name = match.groupdict().get("symbol")  # none: a pair or all-market stream
    instrument = source.instrument(name.upper()) if name is not None else None
    payloads: list[Any] = source.build(feed, instrument, match, second)
    return payloads


async def raw_frames(sim: BinanceSimulator, market: str, topics: list[str]) -> dict[str, list[Any]]:
    """Every payload of ``topics`` that one publish pass of ``market``'s hub sends at the
    clock's moment (the seconds it catches up, then this one), read raw from a combined
    stream, by topic: the wire's JSON, not what a client makes of it."""
    hub = sim.market_streams[market]
    hub.publish_interval = 3600.0  # the test publishes
    url = f"{sim.ws_urls[market]}/stream?streams={'/'.join(topics)}"
    received: dict[str, list[Any]] = {topic: [] for topic in topics}
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await until(lambda: bool(hub.connections))
        await hub.publish()
        with contextlib.suppress(TimeoutError):
            while True:
                frame = await ws.receive_json(timeout=0.5)
                received[frame["stream"]].append(frame["data"])
    return received


@contextlib.asynccontextmanager
async def subscribed(
    sim: BinanceSimulator,
    market: str,
    *topics: str,
    settings: StreamSettings | None = None,
    **options: Any,
) -> AsyncIterator[tuple[Stream[Message], StreamHub]]:
    """aioca's ``market_stream`` of ``topics`` on ``market``'s hub (``settings``: else
    :func:`fast_settings`; ``options``: ``market_stream``'s others, ``typed``...), open and
    subscribed to every topic, and that hub with its own publisher idle: the test
    publishes, second by second (:func:`publish_and_read`)."""
    hub = sim.market_streams[market]
    hub.publish_interval = 3600.0  # the test publishes
    url, settings = sim.ws_urls[market], settings or fast_settings(market)
    stream = market_stream(market, *topics, base_url=url, settings=settings, **options)
    async with stream:
        await until(lambda: sum(len(c.topics) for c in hub.connections) == len(topics))
        yield stream, hub


async def publish_and_read(
    stream: Stream[Message],
    hub: StreamHub,
    clock: FakeClock,
    seconds: int,
    *,
    enough: Callable[[list[Message]], bool] | None = None,
) -> list[Message]:
    """Move ``clock`` one second on and publish that second, ``seconds`` times (fewer once
    ``enough(received)``), reading after each what ``stream`` receives until nothing more
    comes for 0.2 s: every message in order, gaps left out."""
    received: list[Message] = []
    for _ in range(seconds):
        clock.advance(1.0)
        await hub.publish()
        with contextlib.suppress(TimeoutError):
            while True:
                item = await stream.next(0.2)
                if not isinstance(item, Gap):
                    received.append(item)
        if enough is not None and enough(received):
            break
    return received


def topics_of(messages: list[Message]) -> set[str]:
    """The topics ``messages`` came on: ``enough=lambda got: len(topics_of(got)) == n``."""
    return {message.stream for message in messages}


def by_topic(messages: list[Message], topics: Iterable[str] = ()) -> dict[str, list[Any]]:
    """The data of ``messages`` by the topic each came on, in order; each of ``topics``
    there even if nothing came on it (``[]``): a test can check every topic received
    something, or, without ``topics``, which topics did."""
    seen: dict[str, list[Any]] = {topic: [] for topic in topics}
    for message in messages:
        seen.setdefault(message.stream, []).append(message.data)
    return seen


API_PREFIX = {"usdm": "/fapi/v1", "coinm": "/dapi/v1"}
"""The path of each futures market's REST API (``/exchangeInfo`` is ``/fapi/v1/exchangeInfo``)."""


async def rest_get(
    sim: BinanceSimulator, market: str, path: str, *, expect_status: int = 200, **query: Any
) -> Any:
    """The JSON answer of ``GET path`` on ``market``'s REST URL, which must be a success
    (else ``expect_status``: a refusal's error body): what a stream's payloads are compared
    with, at the same simulated moment."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(sim.urls[market] + path, params=query) as response,
    ):
        assert response.status == expect_status, await response.text()
        return await response.json()


def candle_row(k: dict[str, Any]) -> list[Any]:
    """A streamed candle (a kline event's ``k``) as the first eleven slots of REST's row:
    open time, open, high, low, close, volume, close time, quote volume, trades, taker buy
    volume, taker buy quote volume."""
    return [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"], k["Q"]]


async def next_event(stream: Stream[Any], kind: type) -> Any:
    """The next item of ``stream`` that is a ``kind`` (an event model, a ``Gap``...), the
    others passed over; five seconds at most for each."""
    while True:
        item = await stream.next(5)
        if isinstance(item, kind):
            return item


async def events_until(stream: Stream[Any], kind: type, most: int = 100) -> list[Any]:
    """The events of ``stream``, gaps left out, up to and including the first that is a
    ``kind``: all that one change of the account sent, in order (``most`` at most, else
    the test fails); five seconds at most for each."""
    seen: list[Any] = []
    while len(seen) < most:
        item = await stream.next(5)
        if isinstance(item, Gap):
            continue
        seen.append(item)
        if isinstance(item, kind):
            return seen
    raise AssertionError(f"no {kind.__name__} among {seen}")


async def events_while_coming(stream: Stream[Any], quiet: float = 0.3) -> list[Any]:
    """The events of ``stream``, gaps left out, until none comes for ``quiet`` seconds:
    all that the account's last action sent, in order (``[]``: nothing)."""
    seen: list[Any] = []
    with contextlib.suppress(TimeoutError):
        while True:
            item = await stream.next(quiet)
            if not isinstance(item, Gap):
                seen.append(item)
    return seen


@contextlib.asynccontextmanager
async def spot_user_data(
    sim: BinanceSimulator, api: Any, settings: StreamSettings | None = None
) -> AsyncIterator[Stream[Any]]:
    """aioca's Spot user-data stream of ``api``'s account on the simulator's WebSocket API
    (``settings``: else :func:`fast_settings`), open and subscribed: every event the
    account makes from now on reaches it."""
    ws_api = sim.ws_api
    assert ws_api is not None
    url, settings = sim.ws_api_url, settings or fast_settings("spot")
    async with spot_user_stream(api, url=url, settings=settings) as stream:
        await until(lambda: any(c.subscriptions for c in ws_api.connections))
        yield stream


async def subscribe_user_data(sim: BinanceSimulator, api: Any, ws: Any) -> None:
    """Subscribe Spot's user data on ``ws``, a raw connection to the simulator's WebSocket
    API, signed by ``api``'s signer as Binance asks (``userDataStream.subscribe.signature``),
    and check the simulator accepted it: the test then reads the events as sent."""
    params: dict[str, Any] = {"apiKey": sim.api_key, "timestamp": sim.now_ms()}
    payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
    params["signature"] = api.signer.sign(payload)
    method = "userDataStream.subscribe.signature"
    await ws.send_json({"id": 1, "method": method, "params": params})
    assert (await ws.receive_json(timeout=5))["status"] == 200


@contextlib.asynccontextmanager
async def user_data_socket(
    seed: int = 5, *, clock: FakeClock | None = None
) -> AsyncIterator[tuple[BinanceSimulator, Any, Any]]:
    """A simulator of ``seed``, an API of its account and a raw connection to its WebSocket
    API with the account's user data subscribed (:func:`subscribe_user_data`): for the
    tests that read the events exactly as sent, e.g. with :func:`frames_until_terminated`
    or :func:`events_until_quiet`. With ``clock`` (stopped: no public trade fills a
    resting order between two requests) the API's timestamps follow it."""
    stopped: dict[str, Any] = {"time_sync_interval": None, "max_clock_offset": None}
    async with (
        BinanceSimulator(seed=seed, clock=clock) as sim,
        sim.api(**(stopped if clock is not None else {})) as api,
        aiohttp.ClientSession() as http,
        http.ws_connect(sim.ws_api_url) as ws,
    ):
        if clock is not None:
            follow_clock(api, sim)
        await subscribe_user_data(sim, api, ws)
        yield sim, api, ws


async def events_until_quiet(ws: Any, quiet: float = 0.3) -> list[dict[str, Any]]:
    """Every event ``ws`` (see :func:`subscribe_user_data`) receives until none comes for
    ``quiet`` seconds, as sent: all that the account's last action made, or ``[]``."""
    found = []
    with contextlib.suppress(TimeoutError):
        while True:
            found.append((await ws.receive_json(timeout=quiet))["event"])
    return found


async def frames_until_terminated(sim: BinanceSimulator, ws: Any) -> list[dict[str, Any]]:
    """End the subscription of ``ws`` (see :func:`subscribe_user_data`) and return every
    frame it received up to its ``eventStreamTerminated``: the account's events so far,
    however many an order's fills made (100 at most)."""
    ws_api = sim.ws_api
    assert ws_api is not None
    await ws_api.terminate()
    frames = [await ws.receive_json(timeout=5)]
    while frames[-1]["event"]["e"] != "eventStreamTerminated" and len(frames) < 100:
        frames.append(await ws.receive_json(timeout=5))
    return frames

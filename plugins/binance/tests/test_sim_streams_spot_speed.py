"""The simulator's Spot depth streams at their documented speed (issue #15): ``@100ms``
ten diffs a second, ``@1000ms`` and Binance's default (no suffix) one, partial depth the
same; Spot's rule (no ``pu``): each diff's ``U`` is the previous ``u + 1``, one chain at
every speed, and a REST snapshot plus the diffs is the REST book at the end, also when
the account's orders take liquidity between two publications. And USDⓈ-M's
``rpiDepth@500ms`` at its 500 ms."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from binance_ws import until
from depth_follow import apply_levels, follow_depth
from sim_helpers import FakeClock
from sim_streams_helpers import rest_get

from aioca_binance.spot import SpotNewOrder
from aioca_binance_sim import BinanceSimulator
from aioca_binance_sim.market import BOOK_STEP_MS


def _rebuilt(run: dict[str, Any], diffs: list[dict[str, Any]]) -> tuple[dict, dict, int]:
    """Binance's Spot recipe: the snapshot, events with ``u <= lastUpdateId`` dropped, the
    first one kept spanning ``lastUpdateId + 1``, every one after it continuing by ``U``.
    The book's bids, asks and the last applied ``u``."""
    snapshot = run["snapshot"]
    last = snapshot["lastUpdateId"]
    bids = dict(map(tuple, snapshot["bids"]))
    asks = dict(map(tuple, snapshot["asks"]))
    following = [d for d in diffs if d["u"] > last]
    assert following[0]["U"] <= last + 1 <= following[0]["u"]
    for diff in following:
        apply_levels(bids, diff["b"])
        apply_levels(asks, diff["a"])
    return bids, asks, following[-1]["u"]


def _assert_one_chain(diffs: list[dict[str, Any]]) -> None:
    assert all("pu" not in d for d in diffs)  # Spot's diffs have none
    assert all(later["U"] == earlier["u"] + 1 for earlier, later in itertools.pairwise(diffs))


@pytest.mark.parametrize(
    ("suffix", "per_second"),
    [("@100ms", 10), ("@1000ms", 1), ("", 1)],  # no suffix: Binance's 1000 ms
)
async def test_a_spot_diff_stream_updates_at_its_speed_and_rebuilds_the_rest_book(
    suffix: str, per_second: int
) -> None:
    seconds = 5
    run = await follow_depth("spot", [suffix], seconds)
    (diffs,) = run["diffs"].values()
    assert seconds * per_second - 1 <= len(diffs) <= seconds * per_second + 1
    assert all(d["b"] or d["a"] for d in diffs)  # the book moves between any two
    _assert_one_chain(diffs)
    bids, asks, last = _rebuilt(run, diffs)
    final = run["final"]
    assert last == final["lastUpdateId"]
    assert bids == dict(map(tuple, final["bids"]))
    assert asks == dict(map(tuple, final["asks"]))


async def test_the_spot_update_ids_are_one_chain_at_every_speed() -> None:
    """A 1000 ms diff ends where a 100 ms one does and starts after one, so a client can
    follow either (or switch) with one sequence of ids."""
    run = await follow_depth("spot", ["@100ms", "@1000ms", ""], 3)
    fast, *slow = run["diffs"].values()
    ends = {d["u"] for d in fast}
    for diffs in slow:
        assert len(diffs) >= 2
        assert {d["u"] for d in diffs} <= ends
        assert {d["U"] - 1 for d in diffs[1:]} <= ends  # the first starts with the topic
        assert [d["u"] - d["U"] for d in diffs] == [9999] * len(diffs)  # 10 book steps


async def test_orders_between_publications_reach_every_speed_s_next_diff() -> None:
    """The account's market orders take liquidity mid-period (over REST): each speed's
    next diff carries it, so each speed's diffs still rebuild the final REST book."""
    fills: list[int] = []

    async def orders(sim: BinanceSimulator, step: int) -> None:
        if step % 16 != 5:  # 312.5 ms into each second: between two 1000 ms diffs
            return
        async with sim.api() as api:
            placed = await SpotNewOrder(
                api=api,
                symbol="BTCUSDT",
                side="BUY" if step % 32 == 5 else "SELL",
                type="MARKET",
                quantity=Decimal("0.5"),
            ).run()
        fills.append(len(placed["fills"]))

    run = await follow_depth("spot", ["@100ms", "@1000ms"], 4, between=orders)
    assert len(fills) == 4
    assert sum(fills) > len(fills)  # the orders swept several levels
    final = run["final"]
    for diffs in run["diffs"].values():
        _assert_one_chain(diffs)
        bids, asks, last = _rebuilt(run, diffs)
        assert last == final["lastUpdateId"]
        assert bids == dict(map(tuple, final["bids"]))
        assert asks == dict(map(tuple, final["asks"]))


@pytest.mark.parametrize(("topic", "per_second"), [("@depth10@100ms", 10), ("@depth5", 1)])
async def test_spot_partial_depth_is_the_rest_book_of_each_publication(
    topic: str, per_second: int
) -> None:
    """Each publication is the book of its moment (``lastUpdateId`` names it), as REST
    answers then; seconds 4-6 of seed 9's clock, when its top levels are redrawn."""
    clock = FakeClock()
    clock.advance(4.0)
    levels = int(topic.removeprefix("@depth").split("@")[0])
    async with BinanceSimulator(seed=9, clock=clock) as sim:
        tape, spec = sim.venues["spot"].tape, sim.venues["spot"].symbols["BTCUSDT"]
        hub = sim.market_streams["spot"]
        hub.publish_interval = 3600.0
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{sim.ws_urls['spot']}/ws/btcusdt{topic}") as ws,
        ):
            await until(lambda: bool(hub.connections))
            await hub.publish()
            first = await ws.receive_json(timeout=5)
            books = []
            for _ in range(2):
                clock.advance(1.0)
                await hub.publish()
                books += [await ws.receive_json(timeout=5) for _ in range(per_second)]
            rest = await rest_get(sim, "spot", "/api/v3/depth", symbol="BTCUSDT", limit=levels)
            with pytest.raises(TimeoutError):  # and no more than that
                await ws.receive_json(timeout=0.3)
        moments = [book["lastUpdateId"] // 1000 * BOOK_STEP_MS for book in books]
        assert books == [tape.depth(spec, moment, levels) for moment in moments]
    ids = [first["lastUpdateId"]] + [book["lastUpdateId"] for book in books]
    assert [later - earlier for earlier, later in itertools.pairwise(ids)] == [
        10_000 // per_second
    ] * len(books)
    assert books[-1] == rest
    assert moments[-1] == sim.now_ms()
    distinct = {(str(book["bids"]), str(book["asks"])) for book in [first, *books]}
    assert len(distinct) > len(books) // 2  # the book moves from one to the next


async def test_usdm_rpi_depth_updates_every_500ms_in_one_chain() -> None:
    """``rpiDepth@500ms``: two diffs a second, ``pu`` the previous ``u``; the RPI book is
    the regular one (the simulator has no RPI orders), so REST depth rebuilds from it."""
    seconds = 4
    run = await follow_depth("usdm", ["@500ms"], seconds, kind="rpiDepth")
    (diffs,) = run["diffs"].values()
    assert seconds * 2 - 1 <= len(diffs) <= seconds * 2 + 1
    assert all(later["pu"] == earlier["u"] for earlier, later in itertools.pairwise(diffs))
    assert all(d["U"] == d["pu"] + 1 for d in diffs)
    snapshot, final = run["snapshot"], run["final"]
    bids = dict(map(tuple, snapshot["bids"]))
    following = [d for d in diffs if d["u"] >= snapshot["lastUpdateId"]]
    for diff in following:
        apply_levels(bids, diff["b"])
    assert following[-1]["u"] == final["lastUpdateId"]
    assert bids == dict(map(tuple, final["bids"]))

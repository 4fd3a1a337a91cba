"""The local order book: identical to the simulator's own book after every event, for
thousands of updates, through dropped connections, skipped updates and resyncs; and the
Spot rules against a loopback server."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from binance_ws import BinanceDialect, WsFaultServer, combined
from book_follow import follow_book, orders_mid_second, simulated_book
from sim_helpers import FakeClock
from sim_streams_helpers import fast_settings

from aioca_binance.coinm import CoinMNewOrder
from aioca_binance.streams import BookUpdate, LocalOrderBook, Resynced
from aioca_binance_sim import BinanceSimulator

FAST = fast_settings("coinm")


def sim_book(
    sim: BinanceSimulator, symbol: str, update_id: int
) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    instrument = sim.market.instruments[symbol]
    bids, asks = sim.market.book_levels(instrument, update_id // 1000)
    text = instrument.price_text
    return (
        {Decimal(text(tick)): Decimal(qty) for tick, qty in bids.items()},
        {Decimal(text(tick)): Decimal(qty) for tick, qty in asks.items()},
    )


async def test_the_book_matches_the_simulator_after_every_event_through_gaps() -> None:
    clock = FakeClock()
    async with BinanceSimulator(seed=11, clock=clock) as sim:
        sim.market.book_depth = 60
        async with simulated_book(sim, "coinm", "BTCUSD_PERP", FAST) as (_, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSD_PERP", update),
                lambda second: second * 1000,
                symbol="BTCUSD_PERP",
                steps=2400,
                drops=range(250, 2400, 500),
                skips=range(400, 2400, 500),
            )
    resyncs = [event for event in run.events if isinstance(event, Resynced)]
    assert run.mismatches == 0
    assert run.checked == len(run.events) > 2000
    assert len(run.updates) > 2000
    # one start, and one resync for each dropped connection and each skipped update
    assert resyncs[0].reason == "start"
    reasons = run.resync_reasons[1:]
    assert reasons.count("gap") >= 4
    assert reasons.count("sequence") >= 4
    assert book.resyncs == len(resyncs) - 1
    best_bid, best_ask = book.best_bid(), book.best_ask()
    assert best_bid is not None
    assert best_ask is not None
    assert best_bid[0] < best_ask[0]
    bids, asks = book.depth(5)
    assert [price for price, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert bids[0] == best_bid
    assert asks[0] == best_ask


async def test_the_book_matches_the_simulator_when_own_orders_trade_mid_second() -> None:
    """The account's market orders, placed over REST between two diff publications: the
    local book built from the diffs still equals the simulator's own book after every
    diff (COIN-M's book is not depleted by the account, as Spot's is: nothing to miss)."""
    clock = FakeClock()
    async with BinanceSimulator(seed=12, clock=clock) as sim:
        sim.market.book_depth = 60
        filled: list[str] = []

        async def place(side: str) -> None:
            placed = await CoinMNewOrder(
                api=api, symbol="BTCUSD_PERP", side=side, type="MARKET", quantity="5"
            ).run()
            filled.append(placed["status"])

        async with simulated_book(sim, "coinm", "BTCUSD_PERP", FAST) as (api, book, hub):
            run = await follow_book(
                book,
                hub,
                clock,
                lambda update: sim_book(sim, "BTCUSD_PERP", update),
                lambda second: second * 1000,
                symbol="BTCUSD_PERP",
                steps=120,
                between=orders_mid_second(clock, place),
            )
    assert len(filled) > 15
    assert run.mismatches == 0
    assert run.checked == len(run.events) > 110
    assert run.resync_reasons == ["start"]


def spot_event(
    first: int, last: int, bids: list[list[str]], asks: list[list[str]]
) -> dict[str, Any]:
    return {
        "e": "depthUpdate",
        "E": last,
        "s": "BNBBTC",
        "U": first,
        "u": last,
        "b": bids,
        "a": asks,
    }


async def test_spot_rules_drop_stale_events_and_resync_on_a_jump() -> None:
    snapshots = [
        {"lastUpdateId": 100, "bids": [["1.0", "5"], ["0.9", "1"]], "asks": [["1.1", "2"]]},
        {"lastUpdateId": 300, "bids": [["1.0", "7"]], "asks": [["1.2", "3"]]},
    ]
    taken: list[int] = []

    async def snapshot(symbol: str, limit: int) -> dict[str, Any]:
        taken.append(limit)
        return snapshots[len(taken) - 1]

    async with WsFaultServer(BinanceDialect()) as server:
        settings = fast_settings("spot")
        book = LocalOrderBook(
            "spot", "BNBBTC", snapshot=snapshot, limit=50, base_url=server.url, settings=settings
        )
        topic = "bnbbtc@depth@100ms"

        async def send(event: dict[str, Any]) -> None:
            await server.publish(topic, combined(topic, event))

        async with book:
            await server.wait_for_subscribers(topic)
            await send(spot_event(90, 100, [["1.0", "9"]], []))  # stale: u <= 100
            await send(spot_event(95, 105, [["0.9", "0"]], [["1.1", "4"]]))  # straddles 101
            first = await book.next(5)
            assert isinstance(first, Resynced)
            assert book.update_id == 105
            assert book.bids == {Decimal("1.0"): Decimal("5")}
            assert book.asks == {Decimal("1.1"): Decimal("4")}
            await send(spot_event(106, 110, [["1.05", "1"]], []))
            update = await book.next(5)
            assert isinstance(update, BookUpdate)
            assert book.best_bid() == (Decimal("1.05"), Decimal("1"))
            await send(spot_event(200, 210, [], []))  # a jump: 111..199 are missing
            await send(spot_event(211, 301, [["1.0", "8"]], []))
            resynced = await book.next(5)
            assert isinstance(resynced, Resynced)
            assert resynced.reason.startswith("sequence")
            assert book.update_id == 301
            assert book.bids == {Decimal("1.0"): Decimal("8")}
            assert book.asks == {Decimal("1.2"): Decimal("3")}
            assert taken == [50, 50]
            assert book.resyncs == 1


def test_a_book_needs_a_snapshot_source() -> None:
    with pytest.raises(ValueError, match="api="):
        LocalOrderBook("usdm", "BTCUSDT")
    assert json.dumps(str(LocalOrderBook("usdm", "BTCUSDT", snapshot=lambda s, n: None)))  # type: ignore[arg-type, return-value]


async def test_usdm_books_use_the_public_route_and_the_futures_rules() -> None:
    async def snapshot(symbol: str, limit: int) -> dict[str, Any]:
        return {"lastUpdateId": 100, "bids": [["10", "1"]], "asks": [["11", "1"]]}

    async with WsFaultServer(BinanceDialect()) as server:
        settings = fast_settings("usdm")
        book = LocalOrderBook(
            "usdm", "BTCUSDT", snapshot=snapshot, base_url=server.url, settings=settings
        )
        topic = "btcusdt@depth@100ms"
        async with book:
            await server.wait_for_subscribers(topic)
            assert server.connections[0].path == "/public/stream"
            event = {"e": "depthUpdate", "U": 95, "u": 102, "pu": 94, "b": [["10", "3"]], "a": []}
            await server.publish(topic, combined(topic, event))
            assert isinstance(await book.next(5), Resynced)
            following = {
                "e": "depthUpdate",
                "U": 103,
                "u": 104,
                "pu": 102,
                "b": [],
                "a": [["11", "0"]],
            }
            await server.publish(topic, combined(topic, following))
            assert isinstance(await book.next(5), BookUpdate)
            assert book.bids == {Decimal("10"): Decimal("3")}
            assert book.asks == {}
            assert book.best_ask() is None

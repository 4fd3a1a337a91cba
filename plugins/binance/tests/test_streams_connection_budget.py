"""Binance counts every connection to a stream host against its connections per IP (300
per 5 minutes): a futures account's listenKey connections are charged to the same
limiter as the market streams of that host, and Spot's WebSocket API connections to its
own host's. Against the simulator; each test has a registry of limiters of its own, so
that a budget it spends never reaches another test on a reused port."""

from __future__ import annotations

import asyncio

import pytest
from binance_ws import until
from sim_streams_helpers import fast_settings, spot_user_data

from aioca.stream import ConnectionLimiter
from aioca_binance.streams import futures_user_stream, market_stream, markets
from aioca_binance.streams.markets import connection_limiter
from aioca_binance_sim import BinanceSimulator


@pytest.fixture(autouse=True)
def own_limiters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markets, "_limiters", {})


def connections_used(limiter: ConnectionLimiter) -> int:
    (window,) = [window for window in limiter.status() if window.name == "CONNECTIONS"]
    return window.used


async def test_market_and_user_data_connections_share_their_host_s_budget() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        settings = fast_settings("coinm")
        market = market_stream(
            "coinm", "btcusd_perp@aggTrade", base_url=sim.ws_url, settings=settings
        )
        user = futures_user_stream(api, "coinm", base_url=sim.ws_url, settings=settings)
        limiter = connection_limiter(sim.ws_url)
        assert market.protocol.connection_limiter is limiter
        assert user.protocol.connection_limiter is limiter
        async with market, user:
            await until(lambda: len(sim.streams.connections) == 2)
            assert any(c.listen_key for c in sim.streams.connections)
            assert connections_used(limiter) == 2


async def test_user_data_waits_when_the_market_streams_spent_the_budget() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        limiter = connection_limiter(sim.ws_url)
        while limiter.try_acquire({"CONNECTIONS": 1}):  # 300 market connections, say
            pass
        assert connections_used(limiter) == 300
        user = futures_user_stream(
            api, "coinm", base_url=sim.ws_url, settings=fast_settings("coinm")
        )
        async with user:
            await until(lambda: limiter.waiting == 1)
            await asyncio.sleep(0.2)
            assert sim.streams.connections == []  # it waits for the window, not connects
            assert sim.engine.listen_key is None  # nor asks for a key before it may


async def test_spot_websocket_api_connections_are_charged_to_their_host() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        limiter = connection_limiter(sim.ws_api_url)
        async with spot_user_data(sim, api) as stream:
            assert stream.protocol.connection_limiter is limiter
            assert connections_used(limiter) == 1

"""Fault injection: added latency, 5xx answers, dropped connections and clock skew, set
at construction or changed while the simulator runs."""

from __future__ import annotations

import time

import pytest

from aioca import RetryPolicy, errors
from aioca_binance.coinm import CoinMPing, CoinMServerTime
from aioca_binance_sim import BinanceSimulator, Faults

NO_RETRY = RetryPolicy(attempts=1)


async def test_latency_delays_every_answer() -> None:
    async with BinanceSimulator(faults=Faults(latency=0.5)) as sim, sim.api(retry=NO_RETRY) as api:
        started = time.perf_counter()
        await CoinMPing(api=api).run()
        assert time.perf_counter() - started >= 0.5
        sim.faults.latency = 0.0
        started = time.perf_counter()
        await CoinMPing(api=api).run()
        assert time.perf_counter() - started < 0.25  # a loaded CI machine has room to spare


async def test_dropped_connections_are_network_errors() -> None:
    async with (
        BinanceSimulator(faults=Faults(drop_rate=1.0)) as sim,
        sim.api(retry=NO_RETRY) as api,
    ):
        with pytest.raises(errors.NetworkError):
            await CoinMPing(api=api).run()
        sim.faults.drop_rate = 0.0
        assert await CoinMPing(api=api).run() == {}


async def test_error_rate_answers_503_with_1001() -> None:
    async with BinanceSimulator() as sim:
        sim.faults.error_rate = 1.0
        async with sim.api(retry=NO_RETRY) as api:
            with pytest.raises(errors.ExchangeServerError) as caught:
                await CoinMPing(api=api).run()
            assert (caught.value.status, caught.value.code) == (503, -1001)
            sim.faults.error_rate = 0.0
            assert await CoinMPing(api=api).run() == {}


async def test_a_fraction_of_requests_fail_and_retries_get_through() -> None:
    async with (
        BinanceSimulator(seed=4, faults=Faults(error_rate=0.3)) as sim,
        sim.api(retry=RetryPolicy(attempts=10, backoff=0.0)) as api,
    ):
        for _ in range(20):
            assert await CoinMPing(api=api).run() == {}


async def test_clock_skew_moves_the_server_time() -> None:
    async with (
        BinanceSimulator(faults=Faults(clock_skew_ms=90_000)) as sim,
        sim.api(retry=NO_RETRY) as api,
    ):
        served = (await CoinMServerTime(api=api).run())["serverTime"]
        assert abs(served - (time.time() * 1000 + 90_000)) < 2_000


def test_faults_are_checked_when_set() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="error_rate"):
        faults.error_rate = 1.5
    with pytest.raises(ValueError, match="latency"):
        Faults(latency=-1)
    with pytest.raises(TypeError):
        faults.drop_rate = "often"  # type: ignore[assignment]
    faults.clock_skew_ms = 250
    assert faults == Faults(clock_skew_ms=250)
    assert "clock_skew_ms=250" in repr(faults)

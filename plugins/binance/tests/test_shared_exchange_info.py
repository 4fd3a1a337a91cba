"""exchangeInfo fetched once for every process of a limiter backend, against the simulator
counting the requests it receives: P API objects (each with a Redis backend and connection
of its own, as separate processes have) asking at once for each market's exchangeInfo make
one request per market; real processes do the same; the answer expires and is fetched
again; Redis out of reach, each fetches for itself; a LocalBackend shares it in-process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from aioca import GatherTask
from aioca.limits import LocalBackend
from aioca.limits.redis import RedisBackend
from aioca.limits.testing import RedisServer, free_port, redis_backends, redis_server
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMExchangeInformation
from aioca_binance.spot import SpotExchangeInfo
from aioca_binance.usdm import UsdmExchangeInfo
from aioca_binance_sim import BinanceSimulator

__all__ = ["redis_backends", "redis_server"]

PATHS = {
    "spot": "/api/v3/exchangeInfo",
    "usdm": "/fapi/v1/exchangeInfo",
    "coinm": "/dapi/v1/exchangeInfo",
}


@pytest.fixture
def backends(redis_backends: Callable[..., RedisBackend]) -> Callable[..., RedisBackend]:
    return redis_backends


def info_tasks(api: BinanceRestApi) -> list[Any]:
    return [SpotExchangeInfo(api=api), UsdmExchangeInfo(api=api), CoinMExchangeInformation(api=api)]


def fetched(sim: BinanceSimulator) -> dict[str, int]:
    return {market: sim.requests[market, path] for market, path in PATHS.items()}


async def test_apis_starting_at_once_make_one_exchange_info_request_per_market(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator() as sim:
        apis = [sim.api(limiter_backend=backends()) for _ in range(6)]
        tasks = [task for api in apis for task in info_tasks(api)]
        await GatherTask(*tasks).run()
        assert fetched(sim) == {"spot": 1, "usdm": 1, "coinm": 1}
        # Every API object got the whole answer, each its own copy, and its live limits.
        spot = [task.result for task in tasks if isinstance(task, SpotExchangeInfo)]
        assert all(answer == spot[0] for answer in spot)
        assert spot[0]["symbols"]
        assert len({id(answer) for answer in spot}) == len(spot)
        assert all(task.parsed.symbols for task in tasks if isinstance(task, SpotExchangeInfo))
        limits = [answer["rateLimits"] for answer in spot]
        for api in apis:
            assert [w.limit for w in api.rate_limits("spot") if w.name == "REQUEST_WEIGHT"] == [
                next(x["limit"] for x in limits[0] if x["rateLimitType"] == "REQUEST_WEIGHT")
            ]
        # Asked again later: the kept answer, no request.
        await UsdmExchangeInfo(api=apis[0]).run()
        await UsdmExchangeInfo(api=sim.api(limiter_backend=backends())).run()
        assert fetched(sim) == {"spot": 1, "usdm": 1, "coinm": 1}
        for api in apis:
            await api.close()


async def test_different_parameters_are_different_answers(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator() as sim:
        first, second = sim.api(limiter_backend=backends()), sim.api(limiter_backend=backends())
        whole = await SpotExchangeInfo(api=first).run()
        one = await SpotExchangeInfo(symbol="BTCUSDT", api=second).run()
        again = await SpotExchangeInfo(symbol="BTCUSDT", api=first).run()
        assert sim.requests["spot", PATHS["spot"]] == 2
        assert (
            [s["symbol"] for s in one["symbols"]]
            == ["BTCUSDT"]
            == [s["symbol"] for s in again["symbols"]]
        )
        assert len(whole["symbols"]) > 1
        for api in (first, second):
            await api.close()


async def test_the_answer_expires_and_is_fetched_again_once(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator() as sim:
        apis = [sim.api(limiter_backend=backends(), exchange_info_ttl=0.5) for _ in range(3)]
        await GatherTask(*(UsdmExchangeInfo(api=api) for api in apis)).run()
        assert sim.requests["usdm", PATHS["usdm"]] == 1
        await asyncio.sleep(0.6)
        await GatherTask(*(UsdmExchangeInfo(api=api) for api in apis)).run()
        assert sim.requests["usdm", PATHS["usdm"]] == 2
        for api in apis:
            await api.close()


async def test_without_redis_each_api_fetches_for_itself_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="aioca.limits")
    async with BinanceSimulator() as sim:
        apis = [
            sim.api(limiter_backend=RedisBackend(nowhere, on_failure="local", degraded_share=1))
            for _ in range(3)
        ]
        tasks = [UsdmExchangeInfo(api=api) for api in apis]
        await GatherTask(*tasks).run()
        assert all(task.exception is None and task.result["symbols"] for task in tasks)
        assert sim.requests["usdm", PATHS["usdm"]] == 3
        assert "fetches it itself" in caplog.text
        for api in apis:
            await api.close()
            assert isinstance(api.limiter_backend, RedisBackend)
            await api.limiter_backend.close()


async def test_api_objects_of_one_local_backend_share_the_answer() -> None:
    async with BinanceSimulator() as sim:
        backend = LocalBackend()
        apis = [sim.api(limiter_backend=backend) for _ in range(4)]
        own = sim.api()  # no backend: its own answer, as before
        await GatherTask(*(task for api in apis for task in info_tasks(api))).run()
        await CoinMExchangeInformation(api=own).run()
        assert fetched(sim) == {"spot": 1, "usdm": 1, "coinm": 2}
        for api in (*apis, own):
            await api.close()


async def test_exchange_info_ttl_none_fetches_every_time(
    backends: Callable[..., RedisBackend],
) -> None:
    async with BinanceSimulator() as sim:
        api = sim.api(limiter_backend=backends(), exchange_info_ttl=None)
        await CoinMExchangeInformation(api=api).run()
        await CoinMExchangeInformation(api=api).run()
        assert sim.requests["coinm", PATHS["coinm"]] == 2
        await api.close()


def test_a_bad_exchange_info_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="exchange_info_ttl"):
        BinanceRestApi(exchange_info_ttl=0)


_WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from aioca import GatherTask
    from aioca.limits.redis import RedisBackend
    from aioca_binance import BinanceRestApi
    from aioca_binance.coinm import CoinMExchangeInformation
    from aioca_binance.spot import SpotExchangeInfo
    from aioca_binance.usdm import UsdmExchangeInfo

    async def main(redis_url, prefix, urls, start_at):
        async with RedisBackend(redis_url, prefix=prefix) as backend:
            await backend.connect()
            api = BinanceRestApi(urls=urls, limiter_backend=backend, max_clock_offset=None)
            await asyncio.sleep(max(0.0, start_at - time.time()))
            tasks = [SpotExchangeInfo(api=api), UsdmExchangeInfo(api=api),
                     CoinMExchangeInformation(api=api)]
            await GatherTask(*tasks).run()
            await api.close()
            print(json.dumps([len(task.result["symbols"]) for task in tasks]))

    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])))
    """
)


async def test_processes_starting_at_once_make_one_request_per_market(
    redis_server: RedisServer,
) -> None:
    processes = 4
    prefix = f"p{uuid.uuid4().hex[:12]}"
    async with BinanceSimulator() as sim:
        start_at = time.time() + 3.0  # after every interpreter has started
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _WORKER,
                redis_server.url,
                prefix,
                json.dumps(sim.urls),
                repr(start_at),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(processes)
        ]
        outputs = [await child.communicate() for child in children]
        for child, (out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err.decode()
            counts = json.loads(out)
            assert len(counts) == 3
            assert all(count > 0 for count in counts)
        assert len({out for out, _ in outputs}) == 1  # the same answers everywhere
        assert fetched(sim) == {"spot": 1, "usdm": 1, "coinm": 1}


async def test_the_shared_answer_keeps_every_digit_for_a_decimal_json_loads(
    backends: Callable[..., RedisBackend],
) -> None:
    """The shared answer is the body as sent: a process decoding floats as Decimal gets
    every digit back from Redis, as it would from the exchange (a re-encoding of the
    fetching process's floats would keep 17 significant digits at most)."""
    import re
    from decimal import Decimal

    from aioca.testing import mocked_responses
    from aioca_binance.api import _SHARED_BODY

    body = (
        '{"timezone":"UTC","rateLimits":[],"symbols":[{"symbol":"X","p":0.1234567890123456789012}]}'
    )

    def decimal_loads(raw: bytes) -> Any:
        return json.loads(raw, parse_float=Decimal)

    url = re.compile(r"^https://api\.binance\.com/api/v3/exchangeInfo.*$")
    with mocked_responses() as mock:
        mock.get(url, body=body, content_type="application/json")
        fetching = BinanceRestApi(limiter_backend=backends(), json_loads=decimal_loads)
        reading = BinanceRestApi(limiter_backend=backends(), json_loads=decimal_loads)
        async with fetching, reading:
            first = await SpotExchangeInfo(api=fetching).run()
            # The fetch's body slot ends with it: later requests here are not kept.
            assert _SHARED_BODY.get() is None
            second = await SpotExchangeInfo(api=reading).run()
        requests = sum(len(calls) for calls in mock.requests.values())
    assert requests == 1  # the second came from Redis
    expected = Decimal("0.1234567890123456789012")
    assert first["symbols"][0]["p"] == expected
    assert second["symbols"][0]["p"] == expected

"""The README's main job: the seed README's Binance COIN-M examples, run offline.

A small stand-in for Binance's COIN-M REST API is served on 127.0.0.1 (the embedded
simulator will take its place); the tasks are the real catalog tasks of ``aioca_binance``,
signing included, pointed at it with ``urls={"coinm": ...}``.

    python examples/binance_demo.py          # English task names
    AIOCA_LANG=zh python examples/binance_demo.py
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

import aioca
from aioca import GatherTask, SerialTask, Task, TaskOperator, TaskQueue, TaskRing
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import (
    CoinMAccountInformation,
    CoinMFetchKline,
    CoinMFetchTicker,
    CoinMPing,
    CoinMServerTime,
)

DEMO_KEY = "demoKey0123456789abcdef"
DEMO_SECRET = "demoSecret0123456789abcdef"
PRICES = {"BTCUSD_PERP": 55163.4, "ETHUSD_PERP": 2119.9}


class FakeCoinM:
    """Just enough of COIN-M for the demo: ping, time, ticker price, klines, account."""

    def __init__(self, seed: int = 7) -> None:
        self.random = random.Random(seed)

    def price(self, symbol: str) -> float:
        PRICES[symbol] *= 1 + self.random.uniform(-0.0005, 0.0005)
        return PRICES[symbol]

    async def ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def ticker(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol", "BTCUSD_PERP")
        if symbol not in PRICES:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        body = {
            "symbol": symbol,
            "ps": symbol.split("_")[0],
            "price": f"{self.price(symbol):.1f}",
            "time": int(time.time() * 1000),
        }
        return web.json_response([body])

    async def klines(self, request: web.Request) -> web.Response:
        symbol = request.query["symbol"]
        limit = int(request.query.get("limit", "500"))
        end = int(request.query.get("endTime", str(int(time.time() * 1000))))
        candles = []
        for index in range(limit):
            open_time = (end // 60_000 - limit + index) * 60_000
            close = self.price(symbol)
            open_ = close * (1 + self.random.uniform(-0.001, 0.001))
            high, low = max(open_, close) * 1.0005, min(open_, close) * 0.9995
            volume = self.random.randint(1000, 20000)
            candles.append([
                open_time, f"{open_:.1f}", f"{high:.1f}", f"{low:.1f}", f"{close:.1f}",
                str(volume), open_time + 59_999, f"{volume / close:.8f}",
                self.random.randint(50, 300), str(volume // 2), f"{volume / close / 2:.8f}", "0",
            ])  # fmt: skip
        return web.json_response(candles)

    async def account(self, request: web.Request) -> web.Response:
        raw = request.query_string
        payload, _, signature = raw.rpartition("&signature=")
        expected = hmac.new(DEMO_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if request.headers.get("X-MBX-APIKEY") != DEMO_KEY or signature != expected:
            return web.json_response(
                {"code": -1022, "msg": "Signature for this request is not valid."}, status=400
            )
        timestamp = int(dict(parse_qsl(payload))["timestamp"])
        if abs(time.time() * 1000 - timestamp) > 5000:
            return web.json_response({"code": -1021, "msg": "Timestamp outside recvWindow."}, 400)
        return web.json_response(
            {"assets": [{"asset": "BTC", "walletBalance": "1.25000000"}], "positions": []}
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/dapi/v1/ping", self.ping)
        app.router.add_get("/dapi/v1/time", self.server_time)
        app.router.add_get("/dapi/v1/ticker/price", self.ticker)
        app.router.add_get("/dapi/v1/klines", self.klines)
        app.router.add_get("/dapi/v1/account", self.account)
        return app


@contextmanager
def serve_locally() -> Iterator[str]:
    """Run the stand-in server on 127.0.0.1 in a thread; yield its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(FakeCoinM().app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{state['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def section(title: str) -> None:
    print(f"\n=== {title}")


def main() -> None:
    started = time.perf_counter()
    with serve_locally() as url:
        print(f"stand-in COIN-M server: {url}")
        Task.set_default_binance_API(
            BinanceRestApi(api_key=DEMO_KEY, api_secret=DEMO_SECRET, urls={"coinm": url})
        )

        section("1. ping and server time in one GatherTask")
        gather = GatherTask(CoinMPing(), CoinMServerTime())
        gather.show_tasks()
        TaskOperator().run_single_task(gather).run()
        print("result:", gather.result)

        section("2. a ticker ring, three passes (seed: TaskRing(iter_interval=1))")
        ring = TaskRing(iter_num=3, iter_interval=0.2)
        ring += CoinMFetchTicker(symbol="BTCUSD_PERP", pair="BTCUSD")
        ring.show_tasks()
        for task in TaskOperator().add_queue(ring).finish_task_generator():
            print(task.result)

        section("3. klines of two symbols concurrently, each pair in series")
        end = int(time.time()) * 1000
        queue = TaskQueue()
        queue += GatherTask(
            SerialTask(
                CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=end),
                CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=1, endTime=end - 60_000),
            ),
            SerialTask(
                CoinMFetchKline(symbol="ETHUSD_PERP", interval="1m", limit=1, endTime=end),
                CoinMFetchKline(symbol="ETHUSD_PERP", interval="1m", limit=1, endTime=end - 60_000),
            ),
        )
        queue.show_tasks()
        for task in TaskOperator().add_queue(queue).finish_task_generator():
            for symbol_klines in task.result:
                for klines in symbol_klines:
                    print(klines)

        section("4. typed results and a signed request")
        kline = CoinMFetchKline(symbol="BTCUSD_PERP", interval="1m", limit=3)
        account = CoinMAccountInformation()
        TaskOperator().run_single_task(GatherTask(kline, account)).run()
        for candle in kline.parsed:
            print(f"open {candle.open_time}: close {candle.close!r}")
        print("account:", account.result)

        section("5. the same tree in the seed's Chinese")
        aioca.set_language("zh")
        queue.show_tasks()
        aioca.set_language("en")

        section("6. a bad parameter is refused before anything is sent")
        try:
            CoinMFetchKline(symbol="BTCUSD_PERP", interval="7m")
        except aioca.errors.InvalidParameterError as error:
            print(f"InvalidParameterError: {error}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

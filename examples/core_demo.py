"""aioca's core, end to end, against a tiny exchange served on 127.0.0.1.

The core alone, with user-defined tasks and a hand-written ``RestApi``; the README's main
job, with the Binance plugin, is ``aioca demo``. It needs no network beyond 127.0.0.1 and no
real keys. It follows the seed README step by step, with the synchronous API as the seed
spells it (``TaskOperater``, ``fishih_task_generator``), and names the corrected spellings
next to them. (The seed's ``set_default_binance_API`` and ``binance_API`` come with the
Binance plugin, since the core names no exchange.)

Run it with ``python examples/core_demo.py``; it takes a few seconds and exits 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

import aioca
from aioca import (
    FunctionTask,
    GatherTask,
    PreparedRequest,
    Response,
    RestApi,
    SerialTask,
    Task,
    TaskOperater,
    TaskOperator,
    TaskQueue,
    TaskRing,
    errors,
)

SLOW_SECONDS = 0.3
"""How long the local server takes to answer ``/api/v1/slow``."""

ACCOUNTS = {"key_1": ("secret_1", "1.25"), "key_2": ("secret_2", "0.50")}
"""The local exchange's accounts: API key -> (API secret, BTC balance). Not real keys."""


# --- the local exchange: an aiohttp.web app on its own thread and event loop ----------------


def build_app() -> web.Application:
    """A toy exchange: server time, a ticker whose price moves, a slow endpoint, a signed one."""
    prices = {"BTCUSD": 55163.4, "ETHUSD": 2118.17}

    async def server_time(request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def ticker(request: web.Request) -> web.Response:
        symbol = request.query.get("symbol", "")
        if symbol not in prices:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        prices[symbol] = round(prices[symbol] * 1.0001, 2)  # every call sees a new price
        return web.json_response(
            {"symbol": symbol, "price": str(prices[symbol]), "time": int(time.time() * 1000)}
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(SLOW_SECONDS)
        return web.json_response({"slept": SLOW_SECONDS})

    async def balance(request: web.Request) -> web.Response:
        # Check the signature over exactly the query string that was sent, as exchanges do.
        account = ACCOUNTS.get(request.headers.get("X-DEMO-APIKEY", ""))
        unsigned, _, signature = request.query_string.rpartition("&signature=")
        if account is None:
            return web.json_response({"code": -2014, "msg": "API-key format invalid."}, status=401)
        secret, btc = account
        expected = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return web.json_response({"code": -1022, "msg": "Signature is not valid."}, status=401)
        return web.json_response({"asset": "BTC", "balance": btc})

    app = web.Application()
    app.router.add_get("/api/v1/time", server_time)
    app.router.add_get("/api/v1/ticker/price", ticker)
    app.router.add_get("/api/v1/slow", slow)
    app.router.add_get("/api/v1/balance", balance)
    return app


@contextmanager
def local_exchange(timeout: float = 5.0) -> Iterator[str]:
    """Serve :func:`build_app` on 127.0.0.1 (a free port) in a background thread; yield its
    base URL. Every step of start-up and shutdown is bounded by ``timeout`` seconds."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="local-exchange", daemon=True)
    runner = web.AppRunner(build_app(), access_log=None)

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout)
    finally:
        try:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            if not thread.is_alive():
                loop.close()


# --- the exchange's API object and tasks: what a plugin provides ----------------------------


class DemoApi(RestApi):
    """The local exchange's REST API: HMAC-SHA256 signatures, Binance style."""

    exchange = "demo"

    def __init__(self, *, api_key: str, api_secret: str, base_url: str, **options: Any) -> None:
        super().__init__(**options)
        self.api_key = api_key
        self.api_secret = api_secret
        self.base_url = base_url

    def sign_request(self, request: PreparedRequest) -> None:
        request.query.append(("timestamp", str(int(time.time() * 1000))))
        payload = request.query_string().encode()
        signature = hmac.new(self.api_secret.encode(), payload, hashlib.sha256).hexdigest()
        request.query.append(("signature", signature))
        request.headers["X-DEMO-APIKEY"] = self.api_key

    def map_error(self, response: Response, payload: Any) -> errors.AiocaError:
        # The default maps HTTP statuses; an exchange's own codes can be more precise.
        if isinstance(payload, dict) and payload.get("code") == -1121:
            return errors.BadSymbolError(
                str(payload.get("msg")),
                code=-1121,
                status=response.status,
                **self.error_context(response.request),
            )
        return super().map_error(response, payload)


class DemoTask(Task):
    """Base of the local exchange's tasks: a typed way to reach :class:`DemoApi`."""

    exchange = "demo"

    async def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        api = self.api
        if not isinstance(api, DemoApi):
            raise TypeError(f"{self} needs a DemoApi, not {type(api).__name__}")
        return await api.request("GET", api.base_url + path, params, **kw)


class ServerTime(DemoTask):
    async def __call__(self) -> Any:
        return await self.get("/api/v1/time")

    def __str__(self) -> str:
        return aioca.localize("demo server time", "获取演示服务器时间")


class FetchTicker(DemoTask):
    def __init__(self, symbol: str, *, api: RestApi | None = None) -> None:
        super().__init__(api=api)
        self.symbol = symbol

    async def __call__(self) -> Any:
        return await self.get("/api/v1/ticker/price", {"symbol": self.symbol})

    def __str__(self) -> str:
        return aioca.localize(f"{self.symbol} price", f"获取{self.symbol}实时价格")


class SlowEndpoint(DemoTask):
    async def __call__(self) -> Any:
        return await self.get("/api/v1/slow")

    def __str__(self) -> str:
        return aioca.localize(f"slow endpoint ({SLOW_SECONDS}s)", f"慢接口({SLOW_SECONDS}秒)")


class FetchBalance(DemoTask):
    async def __call__(self) -> Any:
        return await self.get("/api/v1/balance", signed=True)

    def __str__(self) -> str:
        key = self.api.api_key if isinstance(self.api, DemoApi) else "?"
        return aioca.localize(f"BTC balance of {key}", f"获取{key}的BTC余额")


async def local_clock() -> int:
    """Any coroutine function can be a task, through FunctionTask."""
    return int(time.time() * 1000)


# --- the walkthrough --------------------------------------------------------------------------


def section(title: str) -> None:
    print(f"\n=== {title} ===")


def key_of(task: Task) -> str:
    api = task.api
    return api.api_key if isinstance(api, DemoApi) else "?"


def timed_run(task: aioca.BaseTask) -> float:
    started = time.perf_counter()
    TaskOperator().run_single_task(task).run()
    return time.perf_counter() - started


def walkthrough(base_url: str) -> None:
    section("1. API objects and the default API")
    api1 = DemoApi(api_key="key_1", api_secret="secret_1", base_url=base_url)
    api2 = DemoApi(api_key="key_2", api_secret="secret_2", base_url=base_url)
    Task.set_default_api(api1)
    task1 = ServerTime()
    print("task1:", key_of(task1))
    Task.set_default_api(api2)
    task2 = ServerTime()
    print("task2:", key_of(task2), "(task1 still uses", key_of(task1) + ")")
    Task.set_default_api(api1)

    section("2. GatherTask and SerialTask nest")
    gather = GatherTask(
        SerialTask(ServerTime(), FetchTicker("BTCUSD")),
        SerialTask(ServerTime(), FetchTicker("ETHUSD")),
    )
    gather.show_tasks()

    section("3. A TaskQueue run by the operator")
    q = TaskQueue()
    q += GatherTask(ServerTime(), FunctionTask(local_clock, name="local clock"))
    q += gather
    q += GatherTask(FetchBalance(api=api1), FetchBalance(api=api2))  # two keys at once
    q.show_tasks()
    # The seed's spellings, kept as aliases of TaskOperator and finish_task_generator.
    print("(TaskOperater().add_queue(q).fishih_task_generator(), as in the seed)")
    for task in TaskOperater().add_queue(q).fishih_task_generator():
        print(f"{task} finished: {task.result}")
    server_time, local_ms = q.tasks[0].result
    print(f"local clock - server clock: {local_ms - server_time['serverTime']} ms")

    section("4. A TaskRing: 3 passes, 0.2 s apart")
    ticker = FetchTicker("BTCUSD")
    ring = TaskRing(iter_num=3, iter_interval=0.2)
    ring += ticker
    started = time.perf_counter()
    for task in TaskOperator().add_queue(ring).finish_task_generator():
        print(f"t={time.perf_counter() - started:.2f}s {task}: {task.result['price']}")

    section('5. aioca.set_language("zh"): the seed\'s Chinese labels')
    aioca.set_language("zh")
    try:
        (TaskRing() + ServerTime() + gather).show_tasks()
    finally:
        aioca.set_language("en")

    section("6. GatherTask runs its children concurrently")
    n = 5
    one = timed_run(SlowEndpoint())
    many = timed_run(GatherTask(*(SlowEndpoint() for _ in range(n))))
    serial = timed_run(SerialTask(*(SlowEndpoint() for _ in range(n))))
    print(f"1 request:                      {one:.2f} s")
    print(f"{n} requests in a GatherTask:    {many:.2f} s")
    print(f"{n} requests in a SerialTask:    {serial:.2f} s")

    section("7. Failures")
    btc, bad, eth = FetchTicker("BTCUSD"), FetchTicker("NOPE"), FetchTicker("ETHUSD")
    both = GatherTask(btc, bad, eth)
    try:
        TaskOperator().run_single_task(both).run()
    except ExceptionGroup as group:
        print(f"GatherTask raised: {group!r}")
    print("every sibling finished; results:", [r and r["price"] for r in both.result or []])
    chain = SerialTask(bad, btc)
    try:
        TaskOperator().run_single_task(chain).run()
    except errors.BadSymbolError as exc:
        print(f"SerialTask stopped at the first failure: {exc}")
    print("the task after it did not run this pass; its result:", btc.result)

    q = TaskQueue(FetchTicker("BTCUSD"), FetchTicker("NOPE"), FetchTicker("ETHUSD"))
    print('on_error="continue" runs the whole queue:')
    for task in TaskOperater(on_error="continue").add_queue(q).fishih_task_generator():
        outcome = task.result if task.exception is None else f"failed: {task.exception!r}"
        print(f"  {task}: {outcome}")

    section("8. The same with asyncio")
    asyncio.run(async_walkthrough(base_url))


async def async_walkthrough(base_url: str) -> None:
    # In async code you own the session: `async with api:` closes it.
    async with DemoApi(api_key="key_1", api_secret="secret_1", base_url=base_url) as api:
        q = TaskQueue(ServerTime(api=api), FetchTicker("ETHUSD", api=api))
        op = TaskOperator(q)
        await op.arun()
        print("await op.arun():", [task.result for task in q.tasks])
        async for task in op.finished():
            print(f"async for: {task} -> {task.result}")
        print("await task.run():", await FetchBalance(api=api).run())


def main() -> None:
    started = time.perf_counter()
    with local_exchange() as base_url:
        print(f"local exchange at {base_url}")
        walkthrough(base_url)
    print(f"\ndone in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

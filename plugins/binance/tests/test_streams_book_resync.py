"""A resync while a REST snapshot is still on its way: the stale snapshot is cancelled
(no request left running for a book that is gone, spending weight) and its outcome is
retrieved (no "Task exception was never retrieved" from the event loop), against a
loopback WebSocket server for the diffs and a loopback REST server whose first depth
answer comes late, as an error."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from binance_ws import BinanceDialect, WsFaultServer, combined, until
from sim_streams_helpers import fast_settings

from aioca_binance import BinanceRestApi
from aioca_binance.streams import LocalOrderBook, Resynced

TOPIC = "btcusdt@depth@100ms"
SLOW = 1.0
"""Seconds the first depth request takes: long enough for a resync to overtake it."""


class SlowDepth:
    """``GET /fapi/v1/depth``: the first request answers an error after :data:`SLOW`
    seconds, the others a snapshot at once; ``started`` counts the requests, ``abandoned``
    those whose client had gone when the answer was ready."""

    def __init__(self) -> None:
        self.started = 0
        self.abandoned = 0
        self.url = ""

    async def depth(self, request: web.Request) -> web.Response:
        self.started += 1
        if self.started == 1:
            await asyncio.sleep(SLOW)
            transport = request.transport
            if transport is None or transport.is_closing():
                self.abandoned += 1
            return web.json_response({"code": -1121, "msg": "snapshot 1 failed"}, status=400)
        return web.json_response({"lastUpdateId": 100, "bids": [["10", "1"]], "asks": []})

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[SlowDepth]:
        app = web.Application()
        app.router.add_get("/fapi/v1/depth", self.depth)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield self
        finally:
            await runner.cleanup()


def snapshot_tasks() -> list[asyncio.Task[Any]]:
    """The running tasks that fetch a book snapshot over REST."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done()
        and getattr(task.get_coro(), "__qualname__", "") == "LocalOrderBook._rest_snapshot"
    ]


async def test_a_resync_cancels_the_snapshot_in_flight_and_retrieves_its_outcome() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        async with (
            SlowDepth().serving() as rest,
            WsFaultServer(BinanceDialect()) as ws,
            BinanceRestApi(urls={"usdm": rest.url}) as api,
        ):
            book = LocalOrderBook(
                "usdm", "BTCUSDT", api=api, base_url=ws.url, settings=fast_settings("usdm")
            )
            async with book:
                first = loop.create_task(book.next(5))
                await until(lambda: rest.started == 1)  # the slow snapshot is on its way
                await ws.wait_for_subscribers(TOPIC)
                await ws.drop()  # a gap: the book starts again, with a new snapshot
                await until(lambda: rest.started == 2)
                await ws.wait_for_subscribers(TOPIC)
                event = {"e": "depthUpdate", "U": 95, "u": 102, "pu": 94, "b": [], "a": []}
                await ws.publish(TOPIC, combined(TOPIC, event))
                synced = await first
                assert isinstance(synced, Resynced)
                assert synced.reason == "gap: disconnected"
                # the stale request is no longer running, well before its answer was due
                assert snapshot_tasks() == []
                await asyncio.sleep(SLOW + 0.2)  # its answer is ready now
                assert rest.abandoned == 1
                assert rest.started == 2
            gc.collect()
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous_handler)
    assert [context.get("message") for context in reported] == []

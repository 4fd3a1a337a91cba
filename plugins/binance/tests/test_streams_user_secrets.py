"""A futures user-data stream's URL carries the account's listenKey (``/ws/<listenKey>``),
which reads the account's events: it never shows in a log line, a stream event or an
error, even when aiohttp's own errors (whose text holds the URL) are what went wrong."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp import web
from binance_ws import until
from sim_streams_helpers import fast_settings

from aioca.stream import Connected, ConnectFailed, ConnectFailedError, StreamEvent
from aioca_binance.streams import futures_user_stream
from aioca_binance_sim import BinanceSimulator

KEY_IN_URL = re.compile(r"/ws/[A-Za-z0-9]{16,}")


async def test_the_listen_key_never_shows_in_logs_events_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def unavailable(request: web.Request) -> web.Response:
        return web.Response(status=503)  # a handshake worth retrying: logged each time

    app = web.Application()
    app.router.add_get("/{tail:.*}", unavailable)
    runner = web.AppRunner(app, access_log=None)  # the server's log is not ours
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    events: list[StreamEvent] = []
    try:
        async with BinanceSimulator(seed=1) as sim, sim.api() as api:
            stream = futures_user_stream(
                api, "coinm", base_url=f"ws://127.0.0.1:{port}",
                settings=fast_settings("coinm", max_attempts=2),
            )  # fmt: skip
            stream.add_listener(events.append)
            with caplog.at_level(logging.DEBUG), pytest.raises(ConnectFailedError) as failure:
                async with stream:
                    await stream.next(10)
    finally:
        await runner.cleanup()
    failed = [event for event in events if isinstance(event, ConnectFailed)]
    assert len(failed) == 2
    assert all(event.url.endswith("/ws/<listenKey>") for event in failed)
    assert all("HTTP 503" in str(event.error) for event in failed)
    shown = [caplog.text, str(failure.value), repr(failure.value.last_error)]
    shown += [str(event) for event in events] + [repr(event) for event in events]
    leaks = [text for text in shown if KEY_IN_URL.search(text)]
    assert leaks == []
    assert "a stream connection failed" in caplog.text  # the failures were logged


async def test_a_connected_user_data_stream_is_known_by_its_masked_url() -> None:
    events: list[StreamEvent] = []
    async with BinanceSimulator(seed=1) as sim, sim.api() as api:
        stream = futures_user_stream(
            api, "coinm", base_url=sim.ws_url, settings=fast_settings("coinm")
        )
        stream.add_listener(events.append)
        async with stream:
            await until(lambda: any(isinstance(event, Connected) for event in events))
            key, base = stream.protocol.listen_key, sim.ws_url
    (connected,) = [event for event in events if isinstance(event, Connected)]
    assert key
    assert key not in connected.url
    assert connected.url == f"{base}/ws/<listenKey>"

"""``serve()``: run a simulator in the foreground until SIGINT or SIGTERM.

It prints where it listens and the credentials to use (printing the secret is the point
here: they are demo credentials the user asked for), flushes so a parent process reading
the pipe sees them at once, and exits cleanly on a signal, without a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import Any

from .faults import Faults
from .stream_faults import StreamFaults
from .stream_limits import StreamLimits

__all__ = ["serve"]


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    spot_port: int | None = None,
    usdm_port: int | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    seed: int = 0,
    weight_limit: int = 2400,
    order_limit_10s: int = 300,
    order_limit_1m: int = 1200,
    weight_seconds: int = 60,
    ban_seconds: int = 120,
    faults: Faults | None = None,
    stream_faults: StreamFaults | None = None,
    stream_limits: bool = True,
    print_fn: Callable[[str], Any] = print,
) -> None:
    """Start a :class:`BinanceSimulator`, print ``url:`` (COIN-M's), ``api_key:`` and
    ``api_secret:`` lines, then ``url-spot:``, ``url-usdm:`` and ``url-coinm:`` (the
    ``urls=`` of ``BinanceRestApi``), ``ws-spot:``, ``ws-usdm:`` and ``ws-coinm:`` (the
    ``base_url=`` of the client's market streams), ``ws-api-spot:`` (the ``url=`` of
    ``spot_user_stream``), and serve until SIGINT or SIGTERM.

    ``port`` is COIN-M's; Spot's and USDⓈ-M's default to the next two ports (free ones
    when ``port`` is 0). ``stream_faults`` apply to every market's streams (each hub gets
    its own copy); ``stream_limits=False`` lifts Binance's WebSocket limits (incoming
    messages a second, connection attempts: :mod:`.stream_limits`)."""
    from .server import BinanceSimulator

    if spot_port is None:
        spot_port = port + 1 if port else 0
    if usdm_port is None:
        usdm_port = port + 2 if port else 0
    simulator = BinanceSimulator(
        host=host,
        port=port,
        ports={"spot": spot_port, "usdm": usdm_port},
        api_key=api_key,
        api_secret=api_secret,
        seed=seed,
        weight_limit=weight_limit,
        order_limit_10s=order_limit_10s,
        order_limit_1m=order_limit_1m,
        weight_seconds=weight_seconds,
        ban_seconds=ban_seconds,
        faults=faults,
    )
    for hub in simulator.market_streams.values():
        if stream_faults is not None:
            hub.faults = StreamFaults(
                stream_faults.lifetime,
                stream_faults.stall_after,
                stream_faults.drop_every,
                stream_faults.skip_every,
            )
        if not stream_limits:
            hub.limits = StreamLimits()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
        async with simulator:
            print_fn(f"url: {simulator.url}")
            print_fn(f"api_key: {simulator.api_key}")
            print_fn(f"api_secret: {simulator.api_secret}")
            for market, url in simulator.urls.items():
                print_fn(f"url-{market}: {url}")
            for market, url in simulator.ws_urls.items():
                print_fn(f"ws-{market}: {url}")
            if simulator.ws_api is not None:
                print_fn(f"ws-api-spot: {simulator.ws_api_url}")
            sys.stdout.flush()
            await stop.wait()

    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C while stopping
        asyncio.run(run())

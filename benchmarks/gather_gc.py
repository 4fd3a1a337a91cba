"""Where a ``GatherTask``'s time goes beside raw ``asyncio.gather``: the garbage collector.

Each client (raw aiohttp's ``asyncio.gather`` of fresh requests, aioca's ``GatherTask`` of
fresh ``CoinMFetchTicker`` tasks) runs in its own process against
``loopback_server.py --canned``: one warm-up gather of ``--size`` requests, then
``--gathers`` gathers timed with ``gc.callbacks``, which record every collection per
generation (count, wall time per request) and the objects tracked when each full
collection (generation 2) starts. A gather keeps every child until the last one ends, so
the objects each child holds decide how soon a full collection comes and how much it walks.

    python benchmarks/gather_gc.py [--size 1000] [--gathers 5] [--clients raw aioca ...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SYMBOL = "BTCUSD_PERP"


class GcRecorder:
    """Collections per generation: how many, their wall time, the heap at full ones."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.tracked_at_full: list[int] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        generation = info["generation"]
        if phase == "start":
            if generation == 2:
                self.tracked_at_full.append(len(gc.get_objects()))
            self._started = time.perf_counter()
        else:
            self.count[generation] += 1
            self.seconds[generation] += time.perf_counter() - self._started


async def client(name: str, url: str, size: int, gathers: int) -> None:
    import aiohttp
    import orjson

    from aioca import GatherTask, RateLimiter, Window
    from aioca_binance import BinanceRestApi
    from aioca_binance.api import DEFAULT_WINDOWS
    from aioca_binance.coinm import CoinMFetchTicker

    windows = [
        Window(w.name, 10**9, w.seconds, header=w.header, unit=w.unit) for w in DEFAULT_WINDOWS
    ]
    api = BinanceRestApi(
        urls={"coinm": url}, rate_limiter=RateLimiter(windows), connection_limit=50
    )
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50))
    target = f"{url}/dapi/v1/ticker/price?symbol={SYMBOL}"

    async def raw() -> Any:
        async with session.get(target) as response:
            body = await response.read()
        return orjson.loads(body)

    async def once() -> Any:
        if name == "raw":
            return await asyncio.gather(*(raw() for _ in range(size)))
        tasks = (CoinMFetchTicker(symbol=SYMBOL, api=api) for _ in range(size))
        return await GatherTask(*tasks).run()

    await once()
    recorder = GcRecorder()
    gc.callbacks.append(recorder)
    cpu = time.process_time()
    for _ in range(gathers):
        await once()
    cpu = time.process_time() - cpu
    gc.callbacks.remove(recorder)
    requests = size * gathers
    per_generation = ", ".join(
        f"gen{g} {recorder.count[g]} ({recorder.seconds[g] / requests * 1e6:.1f} us/req)"
        for g in range(3)
    )
    print(
        f"{name:6} CPU {cpu / requests * 1e6:6.1f} us/req; collections: {per_generation}; "
        f"tracked at full collections: {recorder.tracked_at_full}",
        flush=True,
    )
    await session.close()
    await api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--gathers", type=int, default=5)
    parser.add_argument("--clients", nargs="*", default=["raw", "aioca", "raw", "aioca"])
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        asyncio.run(client(args.client, args.url, args.size, args.gathers))
        return
    sys.path.insert(0, str(HERE))
    from loopback_server import server_process

    server = [sys.executable, str(HERE / "loopback_server.py"), "--canned"]
    with server_process(server) as url:
        for name in args.clients:
            command = [sys.executable, __file__, "--client", name, "--url", url]
            command += ["--size", str(args.size), "--gathers", str(args.gathers)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

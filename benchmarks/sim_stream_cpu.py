"""The simulator's CPU cost of serving depth streams: CPU seconds per second served.

Starts a simulator in a subprocess (``--python`` picks the interpreter, so another
checkout's simulator can be measured the same way), opens ``--connections`` raw
connections to COIN-M and USDⓈ-M, each following ``<symbol>@depth<suffix>`` of
``--symbols`` symbols, reads everything for ``--seconds``, and reports the subprocess's
user + system CPU time (``/proc/<pid>/stat``) divided by the seconds, with the messages
received. The simulated clock runs at wall speed, so this is CPU per simulated second.

    python benchmarks/sim_stream_cpu.py --suffix @100ms --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

_SCRIPT = "from aioca_binance_sim import serve; serve(port=0, seed=3)"
_SYMBOLS = {
    "coinm": ["btcusd_perp", "ethusd_perp", "bnbusd_perp", "xrpusd_perp"],
    "usdm": ["btcusdt", "ethusdt", "bnbusdt", "xrpusdt"],
}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _read(url: str, until: float, counts: list[int]) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        while (left := until - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            counts[0] += 1


async def _measure(urls: dict[str, str], args: argparse.Namespace, pid: int) -> tuple[float, int]:
    counts = [0]
    connections = []
    for market in ("coinm", "usdm"):
        names = _SYMBOLS[market][: args.symbols]
        topics = "/".join(f"{name}@depth{args.suffix}" for name in names)
        connections += [f"{urls[market]}/stream?streams={topics}"] * args.connections
    await asyncio.sleep(1.0)  # the simulator settles
    before = _cpu_seconds(pid)
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(_read(url, until, counts) for url in connections))
    return (_cpu_seconds(pid) - before) / args.seconds, counts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the simulator's interpreter")
    parser.add_argument("--suffix", default="@100ms", help='"@100ms", "@500ms", "" ...')
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--symbols", type=int, default=2, choices=range(1, 5))
    parser.add_argument("--connections", type=int, default=2, help="per market")
    args = parser.parse_args()
    process = subprocess.Popen(
        [args.python, "-c", _SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        urls: dict[str, str] = {}
        while len(urls) < 3:
            name, _, value = process.stdout.readline().strip().partition(": ")
            if name.startswith("ws-") and name != "ws-api-spot":
                urls[name.removeprefix("ws-")] = value
        cpu, messages = asyncio.run(_measure(urls, args, process.pid))
    finally:
        process.terminate()
        process.communicate(timeout=30)
    print(
        f"sim_stream_cpu: depth{args.suffix or ' (default)'} x {args.symbols} symbols x "
        f"{args.connections} connections x 2 markets, {args.seconds:g} s"
    )
    print(f"simulator CPU {cpu * 1000:.1f} ms per second; {messages / args.seconds:.1f} msgs/s")


if __name__ == "__main__":
    main()

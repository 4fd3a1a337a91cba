"""Stream throughput and added latency: aioca against raw aiohttp, python-binance and
Binance's official SDK, on loopback, each client in its own process.

A WebSocket server (its own process) speaks Binance's combined-stream dialect for one
stream, ``btcusd_perp@aggTrade``: a client that names it in the URL
(``/stream?streams=...``) or subscribes to it (``SUBSCRIBE``) gets the messages. Frames are
encoded once and written straight to the socket, so the server is not what limits the
rate: what is measured is the client's work per message (read the frame, decode the JSON,
build what the user gets, hand it to the consumer).

* throughput: ``--messages`` (100,000) aggTrade messages sent as fast as the socket takes
  them; each client reports messages per second *decoded and delivered* to an
  ``async for`` consumer (python-binance: ``await socket.recv()``; the official SDK: its
  ``on("message")`` callback), from the first message to the last, and the CPU time its
  process spent per message meanwhile (``time.process_time()``: what the rate would be
  bounded by on an idle core, and less disturbed than the rate when other work shares
  the machine);
* latency: ``--latency-messages`` (2,000) messages, one every millisecond, each carrying the
  server's ``time.monotonic_ns()`` when it was sent (as its event time ``"E"``); a client
  notes the same clock when its consumer gets the message. The median and p99 of the
  difference are reported, and the difference to raw aiohttp's is what a library adds.

The clients: ``raw`` (aiohttp ``ws.receive()`` and ``orjson.loads``, the floor),
``aioca`` (``market_stream``: typed pydantic models with Decimal prices),
``aioca-struct`` (``typed="struct"``: msgspec structs of the same shape, Decimal prices),
``aioca-untyped`` (``typed=False``: the decoded JSON), ``python-binance``
(``BinanceSocketManager.aggtrade_futures_socket``: decoded JSON) and ``sdk``
(``binance-sdk-derivatives-trading-coin-futures``: typed models). Rounds interleave the
clients (raw, aioca, ..., then again) and the report gives each one's median over the
rounds and its ratio to raw aiohttp measured in the same run.

    python benchmarks/streams.py [--messages 100000] [--rounds 3] [--clients raw,aioca,...]
    python benchmarks/streams.py --check     # a quick run that fails if a client breaks
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

STREAM = "btcusd_perp@aggTrade"
CLIENTS = ("raw", "aioca", "aioca-struct", "aioca-untyped", "python-binance", "sdk")
HERE = Path(__file__).resolve()


# --- the server ---------------------------------------------------------------------------


def _frame(text: str) -> bytes:
    """One unmasked server-to-client text frame."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def _message(number: int, ts: int | None = None) -> str:
    data: dict[str, Any] = {
        "e": "aggTrade",
        "E": 1_700_000_000_000 + number,
        "a": number,
        "s": "BTCUSD_PERP",
        "p": f"{65000 + number % 1000}.{number % 10}",
        "q": str(1 + number % 7),
        "f": number,
        "l": number,
        "T": 1_700_000_000_000 + number,
        "m": bool(number % 2),
    }
    if ts is not None:
        data["E"] = ts  # latency mode: the event time is the send time, monotonic ns
    return json.dumps({"stream": STREAM, "data": data}, separators=(",", ":"))


async def _serve(messages: int, latency_messages: int) -> None:
    blast = b"".join(_frame(_message(number)) for number in range(1, messages + 1))

    async def handler(request: web.Request) -> web.StreamResponse:
        mode = "latency" if request.path.startswith("/latency/") else "throughput"
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if STREAM not in request.query.get("streams", ""):
            async for message in ws:  # wait for the SUBSCRIBE of a client that sends one
                request_id = json.loads(message.data).get("id")
                await ws.send_str(json.dumps({"result": None, "id": request_id}))
                break
        transport = request.transport
        assert transport is not None
        if mode == "latency":
            for number in range(1, latency_messages + 1):
                transport.write(_frame(_message(number, time.monotonic_ns())))
                await asyncio.sleep(0.001)
        else:
            view = memoryview(blast)
            for start in range(0, len(view), 1 << 20):
                transport.write(view[start : start + (1 << 20)])
                await asyncio.sleep(0)
                for _ in range(100_000):  # let the client drain what is queued
                    if transport.get_write_buffer_size() <= 8 << 20:
                        break
                    await asyncio.sleep(0.001)
        async for _ in ws:  # until the client leaves
            pass
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"listening on 127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


# --- the clients (each in its own process) --------------------------------------------------


class _Recorder:
    def __init__(self, count: int, mode: str) -> None:
        self.count = count
        self.mode = mode
        self.seen = 0
        self.first = 0.0
        self.last = 0.0
        self.first_cpu = 0.0
        self.last_cpu = 0.0
        self.delays: list[int] = []
        self.done = asyncio.Event()

    def got(self, ts: int | None) -> None:
        now = time.monotonic_ns()
        if self.seen == 0:
            self.first = time.perf_counter()
            self.first_cpu = time.process_time()
        self.seen += 1
        if ts is not None:
            self.delays.append(now - ts)
        if self.seen == self.count:
            self.last = time.perf_counter()
            self.last_cpu = time.process_time()
            self.done.set()

    def result(self) -> dict[str, Any]:
        if self.mode == "latency":
            ordered = sorted(self.delays)
            return {
                "median_us": statistics.median(ordered) / 1000,
                "p99_us": ordered[int(len(ordered) * 0.99)] / 1000,
            }
        return {
            "messages_per_s": (self.count - 1) / (self.last - self.first),
            "cpu_us": (self.last_cpu - self.first_cpu) / (self.count - 1) * 1e6,
        }


async def _client(name: str, base: str, mode: str, count: int) -> dict[str, Any]:
    recorder = _Recorder(count, mode)
    base = f"{base}/{mode}"  # the server tells the modes apart by the path
    url = f"{base}/stream?streams={STREAM}"
    if name == "raw":
        import orjson

        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            async for message in ws:
                data = orjson.loads(message.data)["data"]
                recorder.got(data["E"] if mode == "latency" else None)
                if recorder.seen == count:
                    break
    elif name in ("aioca", "aioca-struct", "aioca-untyped"):
        from aioca_binance.streams import market_stream

        typed = {"aioca": True, "aioca-struct": "struct", "aioca-untyped": False}[name]
        stream = market_stream("coinm", STREAM, base_url=base, typed=typed)
        async with stream:
            async for item in stream:
                data = item.data  # type: ignore[union-attr]
                if mode == "latency":
                    recorder.got(data.event_time if typed else data["E"])
                else:
                    recorder.got(None)
                if recorder.seen == count:
                    break
    elif name == "python-binance":
        import warnings

        warnings.simplefilter("ignore", DeprecationWarning)
        from binance.async_client import AsyncClient
        from binance.enums import FuturesType
        from binance.ws.streams import BinanceSocketManager

        client = AsyncClient()
        manager = BinanceSocketManager(client, max_queue_size=count + 10)
        manager.DSTREAM_URL = base + "/"
        socket = manager.aggtrade_futures_socket("BTCUSD_PERP", FuturesType.COIN_M)
        try:
            async with socket as reader:
                while recorder.seen < count:
                    message = await reader.recv()
                    recorder.got(message["data"]["E"] if mode == "latency" else None)
        finally:
            await client.close_connection()
    elif name == "sdk":
        from binance_common.configuration import ConfigurationWebSocketStreams
        from binance_sdk_derivatives_trading_coin_futures import DerivativesTradingCoinFutures

        config = ConfigurationWebSocketStreams(stream_url=base)
        sdk = DerivativesTradingCoinFutures(config_ws_streams=config)
        connection = await sdk.websocket_streams.create_connection()
        stream = await connection.aggregate_trade_streams(symbol="btcusd_perp")

        def on_message(model: Any) -> None:
            recorder.got(model.E if mode == "latency" else None)

        stream.on("message", on_message)
        await asyncio.wait_for(recorder.done.wait(), 120)
        await connection.close_connection(close_session=True)
    else:
        raise SystemExit(f"unknown client {name!r}")
    return {"client": name, "mode": mode, **recorder.result()}


# --- the driver ----------------------------------------------------------------------------


def _run_client(name: str, base: str, mode: str, count: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE), "--client", name, "--url", base, "--mode", mode,
         "--count", str(count)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"{name} failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--latency-messages", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--check", action="store_true", help="a quick run for CI")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="throughput", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.messages, args.latency_messages))
        return
    if args.client:
        result = asyncio.run(_client(args.client, args.url, args.mode, args.count))
        print(json.dumps(result))
        return
    if args.check:
        args.messages, args.latency_messages, args.rounds = 3000, 200, 1
    clients = [name for name in args.clients.split(",") if name]
    server = subprocess.Popen(
        [sys.executable, str(HERE), "--serve", "--messages", str(args.messages),
         "--latency-messages", str(args.latency_messages)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        base = "ws://" + line.split()[-1]
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for _ in range(args.rounds):
            for name in clients:
                for mode, count in (
                    ("throughput", args.messages),
                    ("latency", args.latency_messages),
                ):
                    results.setdefault((name, mode), []).append(
                        _run_client(name, base, mode, count)
                    )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    _report(clients, results, args)


def _report(
    clients: list[str], results: dict[tuple[str, str], list[dict[str, Any]]], args: Any
) -> None:
    def median(name: str, mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[(name, mode)])

    raw_rate = median("raw", "throughput", "messages_per_s") if "raw" in clients else None
    raw_latency = median("raw", "latency", "median_us") if "raw" in clients else None
    print(f"streams benchmark: {args.messages:,} messages, {args.rounds} interleaved rounds,"
          f" python {sys.version.split()[0]}, {os.cpu_count()} cores")  # fmt: skip
    raw_cpu = median("raw", "throughput", "cpu_us") if "raw" in clients else None
    print(
        f"{'client':<16}{'msgs/s':>12}{'raw/x':>8}{'CPU/msg':>10}{'raw/x':>8}"
        f"{'latency p50':>14}{'p99':>10}{'added':>10}"
    )
    for name in clients:
        rate = median(name, "throughput", "messages_per_s")
        cpu = median(name, "throughput", "cpu_us")
        p50 = median(name, "latency", "median_us")
        p99 = median(name, "latency", "p99_us")
        ratio = f"{raw_rate / rate:.2f}" if raw_rate else "-"
        cpu_ratio = f"{cpu / raw_cpu:.2f}" if raw_cpu else "-"
        added = f"{p50 - raw_latency:+.0f} us" if raw_latency is not None else "-"
        print(
            f"{name:<16}{rate:>12,.0f}{ratio:>8}{cpu:>7.2f} us{cpu_ratio:>8}"
            f"{p50:>11,.0f} us{p99:>7,.0f} us{added:>10}"
        )
    rates = {name: median(name, "throughput", "messages_per_s") for name in clients}
    peers = [rates[name] for name in ("python-binance", "sdk") if name in rates]
    for name in ("aioca", "aioca-struct", "aioca-untyped"):
        if name in rates and raw_rate:
            verdict = "PASS" if raw_rate / rates[name] <= 1.2 else "FAIL"
            print(f"{verdict} {name} within 1.2x of raw aiohttp: {raw_rate / rates[name]:.2f}x")
        if name in rates and peers:
            verdict = "PASS" if rates[name] > max(peers) else "FAIL"
            print(f"{verdict} {name} ahead of the peers: {rates[name] / max(peers):.2f}x the best")


if __name__ == "__main__":
    main()

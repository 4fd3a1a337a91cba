"""The simulator against hostile and broken clients, over raw TCP on 127.0.0.1.

A slow-loris client (headers trickling in, or a body that never completes) is cut off
after ``read_timeout``; malformed requests (bodies that are not UTF-8, bogus charsets,
oversized bodies, broken escapes, random bytes in parameters) get a 4xx, never a 500.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest

from aioca_binance_sim import BinanceSimulator


@pytest.fixture
async def sim() -> AsyncIterator[BinanceSimulator]:
    async with BinanceSimulator(api_key="k", api_secret="s", read_timeout=0.5) as simulator:
        yield simulator


async def exchange(sim: BinanceSimulator, request: bytes, *, wait: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_a_slow_loris_sending_headers_forever_is_cut_off(sim: BinanceSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    started = time.monotonic()
    writer.write(b"GET /dapi/v1/ping HTTP/1.1\r\nHost: x\r\n")
    try:
        for number in range(100):  # a header every 0.05 s, never the blank line
            await asyncio.sleep(0.05)
            writer.write(f"X-Pad-{number}: a\r\n".encode())
            await writer.drain()
    except ConnectionError:
        pass  # the server hung up: what this test wants
    closed_after = time.monotonic() - started
    try:
        rest = await asyncio.wait_for(reader.read(), 1.0)
    except ConnectionError:
        rest = b""
    writer.close()
    assert rest == b""
    assert closed_after < 2.0, "the server kept a slow-loris connection open"


async def test_a_body_that_never_completes_is_cut_off(sim: BinanceSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(
        b"POST /dapi/v1/order HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: k\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\na=1"
    )
    await writer.drain()
    started = time.monotonic()
    answer = await asyncio.wait_for(reader.read(12), 3.0)
    answered_after = time.monotonic() - started
    await asyncio.wait_for(reader.read(), 3.0)  # the rest, until the server hangs up
    closed_after = time.monotonic() - started
    writer.close()
    assert status_of(answer) == 408
    assert answered_after < 1.0
    assert closed_after < 1.5


async def test_an_idle_connection_is_closed_too(sim: BinanceSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    assert await asyncio.wait_for(reader.read(), 2.0) == b""
    writer.close()


async def test_a_well_behaved_client_is_unaffected(sim: BinanceSimulator) -> None:
    answer = await exchange(
        sim, b"GET /dapi/v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status_of(answer) == 200
    assert answer.endswith(b"{}")


FORM = b"Content-Type: application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /dapi/v1/order HTTP/1.1\r\nHost: x\r\n" + FORM + b"\r\n"
         b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc", 400),
        (b"POST /dapi/v1/order HTTP/1.1\r\nHost: x\r\n" + FORM + b"; charset=nope\r\n"
         b"Content-Length: 3\r\n\r\na=1", 401),
        (b"POST /dapi/v1/order HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain; charset=utf-16"
         b"\r\nContent-Length: 3\r\n\r\na=1", 401),
        (b"POST /dapi/v1/order HTTP/1.1\r\nHost: x\r\n" + FORM + b"\r\n"
         b"Content-Length: 1100000\r\n\r\n" + b"a" * 1_100_000, 413),
        (b"GET /dapi/v1/ticker/price?symbol=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /dapi/v1/ticker/price?symbol=\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /dapi/v1/klines?symbol=BTCUSD_PERP&interval=1m&limit=" + b"9" * 40
         + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ],
    ids=["not-utf8", "bogus-charset", "utf16-charset", "1.1MB", "bad-escape", "raw-byte", "huge"],
)  # fmt: skip
async def test_a_malformed_request_gets_a_4xx(
    sim: BinanceSimulator, request_bytes: bytes, status: int
) -> None:
    answer = await exchange(
        sim, request_bytes.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
    )
    assert status_of(answer) == status, answer[:300]


async def test_random_bytes_in_parameters_never_get_a_500(sim: BinanceSimulator) -> None:
    generator = random.Random(11)
    paths = [b"/dapi/v1/klines", b"/dapi/v1/depth", b"/dapi/v1/ticker/price", b"/dapi/v1/order"]
    names = [b"symbol", b"interval", b"limit", b"startTime", b"endTime", b"fromId", b"pair"]
    statuses = []
    for _ in range(300):
        query = b"&".join(
            generator.choice(names)
            + b"="
            + bytes(generator.choice(b"%0123456789ABCDEFabz_-.+&=~") for _ in range(8))
            for _ in range(generator.randint(0, 4))
        )
        method = generator.choice([b"GET", b"POST", b"DELETE"])
        request = (
            method + b" " + generator.choice(paths) + b"?" + query
            + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )  # fmt: skip
        statuses.append(status_of(await exchange(sim, request)))
    assert max(statuses) < 500, sorted(set(statuses))
    assert {200, 400} <= set(statuses)

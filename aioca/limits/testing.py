"""Test helpers for shared limiters (needs the ``test`` extra): a real ``redis-server``
started and stopped by the tests (on a free port of 127.0.0.1, without persistence), and a
TCP proxy that makes it slow.

``redis_server`` is a session-scoped pytest fixture; import it into a test module
(``from aioca.limits.testing import redis_server``) to use it. ``redis_backends`` (import
it too) makes :class:`~aioca.limits.redis.RedisBackend` objects on a key prefix of the
test's own, as separate processes would share one, and closes them after the test. It needs the
``redis-server`` program (Debian: ``apt-get install -y redis-server``); without it the
test fails saying so, rather than being skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .redis import RedisBackend

__all__ = ["LatencyProxy", "RedisServer", "free_port", "redis_backends", "redis_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """``redis-server`` in a child process; :meth:`kill` and :meth:`start` again (same
    port, empty, as a restarted server without persistence comes back), or :meth:`pause`
    and :meth:`resume` it."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: apt-get install -y redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(timeout=10)

    def pause(self) -> None:
        """Stop the server without ending it (SIGSTOP): connections stay open and nothing
        answers, as a Redis stalled on a busy machine; :meth:`resume` lets it go on."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def redis_backends(
    redis_server: RedisServer,
) -> AsyncIterator[Callable[..., RedisBackend]]:
    """A maker of backends on one key prefix of this test's own (processes sharing a
    budget and answers), each option overridable; every backend made is closed after."""
    from .redis import RedisBackend  # the redis extra, needed only by tests that use it

    prefix = f"t{uuid.uuid4().hex[:12]}"
    made: list[RedisBackend] = []

    def make(**options: Any) -> RedisBackend:
        options.setdefault("url", redis_server.url)
        options.setdefault("prefix", prefix)
        backend = RedisBackend(**options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


class LatencyProxy:
    """A TCP proxy on 127.0.0.1 that holds every chunk for ``delay`` seconds each way
    (set ``delay`` at any time): a slow Redis, without touching Redis."""

    def __init__(self, target_port: int, delay: float = 0.0) -> None:
        self.target_port = target_port
        self.delay = delay
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def __aenter__(self) -> LatencyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        await asyncio.sleep(0.01)  # connections accepted meanwhile start their task
        while self._tasks:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.sleep(0.01)  # transports closed by a cancelled connect finish closing

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:  # Redis is down: the client sees the connection close
            writer.close()
            self._tasks.discard(task)
            return
        except BaseException:
            writer.close()
            self._tasks.discard(task)
            raise
        pumps = [
            asyncio.ensure_future(self._pump(reader, up_writer)),
            asyncio.ensure_future(self._pump(up_reader, writer)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(data)
            await writer.drain()

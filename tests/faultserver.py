"""A fault-injecting HTTP server on 127.0.0.1 for tests over real HTTP.

``FaultServer`` is an ``aiohttp.web`` application started on a free port of 127.0.0.1 by
``async with FaultServer() as server:`` and stopped on exit. Every request, whatever its
path or method, is recorded (:class:`Recorded`: time, method, path, raw query, body,
headers, client port) and answered by a :class:`Fault`, a behaviour taken from a
scriptable queue per path::

    server.script("/x", [Fault.status(503), Fault.dropped(), Fault.ok({"price": "1"})])

The queue of a path is consumed one request at a time; once it is empty the path's default
answers (``routes={"/time": Fault.ok(...)}`` or :meth:`FaultServer.set_default`), else the
server's default, which echoes the request (``{"ok": true, "path": ..., "request": n}``, so
a response that reaches the wrong request shows). A fault can wait before answering, answer
any status with a JSON, HTML, empty or cut body and any headers (``Retry-After``, usage
headers), close the connection without answering, declare a longer body than it sends, or
stall half-way through the body. ``open_connections`` and ``peak_connections`` count the
client connections the server holds.

With ``weight_limit=WeightLimit(...)`` the server also enforces a request budget the way
Binance does: it counts each request's weight in clock-aligned windows of ``seconds``,
answers 429 with ``Retry-After`` (seconds to the next window, fractional) once a window's
limit would be passed, and reports the window's usage in a header (``X-MBX-USED-WEIGHT-1M``
by default) on every answer. ``WeightLimit.used`` keeps the weight admitted in each window,
so a test proves both "no 429" and "no window went over the limit".

``exception_texts()`` lists what an exception shows (``str``, ``repr``, its chain and group)
for checks that no credential leaks. The module depends on aiohttp only (not on the
``tests`` package), so the plugin's tests load it by its path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "ECHO",
    "Fault",
    "FaultServer",
    "LeakGuard",
    "Recorded",
    "WeightLimit",
    "exception_texts",
    "weight_from_header",
    "weight_from_query",
]

ECHO: Any = object()
"""The payload that echoes the request: ``{"ok", "path", "method", "request"}`` (its index)."""

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass(slots=True)
class Recorded:
    """A request as the server received it, and what it was answered."""

    index: int
    """0-based arrival order over the whole server."""
    time: float
    """``time.time()`` when the request (body included) had arrived."""
    monotonic: float
    """``time.monotonic()`` at the same moment, for measuring intervals."""
    method: str
    path: str
    query_string: str
    """The raw query string, as sent (still percent-encoded), without ``?``."""
    body: bytes
    headers: CIMultiDictProxy[str]
    peer_port: int
    """The client's port: requests on one connection share it."""
    weight: int = 0
    window: int | None = None
    """The index of the weight window it was counted in (``WeightLimit`` mode)."""
    fault: Fault | None = None
    status: int | None = None
    """The HTTP status answered; ``None`` while pending or when the connection was dropped."""

    def query(self) -> dict[str, str]:
        """The query parameters, decoded (the last of repeated names wins)."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        """The form body's fields, decoded (empty for other bodies)."""
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return {}
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def param(self, name: str) -> str | None:
        """A parameter from the form body, else from the query string."""
        return self.form().get(name, self.query().get(name))


PayloadSource = Any | Callable[[Recorded], Any]
"""A JSON payload, or a function of the request that returns one."""


@dataclass(frozen=True, slots=True)
class Fault:
    """How the server answers one request. Build them with the class methods."""

    http_status: int = 200
    payload: PayloadSource = ECHO
    """JSON to send (``ECHO`` for the echo), or a function of the ``Recorded`` request."""
    body: bytes | None = None
    """Raw bytes to send instead of JSON (HTML, empty, cut JSON)."""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (or dropping)."""
    drop: bool = False
    """Close the connection without answering."""
    truncate: bool = False
    """Declare a ``Content-Length`` larger than the body, send half the body, then close."""
    stall: float = 0.0
    """Send the headers and half the body, wait ``stall`` seconds, then send the rest."""

    # --- builders ----------------------------------------------------------------------------

    @classmethod
    def ok(
        cls,
        payload: PayloadSource = ECHO,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """HTTP 200 with ``payload`` as JSON (the echo by default)."""
        return cls(payload=payload, headers=dict(headers or {}), delay=delay)

    @classmethod
    def status(
        cls,
        status: int,
        payload: PayloadSource = None,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """HTTP ``status`` with a JSON body (``{"code": status, "msg": ...}`` by default)."""
        if payload is None:
            payload = {"code": status, "msg": f"injected HTTP {status}"}
        return cls(http_status=status, payload=payload, headers=dict(headers or {}), delay=delay)

    @classmethod
    def rate_limited(
        cls, retry_after: float | None, *, status: int = 429, payload: PayloadSource = None
    ) -> Fault:
        """HTTP 429 (or another ``status``) with ``Retry-After`` seconds when given."""
        headers = {"Retry-After": _seconds(retry_after)} if retry_after is not None else {}
        if payload is None:
            payload = {"code": -1003, "msg": "Too many requests."}
        return cls.status(status, payload, headers=headers)

    @classmethod
    def banned(cls, retry_after: float | None = None, *, payload: PayloadSource = None) -> Fault:
        """HTTP 418, an IP ban, with ``Retry-After`` seconds when given."""
        if payload is None:
            payload = {"code": -1003, "msg": "Way too many requests; IP banned."}
        return cls.rate_limited(retry_after, status=418, payload=payload)

    @classmethod
    def html(cls, status: int = 502, page: str = HTML_PAGE) -> Fault:
        """An HTML page (a proxy's error page), with ``status``."""
        return cls(http_status=status, body=page.encode(), content_type="text/html")

    @classmethod
    def raw(
        cls, body: bytes | str, *, status: int = 200, content_type: str = "text/plain"
    ) -> Fault:
        """Exactly ``body``, with a correct ``Content-Length`` (e.g. JSON cut short)."""
        data = body.encode() if isinstance(body, str) else body
        return cls(http_status=status, body=data, content_type=content_type)

    @classmethod
    def empty(cls, status: int = 200) -> Fault:
        """An empty body with ``status``."""
        return cls(http_status=status, body=b"", content_type="application/json")

    @classmethod
    def truncated(cls, payload: PayloadSource = ECHO, *, status: int = 200) -> Fault:
        """Announce more bytes than sent, send the JSON ``payload``'s first half, then close."""
        return cls(http_status=status, payload=payload, truncate=True)

    @classmethod
    def stalled(cls, seconds: float, payload: PayloadSource = ECHO, *, status: int = 200) -> Fault:
        """Send the headers and half of the JSON ``payload``, then the rest after ``seconds``:
        the client is left reading a half-received body meanwhile."""
        return cls(http_status=status, payload=payload, stall=seconds)

    @classmethod
    def dropped(cls, *, delay: float = 0.0) -> Fault:
        """Close the connection without answering, after ``delay`` seconds."""
        return cls(drop=True, delay=delay)

    @classmethod
    def slow(cls, seconds: float, payload: PayloadSource = ECHO, *, status: int = 200) -> Fault:
        """Answer ``payload`` with ``status`` after ``seconds``."""
        return cls(http_status=status, payload=payload, delay=seconds)

    def after(self, seconds: float) -> Fault:
        """This fault, answered after ``seconds``."""
        return replace(self, delay=seconds)

    def with_headers(self, headers: Mapping[str, str]) -> Fault:
        """This fault with extra response headers."""
        return replace(self, headers={**self.headers, **headers})


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def weight_from_query(name: str, default: int = 1) -> Callable[[Recorded], int]:
    """A weight rule: the integer query (or form) parameter ``name``, else ``default``."""

    def weight(request: Recorded) -> int:
        value = request.param(name)
        return int(value) if value is not None else default

    return weight


def weight_from_header(name: str, default: int = 1) -> Callable[[Recorded], int]:
    """A weight rule: the integer request header ``name``, else ``default``."""

    def weight(request: Recorded) -> int:
        value = request.headers.get(name)
        return int(value) if value is not None else default

    return weight


@dataclass
class WeightLimit:
    """A server-side request budget: ``limit`` weight per clock-aligned window of
    ``seconds`` (window ``n`` covers ``[n * seconds, (n + 1) * seconds)`` of ``time.time()``).

    ``weight`` gives each request's weight; ``preload`` is weight that other clients of the
    same IP spend at the start of every window. A request that would pass the limit is
    answered 429 (``Retry-After``: seconds to the next window) and not counted. ``header``
    reports the window's usage on every answer. ``clock_offset`` is how far the server's
    clock is ahead of ours (negative: behind), in seconds.
    """

    limit: int
    seconds: float
    weight: Callable[[Recorded], int] = field(default=lambda request: 1)
    header: str | None = "X-MBX-USED-WEIGHT-1M"
    preload: int = 0
    clock_offset: float = 0.0
    used: dict[int, int] = field(default_factory=dict)
    """Weight admitted per window index (``preload`` included)."""
    rejected: list[Recorded] = field(default_factory=list)
    """The requests answered 429 by this budget."""

    def charge(self, request: Recorded) -> tuple[bool, int, float]:
        """Count ``request``: (admitted, usage of its window now, seconds to next window)."""
        now = request.time + self.clock_offset
        index = math.floor(now / self.seconds)
        weight = self.weight(request)
        request.weight, request.window = weight, index
        used = self.used.setdefault(index, self.preload)
        until_next = (index + 1) * self.seconds - now
        if used + weight > self.limit:
            self.rejected.append(request)
            return False, used, until_next
        self.used[index] = used + weight
        return True, used + weight, until_next

    @property
    def peak(self) -> int:
        """The most weight any window admitted."""
        return max(self.used.values(), default=0)

    def phase(self, now: float | None = None) -> float:
        """Seconds since the server's current window began."""
        now = (time.time() if now is None else now) + self.clock_offset
        return now - math.floor(now / self.seconds) * self.seconds


def exception_texts(error: BaseException) -> list[str]:
    """``str()`` and ``repr()`` of ``error``, of every exception it chains (``__cause__``,
    ``__context__``) and of those it groups, for checking that no secret shows."""
    texts: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending and len(seen) < 1000:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
    return texts


class FaultServer:
    """An aiohttp server on 127.0.0.1 that answers with scripted faults; see the module.

    ``routes`` maps paths to their default answer; ``default`` answers every other path
    (the echo). ``keep`` bounds how many recorded requests are kept (``None``: all; the
    count in ``received`` is always complete). ``weight_limit`` enables the budget mode.
    """

    def __init__(
        self,
        *,
        routes: Mapping[str, Fault] | None = None,
        default: Fault | None = None,
        weight_limit: WeightLimit | None = None,
        keep: int | None = None,
        shutdown_timeout: float = 0.25,
    ) -> None:
        self.default = default if default is not None else Fault.ok()
        self.weight_limit = weight_limit
        self.requests: deque[Recorded] = deque(maxlen=keep)
        self.received = 0
        self.peak_connections = 0
        self._defaults: dict[str, Fault] = dict(routes or {})
        self._scripts: dict[tuple[str, str], deque[Fault]] = {}
        self._arrived = asyncio.Event()
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- scripting -------------------------------------------------------------------------

    def script(self, path: str, faults: Iterable[Fault], *, method: str | None = None) -> None:
        """Queue ``faults`` for the next requests to ``path`` (to ``method`` only, if given),
        after those already queued."""
        key = (method.upper() if method else "*", path)
        self._scripts.setdefault(key, deque()).extend(faults)

    def set_default(self, path: str, fault: Fault) -> None:
        """The answer for ``path`` once its script is used up."""
        self._defaults[path] = fault

    def pending(self, path: str, *, method: str | None = None) -> int:
        """How many scripted faults of ``path`` are still unused."""
        return len(self._scripts.get((method.upper() if method else "*", path), ()))

    def _next_fault(self, method: str, path: str) -> Fault:
        for key in ((method, path), ("*", path)):
            queue = self._scripts.get(key)
            if queue:
                return queue.popleft()
        return self._defaults.get(path, self.default)

    # --- what arrived ------------------------------------------------------------------------

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def base_url(self) -> str:
        return self.url()

    def requests_to(self, path: str, *, method: str | None = None) -> list[Recorded]:
        """The recorded requests to ``path`` (and ``method``), in arrival order."""
        return [
            request
            for request in self.requests
            if request.path == path and (method is None or request.method == method.upper())
        ]

    @property
    def open_connections(self) -> int:
        """Client connections the server holds open now."""
        if self._runner is None or self._runner.server is None:
            return 0
        return len(self._runner.server.connections)

    async def wait_for_requests(
        self, count: int, *, path: str | None = None, timeout: float = 2.0
    ) -> None:
        """Wait until ``count`` requests (to ``path``, if given) have arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            arrived = len(self.requests_to(path)) if path is not None else self.received
            if arrived >= count:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{arrived} of {count} requests arrived within {timeout} s")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_for_connections(self, at_most: int, *, timeout: float = 2.0) -> int:
        """Wait (polling) until the server holds at most ``at_most`` open connections;
        returns how many it holds then, which is more when ``timeout`` ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Polled: aiohttp signals no event when a connection closes.
        while self.open_connections > at_most and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self.open_connections

    # --- serving -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        recorded = Recorded(
            index=self.received,
            time=time.time(),
            monotonic=time.monotonic(),
            method=request.method,
            path=request.path,
            query_string=request.raw_path.partition("?")[2],
            body=body,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            peer_port=peer[1] if peer else -1,
        )
        self.received += 1
        self.requests.append(recorded)
        self.peak_connections = max(self.peak_connections, self.open_connections)
        self._arrived.set()

        headers: dict[str, str] = {}
        limit = self.weight_limit
        if limit is not None:
            admitted, used, until_next = limit.charge(recorded)
            if limit.header:
                headers[limit.header] = str(used)
            if not admitted:
                recorded.status = 429
                headers["Retry-After"] = f"{until_next:.3f}"
                return web.json_response(
                    {"code": -1003, "msg": "Too many requests; current limit is exceeded."},
                    status=429,
                    headers=headers,
                )

        fault = self._next_fault(request.method, request.path)
        recorded.fault = fault
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            if transport is not None:
                transport.close()
            return web.Response()  # written nowhere: the connection is gone
        headers.update(fault.headers)
        if fault.body is not None:
            data = fault.body
        else:
            payload = fault.payload
            if payload is ECHO:
                payload = {
                    "ok": True,
                    "path": recorded.path,
                    "method": recorded.method,
                    "request": recorded.index,
                }
            elif callable(payload):
                payload = payload(recorded)
            data = json.dumps(payload).encode()
        recorded.status = fault.http_status
        if fault.truncate or fault.stall > 0:
            response = web.StreamResponse(status=fault.http_status, headers=headers)
            response.content_type = fault.content_type
            response.content_length = len(data) + 100 if fault.truncate else len(data)
            await response.prepare(request)
            await response.write(data[: len(data) // 2])
            if fault.truncate:
                if transport is not None:
                    transport.close()
                return response
            await asyncio.sleep(fault.stall)
            try:
                await response.write(data[len(data) // 2 :])
                await response.write_eof()
            except ConnectionError:
                pass  # the client gave up meanwhile
            return response
        return web.Response(
            status=fault.http_status,
            body=data,
            headers=headers,
            content_type=fault.content_type,
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # No access log: it would print each request line, signed query included.
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=self._shutdown_timeout
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FaultServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class LeakGuard:
    """What a test exposed: its API objects, its servers (whose requests carry the
    signatures) and the exceptions it caught; :meth:`check_logs` asserts that none of the
    credentials, and no signature the servers received, shows anywhere."""

    def __init__(self, *credentials: str) -> None:
        self.credentials = credentials
        self.apis: list[Any] = []
        self.servers: list[FaultServer] = []
        self.errors: list[BaseException] = []

    def caught(self, error: BaseException) -> BaseException:
        self.errors.append(error)
        return error

    def secrets(self) -> set[str]:
        found = set(self.credentials)
        for server in self.servers:
            for request in server.requests:
                signature = request.param("signature")
                if signature:
                    found.add(signature)
        return found

    def check(self, log_text: str) -> None:
        texts = [log_text, *(repr(api) for api in self.apis)]
        for error in self.errors:
            texts += exception_texts(error)
        # Also a signature of a request no longer kept by a server (FaultServer(keep=...)).
        assert not [text for text in texts if "signature=" in text]
        for secret in self.secrets():
            for text in texts:
                at = text.find(secret)
                assert at < 0, f"a secret shows in: {text[max(0, at - 200) : at + 60]!r}"

    @classmethod
    def watch(cls, caplog: pytest.LogCaptureFixture, *credentials: str) -> Iterator[LeakGuard]:
        """The body of an autouse fixture: logs captured at DEBUG during the test, and every
        phase's records checked when it ends (``caplog.text`` holds only the current one)."""
        caplog.set_level(logging.DEBUG)
        guard = cls(*credentials)
        yield guard
        guard.check_logs(
            [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
        )

    def check_logs(self, records: Iterable[logging.LogRecord]) -> None:
        """:meth:`check` over every log record of a test (all its phases)."""
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        self.check("\n".join(formatter.format(record) for record in records))

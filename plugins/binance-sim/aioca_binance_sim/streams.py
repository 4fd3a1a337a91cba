"""The simulator's WebSocket streams: market data from its engine, user data from its
account, and faults on demand.

Each market's hub is served on that market's port (``sim.ws_urls``), as Binance's stream
hosts do, with what the market's :class:`FeedSource` says: ``/stream`` (combined
streams: ``?streams=a/b`` and ``SUBSCRIBE`` / ``UNSUBSCRIBE`` / ``LIST_SUBSCRIPTIONS``
requests), ``/ws/<stream>`` (one raw stream), ``/ws/<listenKey>`` (the account's user data, also at
``/private/ws?listenKey=<listenKey>`` where the market has Binance's ``/private`` route, or
the key named as a stream, ``/stream?streams=<listenKey>`` or ``SUBSCRIBE [<listenKey>]``
as Binance's official futures SDK sends it, wrapped then as a combined stream's payload:
``ORDER_TRADE_UPDATE`` and ``ACCOUNT_UPDATE`` for orders placed through the REST API,
``listenKeyExpired`` when the key lapses). A publisher task wakes every
``publish_interval`` seconds (50 ms) and sends, for every subscribed topic, the payloads of
every moment of its period since the last pass: each simulated second, or every 100, 250
or 500 ms for the depth streams that say so (see :mod:`.feeds`); the same text to every
connection, as Binance does.

Faults (:class:`StreamFaults`, on ``sim.streams.faults`` and as methods): ``drop()``
aborts every connection, ``stall()`` stops sending and reading without closing,
``skip_update(symbol)`` leaves one depth diff out (the next one's ``pu`` does not match),
``lifetime`` ends each connection that many seconds after it opened,
``shutdown(grace)`` announces a server shutdown (a ``serverShutdown`` event on every
open connection, as Binance sends one, then closes them ``grace`` seconds later; new
connections are served as usual), and ``expire_listen_key()`` makes the listen key
lapse now. The faults' repeating knobs (``stall_after``, ``drop_every``, ``skip_every``,
see :mod:`.stream_faults`) are what ``aioca sim binance --ws-...`` sets.

Binance's limits (:class:`~.stream_limits.StreamLimits`, on ``hub.limits``): a connection
sending more incoming messages a second than its market allows is closed (code 1008),
and a connection attempt over the per-IP budget is refused with HTTP 429;
``limit_closes`` and ``refused`` count them.

A subscription (``?streams=``, ``/ws/<stream>``, ``SUBSCRIBE``) is checked by the stream
name's pattern, as Binance validates it: a stream of a symbol that has no such data (or is
not listed) is accepted and sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import WSMsgType, web

from .feeds import Feed
from .stream_faults import StreamFaults
from .stream_limits import StreamLimits

if TYPE_CHECKING:
    import re

__all__ = ["FeedSource", "StreamAccount", "StreamFaults", "StreamHub"]

logger = logging.getLogger(__name__)
_MAX_STREAMS = 1024
_CATCH_UP_MS = 600_000
"""How far back a pass catches up (a clock that jumped sends ten minutes, not days)."""


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


class StreamAccount(Protocol):
    """What the hub reads of an account: its listen key (``None`` for none) and when it
    lapses, and the ``listeners`` it calls with ``(order, execution, fill, now)``."""

    listen_key: str | None
    listen_key_expires: int
    listeners: list[Callable[..., None]]


class FeedSource(Protocol):
    """What a market's hub publishes: its streams' payloads from the market's data, and
    its user-data events from its account's orders."""

    @property
    def engine(self) -> StreamAccount:
        """The account whose order events the hub sends to its user-data connections."""
        ...

    def find(self, topic: str) -> tuple[Feed, re.Match[str]] | None:
        """The feed of ``topic`` and the match of its name, ``None`` for no stream."""
        ...

    def instrument(self, symbol: str) -> Any:
        """The listed contract or pair named ``symbol`` (upper case), or ``None``."""
        ...

    def build(self, feed: Feed, instrument: Any, match: re.Match[str], second: int) -> list[Any]:
        """The payloads of ``feed`` for ``instrument`` in simulated ``second``."""
        ...

    def order_events(self, order: Any, execution: str, fill: Any, now: int) -> list[Any]:
        """The user-data events of an order event (new, trade, cancel...)."""
        ...


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    transport: Any
    combined: bool
    topics: set[str] = field(default_factory=set)
    listen_key: str | None = None
    stalled: bool = False
    path: str = ""
    """The path it was opened at (``/stream``, ``/public/stream``...)."""
    key_as_stream: bool = False
    """Whether the listen key was given as a stream name (``SUBSCRIBE [<key>]`` or
    ``?streams=<key>``): then a combined connection wraps user events as
    ``{"stream": <key>, "data": ...}``, as any stream's."""


def _framed(connection: _Connection, event: dict[str, Any]) -> dict[str, Any]:
    """A user event as ``connection`` takes it: wrapped as a combined stream's payload when
    the listen key was named as a stream on a combined connection, else bare."""
    if connection.key_as_stream and connection.combined:
        return {"stream": connection.listen_key, "data": event}
    return event


class StreamHub:
    """Every WebSocket connection of one simulator, and the publisher feeding them."""

    def __init__(
        self,
        source: FeedSource,
        now_ms: Callable[[], int],
        *,
        publish_interval: float = 0.05,
        prefixes: tuple[str, ...] = ("",),
        limits: StreamLimits | None = None,
    ) -> None:
        self.source = source
        self.engine = engine = source.engine
        self.prefixes = prefixes
        """The paths the streams are served under (USDⓈ-M: ``/public``, ``/market`` and
        ``/private`` too, as Binance routes them)."""
        self.now_ms = now_ms
        self.publish_interval = publish_interval
        self.faults = StreamFaults()
        self.limits = limits if limits is not None else StreamLimits()
        self.limit_closes = 0
        """Connections closed for sending too many messages a second."""
        self.refused = 0
        """Connection attempts refused (HTTP 429) over the per-IP budget."""
        self._due: dict[str, float] = {}
        """When each repeating fault (``drop_every``, ``skip_every``) strikes next."""
        self.connections: list[_Connection] = []
        self.sent = 0
        self._published: dict[str, int] = {}
        """The last moment (ms) published of each topic."""
        self._found: dict[str, tuple[Feed, re.Match[str], int] | None] = {}
        """Each published topic's feed, match and period: found once, not every pass."""
        self._skips: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._timers: set[asyncio.Task[None]] = set()
        engine.listeners.append(self._on_account_event)

    # --- life cycle ------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        for prefix in self.prefixes:
            app.router.add_get(f"{prefix}/stream", self._combined)
            app.router.add_get(f"{prefix}/ws/{{name}}", self._raw)
            app.router.add_get(f"{prefix}/ws", self._bare)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._publish_forever())

    async def stop(self) -> None:
        for task in [self._task, *self._timers]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = None
        await self.drop()

    # --- faults ----------------------------------------------------------------------------

    async def drop(self) -> None:
        """Abort every connection: no close frame, as when the network breaks."""
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()
            with contextlib.suppress(ValueError):
                self.connections.remove(connection)

    def stall(self) -> None:
        """Stop sending to and reading from every connection, without closing them."""
        for connection in self.connections:
            connection.stalled = True
            if connection.transport is not None:
                connection.transport.pause_reading()

    async def shutdown(self, grace: float = 1.0) -> int:
        """Announce a server shutdown on every open connection (the bare event,
        ``{"e": "serverShutdown", "E": now}``) and close them ``grace`` seconds later;
        returns how many were told. Connections opened meanwhile are not affected (they
        reach a server that stays)."""
        told = [c for c in self.connections if not c.stalled and not c.ws.closed]
        text = _dumps({"e": "serverShutdown", "E": self.now_ms()})
        for connection in told:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.send_str(text)
            self._later(self._expire(connection, grace))
        return len(told)

    def skip_update(self, symbol: str) -> None:
        """Leave the next depth diff of ``symbol`` out of every depth stream."""
        self._skips.add(symbol.lower())

    def expire_listen_key(self) -> None:
        """Make the listen key lapse now (the next publish pass announces it)."""
        self.engine.listen_key_expires = self.now_ms()

    # --- connections ---------------------------------------------------------------------

    def stream(self, topic: str) -> tuple[Feed, re.Match[str]] | None:
        """The feed of ``topic`` a client may subscribe to, ``None`` for an unknown
        stream: one whose name no feed's pattern matches (a symbol is not checked)."""
        return self.source.find(topic)

    async def _combined(self, request: web.Request) -> web.StreamResponse:
        topics = [t for t in request.query.get("streams", "").split("/") if t]
        key = self._live_key(topics)
        if key is not None:  # the listen key named as a stream (Binance's futures form)
            topics.remove(key)
            return await self._serve(request, topics, combined=True, listen_key=key, named=True)
        return await self._serve(
            request, topics, combined=True, listen_key=self._query_listen_key(request)
        )

    def _live_key(self, names: list[Any]) -> str | None:
        """The account's live listen key if ``names`` has it, else ``None``."""
        engine = self.engine
        key = engine.listen_key
        if key is None or key not in names or self.now_ms() >= engine.listen_key_expires:
            return None
        return key

    async def _raw(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        engine = self.engine
        if name == engine.listen_key and self.now_ms() < engine.listen_key_expires:
            return await self._serve(request, [], combined=False, listen_key=name)
        if self.stream(name) is None:  # not a stream (ccxt opens /ws/0): subscribe later
            return await self._serve(request, [], combined=False)
        return await self._serve(request, [name], combined=False)

    async def _bare(self, request: web.Request) -> web.StreamResponse:
        listen_key = self._query_listen_key(request)
        return await self._serve(request, [], combined=False, listen_key=listen_key)

    def _query_listen_key(self, request: web.Request) -> str | None:
        """The live listen key given as ``?listenKey=`` on a ``/private`` path, the form
        of Binance's USDⓈ-M private route (``/private/ws?listenKey=<key>``, what ccxt Pro
        connects to); ``None`` for none, another path, or a key that is not (or no longer)
        the account's."""
        name = request.query.get("listenKey")
        engine = self.engine
        if (
            name is None
            or not request.path.startswith("/private/")
            or name != engine.listen_key
            or self.now_ms() >= engine.listen_key_expires
        ):
            return None
        return name

    async def _serve(
        self,
        request: web.Request,
        topics: list[str],
        *,
        combined: bool,
        listen_key: str | None = None,
        named: bool = False,
    ) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        if not self.limits.admit(request.remote or "", loop.time()):
            self.refused += 1
            msg = "Too many connection attempts; please retry later."
            return web.json_response({"code": -1003, "msg": msg}, status=429)
        unknown = [topic for topic in topics if self.stream(topic) is None]
        if unknown and listen_key is None:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        # autoping off: a client's PING and PONG frames count as incoming messages too
        ws = web.WebSocketResponse(autoping=False, heartbeat=None)
        await ws.prepare(request)
        connection = _Connection(
            ws,
            request.transport,
            combined,
            set(topics),
            listen_key,
            path=request.path,
            key_as_stream=named,
        )
        self.connections.append(connection)
        faults = self.faults
        if faults.lifetime is not None:
            self._later(self._expire(connection, faults.lifetime))
        if faults.stall_after is not None:
            self._later(self._stall_later(connection, faults.stall_after))
        meter = self.limits.meter()
        try:
            async for message in ws:
                if meter is not None and meter.over(loop.time()):
                    self.limit_closes += 1
                    await ws.close(code=1008, message=b"too many messages")
                    break
                if message.type == WSMsgType.PING:
                    await ws.pong(message.data)
                elif message.type == WSMsgType.TEXT:
                    reply = self._request(connection, message.data)
                    if reply is not None:
                        await ws.send_str(reply)
        finally:
            with contextlib.suppress(ValueError):
                self.connections.remove(connection)
        return ws

    def _later(self, work: Any) -> None:
        """Run the coroutine ``work`` as one of the hub's timers (cancelled on stop)."""
        timer = asyncio.get_running_loop().create_task(work)
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _stall_later(self, connection: _Connection, after: float) -> None:
        await asyncio.sleep(after)
        connection.stalled = True
        if connection.transport is not None:
            connection.transport.pause_reading()

    async def _expire(self, connection: _Connection, after: float) -> None:
        await asyncio.sleep(after)
        if connection in self.connections:
            await connection.ws.close(code=1000, message=b"connection lifetime reached")

    def _request(self, connection: _Connection, text: str) -> str | None:
        try:
            request = json.loads(text)
            method = request["method"]
            number = request["id"]
        except (ValueError, KeyError, TypeError):
            return _dumps({"error": {"code": 3, "msg": "Invalid JSON: expected an object"}})
        params = request.get("params") or []
        if method == "SUBSCRIBE":
            key = self._live_key(params)
            if key is not None:  # Binance's official futures SDK subscribes user data so
                connection.listen_key = key
                connection.key_as_stream = True
                params = [p for p in params if p != key]
            bad = [p for p in params if not isinstance(p, str) or self.stream(p) is None]
            if bad:
                msg = f"Invalid request: unknown stream {bad[0]}"
                return _dumps({"error": {"code": 2, "msg": msg}, "id": number})
            if len(connection.topics | set(params)) > _MAX_STREAMS:
                msg = f"Invalid request: more than {_MAX_STREAMS} streams"
                return _dumps({"error": {"code": 2, "msg": msg}, "id": number})
            connection.topics.update(params)
        elif method == "UNSUBSCRIBE":
            connection.topics.difference_update(params)
        elif method == "LIST_SUBSCRIPTIONS":
            return _dumps({"result": sorted(connection.topics), "id": number})
        else:
            return _dumps({"error": {"code": 2, "msg": f"Invalid request: {method}"}, "id": number})
        return _dumps({"result": None, "id": number})

    # --- publishing ------------------------------------------------------------------------

    async def _publish_forever(self) -> None:
        while True:
            try:
                await self._repeat_faults(asyncio.get_running_loop().time())
                await self.publish()
            except Exception:  # a bug must not end every stream
                logger.exception("the simulator's stream publisher failed")
            await asyncio.sleep(self.publish_interval)

    async def _repeat_faults(self, now: float) -> None:
        """Strike the repeating faults that are due at ``now`` (loop seconds)."""
        faults = self.faults
        for name, every in (("drop_every", faults.drop_every), ("skip_every", faults.skip_every)):
            if every is None:
                self._due.pop(name, None)
                continue
            due = self._due.setdefault(name, now + every)
            if now < due:
                continue
            self._due[name] = now + every
            if name == "drop_every":
                await self.drop()
            else:
                self._skip_every_symbol()

    def _skip_every_symbol(self) -> None:
        """Leave the next diff of every symbol a connection follows a diff stream of out."""
        for connection in self.connections:
            for topic in connection.topics:
                found = self.source.find(topic)
                symbol = found[1].groupdict().get("symbol") if found is not None else None
                if found is not None and found[0].sequenced and symbol is not None:
                    self._skips.add(symbol)

    async def publish(self) -> None:
        """Send what happened since the last pass (tests with a fake clock call it): for
        each topic, every moment of its period (a second, or a depth topic's ``@100ms``...)
        since the last pass, at most ten minutes back."""
        now = self.now_ms()
        await self._check_listen_key(now)
        topics = {t for c in self.connections if not c.stalled for t in c.topics}
        for topic in list(self._found):
            if topic not in topics:
                del self._found[topic]
                self._published.pop(topic, None)
        source = self.source
        for topic in sorted(topics):
            if topic in self._found:
                known = self._found[topic]
            else:
                known = self._found[topic] = self._feed_of(topic)
            if known is None:
                continue
            feed, match, period = known
            moment = now - now % period
            last = self._published.get(topic, moment - period)  # a new topic starts with now
            self._published[topic] = moment
            if last >= moment:
                continue
            symbol = match.groupdict().get("symbol")
            if symbol is None:  # an all-market stream ("!miniTicker@arr"): every symbol
                instrument = None
            else:
                instrument = source.instrument(symbol.upper())
                if instrument is None:
                    continue
            first = max(last + period, moment - _CATCH_UP_MS // period * period)
            for at in range(first, moment + 1, period):
                if feed.sequenced and symbol is not None and self._skip(symbol):
                    continue
                built = at if feed.period is not None else at // 1000
                for payload in source.build(feed, instrument, match, built):
                    await self._send_topic(topic, payload)

    def _feed_of(self, topic: str) -> tuple[Feed, re.Match[str], int] | None:
        """``topic``'s feed, the match of its name and its period (ms)."""
        found = self.source.find(topic)
        if found is None:
            return None
        feed, match = found
        return feed, match, 1000 if feed.period is None else feed.period(match)

    def _skip(self, symbol: str) -> bool:
        if symbol in self._skips:
            self._skips.discard(symbol)
            return True
        return False

    async def _send_topic(self, topic: str, payload: Any) -> None:
        combined = raw = None
        for connection in list(self.connections):
            if connection.stalled or topic not in connection.topics or connection.ws.closed:
                continue
            if connection.combined:
                combined = combined or _dumps({"stream": topic, "data": payload})
                text = combined
            else:
                raw = raw or _dumps(payload)
                text = raw
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.send_str(text)
                self.sent += 1

    # --- user data ------------------------------------------------------------------------

    def _user_connections(self) -> list[_Connection]:
        key = self.engine.listen_key
        return [
            c
            for c in self.connections
            if c.listen_key is not None and c.listen_key == key and not c.stalled
        ]

    async def _send_user(self, payload: dict[str, Any]) -> None:
        for connection in self._user_connections():
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.send_str(_dumps(_framed(connection, payload)))

    async def _check_listen_key(self, now: int) -> None:
        engine = self.engine
        expired = [
            c
            for c in self.connections
            if c.listen_key is not None
            and (c.listen_key != engine.listen_key or now >= engine.listen_key_expires)
        ]
        for connection in expired:
            event = {"e": "listenKeyExpired", "E": now, "listenKey": connection.listen_key}
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.send_str(_dumps(_framed(connection, event)))
                await connection.ws.close(code=1000, message=b"listenKey expired")
            with contextlib.suppress(ValueError):
                self.connections.remove(connection)
        if engine.listen_key is not None and now >= engine.listen_key_expires:
            engine.listen_key = None

    def _on_account_event(self, order: Any, execution: str, fill: Any, now: int) -> None:
        if not self._user_connections():
            return
        loop = asyncio.get_running_loop()
        for event in self.source.order_events(order, execution, fill, now):
            task = loop.create_task(self._send_user(event))
            self._timers.add(task)
            task.add_done_callback(self._timers.discard)

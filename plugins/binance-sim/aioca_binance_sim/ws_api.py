"""Spot's WebSocket API user-data subscription (``/ws-api/v3`` on Spot's port).

Binance retired Spot's listenKey: a Spot account's events now come over the WebSocket
API, after a signed ``userDataStream.subscribe.signature`` request on the connection
(params ``apiKey``, ``timestamp``, optional ``recvWindow``, and ``signature`` over the
other params sorted by name, ``key=value`` joined with ``&``, as a REST query). The
simulator checks it with its own :class:`~.auth.Credentials` (HMAC, Ed25519, RSA) and
answers Binance's codes on failure (-2015 unknown key, -1021 timestamp, -1022 signature,
-1102 missing parameter); a success answers ``{"id", "status": 200, "result":
{"subscriptionId": n}}``. Then every order event of the Spot account (orders placed over
REST) arrives as ``{"subscriptionId": n, "event": {...}}``: ``executionReport`` (a
pegged order's with its peg, as REST answers the order); one ``outboundAccountPosition``
per action that changed balances (Binance: "sent any time an account balance has changed
and contains the assets that were possibly changed by the event"), after that action's
``executionReport`` events, with the assets it changed (a new resting order's hold; a
market order's fills, however many; none for an action that changed nothing, and an
OTO's ``PENDING_NEW`` reports add none); an order list's ``listStatus`` after those
of each action on the list (:mod:`.spot.user_events`): a new list reports each of its
orders NEW first (an OTO's pending ones with status ``PENDING_NEW``), and an OTO's pending
orders are reported NEW again (status NEW) as their working order fills and they go to the
book; for a deposit or withdrawal (``sim.spot.deposit()``, ``sim.spot.withdraw()``)
``balanceUpdate`` then ``outboundAccountPosition`` with that asset; for an external lock
or unlock (``sim.spot.lock_externally()``) ``externalLockUpdate`` then
``outboundAccountPosition`` with that asset. Events leave in the order the account's
changes happened (one queue, one sender).

Limits: none. The spec documents the message and connection limits of the market-stream
hosts only (see :mod:`.stream_limits`), nothing for the WebSocket API, so its
connections are neither metered nor counted against the Spot hub's budget.

Faults: :meth:`SpotUserApi.terminate` ends every subscription with
``eventStreamTerminated`` (the connection stays open, as Binance does), :meth:`drop`
aborts the connections, :meth:`shutdown` sends ``serverShutdown`` and closes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .errors import SimError
from .spot.user_events import balance_update, external_lock_update, list_status

if TYPE_CHECKING:
    from .auth import Credentials
    from .spot.engine import SpotEngine
    from .spot.orders import Fill, Order, OrderList

__all__ = ["WS_API_PATH", "SpotUserApi"]

WS_API_PATH = "/ws-api/v3"
_SUBSCRIBE = "userDataStream.subscribe.signature"


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _text(value: Decimal) -> str:
    return f"{value:.8f}"


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    transport: Any
    subscriptions: set[int] = field(default_factory=set)
    next_id: int = 0


class SpotUserApi:
    """The WebSocket API connections of Spot's port and their user-data subscriptions."""

    def __init__(
        self, engine: SpotEngine, credentials: Credentials, now_ms: Callable[[], int]
    ) -> None:
        self.engine = engine
        self.credentials = credentials
        self.now_ms = now_ms
        self.connections: list[_Connection] = []
        self.sent = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._outbox: deque[dict[str, Any]] = deque()
        """Events not yet sent, in the order the account changed (one sender drains it)."""
        self._sender: asyncio.Task[None] | None = None
        engine.listeners.append(self._on_order_event)
        engine.list_listeners.append(self._on_list_event)
        engine.balance_listeners.append(self._on_balance_event)
        engine.lock_listeners.append(self._on_lock_event)
        engine.account_listeners.append(self._on_account_event)

    def routes(self, app: web.Application) -> None:
        app.router.add_get(WS_API_PATH, self._serve)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.drop()

    # --- faults ----------------------------------------------------------------------------

    async def drop(self) -> None:
        """Abort every connection (no close frame)."""
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()
            with contextlib.suppress(ValueError):
                self.connections.remove(connection)

    async def terminate(self) -> int:
        """End every subscription with ``eventStreamTerminated`` (after the events
        already queued); returns how many."""
        await self._sent_queued()
        ended = 0
        for connection in list(self.connections):
            for number in sorted(connection.subscriptions):
                event = {"e": "eventStreamTerminated", "E": self.now_ms()}
                await self._send(connection, {"subscriptionId": number, "event": event})
                ended += 1
            connection.subscriptions.clear()
        return ended

    async def shutdown(self) -> None:
        """Announce ``serverShutdown`` on every connection (after the events already
        queued), then close them."""
        await self._sent_queued()
        for connection in list(self.connections):
            event = {"e": "serverShutdown", "E": self.now_ms()}
            for number in sorted(connection.subscriptions) or [0]:
                await self._send(connection, {"subscriptionId": number, "event": event})
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.close(code=1000, message=b"server shutdown")

    # --- requests --------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        connection = _Connection(ws, request.transport)
        self.connections.append(connection)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await ws.send_str(_dumps(self._request(connection, message.data)))
        finally:
            with contextlib.suppress(ValueError):
                self.connections.remove(connection)
        return ws

    def _request(self, connection: _Connection, text: str) -> dict[str, Any]:
        try:
            request = json.loads(text)
            number = request["id"]
            method = request["method"]
            params = request.get("params") or {}
            if not isinstance(params, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _error(None, SimError(-1000, "Malformed request."))
        if method == "userDataStream.unsubscribe":
            wanted = params.get("subscriptionId")
            connection.subscriptions.difference_update(
                connection.subscriptions if wanted is None else {wanted}
            )
            return {"id": number, "status": 200, "result": {}}
        if method != _SUBSCRIBE:
            return _error(number, SimError(-1020, "This operation is not supported."))
        try:
            self._check(params)
        except SimError as error:
            return _error(number, error)
        subscription = connection.next_id
        connection.next_id += 1
        connection.subscriptions.add(subscription)
        return {"id": number, "status": 200, "result": {"subscriptionId": subscription}}

    def _check(self, params: dict[str, Any]) -> None:
        """Key, timestamp, then signature over the other params sorted by name."""
        signature = params.get("signature")
        rest = {key: value for key, value in params.items() if key != "signature"}
        key = rest.get("apiKey")
        if not key:
            raise SimError(
                -1102, "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed."
            )
        self.credentials.check_key(str(key))
        window = rest.get("recvWindow")
        timestamp = rest.get("timestamp")
        self.credentials.check_timestamp(
            None if timestamp is None else str(timestamp),
            None if window is None else str(window),
            self.now_ms(),
            fractional_window=True,
        )
        payload = "&".join(f"{name}={rest[name]}" for name in sorted(rest))
        self.credentials.check_signature(payload, None if signature is None else str(signature))

    # --- events ----------------------------------------------------------------------------

    def _on_order_event(self, order: Order, execution: str, fill: Fill | None, now: int) -> None:
        self._post(lambda: [execution_report(order, execution, fill, now)])

    def _on_account_event(self, assets: tuple[str, ...], now: int) -> None:
        self._post(lambda: [self._position(assets, now)])

    def _on_list_event(self, order_list: OrderList, now: int, status_type: str) -> None:
        self._post(lambda: [list_status(order_list, now, status_type)])

    def _on_balance_event(self, asset: str, delta: Decimal, now: int) -> None:
        self._post(lambda: [balance_update(asset, delta, now)])

    def _on_lock_event(self, asset: str, delta: Decimal, now: int) -> None:
        self._post(lambda: [external_lock_update(asset, delta, now)])

    def _post(self, events: Callable[[], list[dict[str, Any]]]) -> None:
        """Queue the events (built now, as the account is now) for every subscription,
        behind those queued before; nothing when no connection is subscribed."""
        if not any(c.subscriptions for c in self.connections):
            return
        self._outbox.extend(events())
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(self._sender)
            self._sender.add_done_callback(self._tasks.discard)

    async def _sent_queued(self) -> None:
        """Wait until the events queued so far have been sent."""
        sender = self._sender
        if sender is not None and not sender.done():
            await asyncio.wait([sender])

    async def _drain(self) -> None:
        while self._outbox:
            event = self._outbox.popleft()
            await self._publish([event])

    def _position(self, assets: tuple[str, ...], now: int) -> dict[str, Any]:
        engine = self.engine
        balances = [
            {
                "a": asset,
                "f": _text(engine.free.get(asset, Decimal(0))),
                "l": _text(engine.locked.get(asset, Decimal(0))),
            }
            for asset in assets
        ]
        return {"e": "outboundAccountPosition", "E": now, "u": now, "B": balances}

    async def _publish(self, events: list[dict[str, Any]]) -> None:
        for connection in list(self.connections):
            for number in sorted(connection.subscriptions):
                for event in events:
                    await self._send(connection, {"subscriptionId": number, "event": event})

    async def _send(self, connection: _Connection, frame: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await connection.ws.send_str(_dumps(frame))
            self.sent += 1


def _error(number: Any, error: SimError) -> dict[str, Any]:
    return {"id": number, "status": error.status, "error": error.body()}


def execution_report(order: Order, execution: str, fill: Fill | None, now: int) -> dict[str, Any]:
    """The ``executionReport`` of one order event, keys as Binance documents them.

    ``w`` ("Is the order on the book?") and ``W`` ("Working Time; This is only visible if
    the order has been placed on the book") follow what REST answers of the order at that
    moment (``isWorking``, ``workingTime``): an OTO's pending order (``PENDING_NEW``) or a
    stop not yet triggered is not on the book, so ``w`` is false and ``W`` absent.

    ``p`` ("Order price") is REST's ``price`` (what was sent: zero for a pegged order sent
    without one), and a pegged order carries Binance's fields ``gP`` (Pegged Price Type),
    ``gOT`` / ``gOV`` (Pegged Offset Type and Value, when an offset was sent) and ``gp``
    (Pegged Price, once priced), where REST's answer has ``pegPriceType``,
    ``pegOffsetType`` / ``pegOffsetValue`` and ``peggedPrice``.

    ``C`` ("Original client order ID") is, for an amendment (``x`` REPLACED), the client
    id the order had before it (:attr:`~.spot.orders.Order.amended_from`); for a
    cancellation by a cancel request (``x`` CANCELED), the canceled order's id ("This is
    the ID of the order being canceled"), ``c`` being then the cancel's own client id
    (:attr:`~.spot.orders.Order.cancel_id`), as REST answers ``origClientOrderId`` and
    ``clientOrderId``; else empty (an order that ends otherwise: expiry, self-trade
    prevention, a list's sibling ending)."""
    canceled_by = order.cancel_id if execution == "CANCELED" else ""
    if execution == "REPLACED":
        original = order.amended_from
    else:
        original = order.client_id if canceled_by else ""
    report: dict[str, Any] = {
        "e": "executionReport",
        "E": now,
        "s": order.spec.symbol,
        "c": canceled_by or order.client_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": _text(order.orig_qty),
        "p": _text(order.shown_price),
        "P": _text(order.stop_price),
        "F": _text(order.iceberg_qty),
        "g": order.list_id,
        "C": original,
        "x": execution,
        "X": order.status,
        "r": "NONE",
        "i": order.order_id,
        "l": _text(fill.qty if fill is not None else Decimal(0)),
        "z": _text(order.executed),
        "L": _text(fill.price if fill is not None else Decimal(0)),
        "n": _text(fill.commission) if fill is not None else "0",
        "N": fill.commission_asset if fill is not None else None,
        "T": now,
        "t": fill.trade_id if fill is not None else -1,
        "v": 0,
        "I": now,
        "w": order.is_open and order.is_working,
        "m": fill.maker if fill is not None else False,
        "M": False,
        "O": order.time,
        "Z": _text(order.cum_quote),
        "Y": _text(fill.price * fill.qty if fill is not None else Decimal(0)),
        "Q": _text(order.quote_order_qty),
        "W": order.working_time,
        "V": order.stp_mode,
    }
    if not order.is_working:
        del report["W"]
    return report | _peg_fields(order)


_PEG_KEYS = {
    "pegPriceType": "gP",
    "pegOffsetType": "gOT",
    "pegOffsetValue": "gOV",
    "peggedPrice": "gp",
}
"""REST's name of each peg field, and the ``executionReport`` key of the same value."""


def _peg_fields(order: Order) -> dict[str, Any]:
    """A pegged order's peg in ``executionReport`` keys: exactly the fields its REST
    answer has (:meth:`~.spot.orders.Order.peg_fields`), same values."""
    return {_PEG_KEYS[name]: value for name, value in order.peg_fields().items()}

"""User data: the futures listenKey lifecycle against the simulator, and Spot's signed
WebSocket API subscription against a loopback server that checks the signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest
from binance_ws import WsFaultServer, until
from sim_streams_helpers import fast_settings, next_event

from aioca.stream import Gap, GapReason, SubscriptionError
from aioca_binance import BinanceRestApi
from aioca_binance.coinm import CoinMNewOrder
from aioca_binance.streams import futures_user_stream, spot_user_stream
from aioca_binance.streams.coinm import AccountUpdate, OrderTradeUpdate
from aioca_binance.streams.spot import ExecutionReport
from aioca_binance_sim import BinanceSimulator


async def place_marketable_buy(api: BinanceRestApi) -> dict[str, Any]:
    order = CoinMNewOrder(api=api, symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity=2)
    return await order.run()  # type: ignore[no-any-return]


async def test_orders_placed_over_rest_arrive_as_typed_events() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        stream = futures_user_stream(
            api, "coinm", base_url=sim.ws_url, settings=fast_settings("coinm")
        )
        async with stream:
            await until(lambda: any(c.listen_key for c in sim.streams.connections))
            placed = await place_marketable_buy(api)
            new = await stream.next(5)
            trade = await stream.next(5)
            account = await stream.next(5)
    assert isinstance(new, OrderTradeUpdate)
    assert new.order is not None
    assert new.order.execution_type == "NEW"
    assert new.order.order_id == placed["orderId"]
    assert isinstance(trade, OrderTradeUpdate)
    assert trade.order is not None
    assert trade.order.execution_type == "TRADE"
    assert trade.order.order_status == "FILLED"
    assert trade.order.last_filled_quantity == Decimal(2)
    # the commission as the REST trade states it (eight decimals), not the engine's
    # unrounded figure
    (rest_trade,) = sim.engine.user_trades
    assert trade.order.commission == Decimal(rest_trade["commission"])
    assert -trade.order.commission.as_tuple().exponent <= 8  # type: ignore[operator]
    assert isinstance(account, AccountUpdate)
    assert account.update is not None
    assert account.update.positions is not None
    assert account.update.positions[0].position_amount == Decimal(2)


async def test_the_listen_key_is_kept_alive_well_inside_its_hour() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        stream = futures_user_stream(
            api,
            "coinm",
            base_url=sim.ws_url,
            keepalive_interval=0.1,
            settings=fast_settings("coinm"),
        )
        async with stream:
            await until(lambda: any(c.listen_key for c in sim.streams.connections))
            first_expiry = sim.engine.listen_key_expires
            await until(lambda: stream.protocol.keepalives >= 2)  # type: ignore[attr-defined]
            assert sim.engine.listen_key_expires > first_expiry
            assert stream.stats.gaps == 0
    with pytest.raises(ValueError, match="keepalive_interval"):
        futures_user_stream(api, "coinm", keepalive_interval=3600)


async def test_an_expired_listen_key_is_a_session_gap_and_a_new_key() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        stream = futures_user_stream(
            api, "coinm", base_url=sim.ws_url, settings=fast_settings("coinm")
        )
        async with stream:
            await until(lambda: any(c.listen_key for c in sim.streams.connections))
            old_key = sim.engine.listen_key
            sim.streams.expire_listen_key()
            gap = await next_event(stream, Gap)
            assert gap.reason is GapReason.SESSION
            assert "expired" in gap.detail
            await until(lambda: any(c.listen_key for c in sim.streams.connections))
            assert sim.engine.listen_key not in (None, old_key)
            await place_marketable_buy(api)
            assert isinstance(await stream.next(5), OrderTradeUpdate)


async def test_a_failed_keepalive_recreates_the_key_with_a_gap() -> None:
    async with BinanceSimulator(seed=5) as sim, sim.api() as api:
        stream = futures_user_stream(
            api,
            "coinm",
            base_url=sim.ws_url,
            keepalive_interval=0.2,
            settings=fast_settings("coinm"),
        )
        async with stream:
            await until(lambda: any(c.listen_key for c in sim.streams.connections))
            sim.streams.publish_interval = 3600  # the server will not announce it
            await asyncio.sleep(0.06)
            old_key = sim.engine.listen_key
            sim.engine.listen_key = None  # the exchange forgot the key: keepalive gets -1125
            gap = await next_event(stream, Gap)
            assert gap.reason is GapReason.SESSION
            assert "keepalive failed" in gap.detail
            await until(lambda: sim.engine.listen_key not in (None, old_key))
            await until(lambda: any(c.listen_key for c in sim.streams.connections))


class WsApiDialect:
    """Binance's WebSocket API, as far as user data goes: checks the HMAC signature."""

    def __init__(self, api_key: str, secret: str) -> None:
        self.api_key = api_key
        self.secret = secret
        self.requests: list[dict[str, Any]] = []

    def initial_topics(self, connection: Any) -> list[str]:
        return []

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        request = json.loads(text)
        self.requests.append(request)
        params = dict(request["params"])
        signature = params.pop("signature")
        payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if params.get("apiKey") != self.api_key or signature != expected:
            error = {"code": -1022, "msg": "Signature for this request is not valid."}
            return [json.dumps({"id": request["id"], "status": 400, "error": error})]
        connection.topics.add("user")
        return [json.dumps({"id": request["id"], "status": 200, "result": {"subscriptionId": 0}})]


async def test_spot_user_data_subscribes_with_a_signed_request() -> None:
    dialect = WsApiDialect("key-1", "secret-1")
    async with WsFaultServer(dialect) as server:
        api = BinanceRestApi("key-1", "secret-1")
        stream = spot_user_stream(
            api, url=server.url + "/ws-api/v3", settings=fast_settings("spot")
        )
        async with stream:
            await server.wait_for_subscribers("user")
            request = dialect.requests[0]
            assert request["method"] == "userDataStream.subscribe.signature"
            assert set(request["params"]) == {"apiKey", "timestamp", "signature"}
            report = {"e": "executionReport", "E": 1, "s": "BTCUSDT", "c": "abc", "S": "BUY",
                      "x": "NEW", "X": "NEW", "i": 42, "p": "65000.00", "q": "0.5"}  # fmt: skip
            await server.publish("user", json.dumps({"subscriptionId": 0, "event": report}))
            event = await stream.next(5)
            assert isinstance(event, ExecutionReport)
            assert event.order_id == 42
            assert event.order_price == Decimal("65000.00")
            await server.publish(
                "user", json.dumps({"subscriptionId": 0, "event": {"e": "eventStreamTerminated"}})
            )
            gap = await next_event(stream, Gap)
            assert gap.reason is GapReason.SESSION
            await until(lambda: len(dialect.requests) == 2)  # subscribed again, signed afresh


async def test_a_bad_signature_is_refused_with_binance_s_words() -> None:
    dialect = WsApiDialect("key-1", "the-real-secret")
    async with WsFaultServer(dialect) as server:
        api = BinanceRestApi("key-1", "a-wrong-secret")
        stream = spot_user_stream(api, url=server.url, settings=fast_settings("spot"))
        async with stream:
            with pytest.raises(SubscriptionError, match="-1022"):
                await stream.next(5)


def test_spot_user_data_needs_credentials() -> None:
    with pytest.raises(ValueError, match="api_key"):
        spot_user_stream(BinanceRestApi())


class Ed25519WsApiDialect(WsApiDialect):
    def __init__(self, api_key: str, public_key: Any) -> None:
        super().__init__(api_key, "")
        self.public_key = public_key

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        import base64

        request = json.loads(text)
        self.requests.append(request)
        params = dict(request["params"])
        signature = base64.b64decode(params.pop("signature"))
        payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
        self.public_key.verify(signature, payload.encode())  # raises when it is wrong
        connection.topics.add("user")
        return [json.dumps({"id": request["id"], "status": 200, "result": {"subscriptionId": 3}})]


async def test_spot_user_data_signs_with_an_ed25519_key_too() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    dialect = Ed25519WsApiDialect("ed-key", key.public_key())
    async with WsFaultServer(dialect) as server:
        api = BinanceRestApi("ed-key", private_key=pem)
        async with spot_user_stream(api, url=server.url, settings=fast_settings("spot")) as stream:
            await server.wait_for_subscribers("user")
            assert stream.protocol.subscription == 3  # type: ignore[attr-defined]
            assert "ed-key" not in repr(stream.protocol)


async def test_a_refused_api_key_ends_the_stream_with_binance_s_error() -> None:
    from aioca.errors import AuthenticationError

    async with BinanceSimulator(seed=5) as sim:
        api = BinanceRestApi("not-the-key", sim.api_secret, urls={"coinm": sim.url})
        stream = futures_user_stream(
            api, "coinm", base_url=sim.ws_url, settings=fast_settings("coinm")
        )
        async with api, stream:
            with pytest.raises(AuthenticationError):
                await stream.next(5)


class NumberedWsApiDialect(WsApiDialect):
    """Every subscription gets a number of its own, as Binance's WebSocket API gives."""

    def __init__(self, api_key: str, secret: str) -> None:
        super().__init__(api_key, secret)
        self.numbers: dict[Any, int] = {}

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        replies = super().handle(server, connection, text)
        if "user" in connection.topics and connection not in self.numbers:
            self.numbers[connection] = len(self.numbers)
            reply = json.loads(replies[0])
            reply["result"]["subscriptionId"] = self.numbers[connection]
            return [json.dumps(reply)]
        return replies


async def test_a_server_shutdown_moves_spot_user_data_to_a_new_subscription_without_a_gap() -> None:
    # The successor's subscription has another number, so the two connections never send
    # the same text: the overlap is found on the events themselves.
    dialect = NumberedWsApiDialect("key-1", "secret-1")
    async with WsFaultServer(dialect) as server:
        api = BinanceRestApi("key-1", "secret-1")
        stream = spot_user_stream(
            api,
            url=server.url + "/ws-api/v3",
            settings=fast_settings("spot", overlap_timeout=3),
        )

        async def send(order_id: int, connections: list[Any]) -> None:
            report = {"e": "executionReport", "E": order_id, "s": "BTCUSDT", "i": order_id}
            for connection in connections:
                frame = {"subscriptionId": dialect.numbers[connection], "event": report}
                await server.publish("user", json.dumps(frame), to=[connection])

        async with stream:
            await server.wait_for_subscribers("user")
            [old] = server.subscribed("user")
            await send(1, [old])
            assert (await stream.next(5)).order_id == 1
            shutdown = {"event": {"e": "serverShutdown", "E": 1770123456789}}
            await server.publish("user", json.dumps(shutdown))
            await server.wait_for_subscribers("user", 2)
            successor = next(c for c in server.subscribed("user") if c is not old)
            await send(2, [old])
            await send(3, [old, successor])
            await send(4, [old, successor])
            await until(lambda: stream.stats.rotations == 1)
            await old.ws.close(code=1001, message=b"shutdown")
            await send(5, [successor])
            got = [await stream.next(5) for _ in range(4)]
            assert [event.order_id for event in got] == [2, 3, 4, 5]
            with pytest.raises(TimeoutError):
                await stream.next(0.2)
            assert stream.stats.gaps == 0
            assert stream.stats.duplicates == 2


def test_user_data_is_typed_or_json_not_structs() -> None:
    api = BinanceRestApi("key-1", "secret-1")
    with pytest.raises(ValueError, match="typed='struct' is for market streams"):
        spot_user_stream(api, typed="struct")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="typed='struct' is for market streams"):
        futures_user_stream(api, "coinm", typed="struct")  # type: ignore[arg-type]

"""OKX's answers when a stream has several connections, or renews one: an error that
names no request never fails a request (it cannot be told which connection's it is), and
a request is awaited for as long as the core waits for it, however many requests of its
call go first. Against the loopback server of the core's stream tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from okx_ws_helpers import FAST, OkxDialect, push, ws

from aioca.stream import ExchangeNotice, Gap, Reply, StreamEvent
from aioca_okx.streams import OkxPublicProtocol, OkxStream, okx_settings, public_stream, replies

A, B = "tickers:BTC-USDT", "tickers:ETH-USDT"
NO_ID_ERROR = json.dumps({"event": "error", "code": "60012", "msg": "words", "connId": "c1"})


class Interjecting(OkxDialect):
    """Sends ``interject`` (once) before its answers to the next request; holds the
    answers to a request of a topic in ``hold`` (the test sends them: a slow OKX)."""

    def __init__(self) -> None:
        super().__init__()
        self.interject: list[str] = []
        self.hold: set[str] = set()
        self.held: list[tuple[Any, list[str]]] = []

    def handle(self, server: Any, connection: Any, text: str) -> list[str]:
        answers = super().handle(server, connection, text)
        if text == "ping":
            return answers
        if self.hold & {f"{a['channel']}:{a['instId']}" for a in json.loads(text)["args"]}:
            self.held.append((connection, answers))
            return []
        answers, self.interject = [*self.interject, *answers], []
        return answers


async def test_an_error_without_an_id_while_a_connection_is_renewed_never_ends_the_stream() -> None:
    dialect = Interjecting()
    async with (
        ws.WsFaultServer(dialect) as server,
        public_stream(A, url=server.url, settings=FAST) as stream,
    ):
        await server.wait_for_subscribers(A)
        dialect.interject = [NO_ID_ERROR]  # before the answer to the renewed subscribe
        await server.drop()
        await server.wait_for_connections(2)
        assert isinstance(await stream.next(5), Gap)  # the drop
        await server.wait_for_subscribers(A)
        await server.publish(A, push("tickers", "BTC-USDT", [{"instId": "BTC-USDT"}]))
        assert (await stream.next(5)).topic == A  # the stream carries on
        assert stream.stats.notices == 1


async def test_an_error_without_an_id_on_one_connection_fails_no_request_of_another() -> None:
    dialect = Interjecting()
    events: list[StreamEvent] = []
    settings = okx_settings(max_topics_per_connection=1, connect_timeout=3.0)
    async with (
        ws.WsFaultServer(dialect) as server,
        public_stream(A, url=server.url, settings=settings) as stream,
    ):
        stream.add_listener(events.append)
        await server.wait_for_subscribers(A)
        [first] = server.connections
        dialect.hold.add(B)
        await stream.subscribe(B)  # a second connection, whose subscribe OKX answers late
        await ws.until(lambda: len(dialect.held) == 1)
        await server.publish(A, NO_ID_ERROR, to=[first])  # while B's request is awaited
        await ws.until(lambda: stream.stats.notices == 1)
        [(second, answers)] = dialect.held
        for answer in answers:
            await second.ws.send_str(answer)
        await server.publish(B, push("tickers", "ETH-USDT", [{"instId": "ETH-USDT"}]))
        assert (await stream.next(5)).topic == B
        assert stream.stats.connect_failures == 0
    [notice] = [event for event in events if isinstance(event, ExchangeNotice)]
    assert notice.url.startswith(server.url)
    assert notice.topics == (A,)


def test_a_request_is_awaited_while_the_requests_before_it_in_its_call_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A call's requests are made at once and sent one by one, each once the one before
    it is answered (within the reply timeout): the last of three is sent up to two
    timeouts later, and awaited one more."""
    now = [100.0]
    monkeypatch.setattr(replies, "_clock", lambda: now[0])
    protocol = OkxPublicProtocol(settings=okx_settings(topics_per_message=1, connect_timeout=1))
    first, second, third = protocol.subscribe(["tickers:A-B", "tickers:C-D", "tickers:E-F"])
    for request, topic, at in ((first, "A-B", 100.9), (second, "C-D", 101.8)):
        now[0] = at
        assert protocol.parse(accepted(request.request_id, topic)) == Reply(request.request_id)
    now[0] = 102.5  # the third was sent at 101.8, and is awaited until 102.8
    protocol.subscribe(["tickers:G-H"])  # another connection's request meanwhile
    assert protocol.parse(accepted(third.request_id, "E-F")) == Reply(third.request_id)


def test_a_request_is_awaited_for_the_reply_timeout_of_the_stream_it_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(replies, "_clock", lambda: now[0])
    protocol = OkxPublicProtocol()  # its own settings wait 10 s for a reply
    protocol.attach(OkxStream(protocol, settings=okx_settings(connect_timeout=30)))
    [request] = protocol.subscribe(["tickers:A-B"])
    now[0] += 29
    protocol.subscribe(["tickers:C-D"])
    assert protocol.parse(accepted(request.request_id, "A-B")) == Reply(request.request_id)


def accepted(number: Any, inst: str) -> str:
    arg = {"channel": "tickers", "instId": inst}
    return json.dumps({"id": number, "event": "subscribe", "arg": arg, "connId": "c1"})

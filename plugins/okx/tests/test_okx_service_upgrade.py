"""OKX's notice 64008 ("The connection will soon be closed for a service upgrade. Please
reconnect."): the stream moves to a new connection while the old one still delivers,
with nothing lost and nothing twice (the core's rotation). Other notices are told, not
acted on."""

from __future__ import annotations

import json

from okx_ws_helpers import FAST, OkxDialect, push, ws

from aioca.stream import Draining, Notice, Rotate, Rotated, StreamEvent
from aioca_okx.streams import okx_settings, public_stream
from aioca_okx.streams.replies import Answers

UPGRADE = {
    "event": "notice",
    "code": "64008",
    "msg": "The connection will soon be closed for a service upgrade. Please reconnect.",
    "connId": "a4d3ae55",
}
TOPIC = "tickers:BTC-USDT"


def ticker(last: int) -> str:
    return push("tickers", "BTC-USDT", [{"instId": "BTC-USDT", "last": str(last)}])


def test_the_service_upgrade_notice_is_a_rotation_and_another_notice_is_told() -> None:
    answers = Answers(reply_timeout=10)
    upgrade = answers.event(UPGRADE)
    assert type(upgrade) is Rotate  # not ==: named tuples of equal items are equal
    assert upgrade.detail == f"OKX notice [64008] {UPGRADE['msg']}"
    other = answers.event({**UPGRADE, "code": "12345", "msg": "something else"})
    assert type(other) is Notice
    assert other.detail == "OKX notice [12345] something else"


async def test_the_service_upgrade_moves_the_stream_to_a_new_connection_without_a_gap() -> None:
    events: list[StreamEvent] = []
    dialect = OkxDialect()
    settings = okx_settings(backoff=FAST.backoff, overlap_timeout=3.0)
    async with (
        ws.WsFaultServer(dialect) as server,
        public_stream(TOPIC, url=server.url, settings=settings) as stream,
    ):
        stream.add_listener(events.append)
        await server.wait_for_subscribers(TOPIC)
        [old] = server.subscribed(TOPIC)
        await server.publish(TOPIC, ticker(1))
        assert (await stream.next(5)).data[0].last == 1
        await server.publish(TOPIC, json.dumps(UPGRADE))
        await server.wait_for_subscribers(TOPIC, 2)  # the successor, at once
        await server.publish(TOPIC, ticker(2), to=[old])
        for last in (3, 4):  # on both connections
            await server.publish(TOPIC, ticker(last))
        await ws.until(lambda: stream.stats.rotations == 1)
        assert old.ws.closed  # the old connection is let go before OKX closes it
        await server.publish(TOPIC, ticker(5))
        got = [await stream.next(5) for _ in range(4)]
        assert [message.data[0].last for message in got] == [2, 3, 4, 5]
        assert stream.stats.gaps == 0
        assert stream.stats.notices == 0
    kinds = [type(event) for event in events if isinstance(event, (Draining, Rotated))]
    assert kinds == [Draining, Rotated]
    [draining] = [event for event in events if isinstance(event, Draining)]
    assert "64008" in draining.detail

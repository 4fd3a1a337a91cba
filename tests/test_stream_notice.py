"""``Notice``: what the exchange says that answers no awaited request is logged,
counted and passed to the listeners, never dropped, and the connection carries on.
Against the loopback server of the core's stream tests."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from aioca.stream import ExchangeNotice, Notice, Stream, StreamEvent

from .test_stream import Plain, publish, take
from .wsfaultserver import WsFaultServer, until


class Noticing(Plain):
    """``{"notice": words}`` is a :class:`Notice`."""

    def parse(self, text: str) -> Any:
        data = json.loads(text)
        if "notice" in data:
            return Notice(data["notice"])
        return super().parse(text)


async def test_a_notice_is_logged_counted_and_an_event_and_the_data_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[StreamEvent] = []
    caplog.set_level(logging.WARNING, logger="aioca")
    async with WsFaultServer() as server, Stream(Noticing(server.url), ["t1"]) as stream:
        stream.add_listener(events.append)
        await server.wait_for_subscribers("t1")
        await server.publish("t1", json.dumps({"notice": "rate limit [60014]"}))
        await publish(server, "t1", range(1, 3))
        assert await take(stream, 2) == [1, 2]  # no gap: the connection is untouched
        await until(lambda: stream.stats.notices == 1)
        assert stream.stats.gaps == 0
        assert stream.stats.connects == 1
    notices = [event for event in events if isinstance(event, ExchangeNotice)]
    assert notices == [ExchangeNotice(f"{server.url}/ws", ("t1",), "rate limit [60014]")]
    assert "rate limit [60014]" in caplog.text
    assert f"{server.url}/ws" in caplog.text

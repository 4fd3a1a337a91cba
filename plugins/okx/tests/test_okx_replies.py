"""OKX's answers to subscribe and unsubscribe requests: one event per channel, a request
settled once every channel is accepted or at OKX's first error, and nothing OKX refuses
left unsaid (an error without an id, or after its request was settled, is a notice)."""

from __future__ import annotations

import json
import logging

import pytest
from okx_ws_helpers import FAST, OkxDialect, push, requests_sent, ws

from aioca.stream import ExchangeNotice, Notice, Reply, StreamEvent, SubscriptionError
from aioca_okx.streams import public_stream, replies
from aioca_okx.streams.replies import Answers

NOPE = "tickers:NOPE-USDT"


def accepted(number: str, topic: str, op: str = "subscribe") -> dict[str, object]:
    channel, _, inst = topic.partition(":")
    return {"id": number, "event": op, "arg": {"channel": channel, "instId": inst}}


def error(number: str | None = None, code: str = "60018") -> dict[str, object]:
    event: dict[str, object] = {"event": "error", "code": code, "msg": "words", "connId": "c1"}
    if number is not None:
        event["id"] = number
    return event


async def test_a_channel_refused_after_one_accepted_fails_the_subscribe_naming_it() -> None:
    dialect = OkxDialect(answer_each=True)
    async with ws.WsFaultServer(dialect) as server:
        server.refuse.add(NOPE)
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=FAST) as stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            with pytest.raises(SubscriptionError) as caught:
                await stream.subscribe("tickers:ETH-USDT", NOPE, "trades:ETH-USDT")
            # one request of the three channels, answered accept, refuse, accept; then
            # what it may have left subscribed is taken back
            call = ["tickers:ETH-USDT", NOPE, "trades:ETH-USDT"]
            assert requests_sent(dialect)[-2:] == [("subscribe", call), ("unsubscribe", call)]
            assert NOPE not in stream.topics
            await server.publish(
                "tickers:BTC-USDT", push("tickers", "BTC-USDT", [{"instId": "BTC-USDT"}])
            )
            assert (await stream.next(5)).topic == "tickers:BTC-USDT"  # the stream goes on
    (problem,) = caught.value.problems
    assert "60018" in problem
    assert f"not accepted: {NOPE}, trades:ETH-USDT" in problem
    assert "accepted before the refusal: tickers:ETH-USDT" in problem


async def test_the_channels_accepted_in_a_refused_subscribe_are_unsubscribed() -> None:
    """OKX answers each channel of a request: of ``[ETH tickers, NOPE, ETH trades]`` it
    accepts both ETH channels and refuses NOPE. The call fails, the stream lists none of
    them, and the core takes them back on that connection: OKX serves them no more."""
    dialect = OkxDialect(answer_each=True)
    accepted_ones = ["tickers:ETH-USDT", "trades:ETH-USDT"]
    async with ws.WsFaultServer(dialect) as server:
        server.refuse.add(NOPE)
        async with public_stream("tickers:BTC-USDT", url=server.url, settings=FAST) as stream:
            await server.wait_for_subscribers("tickers:BTC-USDT")
            with pytest.raises(SubscriptionError):
                await stream.subscribe(accepted_ones[0], NOPE, accepted_ones[1])
            assert stream.topics == {"tickers:BTC-USDT"}
            await ws.until(lambda: not any(server.subscribed(t) for t in accepted_ones))
            (connection,) = server.connections
            assert connection.topics == {"tickers:BTC-USDT"}
            assert await server.publish(
                accepted_ones[0], push("tickers", "ETH-USDT", [{"instId": "ETH-USDT"}])
            ) == 0  # fmt: skip
            await server.publish(
                "tickers:BTC-USDT", push("tickers", "BTC-USDT", [{"instId": "BTC-USDT"}])
            )
            assert (await stream.next(5)).topic == "tickers:BTC-USDT"
            with pytest.raises(TimeoutError):
                await stream.next(0.2)
            assert stream.stats.received == 1


async def test_a_channel_refused_when_the_stream_opens_ends_it_with_the_refusal() -> None:
    async with ws.WsFaultServer(OkxDialect(answer_each=True)) as server:
        server.refuse.add(NOPE)
        stream = public_stream("tickers:BTC-USDT", NOPE, "trades:BTC-USDT", url=server.url,
                               settings=FAST)  # fmt: skip
        async with stream:
            with pytest.raises(SubscriptionError, match=f"not accepted: {NOPE}"):
                await stream.next(5)


async def test_an_error_without_an_id_is_a_notice_and_the_stream_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[StreamEvent] = []
    caplog.set_level(logging.WARNING, logger="aioca")
    async with (
        ws.WsFaultServer(OkxDialect()) as server,
        public_stream("tickers:BTC-USDT", url=server.url, settings=FAST) as stream,
    ):
        stream.add_listener(events.append)
        await server.wait_for_subscribers("tickers:BTC-USDT")
        await server.publish("tickers:BTC-USDT", json.dumps(error(code="60012")))
        await server.publish(
            "tickers:BTC-USDT", push("tickers", "BTC-USDT", [{"instId": "BTC-USDT"}])
        )
        assert (await stream.next(5)).topic == "tickers:BTC-USDT"
        assert stream.stats.notices == 1
        assert stream.stats.gaps == 0
    (notice,) = [event for event in events if isinstance(event, ExchangeNotice)]
    assert notice.topics == ("tickers:BTC-USDT",)
    assert "without a request id (it fails no request): [60012] words" in notice.detail
    assert "[60012] words" in caplog.text


def test_a_request_is_settled_only_once_every_channel_is_accepted() -> None:
    answers = Answers(reply_timeout=30)
    answers.expect("7", "subscribe", ["tickers:A", "trades:A", "books:A"])
    assert answers.event(accepted("7", "trades:A")) is None
    assert answers.event(accepted("7", "tickers:B")) is None  # not in the request
    assert answers.event(accepted("7", "books:A", op="unsubscribe")) is None  # not its op
    assert answers.event(accepted("7", "books:A")) is None
    assert answers.event(accepted("7", "tickers:A")) == Reply("7", None)
    assert answers.event(accepted("7", "tickers:A")) is None  # settled: nothing wrong


def test_the_first_error_settles_the_request_and_a_later_one_is_a_notice() -> None:
    answers = Answers(reply_timeout=30)
    answers.expect("8", "subscribe", ["tickers:A", "tickers:B"])
    assert answers.event(accepted("8", "tickers:A")) is None
    reply = answers.event(error("8"))
    assert isinstance(reply, Reply)
    assert reply.request_id == "8"
    assert reply.error == (
        "OKX refused subscribe request 8: [60018] words; not accepted: tickers:B; "
        "accepted before the refusal: tickers:A"
    )
    assert answers.event(accepted("8", "tickers:B")) is None
    late = answers.event(error("8"))
    assert isinstance(late, Notice)
    assert "request 8, settled or given up already: [60018] words" in late.detail


def test_an_error_without_an_id_fails_no_request_not_even_the_only_one_awaited() -> None:
    answers = Answers(reply_timeout=30)
    assert isinstance(answers.event(error()), Notice)  # none awaited
    answers.expect("9", "subscribe", ["tickers:A"])
    notice = answers.event(error(code="60014"))
    assert type(notice) is Notice  # not ==: a Rotate of the same words would be equal
    assert notice.detail == "OKX error without a request id (it fails no request): [60014] words"
    assert answers.event(accepted("9", "tickers:A")) == Reply("9", None)  # its own answer


def test_an_error_without_an_id_fails_none_of_several_awaited_requests() -> None:
    answers = Answers(reply_timeout=30)
    answers.expect("10", "subscribe", ["tickers:A"])
    answers.expect("11", "subscribe", ["tickers:B"])
    assert isinstance(answers.event(error()), Notice)
    assert answers.event(accepted("10", "tickers:A")) == Reply("10", None)
    assert answers.event(accepted("11", "tickers:B")) == Reply("11", None)


def test_requests_never_answered_are_forgotten_once_the_core_stopped_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(replies, "_clock", lambda: now[0])
    answers = Answers(reply_timeout=10)
    answers.expect("12", "subscribe", ["tickers:A"])  # its connection was lost
    answers.expect("13", "subscribe", ["tickers:B"], queued=1)  # sent after 12's answer
    now[0] += 20  # the core waited 10 s for 12, and never more for 13 than 20 s
    answers.expect("14", "subscribe", ["tickers:C"])
    assert len(answers) == 3  # no more than a timeout of margin is kept, but that much
    now[0] += 0.1
    answers.expect("15", "subscribe", ["tickers:D"])
    assert len(answers) == 3  # 12 is forgotten
    assert answers.event(accepted("12", "tickers:A")) is None
    now[0] += 10
    answers.expect("16", "subscribe", ["tickers:E"])
    assert len(answers) == 3  # and then 13
    assert answers.event(accepted("13", "tickers:B")) is None
    assert answers.event(accepted("14", "tickers:C")) == Reply("14", None)

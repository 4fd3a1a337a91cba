"""Binance market streams: the generated catalogs, and the protocol against loopback
servers speaking Binance's dialect (Spot and USDⓈ-M have no simulator yet)."""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any, Literal

import pytest
from binance_ws import BinanceDialect, WsFaultServer, combined, until
from pydantic import BaseModel, ValidationError
from sim_streams_helpers import fast_settings, ws_spec

from aioca.stream import Backoff, Gap, GapReason, Rotate, StreamSettings, SubscriptionError
from aioca_binance.streams import BinanceMarketProtocol, Message, market_settings, market_stream
from aioca_binance.streams.markets import catalog
from aioca_binance.streams.structs import StreamStruct, unknown_fields

SPEC = ws_spec()
MARKETS = ("spot", "usdm", "coinm")


def fast(market: str, **changes: Any) -> StreamSettings:
    """:func:`fast_settings` with this file's own reconnection backoff (50 ms at most, not
    ``QUICK``'s 20), kept from before the shared one: the call sites stay one line."""
    backoff = Backoff(initial=0.02, maximum=0.05, minimum=0.01)
    return fast_settings(market, backoff=backoff, **changes)


def _streams() -> list[tuple[str, dict[str, Any]]]:
    return [(market, stream) for market in MARKETS for stream in SPEC["markets"][market]["streams"]]


def _events() -> list[tuple[str, dict[str, Any]]]:
    return [
        (market, event)
        for market in MARKETS
        for event in SPEC["markets"][market]["user_data_events"]
    ]


@pytest.mark.parametrize(
    ("market", "stream"), _streams(), ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_every_stream_has_a_model_that_reads_its_documented_example(
    market: str, stream: dict[str, Any]
) -> None:
    protocol = BinanceMarketProtocol(market)
    spec = protocol.spec_of(stream["example_stream"])
    assert spec is not None, f"{stream['example_stream']} matches no pattern"
    assert spec.pattern == stream["stream"]
    example = stream["example_payload"]
    parsed = spec.parse(example)
    models = parsed if isinstance(parsed, list) else [parsed]
    items = example if isinstance(example, list) else [example]
    for model, item in zip(models, items, strict=True):
        # every field survives, under its wire name, known or not; a number Binance
        # leaves blank (COIN-M's funding rate of a delivery contract) reads as None
        dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
        fields = {field.alias: name for name, field in type(model).model_fields.items()}
        blank = {key for key, value in item.items() if value == "" and key not in dumped}
        assert set(dumped) == set(item) - blank
        for key in blank:
            assert "Decimal" in str(type(model).model_fields[fields[key]].annotation), key
            assert getattr(model, fields[key]) is None
        for name, field in type(model).model_fields.items():
            if field.annotation is not None and "Decimal" in str(field.annotation):
                value = getattr(model, name)
                assert value is None or isinstance(value, Decimal | list)


@pytest.mark.parametrize(
    ("market", "event"), _events(), ids=lambda v: v if isinstance(v, str) else v["event"]
)
def test_every_user_data_event_has_a_model_that_reads_its_documented_example(
    market: str, event: dict[str, Any]
) -> None:
    model_class = catalog(market).EVENTS[event["event"]]
    example = event["example_payload"]
    model = model_class.model_validate(example)
    dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert set(dumped) == set(example)


def test_models_have_snake_case_names_decimals_and_keep_unknown_fields() -> None:
    from aioca_binance.streams.spot import AggTrade

    trade = AggTrade.model_validate(
        {
            "e": "aggTrade",
            "E": 1,
            "s": "BNBBTC",
            "a": 12345,
            "p": "0.001",
            "q": "100",
            "f": 100,
            "l": 105,
            "T": 2,
            "m": True,
            "M": True,
            "zz": "new field",
        }
    )
    assert trade.symbol == "BNBBTC"
    assert trade.price == Decimal("0.001")
    assert trade.buyer_is_maker is True
    assert trade.model_extra == {"zz": "new field"}


def test_unknown_topics_are_refused_together_before_connecting() -> None:
    protocol = BinanceMarketProtocol("spot")
    with pytest.raises(SubscriptionError) as caught:
        protocol.check_topics(["btcusdt@aggTrade", "BTCUSDT@trade", "btcusdt@nothing"])
    assert caught.value.problems == (
        "'BTCUSDT@trade' is not a spot market stream (symbols are lower case)",
        "'btcusdt@nothing' is not a spot market stream",
    )


def test_usdm_routes_public_and_market_streams_to_their_paths() -> None:
    protocol = BinanceMarketProtocol("usdm")
    assert protocol.group_of("btcusdt@depth@100ms") == "public"
    assert protocol.group_of("btcusdt@bookTicker") == "public"
    assert protocol.group_of("btcusdt@aggTrade") == "market"
    assert protocol.url("public", ["btcusdt@depth@100ms"]) == (
        "wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms"
    )
    assert BinanceMarketProtocol("coinm").group_of("btcusd_perp@depth") == ""


def test_topics_that_do_not_fit_the_url_are_subscribed() -> None:
    protocol = BinanceMarketProtocol("spot")
    topics = [f"sym{i:04d}usdt@aggTrade" for i in range(300)]
    in_url = protocol.topics_in_url("", topics)
    assert 0 < len(in_url) < 300
    assert len(protocol.url("", topics)) < 2100
    requests = protocol.subscribe(topics[len(in_url) :])
    assert sum(len(r.payload["params"]) for r in requests) == 300 - len(in_url)
    assert all(len(r.payload["params"]) <= 200 for r in requests)


async def test_spot_stream_delivers_typed_messages_and_resubscribes_after_a_drop() -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        stream = market_stream(
            "spot", "btcusdt@aggTrade", base_url=server.url, settings=fast("spot")
        )
        async with stream:
            await server.wait_for_subscribers("btcusdt@aggTrade")
            assert server.connections[0].path == "/stream"
            await stream.subscribe("ethusdt@trade")
            await server.wait_for_subscribers("ethusdt@trade")
            trade = {"e": "aggTrade", "E": 1, "s": "BTCUSDT", "a": 7, "p": "65000.10", "q": "2"}
            await server.publish("btcusdt@aggTrade", combined("btcusdt@aggTrade", trade))
            message = await stream.next(5)
            assert isinstance(message, Message)
            assert message.stream == "btcusdt@aggTrade"
            assert message.data.price == Decimal("65000.10")
            await server.drop()
            gap = await stream.next(5)
            assert isinstance(gap, Gap)
            assert gap.reason is GapReason.DISCONNECTED
            assert gap.topics == ("btcusdt@aggTrade", "ethusdt@trade")
            await server.wait_for_subscribers("ethusdt@trade")
            await server.wait_for_subscribers("btcusdt@aggTrade")
            # both came back on one connection: one in the URL, one from the state
            assert sorted(server.connections[0].topics) == ["btcusdt@aggTrade", "ethusdt@trade"]


async def test_usdm_opens_one_connection_per_route() -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        stream = market_stream(
            "usdm",
            "btcusdt@depth@100ms",
            "btcusdt@aggTrade",
            base_url=server.url,
            settings=fast("usdm"),
        )
        async with stream:
            await server.wait_for_subscribers("btcusdt@depth@100ms")
            await server.wait_for_subscribers("btcusdt@aggTrade")
            paths = sorted(connection.path for connection in server.connections)
            assert paths == ["/market/stream", "/public/stream"]


async def test_streams_beyond_a_connection_are_split() -> None:
    topics = [f"s{i}usdt@trade" for i in range(5)]
    async with WsFaultServer(BinanceDialect()) as server:
        settings = fast("spot", max_topics_per_connection=2)
        async with market_stream("spot", *topics, base_url=server.url, settings=settings):
            await until(lambda: sum(len(c.topics) for c in server.connections) == 5)
            assert sorted(len(c.topics) for c in server.connections) == [1, 2, 2]


async def test_a_stream_binance_refuses_raises_its_message() -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        server.refuse.add("xyzusdt@trade")
        settings = fast("spot")
        async with market_stream(
            "spot", "btcusdt@trade", base_url=server.url, settings=settings
        ) as stream:
            await server.wait_for_subscribers("btcusdt@trade")
            with pytest.raises(SubscriptionError, match="unknown stream xyzusdt@trade"):
                await stream.subscribe("xyzusdt@trade")


async def test_untyped_streams_deliver_the_decoded_json() -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        protocol = BinanceMarketProtocol(
            "coinm", base_url=server.url, typed=False, settings=fast("coinm")
        )
        from aioca.stream import Stream

        async with Stream(protocol, ["btcusd_perp@markPrice@1s"]) as stream:
            await server.wait_for_subscribers("btcusd_perp@markPrice@1s")
            await server.publish(
                "btcusd_perp@markPrice@1s", combined("btcusd_perp@markPrice@1s", {"p": "1"})
            )
            message = await stream.next(5)
            assert isinstance(message, Message)
            assert message.data == {"p": "1"}


def test_settings_follow_the_documented_connection_rules() -> None:
    spot, futures = market_settings("spot"), market_settings("usdm")
    assert spot.max_lifetime == futures.max_lifetime == 24 * 3600
    assert spot.rotate_after is not None
    assert spot.rotate_after < 24 * 3600
    assert spot.max_topics_per_connection == 1024
    assert spot.messages_per_second is not None
    assert spot.messages_per_second < 5
    assert futures.messages_per_second is not None
    assert futures.messages_per_second < 10
    assert replace(spot, buffer_size=5).buffer_size == 5


async def test_a_payload_its_model_cannot_read_is_delivered_as_json(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        stream = market_stream(
            "spot", "btcusdt@aggTrade", base_url=server.url, settings=fast("spot")
        )
        async with stream:
            await server.wait_for_subscribers("btcusdt@aggTrade")
            odd = {"e": "aggTrade", "a": "not a number", "p": "1"}
            await server.publish("btcusdt@aggTrade", combined("btcusdt@aggTrade", odd))
            await server.publish("btcusdt@aggTrade", combined("btcusdt@aggTrade", {"a": 2}))
            first, second = await stream.next(5), await stream.next(5)
    assert first.data == odd  # not dropped, not a reason to reconnect
    assert second.data.aggregate_trade_id == 2
    assert stream.stats.gaps == 0
    assert "do not fit their model" in caplog.text


SHUTDOWN = {"e": "serverShutdown", "E": 1770123456789}


@pytest.mark.parametrize(
    "frame",
    [
        json.dumps(SHUTDOWN),  # bare, as on a raw stream
        json.dumps({"event": SHUTDOWN}),  # wrapped, as the WebSocket API sends events
        combined("btcusdt@aggTrade", SHUTDOWN),  # inside a combined stream's envelope
    ],
    ids=["bare", "event", "combined"],
)
def test_a_server_shutdown_is_a_rotation_request_never_data(frame: str) -> None:
    for typed in (True, False):
        parsed = BinanceMarketProtocol("spot", typed=typed).parse(frame)
        assert isinstance(parsed, Rotate)
        assert "server shutdown" in parsed.detail
        assert "1770123456789" in parsed.detail


async def test_a_server_shutdown_moves_the_stream_to_a_new_connection_without_a_gap() -> None:
    events: list[Any] = []
    async with WsFaultServer(BinanceDialect()) as server:
        settings = fast("spot", overlap_timeout=3.0)
        stream = market_stream("spot", "btcusdt@aggTrade", base_url=server.url, settings=settings)
        async with stream:
            stream.add_listener(events.append)
            topic = "btcusdt@aggTrade"
            await server.wait_for_subscribers(topic)
            [old] = server.subscribed(topic)

            def trade(number: int) -> str:
                return combined(topic, {"e": "aggTrade", "a": number, "p": f"{number}.5"})

            await server.publish(topic, trade(1))
            assert (await stream.next(5)).data.aggregate_trade_id == 1
            await server.publish(topic, combined(topic, SHUTDOWN))
            await server.wait_for_subscribers(topic, 2)  # the successor, at once
            await server.publish(topic, trade(2), to=[old])
            for number in (3, 4):  # both connections
                await server.publish(topic, trade(number))
            await until(lambda: stream.stats.rotations == 1)
            await old.ws.close(code=1001, message=b"server shutdown")
            await server.publish(topic, trade(5))
            got = [await stream.next(5) for _ in range(4)]
            assert [message.data.aggregate_trade_id for message in got] == [2, 3, 4, 5]
            assert got[-1].data.price == Decimal("5.5")
            assert stream.stats.gaps == 0
    assert [type(e).__name__ for e in events if type(e).__name__ in ("Draining", "Rotated")] == [
        "Draining",
        "Rotated",
    ]


# --- typed=True: models validated straight from the frame's text ------------------------


def _identical(old: Any, new: Any, where: str) -> None:
    """``new`` is ``old`` value for value: the same class, every field of the same value and
    type (nested models and lists of them alike), the same unknown fields kept, the same
    fields set (what ``model_dump(exclude_unset=True)`` reads)."""
    assert type(new) is type(old), where
    if isinstance(old, list):
        assert len(new) == len(old), where
        for index, (one, other) in enumerate(zip(old, new, strict=True)):
            _identical(one, other, f"{where}[{index}]")
    elif isinstance(old, BaseModel):
        assert new.model_fields_set == old.model_fields_set, where
        assert new.model_extra == old.model_extra, where
        for name in type(old).model_fields:
            _identical(getattr(old, name), getattr(new, name), f"{where}.{name}")
    else:
        assert (repr(new), new) == (repr(old), old), where


def _general_path(protocol: BinanceMarketProtocol, topic: str, payload: Any) -> Any:
    """The payload as the general path reads it: ``"data"`` first, so the frame's text
    does not begin with its stream's name and the decoded JSON is validated."""
    parsed = protocol.parse(json.dumps({"data": payload, "stream": topic}))
    assert isinstance(parsed, Message)
    assert parsed.stream == topic
    return parsed.data


@pytest.mark.parametrize(
    ("market", "stream"), _streams(), ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_every_documented_example_reads_to_the_same_model_from_the_frame_text(
    market: str, stream: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol = BinanceMarketProtocol(market)
    name, example = stream["example_stream"], stream["example_payload"]
    spec = protocol.spec_of(name)
    assert spec is not None
    expected = spec.parse(json.loads(json.dumps(example)))  # model_validate of the JSON
    _identical(expected, _general_path(protocol, name, example), name)
    with monkeypatch.context() as patched:  # the frame's text, never a decoded dict
        patched.setattr(spec, "parse", None)
        for _ in range(2):  # the stream found by its name, then by the last one's prefix
            parsed = protocol.parse(combined(name, example))
            assert isinstance(parsed, Message)
            assert parsed.stream == name
            _identical(expected, parsed.data, name)
    with_unknown = (
        [{**item, "zz": [1, "x"]} for item in example]
        if isinstance(example, list)
        else {**example, "zz": {"new": 1.5}}
    )
    fast = protocol.parse(combined(name, with_unknown))
    assert isinstance(fast, Message)
    _identical(spec.parse(with_unknown), fast.data, name)
    for model in fast.data if isinstance(fast.data, list) else [fast.data]:
        assert model.model_extra is not None
        assert "zz" in model.model_extra


def test_models_from_the_frame_text_convert_as_model_validate_does() -> None:
    protocol = BinanceMarketProtocol("coinm")
    topic = "btcusd_perp@aggTrade"
    payloads = [
        {"a": "12", "f": 13.0, "p": "0.10", "q": "1e-3", "m": "true", "T": None},
        {"a": 1, "m": 1, "E": "1700000000000", "s": "BTCUSD_PERP", "st": "0"},
        {"p": " 1.5 ", "q": "-0", "a": 12345678901234567890},
        {},
    ]
    for payload in payloads:
        parsed = protocol.parse(combined(topic, payload))
        assert isinstance(parsed, Message)
        _identical(protocol.spec_of(topic).parse(payload), parsed.data, topic)  # type: ignore[union-attr]
    # The one difference, of form only: a Decimal sent as a JSON number (Binance sends
    # strings) has the same value, written as pydantic-core's JSON parser gives it.
    numbers = {"p": 100.0, "q": 1e-3}
    parsed = protocol.parse(combined(topic, numbers))
    assert isinstance(parsed, Message)
    before = protocol.spec_of(topic).parse(json.loads(json.dumps(numbers)))  # type: ignore[union-attr]
    assert (parsed.data.price, parsed.data.quantity) == (before.price, before.quantity)
    assert hash(parsed.data.price) == hash(before.price)
    assert (str(parsed.data.price), str(before.price)) == ("100", "100.0")
    assert parsed.data == before


PERPETUAL = {"e": "markPriceUpdate", "s": "BTCUSDT", "p": "11794.15", "r": "0.00038167"}
DELIVERY = {"e": "markPriceUpdate", "s": "BTCUSDT_250328", "p": "11794.15", "r": "", "T": 0}
BLANKS = [
    # market, topic, payload, where the blank numbers are (attribute paths)
    ("usdm", "btcusdt@markPrice@1s", DELIVERY, ["funding_rate"]),
    ("usdm", "!markPrice@arr", [PERPETUAL, DELIVERY], ["[1].funding_rate"]),
    ("coinm", "btcusd_perp@aggTrade", {"a": 1, "p": "", "q": "", "T": 2}, ["price", "quantity"]),
    (
        "coinm",
        "btcusd_perp@kline_1m",
        {"s": "X", "k": {"t": 1, "o": "", "c": "2.5"}},
        ["kline.open_price"],
    ),
]


def _at(data: Any, path: str) -> Any:
    """The value at ``path`` (``"[1].funding_rate"``, ``"kline.open_price"``)."""
    for step in re.findall(r"\[(\d+)\]|\.?(\w+)", path):
        data = data[int(step[0])] if step[0] else getattr(data, step[1])
    return data


@pytest.mark.parametrize(
    ("market", "topic", "payload", "blanks"), BLANKS, ids=lambda v: str(v)[:30]
)
def test_a_number_sent_blank_reads_as_none_on_every_path(
    market: str,
    topic: str,
    payload: Any,
    blanks: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Binance sends ``""`` for a number that does not apply (the funding rate of a
    delivery contract): every ``Decimal`` field reads it as ``None``, and the frame's text
    (the fast path), the decoded JSON (the general path) and the structs agree, value for
    value, with the other numbers read as ever."""
    protocol = BinanceMarketProtocol(market)
    spec = protocol.spec_of(topic)
    assert spec is not None
    expected = spec.parse(json.loads(json.dumps(payload)))
    for path in blanks:
        assert _at(expected, path) is None, path
    items = expected if isinstance(expected, list) else [expected]
    assert all(isinstance(item, spec.model) for item in items)
    _identical(expected, _general_path(protocol, topic, payload), topic)
    with monkeypatch.context() as patched:  # the frame's text, never a decoded dict
        patched.setattr(spec, "parse", None)
        fast = protocol.parse(combined(topic, payload))
    assert isinstance(fast, Message)
    _identical(expected, fast.data, topic)
    structs = BinanceMarketProtocol(market, typed="struct")
    general = json.dumps({"data": payload, "stream": topic})  # no prefix: the general path
    for text in (combined(topic, payload), combined(topic, payload), general):
        parsed = structs.parse(text)
        assert isinstance(parsed, Message)
        got = parsed.data if isinstance(parsed.data, list) else [parsed.data]
        assert len(got) == len(items)
        for model, struct in zip(items, got, strict=True):
            assert isinstance(struct, StreamStruct)
            _same_values(model, struct, topic)
        for path in blanks:
            assert _at(parsed.data, path) is None, path
    assert "do not fit their model" not in caplog.text


@pytest.mark.parametrize("typed", [True, "struct"])
@pytest.mark.parametrize("value", ["not a number", " ", "1.2.3", '""', [1]], ids=repr)
def test_a_malformed_number_that_is_not_blank_is_still_delivered_as_json(
    typed: bool | Literal["struct"], value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Only ``""`` is a blank number: any other value a ``Decimal`` field cannot read makes
    the payload JSON with a warning, as before, on every path of both typed forms."""
    protocol = BinanceMarketProtocol("usdm", typed=typed)
    topic = "!markPrice@arr"
    payload = [PERPETUAL, {**DELIVERY, "r": value}]
    for text in (combined(topic, payload), json.dumps({"data": payload, "stream": topic})):
        assert protocol.parse(text) == Message(topic, payload)
    assert caplog.text.count("do not fit their model") == 1  # warned once per stream
    with pytest.raises(ValidationError) as refused:
        protocol.spec_of(topic).parse(payload)  # type: ignore[union-attr]
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [(("r",), "decimal_parsing")]


def test_a_frame_text_its_model_cannot_read_is_delivered_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the fast path cannot read goes through the general path, which gives what
    every frame got before it: the JSON with one warning per stream, a reply, a rotation,
    or the same error for text that is not JSON."""
    protocol = BinanceMarketProtocol("spot")
    topic = "btcusdt@aggTrade"
    good = {"e": "aggTrade", "a": 1, "p": "65000.10"}
    odd = {"e": "aggTrade", "a": "not a number", "p": "1"}
    first = protocol.parse(combined(topic, good))
    assert isinstance(first, Message)
    assert first.data.price == Decimal("65000.10")
    for payload in (odd, None, [good], "text", 5):
        parsed = protocol.parse(combined(topic, payload))
        assert parsed == Message(topic, payload)  # the JSON, not dropped
        assert caplog.text.count("do not fit their model") == 1  # warned once per stream
    again = protocol.parse(combined(topic, {**good, "a": 2}))
    assert isinstance(again, Message)
    assert again.data.aggregate_trade_id == 2
    assert isinstance(protocol.parse(combined(topic, SHUTDOWN)), Rotate)
    reply = protocol.parse('{"result":null,"id":7}')
    assert (reply.request_id, reply.error) == (7, None)  # type: ignore[union-attr]
    unknown = protocol.parse(combined("btcusdt@nothing", good))
    assert unknown == Message("btcusdt@nothing", good)  # as before: no model, the JSON
    trailing = combined(topic, good) + " "  # valid JSON the prefix test still matches
    assert protocol.parse(trailing).data.price == Decimal("65000.10")  # type: ignore[union-attr]
    errors = []
    for parse in (protocol.parse, lambda text: BinanceMarketProtocol.parse(protocol, text)):
        with pytest.raises(ValueError) as caught:  # noqa: PT011 (compared below)
            parse(combined(topic, good)[:-3])
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]  # not JSON: the general path's error, as before


def test_a_subclass_that_parses_frames_its_own_way_keeps_its_parse() -> None:
    frames: list[str] = []

    class Counting(BinanceMarketProtocol):
        def parse(self, text: str) -> Any:
            frames.append(text)
            return super().parse(text)

    protocol = Counting("spot")
    frame = combined("btcusdt@aggTrade", {"a": 1, "p": "1.5"})
    parsed = protocol.parse(frame)
    assert frames == [frame]
    assert isinstance(parsed, Message)
    assert parsed.data.price == Decimal("1.5")


# --- typed="struct": msgspec structs derived from the models ----------------------------


def _same_values(model: Any, struct: Any, where: str) -> None:
    """Every field of ``model`` has the same value, of the same type, on ``struct``."""
    assert type(struct).__name__ == type(model).__name__
    for name in type(model).model_fields:
        expected, got = getattr(model, name), getattr(struct, name)
        if isinstance(expected, BaseModel):
            _same_values(expected, got, f"{where}.{name}")
        elif isinstance(expected, list) and expected and isinstance(expected[0], BaseModel):
            for one, other in zip(expected, got, strict=True):
                _same_values(one, other, f"{where}.{name}")
        else:
            assert (got, type(got)) == (expected, type(expected)), f"{where}.{name}"


@pytest.mark.parametrize(
    ("market", "stream"), _streams(), ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_every_struct_reads_the_documented_example_as_its_model_does(
    market: str, stream: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    protocol = BinanceMarketProtocol(market, typed="struct")
    name = stream["example_stream"]
    example = stream["example_payload"]
    payload = protocol.parse(combined(name, example))
    assert isinstance(payload, Message)  # the message itself: its stream is the topic
    assert payload.stream == name
    spec = protocol.spec_of(name)
    assert spec is not None
    models = spec.parse(example)
    structs = payload.data
    if not spec.is_array:
        models, structs = [models], [structs]
    assert len(structs) == len(models)
    for model, struct in zip(models, structs, strict=True):
        assert isinstance(struct, StreamStruct)
        _same_values(model, struct, name)
        back = struct.to_model()  # the pydantic model again, value for value
        assert type(back) is type(model)
        _same_values(model, back, name)
    assert "does not know" not in caplog.text  # every documented field is a struct's


def _kline_example(market: str) -> tuple[str, dict[str, Any]]:
    stream = next(s for s in SPEC["markets"][market]["streams"] if s["name"] == "kline")
    return stream["example_stream"], copy.deepcopy(stream["example_payload"])


def test_structs_name_the_fields_they_drop_once_per_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A field Binance adds, at the top or inside a nested payload, is dropped by the
    structs (msgspec keeps no extras): the first frame of the stream names it in a
    warning, the data still arrives as structs, and later frames add no warning."""
    topic, payload = _kline_example("spot")
    payload["nq"] = "1.5"
    payload["k"]["x2"] = True
    protocol = BinanceMarketProtocol("spot", typed="struct")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            parsed = protocol.parse(combined(topic, payload))
            assert isinstance(parsed, Message)
            assert isinstance(parsed.data, StreamStruct)
    warnings = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert (
        f"{topic} payloads carry fields typed='struct' does not know and drops: k.x2, nq"
        in (warnings[0])
    )
    # the models keep them: nothing to warn about
    caplog.clear()
    models = BinanceMarketProtocol("spot")
    parsed = models.parse(combined(topic, payload))
    assert isinstance(parsed, Message)
    assert parsed.data.model_extra == {"nq": "1.5"}
    assert "does not know" not in caplog.text


def test_structs_name_the_fields_they_drop_on_the_general_path_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A frame whose ``"stream"`` is not its first key (or not written compactly) skips
    the fast path: its payload is still converted to structs, which drop the same
    fields, so the same one warning must name them."""
    topic, payload = _kline_example("spot")
    payload["nq"] = "1.5"
    protocol = BinanceMarketProtocol("spot", typed="struct")
    with caplog.at_level(logging.WARNING):
        for text in (
            json.dumps({"data": payload, "stream": topic}),
            json.dumps({"stream": topic, "data": payload}),  # ", " and ": " separators
            json.dumps({"data": payload, "stream": topic}),
        ):
            parsed = protocol.parse(text)
            assert isinstance(parsed, Message)
            assert isinstance(parsed.data, StreamStruct)
    warnings = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "drops: nq" in warnings[0]


def test_the_fields_check_walks_every_item_of_an_array_stream() -> None:
    stream = next(s for s in SPEC["markets"]["usdm"]["streams"] if s["stream"].endswith("@arr"))
    example = stream["example_payload"]
    spec = BinanceMarketProtocol("usdm").spec_of(stream["example_stream"])
    assert spec is not None
    assert spec.is_array
    items = [dict(example[0]), dict(example[0], late="x")]
    assert unknown_fields(spec.model, items, is_array=True) == ["late"]
    assert unknown_fields(spec.model, items[:1], is_array=True) == []


def test_structs_convert_as_the_models_lax_mode_does() -> None:
    protocol = BinanceMarketProtocol("coinm", typed="struct")
    topic = "btcusd_perp@aggTrade"
    payload = {"a": "12", "f": 13.0, "p": 0.1, "q": "1e-3", "m": "true", "T": None}
    parsed = protocol.parse(combined(topic, payload))
    assert isinstance(parsed, Message)
    struct = parsed.data
    model = BinanceMarketProtocol("coinm").spec_of(topic).parse(payload)  # type: ignore[union-attr]
    _same_values(model, struct, topic)
    assert struct.aggregate_trade_id == 12
    assert struct.price == Decimal("0.1")
    assert struct.quantity == Decimal("0.001")
    # what msgspec refuses and the model's lax mode takes is read by the model: the same
    refused = {"a": True, "m": "yes", "p": "1.5", "q": ""}
    parsed = protocol.parse(combined(topic, refused))
    assert isinstance(parsed, Message)
    assert isinstance(parsed.data, StreamStruct)
    model = BinanceMarketProtocol("coinm").spec_of(topic).parse(refused)  # type: ignore[union-attr]
    _same_values(model, parsed.data, topic)
    assert (parsed.data.aggregate_trade_id, parsed.data.buyer_is_maker) == (1, True)


def test_a_struct_frame_in_another_key_order_or_spacing_still_decodes() -> None:
    protocol = BinanceMarketProtocol("spot", typed="struct")
    text = json.dumps({"data": {"e": "aggTrade", "p": "1.5", "a": 3}, "stream": "btcusdt@aggTrade"})
    parsed = protocol.parse(text)
    assert isinstance(parsed, Message)
    assert parsed.stream == "btcusdt@aggTrade"
    assert isinstance(parsed.data, StreamStruct)
    assert parsed.data.price == Decimal("1.5")
    assert isinstance(protocol.parse(combined("btcusdt@aggTrade", SHUTDOWN)), Rotate)
    with pytest.raises(ValueError, match="typed must be"):
        BinanceMarketProtocol("spot", typed="fast")  # type: ignore[arg-type]


def test_struct_frames_of_several_streams_interleaved_each_decode_as_their_own() -> None:
    """The parser finds the last frame's stream again by its prefix: a stream whose name
    begins another's, frames alternating, and a shutdown notice in between."""
    examples = {
        stream["example_stream"]: stream["example_payload"]
        for stream in SPEC["markets"]["usdm"]["streams"]
    }
    names = ["btcusdt@depth", "btcusdt@depth@500ms", "btcusdt@aggTrade"]
    protocol = BinanceMarketProtocol("usdm", typed="struct")
    expected = {name: protocol.spec_of(name) for name in names}
    example_of = {
        name: next(v for k, v in examples.items() if expected[name] is protocol.spec_of(k))
        for name in names
    }
    for name in [*names, *names[::-1], names[0], names[0], names[1], names[0]]:
        parsed = protocol.parse(combined(name, example_of[name]))
        assert isinstance(parsed, Message)
        assert parsed.stream == name
        model = expected[name].parse(example_of[name])  # type: ignore[union-attr]
        _same_values(model, parsed.data, name)
        assert isinstance(protocol.parse(combined(name, SHUTDOWN)), Rotate)


async def test_struct_streams_deliver_structs_and_json_for_a_payload_they_cannot_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with WsFaultServer(BinanceDialect()) as server:
        topic = "btcusdt@aggTrade"
        stream = market_stream(
            "spot", topic, base_url=server.url, typed="struct", settings=fast("spot")
        )
        async with stream:
            await server.wait_for_subscribers(topic)
            odd = {"e": "aggTrade", "a": "not a number", "p": "1"}
            await server.publish(topic, combined(topic, {"e": "aggTrade", "a": 1, "p": "65000.10"}))
            await server.publish(topic, combined(topic, odd))
            await server.publish(topic, combined(topic, {"a": 2, "zz": "new"}))
            first, second, third = [await stream.next(5) for _ in range(3)]
    assert first.data.price == Decimal("65000.10")
    assert type(first.data).__name__ == "AggTrade"
    assert second.data == odd  # not dropped, not a reason to reconnect
    assert third.data.aggregate_trade_id == 2  # an unknown field does not stop it
    assert third.data.to_model().aggregate_trade_id == 2
    assert stream.stats.gaps == 0
    assert "do not fit their model" in caplog.text

"""Binance's market streams on aioca's core: combined-stream URLs, SUBSCRIBE requests,
typed payloads.

By default every connection uses the combined form (``/stream``): each frame then names
its stream (``{"stream": "btcusdt@aggTrade", "data": {...}}``), so one connection carries
up to 1,024 streams and the core splits beyond that. The first streams go in the URL
(``/stream?streams=a/b``); streams added later, or that do not fit the URL, are
subscribed with ``{"method": "SUBSCRIBE", "params": [...], "id": n}``. USDⓈ-M serves book
ticker and depth streams under ``/public`` and the other market streams under
``/market`` (as Binance's SDK routes them): such topics never share a connection.

The raw form (``combined=False``) connects to ``/ws/<stream>``, whose frames are the bare
payloads: one stream per stream object, because a bare payload does not say which stream
it belongs to. Binance's ``/ws`` also takes ``SUBSCRIBE`` of more streams, but their
payloads would then have to be told apart by their content, and they cannot be: the
partial depths of one Spot symbol (``@depth5``, ``@depth10``...) carry neither an event
type nor a symbol, and ``@depth@100ms`` and ``@depth`` send events of the same kind at other
rates. A raw frame is read exactly as the combined frame of its stream would be, so both
forms deliver the same messages.

A ``serverShutdown`` event (Binance: "sent when the server is about to shutdown,
resulting in disconnection. Please establish a new connection as soon as possible") is
never delivered as data: it asks the core to rotate the connection at once
(:class:`aioca.stream.Rotate`).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

from pydantic import ValidationError

from aioca.stream import (
    Reply,
    Request,
    Restart,
    Rotate,
    StreamProtocol,
    StreamSettings,
    SubscriptionError,
)

from .markets import (
    MAINNET_STREAM_URLS,
    TESTNET_STREAM_URLS,
    catalog,
    check_market,
    connection_limiter,
    market_settings,
)
from .spec import StreamSpec

__all__ = [
    "SERVER_SHUTDOWN",
    "BinanceMarketProtocol",
    "Message",
    "combined_url",
    "raw_url",
    "shutdown_notice",
]

_MAX_URL_STREAMS = 2000
"""Characters of stream names put in a URL; the rest is subscribed after connecting."""
_ids = itertools.count(1)
logger = logging.getLogger("aioca.binance.stream")
_new_tuple = tuple.__new__
SERVER_SHUTDOWN = "serverShutdown"
"""The event type Binance sends on a connection whose server is about to shut down."""


class Message(NamedTuple):
    """One stream message: the ``stream`` it came from (``"btcusdt@aggTrade"``) and its
    payload ``data`` (a model of the market's catalog, a list of them for ``!...@arr``
    streams, or the decoded JSON with ``typed=False``)."""

    stream: str
    data: Any


def raw_url(base: str, stream: str) -> str:
    """The raw form: one stream, payloads not wrapped (``<base>/ws/<stream>``)."""
    return f"{base.rstrip('/')}/ws/{stream}"


def combined_url(base: str, streams: Sequence[str]) -> str:
    """The combined form: ``<base>/stream?streams=a/b``, payloads wrapped with their name.
    A ``+`` in a name (``btcusdt@kline_1m@+08:00``) is sent as ``%2B``: a query's ``+``
    reads as a space."""
    names = "/".join(quote(stream, safe="@!:") for stream in streams)
    return f"{base.rstrip('/')}/stream?streams={names}"


def shutdown_notice(data: Any) -> Rotate | None:
    """A :class:`~aioca.stream.Rotate` when ``data`` (a decoded frame, or the payload of a
    combined one) is a ``serverShutdown`` event: bare (``{"e": "serverShutdown", "E":
    ...}``) or wrapped as the WebSocket API wraps events (``{"event": {...}}``)."""
    if type(data) is not dict:
        return None
    event = data.get("event")
    if type(event) is dict:
        data = event
    if data.get("e") != SERVER_SHUTDOWN:
        return None
    return Rotate(f"Binance announced a server shutdown (event time {data.get('E')})")


def _default_loads() -> Callable[[str | bytes], Any]:
    try:
        import orjson
    except ImportError:
        return json.loads
    return orjson.loads


def _envelope_validator(spec: StreamSpec) -> Any:
    return spec.envelope_validator.validate_json


def _envelope_decoder(spec: StreamSpec) -> Any:
    return spec.envelope_decoder.decode


class BinanceMarketProtocol(StreamProtocol[Message]):
    """Market streams of ``market`` (``"spot"``, ``"usdm"`` or ``"coinm"``).

    ``base_url`` overrides the WebSocket base (a simulator: ``ws://127.0.0.1:PORT``);
    ``testnet=True`` picks the testnet's. ``typed`` chooses what ``Message.data`` is: the
    catalog's pydantic models (``True``, the default), msgspec structs of the same names,
    attributes and types, under half the models' cost per frame (``"struct"``, needs
    ``msgspec``: see :mod:`aioca_binance.streams.structs`), or the decoded JSON
    (``False``). ``routed`` (USDⓈ-M only, default on) uses the ``/public`` and
    ``/market`` paths. ``combined=False`` connects to the raw form, ``/ws/<stream>``, for
    a stream of one topic (see the module docstring).
    """

    message_type = Message  # parse returns the Message itself: its stream is the topic

    def __init__(
        self,
        market: str = "spot",
        *,
        base_url: str | None = None,
        testnet: bool = False,
        typed: bool | Literal["struct"] = True,
        routed: bool | None = None,
        settings: StreamSettings | None = None,
        combined: bool = True,
    ) -> None:
        self.market = check_market(market)
        urls = TESTNET_STREAM_URLS if testnet else MAINNET_STREAM_URLS
        self.base_url = (base_url or urls[market]).rstrip("/")
        if typed not in (True, False, "struct"):
            raise ValueError(f"typed must be True, False or 'struct', not {typed!r}")
        self.typed = typed
        self.routed = (market == "usdm") if routed is None else routed
        self.settings = settings or market_settings(market)
        self.connection_limiter = connection_limiter(self.base_url)
        self.specs: tuple[StreamSpec, ...] = catalog(market).STREAMS
        self._by_topic: dict[str, StreamSpec] = {}
        self._loads = _default_loads()
        self._warned: set[str] = set()
        self._fields_checked: set[str] = set()
        """The streams whose payload was checked for fields the structs drop (one frame
        each, whichever path it takes)."""
        # A combined frame's decoder by its stream's name, and the last stream decoded,
        # found again by one prefix test: most frames of a connection belong to the
        # stream before them.
        self._decoders: dict[str, Any] = {}
        self._last: tuple[str, str, Any] = ("\0", "", None)
        if typed is True:
            self._envelope_of: Callable[[StreamSpec], Any] = _envelope_validator
            if type(self).parse is BinanceMarketProtocol.parse:  # not a subclass's own
                self.parse = self._parse_models  # type: ignore[method-assign]
        elif typed == "struct":
            try:
                import msgspec
            except ImportError:
                raise ImportError(
                    "typed='struct' needs msgspec: pip install 'aioca-binance[fast]'"
                ) from None
            self._struct_error: type[Exception] = msgspec.ValidationError
            self._encode = msgspec.json.encode
            self._envelope_of = _envelope_decoder
            self.parse = self._parse_structs  # type: ignore[method-assign]
        self.combined = combined
        self._raw_topic = ""
        """The raw form's one stream (what its URL names), set when it connects."""
        self._stream: Any = None
        if not combined:
            # a raw frame is read as the combined frame of its stream, by what reads those
            self._parse_combined = self.parse
            self.parse = self._parse_raw  # type: ignore[method-assign]

    # --- topics -------------------------------------------------------------------------

    def spec_of(self, topic: str) -> StreamSpec | None:
        """The catalog entry ``topic`` matches, if any."""
        found = self._by_topic.get(topic)
        if found is None:
            found = next((spec for spec in self.specs if spec.matcher.fullmatch(topic)), None)
            if found is not None:
                self._by_topic[topic] = found
        return found

    def check_topics(self, topics: Sequence[str]) -> None:
        problems = []
        for topic in topics:
            if self.spec_of(topic) is not None:
                continue
            lower = topic.split("@", 1)[0]
            hint = " (symbols are lower case)" if lower != lower.lower() else ""
            problems.append(f"{topic!r} is not a {self.market} market stream{hint}")
        if not self.combined:
            current = self._stream.topics if self._stream is not None else ()
            wanted = sorted({*current, *topics})
            if len(wanted) > 1:
                problems.append(
                    f"the raw form carries one stream, not {len(wanted)} ({', '.join(wanted)}): "
                    "use the combined form (combined=True) for several"
                )
        if problems:
            raise SubscriptionError(problems)

    def attach(self, stream: Any) -> None:
        self._stream = stream  # the raw form checks new topics against the stream's

    def group_of(self, topic: str) -> str:
        if not self.routed:
            return ""
        spec = self.spec_of(topic)
        return spec.group if spec is not None else ""

    # --- connections ------------------------------------------------------------------

    def _base(self, group: str) -> str:
        return f"{self.base_url}/{group}" if group else self.base_url

    def _in_url(self, topics: Sequence[str]) -> list[str]:
        chosen, length = [], 0
        for topic in topics:
            length += len(topic) + 1
            if length > _MAX_URL_STREAMS:
                break
            chosen.append(topic)
        return chosen

    def url(self, group: str, topics: Sequence[str]) -> str:
        if not self.combined:
            (self._raw_topic,) = topics  # check_topics lets a raw stream have one
            return raw_url(self._base(group), self._raw_topic)
        return combined_url(self._base(group), self._in_url(topics))

    def topics_in_url(self, group: str, topics: Sequence[str]) -> list[str]:
        if not self.combined:
            return list(topics)
        return self._in_url(topics)

    def _requests(self, method: str, topics: Sequence[str]) -> list[Request]:
        size = self.settings.topics_per_message
        requests = []
        for start in range(0, len(topics), size):
            number = next(_ids)
            params = list(topics[start : start + size])
            requests.append(Request({"method": method, "params": params, "id": number}, number))
        return requests

    def subscribe(self, topics: Sequence[str]) -> list[Request]:
        if not self.combined:  # never asked: check_topics keeps a raw stream at one topic
            raise SubscriptionError([f"the raw form subscribes nothing more: {list(topics)}"])
        return self._requests("SUBSCRIBE", topics)

    def unsubscribe(self, topics: Sequence[str]) -> list[Request]:
        return self._requests("UNSUBSCRIBE", topics)

    # --- frames ---------------------------------------------------------------------------

    def parse(self, text: str) -> Message | Reply | Restart | Rotate | None:
        data = self._loads(text)
        if type(data) is dict:
            stream = data.get("stream")
            if stream is not None:
                payload = data["data"]
                if type(payload) is dict and payload.get("e") == SERVER_SHUTDOWN:
                    return shutdown_notice(payload)
                if self.typed is True:
                    spec = self._by_topic.get(stream) or self.spec_of(stream)
                    if spec is not None:
                        try:
                            payload = spec.parse(payload)
                        except ValidationError as exc:
                            # A payload the model cannot read (Binance changed a field):
                            # deliver the JSON rather than drop it or the connection.
                            self._untyped(stream, exc)
                # tuple.__new__ skips the named tuple's Python-level __new__ (per message)
                return _new_tuple(Message, (stream, payload))
            if "id" in data and ("result" in data or "error" in data):
                error = data.get("error")
                if error is not None:
                    error = f"Binance refused the request: {error.get('msg', error)}"
                return Reply(data["id"], error)
            return shutdown_notice(data)
        return None

    def _parse_raw(self, text: str) -> Message | Reply | Restart | Rotate | None:
        """``combined=False``: the bare payload of the connection's one stream, read as the
        combined frame of that stream (the name is a catalog topic: nothing to escape)."""
        return self._parse_combined('{"stream":"' + self._raw_topic + '","data":' + text + "}")

    def _decoder_of(self, text: str) -> tuple[str, Any]:
        """The stream a combined frame names first (Binance puts ``"stream"`` first) and
        its decoder, remembered as the last one; ``None`` when the frame is another kind
        (a reply, a shutdown notice, an unknown stream, keys in another order)."""
        if not text.startswith('{"stream":"') or SERVER_SHUTDOWN in text:
            return "", None
        stream = text[11 : text.find('"', 11)]
        decode = self._decoders.get(stream)
        if decode is None:
            spec = self.spec_of(stream)
            if spec is None:
                return stream, None
            decode = self._decoders[stream] = self._envelope_of(spec)
        # the prefix ends with the closing quote: a name that begins another's differs
        self._last = ('{"stream":"' + stream + '"', stream, decode)
        return stream, decode

    def _parse_models(self, text: str) -> Message | Reply | Restart | Rotate | None:
        """``typed=True``: a combined frame is validated by pydantic-core straight from its
        text into the stream's model (one pass, no Python dict in between). A frame it
        cannot read takes the general path, which validates the decoded JSON as before:
        the same model, or the JSON delivered with a warning."""
        prefix, _, validate = self._last
        if not text.startswith(prefix) or SERVER_SHUTDOWN in text:
            validate = self._decoder_of(text)[1]
        if validate is not None:
            try:
                envelope = validate(text)
            except ValidationError:
                return BinanceMarketProtocol.parse(self, text)
            return _new_tuple(Message, (envelope["stream"], envelope["data"]))
        return BinanceMarketProtocol.parse(self, text)

    def _parse_structs(self, text: str) -> Message | Reply | Restart | Rotate | None:
        """``typed="struct"``: a combined frame is decoded by msgspec straight into the
        stream's struct (Binance puts ``"stream"`` first, so its name is read before the
        JSON is parsed); other frames take the general path, their payload converted. A
        payload msgspec refuses is read by the model (blank numbers) before it is given up
        as JSON."""
        prefix, stream, decode = self._last
        if not text.startswith(prefix) or SERVER_SHUTDOWN in text:
            stream, decode = self._decoder_of(text)
            if decode is not None and stream not in self._fields_checked:
                self._check_first_frame(stream, text)
        if decode is not None:
            try:
                data = decode(text).data
            except self._struct_error as exc:
                return self._structs_of(BinanceMarketProtocol.parse(self, text), exc)
            return _new_tuple(Message, (stream, data))
        return self._structs_of(BinanceMarketProtocol.parse(self, text), None)

    def _structs_of(
        self, parsed: Message | Reply | Restart | Rotate | None, refused: Exception | None
    ) -> Message | Reply | Restart | Rotate | None:
        """``parsed`` (the general path's answer) with its payload as structs: decoded by
        msgspec unless it already ``refused`` it, else read by the model; the JSON, with a
        warning, when neither reads it."""
        if type(parsed) is not Message:
            return parsed
        stream = parsed.stream
        spec = self.spec_of(stream)
        if spec is None:
            return parsed
        if stream not in self._fields_checked:  # a frame off the fast path may come first
            self._warn_unknown_fields(stream, spec, parsed.data)
        if refused is None:
            try:
                return Message(stream, spec.payload_decoder.decode(self._encode(parsed.data)))
            except self._struct_error as exc:
                refused = exc
        try:
            return Message(stream, spec.parse_structs(parsed.data))
        except (ValidationError, self._struct_error):
            self._untyped(stream, refused)
            return parsed

    def _check_first_frame(self, stream: str, text: str) -> None:
        """:meth:`_warn_unknown_fields` of a combined frame on the fast path (one
        ``loads`` per stream, not per frame)."""
        spec = self.spec_of(stream)
        try:
            data = self._loads(text)["data"]
        except (ValueError, KeyError, TypeError):
            return  # not a frame the decoder reads either: the parse path reports it
        if spec is not None:
            self._warn_unknown_fields(stream, spec, data)

    def _warn_unknown_fields(self, stream: str, spec: StreamSpec, data: Any) -> None:
        """Structs drop the fields their model does not know: the first frame of each
        stream (``data``, its decoded payload: one ``loads`` per stream, not per frame),
        whether it takes the fast path or the general one, is checked, and a warning names
        what they drop, so that a field Binance adds is never lost without a word."""
        from .structs import unknown_fields

        self._fields_checked.add(stream)
        unknown = unknown_fields(spec.model, data, spec.is_array)
        if unknown:
            logger.warning(
                "%s payloads carry fields typed='struct' does not know and drops: %s "
                "(typed=True keeps them in model_extra)",
                stream,
                ", ".join(unknown),
            )

    def _untyped(self, stream: str, error: Exception) -> None:
        if stream not in self._warned:
            self._warned.add(stream)
            logger.warning(
                "%s payloads do not fit their model, delivered as JSON: %s", stream, error
            )

    def __repr__(self) -> str:
        return f"<BinanceMarketProtocol {self.market} {self.base_url}>"

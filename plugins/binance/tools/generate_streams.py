"""Generate the Binance stream catalogs (``aioca_binance/streams/{spot,usdm,coinm}.py``).

Reads ``binance-ws-streams.json`` (every market stream and user-data event of the three
markets, from Binance's official SDKs and docs) and writes, per market, one pydantic model
per stream payload and per user-data event, and a table of the streams (name pattern, the
regular expression a topic must match, payload model, connection group, update speed).
The table also gets the streams of ``streams_from_descriptions.json`` (next to this
script): those Binance names only in another stream's description (USDⓈ-M's
``<assetSymbol>@assetIndex``, in that of ``!assetIndex@arr``), which the spec file, a copy
of the shared spec, has no entry for.

Models have snake_case attributes named after the field's description, with the wire
name as alias (``price: DecimalField = Field(None, alias="p")``): numbers Binance sends
as strings become ``Decimal`` (decided from the documented example payload, else from the
description), and unknown fields are kept (``extra="allow"``), so a field Binance adds
tomorrow is not lost. Names the description does not give well are in ``NAMES`` below.

Every ``Decimal`` field is a :data:`aioca_binance.model_base.DecimalField`, as in the REST
models: ``Decimal | None`` to type checkers, and ``""`` reads as ``None``. One rule for
all of them rather than for the fields documented blank (COIN-M's funding rate ``r``):
Binance documents blanks for one market and sends them in another (USDⓈ-M's mark price
of a delivery contract), so users can rely on no number failing a message for being
blank; a number pays little for it (see ``DecimalField``).

    python plugins/binance/tools/generate_streams.py            # write the files
    python plugins/binance/tools/generate_streams.py --check    # exit 1 if they are stale

The output is formatted with ruff (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO / "plugins" / "binance" / "spec" / "binance-ws-streams.json"
DESCRIBED = Path(__file__).resolve().parent / "streams_from_descriptions.json"
OUTPUT = REPO / "plugins" / "binance" / "aioca_binance" / "streams"
REGENERATE = "plugins/binance/tools/generate_streams.py"

NAMES: Mapping[str, str] = {
    # normalized description -> attribute name, where the description is a sentence
    "is the buyer the market maker?": "buyer_is_maker",
    "is the buyer the maker?": "buyer_is_maker",
    "is this trade the maker side?": "is_maker",
    "is this kline closed?": "is_closed",
    "is the order on the book?": "is_working",
    "is this reduce only": "is_reduce_only",
    "is activated or not": "is_activated",
    "if close-all": "is_close_all",
    "if price protection is turned on": "price_protect",
    "if conditional order trigger is protected": "price_protect",
    "first trade(f)-1 price": "first_trade_before_window_price",
    "final update id in last stream": "previous_final_update_id",
    "final update id in the previous stream event": "previous_final_update_id",
    "bids to be updated": "bids",
    "asks to be updated": "asks",
    "bid updates": "bids",
    "ask updates": "asks",
    "next funding time for perpetual symbol": "next_funding_time",
    "funding rate for perpetual symbol": "funding_rate",
    "actual order type in matching engine": "actual_order_type",
    "avg fill price in matching engine": "actual_average_price",
    "executed quantity in matching engine": "actual_executed_quantity",
    "balance change except pnl and commission": "balance_change",
    "position(s) of margin call": "positions",
    "engine timestamp when reference price was valid": "reference_time",
    "auxiliary number for quick calculation": "auxiliary_number",
    "normal quantity without the trades involving rpi orders": "normal_quantity",
    "quantity with all the market trades": "quantity",
    "good till time for gtd time in force": "good_till_time",
    "tif gtd order auto cancel time": "good_till_time",
    "symbol associated with funding_fee event": "funding_fee_symbol",
    "transction time": "transaction_time",
    "transaction": "transaction_time",
    "last quote asset transacted quantity": "last_quote_quantity",
    "cumulative quote asset transacted quantity": "cumulative_quote_quantity",
    "an array of objects": "orders",
    "time of last account update": "last_update_time",
    "order book updateid": "update_id",
    "order book update id": "update_id",
    "updateid": "update_id",
    "order filled accumulated quantity": "cumulative_filled_quantity",
    "order last filled quantity": "last_filled_quantity",
}
EMPTY_NAMES: Mapping[str, str] = {
    # wire name -> attribute name, for fields documented without a description
    "k": "kline",
    "o": "order",
    "a": "update",
    "ac": "leverage_update",
    "ai": "multi_assets_update",
    "gu": "grid",
    "su": "strategy",
    "or": "rejection",
    "P": "positions",
    "listenKey": "listen_key",
    "ps": "pair",
}
EXAMPLE_ONLY = "In Binance's documented example, not in its field list"
"""The docstring of a field that a stream's documented example has and its field list does
not: the model knows it (so that no view of the payload drops it) under a name from
``EMPTY_NAMES``."""
DECIMAL_WORDS = (
    "price",
    "qty",
    "quantity",
    "volume",
    "rate",
    "balance",
    "amount",
    "commission",
    "notional",
    "pnl",
    "profit",
    "margin",
    "delta",
    "buffer",
    "fee",
    "wallet",
    "realized",
    "weight in",
    "floor",
)
STRIP_SUFFIXES = (
    " of this bracket",
    " for this bracket",
    " in the event",
    " in event",
    " of the trade",
)
MAX_WORDS = 6


def normalize(description: str) -> str:
    text = re.sub(r"\([^)]*\)", "", description).strip().lower()
    text = re.split(r"[.;,:](?:\s|$)|;|,|:", text)[0].strip()
    for suffix in STRIP_SUFFIXES:
        text = text.removesuffix(suffix)
    return text


def attribute_name(wire: str, description: str) -> str:
    if not description.strip():
        return EMPTY_NAMES.get(wire, wire.lower())
    key = normalize(description)
    lowered = description.strip().lower()
    for text in (key, lowered.rstrip("?. ")):
        if text in NAMES:
            return NAMES[text]
    if key in ("ignore", ""):
        return f"ignore_{wire.lower()}"
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", re.sub(r"\([^)]*\)", "", description))
    key = normalize(spaced)
    words = re.findall(r"[a-z0-9]+", key.replace("-", " "))
    name = "_".join(words[:MAX_WORDS]) or wire.lower()
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "f_" + name
    return name


def docstring(text: str, indent: str = "    ") -> str:
    """``text`` as a docstring that fits the line length (100)."""
    if len(indent) + len(text) + 6 <= 99:
        return f'{indent}"""{text}"""'
    lines = textwrap.wrap(text, 100 - len(indent) - 8, break_on_hyphens=False)
    body = "\n".join(indent + line for line in lines)
    return f'{indent}"""{body.lstrip()}\n{indent}"""'


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def is_number(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    return re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value) is not None


def is_decimal(name: str, description: str, example: Any, has_example: bool) -> bool:
    """Whether a field sent as a string is a number: its example is one, or, with no
    example or a blank one, its description names a price, quantity, rate...; never an
    id, symbol, type or the like. A field named by ``NAMES`` is judged by that name (COIN-M's
    ``r``, "funding rate for perpetual symbol, "" will be shown for delivery symbol", is a
    rate, not a symbol)."""
    words = name.replace("_", " ") if normalize(description) in NAMES else description.lower()
    if re.search(r"\bid\b|client|symbol|asset\b|type|status|side|mode|reason", words):
        return False
    if has_example and example is not None and example != "":
        return is_number(example)
    return any(word in words for word in DECIMAL_WORDS)


class Writer:
    """Collects the classes of one market module."""

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        base, number = name, 2
        while name in self.names:
            name = f"{base}{number}"
            number += 1
        self.names.add(name)
        return name

    def model(
        self,
        class_name: str,
        fields: list[dict[str, Any]],
        example: Any,
        doc: str,
        example_fields: bool = False,
    ) -> str:
        """A model of ``fields``; with ``example_fields``, also of the keys the documented
        ``example`` has and ``fields`` lacks (a stream's example is its payload; a user
        event's may be wrapped in the WebSocket API's envelope, so events do not)."""
        class_name = self.unique(class_name)
        if isinstance(example, list):
            example = example[0] if example and isinstance(example[0], dict) else {}
        if not isinstance(example, dict):
            example = {}
        fields = list(fields)
        wires = {field["name"] for field in fields}
        if "e" in example and "e" not in wires:
            fields.insert(0, {"name": "e", "type": "Optional[str]", "description": "Event type"})
        if example_fields:
            fields = with_example_fields(fields, example)
        lines: list[str] = []
        used: set[str] = set()
        for field in fields:
            wire = field["name"]
            description = (field.get("description") or "").strip()
            name = attribute_name(wire, description)
            if name in used or name in ("model_config", "model_fields"):
                name = f"{name}_{wire.lower()}" if f"{name}_{wire.lower()}" not in used else name
                while name in used:
                    name += "_"
            used.add(name)
            kind = field["type"]
            sample = example.get(wire)
            if field.get("fields"):
                nested_example = sample[0] if isinstance(sample, list) and sample else sample
                nested = self.model(
                    class_name + camel(name), field["fields"], nested_example or {}, description
                )
                annotation = f"list[{nested}]" if "List[" in kind else nested
            elif "List[List[str]" in kind:
                annotation = "list[list[Decimal]]"
            elif "List[" in kind:
                annotation = "list[Any]"
            elif "bool" in kind:
                annotation = "bool"
            elif "int" in kind and "float" in kind:
                annotation = "DecimalField"
            elif "int" in kind:
                annotation = "int"
            elif "str" in kind:
                decimal = is_decimal(name, description, sample, wire in example)
                annotation = "DecimalField" if decimal else "str"
            else:
                annotation = "Any"
            comment = (description or field.get("note", "")).replace('"', "'").replace("\\", "/")
            if annotation != "DecimalField":  # already ``Decimal | None``
                annotation += " | None"
            lines.append(f'    {name}: {annotation} = Field(None, alias="{wire}")')
            if comment:
                lines.append(docstring(comment))
        body = "\n".join(lines) if lines else "    pass"
        text = doc.replace('"', "'").strip() or class_name
        self.classes.append(f"class {class_name}(StreamModel):\n{docstring(text)}\n\n{body}\n")
        return class_name


def with_example_fields(
    fields: list[dict[str, Any]], example: dict[str, Any]
) -> list[dict[str, Any]]:
    """``fields`` and, after the field before it in the example, every key of ``example``
    they lack, typed by its sample value (Binance's USDⓈ-M ``contractInfo`` example sends
    ``ps``, which its field list leaves out)."""
    result = list(fields)
    previous = ""
    for wire, sample in example.items():
        if all(field["name"] != wire for field in result):
            if isinstance(sample, bool):
                kind = "Optional[bool]"
            elif isinstance(sample, int):
                kind = "Optional[int]"
            elif isinstance(sample, float):
                kind = "Optional[Union[int, float]]"
            elif isinstance(sample, str):
                kind = "Optional[str]"
            else:
                kind = "Optional[Any]"
            at = next((i + 1 for i, f in enumerate(result) if f["name"] == previous), len(result))
            result.insert(at, {"name": wire, "type": kind, "description": "", "note": EXAMPLE_ONLY})
        previous = wire
    return result


def pattern_regex(stream: dict[str, Any]) -> str:
    text = re.escape(stream["stream"])
    params = {p.get("placeholder"): p for p in stream["params"] if p.get("placeholder")}
    for placeholder, param in params.items():
        escaped = re.escape(placeholder)
        enum = param.get("enum")
        if param["name"] == "update_speed":
            choices = "|".join(re.escape(value) for value in enum or ["100ms"])
            text = text.replace("@" + escaped, f"(?:@(?:{choices}))?")
        elif enum:
            values = [
                value.lower() if param["name"] == "contract_type" else value for value in enum
            ]
            text = text.replace(escaped, "(?:" + "|".join(re.escape(v) for v in values) + ")")
        elif param["name"] == "pair":
            text = text.replace(escaped, "[a-z0-9]+")  # a pair has no '_': a symbol may
        else:
            text = text.replace(escaped, "[a-z0-9_]+")
    return "^" + text + "$"


def described_streams(
    market: str, spec: dict[str, Any], models: Mapping[str, str]
) -> list[tuple[str, str, str, bool, str, str]]:
    """The table rows of ``market``'s streams from :data:`DESCRIBED`: each with the model
    (``models``: stream pattern -> class) and connection group of the stream whose
    description names it. A description that no longer says what the entry quotes stops
    the generator: the overlay would have outlived its source."""
    entries = json.loads(DESCRIBED.read_text(encoding="utf-8")).get(market, [])
    streams = {stream["stream"]: stream for stream in spec["streams"]}
    rows = []
    for entry in entries:
        source = streams.get(entry["described_in"])
        if source is None or entry["quote"] not in source["description"]:
            raise SystemExit(
                f"{DESCRIBED.name}: {entry['stream']!r} is no longer described in "
                f"{entry['described_in']!r} of the {market} spec"
            )
        if entry["stream"] not in entry["quote"]:
            raise SystemExit(f"{DESCRIBED.name}: the quote does not name {entry['stream']!r}")
        regex = re.escape(entry["stream"]).replace(re.escape(entry["placeholder"]), "[a-z0-9]+")
        rows.append(
            (
                entry["stream"],
                "^" + regex + "$",
                models[source["stream"]],
                False,
                source.get("sdk_stream_url") or "",
                source.get("update_speed") or "",
            )
        )
    return rows


def model_name(sdk_name: str) -> str:
    name = sdk_name.removesuffix("Response")
    for word in ("Streams", "Stream"):
        name = name.replace(word, "")
    return name or sdk_name


def module_source(market: str, spec: dict[str, Any]) -> str:
    writer = Writer()
    streams = []
    for stream in spec["streams"]:
        name = model_name(stream["payload_model"])
        title = f"{stream['title']}: ``{stream['stream']}`` ({stream.get('update_speed') or 'n/a'})"
        cls = writer.model(
            name, stream["payload_fields"], stream.get("example_payload"), title, True
        )
        streams.append(
            (
                stream["stream"],
                pattern_regex(stream),
                cls,
                bool(stream["payload_model_is_array_element"]),
                stream.get("sdk_stream_url") or "",
                stream.get("update_speed") or "",
            )
        )
    streams += described_streams(market, spec, {row[0]: row[2] for row in streams})
    events = []
    for event in spec["user_data_events"]:
        title = f"User data event ``{event['event']}``"
        cls = writer.model(
            event["sdk_model"], event["payload_fields"], event.get("example_payload"), title
        )
        events.append((event["event"], cls))
    rows = "\n".join(
        f"    StreamSpec({pattern!r}, {regex!r}, {cls}, {array}, {group!r}, {speed!r}),"
        for pattern, regex, cls, array, group, speed in streams
    )
    event_rows = "\n".join(f"    {event!r}: {cls}," for event, cls in events)
    names = sorted([*writer.names, "EVENTS", "STREAMS"])
    exports = "\n".join(f'    "{name}",' for name in names)
    source = f'''# Generated by {REGENERATE} from spec/binance-ws-streams.json
# and tools/{DESCRIBED.name};
# do not edit by hand; regenerate with `python {REGENERATE}`.
"""Binance {market} WebSocket streams: one model per stream payload and user-data event,
and ``STREAMS``, the table of stream name patterns (see :mod:`aioca_binance.streams`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from ..model_base import DecimalField
from .spec import StreamModel, StreamSpec

__all__ = [
{exports}
]


{chr(10).join(writer.classes)}

STREAMS: tuple[StreamSpec, ...] = (
{rows}
)
"""Every market stream: name pattern, topic regex, payload model, whether the payload is
an array of it, connection group (USDⓈ-M's ``public``/``market`` routes) and update speed."""

EVENTS: dict[str, type[StreamModel]] = {{
{event_rows}
}}
"""User-data event type (the ``e`` field) to its model."""
'''
    return source


def formatted(source: str, path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    fixed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--fix", "--stdin-filename", str(path), "-"],
        input=result.stdout,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return fixed.stdout or result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are stale")
    args = parser.parse_args(argv)
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    stale = []
    for market in ("spot", "usdm", "coinm"):
        path = OUTPUT / f"{market}.py"
        text = formatted(module_source(market, spec["markets"][market]), path)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(REPO)))
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)}; run python {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

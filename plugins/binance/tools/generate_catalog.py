"""Generate the Binance task catalogs of the three markets from the spec.

Reads, per market, the REST endpoints of Binance's official SDK and docs
(``binance-coinm-rest.json`` with ``binance-coinm-rest-extra.json``,
``binance-usdm-rest.json``, ``binance-spot-rest.json``) and their documented example
answers (``binance-<market>-responses.json``), and writes readable Python source into
``aioca_binance/<market>/`` (``coinm``, ``usdm``, ``spot``), one task class per endpoint:

* the task modules (``market.py``, ``account.py``...): each class's ``endpoint``
  (method, path, security, weight, order counts, market), its ``Params`` model with the
  rules across parameters, its typed ``__init__`` (every parameter by its wire name, with
  the Python types a user writes), its result types, and a docstring that is
  ``aioca describe``'s text for it;
* ``enums.py``: a ``Literal`` alias and a ``StrEnum`` per distinct set of enum values;
* ``results.py``: a ``TypedDict`` per object of the documented answers (``task.result``);
* ``models.py``: a pydantic model per object (``task.parsed``) and ``RESPONSE_MODELS``;
* ``__init__.py``: the market's ``CATALOG``, classes imported lazily;

and ``aioca_binance/catalog.py``: every market's tasks in one ``CATALOG`` (what the plugin
registers). What the spec does not say lives in ``catalog_tables.py`` and
``response_shapes.py`` beside this script, each table with its source; a disagreement
between them and the spec is a ``SpecError``.

The output is committed and needs no formatter: this script writes it the way
``ruff format`` would. It imports ``aioca`` and ``aioca_binance`` (the docstrings are
``aioca describe``'s text of the classes it generates), so run it with the project's
environment:

    python plugins/binance/tools/generate_catalog.py            # write the files
    python plugins/binance/tools/generate_catalog.py --check    # exit 1 if they are stale
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import textwrap
import types
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_tables as tables
import response_shapes as shapes

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SPEC_DIR = REPO / "plugins" / "binance" / "spec"
DEFAULT_OUTPUT_DIR = REPO / "plugins" / "binance" / "aioca_binance"
REGENERATE = "plugins/binance/tools/generate_catalog.py"
LINE_LENGTH = 100  # pyproject.toml [tool.ruff] line-length
INDENT = "    "
ITEM = tables.ITEM

MARKETS = ("coinm", "usdm", "spot")
SPEC_FILES: Mapping[str, tuple[str, ...]] = {
    "coinm": ("binance-coinm-rest.json", "binance-coinm-rest-extra.json"),
    "usdm": ("binance-usdm-rest.json",),
    "spot": ("binance-spot-rest.json",),
}
RESPONSE_FILES = {market: f"binance-{market}-responses.json" for market in MARKETS}
LABELS = {"coinm": "COIN-M futures", "usdm": "USDⓈ-M futures", "spot": "Spot"}

MODULES: Mapping[str, Mapping[str, str]] = {
    "coinm": {
        "market": "COIN-M market data tasks: the public ``/dapi/v*`` endpoints and old trades.",
        "statistics": "COIN-M futures statistics tasks: the ``/futures/data/*`` endpoints.",
        "account": "COIN-M account and trade tasks (signed), with portfolio margin and algo "
        "orders.",
        "stream": "COIN-M user data stream tasks: start, keep alive and close the ``listenKey``.",
    },
    "usdm": {
        "market": "USDⓈ-M market data tasks: the public ``/fapi/v*`` endpoints and old trades.",
        "statistics": "USDⓈ-M futures statistics tasks: the ``/futures/data/*`` endpoints.",
        "account": "USDⓈ-M account and trade tasks (signed): orders, algo orders, positions, "
        "convert and portfolio margin.",
        "stream": "USDⓈ-M user data stream tasks: start, keep alive and close the ``listenKey``.",
    },
    "spot": {
        "market": "Spot market data tasks: ``/api/v3`` ping, time, exchange information and "
        "market data.",
        "trade": "Spot trade tasks (signed): orders, order lists, cancel-replace and SOR.",
        "account": "Spot account tasks (signed): the account, its orders, trades and limits.",
    },
}
"""Each market's generated task modules and their docstrings."""

METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
RULE_WORDS = re.compile(
    r"(?i)\b(either|neither|cannot be sent|can't be sent|cannot be used with|"
    r"cannot be used in combination|can't be passed together|must be sent|must be provided|"
    r"must be specified|mandatory|required if|is required|can only be used|"
    r"can only be sent together|must be used together|supported combinations|"
    r"supported parameter combinations|no combination|must have|can be used if|"
    r"rules are same with|accepted only when)"
)
"""Words of a note or description that states a rule across parameters."""


class SpecError(shapes.SpecError):
    """The spec and the tables disagree; the message says where."""


# --- the spec, read ------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    required: bool
    enum: tuple[str, ...] = ()
    items: str | None = None
    description: str = ""
    item_fields: tuple[Param, ...] = ()


@dataclass(frozen=True)
class Task:
    market: str
    key: str
    class_name: str
    module: str
    source: str
    method: str
    path: str
    security: str
    entry: Mapping[str, Any] = field(repr=False)
    params: tuple[Param, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.path, METHOD_ORDER[self.method])

    def rules(self, suffix: str = "") -> Mapping[str, Any]:
        merged: dict[str, Any] = dict(tables.RULES[self.market].get(self.key + suffix, {}))
        if self.market == "spot" and not suffix and self.key in tables.SPOT_ORDER_LISTS:
            for name, value in tables.SPOT_ORDER_LISTS[self.key].items():
                merged[name] = (*merged.get(name, ()), *value)
        return merged


def load_spec(spec_dir: Path, market: str) -> list[tuple[str, dict[str, Any]]]:
    """The endpoints of a market's spec files, each with the file it comes from."""
    entries: list[tuple[str, dict[str, Any]]] = []
    for filename in SPEC_FILES[market]:
        path = spec_dir / filename
        if not path.is_file():
            raise SpecError(f"{path} not found (use --spec-dir)")
        data = json.loads(path.read_text(encoding="utf-8"))
        entries += [(filename, entry) for entry in data]
    return entries


def load_responses(spec_dir: Path, market: str) -> dict[str, Any]:
    path = spec_dir / RESPONSE_FILES[market]
    if not path.is_file():
        raise SpecError(f"{path} not found (use --spec-dir)")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def pascal_case(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def module_for(market: str, entry: Mapping[str, Any]) -> str:
    path: str = entry["path"]
    if market == "spot":
        return {"general": "market", "market_data": "market"}.get(entry["group"], entry["group"])
    if path.startswith("/futures/data/"):
        return "statistics"
    if path.endswith("/listenKey"):
        return "stream"
    if entry["group"] == "market_data":
        return "market"
    return "account"


def read_param(raw: Mapping[str, Any]) -> Param:
    return Param(
        name=raw["name"],
        kind=raw["type"],
        required=bool(raw["required"]),
        enum=tuple(raw.get("enum") or ()),
        items=raw.get("items"),
        description=raw.get("description") or "",
        item_fields=tuple(
            read_param(item)
            for item in raw.get("item_fields") or ()
            if item["name"] not in tables.IGNORED_ITEM_FIELDS
        ),
    )


def build_tasks(market: str, entries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Task]:
    tasks: list[Task] = []
    names = tables.CLASS_NAMES[market]
    for source, entry in entries:
        key = f"{entry['method']} {entry['path']}"
        tasks.append(
            Task(
                market=market,
                key=key,
                class_name=names.get(key) or tables.PREFIXES[market] + pascal_case(entry["name"]),
                module=module_for(market, entry),
                source=source,
                method=entry["method"],
                path=entry["path"],
                security=entry["security"],
                entry=entry,
                params=tuple(read_param(raw) for raw in entry["params"]),
            )
        )
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise SpecError(f"{market}: an endpoint appears twice in the spec")
    class_names = [task.class_name for task in tasks]
    if len(set(class_names)) != len(class_names):
        doubles = sorted(n for n in class_names if class_names.count(n) > 1)
        raise SpecError(f"{market}: duplicate class names: {doubles}")
    for table_name, table in (
        ("CLASS_NAMES", names),
        ("RULES", tables.RULES[market]),
        ("NOT_ENFORCED", tables.NOT_ENFORCED[market]),
        ("ORDER_CHANGING", dict.fromkeys(tables.ORDER_CHANGING[market])),
        ("CLIENT_ID_FIELDS", tables.CLIENT_ID_FIELDS[market]),
        ("WEIGHT_RULES", tables.WEIGHT_RULES[market]),
        ("ENDPOINT_LIMITS", tables.ENDPOINT_LIMITS[market]),
        ("REMARKS", tables.REMARKS[market]),
        ("ZH_TITLES", tables.ZH_TITLES.get(market, {})),
    ):
        for stale in sorted({name.removesuffix(ITEM) for name in table} - set(keys)):
            raise SpecError(f"{market}: {table_name} has {stale}, which the spec does not")
    if market == "coinm":
        for stale in sorted(set(tables.COINM_TEXTS) - set(keys)):
            raise SpecError(f"coinm: COINM_TEXTS has {stale}, which the spec does not")
    tasks.sort(key=lambda task: task.sort_key)
    for task in tasks:
        check_texts(task)
        check_rule_notes(task)
    return tasks


# --- texts ---------------------------------------------------------------------------------

_DETAILS = (
    # (parameter, English label, Chinese label) of the parenthesized details of a name
    ("quantity", "quantity", "数量"),
    ("price", "price", "价格"),
    ("orderId", "id", "订单号"),
    ("origClientOrderId", "client id", "客户端订单号"),
    ("algoId", "algo id", "条件单号"),
    ("clientAlgoId", "client algo id", "客户端条件单号"),
    ("orderListId", "list id", "订单列表号"),
    ("listClientOrderId", "client list id", "客户端订单列表号"),
    ("fromId", "from id", "起始id"),
    ("downloadId", "download id", "下载ID"),
    ("limit", "limit", "limit"),
)


def texts_of(task: Task) -> tuple[str, str]:
    """A task's name in English and Chinese: COIN-M's written one by one, the others the
    page title with the parameters that tell one call from another."""
    if task.market == "coinm":
        if task.key not in tables.COINM_TEXTS:
            raise SpecError(f"no texts for {task.key}: add it to COINM_TEXTS")
        return tables.COINM_TEXTS[task.key]
    zh_titles = tables.ZH_TITLES[task.market]
    if task.key not in zh_titles:
        raise SpecError(f"{task.market}: no Chinese title for {task.key}: add it to ZH_TITLES")
    title = str(task.entry.get("title") or task.entry["name"]).strip()
    names = {param.name for param in task.params}
    en, zh = title, zh_titles[task.key]
    subject = next((name for name in ("symbol", "pair", "asset") if name in names), None)
    if subject is not None:
        en += f" of {{{subject}}}"
        zh += f":{{{subject}}}"
    for name in ("interval", "period", "side", "type"):
        param = next((p for p in task.params if p.name == name), None)
        if param is not None and (param.kind == "ENUM" or name in ("interval", "period")):
            en += f" {{{name}}}"
            zh += f" {{{name}}}"
    details = [(name, label, zh_label) for name, label, zh_label in _DETAILS if name in names]
    if details:
        en += " (" + ", ".join(f"{label} {{{name}}}" for name, label, _ in details) + ")"
        zh += "(" + ", ".join(f"{label} {{{name}}}" for name, _, label in details) + ")"
    if {"startTime", "endTime"} <= names:
        en += " <{startTime} to {endTime}>"
        zh += "<{startTime} to {endTime}>"
    return en, zh


def check_texts(task: Task) -> None:
    names = {param.name for param in task.params}
    for text in texts_of(task):
        for placeholder in re.findall(r"{([^{}]*)}", text):
            if placeholder not in names:
                raise SpecError(f"{task.key}: text placeholder {{{placeholder}}} is no parameter")
        if '"' in text or "\\" in text:
            raise SpecError(f"{task.key}: keep quotes and backslashes out of texts")


def rule_sentences(task: Task) -> list[str]:
    """The notes and parameter descriptions of an endpoint that state a rule across
    parameters (by their words: "either", "cannot be sent with", "mandatory"...)."""
    texts = [str(note) for note in task.entry.get("notes") or ()]
    texts += [param.description for param in task.params if param.description]
    return [text for text in texts if RULE_WORDS.search(text)]


def check_rule_notes(task: Task) -> None:
    """Every rule-like sentence of the spec is accounted for: implemented (the ``sources``
    of RULES) or deliberately not (NOT_ENFORCED, with a reason); and every quoted source
    is still in the spec."""
    market = task.market
    quoted = list(task.rules().get("sources", ()))
    quoted += list(tables.SPOT_ORDER_LIST_SOURCES.get(task.key, ())) if market == "spot" else []
    quoted += [words for words, _ in tables.NOT_ENFORCED[market].get(task.key, ())]
    sentences = rule_sentences(task)
    for sentence in sentences:
        if not any(words.lower() in sentence.lower() for words in quoted):
            raise SpecError(
                f"{market} {task.key}: a rule the tables do not account for: {sentence[:160]!r}"
                " (RULES with its source words, or NOT_ENFORCED with a reason)"
            )
    everything = " ".join(
        [str(note) for note in task.entry.get("notes") or ()]
        + [param.description for param in task.params]
    ).lower()
    for words in quoted:
        if words.lower() not in everything:
            raise SpecError(f"{market} {task.key}: the spec no longer says {words!r}")


# --- layout: what ruff format would write --------------------------------------------------


def width(text: str) -> int:
    """Columns a line takes, as ruff counts them (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def quote(text: str) -> str:
    return '"' + text + '"'


def bracketed(
    head: str, items: Sequence[str], close: str, indent: str, tail: str = ""
) -> list[str]:
    """``head`` + items + ``close`` on one line if it fits, else the items on one line of
    their own, else one item a line with a trailing comma (ruff's three choices)."""
    joined = ", ".join(items)
    multiline = any("\n" in item for item in items)
    if not multiline and width(indent + head + joined + close + tail) <= LINE_LENGTH:
        return [indent + head + joined + close + tail]
    inner = indent + INDENT
    if not multiline and width(inner + joined) <= LINE_LENGTH:
        return [indent + head, inner + joined, indent + close + tail]
    return exploded(head, items, close, indent, tail)


def exploded(head: str, items: Sequence[str], close: str, indent: str, tail: str = "") -> list[str]:
    """One item a line with a trailing comma (kept so by ruff: the magic trailing comma)."""
    inner = indent + INDENT
    lines = [indent + head]
    for item in items:
        lines += [inner + line for line in item.split("\n")]
        lines[-1] += ","
    return [*lines, indent + close + tail]


def tuple_text(values: Sequence[str]) -> str:
    """A tuple literal as ruff writes it (a one-item tuple keeps its comma)."""
    return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"


def py(value: Any) -> str:
    """A value as a one-line Python literal, as ruff writes it (double quotes)."""
    if isinstance(value, tuple):
        return tuple_text([py(item) for item in value])
    if value is None:
        return "None"
    if isinstance(value, str):
        return quote(value)
    return str(value)


def value_lines(value: Any, indent: str, prefix: str = "", suffix: str = "") -> list[str]:
    """``prefix`` + the literal of ``value`` + ``suffix`` as ruff lays it out: on one line
    if it fits, else one item a line (each laid out the same way) with a trailing comma
    (ruff splits a tuple literal that way, never onto one line of its own)."""
    one = indent + prefix + py(value) + suffix
    if width(one) <= LINE_LENGTH or not isinstance(value, tuple) or not value:
        return [one]
    inner = indent + INDENT
    lines = [indent + prefix + "("]
    for item in value:
        lines += value_lines(item, inner, "", ",")
    return [*lines, indent + ")" + suffix]


def split_text(text: str, room: int) -> list[str]:
    """``text`` in pieces no wider than ``room``, cut before a ``<time range>``, a
    ``(limit ...)`` or an id in parentheses when possible, else at spaces."""
    chunks = re.split(r"(?=<\{)|(?=\(limit )|(?=\(id )|(?=\(订单号)|(?= \()|(?=\()", text)
    words: list[str] = []
    for chunk in chunks:
        words += [chunk] if width(chunk) <= room else re.split(r"(?<= )", chunk)
    parts: list[str] = []
    current = ""
    for word in filter(None, words):
        if current and width(current + word) > room:
            parts.append(current)
            current = ""
        current += word
    return [*parts, current]


def string_argument(name: str, text: str, indent: str) -> str:
    """``name="text"``, or the text split over parenthesized lines when it is too long."""
    single = f"{name}={quote(text)}"
    if width(indent + single + ",") <= LINE_LENGTH:
        return single
    parts = split_text(text, LINE_LENGTH - width(indent + INDENT) - 2)
    body = "\n".join(INDENT + quote(part) for part in parts)
    return f"{name}=(\n{body}\n)"


def string_assignment(name: str, text: str, indent: str) -> list[str]:
    """``name = "text"``, in parentheses over several lines when it is too long."""
    single = f"{indent}{name} = {quote(text)}"
    if width(single) <= LINE_LENGTH or re.search(r"https?://\S+$", text):
        return [single]
    parts = split_text(text, LINE_LENGTH - width(indent + INDENT) - 2)
    return [f"{indent}{name} = (", *(indent + INDENT + quote(p) for p in parts), f"{indent})"]


def strings_tuple_lines(name: str, strings: Sequence[str], indent: str) -> list[str]:
    """``name = (strings...)``; a string too long for its line split into implicitly
    concatenated pieces, one a line."""
    single = value_lines(tuple(strings), indent, f"{name} = ")
    if all(width(line) <= LINE_LENGTH for line in single):
        return single
    lines = [f"{indent}{name} = ("]
    for text in strings:
        parts = split_text(text, LINE_LENGTH - width(indent + INDENT) - 3)
        lines += [indent + INDENT + quote(part) for part in parts]
        lines[-1] += ","
    return [*lines, f"{indent})"]


def docstring(lines: Sequence[str], indent: str) -> list[str]:
    raw = any("\\" in line for line in lines)
    if any('"""' in line for line in lines) or (raw and lines[-1].endswith("\\")):
        raise SpecError(f"a docstring would need escapes: {lines[0]!r}")
    prefix = 'r"""' if raw else '"""'
    out = [f"{indent}{prefix}{lines[0]}"]
    out += [indent + line if line else "" for line in lines[1:]]
    if len(lines) > 1:
        out.append(f'{indent}"""')
    else:
        out[0] += '"""'
    return out


def wrap(text: str, room: int, first_prefix: str = "") -> list[str]:
    wrapped = textwrap.wrap(
        text,
        width=room,
        initial_indent=first_prefix,
        break_long_words=False,
        break_on_hyphens=False,
    )
    if first_prefix:
        wrapped[0] = wrapped[0][len(first_prefix) :]
    return wrapped


# --- one task class --------------------------------------------------------------------------


def summary(task: Task) -> str:
    fixed = tables.SUMMARY_FIXES[task.market].get(task.key)
    if fixed is not None:
        return fixed
    paragraph = " ".join(str(task.entry["description"]).split("\n\n")[0].split())
    paragraph = re.sub(r"<[^>]+>", "", paragraph).strip()
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z*`])|(?<=[a-z]\.)(?=[A-Z])", paragraph)[0]
    sentence = sentence.replace('"', "'").replace("\\", "/").replace("\u2019", "'")
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def doc_url(task: Task) -> str:
    entry = task.entry
    specific = entry.get("weight_docs_source")
    if (
        isinstance(specific, str)
        and not specific.endswith("/rest-api")
        and entry.get("weight_source") != "usdm-docs-analogue"
    ):
        return specific
    return str(entry["doc_url"])


def remarks(task: Task) -> tuple[str, ...]:
    entry = task.entry
    found = list(tables.REMARKS[task.market].get(task.key, ()))
    analogue = entry.get("weight_docs_source")
    if entry.get("weight_source") == "usdm-docs-analogue" and analogue != entry["doc_url"]:
        found.append(f"parameters and weight from the USD-M page: {analogue}")
    if entry.get("weight_docs_mismatch"):
        found.append(f"weight: {entry['weight_docs_mismatch']}; the SDK's is used")
    if entry.get("weight_after_cm_migration"):
        found.append(f"weight after the CM migration: {entry['weight_after_cm_migration']}")
    if _weight(task)[3]:
        found.append("weight not stated by Binance: 1 assumed")
    found += _wire_remarks(task)
    return tuple(" ".join(remark.split()).replace('"', "'") for remark in found)


def _wire_remarks(task: Task) -> list[str]:
    """Where this task puts on the wire something other than Binance's SDK sends for the
    same input, and why (tests/test_wire_parity.py checks each case happens)."""
    found: list[str] = []
    if ["symbol", "pair"] in [list(group) for group in task.rules("").get("exclusive", ())]:
        found.append(
            "symbol and pair cannot be sent together (Binance's docs): given a symbol and "
            "its own pair (BTCUSD_PERP and BTCUSD), only the symbol is sent; Binance's SDK "
            "sends both"
        )
    client_id = tables.CLIENT_ID_FIELDS[task.market].get(task.key)
    if client_id is not None:
        found.append(
            f"without {client_id}, aioca sends one it generates, so that an order whose "
            "outcome is unknown can be looked up and is never sent twice; Binance's SDK "
            "leaves it to Binance"
        )
    return found


def _weight(task: Task) -> tuple[str, int, int | None, bool]:
    """The ``weight=`` value, the order counts (per minute, per 10 s when it differs) and
    whether the weight is assumed."""
    entry = task.entry
    market = task.market
    rule = entry.get("weight_rule")
    stated = tables.WEIGHT_RULES[market].get(task.key)
    if rule is None:
        if stated is not None:
            raise SpecError(f"{task.key}: WEIGHT_RULES for an endpoint with a flat weight")
        if isinstance(entry.get("weight"), int):
            return str(entry["weight"]), _orders(task), None, False
        if entry.get("weight_text") or entry.get("weight_docs"):
            raise SpecError(f"{task.key}: a weight in words only; state it in WEIGHT_RULES")
        return "1", _orders(task), None, True
    kind = rule["by"]
    if kind in ("condition", "symbols", "per_symbol"):
        if stated is None:
            raise SpecError(f"{task.key}: a weight by {kind}: state it in WEIGHT_RULES")
        return stated, _orders(task), None, False
    if stated is not None:
        raise SpecError(f"{task.key}: WEIGHT_RULES for a weight the spec states ({kind})")
    if kind == "counter":
        orders_10s = rule.get("order_count_10s")
        orders = int(rule["order_count_1m"])
        return (
            str(rule["ip_weight_1m"]),
            orders,
            orders_10s if orders_10s != orders else None,
            False,
        )
    if kind == "quota":
        return str(rule["ip_weight"]), _orders(task), None, False
    if kind == "shared_limit":
        if isinstance(entry.get("weight"), int):
            return str(entry["weight"]), _orders(task), None, False
        return "1", _orders(task), None, True
    if kind == "symbol":
        expression = (
            f"BySymbol(with_symbol={rule['with_symbol']}, without_symbol={rule['without_symbol']})"
        )
        return expression, _orders(task), None, False
    if kind == "symbol_or_pair":
        expression = (
            f"BySymbolOrPair(with_symbol={rule['with_symbol']}, with_pair={rule['with_pair']})"
        )
        return expression, _orders(task), None, False
    if kind == "limit":
        steps: list[tuple[int, int]] = []
        above: int | None = None
        for row in rule["table"]:
            if "values" in row:
                steps.append((max(row["values"]), row["weight"]))
            elif "max" in row:
                steps.append((row["max"], row["weight"]))
            else:
                above = row["weight"]
        steps.sort()
        default, _ = limit_bounds(task)
        if default is None:
            raise SpecError(f"{task.key}: weight by limit, but no default limit is known")
        step_text = tuple_text([f"({upper}, {weight})" for upper, weight in steps])
        above_text = f", above={above}" if above is not None else ""
        return f"ByLimit({step_text}{above_text}, default_limit={default})", 0, None, False
    raise SpecError(f"{task.key}: unknown weight rule {kind!r}")


def _orders(task: Task) -> int:
    counts = task.entry.get("order_count") or {}
    if "unfilled_order_count" in counts:
        return int(counts["unfilled_order_count"])
    if counts:
        raise SpecError(f"{task.key}: order counts {counts} without a counter weight rule")
    return 0


def limit_bounds(task: Task) -> tuple[int | None, int | None]:
    """``limit``'s default and maximum: from the spec's description when it states them,
    else from LIMIT_DOCS (and the two must agree)."""
    limit = next((param for param in task.params if param.name == "limit"), None)
    if limit is None:
        return None, None
    notes = [note for note in task.entry.get("notes") or () if "limit" in note.lower()]
    said = " ".join([limit.description, *notes])
    default_match = re.search(r"[Dd]efault:?\s*(\d+)", said)
    max_match = re.search(r"\b[Mm]ax(?:imum)?:?\s*(\d+)", said)
    valid_match = re.search(r"[Vv]alid limits:\s*\[([\d,\s]+)\]", said)
    spec_default = int(default_match.group(1)) if default_match else None
    spec_max = int(max_match.group(1)) if max_match else None
    if valid_match:
        spec_max = max(int(value) for value in valid_match.group(1).split(","))
    docs_default, docs_max = tables.LIMIT_DOCS[task.market].get(task.path, (None, None))
    for what, from_spec, from_docs in (
        ("default", spec_default, docs_default),
        ("max", spec_max, docs_max),
    ):
        if from_spec is not None and from_docs is not None and from_spec != from_docs:
            raise SpecError(
                f"{task.key}: limit {what} {from_spec} in the spec, {from_docs} in docs"
            )
    return (
        spec_default if spec_default is not None else docs_default,
        spec_max if spec_max is not None else docs_max,
    )


@dataclass
class Imports:
    typing: set[str] = field(default_factory=set)
    pydantic_field: bool = False
    params: set[str] = field(default_factory=set)
    endpoint: set[str] = field(default_factory=lambda: {"Endpoint", "Security"})
    task: set[str] = field(default_factory=lambda: {"BinanceTask", "Texts"})
    values: set[str] = field(default_factory=set)
    enums: set[str] = field(default_factory=set)
    checking: set[str] = field(default_factory=set)  # "decimal", "datetime"
    results: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    # Models imported under another name: a model named as an enum alias the module
    # imports (``MarginType``) would otherwise be that enum to type checkers.
    model_aliases: dict[str, str] = field(default_factory=dict)


def _bound_for(name: str) -> tuple[int, int | None] | None:
    for suffix, bounds in tables.INTEGER_BOUNDS.items():
        if name == suffix or (len(suffix) > 4 and name.endswith(suffix[:1].upper() + suffix[1:])):
            return bounds
    return None


def annotation(
    task: Task,
    param: Param,
    aliases: Mapping[frozenset[str], str],
    imports: Imports,
    item_model: str | None = None,
) -> str:
    """The type of a parameter in ``Params``: bounded and checked (see ``aioca.params``
    and ``aioca_binance.values``), so that a value Binance would refuse, or silently
    misread, is refused before anything is sent."""
    booleans = tables.BOOLEAN_STRINGS[task.market]
    bounds: list[str] = []
    if param.kind == "STRING" and param.name in booleans:
        imports.values.add("BooleanText")
        base = "BooleanText"
    elif param.kind == "STRING":
        if param.name in tables.CLIENT_ORDER_IDS:
            imports.task.add("ClientOrderId")
            base = "ClientOrderId"
        else:
            imports.params.add("Text")
            base = "Text"
    elif param.kind == "BOOLEAN" or (param.kind == "ENUM" and set(param.enum) == {"true", "false"}):
        imports.values.add("BooleanText")
        base = "BooleanText"
    elif param.kind == "DECIMAL":
        imports.values.add("PositiveDecimalText")
        base = "PositiveDecimalText"
        if param.name == "recvWindow":
            bounds = [f"le={tables.RECV_WINDOW_MAX}"]
    elif param.kind == "LONG":
        if param.name in tables.TIME_PARAMS:
            imports.values.add("Millis")
            base = "Millis"
        else:
            imports.params.add("Count")
            base = "Count"
            if param.name == "limit":
                bounds = ["ge=1"]
                _, maximum = limit_bounds(task)
                if maximum is not None:
                    bounds.append(f"le={maximum}")
            elif param.name == "recvWindow":
                bounds = ["ge=1", f"le={tables.RECV_WINDOW_MAX}"]
            elif (found := _bound_for(param.name)) is not None:
                low, high = found
                bounds = [f"ge={low}"] + ([f"le={high}"] if high is not None else [])
            elif (match := re.search(r"\(max: (\d+)\)", param.description)) is not None:
                bounds = [f"le={match.group(1)}"]
    elif param.kind == "ENUM":
        alias = aliases[frozenset(param.enum)]
        imports.enums.add(alias)
        base = alias
    elif param.kind == "ARRAY":
        if param.items == "LONG":
            imports.params.add("Count")
            item = "Count"
        elif param.items == "STRING":
            item = (
                "ClientOrderId"
                if param.name.removesuffix("List") in tables.CLIENT_ORDER_IDS
                else "Text"
            )
            (imports.task if item == "ClientOrderId" else imports.params).add(item)
        elif param.items == "OBJECT" and item_model is not None:
            item = item_model
        else:
            raise SpecError(f"{task.key}: {param.name} has items {param.items!r}")
        base = f"list[{item}]"
        match = re.search(
            r"\b[Mm]ax (\d+)|maximum number of (?:`?symbols`?) allowed in a request is (\d+)",
            param.description,
        )
        if match:
            imports.typing.add("Annotated")
            imports.pydantic_field = True
            maximum = match.group(1) or match.group(2)
            base = f"Annotated[{base}, Field(min_length=1, max_length={maximum})]"
    else:
        raise SpecError(f"{task.key}: {param.name} has type {param.kind!r}")
    if bounds:
        imports.typing.add("Annotated")
        imports.pydantic_field = True
        base = f"Annotated[{base}, Field({', '.join(bounds)})]"
    return base if param.required else f"{base} | None = None"


def user_type(
    task: Task,
    param: Param,
    aliases: Mapping[frozenset[str], str],
    imports: Imports,
    item_model: str | None = None,
) -> str:
    """The type of a parameter as a user passes it to ``__init__`` (what mypy checks)."""
    booleans = tables.BOOLEAN_STRINGS[task.market]
    if (
        (param.kind == "STRING" and param.name in booleans)
        or param.kind == "BOOLEAN"
        or (param.kind == "ENUM" and set(param.enum) == {"true", "false"})
    ):
        imports.enums.add("BooleanString")
        return "bool | BooleanString"
    if param.kind == "STRING":
        return "str"
    if param.kind == "DECIMAL":
        imports.checking.add("decimal")
        return "Decimal | int | str"
    if param.kind == "LONG":
        if param.name in tables.TIME_PARAMS:
            imports.checking.add("datetime")
            return "int | dt.datetime"
        return "int"
    if param.kind == "ENUM":
        alias = aliases[frozenset(param.enum)]
        imports.enums |= {alias, alias + "Enum"}
        return f"{alias} | {alias}Enum"
    if param.kind == "ARRAY":
        if param.items == "LONG":
            return "list[int]"
        if param.items == "STRING":
            return "list[str]"
        if item_model is not None:
            return f"list[{item_model} | {item_model}Dict]"
    raise SpecError(f"{task.key}: {param.name} has type {param.kind!r}")


def rule_lines(task: Task, suffix: str, names: set[str], params: Sequence[Param]) -> list[str]:
    """The rule attributes of a parameter model (see ``BinanceParams``)."""
    rules = task.rules(suffix)
    enums = {param.name: set(param.enum) for param in params if param.kind == "ENUM"}
    order_list = task.market == "spot" and task.key in tables.SPOT_ORDER_LISTS and not suffix
    lines: list[str] = []
    for attribute in ("one_of", "exclusive"):
        groups = tuple(tuple(group) for group in rules.get(attribute, ()))
        for group in groups:
            if not set(group) <= names:
                raise SpecError(f"{task.key}{suffix}: {attribute} names {group}, not parameters")
        if groups:
            lines += value_lines(groups, INDENT * 2, f"{attribute} = ")
    for attribute in ("required_when", "forbidden_when"):
        kept: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        for name, values, others in rules.get(attribute, ()):
            if name not in names:
                if order_list:
                    continue  # a leg rule for a leg this list does not have
                raise SpecError(f"{task.key}{suffix}: {attribute} on {name}, not a parameter")
            values = tuple(v for v in values if name not in enums or v in enums[name])
            if not values:
                continue
            parts = {part for other in others for part in other.split("|")}
            if not parts <= names:
                if not order_list:
                    raise SpecError(
                        f"{task.key}{suffix}: {attribute} names {sorted(parts - names)}"
                    )
                others = tuple(
                    "|".join(p for p in other.split("|") if p in names)
                    for other in others
                    if any(p in names for p in other.split("|"))
                )
                if not others:
                    continue
            kept.append((name, values, tuple(others)))
        if kept:
            lines += value_lines(tuple(kept), INDENT * 2, f"{attribute} = ")
    needs: list[tuple[str, tuple[tuple[str, tuple[str, ...] | None], ...]]] = []
    for name, alternatives in rules.get("needs", ()):
        present = tuple((other, allowed) for other, allowed in alternatives if other in names)
        if name not in names or not present:
            if order_list:
                continue
            raise SpecError(f"{task.key}{suffix}: needs on {name}, not a parameter")
        needs.append((name, present))
    if needs:
        lines += value_lines(tuple(needs), INDENT * 2, "needs = ")
    return lines


def item_class(
    task: Task, param: Param, aliases: Mapping[frozenset[str], str], imports: Imports
) -> tuple[str, list[str]]:
    """The model of one item of a batch parameter, and its TypedDict (what a user may
    write instead), declared before its task."""
    name = tables.ITEM_MODELS[task.market].get(task.key)
    if name is None:
        raise SpecError(f"{task.key}: {param.name} has items: name their model in ITEM_MODELS")
    lines = [
        f"class {name}(BinanceParams):",
        INDENT + f'"""One item of :class:`{task.class_name}`\'s ``{param.name}``."""',
        "",
    ]
    for item in param.item_fields:
        lines.append(f"{INDENT}{item.name}: {annotation(task, item, aliases, imports)}")
    names = {i.name for i in param.item_fields}
    lines += [
        line.removeprefix(INDENT) for line in rule_lines(task, ITEM, names, param.item_fields)
    ]
    lines += [
        "",
        "",
        f"class {name}Dict(TypedDict, total=False):",
        INDENT + f'"""One item of :class:`{task.class_name}`\'s ``{param.name}``, as a dict."""',
        "",
    ]
    for item in param.item_fields:
        lines.append(f"{INDENT}{item.name}: {user_type(task, item, aliases, imports)}")
    imports.task.add("BinanceParams")
    imports.typing.add("TypedDict")
    return name, lines


def endpoint_lines(task: Task) -> list[str]:
    weight, orders, orders_10s, _ = _weight(task)
    arguments = [quote(task.method), quote(task.path), f"Security.{task.security}"]
    arguments.append(f"weight={weight}")
    if orders:
        arguments.append(f"orders={orders}")
    arguments.append(f"market={quote(task.market)}")
    if task.key in tables.ORDER_CHANGING[task.market]:
        arguments.append("changes_orders=True")
    if task.key in tables.BATCHES[task.market]:
        arguments.append("batch=True")
    if orders_10s is not None:
        arguments.append(f"orders_10s={orders_10s}")
    limits = tables.ENDPOINT_LIMITS[task.market].get(task.key)
    if limits:
        arguments.append(f"limits={tuple_text([quote(limit) for limit in limits])}")
    return bracketed("endpoint = Endpoint(", arguments, ")", INDENT)


def result_types(task: Task, found: shapes.Shapes) -> tuple[str, str] | None:
    return found.root_names(task.key)


def task_class(
    task: Task,
    aliases: Mapping[frozenset[str], str],
    imports: Imports,
    found: shapes.Shapes,
    docstrings: Mapping[str, list[str]] | None,
) -> list[str]:
    lines: list[str] = []
    item_models: dict[str, str] = {}
    for param in task.params:
        if param.kind == "ARRAY" and param.item_fields:
            name, item_lines = item_class(task, param, aliases, imports)
            item_models[param.name] = name
            lines += [*item_lines, "", ""]
    if item_models and task.key not in tables.BATCHES[task.market]:
        raise SpecError(f"{task.key} takes items: add it to BATCHES")
    weight = _weight(task)[0]
    for name in ("ByLimit", "BySymbol", "BySymbolOrPair", "ByParam", "BySymbols"):
        if weight.startswith(name + "("):
            imports.endpoint.add(name)
    typed = result_types(task, found)
    if typed is None:
        head = f"class {task.class_name}(BinanceTask):"
    else:
        result, parsed = typed
        _note_names(result, imports.results)
        taken = {*aliases.values(), *(alias + "Enum" for alias in aliases.values())}
        models: set[str] = set()
        _note_names(parsed, models)
        for name in sorted(models & taken):
            imports.model_aliases[name] = name + "Model"
            parsed = re.sub(rf"\b{name}\b", name + "Model", parsed)
        imports.models |= models - taken
        base = f"BinanceTask[{quote(result)}, {quote(parsed)}]"
        head = f"class {task.class_name}({base}):"
        if width(head) > LINE_LENGTH:  # ruff's split: the base on a line, else its items
            if width(INDENT + base) <= LINE_LENGTH:
                lines += [f"class {task.class_name}(", INDENT + base, "):"]
            else:
                items = [INDENT * 2 + quote(result) + ",", INDENT * 2 + quote(parsed) + ","]
                lines += [f"class {task.class_name}(", INDENT + "BinanceTask[", *items]
                lines += [INDENT + "]", "):"]
            head = ""
    if head:
        lines.append(head)
    if docstrings is not None:
        lines += docstring(docstrings[task.class_name], INDENT)
    else:
        lines += docstring([summary(task)], INDENT)
    lines.append("")
    lines += endpoint_lines(task)
    en, zh = texts_of(task)
    texts = [string_argument("en", en, INDENT * 2), string_argument("zh", zh, INDENT * 2)]
    lines += bracketed("texts = Texts(", texts, ")", INDENT)
    lines += string_assignment("summary", summary(task), INDENT)
    lines += string_assignment("doc_url", doc_url(task), INDENT)
    found_remarks = remarks(task)
    if found_remarks:
        lines += strings_tuple_lines("remarks", found_remarks, INDENT)
    client_id = tables.CLIENT_ID_FIELDS[task.market].get(task.key)
    if client_id is not None:
        if client_id not in {param.name for param in all_params(task)}:
            raise SpecError(f"{task.key}: CLIENT_ID_FIELDS names {client_id}, not a parameter")
        lines.append(f"{INDENT}client_id_field = {quote(client_id)}")
    if task.params:
        imports.task.add("BinanceParams")
        lines += ["", f"{INDENT}class Params(BinanceParams):"]
        for param in task.params:
            kind = annotation(task, param, aliases, imports, item_models.get(param.name))
            line = f"{INDENT * 2}{param.name}: {kind}"
            if width(line) > LINE_LENGTH:
                raise SpecError(f"{task.key}: {param.name}'s annotation is too long")
            lines.append(line)
        lines += rule_lines(task, "", {param.name for param in task.params}, task.params)
    imports.checking.add("restapi")
    imports.typing.add("Never")
    arguments = ["self", "*"]
    required = [param for param in task.params if param.required]
    optional = [param for param in task.params if not param.required]
    for param in required:
        kind = user_type(task, param, aliases, imports, item_models.get(param.name))
        arguments.append(f"{param.name}: {kind}")
    for param in optional:
        kind = user_type(task, param, aliases, imports, item_models.get(param.name))
        arguments.append(f"{param.name}: {kind} | None = None")
    arguments += ["api: RestApi | None = None", "**unknown: Never"]
    lines += ["", f"{INDENT}def __init__("]
    for argument in arguments:
        line = f"{INDENT * 2}{argument},"
        if width(line) <= LINE_LENGTH:
            lines.append(line)
            continue
        # ruff's split of a long annotation: one operand of its union a line
        name, _, kind = argument.partition(": ")
        kind, equals, default = kind.partition(" = ")
        first, *rest = kind.split(" | ")
        lines.append(f"{INDENT * 2}{name}: {first}")
        lines += [f"{INDENT * 2}| {part}" for part in rest]
        lines[-1] += f" = {default}," if equals else ","
    lines.append(f"{INDENT}) -> None:")
    # The parameters given, passed on by keyword as a caller's would be: the required ones,
    # then each optional one that is not None (None: not sent). No locals(), no loop.
    if not task.params:
        lines.append(f"{INDENT * 2}super().__init__(api=api, **unknown)")
        return lines
    body = INDENT * 2
    given = [f"{quote(param.name)}: {param.name}" for param in required]
    head = "given: dict[str, object] = {"
    single = f"{body}{head}{', '.join(given)}}}"
    if width(single) <= LINE_LENGTH:  # a dict literal: on one line, else one item a line
        lines.append(single)
    else:
        lines += exploded(head, given, "}", body)
    for param in optional:
        lines += [
            f"{body}if {param.name} is not None:",
            f"{body}{INDENT}given[{quote(param.name)}] = {param.name}",
        ]
    lines.append(f"{body}super().__init__(api=api, **given, **unknown)")
    return lines


def _note_names(annotation_text: str, into: set[str]) -> None:
    for name in re.findall(r"\b[A-Z]\w*\b", annotation_text):
        if name not in ("Any", "None"):
            into.add(name)


# --- the describe pass: docstrings are aioca describe's text ---------------------------------


def describe_docstrings(
    market: str, enums_text: str, module_texts: Mapping[str, str], tasks: Sequence[Task]
) -> dict[str, list[str]]:
    """Each task's docstring: the text ``aioca describe binance <Task>`` prints for the class
    generated (first line its summary), found by running the generated modules here."""
    from aioca.cli import format_description
    from aioca.describe import describe_task

    docstrings: dict[str, list[str]] = {}
    with _generated_package(market, enums_text, module_texts) as loaded:
        for task in tasks:
            task_class = getattr(loaded[task.module], task.class_name)
            text = format_description(describe_task(task_class), "binance")
            first, blank, *rest = text.splitlines()
            if first != f"{task.class_name}: {summary(task)}" or blank:
                raise SpecError(f"{task.key}: describe's first line is {first!r}")
            lines = wrap(summary(task), LINE_LENGTH - len(INDENT) - 4, first_prefix='r"""')
            lines += ["", *rest]
            for line in lines:
                if width(INDENT + line) > LINE_LENGTH and not re.search(r"https?://\S+$", line):
                    raise SpecError(f"{task.key}: a docstring line is too long: {line[:60]}...")
            docstrings[task.class_name] = lines
    return docstrings


@contextmanager
def _generated_package(
    market: str, enums_text: str, module_texts: Mapping[str, str]
) -> Iterator[dict[str, types.ModuleType]]:
    """The generated modules of ``market``, run in this process under their package's
    name (the committed ones, if imported, are put back afterwards)."""
    package = f"aioca_binance.{market}"
    names = [package, f"{package}.enums", *(f"{package}.{module}" for module in module_texts)]
    saved = {name: sys.modules.get(name) for name in names}
    try:
        stub = types.ModuleType(package)
        stub.__path__ = []
        sys.modules[package] = stub
        _run_module(f"{package}.enums", package, enums_text)
        loaded = {
            module: _run_module(f"{package}.{module}", package, text)
            for module, text in module_texts.items()
        }
        yield loaded
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _run_module(name: str, package: str, text: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__package__ = package
    module.__file__ = f"<generated {name}>"
    sys.modules[name] = module
    exec(compile(text, module.__file__, "exec"), module.__dict__)
    return module


# --- files -----------------------------------------------------------------------------------


def header(sources: Sequence[str]) -> list[str]:
    first, *others = [f"spec/{source}" for source in sources]
    lines = [f"# Generated by tools/generate_catalog.py from {first}"]
    lines += [f"# and {other}" for other in others]
    lines[-1] += ";"
    return [*lines, f"# do not edit by hand; regenerate with `python {REGENERATE}`."]


def import_block(imports: Imports) -> list[str]:
    lines = ["from __future__ import annotations", ""]
    if imports.typing:
        lines += [f"from typing import {', '.join(sorted(imports.typing, key=isort_key))}", ""]
    if imports.pydantic_field:
        lines += ["from pydantic import Field", ""]
    if imports.params:
        lines += [
            f"from aioca.params import {', '.join(sorted(imports.params, key=isort_key))}",
            "",
        ]
    lines += import_line("..endpoint", sorted(imports.endpoint, key=isort_key))
    lines += import_line("..task", sorted(imports.task, key=isort_key))
    if imports.values:
        lines += import_line("..values", sorted(imports.values, key=isort_key))
    if imports.enums:
        lines += import_line(".enums", sorted(imports.enums, key=isort_key))
    checking: list[str] = []
    if "datetime" in imports.checking:
        checking.append(INDENT + "import datetime as dt")
    if "decimal" in imports.checking:
        checking.append(INDENT + "from decimal import Decimal")
    if checking:
        checking.append("")
    checking += [INDENT + "from aioca.rest import RestApi", ""]
    if imports.models:
        checking += import_line(".models", sorted(imports.models, key=isort_key), INDENT)
    for name, alias in sorted(imports.model_aliases.items()):
        checking.append(f"{INDENT}from .models import {name} as {alias}")
    if imports.results:
        checking += import_line(".results", sorted(imports.results, key=isort_key), INDENT)
    lines = [*lines, "", "if TYPE_CHECKING:", *checking]
    while lines[-1] == "":
        lines.pop()
    return lines


def import_line(module: str, names: Sequence[str], indent: str = "") -> list[str]:
    """``from module import names`` at ``indent``, wrapped in parentheses one name a line
    (isort's way) when it is too long."""
    single = f"{indent}from {module} import {', '.join(names)}"
    if width(single) <= LINE_LENGTH:
        return [single]
    inner = indent + INDENT
    return [f"{indent}from {module} import (", *(f"{inner}{name}," for name in names), f"{indent})"]


def dunder_all(names: Iterable[str]) -> list[str]:
    """``__all__``, a list literal, sorted as ruff wants it (RUF022): on one line, else
    one name a line."""
    items = [quote(name) for name in sorted(names, key=all_key)]
    single = "__all__ = [" + ", ".join(items) + "]"
    return [single] if width(single) <= LINE_LENGTH else exploded("__all__ = [", items, "]", "")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(chunk)) if chunk.isdigit() else (1, chunk) for chunk in re.findall(r"\d+|\D+", text)
    )


def _category(name: str) -> int:
    return 0 if name.isupper() else 1 if name[:1].isupper() else 2


def isort_key(name: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """ruff's isort order of imported names: constants, classes, the rest; each
    case-insensitively."""
    return (_category(name), _natural(name.lower()))


def all_key(name: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """RUF022's order of ``__all__``: constants, classes, the rest; each in natural order."""
    return (_category(name), _natural(name))


def all_params(task: Task) -> list[Param]:
    """A task's parameters, and the fields of its batch items."""
    return [*task.params, *(item for param in task.params for item in param.item_fields)]


def enum_aliases(market: str, tasks: Sequence[Task]) -> dict[frozenset[str], str]:
    """The alias of each enum value set found in the spec (from ENUM_ALIASES)."""
    table = {frozenset(values.split()): name for name, values, _ in tables.ENUM_ALIASES[market]}
    if len(table) != len(tables.ENUM_ALIASES[market]) or len(set(table.values())) != len(table):
        raise SpecError(f"{market}: ENUM_ALIASES repeats a value set or an alias name")
    aliases: dict[frozenset[str], str] = {}
    for task in tasks:
        for param in all_params(task):
            if param.kind != "ENUM":
                continue
            values = frozenset(param.enum)
            if values not in table:
                raise SpecError(f"{task.key}: no alias for {param.name} {sorted(values)}")
            aliases[values] = table[values]
    if (
        any(param.kind == "BOOLEAN" for task in tasks for param in all_params(task))
        or (tables.BOOLEAN_STRINGS[market])
    ):
        aliases.setdefault(frozenset({"true", "false"}), "BooleanString")
    unused = sorted(table[values] for values in set(table) - set(aliases))
    if unused:
        raise SpecError(f"{market}: ENUM_ALIASES has aliases the spec does not use: {unused}")
    return aliases


_UNITS = {"s": "SECOND", "m": "MINUTE", "h": "HOUR", "d": "DAY", "w": "WEEK", "M": "MONTH"}


def member_name(value: str) -> str:
    """An enum member's name for a value: itself when it is one (``BUY``, ``TRD_GRP_002``),
    ``MINUTE_1`` for ``1m`` (``MONTH_1`` for ``1M``)."""
    match = re.fullmatch(r"(\d+)([smhdwM])", value)
    if match:
        return f"{_UNITS[match.group(2)]}_{match.group(1)}"
    name = value.upper()
    if not name.isidentifier():
        raise SpecError(f"no member name for the enum value {value!r}")
    return name


def value_orders(all_tasks: Iterable[Task]) -> dict[frozenset[str], tuple[str, ...]]:
    """One order for each set of enum values, the first the spec gives (markets in order).

    ``typing`` caches unions by equality, and ``Literal["a", "b"] == Literal["b", "a"]``:
    ``Literal["a", "b"] | None`` is whichever of the two was made first in the process. With
    one order per set, what a task describes does not depend on what was imported before.
    """
    orders: dict[frozenset[str], tuple[str, ...]] = {}
    for task in all_tasks:
        for param in all_params(task):
            if param.kind == "ENUM":
                orders.setdefault(frozenset(param.enum), param.enum)
    return orders


VALUE_ORDERS: dict[frozenset[str], tuple[str, ...]] = {}
"""Filled by :func:`render` with :func:`value_orders` of every market."""


def enums_module(market: str, tasks: Sequence[Task], aliases: Mapping[frozenset[str], str]) -> str:
    first_seen: dict[str, tuple[str, ...]] = {}
    for task in tasks:
        for param in all_params(task):
            if param.kind == "ENUM":
                values = frozenset(param.enum)
                first_seen.setdefault(aliases[values], VALUE_ORDERS.get(values, param.enum))
    if frozenset({"true", "false"}) in aliases:
        first_seen.setdefault("BooleanString", ("true", "false"))
    docs = {name: doc for name, _, doc in tables.ENUM_ALIASES[market]}
    names = [*first_seen, *(f"{name}Enum" for name in first_seen if name != "BooleanString")]
    lines = [
        *header(SPEC_FILES[market]),
        f'"""The values Binance accepts for the {LABELS[market]} enum parameters.',
        "",
        "One ``Literal`` alias per distinct set of values, in the spec's order, for type checkers",
        "(``side: OrderSide``), and a ``StrEnum`` of the same values for code that prefers",
        "names (``OrderSideEnum.BUY``; ``KlineIntervalEnum.MINUTE_1`` is ``1m``): tasks take",
        "both, and pydantic refuses any other value before a request is sent.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from enum import StrEnum",
        "from typing import Literal",
        "",
        *dunder_all(names),
    ]
    for name in sorted(first_seen):
        values = [quote(value) for value in first_seen[name]]
        lines += ["", *bracketed(f"{name} = Literal[", values, "]", "")]
        lines += docstring([docs.get(name, "A boolean as Binance spells it on the wire.")], "")
    for name in sorted(first_seen):
        if name == "BooleanString":
            continue
        lines += ["", "", f"class {name}Enum(StrEnum):"]
        lines += docstring([docs[name].removesuffix(".") + ", by name."], INDENT)
        lines.append("")
        for value in first_seen[name]:
            lines.append(f"{INDENT}{member_name(value)} = {quote(value)}")
    return "\n".join(lines) + "\n"


def task_module(
    market: str,
    module: str,
    tasks: Sequence[Task],
    aliases: Mapping[frozenset[str], str],
    found: shapes.Shapes,
    docstrings: Mapping[str, list[str]] | None,
) -> str:
    imports = Imports(typing={"TYPE_CHECKING"})
    body: list[str] = []
    for task in tasks:
        body += ["", "", *task_class(task, aliases, imports, found, docstrings)]
    sources = sorted({task.source for task in tasks}, key=SPEC_FILES[market].index)
    lines = header(sources)
    camel = any(param.name != param.name.lower() for task in tasks for param in all_params(task))
    typed = any(found.root_names(task.key) is not None for task in tasks)
    codes = [*(["N803", "N815"] if camel else []), *(["F401"] if typed else [])]
    if camel:
        lines.append(
            "# Parameter names are Binance's wire names, which are camelCase (N803, N815)."
        )
    if typed:
        lines.append(
            "# Result types are named in strings in the class bases, for type checkers (F401)."
        )
    if codes:
        lines.append(f"# ruff: noqa: {', '.join(codes)}")
    doc = MODULES[market][module]
    lines += [*docstring(wrap(doc, LINE_LENGTH, first_prefix='"""'), ""), ""]
    lines += [*import_block(imports), ""]
    lines += dunder_all(name for task in tasks for name in class_names(task))
    return "\n".join(lines + body) + "\n"


def class_names(task: Task) -> list[str]:
    """The public classes a task's module defines for it: the task, its batch's items."""
    item = tables.ITEM_MODELS[task.market].get(task.key)
    return [task.class_name, *([item, item + "Dict"] if item else [])]


def init_module(market: str, tasks: Sequence[Task]) -> str:
    """The package: ``CATALOG`` and the task classes by name, imported on first use from a
    name-to-module table (importing every module would slow every start-up)."""
    label = LABELS[market]
    example = next(task.class_name for task in tasks if task.path.endswith("/ping"))
    lines = [
        *header(SPEC_FILES[market]),
        f'"""Binance {label} tasks (the catalog is generated by tools/generate_catalog.py).',
        "",
        f"The modules are imported lazily: ``from aioca_binance.{market} import {example}`` and",
        f'``CATALOG["{example}"]`` import the module that defines the class, and no other.',
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING",
        "",
        "from aioca.lazy import LazyCatalog, lazy_exports",
        "",
        "if TYPE_CHECKING:",
        INDENT + "from ..task import BinanceTask",
    ]
    exports: dict[str, str] = {}
    for module in sorted(MODULES[market]):
        names = sorted(
            (n for task in tasks if task.module == module for n in class_names(task)), key=isort_key
        )
        exports |= dict.fromkeys(names, module)
        if names:
            lines += import_line(f".{module}", names, INDENT)
    by_name = sorted((task.class_name, task.module) for task in tasks)
    lines += ["", *dunder_all(["CATALOG", *exports]), ""]
    lines.append("_INDEX: dict[str, str] = {")
    lines += [f"{INDENT}{quote(name)}: {quote(module)}," for name, module in by_name]
    lines += [
        "}",
        '"""Every task class by name, and the module of this package that defines it."""',
        "",
        "_EXPORTS: dict[str, str] = {",
        *(f"{INDENT}{quote(name)}: {quote(module)}," for name, module in sorted(exports.items())),
        "}",
        '"""Every public class (tasks, batch items) by name, and its module."""',
        "",
        "CATALOG: Mapping[str, type[BinanceTask]] = LazyCatalog(__name__, _INDEX)",
        f'"""Every {label} task class by name (read-only, sorted)."""',
        "",
        "__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())",
    ]
    return "\n".join(lines) + "\n"


def catalog_module(all_tasks: Mapping[str, Sequence[Task]]) -> str:
    """``aioca_binance.catalog``: every market's tasks in one lazy ``CATALOG``."""
    sources = [source for market in MARKETS for source in SPEC_FILES[market]]
    entries = sorted(
        (task.class_name, f"{market}.{task.module}")
        for market, tasks in all_tasks.items()
        for task in tasks
    )
    counts = ", ".join(f"{LABELS[m]} {len(all_tasks[m])}" for m in MARKETS)
    lines = [
        *header(sources),
        '"""Every Binance task of every market, by name: what the plugin registers, so that',
        '``aioca.catalog("binance")`` and ``aioca tasks binance`` list them all',
        f"({counts});",
        "each class is imported with its module on first use.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING",
        "",
        "from aioca.lazy import LazyCatalog",
        "",
        "if TYPE_CHECKING:",
        INDENT + "from .task import BinanceTask",
        "",
        '__all__ = ["CATALOG", "MARKETS_OF"]',
        "",
        "_INDEX: dict[str, str] = {",
        *(f"{INDENT}{quote(name)}: {quote(module)}," for name, module in entries),
        "}",
        '"""Every task class by name, and its module in ``aioca_binance``."""',
        "",
        'CATALOG: Mapping[str, type[BinanceTask]] = LazyCatalog("aioca_binance", _INDEX)',
        '"""Every Binance task class by name (read-only, sorted)."""',
        "",
        "MARKETS_OF: Mapping[str, str] = {"
        + 'name: module.partition(".")[0] for name, module in _INDEX.items()}',
        '"""The market of each task, by name (``"spot"``, ``"usdm"``, ``"coinm"``)."""',
    ]
    return "\n".join(lines) + "\n"


# --- the answers -----------------------------------------------------------------------------


def response_shapes(
    market: str, responses: Mapping[str, Any], tasks: Sequence[Task]
) -> shapes.Shapes:
    found = shapes.Shapes(market)
    names = shapes.SHAPE_NAMES[market]
    keys = {task.key for task in tasks}
    for stale in sorted(set(names) - keys):
        raise SpecError(f"{market}: SHAPE_NAMES has {stale}, which the spec does not")
    for task in tasks:
        answer = responses.get(task.key)
        if answer is None:
            raise SpecError(f"{market}: no entry for {task.key} in {RESPONSE_FILES[market]}")
        examples = answer.get("examples") or (
            [answer["example"]] if answer.get("example") is not None else []
        )
        if not examples:
            continue
        base = names.get(task.key) or pascal_case(task.entry["alias"])
        found.add_endpoint(task.key, base, examples)
    return found


def results_module(market: str, found: shapes.Shapes) -> str:
    lines_body: list[str] = []
    typing_names = {"TypedDict"}
    exported: list[str] = []
    for name in sorted(found.objects):
        obj = found.objects[name]
        exported.append(name + "Dict")
        lines_body += ["", "", f"class {name}Dict(TypedDict):"]
        lines_body += docstring(wrap(f"{_obj_doc(name, obj)}, as decoded.", 92, '"""'), INDENT)
        if obj.fields:
            lines_body.append("")
        for key, shape in obj.fields.items():
            used: set[str] = set()
            kind = found.typed_dict_type(shape, used)
            typing_names |= used & {"Any"}
            if obj.seen.get(key, 0) < obj.count:
                typing_names.add("NotRequired")
                kind = f"NotRequired[{kind}]"
            line = f"{INDENT}{key}: {kind}"
            if width(line) > LINE_LENGTH:
                raise SpecError(f"{market} {name}.{key}: the TypedDict line is too long")
            lines_body.append(line)
    lines = [
        *header([RESPONSE_FILES[market]]),
        *(
            ["# Keys are Binance's JSON keys, one of them a bare `l` (E741).", "# ruff: noqa: E741"]
            if any("l" in obj.fields for obj in found.objects.values())
            else []
        ),
        f'"""The decoded JSON of Binance\'s {LABELS[market]} answers, as ``TypedDict`` types.',
        "",
        "A task's ``result`` is the JSON exactly as Binance sent it; these types tell type",
        "checkers and IDEs its shape, from the examples Binance documents (a key some example",
        "lacks is ``NotRequired``). Nothing here checks an answer: ``task.parsed`` does (see",
        "``models``).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"from typing import {', '.join(sorted(typing_names, key=isort_key))}",
        "",
        *dunder_all(exported),
    ]
    return "\n".join(lines + lines_body) + "\n"


def _obj_doc(name: str, obj: shapes.Obj) -> str:
    """What an object is: the answer of which endpoints, or the field of which object."""
    first, *others = obj.where
    more = f" (and {len(others)} more)" if others else ""
    text = f"{first[:1].upper()}{first[1:]}{more}"
    return text if obj.fields else text + ": an empty object"


def models_module(market: str, found: shapes.Shapes, tasks: Sequence[Task]) -> str:
    body: list[str] = []
    names: set[str] = set()
    exported: list[str] = []
    rows = found.rows
    used_rows = {
        row.name for shape in _all_shapes(found) if isinstance(shape, shapes.Row) for row in [shape]
    }
    for row in sorted(used_rows - {"PriceLevel"}):
        exported.append(row)
        body += ["", "", f"class {row}(RowModel):"]
        body += docstring(
            [f"A row Binance sends as an array ({len(rows[row])} slots, read by position)."],
            INDENT,
        )
        body += ["", *bracketed("slots = (", [quote(slot) for slot in rows[row]], ")", INDENT)]
        body.append("")
        for slot in rows[row]:
            if slot == "ignore":
                names.add("Any")
                body.append(f"{INDENT}{slot}: Any = None")
            elif slot in shapes.ROW_TIMES:
                body.append(f"{INDENT}{slot}: int")
            else:
                names.add("Decimal")
                body.append(f"{INDENT}{slot}: Decimal")
    for name in sorted(found.objects):
        obj = found.objects[name]
        exported.append(name)
        body += ["", "", f"class {name}(ResponseModel):"]
        body += docstring(wrap(_obj_doc(name, obj) + ".", 92, '"""'), INDENT)
        if obj.fields:
            body.append("")
        attributes: set[str] = set()
        for key, shape in obj.fields.items():
            attribute = shapes.snake(key, obj.fields)
            if attribute in attributes:
                raise SpecError(f"{market} {name}: two keys make the attribute {attribute}")
            attributes.add(attribute)
            kind = found.model_type(shape, key, names)
            if kind not in ("DecimalField", "Any") and not kind.endswith("| None"):
                kind = f"{kind} | None"
            default = "None" if attribute == key else f'Field(None, alias="{key}")'
            if attribute != key:
                names.add("Field")
            line = f"{INDENT}{attribute}: {kind} = {default}"
            if width(line) > LINE_LENGTH and attribute != key:
                # ruff's split of the right-hand side
                head = f"{INDENT}{attribute}: {kind} = Field("
                if width(head) > LINE_LENGTH:
                    raise SpecError(f"{market} {name}.{key}: the model line is too long")
                body += [head, f'{INDENT * 2}None, alias="{key}"', f"{INDENT})"]
                continue
            if width(line) > LINE_LENGTH:
                raise SpecError(f"{market} {name}.{key}: the model line is too long")
            body.append(line)
    registry = []
    for task in tasks:
        typed = found.root_names(task.key)
        if typed is None:
            continue
        entry = f"({quote(task.method)}, {quote(task.path)}): "
        if width(INDENT * 2 + entry + typed[1] + ",") <= LINE_LENGTH:
            registry.append(f"{entry}{typed[1]},")
        else:  # ruff's split of a long union: at its operator
            first, _, rest = typed[1].partition(" | ")
            registry += [entry + first, "| " + rest + ","]
    typing_line = sorted({"Any"} & names)
    lines = [
        *header([RESPONSE_FILES[market]]),
        f'"""Pydantic models of Binance\'s {LABELS[market]} answers: ``task.parsed``.',
        "",
        "Generated from the examples Binance documents, with the conventions of",
        "``aioca_binance.model_base``: snake_case attributes with Binance's keys as aliases,",
        "decimals as ``Decimal``, times as ``int`` milliseconds, every field optional and",
        "unknown fields kept. :data:`RESPONSE_MODELS` is the type of each endpoint's answer;",
        ":func:`parse_response` validates an answer with it (adapters built on first use).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
    ]
    if "Decimal" in names:
        lines.append("from decimal import Decimal")
    lines.append("from types import MappingProxyType")
    if typing_line:
        lines.append(f"from typing import {', '.join(typing_line)}")
    lines.append("")
    if "Field" in names:
        lines += ["from pydantic import Field", ""]
    base_names = ["ResponseModel", "ResponseParser"]
    for extra in ("DecimalField", "PriceLevel", "RowModel"):
        if extra in names or (extra == "RowModel" and used_rows - {"PriceLevel"}):
            base_names.append(extra)
    lines += import_line("..model_base", sorted(base_names, key=isort_key))
    lines += ["", *dunder_all(["RESPONSE_MODELS", "parse_response", "response_adapter", *exported])]
    lines += body
    lines += [
        "",
        "",
        "RESPONSE_MODELS: Mapping[tuple[str, str], object] = MappingProxyType(",
        INDENT + "{",
        *(INDENT * 2 + line for line in registry),
        INDENT + "}",
        ")",
        '"""``(METHOD, path)`` -> the type of the whole answer."""',
        "",
        "_PARSER = ResponseParser(RESPONSE_MODELS)",
        "parse_response = _PARSER.parse",
        "response_adapter = _PARSER.adapter",
    ]
    for line in lines:
        if width(line) > LINE_LENGTH:
            raise SpecError(f"{market} models: a line is too long: {line[:60]}...")
    return "\n".join(lines) + "\n"


def _all_shapes(found: shapes.Shapes) -> Iterator[Any]:
    pending: list[Any] = [*found.roots.values(), *found.objects.values()]
    seen: set[int] = set()
    while pending:
        shape = pending.pop()
        if shape is None or id(shape) in seen:
            continue
        seen.add(id(shape))
        yield shape
        if isinstance(shape, shapes.Obj):
            pending += shape.fields.values()
        elif isinstance(shape, shapes.Lst):
            pending.append(shape.item)
        elif isinstance(shape, shapes.Map):
            pending.append(shape.value)
        elif isinstance(shape, shapes.Union):
            pending += shape.options


# --- all of it -------------------------------------------------------------------------------


def render(spec_dir: Path) -> dict[str, str]:
    """The generated files, by path relative to the package, as text."""
    files: dict[str, str] = {}
    all_tasks = {market: build_tasks(market, load_spec(spec_dir, market)) for market in MARKETS}
    VALUE_ORDERS.clear()
    VALUE_ORDERS.update(value_orders(task for market in MARKETS for task in all_tasks[market]))
    for market in MARKETS:
        tasks = all_tasks[market]
        aliases = enum_aliases(market, tasks)
        found = response_shapes(market, load_responses(spec_dir, market), tasks)
        enums_text = enums_module(market, tasks, aliases)
        by_module: dict[str, list[Task]] = {module: [] for module in MODULES[market]}
        for task in tasks:
            by_module[task.module].append(task)
        drafts = {
            module: task_module(market, module, members, aliases, found, None)
            for module, members in by_module.items()
        }
        docstrings = describe_docstrings(market, enums_text, drafts, tasks)
        for module, members in by_module.items():
            files[f"{market}/{module}.py"] = task_module(
                market, module, members, aliases, found, docstrings
            )
        files[f"{market}/enums.py"] = enums_text
        files[f"{market}/results.py"] = results_module(market, found)
        files[f"{market}/models.py"] = models_module(market, found, tasks)
        files[f"{market}/__init__.py"] = init_module(market, tasks)
    files["catalog.py"] = catalog_module(all_tasks)
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), 1):
            if width(line) > LINE_LENGTH and not re.search(r"https?://\S+\"?$", line):
                raise SpecError(f"{name}:{number} would be too long: {line.strip()[:60]}...")
    return files


def check(files: Mapping[str, str], output_dir: Path) -> list[str]:
    """The names of the generated files that differ from ``output_dir``; prints the diffs."""
    stale: list[str] = []
    for name, text in files.items():
        target = output_dir / name
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            stale.append(name)
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{target} (committed)",
                    tofile=f"{target} (generated)",
                )
            )
    return stale


def write(files: Mapping[str, str], output_dir: Path) -> None:
    for name, text in files.items():
        target = output_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: an interrupted run leaves no half file.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, suffix=".tmp", delete=False, newline="\n"
        ) as handle:
            handle.write(text)
        Path(handle.name).replace(target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--spec-dir",
        type=Path,
        default=DEFAULT_SPEC_DIR,
        help=f"where the spec JSON files are (default: {DEFAULT_SPEC_DIR})",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"the package to write into (default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the committed files differ from what would be generated",
    )
    args = parser.parse_args(argv)
    try:
        files = render(args.spec_dir)
    except shapes.SpecError as exc:
        print(f"generate_catalog: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = check(files, args.output_dir)
        if stale:
            print(f"generate_catalog: stale: {', '.join(stale)}; regenerate", file=sys.stderr)
            return 1
        print(f"generate_catalog: {len(files)} files up to date")
        return 0
    write(files, args.output_dir)
    print(f"generate_catalog: wrote {len(files)} files to {args.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Binance's REST endpoints as the spec files describe them, read from the package's own
copy (``aioca_binance_sim/spec/``): methods, paths, security types, parameters, weight
rules, order counts, and each endpoint's documented example answer.

This is the simulator's only source of what an endpoint takes and costs. It reads
Binance's facts, not the client's catalogs, so a mistake in the client's declarations is
caught by the simulator instead of being confirmed by it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "MARKETS",
    "EndpointSpec",
    "OwnWindow",
    "ParamSpec",
    "documented_answer",
    "endpoints",
    "spec_text",
]

MARKETS = ("spot", "usdm", "coinm")
"""The markets, each served on a port of its own."""

_SIGNED = frozenset({"USER_DATA", "TRADE"})


def spec_text(name: str) -> str:
    """One file of the package's spec copy, as text."""
    return (resources.files(__package__) / "spec" / name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter: its wire ``name``, spec ``type`` (STRING, LONG, INT, DECIMAL, ENUM,
    BOOLEAN, ARRAY), whether it is ``required``, its ``enum`` values, the ``items`` type
    of an ARRAY and, for arrays of objects (batch orders), the ``item_fields``."""

    name: str
    type: str
    required: bool
    enum: tuple[str, ...] = ()
    items: str | None = None
    item_fields: tuple[ParamSpec, ...] = ()
    description: str = ""
    maximum: int | None = None
    """The largest value Binance takes (``limit``: its docs page's maximum)."""

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> ParamSpec:
        return cls(
            name=entry["name"],
            type=entry["type"],
            required=bool(entry.get("required")),
            enum=tuple(str(value) for value in entry.get("enum") or ()),
            items=entry.get("items"),
            item_fields=tuple(cls.from_json(item) for item in entry.get("item_fields") or ()),
            description=entry.get("description") or "",
        )


@dataclass(frozen=True, slots=True)
class OwnWindow:
    """A limit an endpoint counts 1 on besides the market's budgets: ``limit`` requests
    per ``seconds``, shared by every endpoint naming the same ``key`` (USDⓈ-M's funding
    rate endpoints share 500 per 5 minutes; its ``/futures/data`` ones 1000 per 5
    minutes; the convert quote 360 per hour and 500 per day)."""

    key: str
    limit: int
    seconds: int


_PER = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"(\d[\d,]*)\s*(?:requests?\s*)?/\s*(\d*)\s*(sec|second|min|minute|hour|day)")


def _rate(text: str) -> tuple[int, int] | None:
    """``"500/5min/IP"`` or ``"IP rate limit 1000 requests/5min"`` -> ``(500, 300)``."""
    found = _RATE.search(text)
    if found is None:
        return None
    count, number, unit = found.groups()
    return int(count.replace(",", "")), int(number or 1) * _PER[unit]


def _symbol_count(value: str) -> int:
    """How many symbols a ``symbols`` value names (the JSON list as sent)."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value.count(",") + 1 if value.strip("[] ") else 0
    return len(decoded) if isinstance(decoded, list) else 1


def _sent(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    return value is not None and value != "" and value.lower() != "false"


_BACKTICKED = re.compile(r"`(\w+)`")


class Weight:
    """An endpoint's IP weight by its spec rule (``weight`` and ``weight_rule``), computed
    from the parameters as received (text)."""

    def __init__(self, entry: Mapping[str, Any], default_limit: int | None) -> None:
        self.flat: int | None = (
            entry.get("weight") if isinstance(entry.get("weight"), int) else None
        )
        self.rule: Mapping[str, Any] | None = entry.get("weight_rule")
        self.default_limit = default_limit
        maximum = entry.get("weight_max")
        self.max = (
            maximum if isinstance(maximum, int) else (self.flat if self.flat is not None else 1)
        )

    def __call__(self, params: Mapping[str, str]) -> int:
        rule = self.rule
        if rule is None:
            return self.flat if self.flat is not None else 1
        try:
            return self._by_rule(rule, params)
        except ValueError:  # an unreadable parameter: refused later, charged the maximum
            return self.max

    def _by_rule(self, rule: Mapping[str, Any], params: Mapping[str, str]) -> int:
        kind = rule["by"]
        if kind == "counter":
            return int(rule["ip_weight_1m"])
        if kind == "quota":
            return int(rule["ip_weight"])
        if kind == "shared_limit":
            return self.flat if self.flat is not None else 1
        if kind == "symbol":
            return int(rule["with_symbol"] if _sent(params, "symbol") else rule["without_symbol"])
        if kind == "symbol_or_pair":
            return int(rule["with_symbol"] if _sent(params, "symbol") else rule["with_pair"])
        if kind == "limit":
            return self._by_limit(rule["table"], params)
        if kind == "per_symbol":
            if "symbols" not in params:
                return int(rule["per_symbol"]) if _sent(params, "symbol") else self.max
            count = _symbol_count(params["symbols"])
            weight = int(rule["per_symbol"]) * count
            return min(weight, int(rule["cap"])) if rule.get("cap") else weight
        if kind == "symbols":
            return self._by_symbols(rule["table"], params)
        if kind == "condition":
            return self._by_condition(rule["table"], params)
        return self.max

    def _by_limit(self, table: list[Mapping[str, Any]], params: Mapping[str, str]) -> int:
        raw = params.get("limit")
        limit = int(raw) if raw else self.default_limit
        if limit is None:
            return self.max
        for row in table:
            if "values" in row:
                if limit <= max(row["values"]):
                    return int(row["weight"])
            elif row.get("min", limit) <= limit <= row.get("max", limit):
                return int(row["weight"])
        return int(table[-1]["weight"])

    def _by_symbols(self, table: list[Mapping[str, Any]], params: Mapping[str, str]) -> int:
        if _sent(params, "symbol"):
            rows = [row for row in table if row["parameter"] == "symbol" and row["symbols"] == "1"]
            return int(rows[0]["weight"]) if rows else self.max
        symbol_rows = [row for row in table if row["parameter"] == "symbols"]
        if "symbols" not in params:
            omitted = [row for row in table if "omitted" in row["symbols"]]
            return int(omitted[0]["weight"]) if omitted else self.max
        count = _symbol_count(params["symbols"])
        for row in symbol_rows:
            text = row["symbols"]
            numbers = [int(n) for n in re.findall(r"\d+", text)]
            if text == "Any":
                return int(row["weight"])
            if "or more" in text and numbers and count >= numbers[0]:
                return int(row["weight"])
            if len(numbers) == 2 and numbers[0] <= count <= numbers[1]:
                return int(row["weight"])
        return self.max

    def _by_condition(self, table: list[Mapping[str, Any]], params: Mapping[str, str]) -> int:
        """Rows like ``symbol`` / ``symbols`` / ``None``, ``With X`` / ``Without X``,
        ``Querying by X``: the first row whose parameter is sent, else the row for none."""
        fallback: int | None = None
        for row in table:
            condition = str(row["condition"])
            words = condition.split()
            named = _BACKTICKED.findall(condition) or [words[-1]]
            name = named[0]
            if condition == "None" or words[0] == "Without":
                fallback = row["weight"]
                continue
            if condition.startswith("If "):  # depends on the answer (an invalid symbol)
                continue
            if _sent(params, name):
                if row["weight"] is None:  # "2 for each symbol, capped at a max of 40"
                    each, cap = (int(n) for n in re.findall(r"\d+", row["weight_text"])[:2])
                    return min(each * _symbol_count(params[name]), cap)
                return int(row["weight"])
        if fallback is None:  # no row for "none of them": the cheapest case
            fallback = min(int(row["weight"]) for row in table if row["weight"] is not None)
        return int(fallback)


_DEFAULT = re.compile(r"[Dd]efault:?\s*(?:value\s*)?(?:is\s*)?(\d+)")
DOCUMENTED_LIMITS: Mapping[str, Mapping[str, tuple[int, int | None]]] = {
    # path: (default, maximum) of ``limit``, from the parameter tables of Binance's docs
    # pages ("Default 500; max 1500."), which the SDK descriptions in the spec leave out.
    # None: the page states no maximum.
    "coinm": {
        # https://developers.binance.com/docs/derivatives/coin-margined-futures/...
        "/dapi/v1/aggTrades": (500, 1000),
        "/dapi/v1/allOrders": (50, 100),
        "/dapi/v1/continuousKlines": (500, 1500),
        "/dapi/v1/depth": (500, 1000),
        "/dapi/v1/forceOrders": (50, 100),
        "/dapi/v1/fundingRate": (100, 1000),
        "/dapi/v1/historicalTrades": (100, 500),
        "/dapi/v1/income": (100, 1000),
        "/dapi/v1/indexPriceKlines": (500, 1500),
        "/dapi/v1/klines": (500, 1500),
        "/dapi/v1/markPriceKlines": (500, 1500),
        "/dapi/v1/orderAmendment": (50, 100),
        "/dapi/v1/positionMargin/history": (50, None),
        "/dapi/v1/premiumIndexKlines": (500, 1500),
        "/dapi/v1/trades": (500, 1000),
        "/dapi/v1/userTrades": (50, 1000),
        "/futures/data/basis": (30, 500),
        "/futures/data/globalLongShortAccountRatio": (30, 500),
        "/futures/data/openInterestHist": (30, 500),
        "/futures/data/takerBuySellVol": (30, 500),
        "/futures/data/topLongShortAccountRatio": (30, 500),
        "/futures/data/topLongShortPositionRatio": (30, 500),
    },
    "usdm": {
        # https://developers.binance.com/docs/derivatives/usds-margined-futures/...
        "/fapi/v1/aggTrades": (500, 1000),
        "/fapi/v1/allAlgoOrders": (500, None),
        "/fapi/v1/allOrders": (500, 1000),
        "/fapi/v1/continuousKlines": (500, 1500),
        "/fapi/v1/depth": (500, 1000),
        "/fapi/v1/forceOrders": (50, 100),
        "/fapi/v1/fundingRate": (100, 1000),
        "/fapi/v1/historicalTrades": (100, 500),
        "/fapi/v1/income": (100, 1000),
        "/fapi/v1/indexPriceKlines": (500, 1500),
        "/fapi/v1/klines": (500, 1500),
        "/fapi/v1/markPriceKlines": (500, 1500),
        "/fapi/v1/orderAmendment": (50, 100),
        "/fapi/v1/positionMargin/history": (500, None),
        "/fapi/v1/premiumIndexKlines": (500, 1500),
        "/fapi/v1/rpiDepth": (1000, 1000),
        "/fapi/v1/trades": (500, 1000),
        "/fapi/v1/userTrades": (500, 1000),
        "/futures/data/basis": (30, 500),
        "/futures/data/globalLongShortAccountRatio": (30, 500),
        "/futures/data/openInterestHist": (30, 500),
        "/futures/data/takerlongshortRatio": (30, 500),
        "/futures/data/topLongShortAccountRatio": (30, 500),
        "/futures/data/topLongShortPositionRatio": (30, 500),
    },
    "spot": {
        # binance/binance-spot-api-docs rest-api.md (the spec's responses source)
        "/api/v3/aggTrades": (500, 1000),
        "/api/v3/allOrderList": (500, None),
        "/api/v3/allOrders": (500, 1000),
        "/api/v3/depth": (100, 5000),
        "/api/v3/historicalTrades": (500, 1000),
        "/api/v3/klines": (500, 1000),
        "/api/v3/myAllocations": (500, None),
        "/api/v3/myPreventedMatches": (500, None),
        "/api/v3/myTrades": (500, 1000),
        "/api/v3/order/amendments": (500, None),
        "/api/v3/trades": (500, 1000),
        "/api/v3/uiKlines": (500, 1000),
    },
}
"""``limit``'s default and maximum per endpoint (Binance's docs pages)."""


def _default_limit(market: str, entry: Mapping[str, Any]) -> int | None:
    documented = DOCUMENTED_LIMITS[market].get(entry["path"])
    if documented is not None:
        return documented[0]
    for param in entry.get("params") or ():
        if param["name"] == "limit":
            said = " ".join([param.get("description") or "", *(entry.get("notes") or ())])
            found = _DEFAULT.search(said)
            return int(found.group(1)) if found else 500
    return None


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One endpoint of one market, from the spec."""

    market: str
    method: str
    path: str
    security: str
    params: tuple[ParamSpec, ...]
    weight: Weight
    orders_1m: int = 0
    """What one request counts on the ORDERS windows of a minute or longer (Spot's
    ``unfilled_order_count`` on all of them)."""
    orders_10s: int = 0
    """What it counts on the 10-second ORDERS window."""
    own_windows: tuple[OwnWindow, ...] = ()
    notes: tuple[str, ...] = ()
    entry: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def needs_key(self) -> bool:
        return self.security != "NONE"

    @property
    def signed(self) -> bool:
        return self.security in _SIGNED

    @property
    def fractional_window(self) -> bool:
        """``recvWindow`` is a DECIMAL (Spot: up to three decimals, microseconds)."""
        return any(p.name == "recvWindow" and p.type == "DECIMAL" for p in self.params)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def __str__(self) -> str:
        return f"{self.market} {self.method} {self.path}"


def _order_counts(entry: Mapping[str, Any]) -> tuple[int, int]:
    counts = entry.get("order_count") or {}
    if "unfilled_order_count" in counts:
        count = int(counts["unfilled_order_count"])
        return count, count
    rule = entry.get("weight_rule") or {}
    if rule.get("by") == "counter":
        per_minute = int(rule.get("order_count_1m", 0))
        return per_minute, int(rule.get("order_count_10s", per_minute))
    if counts:
        return int(counts.get("order_count_1m", 0)), int(counts.get("order_count_10s", 0))
    return 0, 0


def _own_windows(entry: Mapping[str, Any]) -> tuple[OwnWindow, ...]:
    rule = entry.get("weight_rule") or {}
    found: list[OwnWindow] = []
    if rule.get("by") == "shared_limit":
        rate = _rate(str(rule.get("limit", "")))
        if rate is not None:
            pair = sorted([f"{entry['method']} {entry['path']}", str(rule.get("shared_with"))])
            found.append(OwnWindow(" + ".join(pair), *rate))
    elif rule.get("by") == "quota":
        for text in rule.get("limits") or ():
            rate = _rate(str(text))
            if rate is not None:
                found.append(OwnWindow(f"{entry['method']} {entry['path']} {text}", *rate))
    for note in entry.get("notes") or ():
        if note.startswith("IP rate limit"):
            rate = _rate(note)
            if rate is not None:
                found.append(OwnWindow(note, *rate))  # shared by every endpoint saying it
    return tuple(found)


def _params(market: str, entry: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    params = [ParamSpec.from_json(param) for param in entry["params"]]
    documented = DOCUMENTED_LIMITS[market].get(entry["path"])
    if documented is not None and documented[1] is not None:
        params = [
            dataclasses.replace(param, maximum=documented[1]) if param.name == "limit" else param
            for param in params
        ]
    else:  # the parameter's own "Maximum: 1000" (Spot's historicalBlockTrades)
        params = [_said_maximum(param) if param.name == "limit" else param for param in params]
    return tuple(params)


_SAID_MAXIMUM = re.compile(r"Maximum:\s*(\d+)")


def _said_maximum(param: ParamSpec) -> ParamSpec:
    found = _SAID_MAXIMUM.search(param.description)
    return dataclasses.replace(param, maximum=int(found.group(1))) if found else param


@cache
def endpoints(market: str) -> tuple[EndpointSpec, ...]:
    """Every endpoint of ``market`` the spec lists (COIN-M's with the paths Binance
    documents but its SDK lacks, ``binance-coinm-rest-extra.json``)."""
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}: one of {', '.join(MARKETS)}")
    entries = json.loads(spec_text(f"binance-{market}-rest.json"))
    if market == "coinm":
        entries += json.loads(spec_text("binance-coinm-rest-extra.json"))
    found = []
    for entry in entries:
        orders_1m, orders_10s = _order_counts(entry)
        found.append(
            EndpointSpec(
                market=market,
                method=entry["method"],
                path=entry["path"],
                security=entry["security"],
                params=_params(market, entry),
                weight=Weight(entry, _default_limit(market, entry)),
                orders_1m=orders_1m,
                orders_10s=orders_10s,
                own_windows=_own_windows(entry),
                notes=tuple(entry.get("notes") or ()),
                entry=entry,
            )
        )
    return tuple(found)


@cache
def _responses(market: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(spec_text(f"binance-{market}-responses.json"))
    return loaded


def documented_answer(market: str, method: str, path: str) -> Any:
    """A deep copy of the endpoint's documented example answer (the first, when the page
    shows several); ``{}`` when the docs show none."""
    entry = _responses(market).get(f"{method} {path}") or {}
    if "example" in entry:
        return copy.deepcopy(entry["example"])
    examples = entry.get("examples") or [{}]
    return copy.deepcopy(examples[0])

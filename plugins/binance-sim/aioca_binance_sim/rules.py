"""The cross-parameter rules Binance documents for an endpoint, read from the spec's
``notes`` and parameter descriptions: which of two parameters must be sent, which cannot
be sent together, what an order ``type`` makes mandatory, what ``closePosition=true``
forbids. They are read by patterns over Binance's own sentences, so the simulator checks
what the documentation says rather than what the client declares.

Errors are Binance's: -1102 for a missing parameter ("Mandatory parameter '%s' was not
sent, was empty/null, or malformed." / "Param '%s' or '%s' must be sent, but both were
empty/null!"), -1128 "Combination of optional parameters invalid." for parameters that
cannot be sent together, -1106 "Parameter '%s' sent when not required." for one that a
sent value rules out.

Rules read from further sentences, and the codes chosen where the docs name none:

- "If provided, `b` is required", "must be sent together with `b`", "Both `a` and `b`
  must be sent" / "are required", "These parameters must be specified together",
  "Required if `t` is `X` or `Y`", "mandatory when `t` set to `X`": a missing parameter,
  -1102 "Mandatory parameter '%s' was not sent, was empty/null, or malformed."
- "Either `a` or `b` or both, must be specified" (only where the sentence's parameter
  can be used at all: its "Can be used if" condition), "User needs to supply either or
  both of the input parameter": -1102 "Param '%s' or '%s' must be sent, but both were
  empty/null!".
- "Can be used if `t` is `X`, `Y`", "This can only be used if `a` is `X`, or if `t` is
  `Y`", "only avaliable for `X`/`Y` order": a parameter sent where the sentence does not
  allow it, -1106 "Parameter '%s' sent when not required." (chosen: Binance's code for a
  parameter the request's other values rule out).
- "If supplied, neither startTime or endTime can be provided": -1128 (chosen, as for
  every "cannot be sent together").
- "The value cannot be less than `N`", "Values smaller than `N` are reserved and cannot
  be used": -1130 "Data sent for parameter '%s' is not valid." (chosen: Binance's code
  for a well-formed value it does not accept).
- "The time between `startTime` and `endTime` can't be longer than 24 hours" (and the
  "7 days", "1 year", "30 days", "up to 200 days", "less then 7 days" variants), checked
  when both are sent: -1127 "More than %s hours between startTime and endTime."
- "The maximum number of symbols allowed in a request is 100", "(max: 100)", "min 0.1,
  max 10": -1130 (chosen, as above).
- "Must be used together with parameter `symbol`": -1102 on the missing one.
- "Similar to `POST /api/v3/order`, additional mandatory parameters are determined by
  `type`" (cancelReplace): New Order's table by type.
- ``closePosition`` "Close-All, used with `STOP_MARKET` or `TAKE_PROFIT_MARKET`":
  ``closePosition=true`` on another type, -1106 "Parameter 'closePosition' sent when not
  required." (chosen, as for every parameter a sent value rules out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from .endpoints import EndpointSpec, endpoints
from .errors import SimError, mandatory_missing

__all__ = ["SENTENCE_PATTERNS", "Rules", "rules_of"]

_NAME = r"`?\s*([A-Za-z]\w*)\s*`?"
_EITHER = re.compile(
    rf"(?:[Ee]ither\s*)?{_NAME}\s+or\s+{_NAME}\s+"
    r"(?:must be (?:sent|provided)|should be sent|is required|must be provided)"
)
_TOGETHER = re.compile(
    rf"{_NAME}\s+and\s+{_NAME}\s+cannot be (?:sent together|used in combination)",
    re.IGNORECASE,
)
_COMBINATION = re.compile(r"[Cc]annot be used in combination with `(\w+)`(?: or `(\w+)`)?")
_IN_COMBINATION_ONLY = re.compile(r"[Cc]an only be used in combination with `(\w+)`")
_SENT_WITH = re.compile(
    rf"{_NAME}\s+(?:can't|cannot|can not)\s+be sent with\s+{_NAME}(?:\s+or\s+{_NAME})?",
    re.IGNORECASE,
)
_NOT_WITH_PRICE = re.compile(r"[Cc]an(?:'t|not) be passed together with `(\w+)`")
_CLOSE_ALL = re.compile(r"[Cc]annot be sent with `closePosition`?\s*=\s*`?true`")
_ONLY_WITH = re.compile(rf"{_NAME}\s+can only be sent together with\s+{_NAME}", re.IGNORECASE)
_OPTIONAL_IF = re.compile(r"If `(\w+)` is specified, `(\w+)` becomes optional")
_TYPE_ROW = re.compile(r"^\|?\s*`([A-Z_/]+)`\s*\|\s*([^|]+)")
_BACKTICKED = re.compile(r"`(\w+)`")
_VALUES = r"((?:`\w+`(?:\s*,\s*(?:or\s+)?|\s+or\s+)?)+)"
_IF_PROVIDED = re.compile(r"If provided, `(\w+)` is required")
_SENT_TOGETHER_WITH = re.compile(r"must be sent together with `(\w+)`")
_BOTH_REQUIRED = re.compile(r"[Bb]oth `(\w+)` and `(\w+)` (?:must be sent|are required)")
_SPECIFIED_TOGETHER = re.compile(
    r"`(\w+)` and `(\w+)`[^.]*\.\s*These parameters must be specified together"
)
_REQUIRED_IF = re.compile(rf"Required if `(\w+)` is {_VALUES}")
_MANDATORY_WHEN = re.compile(r"mandatory when `(\w+)` set to `(\w+)`")
_CAN_BE_USED_IF = re.compile(rf"Can be used if `(\w+)` is {_VALUES}")
_ONLY_IF = re.compile(
    r"can only be used if `(\w+)` is `(\w+)`(?:,?\s+or\s+(?:if\s+)?`(\w+)` is `(\w+)`)?"
)
_ONLY_FOR_TYPES = re.compile(r"[Oo]nly ava\w*able for ((?:`?[A-Z_]+`?/?)+) order")
_EITHER_OR_BOTH = re.compile(r"Either `(\w+)` or `(\w+)` or both,? must be specified")
_EITHER_INPUT = re.compile(r"supply either or both of the input parameter")
_NEITHER = re.compile(r"If supplied, neither `?(\w+)`? or `?(\w+)`? can be provided")
_MINIMUM = re.compile(r"(?:cannot be less than|Values smaller than) `(\d+)`")
_MOST_SYMBOLS = re.compile(r"maximum number of `?symbols`? allowed in a request is (\d+)")
_USED_TOGETHER = re.compile(r"[Mm]ust be used together with (?:parameter )?`(\w+)`")
_MAXIMUM = re.compile(r"\(max: (\d+)\)")
_RANGE = re.compile(r"min ([\d.]+), max ([\d.]+)")
# (a full-width comma in some of Binance's pages)
_CLOSE_ALL_TYPES = re.compile(r"Close-All\s*[,\uff0c]\s*used with `(\w+)` or `(\w+)`")
_SIMILAR_TABLE = re.compile(
    r"Similar to `POST (/\S+)`, additional mandatory parameters are determined by `type`"
)
_SPAN = re.compile(
    r"(?:time between|difference between|query time period)[^.]*?"
    r"(?:can't be longer than|cannot be longer than|can not be longer than|"
    r"can't be more than|must be less than|must be less then|can only be up to)\s*"
    r"(\d+|one|an?)\s*(hours?|days?|years?)"
)
_HOURS = {"hour": 1, "day": 24, "year": 24 * 365}
_NO_COMBINATION = re.compile(r"No combination of multiple parameters is allowed")
_TABLE_NOTE = re.compile(r"[Mm]andatory parameters based on")
_COMBINATIONS_NOTE = re.compile(r"upported (?:parameter )?combinations")

SENTENCE_PATTERNS: tuple[re.Pattern[str], ...] = (
    _EITHER, _TOGETHER, _COMBINATION, _IN_COMBINATION_ONLY, _SENT_WITH, _NOT_WITH_PRICE,
    _CLOSE_ALL, _ONLY_WITH, _OPTIONAL_IF, _TYPE_ROW, _IF_PROVIDED, _SENT_TOGETHER_WITH,
    _BOTH_REQUIRED, _SPECIFIED_TOGETHER, _REQUIRED_IF, _MANDATORY_WHEN, _CAN_BE_USED_IF,
    _ONLY_IF, _ONLY_FOR_TYPES, _EITHER_OR_BOTH, _EITHER_INPUT, _NEITHER, _MINIMUM,
    _MOST_SYMBOLS, _SPAN, _NO_COMBINATION, _TABLE_NOTE, _COMBINATIONS_NOTE, _USED_TOGETHER,
    _MAXIMUM, _RANGE, _SIMILAR_TABLE, _CLOSE_ALL_TYPES,
)  # fmt: skip
"""Every sentence pattern the rules are read by (the tests' inventory of Binance's prose
checks each rule-like sentence of the spec against them)."""


Condition = tuple[tuple[str, frozenset[str]], ...]
"""Holds when any ``(name, values)`` has ``name`` sent with one of ``values`` (the
empty condition always holds)."""


def _holds(condition: Condition, values: Mapping[str, Any]) -> bool:
    return not condition or any(
        name in values and str(values[name]) in allowed for name, allowed in condition
    )


def _longer(values: Mapping[str, Any], hours: int) -> bool:
    """Both ends sent, further apart than ``hours``."""
    if "startTime" not in values or "endTime" not in values:
        return False
    return bool(values["endTime"] - values["startTime"] > hours * 3_600_000)


@dataclass(frozen=True, slots=True)
class Rules:
    """One endpoint's documented rules."""

    one_of: tuple[tuple[str, ...], ...] = ()
    """Groups of which at least one must be sent."""
    exclusive: tuple[tuple[str, str], ...] = ()
    """Pairs that cannot be sent together."""
    needs: tuple[tuple[str, str], ...] = ()
    """``(a, b)``: ``a`` only together with ``b``."""
    by_type: Mapping[str, tuple[tuple[str, ...], ...]] | None = None
    """Order ``type`` -> what it makes mandatory (each entry: one of these names)."""
    close_all_forbids: tuple[str, ...] = ()
    """Parameters that cannot be sent with ``closePosition=true``."""
    close_all_types: tuple[str, ...] = ()
    """The order types ``closePosition=true`` is used with ("Close-All, used with
    `STOP_MARKET` or `TAKE_PROFIT_MARKET`")."""
    optional_if: tuple[tuple[str, str], ...] = ()
    """``(a, b)``: ``b`` becomes optional when ``a`` is sent."""
    combinations: tuple[frozenset[str], ...] = ()
    """The only combinations of these parameters the endpoint supports (Spot's
    ``myTrades``: "These are the supported combinations of all parameters")."""
    requires: tuple[tuple[str, str], ...] = ()
    """``(a, b)``: when ``a`` is sent, ``b`` must be too (-1102 on ``b``)."""
    required_when: tuple[tuple[str, Condition], ...] = ()
    """``(name, condition)``: ``name`` must be sent when the condition holds."""
    allowed_when: tuple[tuple[str, Condition], ...] = ()
    """``(name, condition)``: ``name`` may only be sent when the condition holds."""
    one_of_when: tuple[tuple[tuple[str, ...], Condition], ...] = ()
    """``(group, condition)``: one of ``group`` must be sent when the condition holds."""
    minimum: tuple[tuple[str, Decimal], ...] = ()
    """``(name, least)``: the smallest value ``name`` takes."""
    maximum: tuple[tuple[str, Decimal], ...] = ()
    """``(name, most)``: the largest value ``name`` takes."""
    span_hours: int | None = None
    """The longest ``startTime``..``endTime`` span, in hours, when both are sent."""
    most_symbols: int | None = None
    """How many ``symbols`` one request may name."""

    def check(self, values: Mapping[str, Any]) -> None:
        """Raise the SimError Binance answers for the first rule ``values`` break."""
        for group in self.one_of:
            if not any(name in values for name in group):
                if len(group) == 1:
                    raise mandatory_missing(group[0])
                names = "' or '".join(group)
                raise SimError(-1102, f"Param '{names}' must be sent, but both were empty/null!")
        if self.by_type is not None and "type" in values:
            for group in self.by_type.get(str(values["type"]), ()):
                if any(name in values for name in group):
                    continue
                if any(b in group and a in values for a, b in self.optional_if):
                    continue
                if len(group) == 1:
                    raise mandatory_missing(group[0])
                names = "' or '".join(group)
                raise SimError(-1102, f"Param '{names}' must be sent, but both were empty/null!")
        for a, b in self.requires:
            if a in values and b not in values:
                raise mandatory_missing(b)
        for name, condition in self.required_when:
            if name not in values and _holds(condition, values):
                raise mandatory_missing(name)
        for group, condition in self.one_of_when:
            if _holds(condition, values) and not any(name in values for name in group):
                names = "' or '".join(group)
                raise SimError(-1102, f"Param '{names}' must be sent, but both were empty/null!")
        for name, condition in self.allowed_when:
            if name in values and not _holds(condition, values):
                raise SimError(-1106, f"Parameter '{name}' sent when not required.")
        for name, least in self.minimum:
            if name in values and values[name] < least:
                raise SimError(-1130, f"Data sent for parameter '{name}' is not valid.")
        for name, most in self.maximum:
            if name in values and values[name] > most:
                raise SimError(-1130, f"Data sent for parameter '{name}' is not valid.")
        if self.most_symbols is not None and len(values.get("symbols") or ()) > self.most_symbols:
            raise SimError(-1130, "Data sent for parameter 'symbols' is not valid.")
        if self.span_hours is not None and _longer(values, self.span_hours):
            raise SimError(
                -1127, f"More than {self.span_hours} hours between startTime and endTime."
            )
        for a, b in self.exclusive:
            if a in values and b in values:
                raise SimError(-1128, "Combination of optional parameters invalid.")
        for a, b in self.needs:
            if a in values and b not in values:
                raise SimError(-1128, "Combination of optional parameters invalid.")
        if self.combinations:
            named = frozenset().union(*self.combinations)
            if frozenset(name for name in values if name in named) not in self.combinations:
                raise SimError(-1128, "Combination of optional parameters invalid.")
        if str(values.get("closePosition", "")).lower() == "true":
            if self.close_all_types and values.get("type") not in self.close_all_types:
                raise SimError(-1106, "Parameter 'closePosition' sent when not required.")
            for name in self.close_all_forbids:
                if name in values:
                    raise SimError(-1106, f"Parameter '{name}' sent when not required.")


def _resolver(spec: EndpointSpec) -> Mapping[str, str]:
    """Lower-cased names -> the endpoint's parameter names (prose writes "Symbol")."""
    return {param.name.lower(): param.name for param in spec.params}


def _names(known: Mapping[str, str], found: Iterable[str | None]) -> list[str] | None:
    names = [known.get(name.lower()) for name in found if name]
    return None if not names or any(name is None for name in names) else names  # type: ignore[return-value]


def _type_table(notes: Iterable[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Rows ``| `LIMIT` | `timeInForce`, `quantity`, `price` |`` of the "Additional
    mandatory parameters based on `type`" table; ``a or b`` is one entry."""
    table: dict[str, tuple[tuple[str, ...], ...]] = {}
    for note in notes:
        row = _TYPE_ROW.match(note.strip())
        if row is None:
            continue
        kind, cell = row.groups()
        entries = []
        for part in cell.split(","):
            names = tuple(_BACKTICKED.findall(part))
            if names:
                entries.append(names)
        for one in kind.split("/"):  # `STOP/TAKE_PROFIT`: one row for both types
            table[one] = tuple(entries)
    return table


def _texts(spec: EndpointSpec) -> list[str]:
    return [*spec.notes, *(param.description for param in spec.params if param.description)]


@cache
def rules_of(market: str, method: str, path: str) -> Rules:
    """The documented rules of one endpoint (see the module docstring)."""
    spec = next(s for s in endpoints(market) if (s.method, s.path) == (method, path))
    known = _resolver(spec)
    one_of: list[tuple[str, ...]] = []
    exclusive: list[tuple[str, str]] = []
    needs: list[tuple[str, str]] = []
    optional_if: list[tuple[str, str]] = []
    close_all: list[str] = []
    close_types: tuple[str, ...] = ()
    for text in _texts(spec):
        for match in _EITHER.finditer(text):
            names = _names(known, match.groups())
            if names and len(set(names)) == 2 and tuple(names) not in one_of:
                one_of.append(tuple(names))
        for match in _TOGETHER.finditer(text):
            names = _names(known, match.groups())
            if names:
                exclusive.append((names[0], names[1]))
        for match in _SENT_WITH.finditer(text):
            first, *others = match.groups()
            for other in others:
                if other is None:
                    continue
                names = _names(known, (first, other))
                if names:
                    exclusive.append((names[0], names[1]))
        for match in _ONLY_WITH.finditer(text):
            names = _names(known, match.groups())
            if names:
                needs.append((names[0], names[1]))
        for match in _OPTIONAL_IF.finditer(text):
            names = _names(known, match.groups())
            if names:
                optional_if.append((names[0], names[1]))
    subjects = [(param.name, param.description) for param in spec.params]
    for note in spec.notes:  # "`permissions` ... This cannot be used in combination with"
        named = _BACKTICKED.match(note.strip())
        if named is not None:
            subjects.append((named.group(1), note))
    for subject, text in subjects:
        for match in _COMBINATION.finditer(text):
            for other in match.groups():
                names = _names(known, (subject, other)) if other else None
                if names:
                    exclusive.append((names[0], names[1]))
        for match in _IN_COMBINATION_ONLY.finditer(text):
            names = _names(known, (subject, match.group(1)))
            if names:
                needs.append((names[0], names[1]))
    if _omission_documented(spec):
        one_of = [group for group in one_of if set(group) != {"symbol", "symbols"}]
    for param in spec.params:
        for match in _NOT_WITH_PRICE.finditer(param.description):
            names = _names(known, (param.name, match.group(1)))
            if names:
                exclusive.append((names[0], names[1]))
                optional_if.append((names[0], names[1]))  # it prices the order instead
        if _CLOSE_ALL.search(param.description) and "closePosition" in known.values():
            close_all.append(param.name)
        found_types = _CLOSE_ALL_TYPES.search(param.description)
        if found_types is not None and param.name == "closePosition":
            close_types = found_types.groups()
    if any(_NO_COMBINATION.search(note) for note in spec.notes):
        optional = [p.name for p in spec.params if not p.required and p.name != "recvWindow"]
        exclusive += [(a, b) for i, a in enumerate(optional) for b in optional[i + 1 :]]
    by_type = _type_table(spec.notes) or None
    for note in spec.notes:  # cancelReplace: "Similar to `POST /api/v3/order`, ..."
        similar = _SIMILAR_TABLE.search(note)
        if similar is not None and by_type is None:
            source = rules_of(spec.market, "POST", similar.group(1))
            by_type = dict(source.by_type) if source.by_type else None
            optional_if += [pair for pair in source.optional_if if pair[1] in known.values()]
    if any(_TABLE_NOTE.search(note) for note in spec.notes):
        by_type = _futures_type_table(spec) or by_type
    prose = _prose(spec, known)
    for a, b in _neither_pairs(spec, known):
        exclusive.append((a, b))
    if any(_EITHER_INPUT.search(note) for note in spec.notes):
        inputs = tuple(p.name for p in spec.params if not p.required and p.name not in _SERVER_SIDE)
        if inputs and inputs not in one_of:
            one_of.append(inputs)
    return Rules(
        one_of=tuple(one_of),
        exclusive=tuple(dict.fromkeys(exclusive)),
        needs=tuple(dict.fromkeys(needs)),
        by_type=by_type,
        close_all_forbids=tuple(close_all),
        close_all_types=close_types,
        optional_if=tuple(optional_if),
        combinations=_combinations(spec.notes, known),
        **prose,
    )


_SERVER_SIDE = frozenset({"recvWindow", "timestamp", "signature"})


def _condition(known: Mapping[str, str], name: str, listed: Iterable[str]) -> Condition | None:
    found = known.get(name.lower())
    if found is None:
        return None
    return ((found, frozenset(listed)),)


def _neither_pairs(spec: EndpointSpec, known: Mapping[str, str]) -> list[tuple[str, str]]:
    pairs = []
    for param in spec.params:
        for match in _NEITHER.finditer(param.description):
            for other in match.groups():
                names = _names(known, (param.name, other))
                if names:
                    pairs.append((names[0], names[1]))
    return pairs


def _prose(spec: EndpointSpec, known: Mapping[str, str]) -> dict[str, Any]:
    """The rules of the sentences listed in the module docstring (after the first
    group), each tied to the parameter whose description says it, or to the names the
    endpoint's note gives."""
    requires: list[tuple[str, str]] = []
    required_when: list[tuple[str, Condition]] = []
    allowed_when: list[tuple[str, Condition]] = []
    one_of_when: list[tuple[tuple[str, ...], Condition]] = []
    minimum: list[tuple[str, Decimal]] = []
    maximum: list[tuple[str, Decimal]] = []
    span: int | None = None
    most: int | None = None
    for text in _texts(spec):
        for match in _BOTH_REQUIRED.finditer(text):
            names = _names(known, match.groups())
            if names:
                requires += [(names[0], names[1]), (names[1], names[0])]
        for match in _SPECIFIED_TOGETHER.finditer(text):
            names = _names(known, match.groups())
            if names:
                requires += [(names[0], names[1]), (names[1], names[0])]
        for match in _SPAN.finditer(text):
            number, unit = match.groups()
            count = int(number) if number.isdigit() else 1
            hours = count * _HOURS[unit.rstrip("s")]
            span = hours if span is None else min(span, hours)
        found = _MOST_SYMBOLS.search(text)
        if found is not None and "symbols" in known.values():
            most = int(found.group(1))
    for param in spec.params:
        text, name = param.description, param.name
        for match in _IF_PROVIDED.finditer(text):
            names = _names(known, (name, match.group(1)))
            if names:
                requires.append((names[0], names[1]))
        for match in _SENT_TOGETHER_WITH.finditer(text):
            names = _names(known, (name, match.group(1)))
            if names:
                requires.append((names[0], names[1]))
        for match in _REQUIRED_IF.finditer(text):
            condition = _condition(known, match.group(1), _BACKTICKED.findall(match.group(2)))
            if condition:
                required_when.append((name, condition))
        for match in _MANDATORY_WHEN.finditer(text):
            condition = _condition(known, match.group(1), (match.group(2),))
            if condition:
                required_when.append((name, condition))
        usable: Condition | None = None
        for match in _CAN_BE_USED_IF.finditer(text):
            usable = _condition(known, match.group(1), _BACKTICKED.findall(match.group(2)))
            if usable:
                allowed_when.append((name, usable))
        for match in _ONLY_IF.finditer(text):
            first, first_value, second, second_value = match.groups()
            parts = [_condition(known, first, (first_value,))]
            if second:
                parts.append(_condition(known, second, (second_value,)))
            elif first.endswith("TimeInForce") and name.endswith("IcebergQty"):
                # OCO's "only if `aboveTimeInForce` is `GTC`": a LIMIT_MAKER leg has no
                # time in force, and "Any `LIMIT` or `LIMIT_MAKER` type order can be made
                # an iceberg order" (New Order's note; the OTO pages say it in full).
                kind = first.removesuffix("TimeInForce") + "Type"
                if kind.lower() in known:
                    parts.append(_condition(known, kind, ("LIMIT_MAKER",)))
            if all(parts):
                allowed_when.append((name, tuple(c for part in parts if part for c in part)))
        for match in _ONLY_FOR_TYPES.finditer(text):
            condition = _condition(known, "type", re.findall(r"[A-Z_]+", match.group(1)))
            if condition:
                allowed_when.append((name, condition))
        for match in _EITHER_OR_BOTH.finditer(text):
            names = _names(known, match.groups())
            if names and usable:
                one_of_when.append((tuple(names), usable))
            elif names:
                one_of_when.append((tuple(names), ()))
        found = _MINIMUM.search(text)
        if found is not None and param.type in ("LONG", "INT"):
            minimum.append((name, Decimal(found.group(1))))
        found = _MAXIMUM.search(text)
        if found is not None and param.type in ("LONG", "INT", "DECIMAL"):
            maximum.append((name, Decimal(found.group(1))))
        found = _RANGE.search(text)
        if found is not None and param.type in ("LONG", "INT", "DECIMAL"):
            minimum.append((name, Decimal(found.group(1))))
            maximum.append((name, Decimal(found.group(2))))
        for match in _USED_TOGETHER.finditer(text):
            names = _names(known, (name, match.group(1)))
            if names:
                requires.append((names[0], names[1]))
    return {
        "requires": tuple(dict.fromkeys(requires)),
        "required_when": tuple(required_when),
        "allowed_when": tuple(allowed_when),
        "one_of_when": tuple(one_of_when),
        "minimum": tuple(minimum),
        "maximum": tuple(maximum),
        "span_hours": span,
        "most_symbols": most,
    }


_COMBINATION_ROW = re.compile(r"^`\w+`(?:\s*\+\s*`\w+`)*$")


def _combinations(notes: Iterable[str], known: Mapping[str, str]) -> tuple[frozenset[str], ...]:
    """The rows after "supported combinations": `` `symbol` + `orderId` `` (a table's first
    column, or a line of its own)."""
    found: list[frozenset[str]] = []
    listing = False
    for note in notes:
        if _COMBINATIONS_NOTE.search(note):
            listing = True
            continue
        if not listing:
            continue
        cell = note.split("|", 1)[0].strip()
        if _COMBINATION_ROW.match(cell):
            names = _names(known, _BACKTICKED.findall(cell))
            if names:
                found.append(frozenset(names))
        elif not cell.startswith("Parameters"):  # the table's header; anything else ends it
            listing = False
    return tuple(found)


def _omission_documented(spec: EndpointSpec) -> bool:
    """Spot's 24-hour ticker: the SDK's description says "Either `symbol` or `symbols`
    must be provided", but the endpoint's weight table prices the request with both
    omitted (all symbols), as Binance's docs page answers it: omission is allowed."""
    rule = spec.weight.rule or {}
    return rule.get("by") == "symbols" and any(
        "omitted" in str(row.get("symbols")) and row.get("parameter") == "symbols"
        for row in rule.get("table", ())
    )


_ORDER_PAGES = ("/order", "/order/test")
"""New Order and Test New Order take the same parameters; each page of a futures market
carries the table by ``type`` (USDⓈ-M's New Order copy has only its LIMIT and MARKET rows,
its Test New Order page all seven)."""


def _family_tables(market: str, prefix: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    table: dict[str, tuple[tuple[str, ...], ...]] = {}
    for other in endpoints(market):
        if other.method == "POST" and other.path in {prefix + page for page in _ORDER_PAGES}:
            for kind, row in _type_table(other.notes).items():
                table.setdefault(kind, row)
    return table


def _futures_type_table(spec: EndpointSpec) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """The whole table by ``type`` for a futures New Order (or its test, or a batch item)
    the rows of the market's own New Order pages, then, for COIN-M, whose spec copy lost
    the table, USDⓈ-M's rows (the same documentation family; Binance's COIN-M New Order
    page, https://developers.binance.com/docs/derivatives/coin-margined-futures/trade/New-Order,
    lists the same rows: LIMIT timeInForce, quantity, price; MARKET quantity;
    STOP/TAKE_PROFIT quantity, price, stopPrice; STOP_MARKET/TAKE_PROFIT_MARKET stopPrice;
    TRAILING_STOP_MARKET callbackRate)."""
    if spec.market not in ("usdm", "coinm") or spec.method != "POST":
        return None
    for page in _ORDER_PAGES:
        if spec.path.endswith(page):
            prefix = spec.path.removesuffix(page)
            break
    else:
        return None
    table = _family_tables(spec.market, prefix)
    if spec.market == "coinm":
        for kind, row in _family_tables("usdm", "/fapi/" + prefix.removeprefix("/dapi/")).items():
            table.setdefault(kind, row)
    # only the rows the endpoint can honour: USDⓈ-M's New Order no longer takes
    # ``stopPrice`` or ``callbackRate`` (its conditional types moved to the algo order
    # endpoint, which answers them -4120), so its own two rows stay its table
    taken = {param.name for param in spec.params}
    table = {
        kind: row
        for kind, row in table.items()
        if all(name in taken for entry in row for name in entry)
    }
    return table or None

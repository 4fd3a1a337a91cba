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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .endpoints import EndpointSpec, endpoints
from .errors import SimError, mandatory_missing

__all__ = ["Rules", "rules_of"]

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
_NOT_WITH_PRICE = re.compile(r"[Cc]an't be passed together with `(\w+)`")
_CLOSE_ALL = re.compile(r"[Cc]annot be sent with `closePosition`\s*=\s*`true`")
_ONLY_WITH = re.compile(rf"{_NAME}\s+can only be sent together with\s+{_NAME}", re.IGNORECASE)
_OPTIONAL_IF = re.compile(r"If `(\w+)` is specified, `(\w+)` becomes optional")
_TYPE_ROW = re.compile(r"^\|?\s*`([A-Z_]+)`\s*\|\s*([^|]+)")
_BACKTICKED = re.compile(r"`(\w+)`")


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
    optional_if: tuple[tuple[str, str], ...] = ()
    """``(a, b)``: ``b`` becomes optional when ``a`` is sent."""
    combinations: tuple[frozenset[str], ...] = ()
    """The only combinations of these parameters the endpoint supports (Spot's
    ``myTrades``: "These are the supported combinations of all parameters")."""

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
        table[kind] = tuple(entries)
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
        if _CLOSE_ALL.search(param.description) and "closePosition" in known.values():
            close_all.append(param.name)
    if any("No combination of multiple parameters is allowed" in note for note in spec.notes):
        optional = [p.name for p in spec.params if not p.required and p.name != "recvWindow"]
        exclusive += [(a, b) for i, a in enumerate(optional) for b in optional[i + 1 :]]
    by_type = _type_table(spec.notes) or None
    if by_type is None and any("mandatory parameters based on" in n for n in spec.notes):
        by_type = _borrowed_type_table(spec)
    return Rules(
        one_of=tuple(one_of),
        exclusive=tuple(dict.fromkeys(exclusive)),
        needs=tuple(dict.fromkeys(needs)),
        by_type=by_type,
        close_all_forbids=tuple(close_all),
        optional_if=tuple(optional_if),
        combinations=_combinations(spec.notes, known),
    )


_COMBINATION_ROW = re.compile(r"^`\w+`(?:\s*\+\s*`\w+`)*$")


def _combinations(notes: Iterable[str], known: Mapping[str, str]) -> tuple[frozenset[str], ...]:
    """The rows after "supported combinations": `` `symbol` + `orderId` `` (a table's first
    column, or a line of its own)."""
    found: list[frozenset[str]] = []
    listing = False
    for note in notes:
        if "upported combinations" in note or "upported parameter combinations" in note:
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


def _borrowed_type_table(spec: EndpointSpec) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """COIN-M's New Order note announces the table by ``type`` but the spec's copy lost
    its rows; the same page of USDⓈ-M futures (the same documentation family, which the
    COIN-M integration notice follows) has them."""
    if spec.market != "coinm" or not spec.path.startswith("/dapi/"):
        return None
    twin = "/fapi/" + spec.path.removeprefix("/dapi/")
    for other in endpoints("usdm"):
        if (other.method, other.path) == (spec.method, twin):
            return _type_table(other.notes) or None
    return None

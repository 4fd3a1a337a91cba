"""Task names from templates, without the parameters that were not given.

A task's name is a template over its parameters, ``"Query order on {symbol} (id {orderId},
client id {origClientOrderId})"``. Most parameters are optional, and a name that reads
``client id None`` or ``klines <None to 1796400762000>`` says something the user never
asked for. :func:`fill_name` drops what belongs to a missing parameter instead:

- a ``<{start} to {end}>`` range keeps the bound that was given (``<from 5>``,
  ``<until 9>``) or disappears;
- in a parenthesized group, each comma-separated item whose parameters are all missing is
  dropped, and a group left empty goes with its leading space;
- outside groups, a clause introduced by ``:``, ``,`` or one of the linking words ``at on
  of to in from by per`` is dropped when all its parameters are missing (``"quantity 1 at
  {price}"`` becomes ``"quantity 1"``);
- anywhere else a missing placeholder is dropped with the label glued to it (``数量{sz}``).

Plugins call it from their task's ``__str__``; the templates stay as they are.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

__all__ = ["fill_name"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_RANGE = re.compile(r"\s?<\{(\w+)\} to \{(\w+)\}>")
_GROUP = re.compile(r"\s?\(([^()]*)\)")
_CLAUSE_START = re.compile(r"(?=[:,] )|(?=: ?\{)|(?= (?:at|on|of|to|in|from|by|per) )|(?= ?[(<])")
_CJK = re.compile(r"[\u3000-\u9fff]")
_GLUED = r"[\u4e00-\u9fff]*\{%s\}"


def _names(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def _drop_missing(text: str, present: set[str]) -> str:
    """``text`` without each missing placeholder and the CJK label glued to it."""
    for name in set(_names(text)) - present:
        text = re.sub(_GLUED % re.escape(name), "", text)
    return text


def _all_missing(text: str, present: set[str]) -> bool:
    names = _names(text)
    return bool(names) and not any(name in present for name in names)


def _range(match: re.Match[str], present: set[str]) -> str:
    start, end = match.group(1), match.group(2)
    space = " " if match.group(0).startswith(" ") else ""
    chinese = bool(_CJK.search(match.string))
    if start in present and end in present:
        return match.group(0)
    if start in present:
        return f"{space}<{{{start}}} 起>" if chinese else f"{space}<from {{{start}}}>"
    if end in present:
        return f"{space}<至 {{{end}}}>" if chinese else f"{space}<until {{{end}}}>"
    return ""


def _group(match: re.Match[str], present: set[str]) -> str:
    whole, inner = match.group(0), match.group(1)
    items = [item for item in inner.split(", ") if not _all_missing(item, present)]
    kept = ", ".join(_drop_missing(item, present).strip() for item in items).strip()
    if not kept:
        return ""
    if len(items) == len(inner.split(", ")) and kept == inner:
        return whole
    return whole[: len(whole) - len(whole.lstrip())] + "(" + kept + ")"


def _clauses(text: str, present: set[str]) -> str:
    parts = _CLAUSE_START.split(text)
    kept: list[str] = []
    carried = ""
    for index, part in enumerate(parts):
        if index > 0 and _all_missing(part, present):
            if part[:1] in ":" and not carried:  # a dropped ": ..." hands its colon on
                carried = ":"
            continue
        if carried and part.startswith(","):
            part = carried + part[1:]
        carried = ""
        kept.append(_drop_missing(part, present))
    return "".join(kept)


def fill_name(template: str, values: Mapping[str, Any]) -> str:
    """``template.format_map(values)`` without the parts of parameters missing from
    ``values`` (or ``None`` there); see the module's docstring for the rules."""
    present = {name for name, value in values.items() if value is not None}
    if set(_names(template)) <= present:
        return template.format_map(values)
    text = _RANGE.sub(lambda match: _range(match, present), template)
    text = _GROUP.sub(lambda match: _group(match, present), text)
    text = _clauses(text, present)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    text = re.sub(r"\s+([,:)])", r"\1", text).removesuffix(":").strip()
    return string.Formatter().vformat(text, (), dict(values))

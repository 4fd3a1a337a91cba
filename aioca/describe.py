"""What a task class takes and sends, for people: ``aioca describe EXCHANGE TASK``.

Everything comes from what a task class already declares, so a plugin has nothing extra to
write: :meth:`Task.describe() <aioca.Task.describe>` (method, path, security, cost,
summary), the docstring (the first URL in it is the documentation link), and the pydantic
model ``Params`` when the class has one: every field's type, whether it is required, its
default, its allowed values (``Literal`` and ``Enum`` types) and its constraints
(``ge``/``le``/``max_length``/``pattern``...). Rules that span several parameters come
from the model's optional ``describe_rules()`` classmethod, where a plugin states them in
its own terms.

The same descriptions tell the command line how to read a ``NAME=VALUE`` typed by a user:
see :func:`parse_value`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic

from .params import TaskParams
from .task import Task

__all__ = [
    "ParameterDescription",
    "TaskDescription",
    "describe_task",
    "parse_bool",
    "parse_time_ms",
    "parse_value",
]

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
BOOLEAN_WORDS = "true/false, 1/0, yes/no"

# Integer parameters holding a point in time in milliseconds (startTime, endTime, time,
# timestamp, begin, end). countdownTime, a duration, is not one.
_TIME_NAME = re.compile(
    r"^(?:(?:start|end)_?time|time|timestamp|begin|end|(?:start|end)_?ts)$", re.I
)
_RELATIVE = re.compile(r"^now(?:\s*([+-])\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w))?$", re.I)
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_URL = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True)
class ParameterDescription:
    """One parameter of a task class."""

    name: str
    type: str
    """``str``, ``int``, ``decimal``, ``float``, ``bool``, ``time (ms)``, ``list``,
    ``object``, or the name of an enumeration."""
    required: bool
    default: Any = None
    choices: tuple[str, ...] = ()
    """The allowed values, for a ``Literal`` or ``Enum`` type."""
    rules: tuple[str, ...] = ()
    """Constraints in words: ``>= 1``, ``<= 60000``, ``at most 36 characters``..."""
    description: str | None = None

    @property
    def is_bool(self) -> bool:
        return self.type == "bool" or set(self.choices) == {"true", "false"}

    @property
    def is_time(self) -> bool:
        return self.type == "time (ms)"

    @property
    def is_json(self) -> bool:
        return self.type in ("list", "object")


@dataclass(frozen=True)
class TaskDescription:
    """A task class as ``aioca describe`` shows it."""

    name: str
    summary: str = ""
    details: dict[str, str] = field(default_factory=dict)
    """What :meth:`Task.describe` returned (``method``, ``path``, ``security``, ``cost``...)."""
    parameters: tuple[ParameterDescription, ...] = ()
    rules: tuple[str, ...] = ()
    """Rules that span several parameters (``'orderId' or 'origClientOrderId' must be sent``)."""
    doc_url: str | None = None
    doc: str = ""

    def parameter(self, name: str) -> ParameterDescription | None:
        return next((p for p in self.parameters if p.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``aioca describe --json``)."""
        data = asdict(self)
        data["parameters"] = [
            {**asdict(p), "choices": list(p.choices), "rules": list(p.rules)}
            for p in self.parameters
        ]
        data["rules"] = list(self.rules)
        plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
        return plain


def describe_task(task_class: type[Task]) -> TaskDescription:
    """Describe ``task_class`` from its ``describe()``, docstring and ``Params`` model."""
    details = dict(task_class.describe())
    doc = (task_class.__doc__ or "").strip()
    summary = details.pop("summary", "") or (doc.splitlines()[0] if doc else "")
    doc_url = details.pop("doc_url", None)
    if doc_url is None:
        found = _URL.search(doc)
        doc_url = found.group(0) if found else None
    model = getattr(task_class, "Params", None)
    parameters: tuple[ParameterDescription, ...] = ()
    rules: tuple[str, ...] = ()
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        parameters = tuple(_parameter(name, info) for name, info in model.model_fields.items())
        rules = tuple(_model_rules(model))
    return TaskDescription(
        name=task_class.__name__,
        summary=summary,
        details=details,
        parameters=parameters,
        rules=rules,
        doc_url=doc_url,
        doc=doc,
    )


def _model_rules(model: type[pydantic.BaseModel]) -> list[str]:
    """The rules across parameters: those a :class:`~aioca.params.TaskParams` declares,
    then any a model adds in words through an optional ``describe_rules()`` classmethod."""
    rules: list[str] = []
    if issubclass(model, TaskParams):
        for group in model.one_of:
            rules.append(f"{' or '.join(repr(name) for name in group)} must be sent")
        for first, second in model.exclusive:
            rules.append(f"{first!r} and {second!r} cannot be sent together")
        for name, values, required in model.required_when:
            needed = [_alternatives(item) for item in required]
            listed = ", ".join(needed[:-1]) + " and " + needed[-1] if len(needed) > 1 else needed[0]
            rules.append(f"when {name} is {' or '.join(values)}: send {listed}")
    describe_rules = getattr(model, "describe_rules", None)
    if callable(describe_rules):
        rules += [str(rule) for rule in describe_rules()]
    return rules


def _alternatives(item: str) -> str:
    first, *others = item.split("|")
    return repr(first) + "".join(f" (or {other!r})" for other in others)


# --- types ------------------------------------------------------------------------------


def _parameter(name: str, info: Any) -> ParameterDescription:
    annotation, metadata = _unwrap(info.annotation)
    metadata = [*info.metadata, *metadata]
    kind, choices = _kind(annotation)
    if kind == "int" and _TIME_NAME.match(name):
        kind = "time (ms)"
    required = bool(info.is_required())
    default = None if required else info.get_default(call_default_factory=True)
    return ParameterDescription(
        name=name,
        type=kind,
        required=required,
        default=default.value if isinstance(default, enum.Enum) else default,
        choices=choices,
        rules=tuple(_rules(metadata)),
        description=info.description,
    )


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The annotation without ``None`` in a union and without ``Annotated``, and the
    metadata found on the way."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            metadata += list(annotation.__metadata__)
            annotation = annotation.__origin__
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        kinds = {type(value).__name__ for value in values}
        return (kinds.pop() if len(kinds) == 1 else "str"), tuple(str(v) for v in values)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation.__name__, tuple(str(member.value) for member in annotation)
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple):
        return "list", ()
    if origin is dict or annotation is dict:
        return "object", ()
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "object", ()
    simple = {bool: "bool", int: "int", float: "float", Decimal: "decimal", str: "str"}
    if annotation in simple:
        return simple[annotation], ()
    return getattr(annotation, "__name__", str(annotation)), ()


_INT64_MAX = 2**63 - 1  # the generic bound of every integer (aioca.params.Count): not news


def _rules(metadata: list[Any]) -> list[str]:
    """The constraints in ``metadata`` in words, the tightest bound of each side only."""
    items: list[Any] = []
    for item in metadata:
        items += list(item.metadata) if isinstance(item, pydantic.fields.FieldInfo) else [item]
    lower: tuple[Any, str] | None = None
    upper: tuple[Any, str] | None = None
    words: list[str] = []
    for item in items:
        for attribute, sign in (("ge", ">="), ("gt", ">")):
            value = getattr(item, attribute, None)
            if value is not None and (lower is None or value > lower[0]):
                lower = (value, sign)
        for attribute, sign in (("le", "<="), ("lt", "<")):
            value = getattr(item, attribute, None)
            if value is not None and value < _INT64_MAX and (upper is None or value < upper[0]):
                upper = (value, sign)
        for attribute, text in (
            ("multiple_of", "a multiple of {}"),
            ("min_length", "at least {} characters"),
            ("max_length", "at most {} characters"),
            ("pattern", "matches {}"),
        ):
            value = getattr(item, attribute, None)
            if value is not None and not callable(value):
                words.append(text.format(value))
    bounds: list[str] = []
    if lower is not None:
        bounds.append(f"{lower[1]} {lower[0]}")
    if upper is not None:
        bounds.append(f"{upper[1]} {upper[0]}")
    return bounds + list(dict.fromkeys(words))


# --- values typed by a user -------------------------------------------------------------


def parse_bool(text: str) -> bool:
    """``true/false``, ``1/0``, ``yes/no`` (``on/off``, ``y/n``), any case; else ValueError."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected a boolean ({BOOLEAN_WORDS}), got {text!r}")


def parse_time_ms(text: str, *, now: dt.datetime | None = None) -> int:
    """Milliseconds since the epoch from what a user writes: an integer of milliseconds,
    an ISO 8601 date or date-time (UTC unless it says otherwise), or ``now``, ``now-1h``,
    ``now+30m`` (units ms, s, m, h, d, w)."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    current = now or dt.datetime.now(dt.UTC)
    relative = _RELATIVE.match(text)
    if relative:
        sign, amount, unit = relative.groups()
        offset = 0.0 if amount is None else float(amount) * _UNITS_MS[unit.lower()]
        return round(current.timestamp() * 1000 + (offset if sign == "+" else -offset))
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected a time: milliseconds, an ISO date or date-time (2024-05-01, "
            f"2024-05-01T12:00:00Z) or now-1h style, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round(moment.timestamp() * 1000)


def parse_value(parameter: ParameterDescription | None, text: str) -> Any:
    """A ``NAME=VALUE`` value as the parameter's type wants it; ValueError says why not.

    Booleans accept the words of :func:`parse_bool`; time parameters those of
    :func:`parse_time_ms`; lists and objects are JSON; an enumeration's value matches
    regardless of case; decimals and everything else stay text, for the model to read
    exactly (``0.1`` is never a float on the way)."""
    if parameter is None:  # unknown to us: JSON for lists and objects, else the text
        return _json(text) if text[:1] in "[{" else text
    if parameter.is_bool:
        value = parse_bool(text)
        return value if parameter.type == "bool" else str(value).lower()
    if parameter.is_time:
        return parse_time_ms(text)
    if parameter.is_json:
        return _json(text)
    if parameter.choices and text not in parameter.choices:
        matches = [choice for choice in parameter.choices if choice.lower() == text.lower()]
        if len(matches) == 1:
            return matches[0]
        raise ValueError(f"expected one of {', '.join(parameter.choices)}, got {text!r}")
    if parameter.type == "decimal":
        try:
            Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {text!r}") from None
    return text


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"expected JSON, got {text!r}") from None

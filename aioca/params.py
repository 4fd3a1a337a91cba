"""Parameter models of catalog tasks: typed, bounded, and checked as a whole before sending.

A plugin's task declares its parameters as a pydantic model derived from
:class:`TaskParams`. Field types do the per-value checks (kinds, enums, ranges, lengths);
the class attributes declare the rules that span several parameters, as exchanges
document them per endpoint:

* ``one_of``: groups of which at least one must be sent ("either ``orderId`` or
  ``origClientOrderId`` must be sent");
* ``exclusive``: pairs that cannot be sent together;
* ``required_when``: parameters a value of another one makes mandatory ("a ``LIMIT``
  order needs ``price`` and ``timeInForce``").

:meth:`TaskParams.validate_all` validates raw input and reports **every** problem in one
:class:`~aioca.errors.InvalidParameterError`, rules and fields together, nested models
(a batch's items) included, so that a user fixes them all in one go and nothing is sent.

The value types below close the gaps a plain ``int`` or ``str`` leaves open: ``True`` is
not a number, integers stay within what exchanges store (64 bits), and a text is bounded
and must be valid Unicode (a lone surrogate cannot be encoded, so it is refused here
rather than as a ``UnicodeEncodeError`` deep in the request).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self, get_args, get_origin

import pydantic
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .errors import InvalidParameterError

__all__ = [
    "INT64_MAX",
    "MAX_TEXT_LENGTH",
    "Count",
    "PositiveDecimal",
    "Problem",
    "TaskParams",
    "Text",
    "WholeNumber",
    "refuse_bool",
]

INT64_MAX = 2**63 - 1
"""The largest integer exchanges store (ids, times in milliseconds)."""
MAX_TEXT_LENGTH = 1024
"""The longest text parameter sent when an endpoint documents no bound of its own."""

_RULES = "parameter_rules"  # the pydantic error type of TaskParams' declared rules

_MAX_REMEMBERED = 4096
"""Validated parameter sets kept by :meth:`TaskParams.validated` (all models together);
when full, it starts over: bounded memory whatever the input."""
_remembered: dict[tuple[type[TaskParams], tuple[tuple[str, Any], ...]], TaskParams] = {}

Problem = tuple[str | None, str]
"""One problem with a parameter set: the parameter (``None`` for a rule over several, or
a dotted path into a nested one, ``batchOrders.1.price``) and the reason."""


def refuse_bool(value: Any) -> Any:
    """Refuse ``True``/``False`` where a number is expected (Python counts them as 1 and 0;
    an exchange would receive ``true``)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return value


WholeNumber = Annotated[int, BeforeValidator(refuse_bool), Field(ge=-INT64_MAX - 1, le=INT64_MAX)]
"""An integer within 64 bits; booleans refused."""
Count = Annotated[int, BeforeValidator(refuse_bool), Field(ge=0, le=INT64_MAX)]
"""A non-negative integer within 64 bits (ids, times, counts); booleans refused."""
PositiveDecimal = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A price, quantity or rate: finite and greater than zero."""
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
"""A bounded text that is valid Unicode (lone surrogates refused)."""


class TaskParams(pydantic.BaseModel):
    """Base of a task's parameter model: unknown parameters refused, values frozen, and
    the cross-parameter rules of the class attributes (see the module)."""

    # defer_build: a model builds its validator when its first task is created, not when
    # a catalog is imported.
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)

    one_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of parameters of which at least one must be sent."""
    exclusive: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Pairs of parameters that cannot be sent together."""
    required_when: ClassVar[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = ()
    """``(parameter, values, required)``: when ``parameter`` is one of ``values``, every
    parameter of ``required`` must be sent; ``"price|priceMatch"`` there means either."""

    @pydantic.model_validator(mode="after")
    def _check_rules(self) -> Self:
        cls = type(self)
        if not (cls.one_of or cls.exclusive or cls.required_when):
            return self  # most models: nothing to check, nothing to copy
        problems = cls.rule_problems(self.__dict__)
        if problems:
            reasons = "; ".join(reason for _, reason in problems)
            raise PydanticCustomError(_RULES, "{reasons}", {"reasons": reasons})
        return self

    @classmethod
    def allows_together(cls, first: str, second: str, values: Mapping[str, Any]) -> bool:
        """Whether an ``exclusive`` pair may still be sent together with these values (a
        hook for exceptions such as a ``pair`` that its ``symbol`` belongs to)."""
        return False

    @classmethod
    def rule_problems(cls, values: Mapping[str, Any]) -> list[Problem]:
        """Every rule of the class that ``values`` (raw or validated; ``None`` is "not
        sent") breaks."""
        problems: list[Problem] = []
        for group in cls.one_of:
            if all(values.get(name) is None for name in group):
                names = " or ".join(repr(name) for name in group)
                problems.append((None, f"{names} must be sent"))
        for first, second in cls.exclusive:
            if values.get(first) is None or values.get(second) is None:
                continue
            if not cls.allows_together(first, second, values):
                problems.append((None, f"{first!r} and {second!r} cannot be sent together"))
        for name, triggers, required in cls.required_when:
            value = values.get(name)
            value = getattr(value, "value", value)  # an enum member counts as its value
            if value is None or value not in triggers:
                continue
            for needed in required:
                alternatives = needed.split("|")
                if all(values.get(part) is None for part in alternatives):
                    either = " or ".join(repr(part) for part in alternatives[1:])
                    reason = f"required when {name} is {value}"
                    problems.append(
                        (alternatives[0], f"{reason} (or {either})" if either else reason)
                    )
        return problems

    @classmethod
    def nested_models(cls) -> dict[str, type[TaskParams]]:
        """Fields holding a list of nested parameter models (a batch's items), by name."""
        return _nested_models(cls)

    @classmethod
    def raw_problems(cls, raw: Mapping[str, Any]) -> list[Problem]:
        """The rule problems of raw input, those of nested items included (named like
        pydantic names a nested problem: ``("batchOrders", "1.price: required when type
        is LIMIT")``), found even where a value is also wrong, which pydantic's own pass
        would not report together."""
        problems = cls.rule_problems(raw)
        for field_name, model in cls.nested_models().items():
            items = raw.get(field_name)
            if not isinstance(items, Sequence) or isinstance(items, str | bytes):
                continue
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    continue
                for name, reason in model.raw_problems(item):
                    where = f"{index}.{name}" if name else str(index)
                    problems.append((field_name, f"{where}: {reason}"))
        return problems

    remember: ClassVar[bool] = True
    """Whether :meth:`validated` may hand out the model it made for the same plain input
    before. Set it to ``False`` on a model whose validators read anything but their input
    (the clock, a setting): its input is then validated every time."""

    @classmethod
    def validated(cls, raw: Mapping[str, Any], *, task_name: str | None = None) -> Self:
        """:meth:`validate_all`, remembered: a model made for exactly this input before
        is handed out again (models are frozen, so it can be shared).

        Only input of plain ``str`` and ``int`` values (exactly those types, ``bool``
        excluded) is remembered: equal keys then mean equal values of one type, which
        validate and encode the same. (``Decimal("1.0") == Decimal("1.00")``, ``0.0 ==
        -0.0`` and ``True == 1`` are equal but sent differently, so they always go through
        pydantic.) Refused input is never remembered: it is validated, and refused with
        every problem, every time. A task polling one symbol validates it once rather than
        on every request (pydantic's pass is most of what building a task costs)."""
        for value in raw.values():
            kind = type(value)
            if kind is not str and kind is not int:
                return cls.validate_all(raw, task_name=task_name)
        if not cls.remember:
            return cls.validate_all(raw, task_name=task_name)
        key = (cls, tuple(raw.items()))
        model = _remembered.get(key)
        if model is None:
            model = cls.validate_all(raw, task_name=task_name)
            if len(_remembered) >= _MAX_REMEMBERED:
                _remembered.clear()
            _remembered[key] = model
        return model  # type: ignore[return-value]

    @classmethod
    def validate_all(cls, raw: Mapping[str, Any], *, task_name: str | None = None) -> Self:
        """The model for ``raw``, or an :class:`~aioca.errors.InvalidParameterError` naming
        every problem: each bad value, each broken rule, in nested items too."""
        try:
            return cls(**raw)
        except pydantic.ValidationError as exc:
            field_problems = [
                problem
                for problem, details in zip(
                    InvalidParameterError.problems_of(exc), exc.errors(), strict=True
                )
                # Rule failures are reported from the raw input below, where they are
                # found whatever else is wrong.
                if not _is_rule_failure(details, cls)
            ]
            problems = _unique([*field_problems, *cls.raw_problems(raw)])
        if not problems:  # pragma: no cover - a rule failed on values raw input lacks
            problems = [(None, "invalid parameters")]
        raise InvalidParameterError.from_problems(problems, task_name=task_name)


def _is_rule_failure(details: Any, model: type[TaskParams]) -> bool:
    """Whether a pydantic error is the declared rules' check (of the model itself, or of an
    item of one of its lists of models): found again, with the rest, from the raw input.
    Other checks of a model (its own validators) are kept as pydantic reports them."""
    return bool(details.get("type") == _RULES)


@functools.cache
def _nested_models(model: type[TaskParams]) -> dict[str, type[TaskParams]]:
    found: dict[str, type[TaskParams]] = {}
    for name, info in model.model_fields.items():
        item = _list_item_model(info.annotation)
        if item is not None:
            found[name] = item
    return found


def _list_item_model(annotation: Any) -> type[TaskParams] | None:
    """The model of ``list[Model]`` (possibly ``Annotated`` and ``| None``), else ``None``."""
    pending = [annotation]
    while pending:
        current = pending.pop()
        origin = get_origin(current)
        if origin is list:
            (item,) = get_args(current) or (None,)
            if isinstance(item, type) and issubclass(item, TaskParams):
                return item
        elif origin is not None:
            pending += [arg for arg in get_args(current) if arg is not type(None)]
    return None


def _unique(problems: list[Problem]) -> list[Problem]:
    unique: list[Problem] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return unique

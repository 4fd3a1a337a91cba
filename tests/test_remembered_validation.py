"""``TaskParams.validated``: validation remembered for plain input, and nothing else.

A task polled with the same parameters validates them once: the model made the first
time is handed out again. These tests hold it to being indistinguishable from
:meth:`TaskParams.validate_all` (a randomized comparison over values of every kind, good and
bad), to never remembering a refusal or input whose equal values are sent differently
(``True``/``1``, ``Decimal("1.0")``/``Decimal("1.00")``), and to bounded memory.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any, ClassVar, Literal

import pydantic
import pytest

from aioca import params as params_module
from aioca.errors import InvalidParameterError
from aioca.params import Count, PositiveDecimal, TaskParams, Text, WholeNumber


class Query(TaskParams):
    symbol: Text
    side: Literal["BUY", "SELL"] | None = None
    limit: Count | None = None
    offset: WholeNumber | None = None
    price: PositiveDecimal | None = None
    note: Text | None = None
    exclusive = (("limit", "offset"),)
    one_of = (("symbol", "note"),)


VALUES: list[Any] = [
    "BTCUSDT",
    "",
    "x" * 1025,  # over MAX_TEXT_LENGTH
    "\ud800",  # a lone surrogate
    "BUY",
    "SELL",
    "12.5",
    "-3",
    0,
    1,
    -1,
    2**63 - 1,
    2**63,  # over 64 bits
    -(2**63) - 1,
    True,
    False,
    1.0,
    0.1,
    -0.0,
    Decimal("1.0"),
    Decimal("1.00"),
    Decimal("NaN"),
    None,
    [],
    {"a": 1},
]
FIELDS = [*Query.model_fields, "unknown"]
GOOD: dict[str, list[Any]] = {
    "symbol": ["BTCUSDT", "ETHUSDT"],
    "side": ["BUY", "SELL"],
    "limit": [0, 1, 500],
    "offset": [-1, 0, 7],
    "price": ["12.5", Decimal("1.5"), 3, "0.00000001"],
    "note": ["n", "note"],
}


def outcome(call: Any) -> tuple[str, Any]:
    """What a validation gives, comparably: the values with their types, or the problems."""
    try:
        model = call()
    except InvalidParameterError as exc:
        return "refused", (exc.problems, str(exc), exc.task_name)
    return "valid", [(name, type(value), repr(value)) for name, value in model.__dict__.items()]


@pytest.fixture(autouse=True)
def _forget() -> Any:
    params_module._remembered.clear()
    yield
    params_module._remembered.clear()


def test_validated_is_validate_all_for_random_input_of_every_kind() -> None:
    rng = random.Random(20261204)
    inputs = []
    for _ in range(600):
        names = rng.sample(FIELDS, rng.randint(0, 4))
        inputs.append(
            {
                name: rng.choice(GOOD[name] if name in GOOD and rng.random() < 0.8 else VALUES)
                for name in names
            }
        )
    inputs += inputs[:200]  # the same input again: remembered models handed out
    rng.shuffle(inputs)
    valid = remembered = 0
    for raw in inputs:
        expected = outcome(lambda raw=raw: Query.validate_all(dict(raw), task_name="T"))
        got = outcome(lambda raw=raw: Query.validated(dict(raw), task_name="T"))
        assert got == expected, raw
        valid += expected[0] == "valid"
        remembered += any(key[1] == tuple(raw.items()) for key in params_module._remembered)
    # The comparison covered both outcomes and the remembered path, not only refusals.
    assert valid > 50
    assert remembered > 50


def test_plain_input_gives_the_same_model_again() -> None:
    first = Query.validated({"symbol": "BTCUSDT", "limit": 5})
    again = Query.validated({"symbol": "BTCUSDT", "limit": 5})
    assert again is first
    assert first == Query.validate_all({"symbol": "BTCUSDT", "limit": 5})
    other = Query.validated({"symbol": "BTCUSDT", "limit": 6})
    assert other is not first
    assert other.limit == 6


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, True),  # equal and of equal hash, but a boolean is refused as a number
        (Decimal("1.0"), Decimal("1.00")),  # equal, sent as "1.0" and "1.00"
        (0.0, -0.0),
    ],
)
def test_equal_values_sent_differently_are_never_confused(first: Any, second: Any) -> None:
    field = "limit" if isinstance(first, int) else "price"
    if field == "price" and not first:
        field = "offset"
    outcomes = [
        outcome(lambda v=v: Query.validated({"symbol": "S", field: v})) for v in (first, second)
    ]
    expected = [
        outcome(lambda v=v: Query.validate_all({"symbol": "S", field: v})) for v in (first, second)
    ]
    assert outcomes == expected


def test_only_exact_str_and_int_values_are_remembered() -> None:
    class Name(str):
        pass

    for raw in (
        {"symbol": "S", "price": Decimal("2")},
        {"symbol": Name("S")},
        {"symbol": "S", "price": 2.5},
    ):
        model = Query.validated(raw)
        assert Query.validated(raw) is not model
        assert Query.validated(raw) == model
    with pytest.raises(InvalidParameterError):
        Query.validated({"symbol": "S", "limit": True})
    assert not params_module._remembered
    Query.validated({"symbol": "S", "limit": 3})
    assert len(params_module._remembered) == 1


def test_refused_input_is_refused_every_time_with_every_problem() -> None:
    raw = {"symbol": "x" * 2000, "limit": 1, "offset": 2, "unknown": "u"}
    for _ in range(3):
        with pytest.raises(InvalidParameterError) as caught:
            Query.validated(raw, task_name="T")
        names = [name for name, _ in caught.value.problems]
        assert "symbol" in names
        assert "unknown" in names
        assert any("cannot be sent together" in reason for _, reason in caught.value.problems)
    assert not params_module._remembered


def test_a_model_can_opt_out() -> None:
    calls = []

    class Clocked(TaskParams):
        remember: ClassVar[bool] = False
        start: Count

        @pydantic.field_validator("start")
        @classmethod
        def _seen(cls, value: int) -> int:
            calls.append(value)  # a validator that reads more than its input would
            return value

    first = Clocked.validated({"start": 5})
    second = Clocked.validated({"start": 5})
    assert first is not second
    assert first == second
    assert calls == [5, 5]
    assert not params_module._remembered


def test_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(params_module, "_MAX_REMEMBERED", 10)
    for number in range(25):
        Query.validated({"symbol": f"S{number}"})
        assert len(params_module._remembered) <= 10
    assert Query.validated({"symbol": "S24"}) is Query.validated({"symbol": "S24"})

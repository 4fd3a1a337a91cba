"""``aioca.params``: typed, bounded values and the cross-parameter rules, every problem of
a parameter set reported at once (raw input, nested items included)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import pydantic
import pytest

from aioca.errors import InvalidParameterError
from aioca.params import Count, PositiveDecimal, TaskParams, Text, WholeNumber


class Item(TaskParams):
    symbol: Text
    type: Literal["LIMIT", "MARKET"]
    quantity: PositiveDecimal
    price: PositiveDecimal | None = None
    priceMatch: Text | None = None  # noqa: N815
    required_when = (("type", ("LIMIT",), ("price|priceMatch",)),)


class Order(TaskParams):
    orders: list[Item] | None = None
    orderId: Count | None = None  # noqa: N815
    clientId: Text | None = None  # noqa: N815
    offset: WholeNumber | None = None
    one_of = (("orderId", "clientId"),)
    exclusive = (("orderId", "offset"),)


def problems(model: type[TaskParams], **raw: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidParameterError) as caught:
        model.validate_all(raw, task_name="T")
    assert caught.value.task_name == "T"
    return caught.value.problems


def test_valid_input_gives_the_model() -> None:
    order = Order.validate_all({"orderId": 5, "orders": [{"symbol": "A", "type": "MARKET",
                                                          "quantity": "1"}]})  # fmt: skip
    assert order.orderId == 5
    assert order.orders is not None
    assert order.orders[0].quantity == Decimal("1")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orderId", True),  # a boolean is not a number
        ("orderId", -1),
        ("orderId", 2**63),
        ("offset", -(2**63) - 1),
        ("clientId", "x" * 1025),
        ("clientId", "a\ud800b"),  # a lone surrogate cannot be encoded
    ],
)
def test_a_value_out_of_its_kind_is_refused(field: str, value: Any) -> None:
    valid = {"clientId": "c1"} if field != "clientId" else {"orderId": 1}
    found = problems(Order, **{**valid, field: value})
    assert [name for name, _ in found] == [field]


@pytest.mark.parametrize("quantity", ["0", "-1", "NaN", "Infinity", float("nan"), True])
def test_a_quantity_is_a_finite_positive_decimal(quantity: Any) -> None:
    found = problems(Order, orderId=1, orders=[{"symbol": "A", "type": "MARKET",
                                                "quantity": quantity}])  # fmt: skip
    assert [name for name, _ in found] == ["orders"]
    assert found[0][1].startswith("0.quantity: ")


def test_rules_and_values_are_reported_together() -> None:
    found = problems(
        Order,
        offset=True,
        orders=[
            {"symbol": "A", "type": "LIMIT", "quantity": "-1"},  # a bad value and a rule
            {"symbol": "B", "type": "LIMIT", "quantity": "1", "priceMatch": "QUEUE"},  # fine
        ],
    )
    assert found == [
        ("orders", "0.quantity: Input should be greater than 0"),
        ("offset", "a boolean is not a number"),
        (None, "'orderId' or 'clientId' must be sent"),
        ("orders", "0.price: required when type is LIMIT (or 'priceMatch')"),
    ]


def test_exclusive_parameters_are_refused_together() -> None:
    assert problems(Order, orderId=1, offset=2) == [
        (None, "'orderId' and 'offset' cannot be sent together")
    ]


def test_a_models_own_validator_is_reported_too() -> None:
    class Picky(TaskParams):
        a: Count | None = None

        @pydantic.model_validator(mode="after")
        def _even(self) -> Picky:
            if self.a is not None and self.a % 2:
                raise ValueError("a must be even")
            return self

    assert problems(Picky, a=3) == [(None, "a must be even")]


def test_the_message_lists_every_problem() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        Order.validate_all({"orderId": True, "clientId": "a\ud800"}, task_name="Cancel")
    message = str(caught.value)
    assert message.startswith("2 invalid parameters in Cancel: ")
    assert "'orderId': a boolean is not a number" in message
    assert "'clientId': " in message

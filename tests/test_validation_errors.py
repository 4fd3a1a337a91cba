"""``InvalidParameterError.from_validation_error``: one error type for every plugin's
parameter models, naming the parameter and the reason."""

from __future__ import annotations

import pydantic
import pytest

from aioca.errors import InvalidParameterError


class Order(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    symbol: str
    quantity: int

    @pydantic.field_validator("symbol")
    @classmethod
    def _upper(cls, value: str) -> str:
        if value != value.upper():
            raise ValueError("must be upper case")
        return value


class Batch(pydantic.BaseModel):
    orders: list[Order]


def error_of(model: type[pydantic.BaseModel], **values: object) -> InvalidParameterError:
    with pytest.raises(pydantic.ValidationError) as caught:
        model(**values)
    return InvalidParameterError.from_validation_error(caught.value, task_name="PlaceOrder")


def test_names_the_parameter_and_the_reason() -> None:
    error = error_of(Order, symbol="BTC", quantity="many")
    assert error.parameter == "quantity"
    assert "integer" in error.reason
    assert error.task_name == "PlaceOrder"
    assert str(error).startswith("invalid parameter 'quantity' in PlaceOrder: ")


def test_a_validator_message_loses_pydantics_prefix() -> None:
    error = error_of(Order, symbol="btc", quantity=1)
    assert (error.parameter, error.reason) == ("symbol", "must be upper case")


def test_a_nested_problem_keeps_its_path_in_the_reason() -> None:
    error = error_of(Batch, orders=[{"symbol": "BTC", "quantity": 1}, {"symbol": "ETH"}])
    assert error.parameter == "orders"
    assert error.reason == "1.quantity: Field required"


def test_an_unknown_parameter_is_named() -> None:
    error = error_of(Order, symbol="BTC", quantity=1, colour="red")
    assert error.parameter == "colour"

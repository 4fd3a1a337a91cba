"""``BinanceTask``: the base of every Binance catalog task, on aioca's catalog toolkit.

A catalog task declares an :class:`~aioca_binance.endpoint.Endpoint`, a ``Params`` model
(:class:`BinanceParams`) and its ``texts``; :class:`aioca.endpoint.EndpointTask` does the
rest (validation of every parameter at once, the plan, client order ids, orders whose
outcome is unknown). What is Binance's here: how list parameters are sent (compact JSON,
decimals as strings), the rules Binance documents beyond aioca's (a value that forbids a
parameter, a parameter that needs another), the one exception to "cannot be sent
together" (a ``symbol`` and its own ``pair``), the weight of a call, and the typed view of
an answer (:attr:`BinanceTask.parsed`).

``BinanceTask`` is generic in the decoded JSON of its answer and in its parsed model:
a generated task declares both (``BinanceTask[list[KlineDict], list[Kline]]``), so
``task.result`` and ``task.parsed`` are typed for IDEs and ``mypy``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic

from pydantic import Field
from typing_extensions import TypeVar

from aioca.endpoint import EndpointTask, Texts
from aioca.errors import InvalidParameterError
from aioca.params import Problem, TaskParams
from aioca.task import ResultT

from .endpoint import Endpoint

__all__ = ["BinanceParams", "BinanceTask", "ClientOrderId", "ParsedT", "Texts"]

ClientOrderId = Annotated[str, Field(pattern=r"^[\.A-Z\:/a-z0-9_-]{1,36}$")]
"""A client order id as Binance allows it: 1 to 36 of ``.A-Z:/a-z0-9_-``."""

ParsedT = TypeVar("ParsedT", default=Any)
"""What :attr:`BinanceTask.parsed` is: the endpoint's pydantic model (or a list of it)."""

Alternatives = tuple[tuple[str, tuple[str, ...] | None], ...]
"""``(parameter, values)`` conditions of which one must hold; ``None`` values: "is sent"."""


class BinanceParams(TaskParams):
    """Base of the parameter models: :class:`aioca.params.TaskParams` (unknown parameters
    refused, values frozen, ``one_of``/``exclusive``/``required_when`` rules, every
    problem reported at once), with two more kinds of rule Binance documents and its one
    exception to ``exclusive``:

    * ``forbidden_when``: ``(parameter, values, forbidden)``: when ``parameter`` is one
      of ``values``, none of ``forbidden`` may be sent ("``closePosition=true`` cannot be
      used with ``quantity``");
    * ``needs``: ``(parameter, alternatives)``: a sent ``parameter`` needs one of the
      ``alternatives`` to hold ("an ``icebergQty`` needs ``timeInForce`` ``GTC``";
      "``pegOffsetType`` and ``pegOffsetValue`` must be specified together");
    * ``symbol`` and ``pair`` cannot be sent together, except that a symbol belongs to
      its pair: when both are given and agree (``BTCUSD_PERP`` and ``BTCUSD``, as the
      seed README's ticker example does) the redundant ``pair`` is simply not sent; when
      they disagree the task is refused.
    """

    forbidden_when: ClassVar[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = ()
    needs: ClassVar[tuple[tuple[str, Alternatives], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Binance's kinds of rule join aioca's where a model has them (a model without
        # keeps aioca's check as is: nothing more to run for most of them). aioca checks a
        # model's rules while validating it only when it has aioca's kinds of rule (its fast
        # path): a model with only Binance's kinds, or with items that have them, checks
        # them after validation, from the raw input.
        if "forbidden_when" in cls.__dict__ or "needs" in cls.__dict__:
            cls.rule_problems = classmethod(_rule_problems)  # type: ignore[method-assign, assignment]
        if not (cls.one_of or cls.exclusive or cls.required_when) and cls._binance_rules():
            cls.validate_all = classmethod(_validate_with_binance_rules)  # type: ignore[method-assign, assignment]

    @classmethod
    def _binance_rules(cls) -> bool:
        """Whether this model, or the model of its items, has rules of Binance's kinds."""
        own = bool(cls.forbidden_when or cls.needs)
        return own or any(
            isinstance(model, type) and issubclass(model, BinanceParams) and model._binance_rules()
            for model in cls.nested_models().values()
        )

    @classmethod
    def allows_together(cls, first: str, second: str, values: Mapping[str, Any]) -> bool:
        return (first, second) == ("symbol", "pair") and _symbol_of_pair(
            values.get("symbol"), values.get("pair")
        )

    @classmethod
    def describe_rules(cls) -> list[str]:
        """The two kinds of rule of this class, in words (``aioca describe`` lists them
        after aioca's own)."""
        rules = [
            f"when {name} is {' or '.join(values)}: do not send "
            + ", ".join(repr(other) for other in forbidden)
            for name, values, forbidden in cls.forbidden_when
        ]
        rules += [
            f"{name!r} needs {_alternatives_text(alternatives)}" for name, alternatives in cls.needs
        ]
        return rules

    def wire_items(self) -> list[tuple[str, Any]]:
        """The parameters to send, in declaration order, without those left out (and without
        a ``pair`` made redundant by its ``symbol``)."""
        values = self.__dict__  # the fields, in declaration order (faster than iter(self))
        drop_pair = ("symbol", "pair") in self.exclusive and values.get("symbol") is not None
        return [
            (name, _plain(value))
            for name, value in values.items()
            if value is not None and not (drop_pair and name == "pair")
        ]


def _rule_problems(cls: type[BinanceParams], values: Mapping[str, Any]) -> list[Problem]:
    """aioca's rule problems of ``values``, and those of Binance's two kinds."""
    problems: list[Problem] = TaskParams.rule_problems.__func__(cls, values)  # type: ignore[attr-defined]
    for name, triggers, forbidden in cls.forbidden_when:
        value = _wire_form(values.get(name))
        if value is None or value not in triggers:
            continue
        for other in forbidden:
            if values.get(other) is not None:
                problems.append((other, f"cannot be sent when {name} is {value}"))
    for name, alternatives in cls.needs:
        if values.get(name) is None:
            continue
        if not any(_holds(values, other, allowed) for other, allowed in alternatives):
            problems.append((name, f"needs {_alternatives_text(alternatives)}"))
    return problems


def _validate_with_binance_rules(
    cls: type[BinanceParams], raw: Mapping[str, Any], *, task_name: str | None = None
) -> BinanceParams:
    """:meth:`TaskParams.validate_all`, then Binance's kinds of rule on the raw input (the
    model's own and its items'), every problem in one error."""
    model = TaskParams.validate_all.__func__(cls, raw, task_name=task_name)  # type: ignore[attr-defined]
    problems = cls.raw_problems(raw)
    if problems:
        raise InvalidParameterError.from_problems(problems, task_name=task_name)
    assert isinstance(model, BinanceParams)
    return model


def _wire_form(value: Any) -> Any:
    """A value as the rules compare it: an enum member as its value, a bool as Binance's
    word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return getattr(value, "value", value)


def _holds(values: Mapping[str, Any], name: str, allowed: tuple[str, ...] | None) -> bool:
    value = _wire_form(values.get(name))
    return value is not None and (allowed is None or value in allowed)


def _alternatives_text(alternatives: Alternatives) -> str:
    return " or ".join(
        repr(name) if allowed is None else f"{name} {' or '.join(allowed)}"
        for name, allowed in alternatives
    )


def _plain(value: Any) -> Any:
    """A batch's item models as the mappings sent (their ``None`` fields left out)."""
    if isinstance(value, list) and value and isinstance(value[0], BinanceParams):
        return [dict(item.wire_items()) for item in value]
    return value


def _symbol_of_pair(symbol: Any, pair: Any) -> bool:
    return isinstance(symbol, str) and isinstance(pair, str) and symbol.startswith(pair + "_")


def _wire_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), default=_json_value)
    return value


def _json_value(value: Any) -> Any:
    """A batch item's decimal as a JSON string (``"price":"10001"``, as Binance's docs
    write them: never a float's rounding)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not sent in a JSON parameter")


class BinanceTask(EndpointTask[ResultT], Generic[ResultT, ParsedT]):
    """A Binance request declared by ``endpoint``, ``Params`` and ``texts``.

    Parameters are keyword arguments named as Binance names them on the wire (camelCase),
    plus ``api=``; a generated task lists them in its ``__init__`` with their types. List
    parameters (``batchOrders``, ``orderIdList``, ``symbols``) take Python lists and are
    sent as compact JSON.
    """

    exchange: ClassVar[str | None] = "binance"
    endpoint: ClassVar[Endpoint]
    Params: ClassVar[type[BinanceParams]] = BinanceParams
    texts: ClassVar[Texts]
    summary: ClassVar[str | None] = None
    """One line of what the endpoint does (Binance's words): ``describe()``'s summary."""
    doc_url: ClassVar[str | None] = None
    """The page of Binance's documentation for the endpoint."""
    remarks: ClassVar[tuple[str, ...]] = ()
    """What a user should know beyond the parameters (a weight the docs state otherwise)."""
    batch_field: ClassVar[str | None] = "batchOrders"
    order_id_params: ClassVar[tuple[str, ...]] = ("orderId", "algoId", "orderListId")
    client_order_id_params: ClassVar[tuple[str, ...]] = (
        "origClientOrderId",
        "clientAlgoId",
        "listClientOrderId",
    )

    params: BinanceParams
    # Class defaults, not assignments per task: see EndpointTask.
    _wire: list[tuple[str, Any]] | None = None
    _parsed: tuple[Any, Any] | None = None

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line of this task: market, method, path, security, weight (``"1-10"``
        when it depends on the parameters; ``+N orders`` for order-counting endpoints), the
        summary (Binance's own wording), the documentation link and any remarks."""
        endpoint = cls.endpoint
        low, high = endpoint.min_weight, endpoint.max_weight
        cost = f"{low}" if low == high else f"{low}-{high}"
        if endpoint.orders:
            cost += f" +{endpoint.orders} order" + ("s" if endpoint.orders > 1 else "")
        described = {
            "market": endpoint.market,
            **super().describe(),
            "security": endpoint.security.value,
            "cost": cost,
        }
        if cls.summary is not None:
            described["summary"] = cls.summary
        if cls.doc_url is not None:
            described["doc_url"] = cls.doc_url
        for number, remark in enumerate(cls.remarks, 1):
            described["note" if len(cls.remarks) == 1 else f"note {number}"] = remark
        return described

    @property
    def weight(self) -> int:
        """The IP weight this request costs with its parameters."""
        return self.endpoint.weight_for(dict(self.wire_params()))

    def wire_params(self, params: TaskParams | None = None) -> list[tuple[str, Any]]:
        """The parameters as sent, in declaration order, without those left out; lists as
        compact JSON. (Those of the task's own parameters are worked out once: they are
        frozen.)"""
        if params is None:
            if self._wire is None:
                self._wire = self.wire_params(self.params)
            return self._wire
        assert isinstance(params, BinanceParams)
        return [(name, _wire_value(value)) for name, value in params.wire_items()]

    @property
    def parsed(self) -> ParsedT:
        """``result`` as typed models (decimals as ``Decimal``, wire names as snake_case
        attributes), for the endpoints Binance documents an answer for; built on first
        access and kept until the next result. ``None`` before a successful run."""
        result = self.result
        if result is None:
            return None  # type: ignore[return-value]
        if self._parsed is None or self._parsed[0] is not result:
            models = importlib.import_module(f"aioca_binance.{self.endpoint.market}.models")
            parsed = models.parse_response(self.endpoint.method, self.endpoint.path, result)
            self._parsed = (result, parsed)
        value: ParsedT = self._parsed[1]
        return value

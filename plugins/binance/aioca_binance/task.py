"""``BinanceTask``: the base of every Binance catalog task, on aioca's catalog toolkit.

A catalog task declares an :class:`~aioca_binance.endpoint.Endpoint`, a ``Params`` model
(:class:`BinanceParams`) and its ``texts``; :class:`aioca.endpoint.EndpointTask` does the
rest (validation of every parameter at once, the plan, client order ids, orders whose
outcome is unknown). What is Binance's here: how list parameters are sent (compact JSON,
decimals as strings), which endpoints place orders and under which parameter, the one
exception to "cannot be sent together" (a ``symbol`` and its own ``pair``), the weight of
a call, and the typed view of an answer (:attr:`BinanceTask.parsed`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import Field

from aioca.endpoint import EndpointTask, Texts
from aioca.params import TaskParams

from .endpoint import Endpoint

__all__ = ["BinanceParams", "BinanceTask", "ClientOrderId", "Texts"]

ClientOrderId = Annotated[str, Field(pattern=r"^[\.A-Z\:/a-z0-9_-]{1,36}$")]
"""A client order id as Binance allows it: 1 to 36 of ``.A-Z:/a-z0-9_-``."""


class BinanceParams(TaskParams):
    """Base of the parameter models: :class:`aioca.params.TaskParams` (unknown parameters
    refused, values frozen, ``one_of``/``exclusive``/``required_when`` rules, every
    problem reported at once), with Binance's one exception to ``exclusive``.

    ``symbol`` and ``pair`` cannot be sent together, except that a symbol belongs to its
    pair: when both are given and agree (``BTCUSD_PERP`` and ``BTCUSD``, as the seed
    README's ticker example does) the redundant ``pair`` is simply not sent; when they
    disagree the task is refused.
    """

    @classmethod
    def allows_together(cls, first: str, second: str, values: Mapping[str, Any]) -> bool:
        return (first, second) == ("symbol", "pair") and _symbol_of_pair(
            values.get("symbol"), values.get("pair")
        )

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


def _plain(value: Any) -> Any:
    """A batch's item models as the mappings sent (their ``None`` fields left out)."""
    if isinstance(value, list) and value and isinstance(value[0], BinanceParams):
        return [dict(item.wire_items()) for item in value]
    return value


def _symbol_of_pair(symbol: Any, pair: Any) -> bool:
    return isinstance(symbol, str) and isinstance(pair, str) and symbol.startswith(pair + "_")


_CLIENT_ID_FIELDS = {
    ("POST", "/dapi/v1/order"): "newClientOrderId",
    ("POST", "/dapi/v1/batchOrders"): "newClientOrderId",
    ("POST", "/dapi/v1/algoOrder"): "clientAlgoId",
}
"""Order-placing endpoints and the parameter that names an order for a later query."""


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


class BinanceTask(EndpointTask):
    """A Binance request declared by ``endpoint``, ``Params`` and ``texts``.

    Parameters are keyword arguments named as Binance names them on the wire (camelCase),
    plus ``api=``. List-valued parameters (``batchOrders``, ``orderIdList``) take Python
    lists and are sent as compact JSON.
    """

    exchange: ClassVar[str | None] = "binance"
    endpoint: ClassVar[Endpoint]
    Params: ClassVar[type[BinanceParams]] = BinanceParams
    texts: ClassVar[Texts]
    batch_field: ClassVar[str | None] = "batchOrders"
    order_id_params: ClassVar[tuple[str, ...]] = ("orderId", "algoId")
    client_order_id_params: ClassVar[tuple[str, ...]] = ("origClientOrderId", "clientAlgoId")

    params: BinanceParams

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        endpoint = cls.__dict__.get("endpoint")
        if endpoint is not None:
            cls.client_id_field = _CLIENT_ID_FIELDS.get((endpoint.method, endpoint.path))

    def __init__(self, *, api: Any = None, **params: Any) -> None:
        super().__init__(api=api, **params)
        self._wire: list[tuple[str, Any]] | None = None
        self._parsed: tuple[Any, Any] | None = None

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line of this task: method, path, security, weight (``"1-10"`` when it
        depends on the parameters; ``+N orders`` for order-counting endpoints) and the
        summary (the docstring's first line, Binance's own wording)."""
        endpoint = cls.endpoint
        low, high = endpoint.min_weight, endpoint.max_weight
        cost = f"{low}" if low == high else f"{low}-{high}"
        if endpoint.orders:
            cost += f" +{endpoint.orders} order" + ("s" if endpoint.orders > 1 else "")
        return {**super().describe(), "security": endpoint.security.value, "cost": cost}

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
    def parsed(self) -> Any:
        """``result`` as typed models (decimals as ``Decimal``), for the endpoints that have
        one; built on first access and kept until the next result."""
        from .coinm.models import parse_response

        result = self.result
        if result is None:
            return None
        if self._parsed is None or self._parsed[0] is not result:
            parsed = parse_response(self.endpoint.method, self.endpoint.path, result)
            self._parsed = (result, parsed)
        return self._parsed[1]

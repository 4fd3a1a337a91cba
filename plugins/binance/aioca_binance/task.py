"""``BinanceTask``: the base of every catalog task, driven by its declaration.

A catalog task declares an :class:`~aioca_binance.endpoint.Endpoint`, a pydantic ``Params``
model and its ``texts``; this base class does the rest. Parameters are validated once, when
the task is created, so bad input fails before anything is sent and a task repeated in a
ring pays for validation only once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Coroutine, Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import Field

from aioca import Task, errors, localize
from aioca.params import TaskParams

from .api import BinanceRestApi, shared_call
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
        drop_pair = ("symbol", "pair") in self.exclusive and getattr(self, "symbol", None)
        return [
            (name, _plain(value))
            for name, value in self
            if value is not None and not (drop_pair and name == "pair")
        ]


def _plain(value: Any) -> Any:
    """A batch's item models as the mappings sent (their ``None`` fields left out)."""
    if isinstance(value, list) and value and isinstance(value[0], BinanceParams):
        return [dict(item.wire_items()) for item in value]
    return value


def _symbol_of_pair(symbol: Any, pair: Any) -> bool:
    return isinstance(symbol, str) and isinstance(pair, str) and symbol.startswith(pair + "_")


class Texts(NamedTuple):
    """A task's name in English and Chinese. ``{name}`` placeholders are filled from the
    task's parameters (``None`` for one not given)."""

    en: str
    zh: str


class _ParamsForText(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "None"


_CLIENT_ID_FIELDS = {
    ("POST", "/dapi/v1/order"): "newClientOrderId",
    ("POST", "/dapi/v1/batchOrders"): "newClientOrderId",
    ("POST", "/dapi/v1/algoOrder"): "clientAlgoId",
}
"""Order-creating endpoints and the parameter that names an order for a later query."""


def new_client_order_id() -> str:
    """A fresh client order id (Binance allows up to 36 of ``[.A-Z:/a-z0-9_-]``)."""
    return "aioca-" + uuid.uuid4().hex[:24]


def _with_client_ids(params: BinanceParams, field: str) -> tuple[BinanceParams, tuple[str, ...]]:
    """``params`` with a client order id on every order that has none, so that an order
    whose outcome is unknown can be looked up (a fresh id for every run)."""
    batch = getattr(params, "batchOrders", None)
    if batch is not None:
        orders = [
            order
            if getattr(order, field) is not None
            else order.model_copy(update={field: new_client_order_id()})
            for order in batch
        ]
        ids = tuple(str(getattr(order, field)) for order in orders)
        return params.model_copy(update={"batchOrders": orders}), ids
    given = getattr(params, field, None)
    if given is not None:
        return params, (str(given),)
    client_id = new_client_order_id()
    return params.model_copy(update={field: client_id}), (client_id,)


def _order_named(params: BinanceParams) -> tuple[str | int | None, str | None]:
    """The order a request is about, by its id and its client id (``None``: not given)."""
    order_id = getattr(params, "orderId", None)
    if order_id is None:
        order_id = getattr(params, "algoId", None)
    client_id = getattr(params, "origClientOrderId", None)
    if client_id is None:
        client_id = getattr(params, "clientAlgoId", None)
    return order_id, client_id


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


class BinanceTask(Task):
    """A Binance request declared by ``endpoint``, ``Params`` and ``texts``.

    Parameters are keyword arguments named as Binance names them on the wire (camelCase),
    plus ``api=``. List-valued parameters (``batchOrders``, ``orderIdList``) take Python
    lists and are sent as compact JSON.
    """

    exchange: ClassVar[str | None] = "binance"
    endpoint: ClassVar[Endpoint]
    Params: ClassVar[type[BinanceParams]] = BinanceParams
    texts: ClassVar[Texts]

    params: BinanceParams
    _wire: list[tuple[str, Any]]

    def __init__(self, *, api: BinanceRestApi | None = None, **params: Any) -> None:
        super().__init__(api=api)
        self.params = self.Params.validate_all(params, task_name=type(self).__name__)
        self._wire = [(name, _wire_value(value)) for name, value in self.params.wire_items()]
        # Parameters are frozen: what a run costs is known once and for all.
        self._weight = self.endpoint.weight_for(dict(self._wire))
        self._id_field = _CLIENT_ID_FIELDS.get((self.endpoint.method, self.endpoint.path))
        self._order = _order_named(self.params)
        # Encoded now, with the parameters: every run sends this text (plus the signature).
        # A task that places an order, or names one (a cancel, a query), runs through
        # _send: its errors say which order.
        plain = self._id_field is None and self._order == (None, None)
        self._call = shared_call(self.endpoint, self._wire, self._weight) if plain else None
        self._parsed: tuple[Any, Any] | None = None
        self.client_order_ids: tuple[str, ...] = ()
        """The client order ids sent by the last run of an order-creating task."""

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
        return {
            "method": endpoint.method,
            "path": endpoint.path,
            "security": endpoint.security.value,
            "cost": cost,
            **super().describe(),
        }

    @property
    def weight(self) -> int:
        """The IP weight this request costs with its parameters."""
        return self._weight

    def wire_params(self) -> list[tuple[str, Any]]:
        """The parameters as sent, in declaration order, without those left out."""
        return list(self._wire)

    async def run(self) -> Any:
        """:meth:`BaseTask.run <aioca.BaseTask.run>`, the same record and the same errors;
        for a catalog call on the lean path (see :meth:`BinanceRestApi.send_lean`), without
        making this task the running one (:func:`aioca.task.current_task`) unless a hook or
        a request that could read it runs: a context variable set and reset for every
        request costs more than the rest of the task's bookkeeping. An overridden request
        hook takes the general path; code that still runs on the lean path without the
        variable set (``timestamp_ms``, ``clock``, the JSON decoder, a custom signer,
        logging filters) sees the caller's running task, if any."""
        call, api = self._call, self._api
        cls = type(self)
        if (
            call is None
            or not isinstance(api, BinanceRestApi)
            or cls.__call__ is not BinanceTask.__call__
            or cls.api is not _TASK_API  # an overridden ``api`` property decides the API
        ):
            return await super().run()
        default_handling = api._lean()
        if default_handling is None:
            return await super().run()
        try:
            value = await api.send_lean(call, default_handling, self)
        except Exception as exc:
            self._result = None
            self._exception = exc
            self._has_run = True
            raise
        self._result = value
        self._exception = None
        self._has_run = True
        return value

    def __call__(self) -> Coroutine[Any, Any, Any]:
        # Not a coroutine function itself: it hands over the API's coroutine, so a run
        # costs one coroutine frame less (awaiting the task works the same).
        api: BinanceRestApi = self.api  # type: ignore[assignment]
        call = self._call
        if call is not None and isinstance(api, BinanceRestApi):
            return api.send_call(call)
        return self._send(api)

    async def _send(self, api: BinanceRestApi) -> Any:
        """The request of a task that places an order or names one: a fresh client order
        id for every order that has none, an unknown outcome reported as such, and every
        error naming the order it was about (``order_id``, ``client_order_id``)."""
        id_field = self._id_field
        wire = self._wire
        if id_field is not None:
            params, self.client_order_ids = _with_client_ids(self.params, id_field)
            wire = [(name, _wire_value(value)) for name, value in params.wire_items()]
        try:
            return await api.call_endpoint(self.endpoint, wire, weight=self.weight)
        except (
            errors.NetworkError,
            errors.ExchangeServerError,
            errors.InvalidResponseError,
            errors.UnexpectedRedirectError,
        ) as exc:
            # Sent, and no readable answer: a timeout, a dropped connection, a 5xx, a body
            # cut short, a redirect. Only a failed connection proves nothing was placed.
            self._name_the_order(exc)
            if id_field is None or isinstance(exc, errors.ConnectError):
                raise
            unknown = errors.OrderStateUnknownError.after(exc, self.client_order_ids, id_field)
            unknown.order_id = exc.order_id
            raise unknown from exc
        except errors.ExchangeError as exc:
            if not isinstance(exc, errors.BatchError):
                self._name_the_order(exc)
            raise

    def _name_the_order(self, error: errors.RequestError) -> None:
        """Put the order this request was about on its error, unless it names one."""
        order_id, client_id = self._order
        if client_id is None and len(self.client_order_ids) == 1:
            client_id = self.client_order_ids[0]
        if error.order_id is None and order_id is not None:
            error.order_id = order_id
        if error.client_order_id is None and client_id is not None:
            error.client_order_id = client_id

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

    def __str__(self) -> str:
        values = _ParamsForText(
            (name, getattr(value, "value", value))
            for name, value in self.params
            if value is not None
        )
        template = localize(self.texts.en, self.texts.zh)
        return template.format_map(values)


_TASK_API = Task.__dict__["api"]

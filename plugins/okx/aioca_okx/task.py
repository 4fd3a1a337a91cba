"""``OkxTask``: the base of every catalog task, driven by its declaration.

A catalog task declares an :class:`~aioca_okx.endpoint.Endpoint`, a pydantic ``Params``
model and its ``texts``; this base class does the rest. Parameters are validated once, when
the task is created, so bad input fails with :class:`~aioca.errors.InvalidParameterError`
before anything is sent, and a task repeated in a ring pays for validation only once.

``task.result`` is the envelope's ``data`` list, what a caller almost always wants;
``task.envelope`` keeps the whole answer of the last successful run (``code``, ``msg``,
and the ``inTime``/``outTime`` stamps of trading endpoints).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from aioca import Task, errors, localize
from aioca.params import TaskParams

from .endpoint import Endpoint
from .errors import OkxBatchError

if TYPE_CHECKING:
    from .api import OkxRestApi

__all__ = ["BATCH_FIELD", "OkxParams", "OkxTask", "Texts", "new_client_order_id"]

BATCH_FIELD = "orders"
"""The parameter holding a batch task's items; OKX's body is the bare JSON array."""


class OkxParams(TaskParams):
    """Base of the parameter models: :class:`aioca.params.TaskParams` (unknown parameters
    refused, values frozen, ``one_of`` groups such as OKX's "either ``ordId`` or
    ``clOrdId`` is required", every problem reported at once)."""

    def wire(self) -> dict[str, Any]:
        """The parameters to send, in declaration order, without those left out; numbers
        as the strings OKX documents (``"sz": "1"``), booleans as JSON booleans."""
        return {name: _wire_value(value) for name, value in self if value is not None}


def _wire_value(value: Any) -> Any:
    if isinstance(value, OkxParams):
        return value.wire()
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    return value


class Texts(NamedTuple):
    """A task's name in English and Chinese. ``{name}`` placeholders are filled from the
    task's parameters (``None`` for one not given), ``{count}`` with the number of items
    of a batch and ``{id}`` with the order's ``ordId``, else its ``clOrdId``."""

    en: str
    zh: str


class _TextValues(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "None"


def new_client_order_id() -> str:
    """A fresh ``clOrdId``: OKX allows up to 32 letters and digits, nothing else."""
    return "aioca" + uuid.uuid4().hex[:27]


class OkxTask(Task):
    """An OKX request declared by ``endpoint``, ``Params`` and ``texts``.

    Parameters are keyword arguments named as OKX names them on the wire (``instId``,
    ``tdMode``, ``clOrdId``), plus ``api=``. A batch task takes its items as ``orders=[...]``
    (each a mapping, validated by the model of the single-order task). Tasks that place orders give
    every order a ``clOrdId`` when it has none, so an order whose outcome is unknown can be
    looked up: see :attr:`client_order_ids`.
    """

    exchange: ClassVar[str | None] = "okx"
    endpoint: ClassVar[Endpoint]
    Params: ClassVar[type[OkxParams]] = OkxParams
    texts: ClassVar[Texts]

    params: OkxParams

    def __init__(self, *, api: OkxRestApi | None = None, **params: Any) -> None:
        super().__init__(api=api)
        self.params = self.Params.validate_all(params, task_name=type(self).__name__)
        self._wire = self.params.wire()
        self.envelope: dict[str, Any] | None = None
        """The whole answer of the last successful run (``code``, ``msg``, ``data``...)."""
        self.client_order_ids: tuple[str, ...] = ()
        """The ``clOrdId`` of every order sent by the last run of an order-placing task."""

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line of this task: method, path, security (``PUBLIC`` or
        ``PRIVATE``), cost (OKX's per-endpoint budget, e.g. ``"20 requests/2s per IP"``) and
        the summary (the docstring's first line)."""
        endpoint = cls.endpoint
        return {
            "method": endpoint.method,
            "path": endpoint.path,
            "security": endpoint.auth.value,
            "cost": str(endpoint.rate_limit),
            **super().describe(),
        }

    def wire_params(self) -> Any:
        """The parameters as sent: a mapping, or a batch's list of mappings."""
        if self.endpoint.batch:
            return list(self._wire[BATCH_FIELD])
        return dict(self._wire)

    async def __call__(self) -> Any:
        api: OkxRestApi = self.api  # type: ignore[assignment]
        wire = self.wire_params()
        if self.endpoint.creates_orders:
            wire, self.client_order_ids = _with_client_ids(wire)
        try:
            envelope = await api.call_endpoint(self.endpoint, wire)
        except (
            errors.NetworkError,
            errors.ExchangeServerError,
            errors.InvalidResponseError,
            errors.UnexpectedRedirectError,
        ) as exc:
            # An answer that lists items says what happened to each order: not unknown.
            if not self.endpoint.creates_orders or isinstance(
                exc, errors.ConnectError | OkxBatchError
            ):
                self._name_the_order(exc)
                raise
            unknown = errors.OrderStateUnknownError.after(exc, self.client_order_ids, "clOrdId")
            raise unknown from exc
        except errors.ExchangeError as exc:
            self._name_the_order(exc)
            raise
        self.envelope = envelope
        return envelope.get("data")

    def _name_the_order(self, error: errors.RequestError) -> None:
        """Put the order this request was about on its error (``order_id``,
        ``client_order_id``): a cancel or an amend refused says which order."""
        if self.endpoint.batch:
            return
        order_id, client_id = self._wire.get("ordId"), self._wire.get("clOrdId")
        if order_id is not None and error.order_id is None:
            error.order_id = str(order_id)
        if client_id is not None and error.client_order_id is None:
            error.client_order_id = str(client_id)

    def __str__(self) -> str:
        values = _TextValues((name, value) for name, value in self.params if value is not None)
        if self.endpoint.batch:
            values["count"] = len(self._wire[BATCH_FIELD])
        # An order is named by whichever id was given.
        values.setdefault("id", values.get("ordId") or values.get("clOrdId") or "None")
        return localize(self.texts.en, self.texts.zh).format_map(values)


def _with_client_ids(wire: Any) -> tuple[Any, tuple[str, ...]]:
    """``wire`` with a fresh ``clOrdId`` on every order that has none (a fresh one for
    every run, as OKX refuses a duplicated client id)."""
    orders = [dict(wire)] if isinstance(wire, Mapping) else [dict(order) for order in wire]
    for order in orders:
        order.setdefault("clOrdId", new_client_order_id())
    ids = tuple(str(order["clOrdId"]) for order in orders)
    return (orders[0] if isinstance(wire, Mapping) else orders), ids

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
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from aioca.endpoint import EndpointTask, Texts
from aioca.params import TaskParams

from .endpoint import Endpoint

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


def new_client_order_id() -> str:
    """A fresh ``clOrdId``: OKX allows up to 32 letters and digits, nothing else."""
    return "aioca" + uuid.uuid4().hex[:27]


class OkxTask(EndpointTask):
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
    batch_field: ClassVar[str | None] = BATCH_FIELD
    order_id_params: ClassVar[tuple[str, ...]] = ("ordId",)
    client_order_id_params: ClassVar[tuple[str, ...]] = ("clOrdId",)

    params: OkxParams

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        endpoint = cls.__dict__.get("endpoint")
        if endpoint is not None:
            cls.client_id_field = "clOrdId" if endpoint.creates_orders else None

    def __init__(self, *, api: OkxRestApi | None = None, **params: Any) -> None:
        super().__init__(api=api, **params)
        self.envelope: dict[str, Any] | None = None
        """The whole answer of the last successful run (``code``, ``msg``, ``data``...)."""

    @classmethod
    def new_client_order_id(cls) -> str:
        return new_client_order_id()

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line of this task: method, path, security (``PUBLIC`` or
        ``PRIVATE``), cost (OKX's per-endpoint budget, e.g. ``"20 requests/2s per IP"``) and
        the summary (the docstring's first line)."""
        endpoint = cls.endpoint
        return {
            **super().describe(),
            "security": endpoint.auth.value,
            "cost": str(endpoint.rate_limit),
        }

    def wire_params(self, params: TaskParams | None = None) -> Any:
        """The parameters as sent: a mapping, or a batch's list of mappings."""
        model = self.params if params is None else params
        assert isinstance(model, OkxParams)
        wire = model.wire()
        if self.endpoint.batch:
            return list(wire[BATCH_FIELD])
        return wire

    async def __call__(self) -> Any:
        envelope = await super().__call__()
        self.envelope = envelope
        return envelope.get("data")

    def name_values(self) -> dict[str, Any]:
        """The parameters given, ``count`` (a batch's items) and ``id`` (the order's
        ``ordId``, else its ``clOrdId``)."""
        values = super().name_values()
        if self.endpoint.batch:
            values["count"] = len(getattr(self.params, BATCH_FIELD))
        values.setdefault("id", values.get("ordId") or values.get("clOrdId"))
        return values

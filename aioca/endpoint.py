"""The catalog toolkit: ``EndpointTask``, the base of every plugin's declared tasks.

A catalog task is one endpoint, declared rather than written: a class with an
``endpoint`` (the plugin's declaration: at least ``method`` and ``path``), a ``Params``
model (:class:`aioca.params.TaskParams`, the parameters by their wire names, with the
rules that span them) and ``texts`` (its name in English and Chinese). This base does the
rest, the same way for every exchange:

* parameters are validated once, when the task is created: every problem at once, before
  anything is sent (:meth:`TaskParams.validate_all <aioca.params.TaskParams.validate_all>`);
* the request is planned once per API object (:meth:`RestApi.plan_endpoint
  <aioca.RestApi.plan_endpoint>`, the plugin's wire rules) and sent through the one
  pipeline (:meth:`RestApi.send_plan <aioca.RestApi.send_plan>`) on every run;
* a task that places orders (``client_id_field`` set) gives every new order a fresh client
  order id when it has none, on every run, and turns a failure that leaves an order's
  outcome unknown into :class:`~aioca.errors.OrderStateUnknownError` carrying those ids;
* an error about one order (a cancel refused) names it: ``order_id``, ``client_order_id``;
* ``str(task)`` is its name from ``texts``, filled with its parameters.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from . import errors
from .i18n import localize
from .names import fill_name
from .params import TaskParams
from .task import ResultT, Task, _defaults

if TYPE_CHECKING:
    from .request import RequestPlan
    from .rest import RestApi

__all__ = ["EndpointTask", "Texts"]


class Texts(NamedTuple):
    """A task's name in English and Chinese. ``{name}`` placeholders are filled from the
    task's parameters; the words of one not given are left out (:func:`aioca.fill_name`)."""

    en: str
    zh: str


_UNKNOWN_OUTCOME = (
    errors.NetworkError,
    errors.ExchangeServerError,
    errors.InvalidResponseError,
    errors.UnexpectedRedirectError,
)
"""Failures after which a request may or may not have taken effect: a timeout, a dropped
connection, a 5xx, an unreadable answer, a redirect (only a failed connection, a
:class:`~aioca.errors.ConnectError`, proves nothing was sent)."""


_order_fields: dict[type, tuple[str, ...]] = {}
"""Per task class, its parameters among those that name an order."""

_MAX_PARAMS_PLANS = 1024
"""Plans an API keeps by parameters object (then it starts over: bounded memory)."""


class _MadeByObjectNew:
    """The first base of :class:`EndpointTask`, so that its instances are made by
    ``object.__new__`` itself rather than by a ``__new__`` written in Python (which
    ``Task`` has): CPython takes a class's allocator from its first base, and keeps it
    when the class sets ``__new__ = object.__new__``. Building a task is on the path of
    every request users write as ``await Task(...).run()``; a Python ``__new__`` cost a
    fifth of it. (A class with required parameters gets one back: see
    :meth:`EndpointTask.__init_subclass__`.)"""

    __slots__ = ()


def _new_checking_required(cls: type[EndpointTask[Any]], *args: Any, **kwargs: Any) -> Any:
    """The ``__new__`` of a task class with required parameters.

    Its generated ``__init__`` lists them without a default (type checkers and IDEs see
    them required): Python would refuse a call missing one with a ``TypeError`` naming it
    alone. Here, it is refused as any bad input is: every problem at once, in one
    :class:`~aioca.errors.InvalidParameterError`."""
    required = cls._required
    if required and not required <= kwargs.keys():
        given = {name: value for name, value in kwargs.items() if name != "api"}
        cls.Params.validate_all(given, task_name=cls.__name__)
    return object.__new__(cls)


class _InitSignature:
    """A task class's ``__signature__``: its ``__init__``'s keyword parameters.

    ``inspect.signature`` (``help()``, IDEs, the catalog's typing tests) reads a class's
    Python ``__new__`` before its ``__init__``, and a class with required parameters has
    one (:func:`_new_checking_required`, which takes any arguments). Worked out when
    asked, not when each of the catalog's classes is made; instances have none (a task
    is callable: its own signature is its ``__call__``'s)."""

    def __get__(self, instance: object, owner: type) -> inspect.Signature:
        if instance is not None:
            raise AttributeError("__signature__")
        init = inspect.signature(owner.__init__)  # type: ignore[misc]
        return init.replace(parameters=list(init.parameters.values())[1:])


class EndpointTask(_MadeByObjectNew, Task[ResultT]):
    """A request to a declared endpoint (see the module).

    Parameters are keyword arguments named as the exchange names them on the wire, plus
    ``api=``. A plugin's base class sets the class attributes that say how its exchange
    names orders:

    * ``client_id_field``: on an order-placing task, the parameter that names a new order
      by the client's id (``newClientOrderId``, ``clOrdId``);
    * ``batch_field``: the parameter holding a batch's items, each one an order;
    * ``order_id_params`` / ``client_order_id_params``: the parameters that name an
      existing order (a cancel's ``orderId`` and ``origClientOrderId``), put on its errors.
    """

    endpoint: ClassVar[Any]
    Params: ClassVar[type[TaskParams]] = TaskParams
    texts: ClassVar[Texts]
    client_id_field: ClassVar[str | None] = None
    batch_field: ClassVar[str | None] = None
    order_id_params: ClassVar[tuple[str, ...]] = ()
    client_order_id_params: ClassVar[tuple[str, ...]] = ()

    params: TaskParams
    # Class defaults rather than assignments in __init__: building a task is on the path
    # of every request a user writes as `await Task(...).run()`.
    _plan: RequestPlan | None = None
    _plan_api: RestApi | None = None
    client_order_ids: tuple[str, ...] = ()
    """The client order ids sent by the last run of an order-placing task."""

    _required: ClassVar[frozenset[str]] = frozenset()
    """The names of the required parameters (of the class's ``Params``)."""
    _validated: ClassVar[Callable[..., TaskParams]] = TaskParams.validated
    """The class's ``Params.validated``."""

    # Not Task's __new__ (see _MadeByObjectNew): an endpoint task keeps no copy of its
    # arguments for str() (it names itself from its validated parameters; a GatherTask of
    # a thousand tasks keeps them all alive until the last one lands, and the garbage
    # collector walks them), and takes its API in __init__.
    if not TYPE_CHECKING:  # for type checkers, Task's signature (any arguments)
        __new__ = object.__new__

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        params = cls.__dict__.get("Params")
        if params is not None:
            cls._required = frozenset(
                name for name, info in params.model_fields.items() if info.is_required()
            )
        # Read from the class of the task (a plain class) rather than from the model's:
        # pydantic's metaclass has a __getattr__, which makes every attribute read on a
        # model class take a detour through Python (about 1k instructions each).
        cls._validated = cls.Params.validated
        if cls._required and "__new__" not in cls.__dict__:
            cls.__new__ = staticmethod(_new_checking_required)  # type: ignore[assignment]
            cls.__signature__ = _InitSignature()  # type: ignore[attr-defined]

    def __init__(self, *, api: RestApi | None = None, **params: Any) -> None:
        # The API given, else the default in force now, when the task is created (Task's
        # rule, which Task.__new__ applies to other tasks).
        self._api = api if api is not None else _defaults.get(self.exchange)
        # Every problem at once, before anything is sent; the same plain input is
        # validated once (TaskParams.validated).
        self.params = self._validated(params, task_name=type(self).__name__)

    # --- what a plugin's base class provides -----------------------------------------------

    def wire_params(self, params: TaskParams | None = None) -> Any:
        """The parameters as the plugin's :meth:`RestApi.plan_endpoint` takes them (by
        default ``(name, value)`` pairs in declaration order, those not given left out)."""
        model = self.params if params is None else params
        return [(name, value) for name, value in model if value is not None]

    @classmethod
    def new_client_order_id(cls) -> str:
        """A fresh client order id for a new order (plugins follow their exchange's rule)."""
        return "aioca-" + uuid.uuid4().hex[:24]

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalog line of this task: its endpoint's ``method`` and ``path``, and the
        summary; plugins add ``security`` and ``cost``."""
        return {"method": cls.endpoint.method, "path": cls.endpoint.path, **super().describe()}

    # --- the run -------------------------------------------------------------------------------

    def __call__(self) -> Coroutine[Any, Any, ResultT]:
        # Not a coroutine itself: it hands back the one that sends, without a frame of
        # its own around it for the time the request is in flight (a GatherTask of a
        # thousand tasks keeps a thousand of them waiting for a connection).
        api = self.api
        id_field = self.client_id_field
        if id_field is not None:
            return self._place(api, id_field)
        plan = self._plan
        if plan is None or self._plan_api is not api:
            plan = self._plan_for(api)
        # Whether the parameters name an order (an error then says which): most tasks'
        # parameters have no such field, and that is known once per class.
        names = _order_fields.get(type(self))
        if names is None:
            names = self._order_names()
        if names:
            values = self.params.__dict__  # the fields (getattr of a missing one raises)
            if any(values.get(name) is not None for name in names):
                return self._send_naming_the_order(api, plan)
        return api.send_plan(plan, task=self)

    @classmethod
    def _order_names(cls) -> tuple[str, ...]:
        """The parameters of this class that name an order (kept per class)."""
        fields = cls.Params.model_fields
        wanted = (*cls.order_id_params, *cls.client_order_id_params)
        names = _order_fields[cls] = tuple(name for name in wanted if name in fields)
        return names

    async def _send_naming_the_order(self, api: RestApi, plan: RequestPlan) -> ResultT:
        try:
            result: ResultT = await api.send_plan(plan, task=self)
        except errors.RequestError as exc:
            self._name_the_order(exc)
            raise
        return result

    def _plan_for(self, api: RestApi) -> RequestPlan:
        """This task's shared plan on ``api``. Tasks built from the same plain input
        share one parameters object (:meth:`TaskParams.validated
        <aioca.params.TaskParams.validated>`), and so find their plan by it, without
        working out their wire parameters again: a task's plan depends on its class and
        its parameters only."""
        params, cls = self.params, type(self)
        known = api._params_plans
        entry = known.get(id(params))
        if entry is not None and entry[1] is params and entry[0] is cls:
            plan = entry[2]
        else:
            plan = api.plan_endpoint(self.endpoint, self.wire_params())
            if len(known) >= _MAX_PARAMS_PLANS:
                known.clear()
            known[id(params)] = (cls, params, plan)
        self._plan, self._plan_api = plan, api
        return plan

    async def _place(self, api: RestApi, id_field: str) -> ResultT:
        """Run an order-placing request: a fresh client order id for every order that has
        none (a new plan each run), and an unknown outcome reported as such."""
        params, self.client_order_ids = self._with_client_ids(id_field)
        plan = api.plan_endpoint(self.endpoint, self.wire_params(params), shared=False)
        try:
            result: ResultT = await api.send_plan(plan, task=self)
        except _UNKNOWN_OUTCOME as exc:
            self._name_the_order(exc)
            if isinstance(exc, errors.ConnectError | errors.BatchError):
                raise  # nothing sent; or an answer that says what happened to each order
            unknown = errors.OrderStateUnknownError.after(exc, self.client_order_ids, id_field)
            unknown.order_id = exc.order_id
            raise unknown from exc
        except errors.RequestError as exc:
            self._name_the_order(exc)
            raise
        return result

    def _with_client_ids(self, field: str) -> tuple[TaskParams, tuple[str, ...]]:
        """The parameters with a client order id on every order that has none, and the ids
        sent (a fresh id for every run: exchanges refuse a duplicate)."""
        params = self.params
        if self.batch_field is not None:
            items = getattr(params, self.batch_field, None)
            if items is not None:
                stamped = [_stamped(item, field, self.new_client_order_id) for item in items]
                ids = tuple(str(_get(item, field)) for item in stamped)
                return params.model_copy(update={self.batch_field: stamped}), ids
        given = getattr(params, field, None)
        if given is not None:
            return params, (str(given),)
        client_id = self.new_client_order_id()
        return params.model_copy(update={field: client_id}), (client_id,)

    def _name_the_order(self, error: errors.RequestError) -> None:
        """Put the order this request was about on its error, unless it names one."""
        if isinstance(error, errors.BatchError):
            return  # its items' errors name their own orders
        params = self.params
        if error.order_id is None:
            for name in self.order_id_params:
                value = getattr(params, name, None)
                if value is not None:
                    error.order_id = value
                    break
        if error.client_order_id is None:
            for name in self.client_order_id_params:
                value = getattr(params, name, None)
                if value is not None:
                    error.client_order_id = str(value)
                    break
            else:
                if len(self.client_order_ids) == 1:
                    error.client_order_id = self.client_order_ids[0]

    def __str__(self) -> str:
        return fill_name(localize(self.texts.en, self.texts.zh), self.name_values())

    def name_values(self) -> dict[str, Any]:
        """The values the name's placeholders are filled with: the parameters given."""
        return {
            name: getattr(value, "value", value) for name, value in self.params if value is not None
        }


def _get(item: Any, field: str) -> Any:
    return item.get(field) if isinstance(item, Mapping) else getattr(item, field, None)


def _stamped(item: Any, field: str, new_id: Any) -> Any:
    """A batch item (a model or a mapping) with a client order id."""
    if _get(item, field) is not None:
        return item
    if isinstance(item, Mapping):
        return {**item, field: new_id()}
    return item.model_copy(update={field: new_id()})

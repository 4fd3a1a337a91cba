"""Tasks: the smallest unit of work the framework runs.

A task is an object whose ``async def __call__(self)`` does one request (or any other
awaitable work) and returns its result. The framework, not the user, awaits it through
:meth:`BaseTask.run`, which records the outcome on the task: ``result`` on success,
``exception`` on failure. That record is what lets a queue, a composite or a ring hand the
task back to the caller with its latest outcome attached.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self

from typing_extensions import TypeVar

from .errors import MissingApiError

if TYPE_CHECKING:
    from .rest import RestApi

__all__ = ["BaseTask", "FunctionTask", "GenericTask", "ResultT", "Task", "current_task"]

# A weak reference, not the task: asyncio copies the current context into the callbacks it
# schedules while a task runs (a pooled connection's reader keeps one until its next
# request), and a strong reference there would keep the last task of every connection, and
# its result (500 candles...), alive long after the run: memory, and garbage collections
# that walk it all.
_running_task: contextvars.ContextVar[weakref.ref[BaseTask] | None] = contextvars.ContextVar(
    "aioca_running_task", default=None
)


def current_task() -> BaseTask | None:
    """The aioca task whose ``__call__`` is running in this asyncio context, if any.

    :meth:`RestApi.request <aioca.RestApi.request>` uses it to name the task in the
    exceptions it raises, so user tasks need not pass their name along.
    """
    running = _running_task.get()
    return running() if running is not None else None


ResultT = TypeVar("ResultT", default=Any)
"""What a task's run returns: ``Task[list[dict[str, Any]]]`` is a task whose ``result`` is
typed as such for IDEs and type checkers; an unparameterised ``Task`` returns ``Any``."""


class BaseTask(ABC, Generic[ResultT]):
    """What every task has, plain or composite: ``result``, ``exception``, ``run()``,
    a name (``str(task)``) and ``show_tasks()``. The seed README calls this ``GenericTask``.
    It is generic in its result: ``BaseTask[R]``'s ``run()`` returns ``R`` and its
    ``result`` is ``R | None``.
    """

    # The state before the first run is the class's, not set in __init__: user subclasses
    # that define their own __init__ and forget super().__init__() still work, as the
    # seed's examples did (and a new task costs no assignments).
    _result: ResultT | None = None
    _exception: BaseException | None = None
    _has_run: bool = False
    _duration: float | None = None

    @abstractmethod
    async def __call__(self) -> ResultT:
        """Do the work once and return its result. Awaited by the framework with no arguments."""

    @property
    def result(self) -> ResultT:
        """The value of the last successful run; ``None`` before the first run and after a
        failed one. Read-only: the framework maintains it. (Typed as the run's result, what
        it is once a run succeeded: ``await task.run()`` returns the same value.)"""
        return self._result  # type: ignore[return-value]

    @property
    def duration(self) -> float | None:
        """Seconds the last run took, from its start to its outcome (``None`` before the
        first run); for a composite, its children's runs together. A run that waited for
        the rate limiter counts the wait: it is part of what the task cost."""
        return self._duration

    @property
    def exception(self) -> BaseException | None:
        """The exception of the last run if it failed, else ``None``."""
        return self._exception

    async def run(self) -> ResultT:
        """Await the task once, record the outcome on it, and return the result.

        A failure is recorded on the task (``exception`` set, ``result`` reset to ``None``)
        and re-raised. Cancellation is not a failure of the task: it propagates and leaves
        the previous record alone.
        """
        token = _running_task.set(weakref.ref(self))
        started = time.perf_counter()
        try:
            value = await self()
        except Exception as exc:
            self._result = None
            self._exception = exc
            self._has_run = True
            self._duration = time.perf_counter() - started
            raise
        finally:
            _running_task.reset(token)
        self._result = value
        self._exception = None
        self._has_run = True
        self._duration = time.perf_counter() - started
        return value

    def _forget_outcome(self) -> None:
        """Clear the record, for a task skipped in this pass (see ``SerialTask``)."""
        self._result = None
        self._exception = None

    def _tree_lines(self, depth: int) -> Iterator[str]:
        pad = "    " * depth
        for line in str(self).splitlines() or [""]:
            yield pad + line

    def format_tasks(self) -> str:
        """The task tree as ``show_tasks()`` prints it, as a string."""
        return "\n".join(self._tree_lines(0))

    def show_tasks(self) -> None:
        """Print the task tree (indented 4 spaces per level, as in the seed README)."""
        print(self.format_tasks())

    def __repr__(self) -> str:
        state = "failed" if self._exception is not None else "done" if self._has_run else "new"
        return f"<{type(self).__name__} {str(self)!r} {state}>"


GenericTask = BaseTask
"""The seed README's name for "any task": a :class:`Task` or a composite."""


class _DefaultApis:
    """The class-wide default API objects: one per exchange, plus the most recent one."""

    def __init__(self) -> None:
        self.by_exchange: dict[str, RestApi] = {}
        self.latest: RestApi | None = None

    def set(self, api: RestApi) -> None:
        exchange = getattr(api, "exchange", None)
        if isinstance(exchange, str) and exchange:
            self.by_exchange[exchange] = api
        self.latest = api

    def get(self, exchange: str | None) -> RestApi | None:
        if exchange is None:
            return self.latest
        return self.by_exchange.get(exchange)

    def clear(self) -> None:
        self.by_exchange.clear()
        self.latest = None

    def snapshot(self) -> tuple[dict[str, RestApi], RestApi | None]:
        return dict(self.by_exchange), self.latest

    def restore(self, saved: tuple[dict[str, RestApi], RestApi | None]) -> None:
        self.by_exchange = dict(saved[0])
        self.latest = saved[1]

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Whatever is set inside, every default is as it was afterwards."""
        saved = self.snapshot()
        try:
            yield
        finally:
            self.restore(saved)


_defaults = _DefaultApis()
_ApiT = TypeVar("_ApiT", bound="RestApi")


class Task(BaseTask[ResultT]):
    """One request to an exchange (or any awaitable work): subclass it and define
    ``async def __call__(self)``.

    Each task holds the API object it sends requests with, ``task.api``. Unless one is
    passed as ``api=``, a task takes the default in force *when it is created*: the default
    of its class's ``exchange``, or, for a task class that names no exchange, the most
    recently set default. Changing the default later does not touch existing tasks.
    """

    exchange: ClassVar[str | None] = None
    """The exchange this task class talks to (its plugin's exchange name); ``None`` for a task that
    is not tied to one exchange."""

    _api: RestApi | None
    _args: tuple[Any, ...] = ()
    _kwargs: Mapping[str, Any] = MappingProxyType({})

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        self = super().__new__(cls)
        api = kwargs.get("api")
        self._api = api if api is not None else _defaults.get(cls.exchange)
        self._args = args
        self._kwargs = kwargs  # a dict of this call's own; `api` is left out when shown
        return self

    def __init__(self, *, api: RestApi | None = None) -> None:
        if api is not None:
            self._api = api

    @classmethod
    def describe(cls) -> dict[str, str]:
        """What a task of this class sends, for catalogs and ``aioca tasks``: the keys
        ``method``, ``path``, ``security``, ``cost`` (its rate-limit charge, in the
        exchange's own terms) and ``summary`` (one line of English), each one a plugin
        knows. A plugin's task base class overrides it; a task that declares no endpoint
        describes itself by its docstring's first line only."""
        doc = (cls.__doc__ or "").strip()
        return {"summary": doc.splitlines()[0]} if doc else {}

    @classmethod
    def set_default_api(cls, api: RestApi) -> None:
        """Make ``api`` the default for tasks created from now on: for tasks of
        ``api.exchange`` and for tasks that name no exchange."""
        _defaults.set(api)

    @classmethod
    @contextlib.contextmanager
    def using_default_api(cls, api: _ApiT) -> Iterator[_ApiT]:
        """``with Task.using_default_api(api):`` makes ``api`` the default inside the block
        and puts every default back afterwards, those of other exchanges included (test
        fixtures and demos borrow the default without clobbering the caller's)."""
        with _defaults.scope():
            _defaults.set(api)
            yield api

    @classmethod
    def get_default_api(cls, exchange: str | None = None) -> RestApi | None:
        """The default a new task of ``exchange`` would take (the most recent one for ``None``)."""
        return _defaults.get(exchange)

    @classmethod
    def clear_default_apis(cls) -> None:
        """Forget every default API (tests use it to start clean)."""
        _defaults.clear()

    @property
    def api(self) -> RestApi:
        """The API object this task sends its requests with.

        Raises :class:`~aioca.errors.MissingApiError` when there is none, so that a task
        run without an API fails with a message saying how to give it one.
        """
        if self._api is None:
            where = f"an API for exchange {self.exchange!r}" if self.exchange else "an API object"
            raise MissingApiError(
                f"task {self} needs {where}: pass api=... when creating it, "
                "or call Task.set_default_api(api) before creating it"
            )
        return self._api

    @api.setter
    def api(self, api: RestApi) -> None:
        self._api = api

    def __str__(self) -> str:
        parts = [repr(arg) for arg in self._args]
        parts += [f"{key}={value!r}" for key, value in self._kwargs.items() if key != "api"]
        return f"{type(self).__name__}({', '.join(parts)})"


class FunctionTask(Task):
    """Turns any coroutine function into a task, for async work that is not an exchange call.

    ``func(*args, **kwargs)`` is called afresh on every run (so the task can sit in a
    ``TaskRing``) and its awaited value becomes the result::

        FunctionTask(fetch_json, "http://127.0.0.1:8080/status", name="status page")
    """

    def __init__(
        self,
        func: Callable[..., Awaitable[Any]],
        /,
        *args: Any,
        name: str | None = None,
        api: RestApi | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(api=api)
        if not callable(func):
            raise TypeError(f"FunctionTask needs a coroutine function, got {func!r}")
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.name = name

    async def __call__(self) -> Any:
        return await self.func(*self.args, **self.kwargs)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        qualname = getattr(self.func, "__qualname__", repr(self.func))
        parts = [repr(arg) for arg in self.args]
        parts += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{qualname}({', '.join(parts)})"

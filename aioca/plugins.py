"""The plugin host: finds exchange plugins and answers "which exchanges are there?".

Plugins are found through the package entry-point group ``aioca``. A plugin is a module
(or any object) with a ``register_exchanges(register)`` hook implementation marked with
:data:`aioca.hookimpl`. Discovery is lazy: nothing is imported until the first call to
:func:`exchanges`, :func:`exchange` or :func:`catalog`, so ``import aioca`` stays cheap.

``AIOCA_PLUGINS=a,b`` limits which installed plugin packages are loaded (by distribution
or entry-point name; empty loads none), the escape hatch when one breaks start-up.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pluggy

from . import hookspecs
from .errors import DuplicateExchangeError, PluginError, UnknownExchangeError
from .rest import RestApi
from .task import Task

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExchangeInfo",
    "PluginHost",
    "PluginWarning",
    "catalog",
    "default_host",
    "exchange",
    "exchanges",
]

ENTRY_POINT_GROUP = "aioca"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


class PluginWarning(UserWarning):
    """A plugin could not be loaded; the others still are."""


@dataclass(frozen=True)
class ExchangeInfo:
    """An installed exchange: its ``name``, the ``package`` (distribution) that provides
    it and that package's ``version``, its ``api_class`` and its task catalog ``tasks``."""

    name: str
    package: str
    version: str | None
    api_class: type[RestApi] = field(repr=False)
    tasks: Mapping[str, type[Task]] = field(repr=False)


@dataclass(frozen=True)
class _PluginSource:
    plugin: object
    name: str
    package: str
    version: str | None


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _allowed_packages() -> set[str] | None:
    raw = os.environ.get("AIOCA_PLUGINS")
    if raw is None:
        return None
    return {_normalize(part.strip()) for part in raw.split(",") if part.strip()}


class PluginHost:
    """Loads exchange plugins and keeps what they register.

    The module-level functions use one shared host (:func:`default_host`). Tests and tools
    can make their own, with another entry-point ``group`` or with plugins added by hand
    through :meth:`add_plugin`.
    """

    def __init__(self, group: str = ENTRY_POINT_GROUP, *, entry_points: bool = True) -> None:
        self.group = group
        self.use_entry_points = entry_points
        self._added: list[_PluginSource] = []
        self._exchanges: dict[str, ExchangeInfo] | None = None
        self._manager: pluggy.PluginManager | None = None  # made by each load
        self._registered: list[_PluginSource] = []

    def add_plugin(
        self,
        plugin: object,
        *,
        name: str | None = None,
        package: str | None = None,
        version: str | None = None,
    ) -> None:
        """Register a plugin object directly, without an entry point."""
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self._added.append(_PluginSource(plugin, plugin_name, package or plugin_name, version))
        self._exchanges = None

    def reload(self) -> None:
        """Forget what was loaded; the next query discovers the plugins again."""
        self._exchanges = None

    # --- queries ---------------------------------------------------------------------------

    def exchanges(self) -> list[ExchangeInfo]:
        """The installed exchanges, sorted by name."""
        loaded = self._loaded()
        return [loaded[name] for name in sorted(loaded)]

    def info(self, name: str) -> ExchangeInfo:
        """The exchange called ``name``; :class:`UnknownExchangeError` when none is."""
        loaded = self._loaded()
        try:
            return loaded[name]
        except KeyError:
            installed = ", ".join(sorted(loaded)) or "none"
            hint = (
                ""
                if loaded
                else f" (plugins register through the {self.group!r} entry-point group)"
            )
            raise UnknownExchangeError(
                f"unknown exchange {name!r}; installed exchanges: {installed}{hint}"
            ) from None

    def exchange(self, name: str, **options: Any) -> RestApi:
        """An API object of exchange ``name``, built with ``options`` (credentials, urls...)."""
        return self.info(name).api_class(**options)

    def catalog(self, name: str) -> Mapping[str, type[Task]]:
        """The task classes of exchange ``name``, by task name (read-only)."""
        return self.info(name).tasks

    # --- loading ---------------------------------------------------------------------------

    def _loaded(self) -> dict[str, ExchangeInfo]:
        if self._exchanges is None:
            self._exchanges = self._load()
        return self._exchanges

    def _entry_point_sources(self) -> Iterator[_PluginSource]:
        import importlib.metadata  # here, not at the top: it costs ~4 ms of every import

        allowed = _allowed_packages()
        for entry_point in importlib.metadata.entry_points(group=self.group):
            dist = entry_point.dist
            package = dist.name if dist is not None else entry_point.name
            version = dist.version if dist is not None else None
            if allowed is not None and not (
                {_normalize(package), _normalize(entry_point.name)} & allowed
            ):
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                warnings.warn(
                    f"aioca plugin {package!r} (entry point {entry_point.name!r}) failed to "
                    f"load and was skipped: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=4,
                )
                continue
            yield _PluginSource(plugin, entry_point.name, package, version)

    def register_commands(self, register: hookspecs.RegisterCommand) -> None:
        """Let every loaded plugin add its command-line commands through ``register``
        (see :func:`aioca.hookspecs.register_commands`). A plugin whose hook fails is
        reported with a :class:`PluginWarning`; the others still add theirs."""
        self._loaded()
        assert self._manager is not None
        for source, call in _each_plugin(self._manager, "register_commands", self._registered):
            try:
                call(register=register)
            except Exception as exc:
                warnings.warn(
                    f"aioca plugin {source.package!r} failed while adding its commands: "
                    f"{type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=2,
                )

    def _load(self) -> dict[str, ExchangeInfo]:
        manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
        manager.add_hookspecs(hookspecs)
        sources = list(self._added)
        if self.use_entry_points:
            sources += self._entry_point_sources()
        registered: list[_PluginSource] = []
        for number, source in enumerate(sources):
            try:
                # A unique name: two distributions may both call their entry point after
                # the exchange, and that must surface as a duplicate exchange, not a clash.
                manager.register(source.plugin, name=f"{number}:{source.package}:{source.name}")
            except (ValueError, pluggy.PluginValidationError) as exc:
                warnings.warn(
                    f"aioca plugin {source.package!r} was skipped: {exc}",
                    PluginWarning,
                    stacklevel=4,
                )
                continue
            registered.append(source)
        try:
            manager.check_pending()
        except pluggy.PluginValidationError as exc:
            warnings.warn(f"aioca plugin {exc.plugin!r}: {exc}", PluginWarning, stacklevel=4)

        self._manager, self._registered = manager, list(registered)
        found: dict[str, ExchangeInfo] = {}
        for source, call in _each_plugin(manager, "register_exchanges", registered):
            registrar = _Registrar(source)
            try:
                call(register=registrar)
            except PluginError:
                raise  # an inconsistent registration is the plugin author's bug: say so loudly
            except Exception as exc:
                # A plugin whose hook crashed must not take the other exchanges down with it.
                warnings.warn(
                    f"aioca plugin {source.package!r} failed while registering its exchanges "
                    f"and was skipped: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=4,
                )
                self._registered.remove(source)  # skipped: its commands too
                continue
            for info in registrar.found.values():
                if info.name in found:
                    raise DuplicateExchangeError(
                        f"exchange {info.name!r} is registered by both "
                        f"{found[info.name].package!r} and {info.package!r}; uninstall one, "
                        "or choose with AIOCA_PLUGINS"
                    )
                found[info.name] = info
        return found


def _each_plugin(
    manager: pluggy.PluginManager, hook: str, sources: list[_PluginSource]
) -> Iterator[tuple[_PluginSource, Callable[..., Any]]]:
    """Each source with a call of its own implementation of ``hook`` (sources that have
    none are left out), so that one plugin's failure is its own. The implementation gets
    only the arguments it names, as pluggy passes them; one pass over the hook's
    implementations, however many plugins there are."""
    impls = {id(impl.plugin): impl for impl in getattr(manager.hook, hook).get_hookimpls()}
    for source in sources:
        impl = impls.get(id(source.plugin))
        if impl is not None:
            yield source, functools.partial(_call_impl, impl)


def _call_impl(impl: Any, **kwargs: Any) -> Any:
    return impl.function(**{name: kwargs[name] for name in impl.argnames})


class _Registrar:
    """The ``register`` callback handed to one plugin: validates and records its exchanges."""

    def __init__(self, source: _PluginSource) -> None:
        self.source = source
        self.found: dict[str, ExchangeInfo] = {}

    def __call__(
        self, name: str, api_class: type[RestApi], tasks: Mapping[str, type[Task]]
    ) -> None:
        package = self.source.package
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                f"plugin {package!r} registered an invalid exchange name {name!r} "
                "(lowercase letters, digits, '-', '_' or '.', starting with a letter)"
            )
        if not (isinstance(api_class, type) and issubclass(api_class, RestApi)):
            raise PluginError(
                f"plugin {package!r}: exchange {name!r} needs a RestApi subclass, got {api_class!r}"
            )
        if api_class.exchange != name:
            raise PluginError(
                f"plugin {package!r}: {api_class.__name__}.exchange is "
                f"{api_class.exchange!r}, but it is registered as {name!r}"
            )
        if not isinstance(tasks, Mapping):
            raise PluginError(f"plugin {package!r}: the tasks of {name!r} must be a mapping")
        catalog: Mapping[str, type[Task]]
        if isinstance(tasks, dict | MappingProxyType):
            for task_name, task_class in tasks.items():
                _check_task(package, name, task_name, task_class)
            catalog = MappingProxyType(dict(tasks))
        else:
            # Any other mapping may be lazy (a catalog that imports its classes on first
            # use, to keep start-up fast): check each class when it is first looked up.
            catalog = _CheckedCatalog(package, name, tasks)
        if name in self.found:
            raise DuplicateExchangeError(f"plugin {package!r} registers exchange {name!r} twice")
        self.found[name] = ExchangeInfo(
            name=name,
            package=package,
            version=self.source.version,
            api_class=api_class,
            tasks=catalog,
        )


def _check_task(package: str, exchange: str, task_name: str, task_class: object) -> None:
    if not (isinstance(task_class, type) and issubclass(task_class, Task)):
        raise PluginError(
            f"plugin {package!r}: task {task_name!r} of {exchange!r} is not a Task subclass"
        )
    if task_class.exchange != exchange:
        raise PluginError(
            f"plugin {package!r}: task {task_name!r} has exchange "
            f"{task_class.exchange!r}, but belongs to {exchange!r}"
        )


class _CheckedCatalog(Mapping[str, "type[Task]"]):
    """A plugin's own (possibly lazy) catalog, read-only, each class checked on first use."""

    def __init__(self, package: str, exchange: str, tasks: Mapping[str, type[Task]]) -> None:
        self._package = package
        self._exchange = exchange
        self._tasks = tasks
        self._checked: dict[str, type[Task]] = {}

    def __getitem__(self, task_name: str) -> type[Task]:
        try:
            return self._checked[task_name]
        except KeyError:
            pass
        task_class = self._tasks[task_name]
        _check_task(self._package, self._exchange, task_name, task_class)
        self._checked[task_name] = task_class
        return task_class

    def __contains__(self, task_name: object) -> bool:
        return task_name in self._tasks

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)


_default_host = PluginHost()


def default_host() -> PluginHost:
    """The host behind :func:`exchanges`, :func:`exchange` and :func:`catalog`."""
    return _default_host


def exchanges() -> list[ExchangeInfo]:
    """The installed exchanges (``name``, ``package``, ``version``), sorted by name."""
    return _default_host.exchanges()


def exchange(name: str, **options: Any) -> RestApi:
    """An API object for the installed exchange ``name``, e.g.
    ``aioca.exchange(name, api_key=..., api_secret=...)``."""
    return _default_host.exchange(name, **options)


def catalog(name: str) -> Mapping[str, type[Task]]:
    """The task classes of the installed exchange ``name``, by task name."""
    return _default_host.catalog(name)

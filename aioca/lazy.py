"""Imports on first use, for plugins that must not slow down a program's start.

``aioca.exchange(name)`` loads every installed plugin's registration, and a catalog of
dozens of task classes with pydantic models costs tens of milliseconds to import. A
plugin that registers a :class:`LazyCatalog` and exports its names with
:func:`lazy_exports` pays for a module only when something uses it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .task import Task

__all__ = ["LazyCatalog", "lazy_exports"]

_TaskT = TypeVar("_TaskT", bound="Task")


class LazyCatalog(Mapping[str, type[_TaskT]], Generic[_TaskT]):
    """Task classes by name, read-only, each imported with its module on first access.

    ``index`` maps each task name to the module defining it, relative to ``package``
    (``LazyCatalog("aioca_foo.tasks", {"FooPing": "market", ...})``). The names are
    known without importing anything, so listing, counting and ``in`` are free; the plugin
    host checks each class when it is first looked up.
    """

    __slots__ = ("_index", "_loaded", "_package")

    def __init__(self, package: str, index: Mapping[str, str]) -> None:
        self._package = package
        self._index = dict(index)
        self._loaded: dict[str, type[_TaskT]] = {}

    def __getitem__(self, name: str) -> type[_TaskT]:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        module = self._index[name]  # KeyError for an unknown name, as a mapping should
        task_class: type[_TaskT] = getattr(
            importlib.import_module(f"{self._package}.{module}"), name
        )
        self._loaded[name] = task_class
        return task_class

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __repr__(self) -> str:
        return f"<LazyCatalog of {self._package}: {len(self._index)} tasks>"


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` (PEP 562) that import each exported
    name from its module (``{"FooRestApi": "api"}``, relative to ``package``) on first
    use and keep it in ``namespace`` (the package's ``globals()``) for the next lookups::

        __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
    """
    table = dict(exports)

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's required name
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *table})

    return __getattr__, __dir__

"""``aioca.LazyCatalog`` and ``aioca.lazy_exports``: nothing is imported before it is used.

Each test writes a small package to ``tmp_path`` whose modules record their import in a
shared list, so the tests see exactly which modules were imported and when.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import aioca
from aioca import LazyCatalog, Task

IMPORTED: list[str] = []


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"lazy_pkg_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent(
            """
            from aioca import LazyCatalog, lazy_exports

            CATALOG = LazyCatalog(__name__, {"Ping": "market", "Order": "trade"})
            __getattr__, __dir__ = lazy_exports(
                __name__, {"Ping": "market", "Order": "trade", "VALUE": "market"}, globals()
            )
            """
        )
    )
    for module, task in (("market", "Ping"), ("trade", "Order")):
        (root / f"{module}.py").write_text(
            textwrap.dedent(
                f"""
                from aioca import Task
                from tests.test_lazy import IMPORTED

                IMPORTED.append({module!r})
                VALUE = 42


                class {task}(Task):
                    exchange = "fake"

                    async def __call__(self):
                        return {task!r}
                """
            )
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    IMPORTED.clear()
    yield name
    for loaded in [key for key in sys.modules if key.startswith(name)]:
        del sys.modules[loaded]


def load(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_names_count_and_membership_import_nothing(package: str) -> None:
    catalog = load(package).CATALOG
    assert sorted(catalog) == ["Order", "Ping"]
    assert len(catalog) == 2
    assert "Ping" in catalog
    assert "Nope" not in catalog
    assert IMPORTED == []


def test_a_lookup_imports_only_the_module_that_defines_the_class(package: str) -> None:
    catalog = load(package).CATALOG
    ping = catalog["Ping"]
    assert issubclass(ping, Task)
    assert ping.__name__ == "Ping"
    assert catalog["Ping"] is ping
    assert IMPORTED == ["market"]


def test_an_unknown_name_is_a_key_error(package: str) -> None:
    with pytest.raises(KeyError):
        load(package).CATALOG["Nope"]


def test_lazy_exports_import_on_first_attribute_use_and_cache_it(package: str) -> None:
    module = load(package)
    assert IMPORTED == []
    assert module.VALUE == 42
    assert IMPORTED == ["market"]
    assert "VALUE" in vars(module)  # cached: the next lookup does not go through __getattr__
    assert {"Ping", "Order", "VALUE"} <= set(dir(module))
    assert IMPORTED == ["market"]
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = module.Nope


def test_from_import_works_through_lazy_exports(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import Order", namespace)
    assert namespace["Order"].__name__ == "Order"  # type: ignore[attr-defined]
    assert IMPORTED == ["trade"]


def test_the_repr_names_the_package_and_the_count() -> None:
    assert repr(LazyCatalog("some.pkg", {"A": "a"})) == "<LazyCatalog of some.pkg: 1 tasks>"


def test_aioca_exports_them() -> None:
    assert aioca.LazyCatalog is LazyCatalog
    assert callable(aioca.lazy_exports)

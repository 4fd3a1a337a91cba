"""The public surface: explicit, sorted __all__ lists, documented names, no exchange code."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import aioca
from aioca import errors

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES: list[ModuleType] = [aioca, errors]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_all_is_sorted_and_names_exist(module: ModuleType) -> None:
    names = list(module.__all__)
    assert names == sorted(names)
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == []


def test_all_lists_every_public_name_of_the_package() -> None:
    public = {
        name
        for name, value in vars(aioca).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public - set(aioca.__all__) == set()


def test_every_exception_in_errors_is_exported() -> None:
    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert classes == set(errors.__all__) - {"RequestContext"}


def test_every_exception_derives_from_aioca_error() -> None:
    for name in set(errors.__all__) - {"RequestContext"}:
        assert issubclass(getattr(errors, name), errors.AiocaError), name


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("RequestTimeoutError", TimeoutError),
        ("UnknownExchangeError", LookupError),
        ("InvalidParameterError", ValueError),
        ("EventLoopRunningError", RuntimeError),
    ],
)
def test_errors_also_inherit_the_builtin_they_resemble(name: str, builtin: type) -> None:
    assert issubclass(getattr(errors, name), builtin)


def test_every_public_name_is_documented() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    docs = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    undocumented = [
        name
        for name in [*aioca.__all__, *errors.__all__]
        if not re.search(rf"\b{re.escape(name)}\b", docs)
    ]
    assert undocumented == []


def test_core_imports_no_exchange_package() -> None:
    imported: set[str] = set()
    for path in (ROOT / "aioca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert not {name for name in imported if name.startswith("aioca_")}
    allowed_third_party = {
        "aiohttp",
        "aioresponses",
        "click",
        "multidict",
        "orjson",
        "pluggy",
        "pydantic",
        "pydantic_core",
        "pytest",
        "redis",  # the `redis` extra, only in aioca.limits.redis
        "typing_extensions",
        "uvloop",
        "yarl",
    }
    third_party = imported - set(sys.stdlib_module_names) - {"aioca"}
    assert third_party <= allowed_third_party


def test_importing_aioca_loads_no_plugin() -> None:
    code = "import sys, aioca; print(sorted(m for m in sys.modules if m.startswith('aioca_')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_importing_aioca_and_its_limits_loads_no_redis() -> None:
    code = "import sys, aioca, aioca.limits; print('redis' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"  # the extra stays optional


def test_package_is_typed() -> None:
    assert (ROOT / "aioca" / "py.typed").is_file()


def test_version_is_exposed() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", aioca.__version__)


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"```bash\n(python3 -m venv .+pytest.*)\n```", readme)
    assert match, "README must show the set-up-and-test command in a bash block"
    test_command = match.group(1)
    assert test_command in ci


def test_no_line_of_the_core_names_an_exchange() -> None:
    names = re.compile(r"binance|okx|coin-?m\b|dapi|x-mbx|mbx-", re.IGNORECASE)
    offending = []
    for path in sorted((ROOT / "aioca").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if names.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def _private_core_names(path: Path) -> list[str]:
    """Where a module uses a private name of the core: imported from an ``aioca`` module,
    or reached as an attribute of one."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    core_modules = {"aioca"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "aioca":
                found += [f"from {node.module} import {a.name}" for a in node.names
                          if a.name.startswith("_") and a.name != "__version__"]  # fmt: skip
        elif isinstance(node, ast.Import):
            core_modules |= {a.asname or a.name for a in node.names if a.name.startswith("aioca.")}
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in core_modules:
                found.append(ast.unparse(node))
    return found


def test_no_plugin_module_uses_a_private_name_of_the_core() -> None:
    # Plugins use the core's public API only: the one contract the OKX plugin, the
    # scaffold and third-party plugins get too.
    modules = sorted((ROOT / "plugins").glob("*/aioca_*/**/*.py"))
    assert len(modules) > 40
    used = {str(path.relative_to(ROOT)): _private_core_names(path) for path in modules}
    assert {path: names for path, names in used.items() if names} == {}


def test_the_private_name_check_finds_one() -> None:
    sample = ROOT / "tests" / "_private_name_sample.py"
    sample.write_text(
        "import aioca.task\nfrom aioca.rest import _read_body\nx = aioca.task._running_task\n",
        encoding="utf-8",
    )
    try:
        assert _private_core_names(sample) == [
            "from aioca.rest import _read_body",
            "aioca.task._running_task",
        ]
    finally:
        sample.unlink()

"""Executed documentation: every Python block of the docs and READMEs runs under pytest.

Sybil collects the ```python blocks of ``docs/**/*.md``, the READMEs and CONTRIBUTING.md;
the blocks of one page run in order in one namespace, as a reader runs them in one Python
session. What a block prints is checked against its ``#>`` comment lines (reprex style:
``print(x)  #> 3``, or ``#> line`` lines right after the statement that prints it): each
top-level statement that shows output must print exactly that; output that cannot be
predicted is shown in plain comments, which are not checked. A block that cannot run (it
needs credentials or the real exchange) is marked as a fragment with ``<!-- skip: next -->``
just above it; tests/test_docs.py makes sure no Python block escapes both.

Each page runs against the Binance simulator: the mainnet COIN-M URL points at one
started for the test session, so the examples that "need network access" run offline and
show real answers; and each page starts from a clean global state (no default APIs,
English names).
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.sybil import SybilCollection

ROOT = Path(__file__).resolve().parent
_SHOWN = re.compile(r"(?:^|\s)#>(?: (?P<text>.*))?$")


def shown_outputs(source: str) -> list[tuple[ast.stmt, str | None]]:
    """Each top-level statement of ``source`` with the output it shows in ``#>`` comments
    (on its own lines, or on the comment lines right after it), or ``None`` if it shows
    none."""
    tree = ast.parse(source)
    lines = source.splitlines()
    statements = tree.body
    result: list[tuple[ast.stmt, str | None]] = []
    for index, statement in enumerate(statements):
        last = statement.end_lineno or statement.lineno
        following = statements[index + 1].lineno - 1 if index + 1 < len(statements) else len(lines)
        shown: list[str] = []
        found = False
        for number in range(statement.lineno, following + 1):
            line = lines[number - 1]
            if number > last and line.strip() and not line.lstrip().startswith("#"):
                break
            match = _SHOWN.search(line)
            if match is not None:
                found = True
                shown.append(match.group("text") or "")
        result.append((statement, "\n".join(shown) + "\n" if found else None))
    return result


class CheckedPythonEvaluator:
    """Runs a block statement by statement; a statement that shows output with ``#>`` must
    print exactly that (the others print what they like)."""

    def __call__(self, example: Example) -> str | None:
        __tracebackhide__ = True
        source = example.parsed
        offset = example.line + example.parsed.line_offset
        namespace = example.namespace
        for statement, expected in shown_outputs(source):
            module = ast.Module(body=[statement], type_ignores=[])
            ast.increment_lineno(module, offset)
            code = compile(module, example.path, "exec", dont_inherit=True)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
            if expected is not None and printed.getvalue() != expected:
                line = statement.lineno  # already moved to the page's numbering
                return (
                    f"line {line}: the statement printed\n{printed.getvalue()}"
                    f"but the page shows\n{expected}"
                )
        namespace.pop("__builtins__", None)
        return None


_SESSION = contextlib.ExitStack()
_simulator: Any = None


def _docs_simulator() -> Any:
    """The simulator the pages run against: started by the first page, stopped with the
    session (pytest_unconfigure)."""
    global _simulator
    if _simulator is None:
        from aioca_binance_sim.background import background_simulator

        _simulator = _SESSION.enter_context(background_simulator(seed=7))
    return _simulator


def pytest_unconfigure(config: pytest.Config) -> None:
    _SESSION.close()


def _setup(namespace: dict[str, Any]) -> None:
    from aioca.testing import isolated_state
    from aioca_binance import api as binance_api

    stack = contextlib.ExitStack()
    monkeypatch = pytest.MonkeyPatch()
    stack.callback(monkeypatch.undo)
    monkeypatch.setitem(binance_api.MAINNET_URLS, "coinm", _docs_simulator().url)
    stack.enter_context(isolated_state())
    namespace["_docs_stack"] = stack


def _teardown(namespace: dict[str, Any]) -> None:
    namespace["_docs_stack"].close()


# OKX has no simulator: its pages run against canned OKX answers (the documented shapes),
# Binance requests still reaching the simulator on 127.0.0.1.
OKX_PAGES = ["docs/exchanges/okx.md", "plugins/okx/README.md"]
_OKX_TICKER = {
    "code": "0",
    "msg": "",
    "data": [
        {"instType": "SWAP", "instId": "BTC-USD-SWAP", "last": "64123.5", "ts": "1597026383085"}
    ],
}
_OKX_TIME = {"code": "0", "msg": "", "data": [{"ts": "1597026383085"}]}


def _setup_okx(namespace: dict[str, Any]) -> None:
    from aioca.testing import mocked_responses

    _setup(namespace)
    stack: contextlib.ExitStack = namespace["_docs_stack"]
    mock = stack.enter_context(mocked_responses(passthrough=["http://127.0.0.1"]))
    okx = re.escape("https://www.okx.com/api/v5/")
    mock.get(re.compile(okx + r"market/ticker\?.*"), payload=_OKX_TICKER, repeat=True)
    mock.get(re.compile(okx + r"public/time$"), payload=_OKX_TIME, repeat=True)


# The front pages show Spot and USDⓈ-M futures too, which the simulator does not serve: their
# requests get Binance's documented answers (a kline for each bar asked for), COIN-M's and the
# streams' (which name the simulator's URLs) still reach the simulator on 127.0.0.1.
FRONT_PAGES = ["README.md", "README.zh-CN.md", "docs/index.md"]
_SPOT_PRICE = {"symbol": "BTCUSDT", "price": "4.00000200"}
_USDM_KLINE = [1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100",
               "148976.11427815", 1499644799999, "2434.19055334", 308, "1756.87402397",
               "28.46694368", "17928899.62484339"]  # fmt: skip


def _usdm_klines(url: Any, **kwargs: Any) -> Any:
    from aioresponses import CallbackResult

    return CallbackResult(payload=[_USDM_KLINE] * int(url.query.get("limit", 500)))


def _setup_front_page(namespace: dict[str, Any]) -> None:
    from aioca.testing import mocked_responses

    _setup(namespace)
    stack: contextlib.ExitStack = namespace["_docs_stack"]
    local = ["http://127.0.0.1", "ws://127.0.0.1"]  # the simulator's REST and streams
    mock = stack.enter_context(mocked_responses(passthrough=local))
    spot = re.escape("https://api.binance.com/api/v3/")
    usdm = re.escape("https://fapi.binance.com/fapi/v1/")
    mock.get(re.compile(spot + r"ticker/price\?.*"), payload=_SPOT_PRICE, repeat=True)
    mock.get(re.compile(usdm + r"klines\?.*"), callback=_usdm_klines, repeat=True)


def _sybil(setup: Any, patterns: list[str], excludes: list[str]) -> Sybil:
    return Sybil(
        parsers=[CodeBlockParser("python", CheckedPythonEvaluator()), SkipParser()],
        patterns=patterns,
        setup=setup,
        teardown=_teardown,
        excludes=excludes,
    )


# Sybil matches a pattern from the right ("README.md" is every README.md): the plugins'
# READMEs are collected on their own, the front pages without them.
PLUGIN_READMES = ["plugins/*/README.md"]
pytest_collect_file = SybilCollection(
    [
        _sybil(
            _setup,
            ["*.md"],
            [*OKX_PAGES, *FRONT_PAGES, "plugins/binance/spec/*", "site/*", "build/*"],
        ),
        _sybil(_setup, PLUGIN_READMES, OKX_PAGES),
        _sybil(_setup_okx, OKX_PAGES, []),
        _sybil(_setup_front_page, FRONT_PAGES, PLUGIN_READMES),
    ]
).pytest()

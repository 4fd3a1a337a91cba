"""The simulator is a distribution of its own: the client ships no server, finds the
simulator when it is installed and says what to install when it is not."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import aioca_binance
from aioca.cli import build_cli
from aioca_binance.cli import demo_command
from aioca_binance.simulator import (
    INSTALL_HINT,
    SimulatorNotInstalledError,
    background_simulator,
)

CLIENT = Path(aioca_binance.__file__).parent


def _imported_modules(source: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_client_package_holds_no_server_code() -> None:
    offenders = {
        str(path.relative_to(CLIENT)): sorted(
            name
            for name in _imported_modules(path)
            if name.startswith("aiohttp.web") or name.startswith("aioca_binance_sim.server")
        )
        for path in CLIENT.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert not (CLIENT / "sim").exists()


def test_the_client_distribution_brings_the_simulator_only_with_its_test_extra() -> None:
    requires = importlib.metadata.requires("aioca-binance") or []
    simulator = [line for line in requires if line.startswith("aioca-binance-sim")]
    assert simulator, requires
    assert all('extra == "test"' in line for line in simulator), requires


def test_a_missing_simulator_is_named_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aioca_binance_sim.background", None)
    with pytest.raises(SimulatorNotInstalledError) as caught, background_simulator():
        pytest.fail("started a simulator that is not installed")
    assert str(caught.value) == INSTALL_HINT
    assert 'pip install "aioca-binance[test]"' in INSTALL_HINT


def test_the_demo_says_what_to_install_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aioca_binance_sim.background", None)
    result = CliRunner().invoke(demo_command, [])
    assert result.exit_code == 1
    assert INSTALL_HINT in result.output
    assert "Traceback" not in result.output


def test_aioca_sim_binance_comes_from_the_simulator_distribution() -> None:
    command = build_cli().commands["sim"].commands["binance"]  # type: ignore[attr-defined]
    assert command.callback.__module__ == "aioca_binance_sim.command"
    points = importlib.metadata.entry_points(group="aioca")
    owners = {point.name: point.dist.name for point in points if point.dist is not None}
    assert owners.get("binance-sim") == "aioca-binance-sim"
    assert owners.get("binance") == "aioca-binance"


def test_choosing_an_exchange_does_not_import_the_simulator() -> None:
    """The simulator's ``aioca`` entry point is loaded with every plugin by
    ``aioca.exchange()``: it must not import the server (30 ms of a program's start, and
    aiohttp's server side) until a simulator is used."""
    import subprocess

    code = (
        "import sys, aioca\n"
        "aioca.exchange('binance')\n"
        "assert 'aioca_binance_sim.plugin' in sys.modules, 'the entry point was loaded'\n"
        "print(sorted(m for m in sys.modules\n"
        "      if m.startswith('aioca_binance_sim.') and m not in\n"
        "      ('aioca_binance_sim.plugin', 'aioca_binance_sim._version')))\n"
        "print('aiohttp.web' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "False"]


def test_the_simulator_s_names_are_still_importable_from_the_package() -> None:
    import aioca_binance_sim

    assert aioca_binance_sim.BinanceSimulator.__name__ == "BinanceSimulator"
    assert {"BinanceSimulator", "Budget", "Faults", "serve"} <= set(dir(aioca_binance_sim))

"""How much ``import aioca`` adds to importing its dependencies (aiohttp, pydantic, pluggy).

Each measurement runs in a fresh interpreter; the median of ``--runs`` is reported. The
first table also sums ``python -X importtime`` self times of aioca's own modules, which is
the cost aioca itself adds whatever its dependencies cost.

The second table times what a program that uses an exchange pays before its first
request, ``import aioca; aioca.exchange("binance")``: finding the plugins (entry points),
importing the Binance plugin and building its task catalog. Goal: under 1.3x the time of
``import aiohttp, pydantic, pluggy`` alone. ``import pydantic`` alone loads little of
pydantic (its top level is lazy) while the plugin's models need all of it, so the same
baseline with ``pydantic.BaseModel`` loaded is shown too, for scale (no goal).

Every interpreter runs with bytecode caches, as an installed package has them (see
``child_env``); ``--no-bytecode-cache`` leaves ``PYTHONDONTWRITEBYTECODE`` as set, which
only measures a start that compiles aioca's sources while no ``__pycache__`` was written
before (Python still reads the caches it finds).

    python benchmarks/import_time.py [--runs 5] [--check] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

BASELINE = "import aiohttp, pydantic, pluggy"
WITH_AIOCA = "import aiohttp, pydantic, pluggy, aioca"
EXCHANGE = 'import aioca; aioca.exchange("binance")'
BASELINE_MODELS = "import aiohttp, pydantic, pluggy; pydantic.BaseModel"
GOAL_EXCHANGE = 1.3
BINANCE_ONLY = "aioca-binance"
BYTECODE_CACHE = True


def child_env() -> dict[str, str]:
    """The environment of the measured interpreters: this one's, with bytecode caching on.

    A package installed from a wheel has its ``.pyc`` files written at install time, and
    the dependencies in the baseline have theirs; an editable install (a clone) writes
    them on first import, unless ``PYTHONDONTWRITEBYTECODE`` is set, when every start
    compiles aioca's sources again. That is not what users pay, so it is unset here (the
    ``__pycache__`` folders it writes are ignored by git); ``--no-bytecode-cache`` keeps it.
    """
    env = dict(os.environ)
    if BYTECODE_CACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall_ms(statement: str, **env: str) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print((time.perf_counter() - t) * 1000)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**child_env(), **env},
    )
    return float(out.stdout.strip())


def self_ms(statement: str, package: str) -> float:
    """Sum of the self times python -X importtime reports for ``package``'s modules while
    running ``statement``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
    )
    total_us = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        if name.lstrip() == package or name.lstrip().startswith(package + "."):
            total_us += int(own_us)
    return total_us / 1000


def aioca_self_ms() -> float:
    """Sum of the self times python -X importtime reports for aioca's modules."""
    return self_ms(WITH_AIOCA, "aioca")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="leave PYTHONDONTWRITEBYTECODE as set (caches already written are still read)",
    )
    args = parser.parse_args()
    global BYTECODE_CACHE
    BYTECODE_CACHE = not args.no_bytecode_cache
    runs = args.runs
    for statement in (WITH_AIOCA, EXCHANGE):  # writes the bytecode caches, if they are on
        wall_ms(statement)
    baseline, with_aioca, own = [], [], []
    exchange, models, plugin_own, alone = [], [], [], []
    for _ in range(runs):  # interleaved, so drift hits all alike
        baseline.append(wall_ms(BASELINE))
        with_aioca.append(wall_ms(WITH_AIOCA))
        own.append(aioca_self_ms())
        exchange.append(wall_ms(EXCHANGE))
        alone.append(wall_ms(EXCHANGE, AIOCA_PLUGINS=BINANCE_ONLY))
        models.append(wall_ms(BASELINE_MODELS))
        plugin_own.append(self_ms(EXCHANGE, "aioca_binance"))
    base, full = statistics.median(baseline), statistics.median(with_aioca)
    print(f"{'measurement':<48}{'median ms':>10}")
    print(f"{BASELINE:<48}{base:>10.1f}")
    print(f"{WITH_AIOCA:<48}{full:>10.1f}")
    print(f"{'added by aioca (difference)':<48}{full - base:>10.1f}")
    print(f"{'aioca modules self time (-X importtime)':<48}{statistics.median(own):>10.1f}")
    print(f"ratio with/without aioca: {full / base:.3f}x over {runs} runs")
    cache = "on (warmed)" if BYTECODE_CACHE else "as PYTHONDONTWRITEBYTECODE says"
    print(f"bytecode caches: {cache}")
    print()
    ready, loaded = statistics.median(exchange), statistics.median(models)
    print(f"{'measurement':<56}{'median ms':>10}")
    print(f"{BASELINE:<56}{base:>10.1f}")
    print(f"{BASELINE_MODELS:<56}{loaded:>10.1f}")
    print(f"{EXCHANGE:<56}{ready:>10.1f}")
    only = statistics.median(alone)
    print(f"{'  the same, only the binance plugin loaded':<56}{only:>10.1f}")
    print(f"{'added over the baseline (difference)':<56}{ready - base:>10.1f}")
    plugin = statistics.median(plugin_own)
    print(f"{'aioca_binance modules self time (-X importtime)':<56}{plugin:>10.1f}")
    print(f'ratio exchange("binance")/baseline: {ready / base:.3f}x over {runs} runs')
    print(
        f'ratio exchange("binance")/baseline, AIOCA_PLUGINS={BINANCE_ONLY}: {only / base:.3f}x '
        "(every installed plugin registers its exchanges: the others' cost counts above)"
    )
    print(f'ratio exchange("binance")/baseline with pydantic.BaseModel: {ready / loaded:.3f}x')
    print()
    passed = ready / base < GOAL_EXCHANGE
    print(
        f'{"PASS" if passed else "FAIL"} import aioca; aioca.exchange("binance") < '
        f"{GOAL_EXCHANGE}x import aiohttp, pydantic, pluggy: {ready / base:.3f}x"
    )
    if args.check and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()

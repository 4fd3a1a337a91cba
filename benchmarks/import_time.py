"""How much ``import aioca`` adds to importing its dependencies (aiohttp, pydantic, pluggy).

Each measurement runs in a fresh interpreter; the median of ``--runs`` is reported. The
second table sums ``python -X importtime`` self times of aioca's own modules, which is the
cost aioca itself adds whatever its dependencies cost.

    python benchmarks/import_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

BASELINE = "import aiohttp, pydantic, pluggy"
WITH_AIOCA = "import aiohttp, pydantic, pluggy, aioca"


def wall_ms(statement: str) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print((time.perf_counter() - t) * 1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def aioca_self_ms() -> float:
    """Sum of the self times python -X importtime reports for aioca's modules."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", WITH_AIOCA],
        capture_output=True,
        text=True,
        check=True,
    )
    total_us = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        if name.lstrip() == "aioca" or name.lstrip().startswith("aioca."):
            total_us += int(self_us)
    return total_us / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline, with_aioca, own = [], [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        baseline.append(wall_ms(BASELINE))
        with_aioca.append(wall_ms(WITH_AIOCA))
        own.append(aioca_self_ms())
    base, full = statistics.median(baseline), statistics.median(with_aioca)
    print(f"{'measurement':<48}{'median ms':>10}")
    print(f"{BASELINE:<48}{base:>10.1f}")
    print(f"{WITH_AIOCA:<48}{full:>10.1f}")
    print(f"{'added by aioca (difference)':<48}{full - base:>10.1f}")
    print(f"{'aioca modules self time (-X importtime)':<48}{statistics.median(own):>10.1f}")
    print(f"ratio with/without aioca: {full / base:.3f}x over {runs} runs")


if __name__ == "__main__":
    main()

"""What one Binance stream frame costs to parse, by what ``Message.data`` is: microseconds
per ``aggTrade`` frame through ``BinanceMarketProtocol.parse`` (in this process, no
socket: the part of ``benchmarks/streams.py``'s cost per message that the typed form
decides).

* ``models``: ``typed=True`` (the default), the frame validated by pydantic-core straight
  from its text;
* ``models-dict``: the general path the models took before, and still take for a frame
  the fast path cannot read: ``orjson.loads`` then ``model_validate`` of the payload;
* ``struct``: ``typed="struct"`` (msgspec); ``json``: ``typed=False``.

Each is measured twice: messages dropped as soon as parsed (a consumer that keeps up),
and messages held, ``--held`` (10,000) at a time, as a buffer that fills while the consumer
is busy holds them (the garbage collector then walks every tracked object they own). The
collector stays on, as in the code users run.

    python benchmarks/stream_parse.py [--frames 2000] [--repeat 7] [--held 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from streams import STREAM, _message  # the same frames as the benchmark

from aioca_binance.streams import BinanceMarketProtocol


def _per_frame(parse: Callable[[str], Any], texts: list[str], repeat: int, held: int) -> float:
    """The best of ``repeat`` passes over ``texts`` (20 each), in microseconds per frame."""
    best = float("inf")
    for _ in range(repeat):
        kept: list[Any] = []
        started = time.perf_counter()
        for _ in range(20):
            for text in texts:
                if held:
                    kept.append(parse(text))
                    if len(kept) >= held:
                        kept = []
                else:
                    parse(text)
        best = min(best, time.perf_counter() - started)
    return best / (20 * len(texts)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--held", type=int, default=10_000)
    args = parser.parse_args()
    texts = [_message(number) for number in range(1, args.frames + 1)]
    models = BinanceMarketProtocol("coinm")
    forms: dict[str, Callable[[str], Any]] = {
        "models": models.parse,
        "models-dict": lambda text: BinanceMarketProtocol.parse(models, text),
        "struct": BinanceMarketProtocol("coinm", typed="struct").parse,
        "json": BinanceMarketProtocol("coinm", typed=False).parse,
    }
    reference = forms["models-dict"](texts[0])
    assert forms["models"](texts[0]) == reference, "the fast path reads another model"
    print(f"{STREAM} frames, python {sys.version.split()[0]}: us per frame")
    print(f"{'form':<14}{'dropped':>10}{f'held {args.held:,}':>14}")
    for name, parse in forms.items():
        dropped = _per_frame(parse, texts, args.repeat, 0)
        held = _per_frame(parse, texts, args.repeat, args.held)
        print(f"{name:<14}{dropped:>10.2f}{held:>14.2f}")


if __name__ == "__main__":
    main()

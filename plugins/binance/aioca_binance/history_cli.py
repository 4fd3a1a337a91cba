"""``aioca history binance TASK ...``: a whole history of one Binance endpoint to a file.

Imported only by the ``aioca`` command line. The rows come from
:func:`aioca_binance.history.history` (every page a catalog task, within the rate limits)
and go to CSV or Parquet through :func:`aioca.history.export_to`; after every page the
cursor is saved beside the output (``OUT.cursor.json``), so ``--resume`` goes on after an
interruption with neither a repeated nor a missing row, and the file is removed once the
range is done.
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .task import BinanceTask

__all__ = ["history_command"]

_USAGE = 2
_FAILURE = 1


def _fail(message: str, code: int = _USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _task_class(name: str) -> type[BinanceTask]:
    import aioca

    from .history import RULES, rule_for

    tasks = aioca.catalog("binance")
    if name not in tasks:
        close = difflib.get_close_matches(name, list(tasks), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see: aioca tasks binance)"
        _fail(f"'binance' has no task {name!r}{hint}")
    task_class = tasks[name]
    if not issubclass(task_class, BinanceTask) or rule_for(task_class) is None:
        pageable = sorted(
            task
            for task, cls in tasks.items()
            if issubclass(cls, BinanceTask) and (cls.endpoint.market, cls.endpoint.path) in RULES
        )
        _fail(f"{name} has no history to page; these do: {', '.join(pageable)}")
    return task_class


def _format(given: str | None, out: str) -> str:
    if given is not None:
        return given
    return "parquet" if Path(out).suffix.lower() in (".parquet", ".pq") else "csv"


def _urls(pairs: tuple[str, ...]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for pair in pairs:
        market, sep, url = pair.partition("=")
        if not sep or not market or not url.startswith(("http://", "https://")):
            _fail(f"--url takes MARKET=URL (coinm=http://127.0.0.1:8080), got {pair!r}")
        urls[market] = url
    return urls


class _Progress:
    """A progress bar on a terminal (standard error), nothing elsewhere."""

    def __init__(self, label: str, enabled: bool) -> None:
        self._bar: Any = None
        self._shown = 0
        if enabled and sys.stderr.isatty():
            self._bar = click.progressbar(
                length=1000,
                label=label,
                file=sys.stderr,
                item_show_func=lambda item: item,
                show_percent=True,
            )
            self._bar.__enter__()

    def __call__(self, pager: Any, rows: int) -> None:
        if self._bar is None:
            return
        share = pager.progress
        target = self._shown if share is None else round(share * 1000)
        self._bar.update(max(0, target - self._shown), current_item=f"{rows} rows")
        self._shown = max(self._shown, target)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.command("binance")
@click.argument("task_name", metavar="TASK")
@click.argument("params", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "--start",
    default=None,
    help="First time: ms, an ISO date or date-time (UTC unless it says otherwise), now-7d.",
)
@click.option("--end", default=None, help="End time, excluded (default: now).")
@click.option(
    "--out",
    default="-",
    show_default=True,
    help="The file to write ('-': standard output, csv only).",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default=None,
    help="csv, or parquet (needs pyarrow); default: by --out's extension, else csv.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1),
    default=None,
    help="limit sent per request (default: the largest the endpoint allows).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Go on from OUT.cursor.json (saved after every page), appending to OUT (csv).",
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="MARKET=URL",
    help="Override a base URL (a simulator: coinm=http://127.0.0.1:8080).",
)
@click.option("--api-key", default=None, help="Default: AIOCA_BINANCE_API_KEY.")
@click.option("--api-secret", default=None, help="Default: AIOCA_BINANCE_API_SECRET.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def history_command(
    task_name: str,
    params: tuple[str, ...],
    start: str | None,
    end: str | None,
    out: str,
    file_format: str | None,
    page_size: int | None,
    resume: bool,
    urls: tuple[str, ...],
    api_key: str | None,
    api_secret: str | None,
    quiet: bool,
) -> None:
    """Every row of a Binance history TASK (klines of any kind, aggregate trades, old
    trades from fromId=, funding rates, income, orders and trades...) from --start up to
    --end (excluded: ranges that meet do not overlap), page by page within the rate
    limits, to a CSV or Parquet file with named columns.

    NAME=VALUE parameters are read as `aioca call` reads them; the pager sends startTime,
    endTime, limit and fromId itself. After every page the position is saved to
    OUT.cursor.json: --resume goes on from there, and the file is removed when done.

    Example: aioca history binance UsdmKlines symbol=BTCUSDT interval=1m
    --start 2026-01-01 --end 2026-02-01 --out btc.csv
    """
    import os

    from aioca import errors
    from aioca.cli import parse_params
    from aioca.describe import describe_task, parse_time_ms
    from aioca.history import export_to

    from .api import BinanceRestApi
    from .history import BinanceHistory, BinanceHistoryCursor, history

    task_class = _task_class(task_name)
    file_format = _format(file_format, out)
    to_stdout = out == "-"
    if to_stdout and file_format == "parquet":
        _fail("parquet is written to a file: give --out PATH")
    if to_stdout and resume:
        _fail("--resume needs --out PATH (the cursor is saved beside it)")
    if resume and file_format == "parquet":
        _fail("a parquet file cannot be appended to: resume works with csv")
    values, problems = parse_params(describe_task(task_class), params)
    times: dict[str, int | None] = {"start": None, "end": None}
    for name, text in (("start", start), ("end", end)):
        if text is not None:
            try:
                times[name] = parse_time_ms(text)
            except ValueError as exc:
                problems.append((f"--{name}", str(exc)))
    unreadable = {name for name, _ in problems}
    try:  # the task's own checks too, so that every problem is listed at once
        task_class.Params.validate_all(values, task_name=task_name)
    except errors.InvalidParameterError as exc:
        problems += [(name, reason) for name, reason in exc.problems if name not in unreadable]
    if problems:
        lines = [f"invalid parameters for {task_name}:"]
        lines += [f"  {name}: {reason}" if name else f"  {reason}" for name, reason in problems]
        _fail("\n".join(lines))

    api = BinanceRestApi(
        api_key or os.environ.get("AIOCA_BINANCE_API_KEY") or None,
        api_secret or os.environ.get("AIOCA_BINANCE_API_SECRET") or None,
        urls=_urls(urls) or None,
    )
    cursor_path = None if to_stdout else Path(out + ".cursor.json")
    try:
        if resume:
            assert cursor_path is not None
            if not cursor_path.exists():
                _fail(f"nothing to resume: {cursor_path} does not exist")
            cursor = BinanceHistoryCursor.from_json(cursor_path.read_text(encoding="utf-8"))
            if cursor.task != task_class.__name__:
                _fail(f"{cursor_path} is a cursor of {cursor.task}, not of {task_name}")
            pager = BinanceHistory.resume(cursor, api=api)
        else:
            pager = history(
                task_class,
                api=api,
                start=times["start"],
                end=times["end"],
                page_size=page_size,
                **values,
            )
    except errors.InvalidParameterError as exc:
        lines = [f"invalid parameters for {task_name}:"]
        lines += [f"  {name}: {reason}" if name else f"  {reason}" for name, reason in exc.problems]
        _fail("\n".join(lines))
    except (TypeError, ValueError) as exc:
        _fail(str(exc))

    progress = _Progress(task_name, enabled=not quiet)

    def warn(message: str) -> None:
        progress.close()
        click.echo(f"warning: {message}", err=True)

    async def run() -> int:
        async with api:
            return await export_to(
                pager,
                sys.stdout if to_stdout else out,
                format=file_format,
                append=resume,
                cursor_path=cursor_path,
                progress=progress,
                warn=warn,
            )

    hint = f"; run again with --resume to go on from {cursor_path}" if cursor_path else ""
    try:
        rows = asyncio.run(run())
    except ImportError as exc:  # pyarrow missing for --format parquet
        progress.close()
        _fail(str(exc))
    except errors.AiocaError as exc:
        progress.close()
        _fail(f"{type(exc).__name__}: {exc}{hint if pager.cursor.pages else ''}", _FAILURE)
    except KeyboardInterrupt:
        progress.close()
        _fail(f"interrupted{hint}", _FAILURE)
    progress.close()
    if cursor_path is not None:
        cursor_path.unlink(missing_ok=True)
    done = pager.cursor
    where = "standard output" if to_stdout else out
    written = f"{rows} rows" + (f" (now {done.rows} in all)" if resume else "")
    click.echo(f"wrote {written} to {where}: {done.pages} requests, weight {done.weight}", err=True)

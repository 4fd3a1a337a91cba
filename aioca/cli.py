"""The ``aioca`` command line: list exchanges and tasks, run one task, simulators, demos.

Everything exchange-specific comes from plugins: ``exchanges``, ``tasks`` and ``call`` read
the catalogs registered through ``register_exchanges``, and ``sim`` / ``demo`` hold the
commands plugins add through ``register_commands``. The core names no exchange here either.

Exit codes: 0 success, 1 the exchange or the network failed, 2 bad usage (unknown
exchange or task, invalid parameter), as click does for usage errors.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from . import errors, i18n
from ._version import __version__
from .plugins import ExchangeInfo, default_host
from .task import Task

__all__ = ["main"]

_CREDENTIALS = ("api_key", "api_secret", "passphrase")
"""API options the command line fills from ``--api-key`` etc. or ``AIOCA_<EXCHANGE>_*``."""

_USAGE = 2
_FAILURE = 1


def _fail(message: str, code: int = _USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _info(name: str) -> ExchangeInfo:
    try:
        return default_host().info(name)
    except errors.UnknownExchangeError as exc:
        _fail(str(exc))


def _task_class(info: ExchangeInfo, name: str) -> type[Task]:
    try:
        return info.tasks[name]
    except errors.PluginError as exc:  # a lazy catalog's class failed its check
        _fail(str(exc), _FAILURE)


# --- tables ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int = 40) -> str:
    """Rows under headers in aligned columns; cells longer than ``width`` are cut with ``…``."""
    texts = [[_cell(value) for value in row] for row in rows]
    texts = [
        [text if len(text) <= width else text[: width - 1] + "…" for text in row] for row in texts
    ]
    widths = [len(header) for header in headers]
    for row in texts:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], len(text))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)).rstrip() for row in texts
    ]
    return "\n".join(lines)


def format_result(result: Any) -> str:
    """A task's result for people: a list of objects or of rows as a table, an object as
    ``key  value`` lines, anything else as JSON."""
    if isinstance(result, list) and result and all(isinstance(item, dict) for item in result):
        headers: list[str] = []
        for item in result:
            headers += [key for key in item if key not in headers]
        return format_table(headers, [[item.get(key) for key in headers] for item in result])
    if isinstance(result, list) and result and all(isinstance(item, list) for item in result):
        columns = max(len(item) for item in result)
        headers = [str(index) for index in range(columns)]
        return format_table(headers, [item + [None] * (columns - len(item)) for item in result])
    if isinstance(result, dict) and result:
        return format_table(["key", "value"], list(result.items()), width=100)
    return json.dumps(result, indent=2, default=str)


# --- the commands ---------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aioca")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of task names (default: AIOCA_LANG, else en).",
)
def cli(lang: str | None) -> None:
    """aioca: exchange REST APIs as tasks, from the command line."""
    if lang is not None:
        i18n.set_language(lang)


@cli.command()
def exchanges() -> None:
    """List the installed exchange plugins, their package and version."""
    found = default_host().exchanges()
    if not found:
        click.echo("no exchange plugins installed (they register in the 'aioca' entry-point group)")
        return
    rows = [(info.name, info.package, info.version or "", len(info.tasks)) for info in found]
    click.echo(format_table(["EXCHANGE", "PACKAGE", "VERSION", "TASKS"], rows))


@cli.command()
@click.argument("exchange")
@click.option(
    "--filter", "pattern", default=None, help="Only tasks whose name or path has this text."
)
def tasks(exchange: str, pattern: str | None) -> None:
    """List EXCHANGE's task catalog: name, method, path, security and weight."""
    info = _info(exchange)
    rows = []
    for name in sorted(info.tasks):
        about = _task_class(info, name).describe()
        row = [name, about.get("method", ""), about.get("path", ""), about.get("security", "")]
        row.append(about.get("cost", ""))
        if pattern is None or any(pattern.lower() in text.lower() for text in row[:3]):
            rows.append(row)
    if not rows:
        _fail(f"no task of {exchange!r} matches {pattern!r}")
    click.echo(format_table(["TASK", "METHOD", "PATH", "SECURITY", "WEIGHT"], rows, width=60))


def _parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"parameters are NAME=VALUE, got {pair!r}")
        if value and value[0] in "[{":
            try:
                params[name] = json.loads(value)
                continue
            except ValueError:
                _fail(f"parameter {name!r}: {value!r} is not valid JSON")
        params[name] = value
    return params


def _parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"--option takes NAME=VALUE, got {pair!r}")
        try:
            options[name] = json.loads(value)
        except ValueError:
            options[name] = value
    return options


def _api_options(
    info: ExchangeInfo, given: Mapping[str, str | None], urls: Sequence[str], extra: dict[str, Any]
) -> dict[str, Any]:
    # Only credentials the constructor names: a class taking **options would pass an
    # unknown one on to RestApi, which refuses it.
    accepted = inspect.signature(info.api_class).parameters
    options = dict(extra)
    prefix = f"AIOCA_{info.name.upper().replace('-', '_').replace('.', '_')}_"
    for name in _CREDENTIALS:
        value = given.get(name) or os.environ.get(prefix + name.upper())
        if value and name in accepted:
            options[name] = value
    if urls:
        options["urls"] = {}
        for pair in urls:
            market, sep, url = pair.partition("=")
            if not sep:
                _fail(f"--url takes NAME=URL (e.g. rest=http://127.0.0.1:8080), got {pair!r}")
            options["urls"][market] = url
    return options


async def _run_task(task: Task) -> Any:
    async with task.api:
        await task.run()
    return task.result


@cli.command()
@click.argument("exchange")
@click.argument("task_name", metavar="TASK")
@click.argument("params", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the raw JSON result.")
@click.option("--url", "urls", multiple=True, metavar="NAME=URL", help="Override a base URL.")
@click.option("--option", "options", multiple=True, metavar="NAME=VALUE", help="An API option.")
@click.option("--api-key", default=None, help="Default: AIOCA_<EXCHANGE>_API_KEY.")
@click.option("--api-secret", default=None, help="Default: AIOCA_<EXCHANGE>_API_SECRET.")
@click.option("--passphrase", default=None, help="Default: AIOCA_<EXCHANGE>_PASSPHRASE.")
def call(
    exchange: str,
    task_name: str,
    params: tuple[str, ...],
    as_json: bool,
    urls: tuple[str, ...],
    options: tuple[str, ...],
    api_key: str | None,
    api_secret: str | None,
    passphrase: str | None,
) -> None:
    """Run one TASK of EXCHANGE with NAME=VALUE parameters and print its result.

    Example: aioca call EXCHANGE SomeKlineTask symbol=BTC interval=1m limit=5
    """
    info = _info(exchange)
    if task_name not in info.tasks:
        close = difflib.get_close_matches(task_name, list(info.tasks), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f" (see: aioca tasks {exchange})"
        _fail(f"{exchange!r} has no task {task_name!r}{hint}")
    given = {"api_key": api_key, "api_secret": api_secret, "passphrase": passphrase}
    try:
        api = info.api_class(**_api_options(info, given, urls, _parse_options(options)))
    except (TypeError, ValueError) as exc:
        _fail(f"cannot build the {exchange} API: {exc}")
    try:
        task = _task_class(info, task_name)(api=api, **_parse_params(params))
    except errors.InvalidParameterError as exc:
        _fail(str(exc))
    try:
        result = asyncio.run(_run_task(task))
    except errors.BatchError as exc:
        # The items that went through took effect: show them, then fail for the others.
        click.echo(json.dumps(exc.succeeded, indent=2, default=str))
        _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    except errors.AiocaError as exc:
        _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    click.echo(json.dumps(result, indent=2, default=str) if as_json else format_result(result))


@cli.group(invoke_without_command=False)
def sim() -> None:
    """Run an exchange simulator on this machine (one subcommand per exchange)."""


@cli.group(invoke_without_command=True)
@click.option("--live", is_flag=True, help="Run the read-only part against the real exchange.")
@click.pass_context
def demo(ctx: click.Context, live: bool) -> None:
    """The README's main job: each installed exchange's demo, against its local simulator.

    With no subcommand, every demo runs in turn; name an exchange to run one.
    """
    ctx.ensure_object(dict)["live"] = live
    if ctx.invoked_subcommand is not None:
        return
    group = ctx.command
    assert isinstance(group, click.Group)
    if not group.commands:
        _fail("no installed plugin provides a demo")
    for name in sorted(group.commands):
        ctx.invoke(group.commands[name], live=live)


@cli.group(invoke_without_command=False)
def stream() -> None:
    """Print an exchange's WebSocket stream messages (one subcommand per exchange)."""


@cli.group(invoke_without_command=False)
def book() -> None:
    """Show an exchange's live local order book (one subcommand per exchange)."""


@cli.command("new-plugin")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the aioca-NAME folder.",
)
def new_plugin(name: str, directory: Path) -> None:
    """Write a ready-to-publish plugin package for exchange NAME (aioca-NAME/).

    It has the entry point, an API class with its signer hook, one example task and tests
    that use aioca's pytest plugin: pip install -e "aioca-NAME[test]" and run pytest.
    """
    from .scaffold import PluginNameError, write_plugin

    try:
        root = write_plugin(name, directory)
    except (PluginNameError, FileExistsError) as exc:
        _fail(str(exc))
    click.echo(f"created {root}")
    click.echo(f'next: pip install -e "{root}[test]" && pytest {root}')


def _add_plugin_command(group: str | None, command: Any) -> None:
    if not isinstance(command, click.Command) or not command.name:
        raise TypeError(f"a command must be a named click.Command, not {command!r}")
    target = {"sim": sim, "demo": demo, "stream": stream, "book": book, None: cli}.get(group)
    if target is None:
        raise ValueError(
            f"unknown command group {group!r}: use 'sim', 'demo', 'stream', 'book' or None"
        )
    if command.name in target.commands:
        raise ValueError(f"command {command.name!r} already exists in {target.name!r}")
    target.add_command(command)


def build_cli() -> click.Group:
    """The ``aioca`` group with every plugin's commands added (done once per process)."""
    if not getattr(build_cli, "_done", False):
        default_host().register_commands(_add_plugin_command)
        build_cli._done = True  # type: ignore[attr-defined]
    return cli


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``aioca``."""
    build_cli().main(args=list(argv) if argv is not None else None, prog_name="aioca")


if __name__ == "__main__":  # pragma: no cover - python -m aioca.cli
    main()

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
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click
import pydantic
from yarl import URL

from . import errors, i18n
from ._version import __version__
from .describe import (
    ParameterDescription,
    TaskDescription,
    describe_task,
    parse_bool,
    parse_value,
)
from .plugins import ExchangeInfo, default_host
from .task import Task

__all__ = ["format_description", "format_result", "format_table", "main"]

_CREDENTIALS = ("api_key", "api_secret", "passphrase")
"""API options the command line fills from ``--api-key`` etc. or ``AIOCA_<EXCHANGE>_*``."""

_USAGE = 2
_FAILURE = 1


def _fail(message: str, code: int = _USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:  # a difference of case or separators is a match too
        folded = {item.lower().replace("-", "").replace("_", ""): item for item in known}
        key = name.lower().replace("-", "").replace("_", "")
        close = [folded[key]] if key in folded else []
    return f"; did you mean {', '.join(close)}?" if close else ""


def _info(name: str) -> ExchangeInfo:
    host = default_host()
    try:
        return host.info(name)
    except errors.UnknownExchangeError as exc:
        installed = [info.name for info in host.exchanges()]
        _fail(f"{exc}{_did_you_mean(name, installed)}")


def _task_class(info: ExchangeInfo, name: str) -> type[Task]:
    if name not in info.tasks:
        hint = _did_you_mean(name, list(info.tasks)) or f" (see: aioca tasks {info.name})"
        _fail(f"{info.name!r} has no task {name!r}{hint}")
    try:
        return info.tasks[name]
    except errors.PluginError as exc:  # a lazy catalog's class failed its check
        _fail(str(exc), _FAILURE)


# --- tables ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # as JSON and every exchange spell them, not Python's False
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(_plain(value), separators=(",", ":"), default=str)
    return str(value)


def _plain(value: Any) -> Any:
    """Models, named tuples and decimals as dicts, lists and text, for tables and JSON."""
    if isinstance(value, pydantic.BaseModel):  # field by field: nested named tuples stay named
        return _plain(dict(value))
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return _plain(value._asdict())
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _json_text(value: Any) -> str:
    return json.dumps(_plain(value), indent=2, default=str, ensure_ascii=False)


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


def _is_rows(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and (
            all(isinstance(item, dict) for item in value)
            or all(isinstance(item, list) for item in value)
        )
    )


def format_result(result: Any) -> str:
    """A task's result for people: a list of objects or of rows as a table, an object as
    ``key  value`` lines followed by a table for each of its lists of rows (an order
    book's ``bids`` and ``asks``), anything else as JSON. Models (a task's ``parsed``
    result) show their field names as column headers."""
    result = _plain(result)
    if _is_rows(result) and all(isinstance(item, dict) for item in result):
        headers: list[str] = []
        for item in result:
            headers += [key for key in item if key not in headers]
        return format_table(headers, [[item.get(key) for key in headers] for item in result])
    if _is_rows(result):
        columns = max(len(item) for item in result)
        headers = [str(index) for index in range(columns)]
        return format_table(headers, [item + [None] * (columns - len(item)) for item in result])
    if isinstance(result, dict) and result:
        scalars = [(key, value) for key, value in result.items() if not _is_rows(value)]
        parts = [format_table(["key", "value"], scalars, width=100)] if scalars else []
        for key, value in result.items():
            if _is_rows(value):
                parts.append(f"{key}:\n{format_result(value)}")
        return "\n\n".join(parts)
    return json.dumps(result, indent=2, default=str)


DESCRIPTION_WIDTH = 96
"""Columns of ``aioca describe``'s text: it fits a terminal, and a docstring indented in a
class of a 100-column source file (plugins make it their tasks' docstrings)."""


def format_description(
    about: TaskDescription, exchange: str, *, width: int = DESCRIPTION_WIDTH
) -> str:
    """``aioca describe``'s text: the endpoint, its security and cost, the documentation
    link, then every parameter with its type, whether it is required, its allowed values
    and rules, and the rules across parameters; lines wrapped at ``width`` columns (a
    parameter's values under their column, a long example with shell continuations)."""
    lines = [f"{about.name}: {about.summary}" if about.summary else about.name, ""]
    details = dict(about.details)
    facts: list[tuple[str, str]] = []
    if "method" in details or "path" in details:
        endpoint = f"{details.pop('method', '')} {details.pop('path', '')}".strip()
        facts.append(("endpoint", endpoint))
    for key, value in details.items():
        if key == "cost":  # a number is a request weight; "20 requests/2s" a limit of its own
            key = "weight" if value[:1].isdigit() and "/" not in value else "rate limit"
        facts.append((key, value))
    if about.doc_url:
        facts.append(("docs", about.doc_url))
    key_width = max((len(key) for key, _ in facts), default=0)
    for key, value in facts:
        lines += _wrapped(f"  {key.ljust(key_width)}  ", value, width)
    if about.parameters:
        rows = []
        for parameter in about.parameters:
            rows.append(
                [
                    parameter.name,
                    "bool" if parameter.is_bool else parameter.type,
                    "yes" if parameter.required else "no",
                    _values_and_rules(parameter),
                ]
            )
        headers = ["PARAMETER", "TYPE", "REQUIRED", "VALUES AND RULES"]
        lines += [""]
        # The last column is wrapped under itself: its cells are never cut.
        table = format_table(headers, [[*row[:-1], ""] for row in rows], width=200)
        column = len(table.splitlines()[0]) - len(headers[-1])
        lines.append(table.splitlines()[0])
        for line, row in zip(table.splitlines()[1:], rows, strict=True):
            lines += _wrapped(line.ljust(column), row[-1], width)
    else:
        lines += ["", "no parameters"]
    if about.rules:
        lines += ["", "rules:"]
        for rule in about.rules:
            lines += _wrapped("  ", rule, width)
    example = [f"{p.name}={_example_value(p)}" for p in about.parameters if p.required]
    lines += ["", *_command_lines(["aioca", "call", exchange, about.name, *example], width)]
    return "\n".join(lines)


def _wrapped(head: str, text: str, width: int) -> list[str]:
    """``head + text``, the text wrapped at spaces to ``width`` columns under itself (a
    word longer than the room, a URL, stays whole)."""
    room = max(width - len(head), 20)
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > room:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return [(head if index == 0 else " " * len(head)) + line for index, line in enumerate(lines)]


def _command_lines(words: Sequence[str], width: int) -> list[str]:
    """``example: <command>``, continued on the next lines with `` \\`` when it is long
    (still one command for a shell)."""
    lines = ["example:"]
    for word in words:
        candidate = f"{lines[-1]} {word}"
        if len(candidate) + 2 > width and len(lines[-1]) > 8:
            lines[-1] += " \\"
            lines.append("    " + word)
        else:
            lines[-1] = candidate
    return lines


def _values_and_rules(parameter: ParameterDescription) -> str:
    parts = []
    if parameter.is_bool:
        parts.append("true/false (also 1/0, yes/no)")
    elif parameter.choices:
        parts.append(", ".join(parameter.choices))
    if parameter.is_time:
        parts.append("ms, ISO date-time (2024-05-01T12:00Z) or now-1h")
    if parameter.type == "decimal":
        parts.append("decimal, as text (0.1)")
    if parameter.is_json:
        parts.append("JSON")
    parts += list(parameter.rules)
    if parameter.default is not None:
        parts.append(f"default {_cell(parameter.default)}")
    return "; ".join(parts)


def _example_value(parameter: ParameterDescription) -> str:
    if parameter.is_bool:
        return "true"
    if parameter.choices:
        return parameter.choices[0]
    if parameter.is_time:
        return "now-1h"
    return "..."


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


_JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON, for programs, instead of a table."
)


@cli.command()
@_JSON_OPTION
def exchanges(as_json: bool) -> None:
    """List the installed exchange plugins, their package and version."""
    found = default_host().exchanges()
    if as_json:
        click.echo(
            _json_text(
                [
                    {
                        "exchange": i.name,
                        "package": i.package,
                        "version": i.version,
                        "tasks": len(i.tasks),
                    }
                    for i in found
                ]
            )
        )
        return
    if not found:
        click.echo("no exchange plugins installed (they register in the 'aioca' entry-point group)")
        return
    rows = [(info.name, info.package, info.version or "", len(info.tasks)) for info in found]
    click.echo(format_table(["EXCHANGE", "PACKAGE", "VERSION", "TASKS"], rows))


@cli.command()
@click.argument("exchange")
@click.argument("task_name", metavar="[TASK]", required=False)
@click.option(
    "--filter", "pattern", default=None, help="Only tasks whose name or path has this text."
)
@click.option(
    "--market",
    default=None,
    help="Only the tasks of this market (for a plugin whose tasks name their market).",
)
@_JSON_OPTION
def tasks(
    exchange: str, task_name: str | None, pattern: str | None, market: str | None, as_json: bool
) -> None:
    """List EXCHANGE's task catalog: name, method, path, security and weight.

    With a TASK, describe that task as ``aioca describe EXCHANGE TASK`` does.
    """
    if task_name is not None:
        _describe(exchange, task_name, as_json)
        return
    info = _info(exchange)
    rows = []
    markets: set[str] = set()
    for name in sorted(info.tasks):
        about = _task_class(info, name).describe()
        markets.add(about.get("market", ""))
        if market is not None and about.get("market") != market:
            continue
        row = [name, about.get("method", ""), about.get("path", ""), about.get("security", "")]
        row.append(about.get("cost", ""))
        if pattern is None or any(pattern.lower() in text.lower() for text in row[:3]):
            rows.append(row)
    if market is not None and market not in markets:
        known = ", ".join(sorted(m for m in markets if m)) or "none: its tasks name no market"
        _fail(f"{exchange!r} has no market {market!r} (markets: {known})")
    if not rows:
        _fail(f"no task of {exchange!r} matches {pattern!r}")
    headers = ["TASK", "METHOD", "PATH", "SECURITY", "WEIGHT"]
    if as_json:
        click.echo(
            _json_text([dict(zip([h.lower() for h in headers], row, strict=True)) for row in rows])
        )
        return
    click.echo(format_table(headers, rows, width=60))


@cli.command()
@click.argument("exchange")
@click.argument("task_name", metavar="TASK")
@_JSON_OPTION
def describe(exchange: str, task_name: str, as_json: bool) -> None:
    """What TASK of EXCHANGE sends and takes: its endpoint, security, weight and
    documentation link, and every parameter with its type, whether it is required, its
    allowed values and rules.

    Example: aioca describe EXCHANGE SomeKlineTask
    """
    _describe(exchange, task_name, as_json)


def _describe(exchange: str, task_name: str, as_json: bool) -> None:
    info = _info(exchange)
    about = describe_task(_task_class(info, task_name))
    if as_json:
        click.echo(_json_text({"exchange": info.name, **about.as_dict()}))
    else:
        click.echo(format_description(about, info.name))


Problems = list[tuple[str | None, str]]


def _split_pairs(pairs: Sequence[str], what: str) -> list[tuple[str, str]]:
    split = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"{what} NAME=VALUE, got {pair!r}")
        split.append((name, value))
    return split


def parse_params(about: TaskDescription, pairs: Sequence[str]) -> tuple[dict[str, Any], Problems]:
    """``NAME=VALUE`` pairs as the task's parameters, each read by its type (see
    :func:`aioca.describe.parse_value`), and the problems found, all of them."""
    params: dict[str, Any] = {}
    problems: Problems = []
    for name, value in _split_pairs(pairs, "parameters are"):
        try:
            params[name] = parse_value(about.parameter(name), value)
        except ValueError as exc:
            problems.append((name, str(exc)))
    return params, problems


def _option_types(api_class: type) -> dict[str, Any]:
    """The constructor's parameters and their types (the default's type where the
    annotation cannot be read)."""
    signature = inspect.signature(api_class)
    try:
        hints = typing.get_type_hints(api_class.__init__)  # type: ignore[misc]
    except Exception:  # an annotation that names something not importable here
        hints = {}
    types: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        hint = hints.get(name, parameter.annotation)
        if hint in (bool, "bool") or isinstance(parameter.default, bool):
            types[name] = bool
        elif hint in (int, "int") or type(parameter.default) is int:
            types[name] = int
        elif hint in (float, "float") or type(parameter.default) is float:
            types[name] = float
        else:
            types[name] = None
    return types


def _parse_options(api_class: type, pairs: Sequence[str]) -> dict[str, Any]:
    """``--option NAME=VALUE`` pairs, read by the constructor's parameter types: a boolean
    takes true/false, 1/0 or yes/no (``testnet=False`` is False, never the truthy text
    ``'False'``); anything else is JSON when it parses, else text."""
    types = _option_types(api_class)
    options: dict[str, Any] = {}
    problems = []
    for name, value in _split_pairs(pairs, "--option takes"):
        kind = types.get(name)
        try:
            if kind is bool:
                options[name] = parse_bool(value)
            elif kind in (int, float):
                options[name] = kind(value)
            else:
                options[name] = json.loads(value)
        except ValueError as exc:
            if kind is None:
                options[name] = value
            else:
                reason = str(exc) if kind is bool else f"expected {kind.__name__}, got {value!r}"
                problems.append(f"--option {name}: {reason}")
    if problems:
        _fail("; ".join(problems))
    return options


def _check_url(market: str, url: str) -> None:
    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        _fail(f"--url {market}={url}: not an http:// or https:// URL with a host")


def _api_options(
    info: ExchangeInfo, given: Mapping[str, str | None], urls: Sequence[str], extra: dict[str, Any]
) -> dict[str, Any]:
    # Only credentials the constructor names: a class taking **options would pass an
    # unknown one on to RestApi, which refuses it.
    accepted = inspect.signature(info.api_class).parameters
    options = dict(extra)
    for name in _CREDENTIALS:
        value = given.get(name) or os.environ.get(_env_prefix(info) + name.upper())
        if value and name in accepted:
            options[name] = value
    if urls:
        options["urls"] = {}
        for pair in urls:
            market, sep, url = pair.partition("=")
            if not sep or not market:
                _fail(f"--url takes NAME=URL (e.g. rest=http://127.0.0.1:8080), got {pair!r}")
            _check_url(market, url)
            options["urls"][market] = url
    return options


def _env_prefix(info: ExchangeInfo) -> str:
    return f"AIOCA_{info.name.upper().replace('-', '_').replace('.', '_')}_"


def _credentials_hint(info: ExchangeInfo) -> str:
    """How to give the credentials the exchange's API takes, on the command line."""
    accepted = inspect.signature(info.api_class).parameters
    names = [name for name in _CREDENTIALS if name in accepted]
    flags = " and ".join(f"--{name.replace('_', '-')}" for name in names)
    variables = " and ".join(_env_prefix(info) + name.upper() for name in names)
    return f"give {flags}, or set {variables}" if names else ""


def _build_api(
    info: ExchangeInfo, given: Mapping[str, str | None], urls: Sequence[str], options: Sequence[str]
) -> Any:
    built = _api_options(info, given, urls, _parse_options(info.api_class, options))
    try:
        return info.api_class(**built)
    except (TypeError, ValueError) as exc:
        _fail(f"cannot build the {info.name} API: {exc}")


def _api_options_decorator(function: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--url", "urls", multiple=True, metavar="NAME=URL", help="Override a base URL."
            ),
            click.option(
                "--option",
                "options",
                multiple=True,
                metavar="NAME=VALUE",
                help="An API option (booleans: true/false, 1/0, yes/no).",
            ),
            click.option("--api-key", default=None, help="Default: AIOCA_<EXCHANGE>_API_KEY."),
            click.option(
                "--api-secret", default=None, help="Default: AIOCA_<EXCHANGE>_API_SECRET."
            ),
            click.option(
                "--passphrase", default=None, help="Default: AIOCA_<EXCHANGE>_PASSPHRASE."
            ),
        ]
    ):
        function = option(function)
    return function


async def _run_task(task: Task) -> Any:
    async with task.api:
        await task.run()
    return task.result


@cli.command()
@click.argument("exchange")
@click.argument("task_name", metavar="TASK")
@click.argument("params", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the raw JSON result.")
@_api_options_decorator
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

    Values are read by the parameter's type: booleans as true/false, 1/0 or yes/no; times
    in milliseconds, as ISO dates (2024-05-01T12:00Z) or relative (now-1h); decimals as
    written; lists as JSON. `aioca describe EXCHANGE TASK` lists a task's parameters.

    Example: aioca call EXCHANGE SomeKlineTask symbol=BTC interval=1m startTime=now-1h
    """
    info = _info(exchange)
    task_class = _task_class(info, task_name)
    about = describe_task(task_class)
    given = {"api_key": api_key, "api_secret": api_secret, "passphrase": passphrase}
    api = _build_api(info, given, urls, options)
    values, problems = parse_params(about, params)
    task = None
    try:
        task = task_class(api=api, **values)
    except errors.InvalidParameterError as exc:
        unreadable = {name for name, _ in problems}
        problems += [(name, reason) for name, reason in exc.problems if name not in unreadable]
    if problems or task is None:
        lines = [f"invalid parameters for {task_name}:"]
        lines += [f"  {name}: {reason}" if name else f"  {reason}" for name, reason in problems]
        lines.append(f"see: aioca describe {info.name} {task_name}")
        _fail("\n".join(lines))
    try:
        result = asyncio.run(_run_task(task))
    except errors.AuthenticationError as exc:
        hint = _credentials_hint(info)
        if not any(given.values()) and hint and not getattr(exc, "status", None):
            _fail(f"{task_name} needs API credentials: {hint}")
        _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    except errors.BatchError as exc:
        # The items that went through took effect: show them, then fail for the others.
        click.echo(json.dumps(exc.succeeded, indent=2, default=str))
        _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    except errors.AiocaError as exc:
        _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    click.echo(format_result(_typed(task, result)))


def _typed(task: Task, result: Any) -> Any:
    """The task's ``parsed`` result when it offers one (typed models name the columns of
    klines, order books, trades), else the raw result."""
    try:
        parsed = getattr(task, "parsed", None)
    except Exception:  # no model for this endpoint, or a result the model does not read
        return result
    return result if parsed is None else parsed


@cli.command()
@click.argument("exchange")
@click.option(
    "--probe",
    "probe",
    default=None,
    metavar="TASK",
    help="Run this task (no parameters) first, so the exchange reports its usage.",
)
@_JSON_OPTION
@_api_options_decorator
def limits(
    exchange: str,
    probe: str | None,
    as_json: bool,
    urls: tuple[str, ...],
    options: tuple[str, ...],
    api_key: str | None,
    api_secret: str | None,
    passphrase: str | None,
) -> None:
    """The rate-limit windows of EXCHANGE's API and their usage.

    Lists each window the API's limiter keeps (its name, budget and length), then, per
    host, what is used of it and when it resets (api.rate_limit_status()). Usage grows
    with requests: --probe TASK sends one request first (a ping, say), and the windows
    that read the exchange's usage headers show what the exchange counts.
    """
    info = _info(exchange)
    given = {"api_key": api_key, "api_secret": api_secret, "passphrase": passphrase}
    api = _build_api(info, given, urls, options)
    if probe is not None:
        try:
            task = _task_class(info, probe)(api=api)
        except errors.InvalidParameterError as exc:
            _fail(f"--probe {probe}: a probe takes no parameters: {exc}")
        try:
            asyncio.run(_run_task(task))
        except errors.AiocaError as exc:
            _fail(f"{type(exc).__name__}: {exc}", _FAILURE)
    windows = api.rate_limits()
    status = api.rate_limit_status()
    if as_json:
        click.echo(
            _json_text(
                {
                    "windows": [
                        {
                            "name": w.name,
                            "limit": w.limit,
                            "seconds": w.seconds,
                            "unit": w.charges,
                            "header": w.header,
                        }
                        for w in windows
                    ],
                    "usage": {
                        host: [
                            {
                                "name": s.name,
                                "used": s.used,
                                "limit": s.limit,
                                "resets_in": round(s.resets_in, 3),
                            }
                            for s in rows
                        ]
                        for host, rows in status.items()
                    },
                }
            )
        )
        return
    if windows:
        rows = [[w.name, w.limit, _seconds(w.seconds), w.charges, w.header] for w in windows]
        headers = ["WINDOW", "LIMIT", "PER", "COUNTS", "HEADER"]
        click.echo(format_table(headers, rows, width=60))
    else:
        click.echo(f"the {info.name} API declares no rate-limit windows")
    if not status:
        click.echo("\nusage: no request sent yet (--probe TASK sends one)")
    for host, rows in status.items():
        click.echo(f"\nusage at {host}:")
        table = [[s.name, s.used, s.limit, f"{s.resets_in:.1f} s"] for s in rows]
        click.echo(format_table(["WINDOW", "USED", "LIMIT", "RESETS IN"], table))


def _seconds(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


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


@cli.group(invoke_without_command=False)
def history() -> None:
    """Download a whole history (klines, trades, funding rates...) to CSV or Parquet,
    page by page within the rate limits (one subcommand per exchange)."""


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
    groups = {"sim": sim, "demo": demo, "stream": stream, "book": book, "history": history}
    target = cli if group is None else groups.get(group)
    if target is None:
        raise ValueError(
            f"unknown command group {group!r}: use 'sim', 'demo', 'stream', 'book', "
            "'history' or None"
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

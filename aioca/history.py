"""Whole histories, page by page: what every exchange's pager offers, and the files it fills.

An exchange's history endpoint answers one page at a time (klines, trades, funding rates,
an account's income...). A plugin's *pager* walks a whole range of it, page after page,
each page a normal task run through the API (so the rate limiter and the retry policy
apply), and keeps a *cursor* that says where it stands, so a run that stopped can go on
from the last row. What the pages hold and how the next one is asked for is the
exchange's business; this module holds what is the same everywhere:

* :class:`Pager`, the protocol a plugin's pager follows (``pages()``, ``cursor``,
  ``progress``, ``columns``), so that one exporter and one command line serve them all;
* :class:`HistoryCursor`, the protocol of its cursor: plain data, saved as JSON;
* :func:`open_writer`, rows written as they come to CSV (the standard library) or Parquet
  (`pyarrow`, the optional ``parquet`` extra), under named columns;
* :func:`export` and :func:`export_to`, a pager's rows into a file, page by page, its
  cursor saved after each page (:func:`save_cursor`) so an interrupted export resumes;
* :class:`PagingError`, raised when a range cannot be paged without losing a row.
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from .errors import AiocaError

__all__ = [
    "FORMATS",
    "CsvWriter",
    "HistoryCursor",
    "Pager",
    "PagingError",
    "ParquetWriter",
    "RowWriter",
    "columns_of",
    "export",
    "export_to",
    "open_writer",
    "row_values",
    "save_cursor",
]

FORMATS = ("csv", "parquet")
"""The file formats :func:`open_writer` writes."""


class PagingError(AiocaError):
    """A range that cannot be paged without skipping or repeating a row (more rows at one
    instant than a page holds, an answer outside the range asked for): raised rather than
    returning a history with a hole in it."""


class HistoryCursor(Protocol):
    """Where a pager stands: everything up to its last row is done. Plain data, so a
    caller can save it (``to_json()``) and give it back to resume."""

    @property
    def done(self) -> bool:
        """Whether the whole range has been returned."""
        ...

    def to_json(self) -> str:
        """The cursor as JSON text, read back by the plugin's ``from_json``."""
        ...


@runtime_checkable
class Pager(Protocol):
    """A whole history of one endpoint, page by page (see the module)."""

    @property
    def columns(self) -> tuple[str, ...] | None:
        """Names of the slots of a row that is a list (a kline); ``None`` when rows are
        objects, whose keys name the columns."""
        ...

    @property
    def cursor(self) -> HistoryCursor:
        """Where the pager stands: after the last row handed out."""
        ...

    @property
    def progress(self) -> float | None:
        """The share of the range done, 0 to 1, when it can be told (``None`` otherwise)."""
        ...

    def pages(self) -> AsyncIterator[list[Any]]:
        """The rows, one list per answered request, in order, none twice."""
        ...


def columns_of(rows: Sequence[Any], given: Sequence[str] | None = None) -> tuple[str, ...]:
    """The column names of ``rows``: ``given`` for rows that are lists, else the keys of
    the objects in the order first seen."""
    if given is not None:
        return tuple(given)
    names: dict[str, None] = {}
    for row in rows:
        if isinstance(row, Mapping):
            names.update(dict.fromkeys(str(key) for key in row))
    return tuple(names)


def _text(value: Any) -> Any:
    """A value as a cell: ``None`` empty, booleans as JSON spells them, nested values as
    compact JSON, numbers and text as they are (an exchange's decimal strings stay exact)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    return value


def row_values(row: Any, columns: Sequence[str]) -> list[Any]:
    """``row`` (a list, or an object keyed by column name) as one value per column."""
    if isinstance(row, Mapping):
        return [_text(row.get(name)) for name in columns]
    values = [_text(value) for value in row]
    if len(values) < len(columns):
        values += [None] * (len(columns) - len(values))
    return values[: len(columns)]


class RowWriter:
    """Rows into a file under fixed column names; ``write()`` a page, ``close()`` at the
    end. A row with a key the columns lack is reported once through ``warn`` (nothing is
    dropped silently)."""

    def __init__(self, columns: Sequence[str], *, warn: Callable[[str], None] | None = None):
        self.columns = tuple(columns)
        self.rows = 0
        self._warn = warn
        self._unknown: set[str] = set()

    def _check(self, rows: Sequence[Any]) -> None:
        if self._warn is None:
            return
        known = set(self.columns)
        for row in rows:
            if isinstance(row, Mapping):
                extra = {str(key) for key in row} - known - self._unknown
                if extra:
                    self._unknown |= extra
                    names = ", ".join(sorted(extra))
                    self._warn(f"field(s) {names} not among the columns: not written")

    def write(self, rows: Sequence[Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CsvWriter(RowWriter):
    """CSV with a header line (omitted when appending to a file that has one)."""

    def __init__(
        self,
        path: str | Path | IO[str],
        columns: Sequence[str],
        *,
        append: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(columns, warn=warn)
        if isinstance(path, str | Path):
            target = Path(path)
            has_header = append and target.exists() and target.stat().st_size > 0
            self._file: IO[str] = target.open("a" if append else "w", newline="", encoding="utf-8")
            self._owned = True
        else:
            has_header = append
            self._file = path
            self._owned = False
        self._csv = csv.writer(self._file, lineterminator="\n")
        if not has_header and self.columns:
            self._csv.writerow(self.columns)

    def write(self, rows: Sequence[Any]) -> None:
        self._check(rows)
        self._csv.writerows(row_values(row, self.columns) for row in rows)
        self._file.flush()  # a saved cursor never runs ahead of the rows on disk
        self.rows += len(rows)

    def close(self) -> None:
        if self._owned:
            self._file.close()


class ParquetWriter(RowWriter):
    """Parquet through pyarrow (the ``parquet`` extra): one row group per page written.
    Column types come from the first page (text stays text: an exchange's decimal strings are
    exact); a later page is cast to them."""

    def __init__(
        self,
        path: str | Path,
        columns: Sequence[str],
        *,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(columns, warn=warn)
        self._pa = _pyarrow()
        self._path = Path(path)
        self._writer: Any = None
        self._schema: Any = None

    def _table(self, rows: Sequence[Any]) -> Any:
        data = {name: [] for name in self.columns}  # type: dict[str, list[Any]]
        for row in rows:
            for name, value in zip(self.columns, row_values(row, self.columns), strict=True):
                data[name].append(value)
        if self._schema is None:
            table = self._pa.table(data)
            fields = [
                field.with_type(self._pa.string()) if self._pa.types.is_null(field.type) else field
                for field in table.schema
            ]
            self._schema = self._pa.schema(fields)
        return self._pa.table(data, schema=self._schema)

    def write(self, rows: Sequence[Any]) -> None:
        if not rows:
            return
        self._check(rows)
        table = self._table(rows)
        if self._writer is None:
            parquet = importlib.import_module("pyarrow.parquet")
            self._writer = parquet.ParquetWriter(str(self._path), table.schema)
        self._writer.write_table(table)
        self.rows += len(rows)

    def close(self) -> None:
        if self._writer is None:  # no row at all: still a valid file, with the columns
            parquet = importlib.import_module("pyarrow.parquet")
            schema = self._pa.schema([(name, self._pa.string()) for name in self.columns])
            self._writer = parquet.ParquetWriter(str(self._path), schema)
        self._writer.close()


def _pyarrow() -> Any:
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise ImportError(
            "the parquet format needs pyarrow: pip install pyarrow "
            "(or the extra: pip install 'aioca-core[parquet]')"
        ) from None


def open_writer(
    path: str | Path | IO[str],
    columns: Sequence[str],
    *,
    format: str = "csv",
    append: bool = False,
    warn: Callable[[str], None] | None = None,
) -> RowWriter:
    """A writer of ``columns`` to ``path`` in ``format`` (``"csv"`` or ``"parquet"``).
    ``append`` adds to an existing CSV file (resuming); Parquet files cannot be appended
    to. A missing pyarrow raises ``ImportError`` saying what to install."""
    if format == "csv":
        return CsvWriter(path, columns, append=append, warn=warn)
    if format == "parquet":
        if append:
            raise ValueError("a parquet file cannot be appended to: resume into a csv file")
        if not isinstance(path, str | Path):
            raise TypeError("parquet is written to a path, not to an open text file")
        return ParquetWriter(path, columns, warn=warn)
    raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")


async def export(
    pager: Pager,
    open_rows: Callable[[tuple[str, ...]], RowWriter],
    *,
    after_page: Callable[[Pager, int], None] | None = None,
) -> int:
    """Write every row of ``pager``: the writer is opened by ``open_rows(columns)`` once
    the columns are known (the pager's own, else the first page's keys), each page is
    written as it comes, then ``after_page(pager, rows_so_far)`` runs (save the cursor,
    draw progress). Returns the number of rows written; the writer is closed at the end,
    failure or not."""
    writer: RowWriter | None = None
    total = 0
    try:
        async for page in pager.pages():
            if writer is None and (page or pager.columns is not None):
                writer = open_rows(columns_of(page, pager.columns))
            if writer is not None and page:
                writer.write(page)
                total += len(page)
            if after_page is not None:
                after_page(pager, total)
        if writer is None:
            writer = open_rows(columns_of([], pager.columns))
    finally:
        if writer is not None:
            writer.close()
    return total


def save_cursor(path: str | Path, cursor: HistoryCursor) -> None:
    """Write ``cursor`` as JSON to ``path``, atomically (a crash leaves the old one)."""
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(cursor.to_json() + "\n", encoding="utf-8")
    temporary.replace(target)


async def export_to(
    pager: Pager,
    out: str | Path | IO[str],
    *,
    format: str = "csv",
    append: bool = False,
    cursor_path: str | Path | None = None,
    progress: Callable[[Pager, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Every row of ``pager`` into ``out`` (a path, or an open text file for CSV), as
    :func:`export` does; after each page the cursor is saved to ``cursor_path`` (once the
    page is on disk, so a resumed run neither repeats nor skips a row) and ``progress``
    is called. Returns the number of rows written."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    if format == "parquet":
        _pyarrow()  # before the first request: a missing extra is said at once

    def after_page(done: Pager, rows: int) -> None:
        if cursor_path is not None:
            save_cursor(cursor_path, done.cursor)
        if progress is not None:
            progress(done, rows)

    return await export(
        pager,
        lambda columns: open_writer(out, columns, format=format, append=append, warn=warn),
        after_page=after_page,
    )

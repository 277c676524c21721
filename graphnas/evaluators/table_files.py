"""Benchmark tables on disk, read into columns: CSV, JSON lines, JSON and parquet.

- CSV (`.csv`): a header row; numeric cells become numbers (an empty cell is missing), a cell
  holding a JSON list (`"[93.1, 92.8, 93.4]"`) is a list of trials, anything else is text.
- JSON lines (`.jsonl`, `.ndjson`): one object per line.
- JSON (`.json`): an object keyed by code, whose values are objects of columns (or a plain value
  or list, which becomes the column `value_column`); or a list of objects.
- parquet (`.parquet`, `.pq`; needs pyarrow: `pip install 'graphnas[parquet]'`).

A column is a float64 array [rows] (NaN where missing), trials as a float64 array [rows, n] (a
list of per-row tuples when their numbers differ), or a list of texts. Every problem is one
InputFileError naming the file (and the line where it has one).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphnas.errors import InputFileError

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# [rows] float64 numbers, [rows, n] float64 trials, ragged trials as tuples, or texts.
Column = np.ndarray | list[tuple[float, ...]] | list[Any]


@dataclass(frozen=True)
class Table:
    """Columns of one table file; `row_of[code]` is the row of a code (the key column)."""

    path: Path
    key: str
    row_of: dict[str, int]
    columns: dict[str, Column]

    def __len__(self) -> int:
        return len(self.row_of)

    def column(self, name: str, role: str) -> Column:
        """The column `name`; InputFileError naming what it was wanted for otherwise."""
        if name not in self.columns:
            raise InputFileError(
                f"{self.path}: no column {name!r} ({role}); columns: {_names(self.columns)}"
            )
        return self.columns[name]


def is_trials(column: Column) -> bool:
    """Whether a column holds a list of trials per row ([rows, n] array, or tuples if ragged)."""
    if isinstance(column, np.ndarray):
        return column.ndim == 2
    return bool(column) and isinstance(column[0], tuple)


def is_numeric(column: Column) -> bool:
    """Whether a column holds one number per row."""
    return isinstance(column, np.ndarray) and column.ndim == 1


def read_table(path: Path, key: str, value_column: str) -> Table:
    """Read `path` (format from its suffix) and index it by the `key` column."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown table format {path.suffix!r}; expected one of {', '.join(FORMATS)}"
        )
    if not path.is_file():
        raise InputFileError(f"{path}: table file not found")
    try:
        if fmt == "parquet":
            columns = _read_parquet(path, key)
        else:
            text = path.read_text(encoding="utf-8")
            columns = {"csv": _read_csv, "jsonl": _read_jsonl}.get(fmt, _read_json)(
                text, path, key, value_column
            )
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read table: {_one_line(err)}") from None
    if key not in columns:
        raise InputFileError(f"{path}: no key column {key!r}; columns: {_names(columns)}")
    return Table(path, key, _index(columns.pop(key), path, key), columns)


def _index(keys: Column, path: Path, key: str) -> dict[str, int]:
    codes = [_code(value, path, key, row) for row, value in enumerate(keys)]
    row_of = dict(zip(codes, range(len(codes)), strict=True))
    if len(row_of) != len(codes):
        seen: dict[str, int] = {}
        for row, code in enumerate(codes):
            if code in seen:
                raise InputFileError(
                    f"{path}: code {code!r} appears twice (rows {seen[code]} and {row})"
                )
            seen[code] = row
    return row_of


def _code(value: Any, path: Path, key: str, row: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    raise InputFileError(f"{path}: row {row}: key {key!r} must be a code string, got {value!r}")


# ---------------------------------------------------------------------------- formats
def _read_csv(text: str, path: Path, key: str, value_column: str) -> dict[str, Column]:
    del value_column
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as err:
        raise InputFileError(f"{path}: malformed CSV: {_one_line(err)}") from None
    if not rows:
        raise InputFileError(f"{path}: empty table (no header row)")
    header, body = rows[0], rows[1:]
    _check_header(header, path)
    if set(map(len, body)) - {len(header)}:
        line, row = next((n, r) for n, r in enumerate(body, 2) if len(r) != len(header))
        raise InputFileError(f"{path}: line {line}: {len(row)} cells, the header has {len(header)}")
    cells = list(zip(*body, strict=True)) if body else [() for _ in header]
    return {
        name: list(column) if name == key else _text_column(column, path, name)
        for name, column in zip(header, cells, strict=True)
    }


def _text_column(cells: Sequence[str], path: Path, name: str) -> Column:
    """Numbers when every cell is one (empty: missing), trial lists when every cell is a JSON
    list, texts otherwise."""
    try:
        return np.asarray([cell or "nan" for cell in cells], dtype=np.float64)
    except ValueError:
        pass
    if cells and all(cell.lstrip().startswith("[") for cell in cells):
        counts = {cell.count(",") for cell in cells}
        if len(counts) == 1:  # equal lengths: numpy parses every number in one pass
            flat = ",".join(cell.strip()[1:-1] for cell in cells)
            values = np.fromstring(flat, dtype=np.float64, sep=",")
            if values.size == len(cells) * (counts.pop() + 1):
                return values.reshape(len(cells), -1)
        try:
            values = json.loads("[" + ",".join(cells) + "]")
        except json.JSONDecodeError:
            raise InputFileError(f"{path}: column {name!r}: a cell is not a JSON list") from None
        return _value_column(values, path, name)
    return list(cells)


def _read_jsonl(text: str, path: Path, key: str, value_column: str) -> dict[str, Column]:
    del value_column
    lines = [line for line in text.splitlines() if line.strip()]
    try:  # one parse of the whole file is ~3x faster than one per line
        records = json.loads("[" + ",".join(lines) + "]")
    except (json.JSONDecodeError, RecursionError):
        records = [_json_line(line, path, number) for number, line in enumerate(lines, 1)]
    return _records(records, path, key)


def _json_line(line: str, path: Path, number: int) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputFileError(f"{path}: line {number}: not JSON ({_one_line(err)})") from None


def _read_json(text: str, path: Path, key: str, value_column: str) -> dict[str, Column]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputFileError(f"{path}: not JSON ({_one_line(err)})") from None
    if isinstance(data, list):
        return _records(data, path, key)
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: expected an object keyed by code or a list of objects")
    records = [
        {key: code, **value} if isinstance(value, dict) else {key: code, value_column: value}
        for code, value in data.items()
    ]
    return _records(records, path, key)


def _read_parquet(path: Path, key: str) -> dict[str, Column]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputFileError(
            f"{path}: reading parquet needs pyarrow (pip install 'graphnas[parquet]')"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises its own error types for damaged files
        raise InputFileError(f"{path}: not a readable parquet file ({_one_line(err)})") from None
    columns: dict[str, Column] = {}
    for name in table.column_names:
        column = table.column(name)
        if name == key:
            columns[name] = column.to_pylist()
        elif _is_number_type(column.type):
            columns[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            columns[name] = _value_column(column.to_pylist(), path, name)
    return columns


def _is_number_type(arrow_type: Any) -> bool:
    import pyarrow.types as pat

    return pat.is_integer(arrow_type) or pat.is_floating(arrow_type)


# ---------------------------------------------------------------------------- columns
def _records(records: Any, path: Path, key: str) -> dict[str, Column]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputFileError(f"{path}: every record must be a JSON object")
    if not records:
        raise InputFileError(f"{path}: empty table (no records)")
    names = list(dict.fromkeys(name for record in records for name in record))
    _check_header(names, path)
    columns = {name: [record.get(name) for record in records] for name in names}
    return {
        name: values if name == key else _value_column(values, path, name)
        for name, values in columns.items()
    }


def _value_column(values: list[Any], path: Path, name: str) -> Column:
    """Numbers (None: missing), trial lists of numbers, or texts (kept as given)."""
    first = next((v for v in values if v is not None), None)
    if not isinstance(first, (list, str)):
        try:  # numbers, None as NaN; converted (and checked) by numpy in one pass
            return np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            return values
    if not isinstance(first, list):
        return values
    try:
        if not all(values):
            raise ValueError("an empty list")
        if len(set(map(len, values))) == 1:  # equal lengths: numpy checks and converts at once
            return np.asarray(values, dtype=np.float64)
        return [tuple(float(x) for x in v) for v in values]
    except (TypeError, ValueError):
        pass
    raise InputFileError(f"{path}: column {name!r}: every list must hold numbers")


def _check_header(names: Sequence[Any], path: Path) -> None:
    if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
        raise InputFileError(f"{path}: column names must be distinct non-empty strings")


def _names(columns: dict[str, Any]) -> str:
    names = list(columns)
    return ", ".join(names[:20]) + (f" (+{len(names) - 20} more)" if len(names) > 20 else "")


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__

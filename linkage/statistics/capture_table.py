"""Capture-history tables: one 0/1 column per list, then ``count`` (people seen on exactly that combination)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from linkage.errors import InputFileError

COUNT_COLUMN = "count"


@dataclass(frozen=True)
class CaptureTable:
    """Observed capture histories; ``histories`` is rows x lists of 0/1, ``counts`` the people per row."""

    lists: tuple[str, ...]
    histories: np.ndarray
    counts: np.ndarray

    @property
    def observed(self) -> int:
        """People seen on at least one list."""
        return int(self.counts.sum())

    def with_counts(self, counts: np.ndarray) -> CaptureTable:
        """The same histories with other counts (bootstrap and jackknife samples)."""
        return CaptureTable(self.lists, self.histories, np.asarray(counts, dtype=float))


def capture_table(lists: list[str] | tuple[str, ...], rows: list[tuple[tuple[int, ...], int]]) -> CaptureTable:
    """A table from (history, count) pairs; repeated histories are summed, all-zero histories refused."""
    if len(lists) < 2:
        raise ValueError(f"multiple systems estimation needs at least two lists, got {len(lists)}")
    if len(set(lists)) != len(lists):
        raise ValueError(f"list names repeat: {', '.join(lists)}")
    merged: dict[tuple[int, ...], int] = {}
    for history, count in rows:
        if not any(history):
            raise ValueError("a capture history with no list (the dark figure) cannot be observed")
        merged[history] = merged.get(history, 0) + count
    histories = np.array(list(merged), dtype=float).reshape(-1, len(lists))
    return CaptureTable(tuple(lists), histories, np.array(list(merged.values()), dtype=float))


def read_capture_csv(path: str | Path) -> CaptureTable:
    """Read a capture-history CSV; a bad header, flag or count is reported with its file, row and field."""
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            body = list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(name, f"cannot be read ({exc})") from exc
    if len(header) < 3 or header[-1] != COUNT_COLUMN:
        raise InputFileError(name, f"header must be two or more list names then '{COUNT_COLUMN}', got {header}")
    lists = header[:-1]
    rows: list[tuple[tuple[int, ...], int]] = []
    for line_number, cells in enumerate(body, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise InputFileError(name, f"row {line_number}: {len(cells)} fields, the header has {len(header)}")
        history = tuple(_flag(name, line_number, field, cell) for field, cell in zip(lists, cells[:-1], strict=True))
        count = _count(name, line_number, cells[-1])
        if not any(history) and count:
            raise InputFileError(name, f"row {line_number}: people on no list cannot be observed")
        if any(history):
            rows.append((history, count))
    if not rows:
        raise InputFileError(name, "no capture histories")
    try:
        return capture_table(lists, rows)
    except ValueError as exc:
        raise InputFileError(name, str(exc)) from exc


def _flag(name: str, line_number: int, field: str, cell: str) -> int:
    value = cell.strip()
    if value not in ("0", "1"):
        raise InputFileError(name, f"row {line_number}, field {field}: expected 0 or 1, got {cell!r}")
    return int(value)


def _count(name: str, line_number: int, cell: str) -> int:
    value = cell.strip()
    if not value.isdigit():
        raise InputFileError(name, f"row {line_number}, field {COUNT_COLUMN}: expected a whole number, got {cell!r}")
    return int(value)

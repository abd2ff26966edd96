"""The statistics report as a CSV or XLSX file: one row per cell, counts as shown to the reader ("<5" and "x"
for analysts), text a spreadsheet would run as a formula prefixed with an apostrophe."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from linkage.errors import LaoLinkError

HEADER = ("table", "fact_1", "value_1", "fact_2", "value_2", "persons")
FORMATS = ("csv", "xlsx")


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_rows(report: dict[str, Any]) -> list[tuple]:
    """Every cell of the report's tables, then the source combinations and smuggled-then-trafficked."""
    tables = [("persons by " + " and ".join(t["by"]), t) for t in report["tables"]]
    tables += [("persons by combination of sources", report["sources"]),
               ("smuggled migrants later trafficking victims", report["smuggled_then_trafficked"])]
    out: list[tuple] = [("all persons", "", "", "", "", report["persons"])]
    for name, table in tables:
        for row in table["rows"]:
            facts = [(fact, row[fact]) for fact in table["by"]] + [("", "")] * (2 - len(table["by"]))
            out.append((name, *(_cell(v) for pair in facts for v in pair), row["persons"]))
        out.append((name, "total", "", "", "", table["total"]))
    return out


def report_bytes(report: dict[str, Any], fmt: str) -> bytes:
    """The report as a file's bytes, ``fmt`` csv or xlsx."""
    rows = report_rows(report)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("persons")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(list(row))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise LaoLinkError(f"statistics are written as {' or '.join(FORMATS)}, not {fmt!r}")


def save_report(report: dict[str, Any], path: Path) -> None:
    """Write the report to ``path`` (.csv or .xlsx), owner-only."""
    data = report_bytes(report, path.suffix.lower().lstrip("."))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)

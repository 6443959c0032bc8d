"""Every CSV and XLSX download the portal offers, written one way.

Both files of an export have the same columns in the same order, and the rows in the order
the caller gives (by date). Each column has a kind that says how its cells are written:

- XLSX: dates are dates, money is a number shown as ``£#,##0.00``, hours and minutes are
  numbers, and text is always written as text, exactly as it is, so no cell is ever a
  formula. The header row is frozen; totals go on a sheet of their own ("Totals"), so that
  summing a column of the data sheet never counts them twice.
- CSV: UTF-8 with a byte-order mark, so that Excel reads accented names right (pandas,
  LibreOffice and Python's csv module with ``utf-8-sig`` skip it). Dates are written
  ``2026-03-04`` (with ``14:30`` for a time), money to the penny. There is no totals row,
  for the same reason as above. A CSV cell cannot say "this is text", so text that a
  spreadsheet would run as a formula (see ``csv_text``) starts with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.formatting import money_amount

# Text starting with one of these is taken for a formula by Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ...unless it is simply a number such as -12.50 or +3, which a spreadsheet reads as a number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Excel allows 31 characters in a sheet's name, and none of these.
_SHEET_NAME_FORBIDDEN = "[]:*?/\\"


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class Kind(StrEnum):
    """What a column holds, which decides how each of its cells is written."""

    AUTO = "auto"  # taken from each value: for columns of mixed or simple values
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"
    HOURS = "hours"
    WHOLE = "whole"  # minutes, counts, version numbers
    NUMBER = "number"  # any other number, shown as the spreadsheet's General format


XLSX_FORMATS = {
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
    Kind.MONEY: "£#,##0.00",
    Kind.HOURS: "0.00",
    Kind.WHOLE: "0",
}
# Column widths in characters, when the header is shorter.
_WIDTHS = {Kind.DATE: 12, Kind.DATETIME: 17, Kind.MONEY: 12, Kind.TEXT: 20}


@dataclass(frozen=True)
class Column:
    header: str | Promise
    kind: Kind = Kind.AUTO


@dataclass(frozen=True)
class Total:
    """One line of the totals sheet: what it is and its value."""

    label: str | Promise
    value: object
    kind: Kind = Kind.AUTO


# Totals, or what gives them once the rows are written (so they can be counted on the way).
Totals = Sequence[Total] | Callable[[], Sequence[Total]]


def _column(column: Column | str | Promise) -> Column:
    return column if isinstance(column, Column) else Column(column)


def csv_text(value: str) -> str:
    """Text as a CSV cell: an apostrophe before text a spreadsheet would run as a formula.

    That is text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, except
    a plain number such as ``-12.50``. Everything else is left exactly as it is.
    """
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _kind_of(value: object) -> Kind:
    if isinstance(value, dt.datetime):
        return Kind.DATETIME
    if isinstance(value, dt.date):
        return Kind.DATE
    if isinstance(value, bool | str | Promise):
        return Kind.TEXT
    if isinstance(value, int):
        return Kind.WHOLE
    if isinstance(value, float | Decimal):
        return Kind.NUMBER
    return Kind.TEXT


def _local(value: dt.datetime) -> dt.datetime:
    # Spreadsheets hold no time zones: the local wall-clock time is what people expect.
    return timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value


def _plain(value: object, kind: Kind) -> tuple[object, Kind]:
    """The value as the kind of cell it goes in; None for an empty cell."""
    if value is None or value == "":
        return None, Kind.TEXT
    if kind == Kind.AUTO:
        kind = _kind_of(value)
    if isinstance(value, bool):
        return (_("Yes") if value else _("No")), Kind.TEXT
    if kind == Kind.DATETIME and isinstance(value, dt.datetime):
        return _local(value), kind
    if kind == Kind.DATE and isinstance(value, dt.datetime):
        return _local(value).date(), kind
    if kind in {Kind.DATE, Kind.DATETIME} and isinstance(value, dt.date):
        return value, Kind.DATE
    if kind == Kind.MONEY and isinstance(value, int | float | Decimal):
        return money_amount(value), kind
    if kind in {Kind.HOURS, Kind.WHOLE, Kind.NUMBER} and isinstance(value, int | float | Decimal):
        return value, kind
    # Text, or a value that does not fit its column: shown as text, never lost.
    return str(value), Kind.TEXT


def _csv_cell(value: object, kind: Kind) -> str:
    plain, kind = _plain(value, kind)
    if plain is None:
        return ""
    if kind == Kind.DATETIME and isinstance(plain, dt.datetime):
        return plain.isoformat(sep=" ", timespec="minutes")
    if kind == Kind.DATE and isinstance(plain, dt.date):
        return plain.isoformat()
    if kind == Kind.TEXT:
        return csv_text(str(plain))
    return str(plain)


def csv_bytes(columns: Sequence[Column | str | Promise], rows: Iterable[Sequence[Any]]) -> bytes:
    kinds = [_column(column).kind for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(str(_column(column).header)) for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(value, kind) for value, kind in zip(row, kinds, strict=True)])
    return buffer.getvalue().encode("utf-8-sig")


def sheet_name(title: str | Promise) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    name = "".join(ch for ch in str(title) if ch not in _SHEET_NAME_FORBIDDEN).strip("' ")
    return name[:31] or "Sheet1"


class _SheetWriter:
    """Cells for one write-only sheet, each typed and formatted by its kind."""

    def __init__(self, book: Workbook, title: str | Promise) -> None:
        self.sheet = book.create_sheet(sheet_name(title))
        self.bold = Font(bold=True)

    def header(self, columns: Sequence[Column]) -> None:
        for index, column in enumerate(columns, start=1):
            width = max(len(str(column.header)) + 2, _WIDTHS.get(column.kind, 10))
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append(
            [self.cell(str(column.header), Kind.TEXT, bold=True) for column in columns]
        )

    def cell(self, value: object, kind: Kind, *, bold: bool = False) -> WriteOnlyCell:
        plain, kind = _plain(value, kind)
        cell = WriteOnlyCell(self.sheet)
        if kind == Kind.TEXT and plain is not None:
            text = ILLEGAL_CHARACTERS_RE.sub("", str(plain))
            cell.value = text
            # Set after the value, which openpyxl would otherwise take for a formula when it
            # starts with "=". quotePrefix keeps it text when someone edits the cell in Excel.
            cell.data_type = "s"
            if text.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        else:
            cell.value = plain
            if kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[kind]
        if bold:
            cell.font = self.bold
        return cell


def xlsx_bytes(
    columns: Sequence[Column | str | Promise],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | Promise,
    totals: Totals = (),
) -> bytes:
    """A workbook with the rows on a sheet named ``title``, and the totals on "Totals"."""
    described = [_column(column) for column in columns]
    book = Workbook(write_only=True)
    book.properties.title = str(title)
    book.properties.creator = "PPIE Portal"
    data = _SheetWriter(book, title)
    data.header(described)
    for row in rows:
        data.sheet.append(
            [data.cell(value, c.kind) for value, c in zip(row, described, strict=True)]
        )
    lines = totals() if callable(totals) else totals
    if lines:
        summary = _SheetWriter(book, _("Totals"))
        summary.header([Column(_("What"), Kind.TEXT), Column(_("Total"), Kind.AUTO)])
        summary.sheet.column_dimensions["A"].width = max(
            [len(str(total.label)) + 2 for total in lines] + [20]
        )
        for total in lines:
            summary.sheet.append(
                [summary.cell(str(total.label), Kind.TEXT), summary.cell(total.value, total.kind)]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def spreadsheet_response(
    *,
    headers: Sequence[Column | str | Promise],
    rows: Iterable[Sequence[Any]],
    file_format: str,
    filename: str,
    title: str | Promise = "Sheet1",
    totals: Totals = (),
) -> HttpResponse:
    """A download of the rows as CSV or XLSX, named ``filename`` plus the extension.

    ``headers`` are the columns: a ``Column`` says what kind of values it holds; a plain
    header takes each cell's kind from its value. ``title`` names the XLSX sheet, which
    should say what it holds. ``totals`` go on the XLSX's own "Totals" sheet and are left
    out of the CSV, where they would be summed with the data; given as a function, it is
    called once the rows are written.
    """
    kind = SheetFormat(file_format)
    if kind == SheetFormat.XLSX:
        body = xlsx_bytes(headers, rows, title=title, totals=totals)
    else:
        body = csv_bytes(headers, rows)
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response

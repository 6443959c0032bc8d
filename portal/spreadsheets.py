"""Every CSV and XLSX download the portal offers, written one way.

CSV files start with a UTF-8 byte-order mark, so that Excel reads accented names right
(pandas, LibreOffice and Python's csv module with ``utf-8-sig`` skip it). XLSX files keep
dates as dates and money and hours as numbers. In both, text that a spreadsheet would run
as a formula is shown as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar, overload

import tablib
from django.http import HttpResponse
from django.utils import timezone

# A spreadsheet treats a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


_T = TypeVar("_T")


@overload
def safe_cell(value: str) -> str: ...
@overload
def safe_cell(value: _T) -> _T: ...
def safe_cell(value: Any) -> Any:
    """Text that would start a formula gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if value.tzinfo else value
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return safe_cell(str(value))


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # Spreadsheets hold no time zones: the local wall-clock time is what people expect.
        return timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date | int | float | Decimal):
        return value
    return safe_cell(str(value))


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    # Excel allows 31 characters in a sheet's name, and none of []:*?/\
    name = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet = tablib.Dataset(headers=[str(header) for header in headers], title=name)
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in row])
    data: bytes = sheet.export("xlsx")
    return data


def spreadsheet_response(
    *,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    file_format: str,
    filename: str,
    title: str = "Sheet1",
) -> HttpResponse:
    """A download of the rows as CSV or XLSX, named ``filename`` plus the extension."""
    kind = SheetFormat(file_format)
    if kind == SheetFormat.XLSX:
        body = xlsx_bytes(headers, rows, title=title)
    else:
        body = csv_bytes(headers, rows)
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response

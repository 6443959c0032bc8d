"""Every CSV and XLSX download is written one way, and spreadsheet programs read it back."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from portal.spreadsheets import spreadsheet_response

HEADERS = ["Name", "Date", "Hours", "Amount (£)", "Note"]
ROWS = [
    ["Zoë Ødegård", dt.date(2026, 3, 4), Decimal("1.5"), Decimal("27.50"), "=HYPERLINK(1)"],
    ["Pat", dt.date(2026, 3, 5), Decimal("2"), Decimal("0.00"), None],
]


def download(file_format: str):
    return spreadsheet_response(
        headers=HEADERS, rows=ROWS, file_format=file_format, filename="report", title="Report"
    )


def test_a_csv_starts_with_a_byte_order_mark_and_reads_back_in_pandas():
    response = download("csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == HEADERS
    assert frame.loc[0, "Name"] == "Zoë Ødegård"
    assert frame.loc[0, "Date"] == "2026-03-04"
    assert frame.loc[0, "Hours"] == "1.5"
    assert frame.loc[0, "Amount (£)"] == "27.50"
    # A formula is shown as text, never run.
    assert frame.loc[0, "Note"] == "'=HYPERLINK(1)"
    assert pd.isna(frame.loc[1, "Note"])


def test_an_xlsx_keeps_dates_as_dates_and_numbers_as_numbers():
    response = download("xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="report.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Report"
    assert [cell.value for cell in sheet[1]] == HEADERS
    name, date, hours, amount, note = (cell.value for cell in sheet[2])
    assert name == "Zoë Ødegård"
    assert date == dt.datetime(2026, 3, 4)
    assert hours == pytest.approx(1.5)
    assert amount == pytest.approx(27.5)
    assert note == "'=HYPERLINK(1)"
    frame = pd.read_excel(io.BytesIO(response.content))
    assert frame["Hours"].sum() == pytest.approx(3.5)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="pdf"):
        download("pdf")

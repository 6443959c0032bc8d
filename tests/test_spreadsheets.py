"""Every CSV and XLSX download is written one way, and spreadsheet programs read it back."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.utils import timezone

from portal.spreadsheets import Column, Kind, Total, csv_text, sheet_name, spreadsheet_response

COLUMNS = [
    Column("Name", Kind.TEXT),
    Column("Date", Kind.DATE),
    Column("Minutes", Kind.WHOLE),
    Column("Hours", Kind.HOURS),
    Column("Amount (£)", Kind.MONEY),
    Column("Reference", Kind.TEXT),
    Column("Phone", Kind.TEXT),
]
HEADERS = [str(column.header) for column in COLUMNS]
ROWS = [
    [
        "Zoë Ødegård",
        dt.date(2026, 3, 4),
        90,
        Decimal("1.5"),
        Decimal("27.50"),
        "=BACS-001",
        "+44 115 951 5151",
    ],
    ["Pat", dt.date(2026, 3, 5), 120, Decimal("2"), Decimal("-0.01"), None, "-"],
]
# Text a spreadsheet would run as a formula, and text that only looks a little like it.
HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    "#N/A",
    "- a list item",
]
TOTALS = [
    Total("Contributions", 2),
    Total("Hours", Decimal("3.5"), Kind.HOURS),
    Total("Amount (£)", Decimal("27.49"), Kind.MONEY),
]


def download(file_format: str, rows: list[list[object]] = ROWS, **kwargs: object):
    return spreadsheet_response(
        headers=COLUMNS,
        rows=rows,
        file_format=file_format,
        filename="report",
        title=kwargs.pop("title", "Involvement"),
        **kwargs,
    )


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


# --- CSV -------------------------------------------------------------------------------------


def test_a_csv_starts_with_a_byte_order_mark_and_reads_back_in_pandas() -> None:
    response = download("csv", totals=TOTALS)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == HEADERS
    assert frame.loc[0, "Name"] == "Zoë Ødegård"
    assert frame.loc[0, "Date"] == "2026-03-04"
    assert frame.loc[0, "Minutes"] == "90"
    assert frame.loc[0, "Hours"] == "1.5"
    assert frame.loc[0, "Amount (£)"] == "27.50"
    assert frame.loc[1, "Amount (£)"] == "-0.01"
    assert pd.isna(frame.loc[1, "Reference"])
    # No totals row: the data alone, so a column sums to the total.
    assert len(frame) == 2
    numbers = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert numbers["Amount (£)"].sum() == pytest.approx(27.49)
    assert numbers["Minutes"].sum() == 210


def test_a_csv_neutralises_only_what_a_spreadsheet_would_run_as_a_formula() -> None:
    rows = [["x", None, None, None, None, text, None] for text in HOSTILE]
    cells = [row[5] for row in read_csv(download("csv", rows))[1:]]
    assert cells[:7] == ["'" + text for text in HOSTILE[:7]]
    assert cells[7] == "#N/A"  # an error value's look-alike, but never run
    assert cells[8] == "'- a list item"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=BACS-001", "'=BACS-001"),
        ("+44 115 951 5151", "'+44 115 951 5151"),
        ("@home", "'@home"),
        ("-12.50", "-12.50"),  # a plain number stays a number
        ("+3", "+3"),
        ("-1,250.00", "-1,250.00"),
        ("BACS-001", "BACS-001"),
        ("a = b", "a = b"),
        ("", ""),
    ],
)
def test_the_csv_rule_for_formula_text(text: str, shown: str) -> None:
    assert csv_text(text) == shown


def test_a_csv_writes_numbers_as_numbers_never_with_an_apostrophe() -> None:
    row = read_csv(download("csv"))[2]
    assert row[4] == "-0.01"


def test_a_csv_writes_a_time_in_local_time_without_the_t(settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    moment = dt.datetime(2026, 7, 1, 13, 5, tzinfo=dt.UTC)
    response = spreadsheet_response(
        headers=["When"], rows=[[moment]], file_format="csv", filename="x"
    )
    with timezone.override("Europe/London"):
        assert read_csv(response)[1] == ["2026-07-01 14:05"]


# --- XLSX ------------------------------------------------------------------------------------


def test_an_xlsx_keeps_dates_as_dates_and_numbers_as_numbers_in_their_formats() -> None:
    response = download("xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="report.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert book.sheetnames == ["Involvement"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    name, date, minutes, hours, amount, reference, phone = sheet[2]
    assert name.value == "Zoë Ødegård"
    assert date.value == dt.datetime(2026, 3, 4)
    assert date.is_date
    assert date.number_format == "yyyy-mm-dd"
    assert (minutes.value, minutes.data_type, minutes.number_format) == (90, "n", "0")
    assert (hours.value, hours.number_format) == (1.5, "0.00")
    assert (amount.value, amount.number_format) == (27.5, "£#,##0.00")
    assert sheet["E3"].value == pytest.approx(-0.01)
    assert sheet["F3"].value is None
    # Text is kept exactly, as text: no formula, no apostrophe in the value.
    assert (reference.value, reference.data_type) == ("=BACS-001", "s")
    assert (phone.value, phone.data_type) == ("+44 115 951 5151", "s")
    assert sheet["G3"].value == "-"


def test_an_xlsx_never_holds_a_formula_and_keeps_every_hostile_text() -> None:
    rows = [["x", None, None, None, None, text, None] for text in HOSTILE]
    content = download("xlsx", rows).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    assert 't="e"' not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    kept = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert kept == HOSTILE
    assert all(cell.data_type == "s" for cell in sheet["F"][1:])
    assert sheet["F2"].quotePrefix
    # pandas takes "#N/A" for a missing value unless told not to; the file holds the text.
    frame = pd.read_excel(io.BytesIO(content), dtype={"Reference": str}, keep_default_na=False)
    assert list(frame["Reference"]) == HOSTILE


@pytest.mark.parametrize(
    "text",
    [
        "  spaces either side  ",
        "line one\nline two",
        "a\ttab inside",
        "Zoë 🙂 ‘quotes’ “and” – dashes\u00a0",
        "'starts with an apostrophe",
        '"quoted", with a comma',
        "0012",  # text that looks like a number stays text
        "1/2",
        "TRUE",
    ],
)
def test_every_text_comes_back_as_it_was_in_both_files(text: str) -> None:
    rows = [[text, None, None, None, None, None, None]]
    sheet = openpyxl.load_workbook(io.BytesIO(download("xlsx", rows).content)).active
    assert sheet["A2"].value == text
    assert sheet["A2"].data_type == "s"
    assert read_csv(download("csv", rows))[1][0] == text
    frame = pd.read_excel(io.BytesIO(download("xlsx", rows).content), dtype=str)
    assert frame.loc[0, "Name"] == text


def test_an_xlsx_puts_totals_on_their_own_sheet() -> None:
    content = download("xlsx", totals=TOTALS).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Involvement", "Totals"]
    totals = book["Totals"]
    assert totals.freeze_panes == "A2"
    assert list(totals.iter_rows(values_only=True)) == [
        ("What", "Total"),
        ("Contributions", 2),
        ("Hours", 3.5),
        ("Amount (£)", pytest.approx(27.49)),
    ]
    assert totals["B4"].number_format == "£#,##0.00"
    # pandas reads the first sheet: the data alone.
    frame = pd.read_excel(io.BytesIO(content))
    assert len(frame) == 2
    assert frame["Amount (£)"].sum() == pytest.approx(27.49)
    assert frame["Minutes"].sum() == 210
    assert str(frame["Date"].dtype).startswith("datetime64")
    assert pd.read_excel(io.BytesIO(content), sheet_name="Totals")["Total"].tolist() == [
        pytest.approx(2),
        pytest.approx(3.5),
        pytest.approx(27.49),
    ]


def test_an_xlsx_drops_characters_a_workbook_cannot_hold_and_keeps_the_rest() -> None:
    rows = [["Bell\x07 and tab\tand line\nend", None, None, None, None, None, None]]
    sheet = openpyxl.load_workbook(io.BytesIO(download("xlsx", rows).content)).active
    assert sheet["A2"].value == "Bell and tab\tand line\nend"


def test_a_plain_header_takes_each_cells_kind_from_its_value() -> None:
    moment = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30))
    response = spreadsheet_response(
        headers=["Version", "Date", "When", "Flag", "Note", "Score"],
        rows=[[3, dt.date(2026, 1, 5), moment, True, "@note", Decimal("2.125")]],
        file_format="xlsx",
        filename="x",
        title="Comments",
    )
    row = openpyxl.load_workbook(io.BytesIO(response.content)).active[2]
    assert [cell.value for cell in row] == [
        3,
        dt.datetime(2026, 1, 5),
        dt.datetime(2026, 1, 5, 9, 30),
        "Yes",
        "@note",
        2.125,
    ]
    assert row[2].number_format == "yyyy-mm-dd hh:mm"
    assert row[5].number_format == "General"


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Payments", "Payments"),
        ("Paid 2026/01/01 to 2026/01/31: all [x]", "Paid 20260101 to 20260131 all x"),
        ("", "Sheet1"),
        ("'quoted'", "quoted"),
    ],
)
def test_a_sheet_name_is_one_excel_accepts(title: str, name: str) -> None:
    assert sheet_name(title) == name
    assert len(sheet_name(title * 5)) <= 31


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="pdf"):
        download("pdf")

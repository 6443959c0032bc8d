"""Reading a download back as people's programs do: openpyxl, pandas and Python's csv.

``Download`` holds one export in both formats and checks what every export promises: the
same columns and rows in CSV and XLSX, every value surviving in each, typed XLSX cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import openpyxl
import pandas as pd
from django.http import HttpResponse

from portal.spreadsheets import XLSX_FORMATS, Kind, csv_text

MONEY = XLSX_FORMATS[Kind.MONEY]
DATE = XLSX_FORMATS[Kind.DATE]


@dataclass
class Download:
    """One export fetched as CSV and as XLSX."""

    csv_response: HttpResponse
    xlsx_response: HttpResponse

    @classmethod
    def of(cls, fetch: Callable[[str], HttpResponse]) -> Download:
        """``fetch`` takes "csv" or "xlsx" and returns the response."""
        both = cls(fetch("csv"), fetch("xlsx"))
        assert both.csv_response.status_code == 200
        assert both.xlsx_response.status_code == 200
        return both

    # --- CSV ---------------------------------------------------------------------------------

    @cached_property
    def csv(self) -> list[list[str]]:
        content = self.csv_response.content
        assert content.startswith(b"\xef\xbb\xbf"), "a CSV starts with a byte-order mark"
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))

    def csv_frame(self) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(self.csv_response.content), encoding="utf-8-sig")

    def csv_records(self) -> list[dict[str, str]]:
        header, *rows = self.csv
        return [dict(zip(header, row, strict=True)) for row in rows]

    # --- XLSX --------------------------------------------------------------------------------

    @cached_property
    def book(self) -> Any:
        return openpyxl.load_workbook(io.BytesIO(self.xlsx_response.content))

    @property
    def sheet(self) -> Any:
        """The data: the first sheet."""
        return self.book.worksheets[0]

    @cached_property
    def xlsx(self) -> list[tuple[Any, ...]]:
        return list(self.sheet.iter_rows(values_only=True))

    def xlsx_records(self) -> list[dict[str, Any]]:
        header, *rows = self.xlsx
        return [dict(zip(header, row, strict=True)) for row in rows]

    def column(self, header: str) -> list[Any]:
        index = self.xlsx[0].index(header)
        return [row[index] for row in self.xlsx[1:]]

    def formats(self, header: str) -> set[str]:
        """The number formats of a column's cells that hold something."""
        index = self.xlsx[0].index(header) + 1
        return {
            cell.number_format
            for (cell,) in self.sheet.iter_rows(min_row=2, min_col=index, max_col=index)
            if cell.value is not None
        }

    def frame(self) -> pd.DataFrame:
        return pd.read_excel(io.BytesIO(self.xlsx_response.content))

    def totals(self) -> dict[str, Any]:
        """The Totals sheet as label: value."""
        sheet = self.book["Totals"]
        return dict(sheet.iter_rows(min_row=2, values_only=True))

    # --- both --------------------------------------------------------------------------------

    def check(self) -> None:
        """Same columns and rows in both; each value the same; a frozen, typed XLSX."""
        assert self.xlsx[0] == tuple(self.csv[0]), "the same columns in CSV and XLSX"
        assert len(self.xlsx) == len(self.csv), "the same rows in CSV and XLSX"
        for number, (xlsx_row, csv_row) in enumerate(zip(self.xlsx, self.csv, strict=True)):
            for header, stored, written in zip(self.xlsx[0], xlsx_row, csv_row, strict=True):
                assert same_value(stored, written), (number, header, stored, written)
        self.check_pandas()
        for sheet in self.book.worksheets:
            assert sheet.freeze_panes == "A2", sheet.title
            assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        assert "Tablib" not in " ".join(self.book.sheetnames)

    def check_pandas(self) -> None:
        """pandas reads the data sheet with the same rows, numbers as numbers, dates as dates,
        and a column's sum is the sum of its cells."""
        frame = self.frame()
        assert len(frame) == len(self.xlsx) - 1
        for header in self.xlsx[0]:
            cells = [value for value in self.column(header) if value is not None]
            if cells and all(isinstance(v, int | float) for v in cells):
                assert frame[header].dtype.kind in "if", header
                assert abs(frame[header].sum() - sum(cells)) < 1e-6, header
            elif cells and all(isinstance(v, dt.datetime) for v in cells):
                assert str(frame[header].dtype).startswith("datetime64"), header


def same_value(stored: Any, written: str) -> bool:
    """Whether an XLSX cell and a CSV cell hold the same value."""
    if stored is None:
        return written == ""
    if isinstance(stored, dt.datetime):
        if stored.time() == dt.time(0):
            return written in {stored.date().isoformat(), stored.isoformat(sep=" ")[:16]}
        return written == stored.isoformat(sep=" ", timespec="minutes")
    if isinstance(stored, bool):
        return False  # yes and no are written as words
    if isinstance(stored, int | float):
        return abs(Decimal(written) - Decimal(str(stored))) < Decimal("0.000001")
    if isinstance(stored, str):
        return written == csv_text(stored)
    return False

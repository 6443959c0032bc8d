"""Cells for CSV and XLSX exports that a spreadsheet will show as text, never run."""

from __future__ import annotations

from typing import Any

# A spreadsheet treats a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|")


def safe_cell(value: Any) -> Any:
    """Text that would start a formula gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

"""Rows of the permission matrix, one module per area, and the values a row may hold.

The values live here rather than in ``tests/test_permission_matrix.py`` so that the area
modules can use them without importing the test module that imports them.
"""

from __future__ import annotations

from typing import NamedTuple


class Go(NamedTuple):
    """A redirect (302) to the named page."""

    url_name: str


LOGIN = "302 to the login page, with next"
FORM_ERROR = "200 with the error summary"

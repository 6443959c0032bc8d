"""Permission-matrix rows for this area's URLs (merged into tests/test_permission_matrix.py).

ROWS: url name -> {"GET": (anonymous, outsider, partner, researcher, coordinator), "POST": ...}
OWNER_ONLY: url name -> the role that owns the object (others allowed by role get 403/405).
NOT_PAGES: url names that answer with a file or data rather than a page.

The history pages only show: POST is refused with 405 once membership and role are checked.
Their CSV and XLSX exports are the same URLs with ``?export=csv|xlsx``, so they share the rows.
"""

from typing import Any

from tests.matrix_rows import LOGIN

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    # The study's stage × partner table, chart and list: the research team only.
    "study_involvement": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, 405, 405),
    },
    # One partner (user_id is the team's partner) across the viewer's studies.
    "partner_involvement": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, 405, 405),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = set()

"""Permission-matrix rows for a study's involvement report (GRIPP2-SF): the coordinators'.

Saving an empty narrative is a valid draft, so the coordinator's POST goes back to the page.
The PDF is a file; its page and the history page only show.
"""

from typing import Any

from tests.matrix_rows import LOGIN, Go

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    "study_report": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("study_report")),
    },
    "study_report_pdf": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
    "study_report_history": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = {"study_report_pdf"}

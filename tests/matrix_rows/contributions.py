"""Permission-matrix rows for this area's URLs (merged into tests/test_permission_matrix.py).

ROWS: url name -> {"GET": (anonymous, outsider, partner, researcher, coordinator), "POST": ...}
OWNER_ONLY: url name -> the role that owns the object (others allowed by role get 403/405).
NOT_PAGES: url names that answer with a file or data rather than a page.

The fixture's contribution is the partner's, submitted, with one receipted expense. A
partner who is not its owner gets 404 from ``contribution_in`` (tested in the area's own
tests); researchers may look at it but change nothing (403 by role).
"""

from typing import Any

from tests.matrix_rows import FORM_ERROR, LOGIN, Go

DETAIL = Go("contribution_detail")

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    # Not a study page: everyone signed in sees their own involvement (outsiders included).
    "my_involvement": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "contribution_new": {
        "GET": (LOGIN, 404, 200, 403, 200),
        "POST": (LOGIN, 404, FORM_ERROR, 403, FORM_ERROR),
    },
    "contribution_detail": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    # The fixture's contribution is the partner's own: another coordinator returns it rather
    # than changing it.
    "contribution_edit": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, FORM_ERROR, 403, 403),
    },
    # It is already waiting for approval: a message, and back to the contribution.
    "contribution_submit": {
        "GET": (LOGIN, 404, Go("contribution_detail"), 403, Go("contribution_detail")),
        "POST": (LOGIN, 404, DETAIL, 403, 403),
    },
    "contribution_impact": {
        "GET": (LOGIN, 404, 200, 403, 200),
        "POST": (LOGIN, 404, FORM_ERROR, 403, FORM_ERROR),
    },
    "expense_new": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, FORM_ERROR, 403, 403),
    },
    "expense_remove": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, DETAIL, 403, 403),
    },
    # Receipts are for the partner and those who pay them, not the wider team.
    "expense_receipt": {
        "GET": (LOGIN, 404, 200, 403, 200),
        "POST": (LOGIN, 404, 405, 403, 405),
    },
}
OWNER_ONLY: dict[str, str] = {
    "contribution_edit": "partner",
    "contribution_submit": "partner",
    "expense_new": "partner",
    "expense_remove": "partner",
}
NOT_PAGES: set[str] = {"expense_receipt"}

"""Permission-matrix rows for this area's URLs (merged into tests/test_permission_matrix.py).

ROWS: url name -> {"GET": (anonymous, outsider, partner, researcher, coordinator), "POST": ...}
OWNER_ONLY: url name -> the role that owns the object (others allowed by role get 403/405).
NOT_PAGES: url names that answer with a file or data rather than a page.

Approvals and payments are the coordinator's alone. The fixture's contribution is the
partner's, waiting for approval, with a receipted expense; the rate is one of the study's.
"""

from typing import Any

from tests.matrix_rows import FORM_ERROR, LOGIN, Go

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    # Nothing selected: a message, and back to the queue.
    "approval_queue": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("approval_queue")),
    },
    "contribution_approve": {
        "GET": (LOGIN, 404, 403, 403, Go("contribution_detail")),
        "POST": (LOGIN, 404, 403, 403, Go("approval_queue")),
    },
    # A return needs a reason.
    "contribution_return": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "contribution_audit": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
    "payment_list": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
    # Marking several as paid or reimbursed at once: nothing chosen, a message and back.
    "payments_mark_paid": {
        "GET": (LOGIN, 404, 403, 403, Go("payment_list")),
        "POST": (LOGIN, 404, 403, 403, Go("payment_list")),
    },
    "expenses_mark_reimbursed": {
        "GET": (LOGIN, 404, 403, 403, Go("payment_list")),
        "POST": (LOGIN, 404, 403, 403, Go("payment_list")),
    },
    # The contribution is not approved yet: the page says so; a POST is refused with a message.
    "contribution_paid": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("payment_list")),
    },
    "contribution_expenses_paid": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("payment_list")),
    },
    "payment_policy": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "payment_rate_new": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    # The fixture's rate is used by no contribution, so it can go.
    "payment_rate_remove": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("payment_policy")),
    },
    # GET with no choice shows the form; with a period and format it answers with the file.
    "payment_export": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = set()

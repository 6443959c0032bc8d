"""Permission-matrix rows for involvement logs and their public verification page.

The log in the URL is the partner's own, which the study's coordinator may also see (they can
make and withdraw logs for its partners): anyone else gets 404, as for a study. Checking a
code needs no login.
"""

from typing import Any

from tests.matrix_rows import FORM_ERROR, LOGIN, Go

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    # The team have no partner studies of their own, so the page says so and has no form.
    "log_new": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, FORM_ERROR, FORM_ERROR, 200, 200),
    },
    "log_detail": {
        "GET": (LOGIN, 404, 200, 404, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "log_download": {
        "GET": (LOGIN, 404, 200, 404, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "log_withdraw": {
        "GET": (LOGIN, 404, 200, 404, 200),
        "POST": (LOGIN, 404, Go("log_detail"), 404, Go("log_detail")),
    },
    "log_retry": {
        "GET": (LOGIN, 405, 405, 405, 405),
        "POST": (LOGIN, 404, Go("log_detail"), 404, Go("log_detail")),
    },
    # A coordinator makes a partner's log for them.
    "partner_log_new": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "log_verify": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
    "log_verify_code": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = set()

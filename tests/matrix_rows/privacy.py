"""Permission-matrix rows for privacy rights: a person's own data, erasure, the access record
and a partner's profile.

Everyone downloads their own data. Erasing the partner in the URL is for a coordinator of
every study they are in (a site admin too, tested on its own); the partner themself, the
researcher and the outsider coordinate none of them and get 404. The partner has a
contribution waiting for approval, so the coordinator's erasure is refused with the reason
(409) and nothing is erased.
"""

from typing import Any

from tests.matrix_rows import LOGIN

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    "personal_data_json": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "personal_data_pdf": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "person_erase": {
        "GET": (LOGIN, 404, 404, 404, 200),
        "POST": (LOGIN, 404, 404, 404, 409),
    },
    "partner_profile": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
    "access_record": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = {"personal_data_json", "personal_data_pdf"}

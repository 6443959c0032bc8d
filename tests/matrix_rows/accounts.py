"""Permission-matrix rows for a person's own account: account and security, the first visit
after an invitation, the sessions page and the help pages.

Every logged-in person has an account, so these answer the same for each role. The help is
for everyone, logged in or not.
"""

from typing import Any

from tests.matrix_rows import FORM_ERROR, LOGIN, Go

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    "security": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    # Empty answers: the choices are required (each has a default on the page).
    "welcome": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, FORM_ERROR, FORM_ERROR, FORM_ERROR, FORM_ERROR),
    },
    "help_partner": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
    "help_researcher": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
    "help_coordinator": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
    # --- allauth pages the account page links to (not required, checked anyway) ---
    "account_change_password": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, FORM_ERROR, FORM_ERROR, FORM_ERROR, FORM_ERROR),
    },
    # With no data, "log out the other sessions" has nothing to do and comes back.
    "usersessions_list": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (
            LOGIN,
            Go("usersessions_list"),
            Go("usersessions_list"),
            Go("usersessions_list"),
            Go("usersessions_list"),
        ),
    },
}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = set()

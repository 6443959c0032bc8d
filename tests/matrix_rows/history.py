"""Permission-matrix rows for this area's URLs (merged into tests/test_permission_matrix.py).

ROWS: url name -> {"GET": (anonymous, outsider, partner, researcher, coordinator), "POST": ...}
OWNER_ONLY: url name -> the role that owns the object (others allowed by role get 403/405).
NOT_PAGES: url names that answer with a file or data rather than a page.
"""

from typing import Any

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {}
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = set()

"""Time as the portal prints it, for tests to write plainly."""

from __future__ import annotations

import re


def as_shown(text: str) -> str:
    """``text`` with a no-break space between each number and its unit, as on the pages:
    as_shown("2 (1 h 30 min)") == "2 (1\\u00a0h 30\\u00a0min)"."""
    return re.sub(r"(\d) (h|min)\b", "\\1\u00a0\\2", text)

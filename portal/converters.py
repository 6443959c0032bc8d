from __future__ import annotations

from portal.ids import ID_PATTERN


class IdConverter:
    """A database id in a URL: digits only, short enough never to overflow a bigint."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

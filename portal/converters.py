from __future__ import annotations


class IdConverter:
    """A database id in a URL: digits only, short enough never to overflow a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

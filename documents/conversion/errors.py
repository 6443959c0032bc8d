"""The one exception the conversion pipeline lets out for bad input."""

from __future__ import annotations


class ConversionError(Exception):
    """A file we cannot turn into a rendition.

    The message is written for the partner or researcher who uploaded the
    file: plain English, no library names, nothing about our internals. It is
    safe to show as it is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

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


TOO_LARGE = (
    "This document is too large or complex to show as a web page; the original can still "
    "be downloaded."
)
TOO_LARGE_ADVICE = "Splitting it into smaller documents, or making its pictures smaller, may help."


class TooLargeError(ConversionError):
    """A file past what one conversion may use: memory, time, blocks or characters.

    Kept apart from a damaged file, so the person is told the true reason. ``detail``
    says which limit it passed, when that is known.
    """

    def __init__(self, detail: str = "") -> None:
        super().__init__(" ".join(part for part in (TOO_LARGE, detail, TOO_LARGE_ADVICE) if part))
        self.detail = detail


# A converter library failing on a file it should have refused.
FAILED = (
    "Something in this file stopped us from showing it. The original is kept: download it, "
    "or save it again from your word processor and upload that."
)

"""Imported once by the conversion fork server, before it forks any child.

Loading what every conversion needs (textstat's pronouncing dictionary takes about two
seconds) here means each child starts with it, instead of each loading it again.
"""

from __future__ import annotations

from . import convert

convert(b"Ready to convert.", "ready.txt", max_bytes=100)

"""What a service raises when the rules refuse a request, in every app."""

from __future__ import annotations


class RuleBroken(Exception):
    """A request that the rules refuse; the message is safe to show the person."""

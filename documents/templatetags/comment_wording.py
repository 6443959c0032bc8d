from __future__ import annotations

from typing import Any

from django import template

from documents import wording
from documents.models import Comment

register = template.Library()


@register.simple_tag(takes_context=True)
def proxy_note(context: dict[str, Any], comment: Comment) -> str:
    """ "Entered by … on behalf of …", or "Entered for you by …" to the comment's author."""
    user = context.get("user")
    return wording.proxy_note(comment, getattr(user, "pk", None))

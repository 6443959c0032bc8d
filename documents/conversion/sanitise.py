"""The allow-list every rendition passes through, using nh3 (Ammonia).

Whatever a converter produced, only these tags and attributes reach a browser.
Links may only go to web pages or email addresses; a picture may only be one
the converter took out of the document itself (its placeholder, swapped for
the portal's own address once stored). Nothing may load from elsewhere, run
script or carry styles (the site's Content-Security-Policy forbids inline
styles anyway).
"""

from __future__ import annotations

import re

import nh3

from .pictures import PLACEHOLDER

TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    "p", "ul", "ol", "li",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "strong", "em", "b", "i", "u", "s", "sub", "sup", "br",
    "a", "img", "blockquote", "pre", "code", "figure", "figcaption",
}  # fmt: skip
# Tags whose content goes with them: their text is code or noise, not prose.
CLEAN_CONTENT_TAGS = {
    "script", "style", "template", "noscript", "iframe", "object", "embed",
    "svg", "math", "textarea", "select", "title", "head",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
BLOCK_ID_TAGS = {*(f"h{level}" for level in range(1, 7)), "p", "li", "td", "th", "img",
                 "pre", "blockquote", "figcaption", "caption"}  # fmt: skip
LINK_REL = "noopener noreferrer nofollow"

_SAFE_HREF = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_SPAN = re.compile(r"^[1-9][0-9]{0,2}$")
_BLOCK_ID = re.compile(r"^b[1-9][0-9]*$")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return value if _SAFE_HREF.match(value.strip()) else None
    if attribute == "src":
        return value if tag == "img" and PLACEHOLDER.match(value) else None
    if attribute in ("colspan", "rowspan"):
        return value if _SPAN.match(value.strip()) else None
    if attribute in ("id", "data-block"):
        return value if _BLOCK_ID.match(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    attributes=ATTRIBUTES,
    attribute_filter=_filter,
    link_rel=LINK_REL,
    url_schemes={"http", "https", "mailto", "picture"},
    url_relative="deny",
)
_RENDITION_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    attributes={
        **{tag: {*ATTRIBUTES.get(tag, set()), "id", "data-block"} for tag in BLOCK_ID_TAGS},
        "a": ATTRIBUTES["a"],
    },
    attribute_filter=_filter,
    link_rel=LINK_REL,
    url_schemes={"http", "https", "mailto", "picture"},
    url_relative="deny",
)


def sanitise(html: str) -> str:
    """Reduce untrusted HTML to the allow-list."""
    return _CLEANER.clean(html)


def sanitise_rendition(html: str) -> str:
    """Like :func:`sanitise`, but keeps our block ids (``id``/``data-block`` = ``bN``).

    Run last, over the HTML the splitter wrote, so that what is stored has been
    through the same parser a browser uses, not only lxml's.
    """
    return _RENDITION_CLEANER.clean(html)

"""Page templates printed as accessible PDFs (PDF/UA-1) with WeasyPrint.

WeasyPrint needs Pango and HarfBuzz from the system; without them the portal still runs,
and whoever asks for a PDF is told plainly why there is none (``PdfUnavailable``).
The font is the project's own copy of Atkinson Hyperlegible, made for readers with low
vision, so what is printed does not depend on the fonts a machine happens to have.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = (
    "AtkinsonHyperlegible-Regular.ttf",
    "AtkinsonHyperlegible-Bold.ttf",
    "AtkinsonHyperlegible-Italic.ttf",
    "AtkinsonHyperlegible-BoldItalic.ttf",
)
STYLESHEET = "pdf/print.css"

logger = logging.getLogger(__name__)


class PdfUnavailable(Exception):
    """A PDF cannot be made on this machine; the message says why, in plain words."""


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


@functools.cache
def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        logger.warning("WeasyPrint cannot be loaded: %s", error)
        raise PdfUnavailable(
            _(
                "PDFs cannot be made on this server because a program they need is missing "
                "(WeasyPrint, or the Pango and HarfBuzz libraries). Tell the site admin; "
                "the README lists what to install."
            )
        ) from error
    return weasyprint


def pdf_problem() -> str | None:
    """Why PDFs cannot be made here, or None when they can."""
    try:
        _weasyprint()
    except PdfUnavailable as error:
        return str(error)
    missing = [name for name in FONT_FILES if not (FONT_DIR / name).is_file()]
    if missing:
        return _("PDFs cannot be made because the font files are missing: %(names)s.") % {
            "names": ", ".join(missing)
        }
    return None


def pdf_render(template: str, context: dict[str, Any]) -> RenderedPdf:
    """Print a template from ``templates/pdf/``: its <title>, author and lang become metadata."""
    problem = pdf_problem()
    if problem:
        raise PdfUnavailable(problem)
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    html = render_to_string(template, context)
    css = render_to_string(STYLESHEET, {"font_dir": FONT_DIR.as_uri()})
    fonts = FontConfiguration()
    document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=[weasyprint.CSS(string=css, font_config=fonts)],
        font_config=fonts,
        pdf_variant="pdf/ua-1",
    )
    output = io.BytesIO()
    document.write_pdf(output, pdf_variant="pdf/ua-1")
    return RenderedPdf(content=output.getvalue(), pages=len(document.pages))

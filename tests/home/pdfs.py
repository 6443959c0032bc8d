"""Reading the portal's PDFs back as their readers do: pypdf for structure, poppler for text."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pypdf
from django.conf import settings

ARTEFACTS = Path(settings.BASE_DIR) / "var" / "test-artefacts"


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The text as a PDF viewer copies it (poppler's pdftotext), with lines joined by spaces."""
    path = tmp_path / "read.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return " ".join(result.stdout.split())


def pdf_lines(content: bytes) -> list[str]:
    """Each line of text in the PDF, page by page, as pypdf reads the text layer: a table's
    row is one line of its cells, and a no-break space stays what it is."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


def outline_titles(reader: pypdf.PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    return titles


def font_names(reader: pypdf.PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def struct_alt_texts(reader: pypdf.PdfReader) -> list[str]:
    """Every /Alt in the tagged structure tree: the text alternatives of figures."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, pypdf.generic.ArrayObject):
            for child in node:
                walk(child)
            return
        if not isinstance(node, pypdf.generic.DictionaryObject) or id(node) in seen:
            return
        seen.add(id(node))
        if "/Alt" in node:
            found.append(str(node["/Alt"]))
        if "/K" in node:
            walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def save_artefact(content: bytes, name: str, pages: int = 2) -> list[Path]:
    """The PDF and its first pages as PNG under var/test-artefacts, for a person to look at."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTEFACTS / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            str(pages),
            str(pdf),
            str(ARTEFACTS / name),
        ],
        check=True,
        capture_output=True,
    )
    return sorted(ARTEFACTS.glob(f"{name}-*.png"))

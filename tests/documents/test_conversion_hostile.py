"""Hostile and malformed uploads end in a clear message or a clean rendition, never a crash."""

from __future__ import annotations

import io
import random
import time
import zipfile
from typing import Any

import pytest

from documents.conversion import ConversionError, convert
from documents.conversion.sanitise import sanitise
from documents.conversion.zipsafe import check_zip_limits
from tests.documents.conversion_helpers import (
    MAX,
    assert_clean,
    build_odt,
    docx_with,
    fixture,
    zip_bytes,
)

PAYLOADS = [
    line for line in fixture("hostile/xss-payloads.txt").decode().splitlines() if line.strip()
]
# Test ids by position in the fixture file, so they are short and the same in every process.
PAYLOAD_IDS = [f"payload-{number:02d}" for number in range(1, len(PAYLOADS) + 1)]

REFUSED = {
    "html-named.docx": (
        "This file is named .docx but is not a Word document; it looks like a web page (HTML)."
    ),
    "text-named.pdf": "This file is named .pdf but is not a PDF; it looks like a plain text file",
    "word-named.md": (
        "This file is named .md but is not a Markdown or text file; "
        "it looks like a Word document (.docx)."
    ),
    "truncated.docx": "This Word document seems to be damaged or incomplete",
    "truncated.pdf": "This PDF seems to be damaged or incomplete",
    "zip-bomb.docx": "This Word document contains a part that is packed unusually tightly",
    "xss-payloads.txt": "This file is named .txt but is not a text file; it looks like a web page",
}


@pytest.mark.parametrize("name", sorted(REFUSED), ids=sorted(REFUSED))
def test_it_refuses_a_hostile_file_with_a_clear_message(name: str) -> None:
    with pytest.raises(ConversionError) as raised:
        convert(fixture(f"hostile/{name}"), name, max_bytes=MAX)

    assert str(raised.value).startswith(REFUSED[name])


@pytest.mark.parametrize(
    "name",
    ["hostile.md", "script-and-javascript-link.docx", "control-chars.txt"],
    ids=["hostile.md", "script-and-javascript-link.docx", "control-chars.txt"],
)
def test_it_renders_a_hostile_file_cleanly(name: str) -> None:
    conversion = convert(fixture(f"hostile/{name}"), name, max_bytes=MAX)

    assert conversion.blocks
    assert_clean(conversion.html)
    for block in conversion.blocks:
        assert_clean(block.html)


def test_script_in_a_word_document_is_shown_as_text_and_its_link_removed() -> None:
    data = fixture("hostile/script-and-javascript-link.docx")

    conversion = convert(data, "sheet.docx", max_bytes=MAX)

    assert conversion.blocks[1].text == (
        "<script>alert(1)</script> should be shown as text, never run."
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in conversion.html
    assert conversion.blocks[3].html == "Click for more information"


def test_raw_html_in_markdown_is_escaped_not_rendered() -> None:
    conversion = convert(fixture("hostile/hostile.md"), "hostile.md", max_bytes=MAX)

    assert "<a" not in conversion.html
    assert "<img" not in conversion.html
    assert conversion.blocks[-1].text == "A normal closing paragraph."


def test_control_characters_and_direction_overrides_are_removed() -> None:
    conversion = convert(fixture("hostile/control-chars.txt"), "c.txt", max_bytes=MAX)

    [block] = conversion.blocks
    assert block.text == "A line with a NUL byte here: and a right-to-left override: evil"
    assert "\x00" not in conversion.html
    assert "\u202e" not in conversion.html


def test_the_zip_bomb_is_refused_fast() -> None:
    data = fixture("hostile/zip-bomb.docx")
    started = time.perf_counter()

    with pytest.raises(ConversionError) as raised:
        convert(data, "zip-bomb.docx", max_bytes=MAX)

    assert time.perf_counter() - started < 2
    assert str(raised.value).startswith(REFUSED["zip-bomb.docx"])


def test_an_entity_expansion_bomb_in_a_word_document_is_refused_fast() -> None:
    entities = b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10)
    )
    document = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + entities + b"]>"
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = docx_with("docx/single-paragraph.docx", {"word/document.xml": document})
    started = time.perf_counter()

    with pytest.raises(ConversionError, match="We could not read this Word document"):
        convert(data, "laughs.docx", max_bytes=MAX)

    assert time.perf_counter() - started < 2


def test_it_refuses_a_package_too_big_once_unpacked() -> None:
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes({"a": b"x" * 2000, "b": b"y" * 2000})))

    with pytest.raises(ConversionError, match="too large to open safely"):
        check_zip_limits(archive, what="Word document", max_uncompressed=3000)


def test_it_refuses_a_package_with_too_many_parts() -> None:
    members = {"word/document.xml": b"<w/>"} | {f"p{n}": b"" for n in range(2001)}

    with pytest.raises(ConversionError, match="made of more parts than we can safely open"):
        convert(zip_bytes(members), "many.docx", max_bytes=MAX)


def test_it_refuses_an_odt_bomb() -> None:
    content = "<x>" + "a" * (2 * 1024 * 1024) + "</x>"

    with pytest.raises(ConversionError, match="packed unusually tightly"):
        convert(build_odt(content), "bomb.odt", max_bytes=MAX)


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
def test_the_sanitiser_neutralises_every_xss_payload(payload: str) -> None:
    assert_clean(sanitise(payload))
    assert_clean(sanitise(f"<p>{payload}</p>"))


@pytest.mark.parametrize("payload", PAYLOADS, ids=PAYLOAD_IDS)
@pytest.mark.parametrize("filename", ["payload.md", "payload.txt"], ids=["md", "txt"])
def test_every_xss_payload_in_a_document_renders_cleanly(payload: str, filename: str) -> None:
    data = f"Introduction\n\n{payload}\n\nThe end.\n".encode()

    conversion = convert(data, filename, max_bytes=MAX)

    assert_clean(conversion.html)
    for block in conversion.blocks:
        assert_clean(block.html)


def _damaged_variants() -> list[Any]:
    """Cut and bit-flipped copies of real files, each with an id that names how it was made."""
    rng = random.Random(7)
    docx = fixture("docx/tables.docx")
    pdf = fixture("pdf/commented.pdf")
    odt = build_odt()
    variants: list[Any] = []
    for name, data in (("t.docx", docx), ("t.pdf", pdf), ("t.odt", odt)):
        cuts = {
            "8": 8,
            "64": 64,
            "third": len(data) // 3,
            "half": len(data) // 2,
            "end-30": len(data) - 30,
        }
        for label, cut in cuts.items():
            variants.append(pytest.param(name, data[:cut], id=f"{name}-cut-{label}"))
        for flip in range(1, 5):
            flipped = bytearray(data)
            for _ in range(20):
                position = rng.randrange(40, len(flipped))
                flipped[position] = rng.randrange(256)
            variants.append(pytest.param(name, bytes(flipped), id=f"{name}-flipped-{flip}"))
    variants += [
        pytest.param("x.docx", b"PK\x03\x04" + rng.randbytes(500), id="x.docx-random"),
        pytest.param("x.pdf", b"%PDF-1.7\n" + rng.randbytes(500), id="x.pdf-random"),
        pytest.param("x.txt", rng.randbytes(500), id="x.txt-random"),
        pytest.param("x", b"MZ\x90\x00" + bytes(100), id="x-windows-program"),
    ]
    return variants


# What a refusal must never show the person who uploaded the file.
INTERNALS = ("Traceback", "Error -", "zlib", "zipfile", "BadZipFile", "mammoth", "pypdf", "lxml")


@pytest.mark.parametrize(("name", "data"), _damaged_variants())
def test_damaged_files_only_ever_raise_conversion_error(name: str, data: bytes) -> None:
    try:
        conversion = convert(data, name, max_bytes=MAX)
    except ConversionError as error:
        message = str(error)
        # A sentence for the person who uploaded it: what is wrong, and what to do instead.
        assert message.startswith(("This ", "We could not ")), message
        assert "upload" in message, message
        assert message.endswith("."), message
        assert not any(word in message for word in INTERNALS), message
    else:
        assert_clean(conversion.html)
        message = "converted"
    assert message

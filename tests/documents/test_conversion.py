"""Converting real study documents of every accepted type into block-addressed renditions."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile

import pytest

from documents.conversion import Conversion, ConversionError, convert
from tests.documents.conversion_helpers import (
    MAX,
    assert_clean,
    build_odt,
    docx_with,
    fixture,
    zip_bytes,
)


def texts(conversion: Conversion) -> list[tuple[str, str]]:
    return [(block.kind, block.text) for block in conversion.blocks]


def assert_well_formed(conversion: Conversion) -> None:
    ids = [block.id for block in conversion.blocks]
    assert ids == [f"b{number}" for number in range(1, len(ids) + 1)]
    for block in conversion.blocks:
        assert f'id="{block.id}"' in conversion.html
        assert f'data-block="{block.id}"' in conversion.html
        assert block.text == " ".join(block.text.split())
        assert block.text or block.kind == "img"
        assert_clean(block.html)
    assert len(re.findall(r'\sid="', conversion.html)) == len(ids)
    assert_clean(conversion.html)
    json.dumps(conversion.readability.to_dict())
    json.dumps([block.to_dict() for block in conversion.blocks])


# Word


def test_it_makes_each_word_table_cell_a_block() -> None:
    conversion = convert(fixture("docx/tables.docx"), "tables.docx", max_bytes=MAX)

    assert conversion.kind == "docx"
    assert texts(conversion) == [
        ("p", "Above"),
        ("td", "Top left"),
        ("td", "Top right"),
        ("td", "Bottom left"),
        ("td", "Bottom right"),
        ("p", "Below"),
    ]
    assert "<table>" in conversion.html
    assert_well_formed(conversion)


def test_it_makes_each_word_list_item_a_block() -> None:
    conversion = convert(fixture("docx/simple-list.docx"), "simple-list.docx", max_bytes=MAX)

    assert texts(conversion) == [("li", "Apple"), ("li", "Banana")]
    assert conversion.html.startswith("<ul>")
    assert_well_formed(conversion)


@pytest.mark.parametrize("name", ["footnotes.docx", "endnotes.docx"])
def test_it_keeps_notes_after_the_text_without_dead_links(name: str) -> None:
    conversion = convert(fixture(f"docx/{name}"), name, max_bytes=MAX)

    assert texts(conversion) == [
        ("p", "Ouch[1].[2]"),
        ("li", "A tachyon walks into a bar."),
        ("li", "Fin."),
    ]
    assert "<sup>[1]</sup>" in conversion.html
    assert "↑" not in conversion.html
    assert "<a" not in conversion.html
    assert_well_formed(conversion)


def test_it_keeps_a_web_link_in_a_footnote_with_safe_rel() -> None:
    conversion = convert(fixture("docx/footnote-hyperlink.docx"), "f.docx", max_bytes=MAX)

    assert texts(conversion)[-1] == ("li", "Example")
    assert (
        '<a href="http://www.example.com" rel="noopener noreferrer nofollow">Example</a>'
        in conversion.html
    )


def test_it_leaves_out_word_comments() -> None:
    conversion = convert(fixture("docx/comments.docx"), "comments.docx", max_bytes=MAX)

    assert texts(conversion) == [("p", "Ouch.")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("single-paragraph.docx", [("p", "Walking on imported air")]),
        ("strict-format.docx", [("p", "Test")]),
        ("strikethrough.docx", [("p", "Today's Special: Salmon Sold out")]),
        ("underline.docx", [("p", "The Sunset Tree")]),
        ("utf8-bom.docx", [("p", "This XML has a byte order mark.")]),
        ("text-box.docx", [("p", "Datum plane")]),
    ],
)
def test_it_converts_real_word_files(name: str, expected: list[tuple[str, str]]) -> None:
    conversion = convert(fixture(f"docx/{name}"), name, max_bytes=MAX)

    assert texts(conversion) == expected
    assert conversion.warnings == []
    assert_well_formed(conversion)


def test_it_keeps_a_small_embedded_picture_as_an_image_block() -> None:
    conversion = convert(fixture("docx/tiny-picture.docx"), "tiny-picture.docx", max_bytes=MAX)

    [block] = conversion.blocks
    assert block.kind == "img"
    assert block.html == f'<img src="picture:{conversion.picture_token}:1">'
    [picture] = conversion.pictures
    assert (picture.number, picture.content_type) == (1, "image/png")
    assert picture.data.startswith(b"\x89PNG")
    assert "base64" not in conversion.html
    assert conversion.warnings == []
    assert_well_formed(conversion)


def test_it_keeps_a_pictures_alt_text() -> None:
    with_alt = fixture("docx/tiny-picture.docx")
    data = docx_with(
        "docx/tiny-picture.docx",
        {
            "word/document.xml": _document_xml(with_alt).replace(
                b'<wp:docPr id="1" name="Picture 1"/>',
                b'<wp:docPr id="1" name="Picture 1" descr="A small red square"/>',
            )
        },
    )

    conversion = convert(data, "picture.docx", max_bytes=MAX)

    [block] = conversion.blocks
    assert (block.kind, block.text) == ("img", "A small red square")
    assert 'alt="A small red square"' in block.html


def test_it_leaves_out_a_picture_over_2_mb_with_a_warning() -> None:
    noise = random.Random(1).randbytes(2 * 1024 * 1024 + 1)  # incompressible, like a photo
    data = docx_with("docx/tiny-picture.docx", {"word/media/image1.png": noise})

    conversion = convert(data, "big-picture.docx", max_bytes=MAX)

    assert conversion.blocks == []
    assert conversion.warnings[0] == "1 picture was left out because it is larger than 2 MB."


def test_it_leaves_out_a_linked_picture_and_says_so() -> None:
    conversion = convert(fixture("docx/external-picture.docx"), "ext.docx", max_bytes=MAX)

    assert "<img" not in conversion.html
    assert conversion.warnings[0] == (
        "1 linked picture was left out because it is stored outside the document."
    )


def test_an_empty_word_document_converts_with_a_warning() -> None:
    conversion = convert(fixture("docx/empty.docx"), "empty.docx", max_bytes=MAX)

    assert conversion.blocks == []
    assert conversion.warnings == ["We found no text or pictures to show in this document."]
    assert conversion.readability.word_count == 0


def _document_xml(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/document.xml")


# PDF


def test_it_groups_pdf_lines_into_paragraphs() -> None:
    conversion = convert(fixture("pdf/commented.pdf"), "crazy-ones.pdf", max_bytes=MAX)

    assert conversion.kind == "pdf"
    assert all(kind == "p" for kind, _ in texts(conversion))
    assert conversion.blocks[0].text.startswith("The Crazy Ones October 14, 1998")
    assert conversion.blocks[1].text.startswith("The ones who see things diﬀerently.")
    assert conversion.blocks[1].text.endswith(
        "the status quo. You can quote them, disagree with them, glorify or vilify them."
    )
    assert 4 <= len(conversion.blocks) <= 10
    assert_well_formed(conversion)


def test_it_keeps_pdf_pages_in_order() -> None:
    conversion = convert(fixture("pdf/two-different-pages.pdf"), "two.pdf", max_bytes=MAX)

    assert texts(conversion) == [("p", "1"), ("p", "2")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hello-world.pdf", "Привет, мир"),
        ("issue-297.pdf", "test example"),
        ("jpeg.pdf", "A PDF with a JPEG image."),
        ("metadata.pdf", "Whatever"),
        ("toy.pdf", "Single quote operator"),
    ],
)
def test_it_reads_real_pdfs(name: str, expected: str) -> None:
    conversion = convert(fixture(f"pdf/{name}"), name, max_bytes=MAX)

    assert expected in " ".join(block.text for block in conversion.blocks)
    assert_well_formed(conversion)


@pytest.mark.parametrize("name", ["encrypted-file.pdf", "crazyones-encrypted-256.pdf"])
def test_it_refuses_a_password_protected_pdf(name: str) -> None:
    with pytest.raises(ConversionError, match=r"^This PDF is password-protected"):
        convert(fixture(f"pdf/{name}"), name, max_bytes=MAX)


# Markdown and plain text


def test_it_converts_the_markdown_study_summary() -> None:
    data = fixture("text/co-production-study-summary.md")

    conversion = convert(data, "co-production-study-summary.md", max_bytes=MAX)

    assert conversion.kind == "markdown"
    assert conversion.blocks[0].kind == "h1"
    assert conversion.blocks[0].text == "The role of co-production in sustainability"
    headings = [text for kind, text in texts(conversion) if kind == "h2"]
    assert headings[0] == "Why the research is needed?"
    assert len(headings) == 8
    assert_well_formed(conversion)


def test_it_measures_the_study_summarys_readability() -> None:
    data = fixture("text/co-production-study-summary.md")

    figures = convert(data, "summary.md", max_bytes=MAX).readability.to_dict()

    assert 600 < figures["word_count"] < 750
    assert 25 < figures["sentence_count"] < 50
    assert 10 < figures["average_sentence_length"] < 30
    assert 0 < figures["flesch_reading_ease"] < 60  # long academic sentences: hard going
    assert 8 < figures["flesch_kincaid_grade"] < 20
    longest = figures["longest_sentences"]
    assert len(longest) == 5
    assert [item["words"] for item in longest] == sorted(
        (item["words"] for item in longest), reverse=True
    )
    assert longest[0]["words"] > 35
    assert longest[0]["text"].startswith("The ARC East Midlands Knowledge Mobilisation")


def test_it_makes_nested_markdown_list_items_their_own_blocks() -> None:
    data = b"# Steps\n\n1. First\n   - a detail\n   - another\n2. Second\n"

    conversion = convert(data, "steps.md", max_bytes=MAX)

    assert texts(conversion) == [
        ("h1", "Steps"),
        ("li", "First"),
        ("li", "a detail"),
        ("li", "another"),
        ("li", "Second"),
    ]
    assert_well_formed(conversion)


def test_it_keeps_markdown_tables_and_quotes() -> None:
    data = b"| Visit | When |\n| --- | --- |\n| First | Week 1 |\n\n> Quoted\n> advice.\n"

    conversion = convert(data, "t.md", max_bytes=MAX)

    assert texts(conversion) == [
        ("th", "Visit"),
        ("th", "When"),
        ("td", "First"),
        ("td", "Week 1"),
        ("blockquote", "Quoted advice."),
    ]


def test_it_leaves_out_a_markdown_picture_from_another_site() -> None:
    data = b"Look:\n\n![A chart](https://example.org/chart.png)\n"

    conversion = convert(data, "p.md", max_bytes=MAX)

    assert texts(conversion) == [("p", "Look:")]
    assert "1 picture was left out" in conversion.warnings[0]


def test_it_splits_plain_text_into_paragraphs_on_blank_lines() -> None:
    data = "\ufeffDear partner,\r\n\r\nThank you for\r\nyour time.\r\n\n\n\nBest wishes\n".encode()

    conversion = convert(data, "letter.txt", max_bytes=MAX)

    assert conversion.kind == "text"
    assert texts(conversion) == [
        ("p", "Dear partner,"),
        ("p", "Thank you for your time."),
        ("p", "Best wishes"),
    ]
    assert conversion.blocks[1].html == "Thank you for<br>your time."
    assert_well_formed(conversion)


def test_a_txt_file_with_markdown_syntax_stays_plain_text() -> None:
    conversion = convert(b"# Not a heading\n\n*stars*", "notes.txt", max_bytes=MAX)

    assert conversion.kind == "text"
    assert texts(conversion) == [("p", "# Not a heading"), ("p", "*stars*")]


# OpenDocument


def test_it_converts_an_odt() -> None:
    conversion = convert(build_odt(), "sheet.odt", max_bytes=MAX)

    assert conversion.kind == "odt"
    assert texts(conversion) == [
        ("h1", "Participant information sheet"),
        ("p", "You are invited to take part.[1]"),
        ("p", "Read the study page and not this."),
        ("li", "First step"),
        ("li", "A detail"),
        ("li", "Second step"),
        ("th", "Visit"),
        ("th", "When"),
        ("td", "First"),
        ("td", "Week 1"),
        ("img", "A single dot"),
        ("li", "Taking part is voluntary."),
    ]
    assert "<strong>invited</strong>" in conversion.html
    assert "<ol><li" in conversion.html
    assert '<a href="https://example.org/study" rel="noopener noreferrer nofollow">' in (
        conversion.html
    )
    assert "A Word-style comment" not in conversion.html
    assert conversion.warnings == [
        "1 linked picture was left out because it is stored outside the document."
    ]
    assert_well_formed(conversion)


def test_it_refuses_an_odt_whose_content_is_not_xml() -> None:
    data = zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<oops"},
        first="mimetype",
    )

    with pytest.raises(ConversionError, match="could not read this OpenDocument file"):
        convert(data, "broken.odt", max_bytes=MAX)


def test_it_does_not_expand_entities_in_an_odt() -> None:
    content = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "EXPANDED">'
        '<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        "<office:text><text:p>Safe &x; &e; text</text:p></office:text></office:body>"
        "</office:document-content>"
    )

    conversion = convert(build_odt(content), "entities.odt", max_bytes=MAX)

    assert texts(conversion) == [("p", "Safe text")]
    assert "root:" not in conversion.html

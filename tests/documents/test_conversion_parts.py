"""The pieces of the conversion pipeline: detection, size, splitting, paragraphs, readability."""

from __future__ import annotations

import pytest

from documents.conversion import ConversionError, convert
from documents.conversion.detect import check_size, detect
from documents.conversion.pdf import paragraphs_from_lines
from documents.conversion.readability import measure, split_sentences
from documents.conversion.sanitise import sanitise, sanitise_rendition
from documents.conversion.split import split_blocks
from documents.conversion.text import strip_control_chars
from tests.documents.conversion_helpers import MAX, build_odt, fixture, zip_bytes

# Size


def test_it_refuses_a_file_over_the_size_limit() -> None:
    with pytest.raises(ConversionError, match=r"^This file is 2 MB; the largest we accept is 1 MB"):
        convert(b"a" * (2 * 1024 * 1024), "big.txt", max_bytes=1024 * 1024)


def test_it_accepts_a_file_exactly_at_the_limit() -> None:
    check_size(b"a" * 10, 10)


def test_it_refuses_an_empty_file() -> None:
    with pytest.raises(ConversionError, match="This file is empty"):
        convert(b"", "empty.docx", max_bytes=MAX)


# Detection by content


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (fixture("docx/tables.docx"), "Tables.DOCX", "docx"),
        (fixture("docx/tables.docx"), "no-extension", "docx"),
        (fixture("pdf/toy.pdf"), "C:\\Users\\ann\\toy.pdf", "pdf"),
        (fixture("pdf/toy.pdf"), "toy", "pdf"),
        (build_odt(), "sheet.odt", "odt"),
        (build_odt(), "sheet", "odt"),
        (b"# Title\n\nText", "summary", "markdown"),
        (b"Just words.", "notes", "text"),
        (b"Just words.", "notes.md", "markdown"),
        (b"# Title", "notes.txt", "text"),
        ("\ufeffWith a BOM".encode(), "bom.txt", "text"),
    ],
)
def test_it_detects_the_type_from_content(data: bytes, filename: str, kind: str) -> None:
    assert detect(data, filename) == kind


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"<!DOCTYPE html><p>hi</p>", "page.txt",
         "This file is named .txt but is not a text file; it looks like a web page (HTML)."),
        (b"<html><body>x</body></html>", "page", "This file looks like a web page (HTML)"),
        (b"MZ\x90\x00\x03" + bytes(60), "setup.docx",
         "This file is named .docx but is not a Word document; it looks like a Windows program"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "chart.pdf", "it looks like a picture (PNG)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.docx",
         "it looks like an older Microsoft Office file (such as .doc)"),
        (zip_bytes({"xl/workbook.xml": b"<x/>"}), "budget.docx",
         "it looks like an Excel spreadsheet"),
        (zip_bytes({"readme.txt": b"hi"}), "bundle.odt", "it looks like a zip archive"),
        (build_odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"), "s.odt",
         "it looks like an OpenDocument spreadsheet (.ods)"),
        ("Caf\u00e9".encode("latin-1"), "menu.txt", "save it with UTF-8 encoding"),
        (bytes(200), "zeros.txt", "it looks like a binary file"),
        (b"Plain words.", "notes.html",
         "We cannot use files named .html (this one looks like a plain text file (.txt))."),
        (fixture("docx/tables.docx"), "tables.doc", "We cannot use files named .doc"),
        (fixture("pdf/toy.pdf"), "toy.txt",
         "This file is named .txt but is not a text file; it looks like a PDF."),
        (b"{\\rtf1 hello}", "letter.rtf", "This file looks like a Rich Text Format (RTF) file"),
    ],
)  # fmt: skip
def test_it_refuses_what_it_cannot_use_saying_what_the_file_is(
    data: bytes, filename: str, message: str
) -> None:
    with pytest.raises(ConversionError) as raised:
        detect(data, filename)

    assert message in str(raised.value)


# Sanitiser


def test_the_sanitiser_keeps_the_allowed_structure() -> None:
    markup = (
        '<h2>Title</h2><table><caption>Visits</caption><tbody><tr><th colspan="2">Head</th>'
        '<td rowspan="3">x</td></tr></tbody></table><p><a href="mailto:a@example.org">mail</a>'
        "<sub>2</sub><sup>3</sup><code>c</code></p>"
    )

    assert sanitise(markup) == markup.replace('">mail', '" rel="noopener noreferrer nofollow">mail')


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="/relative">x</a>',
        '<a href="#footnote-1">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
        '<img src="https://example.org/tracker.png">',
        '<p style="color:red" class="x" id="b1" onclick="x()">x</p>',
        '<td colspan="999999">x</td>',
    ],
)
def test_the_sanitiser_strips_unsafe_attributes(markup: str) -> None:
    cleaned = sanitise(markup)

    for unsafe in ("href", "src", "style", "class", "id=", "onclick", "999999"):
        assert unsafe not in cleaned


def test_the_rendition_sanitiser_keeps_only_block_ids() -> None:
    markup = '<p id="b1" data-block="b1">a</p><p id="evil" data-block="x">b</p><a id="b2">c</a>'

    assert sanitise_rendition(markup) == (
        '<p id="b1" data-block="b1">a</p><p>b</p><a rel="noopener noreferrer nofollow">c</a>'
    )


# Splitting


def test_a_list_item_excludes_its_nested_list() -> None:
    rendition, blocks = split_blocks(
        "<ul><li>Parent <strong>item</strong><ul><li>Child</li></ul> tail</li></ul>"
    )

    assert [(b.kind, b.text, b.html) for b in blocks] == [
        ("li", "Parent item tail", "Parent <strong>item</strong> tail"),
        ("li", "Child", "Child"),
    ]
    assert '<li id="b1" data-block="b1">Parent' in rendition
    assert '<li id="b2" data-block="b2">Child</li>' in rendition


def test_it_wraps_loose_text_into_paragraphs() -> None:
    _, blocks = split_blocks("Loose <em>words</em><h2>Heading</h2>more loose")

    assert [(b.kind, b.text) for b in blocks] == [
        ("p", "Loose words"),
        ("h2", "Heading"),
        ("p", "more loose"),
    ]


def test_it_treats_quotes_pre_figures_and_captions_as_blocks() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    _, blocks = split_blocks(
        "<blockquote><p>One</p><p>Two</p></blockquote><pre>a  b\nc</pre>"
        f'<figure><img src="{png}" alt="A chart"><figcaption>Figure 1</figcaption></figure>'
        "<table><caption>Times</caption><tr><td>1<br>2</td></tr></table>"
    )

    assert [(b.kind, b.text) for b in blocks] == [
        ("blockquote", "One Two"),
        ("pre", "a b c"),
        ("img", "A chart"),
        ("caption", "Figure 1"),
        ("caption", "Times"),
        ("td", "1 2"),
    ]


def test_it_drops_empty_blocks_and_images_without_a_source() -> None:
    _, blocks = split_blocks("<p> </p><p><img alt='gone'></p><li></li><p>Kept</p>")

    assert [(b.id, b.text) for b in blocks] == [("b1", "Kept")]


def test_ids_are_unique_and_in_reading_order() -> None:
    conversion = convert(fixture("text/co-production-study-summary.md"), "s.md", max_bytes=MAX)

    ids = [block.id for block in conversion.blocks]
    assert ids == [f"b{n}" for n in range(1, len(ids) + 1)]
    positions = [conversion.html.index(f'id="{block_id}"') for block_id in ids]
    assert positions == sorted(positions)


# PDF paragraphs


def test_pdf_lines_join_until_a_blank_line_or_a_short_closing_line() -> None:
    lines = [
        "A long line of text that runs right across the page to the",
        "margin and ends.",
        "Next paragraph starts here and it is also a fairly long line",
        "of text that reaches the margin of the page, then stops.",
        "",
        "After a gap, a well-",
        "known word.",
    ]

    assert paragraphs_from_lines(lines) == [
        "A long line of text that runs right across the page to the margin and ends.",
        "Next paragraph starts here and it is also a fairly long line of text that reaches "
        "the margin of the page, then stops.",
        "After a gap, a well-known word.",
    ]


# Readability and text


def test_readability_counts_each_block_as_its_own_sentence() -> None:
    _, blocks = split_blocks(
        "<h1>Taking part</h1><p>You can stop at any time. You do not need to say why.</p>"
        "<ul><li>Ask us anything</li></ul>"
    )

    figures = measure(blocks)

    assert figures.sentence_count == 4
    assert figures.word_count == 18
    assert figures.average_sentence_length == 4.5
    assert figures.flesch_reading_ease > 70
    assert figures.longest_sentences[0].text == "You do not need to say why."


def test_readability_of_nothing_is_zero() -> None:
    assert measure([]).to_dict() == {
        "flesch_reading_ease": 0.0,
        "flesch_kincaid_grade": 0.0,
        "word_count": 0,
        "sentence_count": 0,
        "average_sentence_length": 0.0,
        "longest_sentences": [],
        "long_sentence_count": 0,
    }


def test_readability_counts_sentences_longer_than_plain_english_allows() -> None:
    long = "Every " + " ".join(["word"] * 25) + "."
    short = "A short one."
    _, blocks = split_blocks(f"<p>{long} {short} {long}</p>")
    figures = measure(blocks)
    assert figures.long_sentence_count == 2
    assert figures.sentence_count == 3


def test_readability_reads_in_plain_english() -> None:
    from django.template.loader import render_to_string

    html = render_to_string(
        "documents/includes/readability.html",
        {
            "figures": {
                "flesch_reading_ease": 72.4,
                "flesch_kincaid_grade": 5.2,
                "word_count": 40,
                "sentence_count": 4,
                "average_sentence_length": 10.0,
                "long_sentence_count": 3,
                "longest_sentences": [{"text": "Stop.", "words": 1}],
            }
        },
    )
    assert "About 10" in html
    assert "72 out of 100" in html
    assert "3 sentences are longer than 25 words" in html
    assert "(1 word)" in html
    assert "1 words" not in html


def test_sentences_split_on_closing_punctuation_only_before_a_new_sentence() -> None:
    assert split_sentences("He said “go.” Then, e.g. later, he left! Did he? yes.") == [
        "He said “go.”",
        "Then, e.g. later, he left!",
        "Did he? yes.",
    ]


def test_strip_control_chars_keeps_tabs_and_newlines() -> None:
    assert strip_control_chars("a\tb\nc\x00d\x1be\u202ef\u2067g\x85h") == "a\tb\ncdefgh"

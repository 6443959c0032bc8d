"""Large inputs built at run time: files within the upload and zip limits that are too much
to show as a page. Built rather than committed, as they are megabytes each.
"""

from __future__ import annotations

import io
import random
import zipfile

from tests.documents.conversion_helpers import FIXTURES

W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
WORDS = [
    b"participant", b"study", b"visit", b"consent", b"withdraw", b"data", b"research",
    b"team", b"hospital", b"questionnaire", b"interview", b"week", b"results", b"nurse",
    b"appointment", b"information", b"sample", b"blood", b"travel", b"expenses", b"you",
    b"will", b"be", b"asked", b"to", b"the", b"of", b"and", b"a", b"we", b"may", b"can",
]  # fmt: skip


def _paragraphs(count: int, rng: random.Random, words: int) -> bytes:
    return b"".join(
        b"<w:p><w:r><w:t>" + b" ".join(rng.choices(WORDS, k=words)) + b".</w:t></w:r></w:p>"
        for _ in range(count)
    )


def _docx(body_parts: list[bytes], *, repeat: int, level: int = 6) -> bytes:
    """A Word document whose body is ``body_parts`` repeated ``repeat`` times, streamed into
    the zip so the XML is never held whole."""
    with zipfile.ZipFile(FIXTURES / "docx/single-paragraph.docx") as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in members.items():
            if name != "word/document.xml":
                archive.writestr(name, content)
        info = zipfile.ZipInfo("word/document.xml", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            stream.write(b'<?xml version="1.0"?><w:document ' + W + b"><w:body>")
            for _ in range(repeat):
                for part in body_parts:
                    stream.write(part)
            stream.write(b"</w:body></w:document>")
    return buffer.getvalue()


def expanding_docx(megabytes: int = 95) -> bytes:
    """A Word document of about 13 MB whose XML unpacks to ``megabytes`` (a ratio near 7).

    Varied prose repeated in slabs further apart than deflate's window, so it compresses
    like real text, within the zip limits (100 MB unpacked, ratio 100).
    """
    rng = random.Random(12)
    slabs = [_paragraphs(700, rng, 24) for _ in range(8)]  # about 128 KiB each
    size = sum(len(slab) for slab in slabs)
    return _docx(slabs, repeat=max(1, megabytes * 1024 * 1024 // size))


def many_paragraphs_docx(paragraphs: int = 400_000) -> bytes:
    """A few-MB Word document of very many short paragraphs: a page of that many blocks."""
    rng = random.Random(28)
    slab = _paragraphs(1000, rng, 3)
    return _docx([slab], repeat=paragraphs // 1000, level=9)


def long_text(megabytes: int = 19) -> bytes:
    """A plain text file of ``megabytes``: paragraphs of varied words."""
    rng = random.Random(19)
    lines = [b" ".join(rng.choices(WORDS, k=14)) + b".\n\n" for _ in range(4000)]
    slab = b"".join(lines)
    return (slab * (megabytes * 1024 * 1024 // len(slab) + 1))[: megabytes * 1024 * 1024]


def bloated_docx(megabytes: int = 95) -> bytes:
    """A Word document with little text in very many formatted runs, as some generators
    write: it passes the text limits but takes mammoth far past a conversion's memory."""
    rng = random.Random(95)
    runs = b"".join(
        b'<w:r w:rsidR="%08X"><w:rPr><w:sz w:val="%d"/></w:rPr>'
        b'<w:t xml:space="preserve"> </w:t></w:r>' % (rng.getrandbits(32), rng.randrange(16, 40))
        for _ in range(1500)
    )
    slabs = [b"<w:p>" + runs + b"<w:r><w:t>A short paragraph.</w:t></w:r></w:p>"]
    return _docx(slabs, repeat=max(1, megabytes * 1024 * 1024 // len(slabs[0])))

"""A version's pictures are files served with it, never inlined in its page."""

from __future__ import annotations

import base64
import io
import random
import zipfile

import pytest
from django.urls import reverse

from documents.conversion import RenditionLimits, convert
from documents.models import Version, VersionPicture, VersionStatus
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import fixture_bytes, upload
from tests.documents.conversion_helpers import MAX, TINY_PNG

JPEG = b"\xff\xd8\xff\xe0" + bytes(200)


def _word_picture() -> bytes:
    with zipfile.ZipFile(io.BytesIO(fixture_bytes("docx/tiny-picture.docx"))) as archive:
        return archive.read("word/media/image1.png")


def _data_uri(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def _markdown(*pictures: str) -> bytes:
    lines = ["# Sheet", "Some words."] + [
        f"![Picture {n}]({src})" for n, src in enumerate(pictures)
    ]
    return "\n\n".join(lines).encode()


def _picture_url(version: Version, number: int) -> str:
    return reverse(
        "version_picture",
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
            "picture": number,
        },
    )


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return upload(
        study=team.study,
        by=team.coordinator,
        filename="picture.docx",
        data=fixture_bytes("docx/tiny-picture.docx"),
    )


def test_a_word_documents_picture_is_stored_as_a_file_and_linked_from_the_page(version):
    assert version.status == VersionStatus.READY, version.failure_reason
    picture = VersionPicture.objects.get(version=version)
    expected = _word_picture()
    assert (picture.number, picture.content_type, picture.size) == (1, "image/png", len(expected))
    with picture.file.open("rb") as stored:
        assert stored.read() == expected
    url = _picture_url(version, 1)
    assert f'<img src="{url}"' in version.html
    assert version.blocks[0]["html"] == f'<img src="{url}">'
    assert "base64" not in version.html
    assert "picture:" not in version.html


def test_a_member_gets_the_picture_with_its_type_and_cache_headers(team, version):
    response = client_for(team.partner).get(_picture_url(version, 1))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == _word_picture()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"


def test_an_outsider_and_another_studys_address_get_404(team, version):
    assert client_for(team.outsider).get(_picture_url(version, 1)).status_code == 404
    assert client_for(team.partner).get(_picture_url(version, 2)).status_code == 404
    other = reverse(
        "version_picture",
        kwargs={
            "study_id": team.other_study.pk,
            "document_id": version.document_id,
            "number": version.number,
            "picture": 1,
        },
    )
    assert client_for(team.partner).get(other).status_code == 404


def test_the_content_security_policy_allows_the_pages_pictures(team, version):
    response = client_for(team.partner).get(
        reverse(
            "version_detail",
            kwargs={
                "study_id": team.study.pk,
                "document_id": version.document_id,
                "number": version.number,
            },
        )
    )

    img_src = next(
        part.split()[1:]
        for part in response["Content-Security-Policy"].split(";")
        if part.split()[0] == "img-src"
    )
    assert "'self'" in img_src
    # The picture's address is on the site itself, which 'self' allows.
    assert f'src="{_picture_url(version, 1)}"' in response.content.decode()
    assert _picture_url(version, 1).startswith("/")


def test_markdown_pictures_are_taken_out_of_the_text(team):
    version = upload(
        study=team.study,
        by=team.coordinator,
        filename="sheet.md",
        data=_markdown(_data_uri(TINY_PNG), _data_uri(JPEG, "jpeg")),
    )

    assert version.status == VersionStatus.READY, version.failure_reason
    pictures = list(VersionPicture.objects.filter(version=version))
    assert [(p.number, p.content_type) for p in pictures] == [(1, "image/png"), (2, "image/jpeg")]
    assert pictures[1].file.name.endswith("2.jpg")
    assert "data:" not in version.html
    assert version.html.count("<img ") == 2


def test_a_picture_that_is_not_what_it_claims_is_left_out():
    page = b"<html><script>alert(1)</script></html>"

    conversion = convert(_markdown(_data_uri(page)), "sheet.md", max_bytes=MAX)

    assert conversion.pictures == []
    assert "<img" not in conversion.html
    assert conversion.warnings == [
        "1 picture was left out because it is in a format web browsers cannot show."
    ]


def test_pictures_past_the_total_are_left_out_with_a_note():
    noise = random.Random(3).randbytes(600)
    pictures = [_data_uri(TINY_PNG + noise) for _ in range(4)]
    limits = RenditionLimits(max_picture_bytes=1000, max_pictures_bytes=2000)

    conversion = convert(_markdown(*pictures), "sheet.md", max_bytes=MAX, limits=limits)

    assert [picture.number for picture in conversion.pictures] == [1, 2, 3]
    assert conversion.html.count("<img ") == 3
    assert conversion.warnings == [
        "1 picture was left out because the document's pictures together come to more "
        "than 0 MB. Download the original to see every picture."
    ]


def test_a_picture_over_its_own_limit_is_left_out_and_the_rest_kept():
    big = TINY_PNG + bytes(2000)
    limits = RenditionLimits(max_picture_bytes=1024 * 1024)

    conversion = convert(
        _markdown(_data_uri(TINY_PNG), _data_uri(big + bytes(1024 * 1024))),
        "sheet.md",
        max_bytes=MAX,
        limits=limits,
    )

    assert len(conversion.pictures) == 1
    assert conversion.warnings == ["1 picture was left out because it is larger than 1 MB."]


def test_a_placeholder_typed_into_a_document_is_never_taken_for_a_picture():
    typed = b'Look: <img src="picture:0123456789abcdef:1"> and src="picture:0123456789abcdef:1"'

    conversion = convert(typed, "notes.txt", max_bytes=MAX)
    placed = conversion.with_picture_urls({1: "/somewhere/"})

    assert "<img" not in placed.html
    assert "/somewhere/" not in placed.html

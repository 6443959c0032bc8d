"""django-allauth's account pages read in the portal's plain English, from locale/en_GB."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import StudyTeam, client_for

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "en_GB" / "LC_MESSAGES"
ENTRY = re.compile(r'^msgid "(.+)"\nmsgstr "(.+)"$', re.M)


def entries() -> list[tuple[str, str]]:
    found = ENTRY.findall((LOCALE / "django.po").read_text(encoding="utf-8"))
    return [(a.replace('\\"', '"'), b.replace('\\"', '"')) for a, b in found]


def test_the_compiled_catalogue_holds_every_wording_of_its_source() -> None:
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert len(entries()) >= 20
    for msgid, msgstr in entries():
        assert catalogue.gettext(msgid) == msgstr, f"django.mo is older than django.po: {msgid}"


def test_the_portal_speaks_with_that_catalogue() -> None:
    with translation.override("en-gb"):
        assert translation.gettext("Bad Token") == "This link does not work"
        assert translation.gettext("Confirm Access") == "Confirm it is you"


@pytest.mark.django_db
def test_the_confirm_it_is_you_page_reads_plainly(team: StudyTeam) -> None:
    page = client_for(team.partner).get(reverse("account_reauthenticate")).content.decode()
    assert "Confirm it is you" in page
    assert "To keep your account safe, please confirm it is you." in page
    assert "Confirm Access" not in page
    assert "reauthenticate" not in page.lower().replace("account_reauthenticate", "").replace(
        "/reauthenticate/", ""
    )

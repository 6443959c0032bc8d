"""django-allauth's account pages read in the portal's plain English, from locale/en_GB."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import allauth as allauth_package
import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import StudyTeam, client_for

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "en_GB" / "LC_MESSAGES"
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of the source, strings carried over several lines joined."""
    pairs: list[tuple[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgid ", "msgstr ")):
            key = line.split(" ", 1)[0]
            if key == "msgid" and current.get("msgid"):
                pairs.append((current["msgid"], current.get("msgstr", "")))
            if key == "msgid":
                current = {}
        elif not line.startswith('"'):
            continue
        current[key] = current.get(key, "") + "".join(STRING.findall(line))
    if current.get("msgid"):
        pairs.append((current["msgid"], current.get("msgstr", "")))
    return [(_unescape(a), _unescape(b)) for a, b in pairs]


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def test_the_compiled_catalogue_holds_every_wording_of_its_source() -> None:
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert len(entries()) >= 20
    for msgid, msgstr in entries():
        assert catalogue.gettext(msgid) == msgstr, f"django.mo is older than django.po: {msgid}"


def test_each_wording_replaces_one_that_django_allauth_still_uses() -> None:
    # An upgrade that rewords a page would bring its old wording back without a word.
    allauth = Path(allauth_package.__file__).parent / "locale" / "fr" / "LC_MESSAGES"
    with (allauth / "django.mo").open("rb") as compiled:
        known = set(gettext.GNUTranslations(compiled)._catalog)  # type: ignore[attr-defined]
    gone = [msgid for msgid, _ in entries() if msgid not in known]
    assert not gone, f"django-allauth no longer uses: {gone}"


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

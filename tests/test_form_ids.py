"""Ids sent in forms go through the same bounded check as ids in addresses.

A number too large for the database, a negative one or text where an id belongs is a wrong
choice with a message (or a refused bulk action), never a 500, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import documents
import engagement
import portal
from documents.models import Document, Response, ReviewRound, Version
from engagement.models import Contribution, ContributionState
from portal.ids import IdChoiceField, IdMultipleChoiceField, ids_from, is_id
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version, thread
from tests.engagement.contributions_data import record
from tests.engagement.pages import messages_of, page_text

BAD_IDS = ["999999999999999999999", "-1", "abc", "1.5", "١٢", " 7", ""]
NOT_IDS = [value for value in BAD_IDS if value]
# In a form, the largest possible id, which no row has, is a wrong choice like those; in a
# bulk action it is passed over like another study's id.
BAD_NONEMPTY = [*NOT_IDS, "9" * 18]
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def test_an_id_is_plain_digits_that_fit_the_database() -> None:
    for value in ["1", "0", "9" * 18, 42]:
        assert is_id(value), value
    for value in [*BAD_IDS, "9" * 19, "1\n", None, True, -1, 10**18, 1.0]:
        assert not is_id(value), value
    assert ids_from(["3", "12"]) == [3, 12]
    assert ids_from(["3", "999999999999999999999"]) is None


def _form_classes() -> Iterator[type[forms.BaseForm]]:
    for package in (portal, engagement, documents):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in module.name or module.name.endswith(("settings", "wsgi")):
                continue
            loaded = importlib.import_module(module.name)
            for value in vars(loaded).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == module.name
                ):
                    yield value


def test_every_form_field_that_takes_ids_checks_them() -> None:
    found = []
    for form_class in _form_classes():
        for name, field in form_class.base_fields.items():  # type: ignore[attr-defined]
            if isinstance(field, forms.ModelChoiceField):
                found.append(f"{form_class.__name__}.{name}")
                assert isinstance(field, IdChoiceField | IdMultipleChoiceField), (
                    f"{form_class.__module__}.{form_class.__name__}.{name} takes ids: use "
                    "portal.ids.IdChoiceField or IdMultipleChoiceField"
                )
    assert {"RoundForm.partners", "DocumentForm.stage", "ContributionForm.stage"} <= set(found)


# --- each form that takes ids --------------------------------------------------------------


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=["# Sheet", "Text."])


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_a_round_with_an_impossible_partner_is_a_form_error(
    team: StudyTeam, version: Version, bad: str
) -> None:
    now = timezone.now()
    url = reverse("round_new", args=[team.study.pk, version.document_id, version.number])
    response = client_for(team.coordinator).post(
        url,
        {
            "opens_at": _local(now),
            "deadline": _local(now + dt.timedelta(days=7)),
            "partners": [str(team.partner.pk), bad],
            "reminder_days": "3",
        },
    )
    assert response.status_code == 200
    assert "Choose partners of this study from the list." in page_text(response)
    assert not ReviewRound.objects.exists()


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_a_document_with_an_impossible_stage_is_a_form_error(team: StudyTeam, bad: str) -> None:
    response = client_for(team.coordinator).post(
        reverse("document_new", args=[team.study.pk]),
        {
            "title": "Consent form",
            "kind": "other",
            "stage": bad,
            "file": SimpleUploadedFile("consent.md", b"# Consent\n\nText.\n"),
        },
    )
    assert response.status_code == 200
    assert "Choose from the options listed." in page_text(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_an_answer_pointing_at_an_impossible_version_is_a_form_error(
    team: StudyTeam, version: Version, bad: str
) -> None:
    comment = thread(version, team.partner)
    response = client_for(team.coordinator).post(
        reverse("comment_respond", args=[team.study.pk, comment.pk]),
        {"outcome": "changed", "body": "We shortened it.", "changed_in": bad, "publish": "1"},
    )
    assert response.status_code == 200
    assert "Choose from the options listed." in page_text(response)
    assert not Response.objects.exists()


def _contribution_fields(**changes: str) -> dict[str, str]:
    fields = {
        "activity_type": "meeting",
        "activity_date": YESTERDAY.isoformat(),
        "hours": "1",
        "minutes": "0",
        "what_they_did": "Steering group",
    }
    fields.update(changes)
    return fields


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_a_contribution_with_an_impossible_stage_or_partner_is_a_form_error(
    team: StudyTeam, bad: str
) -> None:
    url = reverse("contribution_new", args=[team.study.pk])
    as_partner = client_for(team.partner).post(url, _contribution_fields(stage=bad))
    assert as_partner.status_code == 200
    assert "Choose one of this study&#x27;s stages." in page_text(as_partner)

    by_proxy = client_for(team.coordinator).post(
        url, _contribution_fields(stage=str(team.stage.pk), partner=bad)
    )
    assert by_proxy.status_code == 200
    assert "Choose one of this study&#x27;s partners." in page_text(by_proxy)
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("bad", NOT_IDS)
def test_approving_with_an_impossible_id_does_nothing_and_says_so(
    team: StudyTeam, bad: str
) -> None:
    waiting = record(team)
    response = client_for(team.coordinator).post(
        reverse("approval_queue", args=[team.study.pk]),
        {"contribution": [str(waiting.pk), bad]},
        follow=True,
    )
    assert response.status_code == 200
    assert any("nothing was done" in message for message in messages_of(response))
    waiting.refresh_from_db()
    assert waiting.state == ContributionState.SUBMITTED


def _approved(team: StudyTeam) -> Contribution:
    from engagement.involvement.services.contributions import contribution_approve

    contribution = contribution_approve(
        contribution=record(team, expense="4.20"), by=team.coordinator
    )
    Contribution.objects.filter(pk=contribution.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=10)
    )
    return contribution


@pytest.mark.parametrize(
    ("name", "prefix"), [("payments_mark_paid", "pay"), ("expenses_mark_reimbursed", "expenses")]
)
@pytest.mark.parametrize("bad", NOT_IDS)
def test_paying_with_an_impossible_id_does_nothing_and_says_so(
    team: StudyTeam, bad: str, name: str, prefix: str
) -> None:
    approved = _approved(team)
    response = client_for(team.coordinator).post(
        reverse(name, args=[team.study.pk]),
        {
            "contribution": [str(approved.pk), bad],
            f"{prefix}-paid_on": YESTERDAY.isoformat(),
            f"{prefix}-reference": "BACS 1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert any("nothing was done" in message for message in messages_of(response))
    approved.refresh_from_db()
    assert approved.state == ContributionState.APPROVED
    assert approved.expenses_paid_on is None


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_filters_with_an_impossible_id_are_reported_not_obeyed(team: StudyTeam, bad: str) -> None:
    record(team)
    own = client_for(team.partner).get(reverse("my_involvement"), {"study": bad})
    assert own.status_code == 200
    assert "Choose from the options listed." in page_text(own)

    coordinator = client_for(team.coordinator)
    for field in ("stage", "study"):
        history = coordinator.get(reverse("study_involvement", args=[team.study.pk]), {field: bad})
        assert history.status_code == 200


@pytest.mark.parametrize("bad", BAD_NONEMPTY)
def test_a_log_of_an_impossible_study_is_a_form_error(team: StudyTeam, bad: str) -> None:
    response = client_for(team.partner).post(
        reverse("log_new"),
        {
            "start": (YESTERDAY - dt.timedelta(days=30)).isoformat(),
            "end": YESTERDAY.isoformat(),
            "studies": [str(team.study.pk), bad],
        },
    )
    assert response.status_code == 200
    assert "Choose from the options listed." in page_text(response)

"""Help pages, one per role, linked from every page's footer and open to everyone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.factories import MembershipFactory

HELP_PAGES = {
    "help_partner": "Help for partners",
    "help_researcher": "Help for researchers",
    "help_coordinator": "Help for coordinators",
}


@pytest.mark.parametrize("url_name", HELP_PAGES)
def test_anyone_can_read_the_help(db, url_name):
    response = Client().get(reverse(url_name))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{HELP_PAGES[url_name]}</h1>" in html
    assert "How to comment on a document" in html
    assert "With a keyboard" in html
    assert "With touch" in html
    assert "Who to contact" in html


def test_each_role_has_its_own_help(db):
    partner = Client().get(reverse("help_partner")).content.decode()
    researcher = Client().get(reverse("help_researcher")).content.decode()
    coordinator = Client().get(reverse("help_coordinator")).content.decode()
    assert "Record involvement" in partner
    assert "I have finished my review" in partner
    assert "upload new versions" in researcher
    assert "From earlier versions" in researcher
    assert "Invite partners and researchers" in coordinator
    assert "must have two-factor authentication" in coordinator


def test_it_describes_the_comment_controls_the_document_page_has(db):
    html = Client().get(reverse("help_partner")).content.decode()
    for control in (
        "Comment on this paragraph",
        "Comment on the selected words",
        "Comment on the whole document instead",
        "Send comment",
    ):
        assert control in html


def test_a_member_is_told_their_studys_coordinators(team: StudyTeam):
    html = client_for(team.partner).get(reverse("help_partner")).content.decode()
    assert "Cora Coordinator" in html
    assert f'href="mailto:{team.coordinator.email}"' in html
    assert "Living well" in html


def test_an_outsider_is_not_told_another_studys_coordinators(team: StudyTeam):
    html = client_for(team.outsider).get(reverse("help_partner")).content.decode()
    assert "Cora Coordinator" not in html
    assert team.coordinator.email not in html


def test_the_support_address_is_shown_when_set(db, settings):
    settings.SUPPORT_EMAIL = "help@example.org"
    html = Client().get(reverse("help_partner")).content.decode()
    assert 'href="mailto:help@example.org"' in html


def test_a_coordinator_without_two_factor_can_still_read_the_help(db):
    coordinator = MembershipFactory(role=Role.COORDINATOR).user
    assert client_for(coordinator).get(reverse("help_coordinator")).status_code == 200


@pytest.mark.parametrize(
    ("who", "url_name", "kwargs"),
    [
        (None, "account_login", {}),
        (None, "account_reset_password", {}),
        ("partner", "dashboard", {}),
        ("partner", "profile", {}),
        ("partner", "security", {}),
        ("partner", "welcome", {}),
        ("partner", "study_detail", {"study_id": "study"}),
        ("coordinator", "member_list", {"study_id": "study"}),
        (None, "help_partner", {}),
    ],
)
def test_every_page_links_to_the_help_in_its_footer(team: StudyTeam, who, url_name, kwargs):
    values = dict.fromkeys(kwargs, team.study.pk)
    user = getattr(team, who) if who else None
    response = client_for(user).get(reverse(url_name, kwargs=values))
    assert response.status_code == 200
    footer = response.content.decode().split("<footer", 1)[1]
    for name, text in HELP_PAGES.items():
        assert f'href="{reverse(name)}">{text}</a>' in footer

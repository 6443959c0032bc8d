"""Coordinators, and people who may start studies, need two-factor before anything else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagement.models import Membership
from engagement.services import invitation_token
from portal.permissions import Role
from tests.conftest import client_for, give_totp
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

ACTIVATE = "mfa_activate_totp"


@pytest.fixture
def coordinator(db):
    return MembershipFactory(role=Role.COORDINATOR).user


def test_it_sends_a_coordinator_without_an_authenticator_to_set_one_up(coordinator):
    response = client_for(coordinator).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse(ACTIVATE)


def test_it_explains_why_two_factor_is_needed(coordinator):
    response = client_for(coordinator).get(reverse("dashboard"), follow=True)
    assert response.status_code == 200
    assert "needs two-factor authentication" in response.content.decode()


@pytest.mark.parametrize("url_name", ["profile", "study_new"])
def test_it_guards_every_portal_page_for_a_coordinator_without_two_factor(coordinator, url_name):
    response = client_for(coordinator).get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"] == reverse(ACTIVATE)


def test_it_guards_a_coordinators_study_pages(coordinator):
    study = Membership.objects.get(user=coordinator).study
    response = client_for(coordinator).get(reverse("member_list", args=[study.pk]))
    assert response["Location"] == reverse(ACTIVATE)


def test_it_refuses_a_coordinators_post_without_two_factor(coordinator):
    response = client_for(coordinator).post(
        reverse("study_new"), {"title": "Sneaky", "lay_summary": "x", "status": "planning"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(ACTIVATE)
    assert not Membership.objects.filter(study__title="Sneaky").exists()


def test_it_lets_a_coordinator_with_an_authenticator_reach_the_dashboard(coordinator):
    give_totp(coordinator)
    response = client_for(coordinator).get(reverse("dashboard"))
    assert response.status_code == 200


@pytest.mark.parametrize("role", [Role.PARTNER, Role.RESEARCHER])
def test_it_never_redirects_a_partner_or_researcher(db, role):
    member = MembershipFactory(role=role).user
    response = client_for(member).get(reverse("dashboard"))
    assert response.status_code == 200


def test_it_never_redirects_a_person_in_no_study(db):
    assert client_for(UserFactory()).get(reverse("dashboard")).status_code == 200


def test_it_redirects_a_person_who_may_start_studies_without_two_factor(db):
    lead = UserFactory(can_create_studies=True)
    response = client_for(lead).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse(ACTIVATE)


def test_it_stops_asking_a_coordinator_who_has_left_every_study(coordinator):
    Membership.objects.filter(user=coordinator).update(left_on=timezone.localdate())
    assert client_for(coordinator).get(reverse("dashboard")).status_code == 200


def test_it_redirects_nobody_when_the_requirement_is_switched_off(db, settings, coordinator):
    settings.COORDINATOR_MFA_REQUIRED = False
    lead = UserFactory(can_create_studies=True)
    assert client_for(coordinator).get(reverse("dashboard")).status_code == 200
    assert client_for(lead).get(reverse("dashboard")).status_code == 200


def test_it_lets_a_coordinator_reach_the_account_pages_to_set_up_two_factor(coordinator):
    client = client_for(coordinator)
    response = client.get(reverse(ACTIVATE), follow=True)
    assert response.status_code == 200
    chain = [url for url, _ in response.redirect_chain]
    assert all(url.startswith("/accounts/") for url in chain), chain


def test_it_lets_a_coordinator_without_two_factor_open_an_invitation_link(coordinator):
    invitation = InvitationFactory(email=coordinator.email)
    link = reverse("invitation_accept", args=[invitation_token(invitation)])
    response = client_for(coordinator).get(link)
    assert response.status_code == 200
    assert "Accept and join" in response.content.decode()


def test_it_lets_a_coordinator_without_two_factor_log_out(coordinator):
    client = client_for(coordinator)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_does_not_guard_anonymous_visitors(db):
    response = Client().get(reverse("dashboard"))
    assert response["Location"].startswith(reverse("account_login"))

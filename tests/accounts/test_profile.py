"""The profile page: how a person would like the team to work with them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Acknowledgement, ContactMethod, PaymentPreference, Profile
from tests.conftest import client_for
from tests.factories import UserFactory


@pytest.fixture
def person(db):
    return UserFactory(display_name="Sam Smith")


def profile_data(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Samantha Smith",
        "preferred_name": "Sam",
        "pronouns": "she/her",
        "accessibility_needs": "Large print, and documents a week early please.",
        "contact_method": ContactMethod.POST,
        "phone": "",
        "email_frequency": "essential",
        "acknowledgement": Acknowledgement.ANONYMOUS,
        "payment_preference": PaymentPreference.DECLINE,
    }
    data.update(overrides)
    return data


def test_it_shows_the_profile_form_with_the_current_name(person):
    response = client_for(person).get(reverse("profile"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Your profile" in content
    assert 'value="Sam Smith"' in content
    for field in ("preferred_name", "accessibility_needs", "contact_method", "payment_preference"):
        assert f'name="{field}"' in content


def test_it_saves_the_profile(person):
    client = client_for(person)

    response = client.post(reverse("profile"), profile_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    profile = Profile.objects.get(user=person)
    person.refresh_from_db()
    assert person.display_name == "Samantha Smith"
    assert profile.preferred_name == "Sam"
    assert profile.pronouns == "she/her"
    assert profile.accessibility_needs == "Large print, and documents a week early please."
    assert profile.contact_method == ContactMethod.POST
    assert profile.email_frequency == "essential"
    assert profile.acknowledgement == Acknowledgement.ANONYMOUS
    assert profile.payment_preference == PaymentPreference.DECLINE
    assert profile.salutation == "Sam"
    page = client.get(response["Location"]).content.decode()
    assert "Your profile is saved." in page


def test_it_greets_the_person_by_their_preferred_name(person):
    client = client_for(person)
    client.post(reverse("profile"), profile_data(preferred_name="Sammy"))
    assert "Hello, Sammy" in client.get(reverse("dashboard")).content.decode()


def test_it_trims_the_display_name(person):
    client_for(person).post(reverse("profile"), profile_data(display_name="  Sam Jones  "))
    person.refresh_from_db()
    assert person.display_name == "Sam Jones"


@pytest.mark.parametrize("method", [ContactMethod.PHONE, ContactMethod.TEXT])
def test_it_asks_for_a_phone_number_when_contact_is_by_phone(person, method):
    response = client_for(person).post(reverse("profile"), profile_data(contact_method=method))

    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Enter a phone number so we can call or text you." in content
    assert 'href="#id_phone"' in content
    profile = Profile.objects.get(user=person)
    assert profile.contact_method == ContactMethod.EMAIL
    person.refresh_from_db()
    assert person.display_name == "Sam Smith"


def test_it_accepts_phone_contact_with_a_number(person):
    response = client_for(person).post(
        reverse("profile"), profile_data(contact_method=ContactMethod.PHONE, phone="01632 960123")
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=person)
    assert profile.contact_method == ContactMethod.PHONE
    assert profile.phone == "01632 960123"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", ""),
        ("display_name", "x" * 151),
        ("contact_method", "pigeon"),
        ("acknowledgement", "shout"),
        ("payment_preference", "double"),
    ],
)
def test_it_refuses_a_bad_value_and_saves_nothing(person, field, value):
    response = client_for(person).post(reverse("profile"), profile_data(**{field: value}))
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert Profile.objects.get(user=person).preferred_name == ""


def test_it_makes_a_profile_for_a_person_who_has_none(db):
    person = UserFactory()
    Profile.objects.filter(user=person).delete()
    response = client_for(person).get(reverse("profile"))
    assert response.status_code == 200
    assert Profile.objects.filter(user=person).exists()


def test_it_sends_anonymous_visitors_to_log_in_from_the_profile(db):
    response = Client().get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Client().post(reverse("profile"), profile_data()).status_code == 302

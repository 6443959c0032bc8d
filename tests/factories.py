from __future__ import annotations

import datetime as dt
import secrets

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from engagement.involvement.services.payments import payment_policy_create
from engagement.models import Invitation, Membership, Stage, Study, StudyStatus
from portal.accounts.models import Profile, User
from portal.permissions import Role

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def with_profile(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            Profile.objects.get_or_create(user=obj)
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"primary": True, "verified": True}
            )


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Study {n}")
    lay_summary = "A study about living well."
    status = StudyStatus.ACTIVE

    @factory.post_generation
    def payment_policy(obj: Study, create: bool, extracted: object, **kwargs: object) -> None:
        # As study_create does: every study has a payment policy from the start.
        if create:
            payment_policy_create(study=obj)


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    study = factory.SubFactory(StudyFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n + 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    study = factory.SubFactory(StudyFactory)
    role = Role.PARTNER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    study = factory.SubFactory(StudyFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.PARTNER
    nonce = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))

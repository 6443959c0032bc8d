"""Studies, stages, profiles, payment policies and rates change through services, and a page
that only shows them never writes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.urls import reverse

from engagement.involvement.selectors import policy_for
from engagement.involvement.services.payments import (
    payment_policy_create,
    policy_update,
    rate_add,
    rate_remove,
)
from engagement.models import PaymentPolicy, PaymentRate, Stage, Study
from engagement.services import stage_update, study_update
from portal.accounts.services import profile_for, profile_update
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for, migrate_to
from tests.factories import StageFactory


def test_a_new_study_has_its_policy_with_the_example_rates(team: StudyTeam) -> None:
    policy = policy_for(team.study)
    kinds = sorted(policy.rates.values_list("kind", flat=True))
    assert kinds == sorted(["hourly", "half_day", "day"] * 2)
    # Where the rates came from shows in the policy's history.
    assert PaymentRate.history.filter(policy_id=policy.pk, history_type="+").count() == 6


def test_creating_a_policy_twice_keeps_one(team: StudyTeam) -> None:
    payment_policy_create(study=team.study)
    assert PaymentPolicy.objects.filter(study=team.study).count() == 1
    assert policy_for(team.study).rates.count() == 6


def test_opening_the_policy_page_writes_nothing(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    url = reverse("payment_policy", args=[team.study.pk])
    client.get(url)  # sessions and caches warm
    before = (PaymentPolicy.objects.count(), PaymentRate.objects.count())
    response = client.get(url)
    assert response.status_code == 200
    assert (PaymentPolicy.objects.count(), PaymentRate.objects.count()) == before
    assert "Payment policy" in response.content.decode()


def test_the_policy_service_refuses_a_day_that_starts_before_the_half_day(
    team: StudyTeam,
) -> None:
    policy = policy_for(team.study)
    with pytest.raises(RuleBroken, match="full-day rate must start after"):
        policy_update(
            policy=policy,
            receipts_required=False,
            notes="",
            half_day_from_minutes=300,
            day_from_minutes=200,
        )
    policy.refresh_from_db()
    assert (policy.half_day_from_minutes, policy.day_from_minutes) == (150, 300)
    changed = policy_update(
        policy=policy,
        receipts_required=False,
        notes="  Paid monthly.  ",
        half_day_from_minutes=120,
        day_from_minutes=240,
    )
    assert (changed.receipts_required, changed.notes, changed.day_from_minutes) == (
        False,
        "Paid monthly.",
        240,
    )


def test_a_second_rate_of_a_kind_on_the_same_date_is_refused(team: StudyTeam) -> None:
    policy = policy_for(team.study)
    on = dt.date(2026, 6, 1)
    rate = rate_add(policy=policy, kind="hourly", amount=Decimal("30"), effective_from=on)
    with pytest.raises(RuleBroken, match="already a per hour rate from that date"):
        rate_add(policy=policy, kind="hourly", amount=Decimal("31"), effective_from=on)
    with pytest.raises(RuleBroken, match=re.escape("between £0.01 and £10,000")):
        rate_add(policy=policy, kind="day", amount=Decimal("0"), effective_from=on)
    rate_remove(rate=rate)
    assert not PaymentRate.objects.filter(pk=rate.pk).exists()


def test_study_and_stage_changes_go_through_services(team: StudyTeam) -> None:
    study = study_update(
        study=team.study, title=" Living better ", lay_summary="About it.", status="active"
    )
    assert Study.objects.get(pk=study.pk).title == "Living better"
    first, second = Stage.objects.filter(study=team.study).order_by("position")[:2]
    stage_update(stage=first, name="Setting priorities", description="")
    assert Stage.objects.get(pk=first.pk).name == "Setting priorities"
    with pytest.raises(RuleBroken, match="already has a stage with that name"):
        stage_update(stage=second, name="SETTING PRIORITIES")


def test_a_stage_renamed_to_a_clashing_name_on_the_page_says_why(team: StudyTeam) -> None:
    stage = StageFactory(study=team.study, name="Extra", position=99)
    response = client_for(team.coordinator).post(
        reverse("stage_edit", args=[team.study.pk, stage.pk]),
        {"name": "Evaluating impact and sustaining use", "description": ""},
    )
    assert response.status_code == 200
    assert "already has a stage with that name" in response.content.decode()
    assert Stage.objects.get(pk=stage.pk).name == "Extra"


def test_the_profile_service_takes_only_profile_fields(team: StudyTeam) -> None:
    profile = profile_for(team.partner)
    profile_update(profile=profile, display_name="  Pat Partner ", pronouns="they/them")
    team.partner.refresh_from_db()
    assert team.partner.display_name == "Pat Partner"
    assert profile_for(team.partner).pronouns == "they/them"
    with pytest.raises(TypeError, match="is_staff"):
        profile_update(profile=profile, display_name="Pat", is_staff=True)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_a_policy_to_every_study_that_lacks_one() -> None:
    before = [("engagement", "0003_contribution_historicalexpenseline_and_more")]
    after = [("engagement", "0004_payment_policy_for_every_study")]
    old = migrate_to(before)
    OldStudy = old.get_model("engagement", "Study")
    OldPolicy = old.get_model("engagement", "PaymentPolicy")
    lacking = OldStudy.objects.create(title="Old study", lay_summary="", status="active")
    having = OldStudy.objects.create(title="Kept study", lay_summary="", status="active")
    OldPolicy.objects.create(study=having, notes="Our own rules")
    migrate_to(after)
    migrate_to()
    assert global_apps.get_model("engagement", "PaymentPolicy") is PaymentPolicy
    made = PaymentPolicy.objects.get(study_id=lacking.pk)
    assert made.rates.count() == 6
    assert PaymentRate.history.filter(policy_id=made.pk).count() == 6
    assert PaymentPolicy.objects.get(study_id=having.pk).notes == "Our own rules"
    assert PaymentPolicy.objects.get(study_id=having.pk).rates.count() == 0

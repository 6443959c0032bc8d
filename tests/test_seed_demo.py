from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engagement.models import Membership, Study
from portal.accounts.models import User
from portal.home.management.commands.seed_demo import DEMO_PASSWORD
from portal.permissions import Role


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_people_and_studies_and_prints_the_logins(db):
    printed = _seed()

    assert "coordinator@example.org" in printed
    assert DEMO_PASSWORD in printed
    assert User.objects.count() == 6
    assert Study.objects.count() == 2
    assert "coordinator2@example.org" in printed
    coordinator = User.objects.get(email="coordinator@example.org")
    assert coordinator.check_password(DEMO_PASSWORD)
    for study in Study.objects.all():
        roles = sorted(
            Membership.objects.filter(study=study, left_on__isnull=True).values_list(
                "role", flat=True
            )
        )
        assert roles == sorted([Role.COORDINATOR] * 2 + [Role.RESEARCHER] + [Role.PARTNER] * 3)
        assert study.stages.count() == 8


def test_it_is_safe_to_run_twice(db):
    _seed()
    _seed()

    assert User.objects.count() == 6
    assert Study.objects.count() == 2
    assert Membership.objects.count() == 12


def test_it_refuses_to_seed_a_site_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="public password"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_it_seeds_a_document_under_review_with_an_answered_comment_and_involvement(db):
    from documents.models import Comment, Document, ReviewRound, VersionStatus
    from engagement.models import Contribution, ContributionState

    _seed()
    _seed()

    document = Document.objects.get()
    version = document.versions.get()
    assert version.status == VersionStatus.READY
    assert ReviewRound.objects.filter(version=version).count() == 1
    comment = Comment.objects.get()
    assert comment.quote == "about an hour"
    assert comment.response.published_at is not None
    states = sorted(Contribution.objects.values_list("state", flat=True))
    assert states == sorted([ContributionState.APPROVED, ContributionState.SUBMITTED])
    assert Contribution.objects.get(state=ContributionState.APPROVED).payment_due is not None


def test_the_demo_proxy_entry_can_be_approved_by_the_second_coordinator(db):
    from engagement.involvement.services.contributions import contribution_approve
    from engagement.models import Contribution, ContributionState

    _seed()
    proxy = Contribution.objects.get(entered_by__email="coordinator@example.org")
    assert proxy.state == ContributionState.SUBMITTED
    second = User.objects.get(email="coordinator2@example.org")
    assert second.check_password(DEMO_PASSWORD)
    approved = contribution_approve(contribution=proxy, by=second)
    assert approved.state == ContributionState.APPROVED

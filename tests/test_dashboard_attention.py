"""The dashboard's "what needs your attention" panel for the research team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from documents.models import Assignment, AssignmentState, ReviewRound
from engagement.models import Contribution, ContributionState
from engagement.services import study_create
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_comment
from tests.engagement.history_data import contribution, stages_of, strip_tags
from tests.factories import MembershipFactory


def panel(user) -> str:
    response = client_for(user).get(reverse("dashboard"))
    assert response.status_code == 200
    content = response.content.decode()
    marker = 'id="attention-heading"'
    assert marker in content
    rest = content[content.index(marker) :]
    return rest[: rest.index("</section>")]


def item(html: str, kind: str) -> str:
    marker = f'data-kind="{kind}"'
    assert marker in html, f"nothing about {kind}"
    rest = html[html.index(marker) :]
    return rest[: rest.index("</li>")]


def test_it_counts_contributions_waiting_for_approval_and_links_to_the_queue(
    team: StudyTeam,
) -> None:
    stage = stages_of(team.study)[0]
    for _ in range(3):
        contribution(
            study=team.study, partner=team.partner, stage=stage, state=ContributionState.SUBMITTED
        )
    contribution(study=team.study, partner=team.partner, stage=stage, state=ContributionState.DRAFT)
    html = item(panel(team.coordinator), "approvals")
    assert "3 contributions waiting for approval" in strip_tags(html)
    assert reverse("approval_queue", kwargs={"study_id": team.study.pk}) in html


def test_it_counts_payments_due_with_their_total(team: StudyTeam) -> None:
    stage = stages_of(team.study)[0]
    for amount in ("20.00", "12.50"):
        made = contribution(study=team.study, partner=team.partner, stage=stage)
        Contribution.objects.filter(pk=made.pk).update(payment_due=Decimal(amount))
    # Paid, and declined (nothing due), do not count.
    paid = contribution(
        study=team.study, partner=team.partner, stage=stage, state=ContributionState.PAID
    )
    Contribution.objects.filter(pk=paid.pk).update(payment_due=Decimal("50.00"))
    declined = contribution(study=team.study, partner=team.partner, stage=stage)
    Contribution.objects.filter(pk=declined.pk).update(payment_due=Decimal("0.00"))
    html = item(panel(team.coordinator), "payments")
    assert "2 approved contributions to pay (£32.50 in all)" in strip_tags(html)


def test_approvals_and_payments_are_for_coordinators_only(team: StudyTeam) -> None:
    stage = stages_of(team.study)[0]
    contribution(
        study=team.study, partner=team.partner, stage=stage, state=ContributionState.SUBMITTED
    )
    html = panel(team.researcher)
    assert 'data-kind="approvals"' not in html
    assert 'data-kind="payments"' not in html


def test_it_counts_comments_with_no_published_answer(team: StudyTeam) -> None:
    open_comment(team)
    open_comment(team, answered=True)
    html = item(panel(team.researcher), "comments")
    assert "1 comment with no answer yet" in strip_tags(html)


def test_it_lists_a_round_closing_this_week_with_partners_who_have_not_started(
    team: StudyTeam,
) -> None:
    comment = open_comment(team)  # opens a round for every partner, closing in 3 days
    review = ReviewRound.objects.get(version=comment.version)
    others = [MembershipFactory(study=team.study, role=Role.PARTNER).user for _ in range(2)]
    Assignment.objects.bulk_create(Assignment(round=review, partner=p) for p in others)
    Assignment.objects.filter(round=review, partner=team.partner).update(
        state=AssignmentState.IN_PROGRESS
    )
    html = item(panel(team.coordinator), "round")
    text = strip_tags(html)
    assert "The review of Information sheet closes" in text
    assert "2 partners have not started." in text
    assert (
        f'href="{reverse("version_detail", args=[team.study.pk, comment.version.document_id, 1])}"'
        in html
    )


def test_it_leaves_out_rounds_that_close_later_or_have_closed(team: StudyTeam) -> None:
    comment = open_comment(team)
    review = ReviewRound.objects.get(version=comment.version)
    Assignment.objects.filter(round=review).update(state=AssignmentState.NOT_STARTED)
    now = timezone.now()
    ReviewRound.objects.filter(pk=review.pk).update(deadline=now + dt.timedelta(days=8))
    assert 'data-kind="round"' not in panel(team.coordinator)
    ReviewRound.objects.filter(pk=review.pk).update(deadline=now - dt.timedelta(hours=1))
    assert 'data-kind="round"' not in panel(team.coordinator)


def test_it_names_the_stages_with_no_involvement_so_far(team: StudyTeam) -> None:
    stages = stages_of(team.study)
    contribution(study=team.study, partner=team.partner, stage=stages[0])
    contribution(study=team.study, partner=team.partner, stage=stages[1], state="draft")
    text = strip_tags(item(panel(team.coordinator), "stages"))
    assert stages[0].name not in text
    assert all(stage.name in text for stage in stages[1:])


def test_it_covers_each_study_the_person_helps_run_and_no_other(team: StudyTeam) -> None:
    second = study_create(
        created_by=team.coordinator, title="Second study", lay_summary="x", status="active"
    )
    contribution(
        study=second,
        partner=MembershipFactory(study=second, role=Role.PARTNER).user,
        stage=stages_of(second)[0],
        state=ContributionState.SUBMITTED,
    )
    html = panel(team.coordinator)
    assert "Second study" in html
    assert team.study.title in html
    assert team.other_study.title not in html
    assert reverse("study_involvement", args=[second.pk]) in html
    # A partner sees no panel at all.
    content = client_for(team.partner).get(reverse("dashboard")).content.decode()
    assert 'id="attention-heading"' not in content


def test_it_says_when_nothing_needs_attention(team: StudyTeam) -> None:
    for stage in stages_of(team.study):
        contribution(study=team.study, partner=team.partner, stage=stage)
    assert "Nothing needs your attention" in panel(team.coordinator)

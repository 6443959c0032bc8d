"""Review rounds: opening one, impossible dates, extending, and a partner finishing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from documents.models import Assignment, AssignmentState, Comment, ReviewRound, Version
from documents.services.comments import comment_reply
from documents.services.rounds import comments_made, round_extend, round_open
from engagement.models import Membership
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread
from tests.engagement.pages import described
from tests.factories import MembershipFactory
from tests.time_text import as_shown


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=["# Sheet", "Text."])


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def new_round_url(version: Version) -> str:
    return reverse(
        "round_new", args=[version.document.study_id, version.document_id, version.number]
    )


def finish_url(review_round: ReviewRound) -> str:
    return reverse("round_finish", args=[review_round.version.document.study_id, review_round.pk])


# --- opening a round ---------------------------------------------------------------------


def test_the_coordinator_opens_a_round_for_every_current_partner_by_default(
    team: StudyTeam, version: Version
) -> None:
    second = MembershipFactory(study=team.study).user
    former = MembershipFactory(study=team.study).user
    Membership.objects.filter(user=former).update(left_on=timezone.localdate())
    client = client_for(team.coordinator)

    form = client.get(new_round_url(version)).content.decode()
    for partner in (team.partner, second):
        assert f'value="{partner.pk}"' in form
        assert escape(partner.display_name) in form
    assert escape(former.display_name) not in form
    assert form.count('name="partners"') == 2
    assert form.count("checked") >= 2  # everyone is chosen to begin with

    now = timezone.now()
    response = client.post(
        new_round_url(version),
        {
            "opens_at": local(now),
            "deadline": local(now + dt.timedelta(days=14)),
            "instructions": "Focus on the consent section.",
            "partners": [team.partner.pk, second.pk],
        },
        follow=True,
    )
    assert "The review round is set up." in response.content.decode()
    review_round = ReviewRound.objects.get()
    assert review_round.created_by == team.coordinator
    assert review_round.instructions == "Focus on the consent section."
    assert set(review_round.assignments.values_list("partner", flat=True)) == {
        team.partner.pk,
        second.pk,
    }
    assert set(review_round.assignments.values_list("state", flat=True)) == {
        AssignmentState.NOT_STARTED
    }
    # The partner's page now shows their review and its instructions.
    page = client_for(team.partner).get(
        reverse("version_detail", args=[team.study.pk, version.document_id, version.number])
    )
    assert "Your review" in page.content.decode()
    assert "Focus on the consent section." in page.content.decode()


def test_the_service_asks_every_current_partner_when_none_are_chosen(
    team: StudyTeam, version: Version
) -> None:
    second = MembershipFactory(study=team.study).user
    former = MembershipFactory(study=team.study).user
    Membership.objects.filter(user=former).update(left_on=timezone.localdate())
    review_round = open_round(version, by=team.coordinator)
    assert set(Assignment.objects.values_list("partner", flat=True)) == {
        team.partner.pk,
        second.pk,
    }
    assert review_round.assignments.count() == 2


def test_a_partner_of_another_study_cannot_be_asked(team: StudyTeam, version: Version) -> None:
    with pytest.raises(RuleBroken, match="Choose at least one partner of this study"):
        open_round(version, by=team.coordinator, partners=[team.outsider])
    assert not ReviewRound.objects.exists()


@pytest.mark.parametrize(
    ("opens", "deadline", "message"),
    [
        (
            dt.timedelta(days=3),
            dt.timedelta(days=1),
            "The deadline must be after the opening time.",
        ),
        (
            dt.timedelta(days=3),
            dt.timedelta(days=3),
            "The deadline must be after the opening time.",
        ),
        (dt.timedelta(days=-10), dt.timedelta(days=-2), "The deadline must be in the future."),
    ],
)
def test_impossible_dates_are_shown_in_the_error_summary(
    team: StudyTeam, version: Version, opens: dt.timedelta, deadline: dt.timedelta, message: str
) -> None:
    now = timezone.now()
    response = client_for(team.coordinator).post(
        new_round_url(version),
        {
            "opens_at": local(now + opens),
            "deadline": local(now + deadline),
            "partners": [team.partner.pk],
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content
    assert message in content
    assert 'href="#id_deadline"' in content
    assert not ReviewRound.objects.exists()


def test_a_date_that_is_not_a_date_is_a_form_error(team: StudyTeam, version: Version) -> None:
    response = client_for(team.coordinator).post(
        new_round_url(version),
        {"opens_at": "31/02/2026", "deadline": "tomorrow", "partners": [team.partner.pk]},
    )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not ReviewRound.objects.exists()


def test_the_service_also_refuses_impossible_dates(team: StudyTeam, version: Version) -> None:
    now = timezone.now()
    with pytest.raises(RuleBroken, match="after the opening time"):
        round_open(
            version=version,
            partners=None,
            opens_at=now + dt.timedelta(days=2),
            deadline=now + dt.timedelta(days=1),
            instructions="",
            independent=False,
            created_by=team.coordinator,
        )
    with pytest.raises(RuleBroken, match="in the future"):
        round_open(
            version=version,
            partners=None,
            opens_at=now - dt.timedelta(days=2),
            deadline=now - dt.timedelta(days=1),
            instructions="",
            independent=False,
            created_by=team.coordinator,
        )


# --- extending ---------------------------------------------------------------------------


def test_the_coordinator_extends_the_deadline(team: StudyTeam, version: Version) -> None:
    review_round = open_round(version, by=team.coordinator, days=7)
    url = reverse("round_extend", args=[team.study.pk, review_round.pk])
    client = client_for(team.coordinator)
    earlier = client.post(url, {"deadline": local(review_round.deadline - dt.timedelta(days=1))})
    assert "The new deadline must be later than the current one." in earlier.content.decode()
    assert "error-summary" in earlier.content.decode()

    later = (review_round.deadline + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    response = client.post(url, {"deadline": local(later)}, follow=True)
    assert "The deadline has been extended." in response.content.decode()
    review_round.refresh_from_db()
    assert review_round.deadline == later


@pytest.mark.parametrize("deadline", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_an_extension_is_held_to_the_same_bounds_as_a_new_round(
    team: StudyTeam, version: Version, deadline: str
) -> None:
    review_round = open_round(version, by=team.coordinator, days=7)
    response = client_for(team.coordinator).post(
        reverse("round_extend", args=[team.study.pk, review_round.pk]), {"deadline": deadline}
    )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert 'href="#id_deadline"' in response.content.decode()
    before = review_round.deadline
    review_round.refresh_from_db()
    assert review_round.deadline == before


def test_the_service_holds_extensions_and_openings_to_the_bounds(
    team: StudyTeam, version: Version
) -> None:
    review_round = open_round(version, by=team.coordinator, days=7)
    with pytest.raises(RuleBroken, match="within the next three years"):
        round_extend(
            review_round=review_round, deadline=timezone.now() + dt.timedelta(days=4 * 365)
        )
    far = timezone.now() - dt.timedelta(days=400)
    with pytest.raises(RuleBroken, match="within a year or so of today"):
        round_open(
            version=version,
            partners=None,
            opens_at=far,
            deadline=timezone.now() + dt.timedelta(days=1),
            instructions="",
            independent=False,
            created_by=team.coordinator,
        )
    # Three years less a day is still a deadline that can be set.
    extended = round_extend(
        review_round=review_round, deadline=timezone.now() + dt.timedelta(days=3 * 365)
    )
    assert extended.deadline > timezone.now() + dt.timedelta(days=1000)


def test_extending_a_closed_round_lets_the_partner_comment_again(
    team: StudyTeam, version: Version
) -> None:
    review_round = open_round(version, by=team.coordinator)
    now = timezone.now()
    ReviewRound.objects.filter(pk=review_round.pk).update(
        opens_at=now - dt.timedelta(days=9), deadline=now - dt.timedelta(days=1)
    )
    comment_url = reverse(
        "comment_create", args=[team.study.pk, version.document_id, version.number]
    )
    partner = client_for(team.partner)
    partner.post(comment_url, {"body": "Late thought."})
    assert not review_round.comments.exists()
    client_for(team.coordinator).post(
        reverse("round_extend", args=[team.study.pk, review_round.pk]),
        {"deadline": local(now + dt.timedelta(days=3))},
    )
    partner.post(comment_url, {"body": "Late thought."})
    assert review_round.comments.get().body == "Late thought."


# --- finishing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "minutes", "message"),
    [
        (0, 0, "Enter the time you spent, between 1 minute and 24 hours."),
        (25, 0, "Ensure this value is less than or equal to 24."),
        (24, 30, "Enter the time you spent, between 1 minute and 24 hours."),
        (1, 75, "Ensure this value is less than or equal to 59."),
        (-1, 30, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_impossible_times_are_refused_when_finishing(
    team: StudyTeam, version: Version, hours: int, minutes: int, message: str
) -> None:
    review_round = open_round(version, by=team.coordinator)
    response = client_for(team.partner).post(
        finish_url(review_round), {"hours": hours, "minutes": minutes}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content
    assert message in content
    assignment = review_round.assignments.get()
    assert assignment.state == AssignmentState.NOT_STARTED
    assert assignment.minutes_spent is None


def test_a_partner_finishes_with_the_time_spent_and_only_once(
    team: StudyTeam, version: Version
) -> None:
    review_round = open_round(version, by=team.coordinator)
    client = client_for(team.partner)
    response = client.post(finish_url(review_round), {"hours": 1, "minutes": 30}, follow=True)
    assert "Your review is marked as finished." in response.content.decode()
    assignment = review_round.assignments.get()
    # It lands on the time given, ready to send for approval.
    assert response.redirect_chain[-1][0] == reverse(
        "contribution_detail", args=[team.study.pk, assignment.contribution_id]
    )
    assert described(response, "Time spent") == "1 h 30 min"
    assert "Submit for approval" in response.content.decode()
    page = client.get(
        reverse("version_detail", args=[team.study.pk, version.document_id, version.number])
    )
    assert "You finished this review. Thank you for your time (1\u00a0h 30\u00a0min)." in (
        page.content.decode()
    )
    assert assignment.state == AssignmentState.FINISHED
    assert assignment.minutes_spent == 90
    assert assignment.finished_at is not None
    assert assignment.started_at is not None

    again = client.post(finish_url(review_round), {"hours": 3, "minutes": 0})
    assert again.status_code == 200
    assert as_shown("You have already finished this review (1 h 30 min).") in (
        again.content.decode()
    )
    # While it is unsent, the finished page leads back to it.
    assert "Send the time you gave for approval" in again.content.decode()
    assignment.refresh_from_db()
    assert assignment.minutes_spent == 90


def test_a_full_day_is_the_most_that_can_be_recorded(team: StudyTeam, version: Version) -> None:
    review_round = open_round(version, by=team.coordinator)
    client_for(team.partner).post(finish_url(review_round), {"hours": 24, "minutes": 0})
    assert review_round.assignments.get().minutes_spent == 24 * 60


def test_someone_not_asked_in_the_round_cannot_finish_it(team: StudyTeam, version: Version) -> None:
    second = MembershipFactory(study=team.study).user
    review_round = open_round(version, by=team.coordinator, partners=[team.partner])
    for someone in (second, team.researcher, team.coordinator):
        response = client_for(someone).post(finish_url(review_round), {"hours": 1, "minutes": 0})
        assert response.status_code == 403
    assert review_round.assignments.get().state == AssignmentState.NOT_STARTED


def test_a_finished_review_waits_on_the_dashboard_until_it_is_sent(
    team: StudyTeam, version: Version
) -> None:
    from engagement.models import ContributionState

    review_round = open_round(version, by=team.coordinator)
    client = client_for(team.partner)
    client.post(finish_url(review_round), {"hours": 0, "minutes": 45})
    contribution = review_round.assignments.get().contribution
    assert contribution.state == ContributionState.DRAFT
    detail = reverse("contribution_detail", args=[team.study.pk, contribution.pk])
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Involvement you have not sent yet" in dashboard
    assert detail in dashboard
    assert as_shown(" · 45 min · not sent yet</p>") in dashboard
    # One button sends it; then it is the team's to approve and leaves the list.
    client.post(reverse("contribution_submit", args=[team.study.pk, contribution.pk]))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED
    assert detail not in client.get(reverse("dashboard")).content.decode()


def test_comments_and_replies_are_counted_apart_as_the_involvement_log_counts_them(
    team: StudyTeam, version: Version
) -> None:
    review_round = open_round(version, by=team.coordinator)
    thread(version, team.partner, "One", review_round=review_round)
    thread(version, team.partner, "Two", review_round=review_round)
    Comment.objects.filter(
        pk=thread(version, team.partner, "Taken back", review_round=review_round).pk
    ).update(withdrawn_at=timezone.now())
    question = thread(version, team.coordinator, "Is the second visit needed?")
    comment_reply(thread=question, author=team.partner, body="Yes, I think so.")

    progress = client_for(team.coordinator).get(
        reverse("round_detail", args=[team.study.pk, review_round.pk])
    )
    row = re.search(
        rf'<tr data-partner="{team.partner.pk}">(.*?)</tr>', progress.content.decode(), re.S
    )
    assert row is not None
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r'data-label="Comments">(.*?)</td>', row.group(1), re.S)
    ]
    assert cells == ["2 (and 1 reply)"]

    client_for(team.partner).post(finish_url(review_round), {"hours": 1, "minutes": 0})
    proposed = review_round.assignments.get(partner=team.partner).contribution
    assert proposed.what_they_did == (
        f"Reviewed “{version.document.title}” (version 1) and made 2 comments and 1 reply."
    )


def test_a_review_with_comments_only_says_so_without_replies(
    team: StudyTeam, version: Version
) -> None:
    review_round = open_round(version, by=team.coordinator)
    thread(version, team.partner, "Only one", review_round=review_round)
    client_for(team.partner).post(finish_url(review_round), {"hours": 0, "minutes": 20})
    proposed = review_round.assignments.get(partner=team.partner).contribution
    assert proposed.what_they_did.endswith("and made 1 comment.")


@pytest.mark.parametrize(
    ("comments", "replies", "said"),
    [
        (2, 1, "2 comments and 1 reply"),
        (1, 0, "1 comment"),
        (0, 2, "2 replies"),
        (0, 0, "no comments"),
    ],
)
def test_what_a_partner_made_reads_plainly(comments: int, replies: int, said: str) -> None:
    assert comments_made(comments=comments, replies=replies) == said

"""The weekly note to coordinators: what has waited too long for the team, once a week."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from documents.models import Comment
from engagement.involvement.services.contributions import contribution_save
from engagement.models import Study
from portal.home.digests import team_digests_record
from portal.notifications.models import Kind, Notification
from tests.conftest import StudyTeam
from tests.documents.builders import thread
from tests.notifications.helpers import a_round, a_version


def test_coordinators_hear_of_old_unanswered_comments_and_waiting_contributions(
    team: StudyTeam,
) -> None:
    Study.objects.filter(pk=team.study.pk).update(response_reminder_days=5)
    opens = timezone.now() - dt.timedelta(days=10)
    review_round = a_round(
        a_version(team),
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=20),
        by=team.coordinator,
    )
    old = thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=6))
    thread(review_round.version, team.partner, body="A new one.", review_round=review_round)
    contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=60,
        what_they_did="Met the team.",
        entered_by=team.partner,
        submit=True,
    )
    now = timezone.now()
    team_digests_record(now=now)
    team_digests_record(now=now + dt.timedelta(hours=1))
    (note,) = Notification.objects.filter(kind=Kind.TEAM_DIGEST)
    assert note.recipient == team.coordinator
    assert team.study.title in note.text_body
    assert "1 comment has had no answer for too long" in note.text_body
    assert "1 contribution waits for approval" in note.text_body
    # Partners and researchers are not sent the team's note.
    assert (
        not Notification.objects.filter(kind=Kind.TEAM_DIGEST)
        .exclude(recipient=team.coordinator)
        .exists()
    )

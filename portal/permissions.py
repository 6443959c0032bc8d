"""The access policy: the roles a person holds in a study and what each may do.

This module holds the rules only. ``engagement.access`` applies them to a request
by finding the person's membership, and every study view goes through it.
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PARTNER = "partner", _("PPIE partner")
    RESEARCHER = "researcher", _("Researcher")
    COORDINATOR = "coordinator", _("Coordinator")


_ROLE_PHRASES = {
    Role.PARTNER: _("a PPIE partner"),
    Role.RESEARCHER: _("a researcher"),
    Role.COORDINATOR: _("a coordinator"),
}


def role_phrase(role: str) -> str:
    """The role as it reads in a sentence: "take part as a researcher"."""
    return str(_ROLE_PHRASES[Role(role)])


# Someone invited to be a partner may never have heard the word.
_ROLE_EXPLAINED = {
    Role.PARTNER: _(
        "PPIE stands for patient and public involvement and engagement. As a PPIE partner, "
        "you bring your own experience of health or care to the research: you read the "
        "study's documents, say what you think, and the team tells you what they did with it."
    ),
}


def role_explained(role: str) -> str:
    """What the role means, for someone new to it; nothing for the team's roles."""
    return str(_ROLE_EXPLAINED.get(Role(role), ""))


class Action(enum.Enum):
    VIEW_STUDY = "view_study"
    VIEW_MEMBERS = "view_members"
    MANAGE_STUDY = "manage_study"
    MANAGE_STAGES = "manage_stages"
    MANAGE_MEMBERS = "manage_members"
    VIEW_DOCUMENTS = "view_documents"
    MANAGE_DOCUMENTS = "manage_documents"
    COMMENT = "comment"
    COMMENT_FOR_PARTNER = "comment_for_partner"
    RESPOND = "respond"
    MANAGE_ROUNDS = "manage_rounds"
    RECORD_CONTRIBUTION = "record_contribution"
    VIEW_STUDY_INVOLVEMENT = "view_study_involvement"
    APPROVE_CONTRIBUTIONS = "approve_contributions"
    MANAGE_PAYMENTS = "manage_payments"
    PRODUCE_PARTNER_LOGS = "produce_partner_logs"
    WRITE_REPORT = "write_report"
    VIEW_PARTNER_PROFILE = "view_partner_profile"
    VIEW_ACCESS_RECORD = "view_access_record"


_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW_STUDY: frozenset(Role),
    Action.VIEW_MEMBERS: frozenset({Role.RESEARCHER, Role.COORDINATOR}),
    Action.MANAGE_STUDY: frozenset({Role.COORDINATOR}),
    Action.MANAGE_STAGES: frozenset({Role.COORDINATOR}),
    Action.MANAGE_MEMBERS: frozenset({Role.COORDINATOR}),
    Action.VIEW_DOCUMENTS: frozenset(Role),
    Action.MANAGE_DOCUMENTS: frozenset({Role.RESEARCHER, Role.COORDINATOR}),
    Action.COMMENT: frozenset(Role),
    # Comments a partner made in Word, brought in for them by a coordinator ("by proxy").
    Action.COMMENT_FOR_PARTNER: frozenset({Role.COORDINATOR}),
    Action.RESPOND: frozenset({Role.RESEARCHER, Role.COORDINATOR}),
    Action.MANAGE_ROUNDS: frozenset({Role.COORDINATOR}),
    # Partners record their own; coordinators record for partners who are offline.
    Action.RECORD_CONTRIBUTION: frozenset({Role.PARTNER, Role.COORDINATOR}),
    Action.VIEW_STUDY_INVOLVEMENT: frozenset({Role.RESEARCHER, Role.COORDINATOR}),
    Action.APPROVE_CONTRIBUTIONS: frozenset({Role.COORDINATOR}),
    Action.MANAGE_PAYMENTS: frozenset({Role.COORDINATOR}),
    # A partner's log made for them (one who is offline, say), and the study's report.
    Action.PRODUCE_PARTNER_LOGS: frozenset({Role.COORDINATOR}),
    Action.WRITE_REPORT: frozenset({Role.COORDINATOR}),
    # Access needs, contact and payment preferences: who works with the partner, and who
    # looked at them.
    Action.VIEW_PARTNER_PROFILE: frozenset({Role.COORDINATOR}),
    Action.VIEW_ACCESS_RECORD: frozenset({Role.COORDINATOR}),
}


def role_may(role: str | None, action: Action) -> bool:
    """Whether a member holding ``role`` may take ``action``; no role means no access."""
    if role is None:
        return False
    return Role(role) in _ALLOWED[action]


def team_roles() -> frozenset[Role]:
    """The research team: people who answer partners rather than partners themselves."""
    return frozenset({Role.RESEARCHER, Role.COORDINATOR})

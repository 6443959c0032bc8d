"""Involvement put into words the same way on every page, message and export."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engagement.models import Contribution, ImpactStandard
from portal.accounts.models import PaymentPreference, User


def preference_label(value: str) -> str:
    """A partner's payment choice as they made it, or that none was recorded."""
    if value in PaymentPreference.values:
        return str(PaymentPreference(value).label)
    return _("Not recorded")


def standard_labels(values: list[str]) -> list[str]:
    """The UK Standards for Public Involvement a contribution is tagged with, by name."""
    return [str(ImpactStandard(value).label) for value in values if value in ImpactStandard.values]


def describe(contribution: Contribution) -> str:
    """One contribution in a sentence: "Meeting by Pat on 3 March 2026"."""
    return _("%(activity)s by %(partner)s on %(date)s") % {
        "activity": contribution.get_activity_type_display(),
        "partner": contribution.partner.display_name,
        "date": date_format(contribution.activity_date, "j F Y"),
    }


def who_approves(approvers: list[User]) -> str:
    """Who else can approve a contribution the reader may not, or what to do if nobody can."""
    names = [person.display_name or person.email for person in approvers]
    if not names:
        return _(
            "No other coordinator of this study can approve it yet: add a second coordinator "
            "on the study's Members page."
        )
    if len(names) == 1:
        return _("%(name)s can approve it.") % {"name": names[0]}
    return _("%(names)s or %(last)s can approve it.") % {
        "names": ", ".join(names[:-1]),
        "last": names[-1],
    }

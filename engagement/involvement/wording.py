"""Involvement put into words the same way on every page, message and export."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engagement.models import Contribution
from portal.accounts.models import PaymentPreference


def preference_label(value: str) -> str:
    """A partner's payment choice as they made it, or that none was recorded."""
    if value in PaymentPreference.values:
        return str(PaymentPreference(value).label)
    return _("Not recorded")


def describe(contribution: Contribution) -> str:
    """One contribution in a sentence: "Meeting by Pat on 3 March 2026"."""
    return _("%(activity)s by %(partner)s on %(date)s") % {
        "activity": contribution.get_activity_type_display(),
        "partner": contribution.partner.display_name,
        "date": date_format(contribution.activity_date, "j F Y"),
    }

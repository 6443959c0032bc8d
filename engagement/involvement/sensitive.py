"""What the involvement pages write to the record of who saw or changed sensitive records.

A partner looking at their own receipts and payments is not recorded: the record is for
who else did.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engagement.models import Contribution, ExpenseLine
from portal.accounts.models import SensitiveVerb, SensitiveWhat, User
from portal.accounts.services import sensitive_access_record
from portal.formatting import money


def _on(contribution: Contribution) -> str:
    return date_format(contribution.activity_date, "j M Y")


def receipt_downloaded(*, by: User, line: ExpenseLine) -> None:
    contribution = line.contribution
    if by.pk == contribution.partner_id:
        return
    sensitive_access_record(
        by=by,
        subject=contribution.partner,
        what=SensitiveWhat.RECEIPT,
        verb=SensitiveVerb.DOWNLOADED,
        study_id=contribution.study_id,
        detail=_("Receipt for %(type)s, %(amount)s, involvement on %(date)s")
        % {
            "type": line.get_expense_type_display().lower(),
            "amount": money(line.amount),
            "date": _on(contribution),
        },
    )


def payment_recorded(*, by: User, contribution: Contribution, expenses: bool) -> None:
    text = (
        _("Expenses marked as repaid, involvement on %(date)s")
        if expenses
        else _("Marked as paid, involvement on %(date)s")
    )
    sensitive_access_record(
        by=by,
        subject=contribution.partner,
        what=SensitiveWhat.PAYMENT,
        verb=SensitiveVerb.CHANGED,
        study_id=contribution.study_id,
        detail=text % {"date": _on(contribution)},
    )


def finance_exported(*, by: User, study_id: int, start: dt.date, end: dt.date) -> None:
    """The finance export holds every partner's payments: one row, naming no one subject."""
    sensitive_access_record(
        by=by,
        subject=None,
        what=SensitiveWhat.PAYMENT,
        verb=SensitiveVerb.DOWNLOADED,
        study_id=study_id,
        detail=_("Finance export, %(start)s to %(end)s")
        % {"start": date_format(start, "j M Y"), "end": date_format(end, "j M Y")},
    )


def profile_viewed(*, by: User, partner: User, study_id: int) -> None:
    sensitive_access_record(
        by=by,
        subject=partner,
        what=SensitiveWhat.PROFILE,
        verb=SensitiveVerb.VIEWED,
        study_id=study_id,
        detail=_("Profile, access needs, contact and payment preferences"),
    )

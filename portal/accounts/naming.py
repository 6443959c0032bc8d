"""The name people see for a person, on every page, export, log and PDF.

A person is shown by the name they gave, except in two cases. Once their personal data is
erased they are "Former partner N" everywhere, for good: the research record keeps what they
did but nothing says who they were. And in what leaves the team (a study's report, the Web
Annotation export) a partner who asked not to be named is numbered as a public partner
instead; the numbering belongs to the output, so the caller gives the number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from portal.accounts.models import User


class Acknowledgement(models.TextChoices):
    NAMED = "named", gettext_lazy("Name me in reports and publications")
    ANONYMOUS = "anonymous", gettext_lazy("Do not name me; describe me as a public partner")


def former_partner(number: int) -> str:
    return _("Former partner %(n)s") % {"n": number}


def public_partner(number: int | None = None) -> str:
    """ "Public partner 3" in a numbered list; "A public partner" where nobody is counted."""
    if number is None:
        return _("A public partner")
    return _("Public partner %(n)s") % {"n": number}


def name_seen(
    *,
    display_name: str,
    former_number: int | None,
    acknowledgement: str | None = None,
    public_number: int | None = None,
    public: bool = False,
) -> str:
    """The name shown, from the columns that decide it (so a ``values()`` query can use it).

    ``public``: the output leaves the study team, so a partner who asked not to be named is
    shown as a public partner (numbered when ``public_number`` is given).
    """
    if former_number is not None:
        return former_partner(former_number)
    if public and acknowledgement == Acknowledgement.ANONYMOUS:
        return public_partner(public_number)
    return display_name


def person_name(person: User, *, public: bool = False, public_number: int | None = None) -> str:
    """``name_seen`` for a person whose profile may be loaded with them."""
    profile = getattr(person, "profile", None) if public else None
    return name_seen(
        display_name=person.display_name,
        former_number=person.former_number,
        acknowledgement=profile.acknowledgement if profile is not None else None,
        public_number=public_number,
        public=public,
    )


def asked_not_to_be_named(*, former_number: int | None, acknowledgement: str | None) -> bool:
    """Whether a public output numbers this person as a public partner."""
    return former_number is None and acknowledgement == Acknowledgement.ANONYMOUS

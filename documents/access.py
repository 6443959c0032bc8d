"""Objects inside a study, fetched only through the study the access check has allowed.

The study itself is checked by `engagement.access.study_view`; here are the documents,
versions, comments and rounds inside it, and who may see or change each.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from documents.models import Comment, Document, ReviewRound, Version, VersionPicture, Visibility
from documents.selectors import hidden_by_independent_review
from engagement.access import StudyAccess
from engagement.involvement.selectors import current_partners
from portal.accounts.models import User
from portal.ids import is_id
from portal.permissions import Action


def document_in(access: StudyAccess, document_id: int) -> Document:
    return get_object_or_404(
        Document.objects.select_related("stage"), pk=document_id, study=access.study
    )


def version_in(access: StudyAccess, document_id: int, number: int) -> Version:
    return get_object_or_404(
        Version.objects.select_related("document", "document__stage", "uploaded_by"),
        document_id=document_id,
        document__study=access.study,
        number=number,
    )


def version_for_page(access: StudyAccess, document_id: int, number: int) -> Version:
    """As ``version_in``, for showing it: without every block's HTML (the page reads their
    text from the cache, or from ``texts``, read with it rather than in a query of its own)
    nor its page HTML, which is read a part at a time (``page_part``) and only when the
    marked page is not in the cache already."""
    return get_object_or_404(
        Version.objects.select_related("document", "document__stage", "uploaded_by").defer(
            "blocks", "html"
        ),
        document_id=document_id,
        document__study=access.study,
        number=number,
    )


def version_light(access: StudyAccess, document_id: int, number: int) -> Version:
    """As ``version_in``, without its page or blocks (pages that show neither)."""
    return get_object_or_404(
        Version.objects.select_related("document").defer(
            "blocks", "texts", "html", "readability", "warnings"
        ),
        document_id=document_id,
        document__study=access.study,
        number=number,
    )


def picture_in(access: StudyAccess, document_id: int, number: int, picture: int) -> VersionPicture:
    """A picture of a version of this study's document; whoever may see the version may see it."""
    return get_object_or_404(
        VersionPicture,
        version__document_id=document_id,
        version__document__study=access.study,
        version__number=number,
        number=picture,
    )


def comment_in(access: StudyAccess, comment_id: int) -> Comment:
    """A comment of this study that this person may see; anything else is a 404."""
    comment = get_object_or_404(
        Comment.objects.select_related(
            "version", "version__document", "author", "entered_by", "parent"
        ),
        pk=comment_id,
        version__document__study=access.study,
    )
    thread = comment.parent or comment
    own = thread.author_id == access.membership.user_id
    if (
        not access.is_team
        and not own
        and (
            thread.visibility == Visibility.TEAM
            or hidden_by_independent_review(comment.version, access)
        )
    ):
        raise Http404("No such comment.")
    return comment


def round_in(access: StudyAccess, round_id: int) -> ReviewRound:
    return get_object_or_404(
        ReviewRound.objects.select_related("version", "version__document"),
        pk=round_id,
        version__document__study=access.study,
    )


def own_comment(access: StudyAccess, comment: Comment) -> Comment:
    """Editing, withdrawing, confirming and reopening belong to the comment's author."""
    if comment.author_id != access.membership.user_id:
        raise PermissionDenied(_("Only the person who wrote this comment can do that."))
    return comment


def proxy_partner_in(access: StudyAccess, value: object) -> User | None:
    """The partner a coordinator brings in comments for, from an id the browser sent.

    Only a coordinator may (anyone else gets 403); only one of this study's current partners
    is found (anything else, including what is not an id at all, is None).
    """
    if not access.may(Action.COMMENT_FOR_PARTNER):
        raise PermissionDenied(_("Only the study's coordinators can add comments for a partner."))
    if not is_id(value):
        return None
    return current_partners(access.study).filter(pk=int(str(value))).first()

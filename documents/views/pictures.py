"""The pictures of a converted version, served from their files beside the page."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_safe

from documents.access import picture_in
from engagement.access import StudyAccess, study_view
from portal.permissions import Action

# A version never changes, so neither do its pictures; "private" keeps them out of shared
# caches, since only the study's members may see them.
CACHE_CONTROL = "private, max-age=31536000, immutable"


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_picture(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int, picture: int
) -> FileResponse:
    found = picture_in(access, document_id, number, picture)
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    # The type was read from the picture's bytes; the browser must not guess another.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

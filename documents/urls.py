from django.urls import path

from documents.views import comments, documents, exports, pictures, rounds, threads, versions
from portal.ratelimits import UPLOADS, counts_towards

S = "studies/<id:study_id>/"
V = S + "documents/<id:document_id>/versions/<id:number>/"
C = S + "comments/<id:comment_id>/"

urlpatterns = [
    path(S + "documents/", documents.document_list, name="document_list"),
    path(S + "documents/new/", documents.document_new, name="document_new"),
    path(S + "documents/<id:document_id>/", documents.document_detail, name="document_detail"),
    path(
        S + "documents/<id:document_id>/versions/new/",
        counts_towards(UPLOADS)(versions.version_new),
        name="version_new",
    ),
    path(
        S + "documents/<id:document_id>/you-said-we-did/",
        exports.you_said_we_did,
        name="you_said_we_did",
    ),
    path(V, versions.version_detail, name="version_detail"),
    path(V + "status/", versions.version_status, name="version_status"),
    path(V + "original/", versions.version_original, name="version_original"),
    path(V + "changes/", versions.version_changes, name="version_changes"),
    path(V + "pictures/<id:picture>/", pictures.version_picture, name="version_picture"),
    path(V + "annotations/", exports.version_annotations, name="version_annotations"),
    path(V + "word/", exports.version_word, name="version_word"),
    path(V + "word/comments/", exports.version_word_comments, name="version_word_comments"),
    path(
        V + "annotations/pages/<id:page>/",
        exports.version_annotation_page,
        name="version_annotation_page",
    ),
    path(V + "comments/", comments.comment_create, name="comment_create"),
    path(V + "draft/", comments.comment_draft, name="comment_draft"),
    path(V + "rounds/new/", rounds.round_new, name="round_new"),
    path(S + "comments/unanswered/", threads.comments_unanswered, name="comments_unanswered"),
    path(C, threads.comment_detail, name="comment_detail"),
    path(C + "reply/", comments.comment_reply, name="comment_reply"),
    path(C + "edit/", comments.comment_edit, name="comment_edit"),
    path(C + "withdraw/", comments.comment_withdraw, name="comment_withdraw"),
    path(C + "respond/", comments.comment_respond, name="comment_respond"),
    path(C + "resolve/", comments.comment_resolve, name="comment_resolve"),
    path(C + "confirm/", comments.comment_confirm, name="comment_confirm"),
    path(C + "reopen/", comments.comment_reopen, name="comment_reopen"),
    path(S + "rounds/<id:round_id>/", rounds.round_detail, name="round_detail"),
    path(S + "rounds/<id:round_id>/remind/", rounds.round_remind_view, name="round_remind"),
    path(
        S + "rounds/<id:round_id>/calendar.ics", rounds.round_calendar_view, name="round_calendar"
    ),
    path(S + "rounds/<id:round_id>/extend/", rounds.round_extend_view, name="round_extend"),
    path(S + "rounds/<id:round_id>/finish/", rounds.round_finish, name="round_finish"),
]

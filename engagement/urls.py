from django.urls import path

from engagement.views import invitations, members, stages, studies

urlpatterns = [
    path("studies/new/", studies.study_new, name="study_new"),
    path("studies/<int:study_id>/", studies.study_detail, name="study_detail"),
    path("studies/<int:study_id>/edit/", studies.study_edit, name="study_edit"),
    path("studies/<int:study_id>/stages/", stages.stage_list, name="stage_list"),
    path(
        "studies/<int:study_id>/stages/<int:stage_id>/edit/",
        stages.stage_edit,
        name="stage_edit",
    ),
    path(
        "studies/<int:study_id>/stages/<int:stage_id>/move/",
        stages.stage_move_view,
        name="stage_move",
    ),
    path(
        "studies/<int:study_id>/stages/<int:stage_id>/delete/",
        stages.stage_delete_view,
        name="stage_delete",
    ),
    path("studies/<int:study_id>/members/", members.member_list, name="member_list"),
    path("studies/<int:study_id>/members/invite/", members.member_invite, name="member_invite"),
    path(
        "studies/<int:study_id>/members/<int:membership_id>/role/",
        members.membership_role,
        name="membership_role",
    ),
    path(
        "studies/<int:study_id>/members/<int:membership_id>/end/",
        members.membership_end_view,
        name="membership_end",
    ),
    path(
        "studies/<int:study_id>/invitations/<int:invitation_id>/resend/",
        members.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "studies/<int:study_id>/invitations/<int:invitation_id>/withdraw/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
]

from django.urls import include, path

from engagement.views import invitations, members, stages, studies

urlpatterns = [
    path("studies/new/", studies.study_new, name="study_new"),
    path("studies/<id:study_id>/", studies.study_detail, name="study_detail"),
    path("studies/<id:study_id>/edit/", studies.study_edit, name="study_edit"),
    path("studies/<id:study_id>/stages/", stages.stage_list, name="stage_list"),
    path(
        "studies/<id:study_id>/stages/<id:stage_id>/edit/",
        stages.stage_edit,
        name="stage_edit",
    ),
    path(
        "studies/<id:study_id>/stages/<id:stage_id>/move/",
        stages.stage_move_view,
        name="stage_move",
    ),
    path(
        "studies/<id:study_id>/stages/<id:stage_id>/delete/",
        stages.stage_delete_view,
        name="stage_delete",
    ),
    path("studies/<id:study_id>/members/", members.member_list, name="member_list"),
    path("studies/<id:study_id>/members/invite/", members.member_invite, name="member_invite"),
    path(
        "studies/<id:study_id>/members/partners/<id:user_id>/profile/",
        members.partner_profile,
        name="partner_profile",
    ),
    path(
        "studies/<id:study_id>/members/<id:membership_id>/role/",
        members.membership_role,
        name="membership_role",
    ),
    path(
        "studies/<id:study_id>/members/<id:membership_id>/end/",
        members.membership_end_view,
        name="membership_end",
    ),
    path(
        "studies/<id:study_id>/invitations/<id:invitation_id>/resend/",
        members.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "studies/<id:study_id>/invitations/<id:invitation_id>/withdraw/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path("", include("engagement.involvement.urls")),
]

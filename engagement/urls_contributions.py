from django.urls import path

from engagement.views import contributions

CONTRIBUTION = "studies/<id:study_id>/contributions/<id:contribution_id>/"

urlpatterns = [
    path("involvement/", contributions.my_involvement, name="my_involvement"),
    path(
        "studies/<id:study_id>/contributions/new/",
        contributions.contribution_new,
        name="contribution_new",
    ),
    path(CONTRIBUTION, contributions.contribution_detail, name="contribution_detail"),
    path(f"{CONTRIBUTION}edit/", contributions.contribution_edit, name="contribution_edit"),
    path(
        f"{CONTRIBUTION}submit/",
        contributions.contribution_submit_view,
        name="contribution_submit",
    ),
    path(f"{CONTRIBUTION}impact/", contributions.contribution_impact, name="contribution_impact"),
    path(f"{CONTRIBUTION}expenses/new/", contributions.expense_new, name="expense_new"),
    path(
        f"{CONTRIBUTION}expenses/<id:expense_id>/remove/",
        contributions.expense_remove_view,
        name="expense_remove",
    ),
    path(
        f"{CONTRIBUTION}expenses/<id:expense_id>/receipt/",
        contributions.expense_receipt,
        name="expense_receipt",
    ),
]

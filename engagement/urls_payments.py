from django.urls import path

from engagement.views import approvals, payments

STUDY = "studies/<id:study_id>/"
CONTRIBUTION = STUDY + "contributions/<id:contribution_id>/"

urlpatterns = [
    path(STUDY + "approvals/", approvals.approval_queue, name="approval_queue"),
    path(
        CONTRIBUTION + "approve/",
        approvals.contribution_approve_view,
        name="contribution_approve",
    ),
    path(
        CONTRIBUTION + "return/",
        approvals.contribution_return_view,
        name="contribution_return",
    ),
    path(CONTRIBUTION + "history/", approvals.contribution_audit, name="contribution_audit"),
    path(STUDY + "payments/", payments.payment_list, name="payment_list"),
    path(CONTRIBUTION + "paid/", payments.contribution_paid, name="contribution_paid"),
    path(
        CONTRIBUTION + "expenses-paid/",
        payments.contribution_expenses_paid,
        name="contribution_expenses_paid",
    ),
    path(STUDY + "payments/policy/", payments.payment_policy, name="payment_policy"),
    path(STUDY + "payments/rates/new/", payments.payment_rate_new, name="payment_rate_new"),
    path(
        STUDY + "payments/rates/<id:rate_id>/remove/",
        payments.payment_rate_remove,
        name="payment_rate_remove",
    ),
    path(STUDY + "payments/export/", payments.payment_export, name="payment_export"),
]

from django.urls import path

from engagement.involvement.views import approvals, contributions, history, payments

STUDY = "studies/<id:study_id>/"
CONTRIBUTION = STUDY + "contributions/<id:contribution_id>/"

urlpatterns = [
    # A person's own involvement, and recording it.
    path("involvement/", contributions.my_involvement, name="my_involvement"),
    path(STUDY + "contributions/new/", contributions.contribution_new, name="contribution_new"),
    path(CONTRIBUTION, contributions.contribution_detail, name="contribution_detail"),
    path(CONTRIBUTION + "edit/", contributions.contribution_edit, name="contribution_edit"),
    path(
        CONTRIBUTION + "submit/",
        contributions.contribution_submit_view,
        name="contribution_submit",
    ),
    path(CONTRIBUTION + "impact/", contributions.contribution_impact, name="contribution_impact"),
    path(CONTRIBUTION + "expenses/new/", contributions.expense_new, name="expense_new"),
    path(
        CONTRIBUTION + "expenses/<id:expense_id>/remove/",
        contributions.expense_remove_view,
        name="expense_remove",
    ),
    path(
        CONTRIBUTION + "expenses/<id:expense_id>/receipt/",
        contributions.expense_receipt,
        name="expense_receipt",
    ),
    # Approving and returning, and each contribution's audit trail.
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
    # Payments, the payment policy and the finance export.
    path(STUDY + "payments/", payments.payment_list, name="payment_list"),
    path(STUDY + "payments/paid/", payments.payments_mark_paid, name="payments_mark_paid"),
    path(
        STUDY + "payments/reimbursed/",
        payments.expenses_mark_reimbursed,
        name="expenses_mark_reimbursed",
    ),
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
    # Involvement history: a study's, and one partner's across studies.
    path(STUDY + "involvement/", history.study_involvement, name="study_involvement"),
    path(
        STUDY + "involvement/partners/<id:user_id>/",
        history.partner_involvement,
        name="partner_involvement",
    ),
]

from django.urls import path

from engagement.views import history

urlpatterns = [
    path(
        "studies/<id:study_id>/involvement/",
        history.study_involvement,
        name="study_involvement",
    ),
    path(
        "studies/<id:study_id>/involvement/partners/<id:user_id>/",
        history.partner_involvement,
        name="partner_involvement",
    ),
]

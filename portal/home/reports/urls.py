from django.urls import URLPattern, path

from portal.home.reports import views

REPORT = "studies/<id:study_id>/report/"

urlpatterns: list[URLPattern] = [
    path(REPORT, views.study_report, name="study_report"),
    path(REPORT + "pdf/", views.study_report_pdf, name="study_report_pdf"),
    path(REPORT + "history/", views.study_report_history, name="study_report_history"),
]

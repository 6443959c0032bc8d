from django.urls import path

from portal.home.logs import views

urlpatterns = [
    path("involvement/log/", views.log_new, name="log_new"),
    path("involvement/logs/<id:log_id>/", views.log_detail, name="log_detail"),
    path("involvement/logs/<id:log_id>/download/", views.log_download, name="log_download"),
    path("involvement/logs/<id:log_id>/withdraw/", views.log_withdraw_view, name="log_withdraw"),
    path("involvement/logs/<id:log_id>/retry/", views.log_retry_view, name="log_retry"),
    path(
        "studies/<id:study_id>/involvement/partners/<id:user_id>/log/",
        views.partner_log_new,
        name="partner_log_new",
    ),
    path("verify/", views.log_verify, name="log_verify"),
    path("verify/<str:code>/", views.log_verify_code, name="log_verify_code"),
]

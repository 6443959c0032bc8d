from django.urls import include, path

from portal.home import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("portal.home.logs.urls")),
    path("", include("portal.home.reports.urls")),
]

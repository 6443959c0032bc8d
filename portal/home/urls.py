from django.urls import include, path

from portal.home import help_pages, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("help/partners/", help_pages.help_partner, name="help_partner"),
    path("help/researchers/", help_pages.help_researcher, name="help_researcher"),
    path("help/coordinators/", help_pages.help_coordinator, name="help_coordinator"),
    path("", include("portal.home.logs.urls")),
    path("", include("portal.home.reports.urls")),
    path("", include("portal.home.privacy.urls")),
]

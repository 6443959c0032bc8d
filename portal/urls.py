from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import views
from portal.accounts.views import profile_edit, security, welcome

# The admin logs in through the portal's own login, with its rate limits and two-factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "PPIE Portal administration"

handler500 = "portal.views.server_error"

urlpatterns = [
    path("", include("portal.home.urls")),
    path("healthz/", views.healthz, name="healthz"),
    path("health/", views.health, name="health"),
    path("session/extend/", views.session_extend, name="session_extend"),
    path("profile/", profile_edit, name="profile"),
    path("welcome/", welcome, name="welcome"),
    # Under accounts/ so that a coordinator can reach it before setting up two-factor.
    path("accounts/security/", security, name="security"),
    # allauth's own two-factor page offers removing it to everyone; the portal's account page
    # offers it only where it is allowed, so allauth's links (after setting up) land there.
    path("accounts/2fa/", RedirectView.as_view(pattern_name="security")),
    path("", include("portal.notifications.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("engagement.urls")),
    path("", include("documents.urls")),
]

from django.urls import include, path

from portal.notifications import views
from portal.notifications.webhooks import inbound_urlpatterns

urlpatterns = [
    path("whats-new/", views.whats_new, name="whats_new"),
    path("whats-new/read/", views.whats_new_read_all, name="whats_new_read_all"),
    path("whats-new/<id:notification_id>/", views.notification_follow, name="notification_follow"),
    path("unsubscribe/<str:unsubscribe_token>/", views.unsubscribe_view, name="unsubscribe"),
    # Replies by email from a provider: /anymail/<provider>/inbound/ (INBOUND_PROVIDER).
    path("anymail/", include(inbound_urlpatterns())),
]

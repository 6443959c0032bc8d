from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from portal.notifications.webhooks import inbound_signal_connect

        inbound_signal_connect()

from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = "Studies and involvement"

    def ready(self) -> None:
        from engagement.involvement.notices import relevance_checks_register

        relevance_checks_register()

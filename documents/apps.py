from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents and reviews"

    def ready(self) -> None:
        from documents.reminders import relevance_checks_register

        relevance_checks_register()

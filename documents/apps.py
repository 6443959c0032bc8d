from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents and reviews"

    def ready(self) -> None:
        from documents.reminders import relevance_checks_register
        from documents.services.email_replies import reply_by_email
        from portal.notifications.inbound import reply_handler_register

        relevance_checks_register()
        reply_handler_register(reply_by_email)

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def _drop_triggers(using: str, **kwargs: Any) -> None:
    from documents.stamps import threads_triggers_drop

    threads_triggers_drop(connections[using])


def _create_triggers(using: str, **kwargs: Any) -> None:
    from documents.stamps import threads_triggers_create

    threads_triggers_create(connections[using])


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents and reviews"

    def ready(self) -> None:
        from documents.reminders import relevance_checks_register
        from documents.services.email_replies import reply_by_email
        from portal.notifications.inbound import reply_handler_register

        relevance_checks_register()
        reply_handler_register(reply_by_email)
        # See documents.stamps: the triggers are made again after every migrate.
        pre_migrate.connect(_drop_triggers, sender=self, dispatch_uid="documents-threads-drop")
        post_migrate.connect(_create_triggers, sender=self, dispatch_uid="documents-threads-create")

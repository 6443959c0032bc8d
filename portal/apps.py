from django.apps import AppConfig
from django.urls import register_converter


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "PPIE Portal"

    def ready(self) -> None:
        from portal.converters import IdConverter

        register_converter(IdConverter, "id")

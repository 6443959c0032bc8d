from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.notifications.receiver import receiver_controller


class Command(BaseCommand):
    help = (
        "Receive replies by email over SMTP or LMTP (for the site's mail server to hand on the "
        "mail of REPLY_DOMAIN) and post each in its conversation. Runs until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="The address to listen on (127.0.0.1)."
        )
        parser.add_argument("--port", type=int, default=8025, help="The port (8025).")
        parser.add_argument(
            "--lmtp", action="store_true", help="Speak LMTP (as Postfix's lmtp transport does)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REPLY_DOMAIN:
            raise CommandError("Set REPLY_DOMAIN first: it is the domain replies are sent to.")
        controller = receiver_controller(
            host=options["host"], port=options["port"], lmtp=options["lmtp"]
        )
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        try:
            controller.start()
        except OSError as error:
            where = f"{options['host']}:{options['port']}"
            raise CommandError(f"Cannot listen on {where}: {error}") from error
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(
            f"Receiving replies for {settings.REPLY_DOMAIN} over {protocol} on "
            f"{options['host']}:{options['port']}. Stop with Ctrl+C."
        )
        try:
            stop.wait()
        finally:
            controller.stop()

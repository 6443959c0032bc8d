from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore the database and uploaded files from an archive made by `backup`. Refuses "
        "a database or media folder that already holds data unless --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The archive made by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the data already in the database and the media folder.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup_restore(path=Path(options["path"]), force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {restored.tables} tables and {restored.files} files from {options['path']}."
        )
        if restored.migrations_behind:
            self.stdout.write(
                f"The backup is {restored.migrations_behind} migrations behind this code: "
                "run `manage.py migrate` before starting the portal."
            )

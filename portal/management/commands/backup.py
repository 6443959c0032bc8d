from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and every uploaded file (MEDIA_ROOT) into one archive, with a "
        "manifest of the migrations applied and each file's SHA-256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            help="The archive to write (.tar.gz, or .tar to leave it uncompressed), or a "
            "folder to write one in, named by the time. Default: the current folder.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["path"] or ".")
        # Anything not named as an archive is the folder to put one in.
        if target.is_dir() or not target.name.endswith((".tar", ".tar.gz", ".tgz")):
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            target = target / f"portal-backup-{stamp}.tar.gz"
        if target.exists():
            raise CommandError(f"{target} already exists: choose another name.")
        try:
            manifest = backup_create(path=target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up the {manifest['database']['vendor']} database and "
            f"{len(manifest['media'])} files to {target}"
        )

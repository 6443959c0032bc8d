"""A backup of a real PostgreSQL site, restored after everything was dropped, is the same
site: every table's rows and every uploaded file, byte for byte (pg_dump, pg_restore, psql)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from engagement.models import Study
from engagement.services import study_create
from portal import backups
from tests.conftest import StudyTeam
from tests.ops.site_data import every_file, every_row, site_fill

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("transactional_db", "postgres")]


def drop_everything(media: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    shutil.rmtree(media)


def test_a_dropped_database_comes_back_row_for_row_and_file_for_file(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    rows, files = every_row(), every_file(media)
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    drop_everything(media)
    assert connection.introspection.table_names() == []

    call_command("restore", str(archive), stdout=io.StringIO())

    assert every_row() == rows
    assert every_file(media) == files
    # The sequences came back too: a new row does not take an old row's id.
    newest = Study.objects.order_by("-pk").values_list("pk", flat=True).first()
    study = study_create(
        created_by=team.coordinator, title="After", lay_summary="", status="active"
    )
    assert study.pk > (newest or 0)


def test_a_restore_that_fails_part_way_leaves_the_database_as_it_was(
    team: StudyTeam, media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_fill(team)
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    rows = every_row()
    run = backups._run

    def failing_at_the_end(command: list[str], **kwargs: Any) -> None:
        # psql stops at the first error, here after the drops and every restored table:
        # all of them must be undone.
        if command[0] == "psql":
            script = Path(command[-1].removeprefix("--file="))
            with script.open("ab") as out:
                out.write(b"\nSELECT no_such_function();\n")
        run(command, **kwargs)

    monkeypatch.setattr(backups, "_run", failing_at_the_end)

    with pytest.raises(CommandError, match="Restoring the database failed"):
        call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert every_row() == rows

"""A site with something in every corner, made through the services, and a full picture of
it (every table's rows, every file's bytes) to compare after a backup is restored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from documents.models import Outcome
from documents.services.comments import comment_create
from documents.services.responses import response_save
from engagement.involvement.services.contributions import (
    contribution_save,
    contribution_submit,
    expense_add,
)
from tests.conftest import StudyTeam
from tests.documents.builders import open_round, ready_version
from tests.engagement.contributions_data import receipt_pdf


def site_fill(team: StudyTeam) -> None:
    """Documents with uploaded originals, a review round, a comment and its answer, and a
    contribution with a receipt, on top of the team's two studies and their people."""
    sheet = ready_version(study=team.study, by=team.researcher, fixture="docx/footnotes.docx")
    ready_version(
        study=team.study,
        by=team.researcher,
        paragraphs=["Why we are asking you.", "What taking part means."],
        title="Interview topic guide",
    )
    open_round(sheet, by=team.coordinator)
    comment = comment_create(
        version=sheet,
        author=team.partner,
        body="Could this be shorter?",
        block_id=None,
        selectors=None,
        visibility="members",
        is_team=False,
    )
    response_save(
        thread=comment,
        author=team.researcher,
        outcome=Outcome.NO_CHANGE_NEEDED,
        body="It is as short as it can be.",
        publish=True,
    )
    contribution = contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=90,
        what_they_did="Steering group meeting",
        entered_by=team.partner,
    )
    expense_add(
        contribution=contribution,
        expense_type="travel",
        amount="4.20",
        receipt=SimpleUploadedFile("ticket.pdf", receipt_pdf()),
    )
    contribution_submit(contribution=contribution)


def every_row() -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, all columns, in a fixed order."""
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {name}")  # noqa: S608
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


def every_file(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }

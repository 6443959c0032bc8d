"""Contributions made directly in the database, for the involvement history tests."""

from __future__ import annotations

import datetime as dt
import html
import re

from django.http import HttpResponse

from engagement.models import Contribution, ContributionState, Stage, Study
from portal.accounts.models import User


def contribution(
    *,
    study: Study,
    partner: User,
    stage: Stage,
    minutes: int = 60,
    on: dt.date = dt.date(2025, 3, 10),
    state: str = ContributionState.APPROVED,
    activity: str = "meeting",
    what: str = "Came to the steering group.",
    entered_by: User | None = None,
) -> Contribution:
    return Contribution.objects.create(
        study=study,
        partner=partner,
        stage=stage,
        minutes=minutes,
        activity_date=on,
        state=state,
        activity_type=activity,
        what_they_did=what,
        returned_reason="Please add the date." if state == ContributionState.RETURNED else "",
        entered_by=entered_by,
    )


def stages_of(study: Study) -> list[Stage]:
    return list(study.stages.order_by("position", "id"))


def cell(response: HttpResponse, key: str) -> str:
    """The text of the stage × partner table cell marked data-cell="<key>", its lines joined
    by a space (a no-break space stays as it is)."""
    match = re.search(rf'data-cell="{re.escape(key)}">(.*?)</td>', response.content.decode())
    assert match, f"no cell {key}"
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def strip_tags(markup: str) -> str:
    """The text a reader sees: tags removed, entities such as &#x27; turned back."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def section(response: HttpResponse, heading_id: str) -> str:
    content = response.content.decode()
    marker = f'id="{heading_id}"'
    assert marker in content, f"no section {heading_id}"
    rest = content[content.index(marker) :]
    return rest[: rest.index("</section>")]


def table_rows(html: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        rows.append([strip_tags(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)])
    return rows

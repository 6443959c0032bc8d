"""Who may open which page: every URL in the URLconf, for every kind of visitor.

The matrix below is the access policy written out as expected HTTP results. A new URL
that is not in it fails ``test_every_url_name_is_in_the_matrix``, so nobody can add a
page without deciding who may see it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.html import escape

from documents.models import (
    Assignment,
    Comment,
    CommentDraft,
    Document,
    Response,
    ReviewRound,
    Version,
)
from engagement.involvement.selectors import policy_for
from engagement.involvement.services.contributions import (
    contribution_save,
    contribution_submit,
    expense_add,
)
from engagement.models import Invitation, Membership, Stage, Study
from engagement.services import invitation_token
from portal.accounts.models import User
from portal.health import heartbeat_record
from portal.home.logs.services import code_new
from portal.home.models import InvolvementLog, LogState
from portal.notifications.models import Kind, Notification
from portal.notifications.tokens import unsubscribe_token
from portal.permissions import Action, Role, role_may
from tests.conftest import StudyTeam, client_for, give_totp
from tests.documents.builders import open_round, ready_version, thread
from tests.documents.conversion_helpers import TINY_PNG
from tests.engagement.contributions_data import receipt_pdf
from tests.factories import InvitationFactory, MembershipFactory, StageFactory
from tests.matrix_rows import FORM_ERROR, LOGIN, Go
from tests.matrix_rows import accounts as matrix_accounts
from tests.matrix_rows import contributions as matrix_contributions
from tests.matrix_rows import history as matrix_history
from tests.matrix_rows import logs as matrix_logs
from tests.matrix_rows import notifications as matrix_notifications
from tests.matrix_rows import payments as matrix_payments
from tests.matrix_rows import privacy as matrix_privacy
from tests.matrix_rows import reports as matrix_reports

# --- how the URLconf is walked ------------------------------------------------


class Route(NamedTuple):
    name: str  # with its namespace, e.g. "admin:index"
    route: str  # the full pattern text, for messages
    kwargs: tuple[str, ...]  # the names of the URL's arguments
    callback: Any


def _arguments(pattern: Any) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def walk_urls(
    patterns: list[Any] | None = None,
    prefix: str = "",
    namespace: str = "",
    kwargs: tuple[str, ...] = (),
) -> Iterator[Route]:
    """Every URL pattern reachable from the root URLconf, through every include()."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        arguments = kwargs + _arguments(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            yield from walk_urls(entry.url_patterns, route, inner, arguments)
        elif isinstance(entry, URLPattern) and entry.name:
            yield Route(namespace + entry.name, route, arguments, entry.callback)


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for route in walk_urls():
        routes.setdefault(route.name, route)  # the first one wins, as in reverse()
    return routes


# Names that belong to packages the portal uses as they come: django-allauth's account and
# two-factor pages and the Django admin (which has its own staff checks, and whose login
# this project wraps in login_required). They are not required in the matrix, but the
# allauth pages a partner actually meets are listed in it all the same.
IGNORED_PREFIXES = ("account_", "mfa_", "admin:")


def is_ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES)


# --- what a result may be ------------------------------------------------------


# Go, LOGIN and FORM_ERROR come from tests.matrix_rows, shared with the area modules.

ROLES = ("anonymous", "outsider", "partner", "researcher", "coordinator")

# Columns: anonymous, outsider (member of another study only), partner, researcher,
# coordinator (with two-factor). GET is sent with no data; POST with empty data.
# 405: the view does not take that method (checked after membership and role). A GET to a
# view that only takes POST (a link followed after logging in, a reload) goes to the page
# that holds its form, after the same checks.
MATRIX: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    # --- the portal ---
    "dashboard": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 200, 200, 200, 200),
    },
    "healthz": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (200, 200, 200, 200, 200),
    },
    # The same for everyone, logged in or not (tests/ops/test_health.py has the 503s).
    "health": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405),
    },
    # "Stay logged in": called from the page, so it answers rather than redirecting.
    "session_extend": {
        "GET": (405, 405, 405, 405, 405),
        "POST": (401, 200, 200, 200, 200),
    },
    "profile": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, FORM_ERROR, FORM_ERROR, FORM_ERROR, FORM_ERROR),
    },
    # --- studies ---
    "study_new": {
        "GET": (LOGIN, 403, 403, 403, 200),
        "POST": (LOGIN, 403, 403, 403, FORM_ERROR),
    },
    "study_detail": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 200, 200, 200),
    },
    "study_edit": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    # --- stages ---
    "stage_list": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "stage_edit": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "stage_move": {
        "GET": (LOGIN, 404, 403, 403, Go("stage_list")),
        "POST": (LOGIN, 404, 403, 403, Go("stage_list")),
    },
    "stage_delete": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("stage_list")),
    },
    # --- members and invitations ---
    "member_list": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, 200, 200),
    },
    "member_invite": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "membership_role": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "membership_end": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, Go("member_list")),
    },
    "invitation_resend": {
        "GET": (LOGIN, 404, 403, 403, Go("member_list")),
        "POST": (LOGIN, 404, 403, 403, Go("member_list")),
    },
    "invitation_revoke": {
        "GET": (LOGIN, 404, 403, 403, Go("member_list")),
        "POST": (LOGIN, 404, 403, 403, Go("member_list")),
    },
    # The link itself is the key: a stranger gets the sign-up form, anyone signed in is
    # asked to confirm; POST joins whoever is signed in (anonymous: the empty form fails).
    # The invitation is addressed to none of the logged-in people, so they are turned away.
    "invitation_accept": {
        "GET": (200, 403, 403, 403, 403),
        "POST": (FORM_ERROR, 403, 403, 403, 403),
    },
    # --- allauth pages people meet (not required in the matrix, checked anyway) ---
    "account_login": {
        "GET": (200, Go("dashboard"), Go("dashboard"), Go("dashboard"), Go("dashboard")),
        "POST": (FORM_ERROR, Go("dashboard"), Go("dashboard"), Go("dashboard"), Go("dashboard")),
    },
    "account_logout": {
        "GET": (Go("dashboard"), 200, 200, 200, 200),
        "POST": (
            Go("dashboard"),
            Go("dashboard"),
            Go("dashboard"),
            Go("dashboard"),
            Go("dashboard"),
        ),
    },
    "account_reset_password": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (FORM_ERROR, FORM_ERROR, FORM_ERROR, FORM_ERROR, FORM_ERROR),
    },
    "account_email": {
        "GET": (LOGIN, 200, 200, 200, 200),
        # No action chosen: allauth sends the person back to the page.
        "POST": (
            LOGIN,
            Go("account_email"),
            Go("account_email"),
            Go("account_email"),
            Go("account_email"),
        ),
    },
    # allauth's two-factor page is the portal's account and security page.
    "mfa_index": {
        "GET": (Go("security"), Go("security"), Go("security"), Go("security"), Go("security")),
        "POST": (Go("security"), Go("security"), Go("security"), Go("security"), Go("security")),
    },
    # --- documents and versions ---
    "document_list": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "document_new": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, FORM_ERROR, FORM_ERROR),
    },
    "document_detail": {
        "GET": (
            LOGIN,
            404,
            Go("version_detail"),
            Go("version_detail"),
            Go("version_detail"),
        ),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_new": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, FORM_ERROR, FORM_ERROR),
    },
    "you_said_we_did": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_detail": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_status": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_original": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_changes": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    # A picture of the version's document: whoever may read the page may see it.
    "version_picture": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_annotations": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    "version_word": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    # Comments from a Word file: anyone who may comment sends their own file. Sending one for
    # a partner (the "partner" field) is a coordinator's alone: 403 for anyone else, 400 for
    # an id that is not a current partner of this study (tests/documents/
    # test_word_import_proxy.py, and in the matrix below).
    "version_word_comments": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (
            LOGIN,
            404,
            Go("version_word_comments"),
            Go("version_word_comments"),
            Go("version_word_comments"),
        ),
    },
    # A page of that collection: the fixture's thread puts one annotation on page 1.
    "version_annotation_page": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    # A comment's address (its annotation IRI) leads to it on its version's page.
    "comment_detail": {
        "GET": (LOGIN, 404, Go("version_detail"), Go("version_detail"), Go("version_detail")),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
    # --- comments (the fixture's thread is the partner's, on a round open to them) ---
    # An empty comment or reply is refused with a message and the person sent back.
    "comment_create": {
        "GET": (LOGIN, 404, Go("version_detail"), Go("version_detail"), Go("version_detail")),
        "POST": (
            LOGIN,
            404,
            Go("version_detail"),
            Go("version_detail"),
            Go("version_detail"),
        ),
    },
    "comment_draft": {
        "GET": (LOGIN, 404, Go("version_detail"), Go("version_detail"), Go("version_detail")),
        "POST": (LOGIN, 404, 204, 204, 204),
    },
    "comment_reply": {
        "GET": (LOGIN, 404, Go("version_detail"), Go("version_detail"), Go("version_detail")),
        "POST": (
            LOGIN,
            404,
            Go("version_detail"),
            Go("version_detail"),
            Go("version_detail"),
        ),
    },
    # Editing, withdrawing, confirming and reopening are the author's alone.
    "comment_edit": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, FORM_ERROR, 403, 403),
    },
    "comment_withdraw": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, Go("version_detail"), 403, 403),
    },
    "comment_respond": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, FORM_ERROR, FORM_ERROR),
    },
    # The open thread cannot be resolved or confirmed: a message, and back to the page.
    "comment_resolve": {
        "GET": (LOGIN, 404, 403, Go("version_detail"), Go("version_detail")),
        "POST": (LOGIN, 404, 403, Go("version_detail"), Go("version_detail")),
    },
    "comment_confirm": {
        "GET": (LOGIN, 404, Go("version_detail"), Go("version_detail"), Go("version_detail")),
        "POST": (LOGIN, 404, Go("version_detail"), 403, 403),
    },
    "comment_reopen": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, FORM_ERROR, 403, 403),
    },
    # --- review rounds (the fixture's round asks the partner) ---
    "round_new": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    "round_extend": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, FORM_ERROR),
    },
    # Only a partner asked to review in the round can finish it.
    # The team's list of comments waiting for an answer, across the study's documents.
    "comments_unanswered": {
        "GET": (LOGIN, 404, 403, 200, 200),
        "POST": (LOGIN, 404, 403, 405, 405),
    },
    "round_finish": {
        "GET": (LOGIN, 404, 200, 403, 403),
        "POST": (LOGIN, 404, FORM_ERROR, 403, 403),
    },
}

# Study pages whose 403 does not come from the role policy but from who the person is: only
# the comment's author (here the partner) may edit, withdraw, confirm or reopen it, and only
# a partner asked to review in a round may finish it. Everyone else whose role would allow
# the action gets 403 (or, for a GET to a POST-only page, is sent to the page with its form:
# the button is refused only when it is pressed).
OWNER_ONLY = {
    "comment_edit": "partner",
    "comment_withdraw": "partner",
    "comment_confirm": "partner",
    "comment_reopen": "partner",
    "round_finish": "partner",
}

# Study URLs that answer with something other than a page (a fragment polled by htmx, a file,
# JSON-LD), so they carry no breadcrumb with the study's title.
NOT_PAGES = {
    "version_status",
    "version_original",
    "version_picture",
    "version_annotations",
    "version_annotation_page",
    "version_word",
}

# Each area of involvement keeps its rows in its own module, merged here.
for _area in (
    matrix_accounts,
    matrix_contributions,
    matrix_payments,
    matrix_history,
    matrix_notifications,
    matrix_logs,
    matrix_reports,
    matrix_privacy,
):
    MATRIX.update(_area.ROWS)
    OWNER_ONLY.update(_area.OWNER_ONLY)
    NOT_PAGES |= _area.NOT_PAGES

STUDY_ROUTE = "studies/<id:study_id>/"


def is_study_route(route: Route) -> bool:
    return "study_id" in route.kwargs


# --- filling in a URL from the team's objects -----------------------------------

DOT = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()


@dataclass
class Objects:
    team: StudyTeam
    stage: Stage
    membership: Membership
    invitation: Invitation
    token: str
    version: Version
    comment: Comment
    review_round: ReviewRound
    involvement: dict[str, int]
    notification: Notification
    log: InvolvementLog

    def kwargs(self) -> dict[str, Any]:
        return {
            "study_id": self.team.study.pk,
            "stage_id": self.stage.pk,
            "membership_id": self.membership.pk,
            "invitation_id": self.invitation.pk,
            "token": self.token,
            "document_id": self.version.document_id,
            "number": self.version.number,
            "page": 1,
            "picture": 1,
            "comment_id": self.comment.pk,
            "round_id": self.review_round.pk,
            "notification_id": self.notification.pk,
            "unsubscribe_token": unsubscribe_token(self.team.partner.pk),
            "log_id": self.log.pk,
            "code": self.log.code,
            **self.involvement,
        }


def reviewed_version(study: Study, by: User, partner: User) -> tuple[Version, Comment, ReviewRound]:
    """A READY version of a study document, open for review to the partner, with their thread.

    Its document has one picture, served at the version's picture 1.
    """
    version = ready_version(
        study=study,
        by=by,
        paragraphs=["# Information sheet", "You can stop at any time.", f"![A dot]({DOT})"],
    )
    review_round = open_round(version, by=by, partners=[partner])
    comment = thread(version, partner, block_id="b2", exact="stop", review_round=review_round)
    return version, comment, review_round


@pytest.fixture
def objects(team: StudyTeam) -> Objects:
    invitation = InvitationFactory(study=team.study, invited_by=team.coordinator)
    version, comment, review_round = reviewed_version(team.study, team.coordinator, team.partner)
    heartbeat_record()  # as a worker does every minute, so that /health/ answers 200
    return Objects(
        team=team,
        stage=team.stage,
        membership=Membership.objects.get(study=team.study, user=team.partner),
        invitation=invitation,
        token=invitation_token(invitation),
        version=version,
        comment=comment,
        review_round=review_round,
        involvement=involvement_objects(team.study, team.coordinator, team.partner),
        notification=Notification.objects.get(
            recipient=team.partner, kind=Kind.ROUND_OPENED, object_type="assignment"
        ),
        log=issued_log(team),
    )


def issued_log(team: StudyTeam) -> InvolvementLog:
    """A ready log of the partner's, its file written directly (printing is tested elsewhere)."""
    log = InvolvementLog(
        code=code_new(),
        holder=team.partner,
        holder_name=team.partner.display_name,
        produced_by=team.partner,
        produced_by_name=team.partner.display_name,
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        study_ids=[team.study.pk],
        study_titles=[team.study.title],
        state=LogState.READY,
        digest="0" * 64,
        issued_at=timezone.now(),
    )
    log.file.save("log.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    log.save()
    return log


def involvement_objects(study: Study, coordinator: User, partner: User) -> dict[str, int]:
    """A submitted contribution by the partner with a receipted expense, and a payment rate."""
    stage = study.stages.order_by("position").first()
    contribution = contribution_save(
        contribution=None,
        partner=partner,
        study=study,
        stage=stage,
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=90,
        what_they_did="Steering group meeting",
        entered_by=partner,
    )
    receipt = SimpleUploadedFile("ticket.pdf", receipt_pdf())
    line = expense_add(
        contribution=contribution, expense_type="travel", amount="4.20", receipt=receipt
    )
    contribution_submit(contribution=contribution)
    rate = policy_for(study).rates.order_by("pk").first()
    return {
        "contribution_id": contribution.pk,
        "expense_id": line.pk,
        "user_id": partner.pk,
        "rate_id": rate.pk,
    }


def url_for(route: Route, values: dict[str, Any]) -> str:
    missing = set(route.kwargs) - set(values)
    assert not missing, f"{route.name}: no test value for URL argument(s) {sorted(missing)}"
    return reverse(route.name, kwargs={name: values[name] for name in route.kwargs})


def user_for(team: StudyTeam, role: str) -> User | None:
    return None if role == "anonymous" else getattr(team, role)


def send(client: Client, method: str, url: str) -> HttpResponse:
    response = client.get(url) if method == "GET" else client.post(url, {})
    if response.streaming:
        # A download: read it whole (as a browser would). Reading to the end closes it; closing
        # it again would send "request finished" and drop the test's database connection.
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response


def shows(response: HttpResponse, text: str) -> bool:
    return escape(text).encode() in response.content


def check(response: HttpResponse, expected: Any, where: str, study_title: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    assert status < 500, f"{where}: server error {status}"
    if expected == LOGIN:
        assert status == 302, f"{where}: expected a redirect to login, got {status}"
        assert location.startswith(reverse("account_login")), f"{where}: went to {location}"
        assert "next=" in location, f"{where}: the login link loses the page: {location}"
    elif expected == FORM_ERROR:
        assert status == 200, f"{where}: expected a form with errors, got {status} {location}"
        assert b"error-summary" in response.content, f"{where}: no error summary shown"
    elif isinstance(expected, Go):
        assert status == 302, f"{where}: expected a redirect to {expected.url_name}, got {status}"
        target = resolve(urlsplit(location).path).url_name
        assert target == expected.url_name, f"{where}: redirected to {location}"
    else:
        assert status == expected, f"{where}: expected {expected}, got {status} {location}"
    if status in (403, 404):
        # A refusal never gives away what the study is called.
        assert not shows(response, study_title), f"{where}: leaks the study title"


CASES = [
    pytest.param(name, method, index, id=f"{name}-{method}-{role}")
    for name, methods in MATRIX.items()
    for method in methods
    for index, role in enumerate(ROLES)
]


# --- the tests ---------------------------------------------------------------------


@pytest.mark.parametrize(("url_name", "method", "index"), CASES)
def test_it_gives_each_visitor_the_expected_answer(
    objects: Objects, url_name: str, method: str, index: int
) -> None:
    route = all_routes()[url_name]
    role = ROLES[index]
    url = url_for(route, objects.kwargs())
    response = send(client_for(user_for(objects.team, role)), method, url)
    expected = MATRIX[url_name][method][index]
    check(response, expected, f"{method} {url} as {role}", objects.team.study.title)
    if response.status_code == 200 and is_study_route(route) and url_name not in NOT_PAGES:
        assert shows(response, objects.team.study.title)


# Comments from a Word file sent for a partner: the same page, with the partner chosen. Only
# a coordinator gets past the check (to the file's own error: it is not a Word file).
FOR_A_PARTNER = (LOGIN, 404, 403, 403, FORM_ERROR)


@pytest.mark.parametrize("index", range(len(ROLES)), ids=ROLES)
def test_only_a_coordinator_may_send_word_comments_for_a_partner(
    objects: Objects, index: int
) -> None:
    team = objects.team
    url = url_for(all_routes()["version_word_comments"], objects.kwargs())
    before = document_state()
    response = client_for(user_for(team, ROLES[index])).post(
        url,
        {
            "action": "upload",
            "partner": str(team.partner.pk),
            "file": SimpleUploadedFile("theirs.docx", b"not a Word file"),
        },
    )
    check(response, FOR_A_PARTNER[index], f"POST {url} as {ROLES[index]}", team.study.title)
    assert document_state() == before


def test_every_url_name_is_in_the_matrix() -> None:
    in_urlconf = {name for name in all_routes() if not is_ignored(name)}
    in_matrix = {name for name in MATRIX if not is_ignored(name)}
    assert in_urlconf == in_matrix, (
        f"missing from the matrix: {sorted(in_urlconf - in_matrix)}; "
        f"in the matrix but not in the URLconf: {sorted(in_matrix - in_urlconf)}"
    )


def test_the_allauth_pages_in_the_matrix_still_exist() -> None:
    names = set(all_routes())
    listed = {name for name in MATRIX if is_ignored(name)}
    assert listed, "the matrix should check a few allauth pages"
    assert listed <= names, f"no longer in the URLconf: {sorted(listed - names)}"


def test_the_walk_reaches_urls_inside_includes() -> None:
    names = set(all_routes())
    # From include("allauth.urls"), include("engagement.urls") and the admin's namespace.
    assert {"account_login", "stage_edit", "admin:index"} <= names


def test_every_study_view_goes_through_the_shared_guard() -> None:
    study_routes = [route for route in all_routes().values() if is_study_route(route)]
    assert study_routes, "no URL carries study_id; has the URLconf changed?"
    unguarded = [
        f"{route.name} ({route.route})"
        for route in study_routes
        if not isinstance(getattr(route.callback, "study_action", None), Action)
    ]
    assert not unguarded, f"study views not wrapped by engagement.access.study_view: {unguarded}"


def test_every_url_under_a_study_is_a_study_route() -> None:
    # A URL under studies/<id>/ that names its argument differently would escape the guard test.
    for route in all_routes().values():
        if route.route.startswith("studies/") and route.name != "study_new":
            assert route.route.startswith(STUDY_ROUTE), route
            assert is_study_route(route), route


def test_the_matrix_agrees_with_the_role_policy() -> None:
    """A member gets 403 on a study page exactly when their role may not take its action."""
    roles = {
        "partner": Role.PARTNER,
        "researcher": Role.RESEARCHER,
        "coordinator": Role.COORDINATOR,
    }
    for route in all_routes().values():
        if not is_study_route(route):
            continue
        action = route.callback.study_action
        owner = OWNER_ONLY.get(route.name)
        for method, row in MATRIX[route.name].items():
            for role_name, role in roles.items():
                result = row[ROLES.index(role_name)]
                if role_may(role, action) and owner is not None and role_name != owner:
                    # Allowed by role, refused because it is not their comment or review.
                    sent_to_form = method == "GET" and isinstance(result, Go)
                    assert result in (403, 405) or sent_to_form, (route.name, method, role_name)
                    continue
                refused = result == 403
                assert refused == (not role_may(role, action)), (route.name, method, role_name)
            assert row[ROLES.index("outsider")] == 404, (route.name, method)
            assert row[ROLES.index("anonymous")] == LOGIN, (route.name, method)


# --- another study's ids inside the right study's URL ----------------------------


@pytest.fixture
def second_study_objects(team: StudyTeam) -> dict[str, Any]:
    """Objects of the other study, which the coordinator also runs."""
    MembershipFactory(study=team.other_study, user=team.coordinator, role=Role.COORDINATOR)
    stage = StageFactory(study=team.other_study)
    membership = Membership.objects.get(study=team.other_study, user=team.outsider)
    invitation = InvitationFactory(study=team.other_study, invited_by=team.coordinator)
    version, comment, review_round = reviewed_version(
        team.other_study, team.coordinator, team.outsider
    )
    if not team.other_study.stages.exists():
        StageFactory(study=team.other_study)
    involvement = involvement_objects(team.other_study, team.coordinator, team.outsider)
    return {
        **involvement,
        "study_id": team.study.pk,
        "stage_id": stage.pk,
        "membership_id": membership.pk,
        "invitation_id": invitation.pk,
        "document_id": version.document_id,
        "number": version.number,
        "page": 1,
        "picture": 1,
        "comment_id": comment.pk,
        "round_id": review_round.pk,
    }


def document_state() -> tuple[Any, ...]:
    """Everything a document page could change, to show that a refused request changed none."""
    return (
        list(Document.objects.values_list("pk", "title")),
        list(Version.objects.values_list("pk", "status")),
        list(Comment.objects.values_list("pk", "body", "state", "withdrawn_at")),
        list(CommentDraft.objects.values_list("pk", "body")),
        list(Response.objects.values_list("pk", "body")),
        list(ReviewRound.objects.values_list("pk", "deadline")),
        list(Assignment.objects.values_list("pk", "state")),
    )


OBJECT_ROUTES = [
    name
    for name, route in all_routes().items()
    if is_study_route(route) and set(route.kwargs) - {"study_id"}
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("url_name", OBJECT_ROUTES)
def test_it_gives_404_for_another_studys_object_inside_this_studys_url(
    team: StudyTeam, second_study_objects: dict[str, Any], url_name: str, method: str
) -> None:
    url = url_for(all_routes()[url_name], second_study_objects)
    stage_count, membership_count = Stage.objects.count(), Membership.objects.count()
    documents_before = document_state()
    response = send(client_for(team.coordinator), method, url)
    # A page that does not take POST turns it away before it looks anything up, which reveals
    # nothing. A GET to a POST-only view looks its objects up before sending the person to the
    # page with the form, so another study's object is a 404 there too.
    wrong_method = MATRIX[url_name][method][ROLES.index("coordinator")] == 405
    assert response.status_code == (405 if wrong_method else 404), f"{method} {url}"
    # And nothing in the other study was touched.
    assert (Stage.objects.count(), Membership.objects.count()) == (stage_count, membership_count)
    assert document_state() == documents_before
    assert Membership.objects.filter(user=team.outsider, left_on__isnull=True).exists()
    invitation = Invitation.objects.get(pk=second_study_objects["invitation_id"])
    assert invitation.is_pending


def test_object_routes_cover_stages_memberships_and_invitations() -> None:
    assert {"stage_edit", "membership_end", "invitation_revoke"} <= set(OBJECT_ROUTES)


def test_object_routes_cover_documents_versions_comments_and_rounds() -> None:
    assert {
        "document_detail",
        "version_detail",
        "version_original",
        "comment_create",
        "comment_respond",
        "comment_confirm",
        "round_extend",
        "round_finish",
    } <= set(OBJECT_ROUTES)


# The actions every role that owns such objects may take: commenting, recording involvement.
OWNER_ACTIONS = {Action.COMMENT, Action.RECORD_CONTRIBUTION, Action.VIEW_STUDY}


def test_owner_only_pages_are_in_the_matrix_and_need_no_more_than_comment() -> None:
    # The exemption in the role-policy test is for these pages only, and they must still be
    # ones every role may reach by role: otherwise a 403 would not need explaining.
    routes = all_routes()
    for name in OWNER_ONLY:
        assert name in MATRIX, name
        assert routes[name].callback.study_action in OWNER_ACTIONS, name


STUDY_URL_NAMES = [name for name, route in all_routes().items() if is_study_route(route)]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("url_name", STUDY_URL_NAMES)
def test_it_gives_404_to_a_former_member(objects: Objects, url_name: str, method: str) -> None:
    team = objects.team
    # A former coordinator is the strongest case: they once could do everything here.
    second = MembershipFactory(study=team.study, role=Role.COORDINATOR).user
    give_totp(second)
    Membership.objects.filter(study=team.study, user=team.coordinator).update(
        left_on=timezone.localdate()
    )
    url = url_for(all_routes()[url_name], objects.kwargs())
    response = send(client_for(team.coordinator), method, url)
    assert response.status_code == 404, f"{method} {url}"
    assert not shows(response, team.study.title)


def test_a_former_member_who_is_still_in_another_study_keeps_that_one(team: StudyTeam) -> None:
    MembershipFactory(study=team.other_study, user=team.partner, role=Role.PARTNER)
    Membership.objects.filter(study=team.study, user=team.partner).update(
        left_on=timezone.localdate()
    )
    client = client_for(team.partner)
    assert client.get(reverse("study_detail", args=[team.study.pk])).status_code == 404
    response = client.get(reverse("study_detail", args=[team.other_study.pk]))
    assert response.status_code == 200
    assert shows(response, team.other_study.title)

"""Replies by email through a provider's inbound webhook (django-anymail, here Mailgun's):
a signed, authorised request posts the reply; an unsigned or unauthorised one is refused;
nothing a request holds gives a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from django.test import Client

from portal.notifications.models import InboundMail, InboundOutcome
from tests.conftest import StudyTeam
from tests.notifications.replies import REPLY_DOMAIN, Conversation, a_conversation, reply_mail

SIGNING_KEY = "mailgun-signing-key-for-tests"
BASIC_AUTH = "anymail:a-long-webhook-password"
URL = "/anymail/mailgun/inbound_mime/"


@pytest.fixture(autouse=True)
def inbound_by_webhook(settings) -> None:
    settings.REPLY_DOMAIN = REPLY_DOMAIN
    settings.INBOUND_PROVIDER = "mailgun"
    settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC_AUTH, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def conversation(team: StudyTeam) -> Conversation:
    return a_conversation(team)


def signed(fields: dict[str, str], key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {**fields, "timestamp": timestamp, "token": token, "signature": signature}


def auth(credentials: str = BASIC_AUTH) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def post(fields: dict[str, str], **headers: str):
    return Client().post(URL, fields, **headers)


def inbound_fields(conversation: Conversation, sender: str, body_mime: str | None = None):
    message = reply_mail(to=conversation.partner_address, sender=sender)
    return {
        "recipient": conversation.partner_address,
        "sender": sender,
        "body-mime": body_mime if body_mime is not None else message.as_string(),
    }


def test_a_signed_and_authorised_reply_is_posted_in_the_thread(
    team: StudyTeam, conversation: Conversation
) -> None:
    fields = signed(inbound_fields(conversation, team.partner.email))
    response = post(fields, **auth())
    assert response.status_code == 200
    replies = conversation.thread.replies.filter(author=team.partner)
    assert [r.body for r in replies] == ["The second paragraph, please."]
    record = InboundMail.objects.get()
    assert (record.outcome, record.via) == (InboundOutcome.POSTED, "webhook:Mailgun")


def test_an_unsigned_request_is_refused_and_nothing_posted(
    team: StudyTeam, conversation: Conversation
) -> None:
    response = post(inbound_fields(conversation, team.partner.email), **auth())
    assert response.status_code == 400
    assert not conversation.thread.replies.filter(author=team.partner).exists()
    assert not InboundMail.objects.exists()


def test_a_request_signed_with_another_key_is_refused(
    team: StudyTeam, conversation: Conversation
) -> None:
    fields = signed(inbound_fields(conversation, team.partner.email), key="not-the-key")
    assert post(fields, **auth()).status_code == 400
    assert not InboundMail.objects.exists()


@pytest.mark.parametrize("credentials", [None, "anymail:wrong", ""])
def test_a_request_without_the_webhook_password_is_refused(
    team: StudyTeam, conversation: Conversation, credentials: str | None
) -> None:
    fields = signed(inbound_fields(conversation, team.partner.email))
    headers = {} if credentials is None else auth(credentials)
    assert post(fields, **headers).status_code == 400
    assert not InboundMail.objects.exists()


@pytest.mark.parametrize(
    "body_mime",
    [
        "",
        "not an email at all \x00\x01",
        "Content-Type: multipart/mixed; boundary=x\n\n--x\n",
        "From: <\nTo: ,,,\nContent-Type: text/html; charset=nope\n\n<script>alert(1)</script>",
    ],
)
def test_hostile_mail_through_the_webhook_is_never_a_500(
    team: StudyTeam, conversation: Conversation, body_mime: str
) -> None:
    fields = signed(inbound_fields(conversation, team.partner.email, body_mime=body_mime))
    response = post(fields, **auth())
    assert response.status_code == 200
    assert not conversation.thread.replies.filter(author=team.partner).exists()


def test_the_webhook_answers_only_for_the_chosen_provider(settings, team: StudyTeam) -> None:
    assert Client().post("/anymail/postmark/inbound/", {}, **auth()).status_code == 404
    settings.INBOUND_PROVIDER = ""
    assert Client().post(URL, {}, **auth()).status_code == 404

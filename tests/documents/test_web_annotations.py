"""The Web Annotation export against the model, a JSON-LD processor and the rendered page.

Every export is checked against the model's MUSTs (``web_annotation_model``), expanded and
compacted by pyld under the annotation context shipped in ``tests/fixtures/jsonld`` (never
fetched), and every TextQuoteSelector is looked for again in the text a browser holds for
the version's page, the way the model describes: the exact words, with the prefix right
before them and the suffix right after, found once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from lxml import html as lxml_html
from pyld import jsonld

from documents import webannotation
from documents.models import Comment, CommentPlacement, Response, Version, Visibility
from documents.pagetext import settle_whitespace
from documents.services.comments import comment_edit
from portal.accounts.models import Acknowledgement, Profile, User
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread, upload
from tests.documents.web_annotation_model import (
    ANNO_CONTEXT,
    check_annotation,
    check_collection,
    check_page,
)
from tests.factories import MembershipFactory

CONTEXT_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "jsonld" / "anno.jsonld"
FURNITURE = {"block-comment", "block-tools", "block-count", "visually-hidden"}

# Line breaks inside paragraphs and list items, a hard break, nested lists, a table whose
# cells repeat each other and the list, a sentence said twice in one paragraph, emoji.
SHEET = [
    "# Taking part in the study",
    "You can stop\nat any time, without giving a reason.\nLine one  \nline two, and "
    "*you can stop* here too.",
    "- You can stop at any time.\n- Your data is kept safe & private.\n"
    "- You can stop at any time\n  and nothing changes.\n  - You can stop at any time.",
    "| Who | What you can do |\n| --- | --- |\n| You | You can stop at any time |\n"
    "| Your carer | You can stop at any time |",
    "We keep data for five years. We keep data for five years.",
    "Emoji 🙂 and “quotes” — then you can stop.",
]


# --- reading what a browser reads ----------------------------------------------------


def text_content(element: etree._Element) -> str:
    """``textContent`` of an element, leaving out the page's furniture (controls, counts)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not FURNITURE & set(
                (child.get("class") or "").split()
            ):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)


def rendered_document(user: User, page_iri: str) -> etree._Element:
    """The ``[data-document]`` container of the version page, as the test client gets it."""
    path = page_iri.removeprefix(settings.SITE_URL)
    response = client_for(user).get(path)
    assert response.status_code == 200, page_iri
    root = lxml_html.document_fromstring(response.content.decode())
    (container,) = root.xpath("//*[@data-document]")
    return container


def refind(text: str, quote: dict[str, Any]) -> list[int]:
    """Where the model's TextQuoteSelector matches: exact, prefix just before, suffix after."""
    exact, prefix, suffix = quote["exact"], quote.get("prefix", ""), quote.get("suffix", "")
    found = []
    i = text.find(exact)
    while i != -1:
        if text[:i].endswith(prefix) and text[i + len(exact) :].startswith(suffix):
            found.append(i)
        i = text.find(exact, i + 1)
    return found


def selectors_of(target: Any) -> list[dict[str, Any]]:
    if not isinstance(target, dict):
        return []
    selector = target.get("selector", [])
    return selector if isinstance(selector, list) else [selector]


def check_found_in_page(user: User, annotations: list[dict[str, Any]]) -> int:
    """Every quote is in its source page's text once, where its positions say; returns how many."""
    pages: dict[str, etree._Element] = {}
    checked = 0
    for annotation in annotations:
        target = annotation["target"]
        selectors = selectors_of(target)
        if not selectors:
            continue
        source = target["source"]
        if source not in pages:
            pages[source] = rendered_document(user, source)
        container = pages[source]
        text = text_content(container)
        by_type = {s["type"]: s for s in selectors}
        quote = by_type.get("TextQuoteSelector")
        fragment = by_type["FragmentSelector"]
        assert fragment["conformsTo"] == "http://tools.ietf.org/rfc/rfc3236"
        (block,) = container.xpath(f".//*[@id='{fragment['value']}']")
        if quote is None:
            continue
        where = f"{annotation['id']} {quote}"
        found = refind(text, quote)
        assert len(found) == 1, f"{where}: found {len(found)} times in the page text"
        position = by_type["TextPositionSelector"]
        assert found == [position["start"]], where
        assert text[position["start"] : position["end"]] == quote["exact"], where
        refined = fragment.get("refinedBy")
        if refined is not None:
            assert refined["type"] == "TextPositionSelector"
            block_text = text_content(block)
            assert block_text[refined["start"] : refined["end"]] == quote["exact"], where
        checked += 1
    return checked


# --- fetching the export ----------------------------------------------------------------


def get_json(user: User, iri: str) -> dict[str, Any]:
    response = client_for(user).get(iri.removeprefix(settings.SITE_URL))
    assert response.status_code == 200, iri
    assert response["Content-Type"] == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"; charset=utf-8'
    )
    data: dict[str, Any] = json.loads(response.content)
    return data


def collection_url(version: Version) -> str:
    return reverse(
        "version_annotations",
        args=[version.document.study_id, version.document_id, version.number],
    )


def export(user: User, version: Version) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The collection and every annotation, following its pages; each checked on the way."""
    collection = get_json(user, collection_url(version))
    assert check_collection(collection) == []
    items: list[dict[str, Any]] = []
    first = collection.get("first")
    iri = first["id"] if first else None
    previous = None
    while iri is not None:
        page = get_json(user, iri)
        assert check_page(page, iri, standalone=True) == []
        assert page["partOf"]["id"] == collection["id"]
        assert page["startIndex"] == len(items)
        assert page.get("prev") == previous
        items += page["items"]
        previous, iri = iri, page.get("next")
    assert previous == collection.get("last")
    assert len(items) == collection["total"]
    if first:
        assert first["items"] == items[: len(first["items"])]
    return collection, items


# --- JSON-LD without the network -----------------------------------------------------


def fixture_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url.rstrip("/") not in {ANNO_CONTEXT, ANNO_CONTEXT.replace("http:", "https:")}:
        raise AssertionError(f"the JSON-LD processor asked for {url}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(CONTEXT_FILE.read_text()),
    }


def round_trip(document: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    options = {"documentLoader": fixture_loader}
    expanded = jsonld.expand(document, options)
    compacted = jsonld.compact(expanded, ANNO_CONTEXT, options)
    return expanded, compacted


# --- the study's sheet with comments on every kind of block --------------------------


A = "A comment."


class Sheet:
    def __init__(self, team: StudyTeam) -> None:
        self.version = ready_version(study=team.study, by=team.coordinator, paragraphs=SHEET)
        open_round(self.version, by=team.coordinator)
        partner, researcher = team.partner, team.researcher
        self.threads: list[Comment] = []
        for i, block in enumerate(self.version.blocks):
            words = block["text"].split(" ")
            # The first words of a block are what the old control repeated after it.
            first_words = " ".join(words[:3])
            self.threads.append(
                thread(self.version, partner, A, block_id=block["id"], exact=first_words)
            )
            if i % 2:
                self.threads.append(thread(self.version, researcher, A, block_id=block["id"]))
        b2 = self.block("You can stop at any time, without")
        self.across_line = thread(self.version, partner, A, block_id=b2, exact="stop at any time")
        self.across_break = thread(self.version, partner, A, block_id=b2, exact="Line one line two")
        self.emphasis = thread(self.version, partner, A, block_id=b2, exact="you can stop here")
        twice = self.block("We keep data")
        self.second = thread(
            self.version, partner, A, block_id=twice, exact="five years", occurrence=1
        )
        self.emoji = thread(
            self.version, partner, A, block_id=self.block("Emoji"), exact="🙂 and “quotes”"
        )
        self.whole = Comment.objects.create(
            version=self.version, author=partner, body="On the whole sheet."
        )
        self.private = thread(
            self.version,
            partner,
            "A private worry.",
            block_id=self.block("Your data"),
            exact="kept safe",
            visibility=Visibility.TEAM,
        )
        self.reply = Comment.objects.create(
            version=self.version,
            parent=self.across_line,
            author=researcher,
            body="Thanks.",
            block_id=b2,
        )
        self.answer = Response.objects.create(
            comment=self.across_line,
            outcome="changed",
            body="We say when.",
            author=researcher,
            published_at=timezone.now(),
        )

    def next_version(self, team: StudyTeam, paragraphs: list[str]) -> Version:
        """Version 2 of the sheet, with its open comments placed into it."""
        return upload(
            study=team.study,
            by=team.coordinator,
            filename="sheet.md",
            data=("\n\n".join(paragraphs) + "\n").encode(),
            document=self.version.document,
        )

    def block(self, starts: str) -> str:
        return next(b["id"] for b in self.version.blocks if b["text"].startswith(starts))


@pytest.fixture
def sheet(team: StudyTeam) -> Sheet:
    return Sheet(team)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def iri_of(comment: Comment) -> str:
    return webannotation.comment_iri(comment.version.document.study_id, comment.pk)


# --- the model's requirements ----------------------------------------------------------


@pytest.mark.parametrize("role", ["researcher", "partner"])
def test_every_export_meets_the_models_requirements(
    team: StudyTeam, sheet: Sheet, role: str
) -> None:
    collection, items = export(getattr(team, role), sheet.version)
    assert collection["@context"] == ANNO_CONTEXT
    assert collection["type"] == "AnnotationCollection"
    assert collection["first"]["id"] != collection["id"]
    for i, item in enumerate(items):
        assert check_annotation(item, f"items[{i}]") == []
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))


def test_every_quote_is_found_once_in_the_rendered_page_text(team: StudyTeam, sheet: Sheet) -> None:
    _collection, items = export(team.researcher, sheet.version)
    checked = check_found_in_page(team.researcher, items)
    passages = sum(1 for t in sheet.threads if t.quote) + 6
    # Whole-block comments carry the block's text as their quote too.
    assert checked >= passages
    across = by_id(items)[iri_of(sheet.across_line)]
    quote = selectors_of(across["target"])[0]
    assert quote["exact"] == "stop\nat any time"  # the page's own words, line break and all


def test_quotes_are_found_in_the_page_with_text_free_controls_and_highlights(
    team: StudyTeam, sheet: Sheet
) -> None:
    """The coming page: controls named by aria-label only, counts and <mark> add no text."""
    root = lxml_html.fragment_fromstring(sheet.version.html, create_parent="div")
    for control in root.xpath(".//a[contains(@class, 'block-comment')]"):
        label = text_content(control)
        for child in list(control):
            control.remove(child)
        control.text = None
        control.set("aria-label", label)
        count = etree.SubElement(control.getparent(), "a", {"class": "block-count"})
        count.set("aria-label", "2 comments")
    for block in root.xpath(".//p[@data-block]"):
        mark = etree.Element("mark")
        mark.text, block.text = block.text, ""
        block.insert(0, mark)
    html = "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    Version.objects.filter(pk=sheet.version.pk).update(html=html)
    _collection, items = export(team.researcher, sheet.version)
    assert check_found_in_page(team.researcher, items) > 20


def test_on_a_page_with_settled_whitespace_each_quote_reads_as_it_was_stored(
    team: StudyTeam, sheet: Sheet
) -> None:
    Version.objects.filter(pk=sheet.version.pk).update(html=settle_whitespace(sheet.version.html))
    _collection, items = export(team.researcher, sheet.version)
    assert check_found_in_page(team.researcher, items) > 20
    annotations = by_id(items)
    for passage in [*sheet.threads, sheet.across_line, sheet.across_break, sheet.emoji]:
        if passage.quote:
            quote = selectors_of(annotations[iri_of(passage)]["target"])[0]
            assert quote["exact"] == passage.quote


def test_the_export_expands_and_compacts_under_the_annotation_context(
    team: StudyTeam, sheet: Sheet
) -> None:
    collection, _items = export(team.researcher, sheet.version)
    expanded, compacted = round_trip(collection)
    # Nothing was dropped as an unknown term, and everything reads back as it was written.
    assert compacted == collection
    oa = "http://www.w3.org/ns/oa#"
    (node,) = expanded
    assert node["@type"] == ["http://www.w3.org/ns/activitystreams#OrderedCollection"]
    first = node["http://www.w3.org/ns/activitystreams#first"][0]
    annotation = first["http://www.w3.org/ns/activitystreams#items"][0]["@list"][0]
    assert annotation["@type"] == [oa + "Annotation"]
    assert oa + "hasTarget" in annotation
    page = get_json(team.researcher, collection["first"]["id"])
    assert round_trip(page)[1] == page


def test_the_context_is_never_fetched(team: StudyTeam, sheet: Sheet) -> None:
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": "http://example.org/other.jsonld", "id": "http://example.org/a"},
            {"documentLoader": fixture_loader},
        )


# --- collections and pages -------------------------------------------------------------


def test_an_empty_version_exports_a_collection_without_a_page(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello."])
    collection, items = export(team.researcher, version)
    assert items == []
    assert collection["total"] == 0
    assert "first" not in collection
    assert "last" not in collection
    page = reverse(
        "version_annotation_page",
        args=[team.study.pk, version.document_id, version.number, 1],
    )
    assert client_for(team.researcher).get(page).status_code == 404


def test_a_long_collection_comes_in_linked_pages(
    team: StudyTeam, sheet: Sheet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webannotation, "PAGE_SIZE", 4)
    collection, items = export(team.researcher, sheet.version)
    assert collection["total"] == len(items) > 8
    assert len(collection["first"]["items"]) == 4
    assert collection["first"]["next"].endswith("/annotations/pages/2/")
    pages = webannotation.page_count(len(items))
    assert collection["last"].endswith(f"/annotations/pages/{pages}/")
    for missing in (pages + 1, 0):
        beyond = collection["last"].replace(f"/{pages}/", f"/{missing}/")
        response = client_for(team.researcher).get(beyond.removeprefix(settings.SITE_URL))
        assert response.status_code == 404


def test_a_partner_gets_only_the_comments_they_may_see(team: StudyTeam, sheet: Sheet) -> None:
    other = MembershipFactory(study=team.study).user
    _collection, items = export(other, sheet.version)
    bodies = {item["body"]["value"] for item in items if isinstance(item["body"], dict)}
    assert "A private worry." not in bodies
    _collection, items = export(team.partner, sheet.version)
    assert iri_of(sheet.private) in by_id(items)


# --- one annotation per comment ----------------------------------------------------------


def test_a_comment_is_an_annotation_with_its_author_and_words(
    team: StudyTeam, sheet: Sheet
) -> None:
    _collection, items = export(team.researcher, sheet.version)
    annotation = by_id(items)[iri_of(sheet.across_line)]
    assert annotation["id"].startswith(settings.SITE_URL)
    assert annotation["motivation"] == "commenting"
    assert annotation["body"] == {
        "type": "TextualBody",
        "value": "A comment.",
        "format": "text/plain",
        "language": "en-GB",
    }
    assert annotation["creator"]["type"] == "Person"
    assert annotation["creator"]["name"] == team.partner.display_name
    assert annotation["created"].endswith("Z")
    assert "modified" not in annotation
    target = annotation["target"]
    assert target["type"] == "SpecificResource"
    assert target["source"] == webannotation.version_iri(
        team.study.pk, sheet.version.document_id, sheet.version.number
    )
    quote, position, fragment = target["selector"]
    assert quote["type"] == "TextQuoteSelector"
    assert position["type"] == "TextPositionSelector"
    assert fragment["value"] == sheet.across_line.block_id
    assert fragment["refinedBy"]["type"] == "TextPositionSelector"
    whole = by_id(items)[iri_of(sheet.whole)]
    assert whole["target"] == target["source"]


def test_an_edited_comment_says_when(team: StudyTeam, sheet: Sheet) -> None:
    comment_edit(comment=sheet.emoji, author=team.partner, body="Clearer now.")
    _collection, items = export(team.researcher, sheet.version)
    annotation = by_id(items)[iri_of(sheet.emoji)]
    assert annotation["body"]["value"] == "Clearer now."
    assert annotation["modified"] >= annotation["created"]


def test_creators_have_a_lasting_iri_that_names_no_one(team: StudyTeam, sheet: Sheet) -> None:
    Profile.objects.update_or_create(
        user=team.partner, defaults={"acknowledgement": Acknowledgement.ANONYMOUS}
    )
    _collection, items = export(team.researcher, sheet.version)
    partner = by_id(items)[iri_of(sheet.across_line)]["creator"]
    assert partner["name"] == "A public partner"
    assert partner["id"].startswith("urn:uuid:")
    assert str(team.partner.pk) not in partner["id"].removeprefix("urn:uuid:").split("-")
    assert team.partner.email not in json.dumps(items)
    assert team.partner.display_name not in json.dumps(items)
    assert by_id(items)[iri_of(sheet.emoji)]["creator"] == partner
    researcher = by_id(items)[iri_of(sheet.reply)]["creator"]
    assert researcher["id"] != partner["id"]
    _collection, again = export(team.researcher, sheet.version)
    assert by_id(again)[iri_of(sheet.across_line)]["creator"] == partner


def test_replies_and_answers_are_annotations_on_the_comment(team: StudyTeam, sheet: Sheet) -> None:
    _collection, items = export(team.partner, sheet.version)
    thread = iri_of(sheet.across_line)
    reply = by_id(items)[iri_of(sheet.reply)]
    assert reply["motivation"] == "replying"
    assert reply["target"] == thread
    answer = by_id(items)[thread + "#answer"]
    assert answer["motivation"] == "replying"
    assert answer["target"] == thread
    assert answer["creator"]["type"] == "Organization"
    text, tag = answer["body"]
    assert text["value"] == "Changed. We say when."
    assert tag == {
        "type": "TextualBody",
        "value": "Changed",
        "format": "text/plain",
        "language": "en-GB",
        "purpose": "tagging",
    }


def test_a_comments_iri_leads_to_the_conversation(team: StudyTeam, sheet: Sheet) -> None:
    iri = iri_of(sheet.across_line).removeprefix(settings.SITE_URL)
    response = client_for(team.partner).get(iri)
    page = reverse(
        "version_detail", args=[team.study.pk, sheet.version.document_id, sheet.version.number]
    )
    assert response.status_code == 302
    thread = sheet.across_line.pk
    assert response["Location"] == f"{page}?thread={thread}#thread-{thread}"
    reply = client_for(team.partner).get(iri_of(sheet.reply).removeprefix(settings.SITE_URL))
    assert reply["Location"] == f"{page}?thread={thread}#comment-{sheet.reply.pk}"
    other = MembershipFactory(study=team.study).user
    private = iri_of(sheet.private).removeprefix(settings.SITE_URL)
    assert client_for(other).get(private).status_code == 404
    assert client_for(team.outsider).get(iri).status_code == 404


# --- comments carried into a later version --------------------------------------------


def test_a_carried_comment_keeps_its_iri_and_its_passage_in_the_new_version(
    team: StudyTeam, sheet: Sheet
) -> None:
    changed = [p for p in SHEET if not p.startswith("Emoji")]
    changed[4] = "We now keep data for three years. We keep data for five years."
    later = sheet.next_version(team, [*changed, "A new closing line."])
    assert CommentPlacement.objects.filter(version=later, method="exact").exists()
    _collection, before = export(team.researcher, sheet.version)
    _collection, after = export(team.researcher, later)
    assert check_found_in_page(team.researcher, after) > 20
    # The same IRIs in both versions' exports: the version is in the target only.
    assert set(by_id(after)) == set(by_id(before))
    assert not any("/versions/" in iri for iri in by_id(after))
    moved = by_id(after)[iri_of(sheet.across_line)]
    assert moved["target"]["source"] == webannotation.version_iri(
        team.study.pk, later.document_id, later.number
    )
    quote, position, fragment = moved["target"]["selector"]
    assert quote["exact"] == "stop\nat any time"
    assert quote["prefix"]
    assert quote["suffix"]
    assert position["end"] - position["start"] == len(quote["exact"])
    assert "refinedBy" in fragment
    # The second "five years" is still the second one.
    second = selectors_of(by_id(after)[iri_of(sheet.second)]["target"])[0]
    assert second["prefix"].endswith("We keep data for ")


def test_a_comment_no_longer_in_the_version_keeps_its_quote_where_it_was(
    team: StudyTeam, sheet: Sheet
) -> None:
    later = sheet.next_version(
        team, ["# Something else entirely", "Nothing here is the same as before."]
    )
    placement = CommentPlacement.objects.get(comment=sheet.emoji, version=later)
    assert placement.method == "unplaced"
    _collection, items = export(team.researcher, later)
    annotation = by_id(items)[iri_of(sheet.emoji)]
    target = annotation["target"]
    first_page = webannotation.version_iri(
        team.study.pk, sheet.version.document_id, sheet.version.number
    )
    assert target["source"] == first_page
    assert target["scope"] == webannotation.version_iri(
        team.study.pk, later.document_id, later.number
    )
    assert "not in version 2" in target["label"]
    assert selectors_of(target)[0]["exact"] == "🙂 and “quotes”"
    assert check_found_in_page(team.researcher, [annotation]) == 1
    # A comment on the whole document stays on the whole (new) document.
    assert by_id(items)[iri_of(sheet.whole)]["target"] == target["scope"]
    # Where the first version's page cannot be read, the words are kept as they were stored.
    Version.objects.filter(pk=sheet.version.pk).update(html="")
    _collection, items = export(team.researcher, later)
    quote, fragment = by_id(items)[iri_of(sheet.emoji)]["target"]["selector"]
    assert quote == {
        "type": "TextQuoteSelector",
        "exact": "🙂 and “quotes”",
        "prefix": "Emoji ",
        "suffix": " — then you can stop.",
    }
    assert fragment["value"] == sheet.emoji.block_id


def test_the_export_reads_the_database_a_fixed_number_of_times(
    team: StudyTeam, sheet: Sheet, django_assert_max_num_queries: Any
) -> None:
    """However many comments, carried or not, with replies, answers and their authors."""
    later = sheet.next_version(team, SHEET[:3])
    Profile.objects.update_or_create(
        user=team.partner, defaults={"acknowledgement": Acknowledgement.ANONYMOUS}
    )
    client = client_for(team.researcher)
    with django_assert_max_num_queries(10):
        response = client.get(collection_url(later))
    items = json.loads(response.content)["first"]["items"]
    assert sum(1 for item in items if item["creator"]["name"] == "A public partner") > 10
    assert any("scope" in item["target"] for item in items if isinstance(item["target"], dict))


def test_the_checks_find_what_the_model_forbids() -> None:
    """The export as it was: a page with no IRI and no annotations, refinements in a list."""
    old = {
        "@context": ANNO_CONTEXT,
        "id": "http://testserver/studies/1/documents/1/versions/1/annotations/?x=1",
        "type": "AnnotationCollection",
        "total": 0,
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": []},
    }
    problems = check_collection(old)
    assert "collection.first: the Page MUST have exactly 1 IRI" in problems
    assert "collection.first: each Page MUST have an array of 1 or more Annotations" in problems
    annotation = {
        "id": "http://testserver/studies/1/documents/1/versions/1/#thread-1",
        "type": "Annotation",
        "created": "2026-12-06T10:00:00",
        "creator": {"type": "Person", "name": "A public partner"},
        "body": {"type": "TextualBody", "format": "text/plain"},
        "target": {
            "source": "http://testserver/studies/1/documents/1/versions/1/",
            "selector": {
                "type": "FragmentSelector",
                "value": "b3",
                "refinedBy": [{"type": "TextQuoteSelector", "exact": "five years"}],
            },
        },
    }
    assert check_annotation(annotation, "a") == [
        "a.target[0].selector[0]: refinedBy is a list, not one selector",
        "a.body[0]: a TextualBody MUST have exactly 1 value",
        "a.created: '2026-12-06T10:00:00' has no timezone",
        "a.creator[0]: the agent has no IRI",
    ]
    assert check_annotation({"type": "Annotation"}, "b")[:2] == [
        "b: an annotation MUST have exactly 1 IRI",
        "b: an annotation MUST have 1 or more targets",
    ]


def test_a_passage_in_a_later_part_of_a_long_version_points_at_that_part(
    team: StudyTeam, settings: Any
) -> None:
    """A long version is shown a part at a time: a passage's source is the part's page
    (``?section=N``) and its positions count in that page's text, where it is found once."""
    settings.VERSION_SECTION_BLOCKS = 20
    settings.VERSION_SECTION_CHARACTERS = 100_000
    paragraphs = []
    for chapter in range(1, 6):
        paragraphs.append(f"## Chapter {chapter}")
        paragraphs += [f"Chapter {chapter} paragraph {n} says what happens." for n in range(12)]
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=paragraphs)
    assert len(version.sections) >= 3
    first_part = version.sections[0]
    last_part = version.sections[-1]
    early = version.blocks[first_part["first"] + 1]
    late = version.blocks[last_part["last"] - 1]
    on_early = thread(version, team.partner, "Early", block_id=early["id"], exact="paragraph")
    on_late = thread(version, team.partner, "Late", block_id=late["id"], exact="happens")
    whole_late = thread(version, team.partner, "All of it", block_id=late["id"])

    _collection, items = export(team.researcher, version)

    page = webannotation.version_iri(team.study.pk, version.document_id, version.number)
    sources = {item["id"]: item["target"]["source"] for item in items}
    assert sources[iri_of(on_early)] == f"{page}?section=1"
    assert sources[iri_of(on_late)] == f"{page}?section={len(version.sections)}"
    assert sources[iri_of(whole_late)] == f"{page}?section={len(version.sections)}"
    assert check_found_in_page(team.researcher, items) == 3

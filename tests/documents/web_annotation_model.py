"""The Web Annotation Data Model's requirements, as checks over a JSON-LD document.

Written from the W3C Recommendation (https://www.w3.org/TR/annotation-model/, 23 February
2017): every MUST for annotations (3.1), bodies and targets (3.2, 3.3), specific resources
and selectors (4), collections and pages (5), with the section each comes from. A few of
the model's SHOULDs that this portal promises are checked too, marked "(ours)".
Each check returns the list of problems found, each naming where in the document it is.
"""

from __future__ import annotations

import re
from typing import Any

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# 3.4 Motivation and Purpose: the motivations the model defines.
MOTIVATIONS = {
    "assessing",
    "bookmarking",
    "classifying",
    "commenting",
    "describing",
    "editing",
    "highlighting",
    "identifying",
    "linking",
    "moderating",
    "questioning",
    "replying",
    "tagging",
}
AGENT_TYPES = {"Person", "Organization", "Software"}
# xsd:dateTime (XML Schema 1.1 Part 2, 3.3.7), with an optional timezone.
_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})?")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and _IRI.fullmatch(value) is not None


def _types(node: dict[str, Any]) -> list[Any]:
    return _values(node.get("type", []))


def check_context(document: dict[str, Any], where: str) -> list[str]:
    # 3.1: 1 or more @context values, the anno context among them; a single one as a string.
    context = document.get("@context")
    if context is None:
        return [f"{where}: no @context"]
    if isinstance(context, list):
        if ANNO_CONTEXT not in context:
            return [f"{where}: @context does not include {ANNO_CONTEXT}"]
        if len(context) == 1:
            return [f"{where}: a single @context value must be a string"]
        return []
    return [] if context == ANNO_CONTEXT else [f"{where}: @context is not {ANNO_CONTEXT}"]


def check_datetime(value: Any, where: str) -> list[str]:
    # 3.3.5: created and modified MUST be xsd:dateTime and SHOULD have a timezone (ours: do).
    if not isinstance(value, str):
        return [f"{where}: not a string"]
    match = _DATETIME.fullmatch(value)
    if match is None:
        return [f"{where}: {value!r} is not an xsd:dateTime"]
    if match.group("tz") is None:
        return [f"{where}: {value!r} has no timezone"]
    return []


def check_agent(agent: Any, where: str) -> list[str]:
    # 3.3.3 Agents: an IRI, or a node that SHOULD have an id and a type (ours: both).
    if is_iri(agent):
        return []
    if not isinstance(agent, dict):
        return [f"{where}: an agent is an IRI or an object"]
    problems = []
    if not is_iri(agent.get("id")):
        problems.append(f"{where}: the agent has no IRI")
    if not AGENT_TYPES & set(_types(agent)):
        problems.append(f"{where}: the agent's type is none of {sorted(AGENT_TYPES)}")
    for key in ("name", "nickname"):
        if key in agent and not all(isinstance(v, str) for v in _values(agent[key])):
            problems.append(f"{where}: {key} is not text")
    return problems


def check_selector(selector: Any, where: str) -> list[str]:
    """4.2: every selector MUST have exactly 1 type, and the properties its kind requires."""
    if not isinstance(selector, dict):
        return [f"{where}: a selector is an object"]
    kind = selector.get("type")
    if not isinstance(kind, str):
        return [f"{where}: a selector MUST have exactly 1 type"]
    problems: list[str] = []
    if kind in {"FragmentSelector", "CssSelector", "XPathSelector", "SvgSelector"}:
        if not isinstance(selector.get("value"), str) and kind != "SvgSelector":
            problems.append(f"{where}: a {kind} MUST have exactly 1 value")
        if kind == "FragmentSelector" and not is_iri(selector.get("conformsTo", "x:y")):
            problems.append(f"{where}: conformsTo is not an IRI")
    elif kind == "TextQuoteSelector":
        if not isinstance(selector.get("exact"), str) or not selector["exact"]:
            problems.append(f"{where}: a TextQuoteSelector MUST have exactly 1 exact")
        for key in ("prefix", "suffix"):
            if key in selector and not isinstance(selector[key], str):
                problems.append(f"{where}: {key} MAY be given at most once, as text")
    elif kind in {"TextPositionSelector", "DataPositionSelector"}:
        start, end = selector.get("start"), selector.get("end")
        for key, value in (("start", start), ("end", end)):
            if type(value) is not int or value < 0:
                problems.append(f"{where}: {key} MUST be exactly 1 non-negative integer")
        if not problems and start > end:
            problems.append(f"{where}: start is after end")
    elif kind == "RangeSelector":
        for key in ("startSelector", "endSelector"):
            problems += check_selector(selector.get(key), f"{where}.{key}")
    if "refinedBy" in selector:
        refined = selector["refinedBy"]
        # 4.2.9 allows several; annotation tools read one (ours: exactly one).
        if isinstance(refined, list):
            problems.append(f"{where}: refinedBy is a list, not one selector")
        else:
            problems += check_selector(refined, f"{where}.refinedBy")
    return problems


def check_resource(resource: Any, where: str) -> list[str]:
    """3.2 bodies and targets: an IRI, an embedded textual body, or a specific resource."""
    if is_iri(resource):
        return []
    if not isinstance(resource, dict):
        return [f"{where}: a body or target is an IRI or an object"]
    problems: list[str] = []
    types = _types(resource)
    if "TextualBody" in types or "value" in resource:
        # 3.2.4: an embedded textual body MUST have exactly 1 value.
        if not isinstance(resource.get("value"), str):
            problems.append(f"{where}: a TextualBody MUST have exactly 1 value")
        for key in ("format", "language"):
            if key in resource and not all(isinstance(v, str) for v in _values(resource[key])):
                problems.append(f"{where}: {key} is not text")
        for purpose in _values(resource.get("purpose", [])):
            if purpose not in MOTIVATIONS:
                problems.append(f"{where}: purpose {purpose!r} is not a motivation")
    elif "SpecificResource" in types or "source" in resource:
        # 4: a specific resource MUST have exactly 1 source.
        if not is_iri(resource.get("source")) and not isinstance(resource.get("source"), dict):
            problems.append(f"{where}: a SpecificResource MUST have exactly 1 source")
        for i, selector in enumerate(_values(resource.get("selector", []))):
            problems += check_selector(selector, f"{where}.selector[{i}]")
        if "scope" in resource and not all(is_iri(s) for s in _values(resource["scope"])):
            problems.append(f"{where}: scope is not an IRI")
    elif "id" in resource and not is_iri(resource["id"]):
        problems.append(f"{where}: an external resource MUST have exactly 1 IRI")
    return problems


def check_annotation(annotation: Any, where: str, *, standalone: bool = False) -> list[str]:
    """3.1 (and 3.3): one annotation."""
    if not isinstance(annotation, dict):
        return [f"{where}: an annotation is an object"]
    problems = check_context(annotation, where) if standalone else []
    if not is_iri(annotation.get("id")):
        problems.append(f"{where}: an annotation MUST have exactly 1 IRI")
    if "Annotation" not in _types(annotation):
        problems.append(f"{where}: an annotation's types MUST include Annotation")
    targets = _values(annotation.get("target", []))
    if not targets:
        problems.append(f"{where}: an annotation MUST have 1 or more targets")
    for i, target in enumerate(targets):
        problems += check_resource(target, f"{where}.target[{i}]")
    if "body" in annotation and "bodyValue" in annotation:
        problems.append(f"{where}: an annotation MUST NOT have both body and bodyValue")
    bodies = _values(annotation.get("body", []))
    if not bodies and "bodyValue" not in annotation:
        problems.append(f"{where}: no body (ours: every comment has one)")
    for i, body in enumerate(bodies):
        problems += check_resource(body, f"{where}.body[{i}]")
    for motivation in _values(annotation.get("motivation", [])):
        if motivation not in MOTIVATIONS:
            problems.append(f"{where}: motivation {motivation!r} is not in the model's list")
    for key in ("created", "modified", "generated"):
        if key in annotation:
            problems += check_datetime(annotation[key], f"{where}.{key}")
    for i, creator in enumerate(_values(annotation.get("creator", []))):
        problems += check_agent(creator, f"{where}.creator[{i}]")
    return problems


def check_page(page: Any, where: str, *, standalone: bool) -> list[str]:
    """5.2: an AnnotationPage."""
    if not isinstance(page, dict):
        return [f"{where}: a page is an object"]
    problems = check_context(page, where) if standalone else []
    if not is_iri(page.get("id")):
        problems.append(f"{where}: the Page MUST have exactly 1 IRI")
    if "AnnotationPage" not in _types(page):
        problems.append(f"{where}: the Page's types MUST include AnnotationPage")
    items = page.get("items")
    if not isinstance(items, list) or not items:
        problems.append(f"{where}: each Page MUST have an array of 1 or more Annotations")
        items = []
    for i, item in enumerate(items):
        problems += check_annotation(item, f"{where}.items[{i}]")
    if "startIndex" in page and (type(page["startIndex"]) is not int or page["startIndex"] < 0):
        problems.append(f"{where}: startIndex MUST be a non-negative integer")
    for key in ("next", "prev"):
        if key in page and not is_iri(page[key]):
            problems.append(f"{where}: {key} MUST be the IRI of a page")
    part_of = page.get("partOf")
    named = is_iri(part_of) or (isinstance(part_of, dict) and is_iri(part_of.get("id")))
    if part_of is not None and not named:
        problems.append(f"{where}: partOf MUST name the collection by its IRI")
    return problems


def check_collection(collection: Any) -> list[str]:
    """5.1: an AnnotationCollection, with its first page if embedded."""
    where = "collection"
    if not isinstance(collection, dict):
        return [f"{where}: a collection is an object"]
    problems = check_context(collection, where)
    if not is_iri(collection.get("id")):
        problems.append(f"{where}: the Collection MUST have exactly 1 IRI")
    if "AnnotationCollection" not in _types(collection):
        problems.append(f"{where}: the Collection's types MUST include AnnotationCollection")
    total = collection.get("total")
    if total is not None and (type(total) is not int or total < 0):
        problems.append(f"{where}: total MUST be a non-negative integer")
    first = collection.get("first")
    if total == 0 and ("first" in collection or "last" in collection):
        problems.append(f"{where}: an empty collection has no pages to link to")
    if total and first is None:
        problems.append(f"{where}: a collection with annotations links to its first page")
    if isinstance(first, dict):
        problems += check_page(first, f"{where}.first", standalone=False)
    elif first is not None and not is_iri(first):
        problems.append(f"{where}: first is an embedded page or a page's IRI")
    if "last" in collection and not is_iri(collection["last"]):
        problems.append(f"{where}: last MUST be the IRI of a page")
    return problems

"""A version keeps its blocks' texts apart from their HTML, for its page to read cheaply."""

from __future__ import annotations

import json

import pytest
from django.apps import apps as global_apps
from django.core.cache import cache

from documents.models import Version
from documents.selectors import block_texts
from tests.conftest import StudyTeam, migrate_to
from tests.documents.builders import ready_version

PARAGRAPHS = ["A “quoted” first paragraph, café & all.", "- One item\n- Two items"]


@pytest.mark.django_db
def test_a_prepared_version_keeps_each_blocks_id_and_text_in_reading_order(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    version.refresh_from_db()
    assert json.loads(version.texts) == [[b["id"], b["text"]] for b in version.blocks]
    assert [text for _id, text in json.loads(version.texts)] == [
        "A “quoted” first paragraph, café & all.",
        "One item",
        "Two items",
    ]
    cache.clear()
    light = Version.objects.defer("blocks", "texts", "html").get(pk=version.pk)
    assert block_texts(light) == {b["id"]: (n, b["text"]) for n, b in enumerate(version.blocks, 1)}


@pytest.mark.django_db
def test_a_version_made_before_texts_were_kept_reads_them_from_its_blocks(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    Version.objects.filter(pk=version.pk).update(texts="")
    cache.clear()
    light = Version.objects.defer("blocks", "texts", "html").get(pk=version.pk)
    assert [text for _n, text in block_texts(light).values()] == [
        "A “quoted” first paragraph, café & all.",
        "One item",
        "Two items",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_texts_of_every_version_already_prepared(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    migrate_to([("documents", "0008_comment_entered_by")])
    migrate_to()
    assert global_apps.get_model("documents", "Version") is Version
    version = Version.objects.get(pk=version.pk)
    assert json.loads(version.texts) == [[b["id"], b["text"]] for b in version.blocks]

"""Uploading documents and versions, and turning them into readable, commentable pages."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from documents.anchoring import Anchor, AnchorError, from_selectors, reanchor_all, to_selectors
from documents.blocks import Block, texts_encoded
from documents.conversion import Conversion, ConversionError, RenditionLimits
from documents.conversion.detect import check_size, detect
from documents.conversion.errors import FAILED
from documents.conversion.isolated import Budget, convert_isolated
from documents.models import (
    Comment,
    CommentPlacement,
    Document,
    ThreadState,
    Version,
    VersionPicture,
    VersionStatus,
)
from documents.rendition import page_parts
from documents.selectors import previous_ready_version, version_changes_since
from engagement.models import Stage, Study
from portal.accounts.models import User
from portal.rules import RuleBroken

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


def upload_check(upload: UploadedFile) -> bytes:
    """Read an upload and refuse it at once when its size or real type is wrong."""
    limit = settings.DOCUMENT_MAX_BYTES
    # One byte past the limit is enough to know it is too large; never read a huge file whole.
    data: bytes = upload.read(limit + 1)
    try:
        check_size(data, limit)
        detect(data, upload.name or "")
    except ConversionError as error:
        raise RuleBroken(str(error)) from None
    return data


def _queue_conversion(version: Version) -> None:
    from documents.tasks import version_convert

    version_id = version.pk
    transaction.on_commit(lambda: version_convert.delay(version_id))


def _save_version(
    *, document: Document, data: bytes, filename: str, change_summary: str, uploaded_by: User
) -> Version:
    last = (
        Version.objects.select_for_update()
        .filter(document=document)
        .aggregate(last=Max("number"))["last"]
    )
    version = Version(
        document=document,
        number=(last or 0) + 1,
        original_name=filename[:255],
        original_size=len(data),
        change_summary=change_summary,
        uploaded_by=uploaded_by,
    )
    version.original.save("original", ContentFile(data), save=False)
    version.save()
    _queue_conversion(version)
    return version


@transaction.atomic
def document_create(
    *,
    study: Study,
    title: str,
    kind: str,
    stage: Stage | None,
    data: bytes,
    filename: str,
    change_summary: str,
    created_by: User,
) -> Version:
    """Create a document with its first version, to be converted by a worker."""
    if stage is not None and stage.study_id != study.pk:
        raise RuleBroken(_("Choose one of this study's stages."))
    document = Document.objects.create(
        study=study, title=title, kind=kind, stage=stage, created_by=created_by
    )
    return _save_version(
        document=document,
        data=data,
        filename=filename,
        change_summary=change_summary,
        uploaded_by=created_by,
    )


@transaction.atomic
def version_add(
    *, document: Document, data: bytes, filename: str, change_summary: str, uploaded_by: User
) -> Version:
    Document.objects.select_for_update().filter(pk=document.pk).first()
    return _save_version(
        document=document,
        data=data,
        filename=filename,
        change_summary=change_summary,
        uploaded_by=uploaded_by,
    )


def rendition_limits() -> RenditionLimits:
    return RenditionLimits(
        max_blocks=settings.CONVERSION_MAX_BLOCKS,
        max_characters=settings.CONVERSION_MAX_CHARACTERS,
        max_picture_bytes=settings.CONVERSION_MAX_PICTURE_BYTES,
        max_pictures_bytes=settings.CONVERSION_MAX_PICTURES_BYTES,
    )


def conversion_budget() -> Budget:
    return Budget(
        max_memory_bytes=settings.CONVERSION_MAX_MEMORY_BYTES,
        timeout_seconds=settings.CONVERSION_TIMEOUT_SECONDS,
    )


def version_convert(*, version_id: int) -> None:
    """Convert a version once; a file we cannot read is marked failed, never left hanging.

    The conversion runs in a child process within the configured memory and time, so a
    hostile or huge file fails with the true reason and the worker carries on.
    """
    version = (
        Version.objects.select_related("document")
        .filter(pk=version_id, status=VersionStatus.PREPARING)
        .first()
    )
    if version is None:
        return
    try:
        with version.original.open("rb") as original:
            data = original.read(settings.DOCUMENT_MAX_BYTES + 1)
        conversion, outcome = convert_isolated(
            data,
            version.original_name,
            max_bytes=settings.DOCUMENT_MAX_BYTES,
            limits=rendition_limits(),
            budget=conversion_budget(),
        )
    except ConversionError as error:
        _mark_failed(version, str(error))
        return
    except SoftTimeLimitExceeded:
        _mark_failed(version, TOO_LONG)
        return
    except Exception:
        # Starting the conversion itself failed: the person still needs to hear that it
        # failed, and the original stays downloadable.
        logger.exception("Converting version %s failed", version_id)
        _mark_failed(version, FAILED)
        return
    logger.info(
        "Converted version %s (%s) in %.1f s, peak memory %s MB",
        version_id,
        conversion.kind,
        outcome.seconds,
        (outcome.peak_memory_bytes or 0) // (1024 * 1024),
    )
    if _mark_ready(version, conversion):
        try:
            threads_reanchor(version=version)
        except Exception:
            # The version is readable either way; the next comment or version places them.
            logger.exception("Placing earlier comments into version %s failed", version_id)
        _changes_prepare(version)


def _changes_prepare(version: Version) -> None:
    """Work out "What changed" now, in the worker, so its first reader does not wait for it."""
    previous = previous_ready_version(version)
    if previous is None:
        return
    try:
        version_changes_since(previous, version)
    except Exception:
        # The page works it out itself when it is first opened.
        logger.exception("Working out the changes in version %s failed", version.pk)


TOO_LONG = _lazy(
    "This file took too long to prepare. The original is kept: try a smaller file, or save "
    "it as a Word document and upload that."
)


def versions_fail_stuck(*, older_than: dt.timedelta | None = None) -> int:
    """Versions whose conversion never finished (a worker killed mid-way) say so.

    By default, those older than 15 minutes, or than twice the conversion's time limit
    when that is longer, so a slow conversion still running is not failed.
    """
    if older_than is None:
        older_than = dt.timedelta(seconds=max(15 * 60, 2 * settings.CONVERSION_TIMEOUT_SECONDS))
    return Version.objects.filter(
        status=VersionStatus.PREPARING, uploaded_at__lt=timezone.now() - older_than
    ).update(status=VersionStatus.FAILED, failure_reason=str(TOO_LONG), converted_at=timezone.now())


def _mark_failed(version: Version, reason: StrOrPromise) -> None:
    Version.objects.filter(pk=version.pk, status=VersionStatus.PREPARING).update(
        status=VersionStatus.FAILED, failure_reason=str(reason), converted_at=timezone.now()
    )


@transaction.atomic
def _mark_ready(version: Version, conversion: Conversion) -> bool:
    if not (
        Version.objects.select_for_update()
        .filter(pk=version.pk, status=VersionStatus.PREPARING)
        .exists()
    ):
        return False  # another run got there first
    conversion = conversion.with_picture_urls(_pictures_save(version, conversion))
    blocks = conversion.blocks
    html, sections = page_parts(conversion.html, blocks)
    updated = Version.objects.filter(pk=version.pk, status=VersionStatus.PREPARING).update(
        status=VersionStatus.READY,
        file_kind=conversion.kind,
        html=html,
        sections=sections,
        blocks=[block.to_dict() for block in blocks],
        texts=texts_encoded(blocks),
        readability=conversion.readability.to_dict(),
        warnings=list(conversion.warnings),
        converted_at=timezone.now(),
    )
    if updated:
        version.refresh_from_db()
    return bool(updated)


def _pictures_save(version: Version, conversion: Conversion) -> dict[int, str]:
    """Store the version's pictures as files; return the address each is served at."""
    rows = []
    for picture in conversion.pictures:
        row = VersionPicture(
            version=version,
            number=picture.number,
            content_type=picture.content_type,
            size=len(picture.data),
        )
        row.file.save(
            f"{picture.number}.{picture.extension}", ContentFile(picture.data), save=False
        )
        rows.append(row)
    VersionPicture.objects.bulk_create(rows)
    kwargs = {
        "study_id": version.document.study_id,
        "document_id": version.document_id,
        "number": version.number,
    }
    return {
        row.number: reverse("version_picture", kwargs={**kwargs, "picture": row.number})
        for row in rows
    }


def version_blocks(version: Version) -> list[Block]:
    return [Block.from_dict(item) for item in version.blocks]


def _previous_ready(version: Version) -> Version | None:
    return (
        Version.objects.filter(
            document_id=version.document_id,
            number__lt=version.number,
            status=VersionStatus.READY,
        )
        .order_by("-number")
        .first()
    )


def threads_reanchor(*, version: Version) -> int:
    """Place every unresolved thread of earlier versions into this one; none is dropped.

    A thread that cannot be placed still gets a row (method "unplaced"), which is how
    the page lists it under "from earlier versions".
    """
    new_blocks = version_blocks(version)
    threads = list(
        Comment.objects.filter(
            version__document_id=version.document_id,
            version__number__lt=version.number,
            parent__isnull=True,
            withdrawn_at__isnull=True,
        )
        .exclude(state=ThreadState.CONFIRMED)
        .select_related("version")
    )
    if not threads:
        return 0
    # Each thread moves on from where it last was: its own version or its newest placement.
    latest: dict[int, CommentPlacement] = {}
    for stored in CommentPlacement.objects.filter(comment__in=threads).select_related("version"):
        known = latest.get(stored.comment_id)
        if known is None or stored.version.number > known.version.number:
            latest[stored.comment_id] = stored
    # Group by the version each thread moves on from, so blocks are matched once per pair.
    groups: dict[int, tuple[Version, list[tuple[Comment, Anchor | None]]]] = {}
    for thread in threads:
        placed = latest.get(thread.pk)
        if placed is not None and placed.version_id == version.pk:
            continue
        if placed is None or placed.method == "unplaced":
            source, block_id, selectors = thread.version, thread.block_id, thread.selectors
        else:
            source, block_id, selectors = placed.version, placed.block_id, placed.selectors
        try:
            anchor: Anchor | None = from_selectors(block_id or None, selectors)
        except AnchorError:
            anchor = None
        groups.setdefault(source.pk, (source, []))[1].append((thread, anchor))

    rows = []
    for source, items in groups.values():
        placeable = [(thread, anchor) for thread, anchor in items if anchor is not None]
        placements = reanchor_all(
            [anchor for _, anchor in placeable], version_blocks(source), new_blocks
        )
        results = {
            thread.pk: placement
            for (thread, _), placement in zip(placeable, placements, strict=True)
        }
        for thread, _anchor in items:
            placement = results.get(thread.pk)
            rows.append(
                CommentPlacement(
                    comment=thread,
                    version=version,
                    block_id=(placement.block_id or "") if placement else "",
                    selectors=to_selectors(placement.anchor)
                    if placement and placement.anchor
                    else [],
                    method=placement.method if placement else "unplaced",
                    confidence=placement.confidence if placement else 0.0,
                )
            )
    CommentPlacement.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)

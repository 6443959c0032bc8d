"""manage.py backup and restore: everything comes back, and nothing is replaced by mistake.

They run on the suite's database: SQLite by default (the backup API), PostgreSQL when
DATABASE_URL names one (pg_dump and pg_restore; see also tests/integration).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from engagement.services import study_create
from portal import backups
from portal.backups import DUMP_NAMES
from tests.conftest import StudyTeam
from tests.ops.site_data import every_file, every_row, site_fill

pytestmark = pytest.mark.usefixtures("transactional_db")


def wipe(media: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media, ignore_errors=True)


def backup(tmp_path: Path, name: str = "site.tar.gz") -> Path:
    archive = tmp_path / "backups" / name
    call_command("backup", str(archive), stdout=io.StringIO())
    return archive


def restore(archive: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("restore", str(archive), *options, stdout=out)
    return out.getvalue()


def rewritten(archive: Path, change: Any) -> Path:
    """A copy of the archive with ``change(name, data)`` applied to every member's bytes."""
    copy = archive.with_name("changed-" + archive.name)
    with tarfile.open(archive, "r:*") as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            handle = source.extractfile(member)
            data = change(member.name, handle.read() if handle else b"")
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return copy


def with_manifest(archive: Path, edit: Any) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return rewritten(archive, change)


def test_a_restore_brings_back_every_row_and_file(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    rows, files = every_row(), every_file(media)
    assert len(files) >= 3  # two originals and a receipt at least
    archive = backup(tmp_path)
    wipe(media)
    assert every_row() != rows

    said = restore(archive)

    assert every_row() == rows
    assert every_file(media) == files
    assert f"{len(files)} files" in said


def test_the_manifest_lists_the_vendor_migrations_and_every_file_with_its_hash(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    with tarfile.open(backup(tmp_path), "r:gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = set(archive.getnames())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["file"] == DUMP_NAMES[connection.vendor]
    assert ["portal", "0001_heartbeat"] in manifest["migrations"]
    listed = {entry["path"] for entry in manifest["media"]}
    assert listed == set(every_file(media))
    assert all(len(entry["sha256"]) == 64 for entry in manifest["media"])
    assert names == {"manifest.json", manifest["database"]["file"]} | {
        f"media/{path}" for path in listed
    }


def test_it_refuses_a_database_that_holds_data(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    archive = backup(tmp_path)
    rows = every_row()

    with pytest.raises(CommandError, match="already holds data"):
        restore(archive)
    assert every_row() == rows


def test_it_refuses_a_media_folder_that_holds_files(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    archive = backup(tmp_path)
    call_command("flush", interactive=False, verbosity=0)

    with pytest.raises(CommandError, match="already holds files"):
        restore(archive)


def test_force_replaces_what_is_there(team: StudyTeam, media: Path, tmp_path: Path) -> None:
    site_fill(team)
    rows, files = every_row(), every_file(media)
    archive = backup(tmp_path)
    study_create(
        created_by=team.coordinator, title="Made after the backup", lay_summary="", status="active"
    )
    (media / "made-after.txt").write_text("not in the backup")

    restore(archive, "--force")

    assert every_row() == rows
    assert every_file(media) == files


def test_it_refuses_a_damaged_file_and_changes_nothing(
    team: StudyTeam, media: Path, tmp_path: Path
) -> None:
    site_fill(team)
    archive = backup(tmp_path)
    wipe(media)
    rows = every_row()

    def flip_a_byte(name: str, data: bytes) -> bytes:
        if name.startswith("media/"):
            return data[:-1] + bytes([data[-1] ^ 1])
        return data

    with pytest.raises(CommandError, match="SHA-256"):
        restore(rewritten(archive, flip_a_byte))
    assert every_row() == rows
    assert every_file(media) == {}


def another_vendor(manifest: dict[str, Any]) -> None:
    manifest["database"]["vendor"] = "sqlite" if connection.vendor != "sqlite" else "postgresql"


def newer_code(manifest: dict[str, Any]) -> None:
    manifest["migrations"].append(["documents", "9999_from_the_future"])


def outside_media(manifest: dict[str, Any]) -> None:
    manifest["media"].append({"path": "../settings.py", "size": 1, "sha256": "0" * 64})


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        (another_vendor, "restore it onto the same kind of database"),
        (newer_code, "newer version of the portal"),
        (outside_media, "outside the media folder"),
    ],
)
def test_it_refuses_a_backup_it_cannot_put_back_as_it_was(
    team: StudyTeam, media: Path, tmp_path: Path, edit: Any, refusal: str
) -> None:
    archive = backup(tmp_path)
    wipe(media)
    rows = every_row()

    with pytest.raises(CommandError, match=refusal):
        restore(with_manifest(archive, edit))
    assert every_row() == rows
    assert not (tmp_path / "settings.py").exists()


def test_it_says_plainly_when_the_file_is_not_a_backup(tmp_path: Path) -> None:
    stray = tmp_path / "notes.tar.gz"
    stray.write_bytes(b"not a tar file")
    with pytest.raises(CommandError, match="not a portal backup"):
        restore(stray)
    with pytest.raises(CommandError, match="no backup at"):
        restore(tmp_path / "missing.tar.gz")


def test_a_folder_gets_an_archive_named_by_the_time_and_nothing_is_overwritten(
    team: StudyTeam, tmp_path: Path
) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    out = io.StringIO()
    call_command("backup", str(folder), stdout=out)
    [made] = folder.iterdir()
    assert made.name.startswith("portal-backup-")
    assert made.name.endswith(".tar.gz")
    assert made.stat().st_mode & 0o077 == 0  # the owner's alone
    assert str(made) in out.getvalue()
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(made), stdout=io.StringIO())


def test_a_name_that_is_not_an_archive_is_a_folder_to_make(team: StudyTeam, tmp_path: Path) -> None:
    call_command("backup", str(tmp_path / "nightly"), stdout=io.StringIO())
    [made] = (tmp_path / "nightly").iterdir()
    assert made.name.startswith("portal-backup-")
    call_command("backup", str(tmp_path / "plain.tar"), stdout=io.StringIO())
    with tarfile.open(tmp_path / "plain.tar", "r:") as archive:  # not compressed
        assert "manifest.json" in archive.getnames()


def test_a_file_deleted_while_the_backup_runs_is_left_out_not_an_error(
    team: StudyTeam, media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_fill(team)
    files = every_file(media)
    listed = backups._stored_names(backups._storage())
    monkeypatch.setattr(backups, "_stored_names", lambda storage: [*listed, "gone.pdf"])

    archive = backup(tmp_path)
    monkeypatch.undo()

    wipe(media)
    restore(archive)
    assert every_file(media) == files


def test_files_kept_in_another_storage_than_the_disk_come_back_too(
    team: StudyTeam, tmp_path: Path, settings: Any
) -> None:
    # Django's in-memory storage stands in for an S3 bucket: the same storage API.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    storage = backups._storage()
    site_fill(team)
    names = backups._stored_names(storage)
    files = {name: storage.open(name).read() for name in names}
    assert len(files) >= 3
    rows = every_row()
    archive = backup(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    for name in names:
        storage.delete(name)

    restore(archive)

    assert every_row() == rows
    assert {name: storage.open(name).read() for name in backups._stored_names(storage)} == files


def test_a_new_machine_with_nothing_on_it_gets_the_whole_site_back(tmp_path: Path) -> None:
    """The embedded default as `make run` leaves it (SQLite, files under var/), backed up and
    restored by `manage.py` in fresh processes onto a machine with nothing on it. It makes
    its own SQLite site, whatever database the test run uses."""
    root = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DATABASE_URL", "DJANGO_SETTINGS", "MEDIA_ROOT", "PYTEST_", "REDIS_URL", "CELERY_")
        )
    }

    def manage(var: Path, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env={**env, "DEBUG": "true", "VAR_DIR": str(var)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr

    old, new = tmp_path / "old-machine", tmp_path / "new-machine"
    manage(old, "migrate", "--no-input", "-v", "0")
    manage(old, "seed_demo")
    archive = tmp_path / "site.tar.gz"
    manage(old, "backup", str(archive))
    manage(new, "restore", str(archive))

    before = sqlite3.connect(old / "portal.sqlite3")
    after = sqlite3.connect(new / "portal.sqlite3")
    try:
        assert list(after.iterdump()) == list(before.iterdump())
        assert after.execute("select count(*) from accounts_user").fetchone()[0] > 0
    finally:
        before.close()
        after.close()
    assert every_file(new / "media") == every_file(old / "media")

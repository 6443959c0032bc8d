"""Backing up and restoring the database and the uploaded files as one archive.

An archive is a tar file (gzip-compressed when its name ends in .gz) holding:

- ``manifest.json``: when it was made, the database vendor, the migrations applied, and every
  file with its size and SHA-256;
- the database: ``database.pgdump`` (pg_dump's custom format) or ``database.sqlite3`` (a copy
  made with SQLite's backup API, consistent while the portal runs);
- ``media/``: every uploaded file, from MEDIA_ROOT or the S3 bucket (Django's default
  storage), under its stored name.

A restore reads and checks everything before it changes anything: a damaged or edited archive,
a dump from another database vendor or from newer code is refused and the site is left as it
was. PostgreSQL is restored in one transaction (psql --single-transaction), so a failure part
way leaves the database unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DUMP_NAMES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# What `migrate` writes into a new database, and the worker's heartbeat: a database holding
# only these holds nobody's data.
TABLES_WITHOUT_DATA = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "sqlite_sequence",
        "portal_heartbeat",
    }
)
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why in plain words."""


@dataclass(frozen=True)
class Restored:
    tables: int
    files: int
    migrations_behind: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _storage() -> Storage:
    """Where uploads are kept: the files under MEDIA_ROOT, or an S3 bucket."""
    return storages["default"]


def _stored_names(storage: Storage, folder: str = "") -> list[str]:
    """The name of every stored file, in every folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += _stored_names(storage, f"{folder}/{sub}" if folder else sub)
    return sorted(names)


def _applied_migrations(connection: BaseDatabaseWrapper) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [[app, name] for app, name in cursor.fetchall()]


def _postgres_environment(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's variables for this connection: the password never appears on a command line."""
    s = connection.settings_dict
    values = {
        "PGHOST": s.get("HOST") or "",
        "PGPORT": str(s.get("PORT") or ""),
        "PGUSER": s.get("USER") or "",
        "PGPASSWORD": s.get("PASSWORD") or "",
        "PGDATABASE": s["NAME"],
    }
    options = s.get("OPTIONS") or {}
    if "sslmode" in options:
        values["PGSSLMODE"] = str(options["sslmode"])
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (on Debian: apt-get install postgresql-client, of the "
            "server's major version or newer)."
        )
    return found


def _run(command: list[str], *, env: dict[str, str], what: str, stdout: Any = None) -> None:
    """Run a PostgreSQL client program; when it fails, say so in its own words."""
    result = subprocess.run(  # noqa: S603 - fixed programs, arguments are not shell-parsed
        [_program(command[0]), *command[1:]],
        env=env,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"{what} failed: {message}")


def _dump_database(connection: BaseDatabaseWrapper, target: Path) -> None:
    if connection.vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
            env=_postgres_environment(connection),
            what="pg_dump",
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    else:
        raise BackupError(f"Backing up a {connection.vendor} database is not supported.")


class _HashingReader:
    """A file read once, into the archive, with its SHA-256 taken on the way."""

    def __init__(self, handle: File[Any]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def _add_media_file(archive: tarfile.TarFile, storage: Storage, name: str) -> dict[str, Any] | None:
    """Add one uploaded file; its manifest entry, or None when it was deleted meanwhile."""
    try:
        size = storage.size(name)
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        return None
    with handle:
        info = tarfile.TarInfo(f"{MEDIA_DIR}/{name}")
        info.size = size
        info.mode = 0o600
        info.mtime = int(timezone.now().timestamp())
        reader = _HashingReader(handle)
        try:
            archive.addfile(info, reader)
        except OSError as error:
            raise BackupError(f"{name} changed while it was being backed up: try again.") from error
    return {"path": name, "size": size, "sha256": reader.digest.hexdigest()}


def backup_create(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the database and every uploaded file to one archive at ``path``.

    The database is copied first and the files after it, so every file a backed-up row
    names is in the archive unless it was deleted in between. Each file is read once, and
    its hash taken from what went into the archive. Returns the manifest, which is the
    archive's last member.
    """
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"Backing up a {vendor} database is not supported.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as scratch:
        dump = Path(scratch) / DUMP_NAMES[vendor]
        created_at = timezone.now()
        migrations = _applied_migrations(connection)
        _dump_database(connection, dump)
        # Partners' health data: readable by the owner alone, whatever the umask.
        partial.unlink(missing_ok=True)  # left by a run that was killed
        partial.touch(mode=0o600)
        try:
            gz = path.name.endswith((".gz", ".tgz"))
            with tarfile.open(partial, "w:gz") if gz else tarfile.open(partial, "w") as archive:
                archive.add(dump, arcname=dump.name)
                storage = _storage()
                media = [_add_media_file(archive, storage, name) for name in _stored_names(storage)]
                manifest: dict[str, Any] = {
                    "format": FORMAT,
                    "created_at": created_at.isoformat(),
                    "database": {
                        "vendor": vendor,
                        "file": dump.name,
                        "size": dump.stat().st_size,
                        "sha256": sha256_of(dump),
                    },
                    "migrations": migrations,
                    "media": [entry for entry in media if entry is not None],
                }
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(body)
                info.mtime = int(created_at.timestamp())
                info.mode = 0o600
                archive.addfile(info, io.BytesIO(body))
            # A half-written archive never carries the final name.
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


# --- restoring ---------------------------------------------------------------


def _safe_relative(name: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupError(f"The archive names a file outside the media folder: {name}")
    return relative


def manifest_read(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:*") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.load(member)
    except FileNotFoundError as error:
        raise BackupError(f"There is no backup at {path}.") from error
    except (tarfile.TarError, KeyError, ValueError, OSError) as error:
        raise BackupError(f"{path} is not a portal backup (no readable manifest).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is a backup format this version cannot read.")
    return manifest


def _extract_checked(path: Path, manifest: dict[str, Any], into: Path) -> tuple[Path, Path]:
    """Unpack what the manifest lists into ``into`` and check every size and hash."""
    database = manifest["database"]
    dump_name = _safe_relative(database["file"])
    wanted = {str(dump_name): database}
    for entry in manifest["media"]:
        wanted[f"{MEDIA_DIR}/{_safe_relative(entry['path'])}"] = entry
    try:
        with tarfile.open(path, "r:*") as archive:
            members = [member for member in archive.getmembers() if member.name in wanted]
            archive.extractall(into, members=members, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"The archive could not be read: {error}") from error
    for name, entry in wanted.items():
        file = into / name
        if not file.is_file():
            raise BackupError(f"The archive is missing {name}.")
        if file.stat().st_size != entry["size"] or sha256_of(file) != entry["sha256"]:
            raise BackupError(f"{name} in the archive does not match its SHA-256: it is damaged.")
    return into / dump_name, into / MEDIA_DIR


def database_has_data(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when any table holds a row that `migrate` alone would not have written."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            if table in TABLES_WITHOUT_DATA:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                return True
    return False


def _check_migrations(manifest: dict[str, Any], using: str) -> int:
    """Refuse a backup from newer code; say how many migrations the backup is behind."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True, load=True)
    known = set(loader.disk_migrations)
    applied = {(app, name) for app, name in manifest["migrations"]}
    unknown = sorted(applied - known)
    if unknown:
        app, name = unknown[0]
        raise BackupError(
            f"The backup was made by a newer version of the portal (it has migration "
            f"{app}.{name}, which this code does not). Restore it with that version."
        )
    return len(known - applied)


@contextmanager
def _disconnected(using: str) -> Iterator[BaseDatabaseWrapper]:
    """Close Django's own connection so that it holds no lock while the database is replaced."""
    connection = connections[using]
    connection.close()
    try:
        yield connection
    finally:
        connection.close()


def _restore_postgresql(connection: BaseDatabaseWrapper, dump: Path) -> None:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        # The portal's own functions (its triggers' bodies): the dump makes them again.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.prokind = 'f' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        functions = [row[0] for row in cursor.fetchall()]
    drops = "".join(
        f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE;\n" for table in tables
    ) + "".join(f"DROP FUNCTION IF EXISTS {function} CASCADE;\n" for function in functions)
    env = _postgres_environment(connection)
    # pg_restore writes the dump as SQL (on disk, not in memory: it is as large as the
    # data); psql runs it after the drops, all in one transaction that either completes or
    # leaves the database untouched.
    script = dump.with_name("restore.sql")
    with script.open("wb") as out:
        out.write(drops.encode())
        out.flush()
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump)],
            env=env,
            what="pg_restore",
            stdout=out,
        )
    with _disconnected(connection.alias):
        _run(
            [
                "psql",
                "--quiet",
                "--no-psqlrc",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--file={script}",
            ],
            env=env,
            what="Restoring the database",
        )


def _restore_sqlite(connection: BaseDatabaseWrapper, dump: Path) -> None:
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise BackupError("The database cannot be replaced inside a transaction.")
    source = sqlite3.connect(dump)
    try:
        # The backup API replaces every page of the destination: tables not in the dump go.
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _media_put_back(storage: Storage, media: Path, entries: list[dict[str, Any]]) -> None:
    """Replace every stored file with the archive's, each under its own name."""
    for name in _stored_names(storage):
        storage.delete(name)
    for entry in entries:
        with (media / entry["path"]).open("rb") as handle:
            saved = storage.save(entry["path"], File(handle))
        if saved != entry["path"]:
            raise BackupError(f"{entry['path']} could not be stored under its own name.")


def _scratch_folder(storage: Storage) -> str | None:
    """Beside MEDIA_ROOT when files are kept there: the same disk, with room for them."""
    if isinstance(storage, FileSystemStorage):
        folder = Path(storage.location).parent
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    return None


def backup_restore(*, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Restored:
    """Put the database and the uploaded files back as they were in the archive at ``path``.

    Refuses, changing nothing, when the archive is damaged, comes from another database
    vendor or newer code, or when the database or the media folder already holds data
    (unless ``force``: then what is there is replaced).
    """
    manifest = manifest_read(path)
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"The backup is of a {vendor} database and this site uses {connection.vendor}: "
            "restore it onto the same kind of database."
        )
    behind = _check_migrations(manifest, using)
    storage = _storage()
    if not force:
        if database_has_data(using):
            raise BackupError(
                "The database already holds data. Restoring would replace it: take a backup "
                "of it first, then run restore again with --force."
            )
        if _stored_names(storage):
            raise BackupError(
                "The uploaded files' storage (MEDIA_ROOT, or the S3 bucket) already holds "
                "files. Restoring would replace them: take a backup first, then run restore "
                "again with --force."
            )
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=_scratch_folder(storage)) as scratch:
        dump, media = _extract_checked(path, manifest, Path(scratch))
        if connection.vendor == "postgresql":
            _restore_postgresql(connection, dump)
        else:
            _restore_sqlite(connection, dump)
        _media_put_back(storage, media, manifest["media"])
    # What the cache holds (page fragments, blocks by version id) described the old database.
    cache.clear()
    ContentType.objects.clear_cache()
    tables = len(connection.introspection.table_names())
    return Restored(tables=tables, files=len(manifest["media"]), migrations_behind=behind)

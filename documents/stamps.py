"""The database triggers that renew a document's ``threads_stamp``.

Whatever a thread shows (a comment or reply, an answer, a placement into a version, the name
of someone who wrote one) is kept in the cache under its document's stamp, so the stamp must
change with every such row, however it is written: by a service, a bulk ``update()``, the
admin or a restore. Triggers do that in the database itself, for PostgreSQL and SQLite.

They are made again after every ``migrate`` and dropped before it: SQLite rebuilds a table to
alter it, which loses the triggers on it and breaks those that read it, and a migration's own
writes need no stamp, since every stamp is renewed once the triggers are back.
"""

# The SQL here is built from this module's constants only, never from anything sent in.
# ruff: noqa: S608

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

# Each table whose rows threads show, and how a row leads to its document ({row}: NEW, OLD).
_BY_VERSION = "(SELECT document_id FROM documents_version WHERE id = {row}.version_id)"
_BY_COMMENT = (
    "(SELECT v.document_id FROM documents_version v JOIN documents_comment c "
    "ON c.version_id = v.id WHERE c.id = {row}.comment_id)"
)
_TABLES = {
    "documents_comment": _BY_VERSION,
    "documents_commentplacement": _BY_VERSION,
    "documents_response": _BY_COMMENT,
}
# A writer's name as threads show it (see portal.accounts.naming).
_PEOPLE = "accounts_user"
_NAMED = ("display_name", "former_number")

_NEW_STAMP = {
    "postgresql": "md5(random()::text || clock_timestamp()::text)",
    "sqlite": "lower(hex(randomblob(16)))",
}


def _sqlite_create() -> list[str]:
    new = _NEW_STAMP["sqlite"]
    statements = []
    for table, document in _TABLES.items():
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER {table}_threads_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE documents_document SET threads_stamp = {new} "
                f"WHERE id = {document.format(row=row)}; END"
            )
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _NAMED)
    statements.append(
        f"CREATE TRIGGER {_PEOPLE}_threads_update AFTER UPDATE OF {', '.join(_NAMED)} "
        f"ON {_PEOPLE} WHEN {changed} "
        f"BEGIN UPDATE documents_document SET threads_stamp = {new}; END"
    )
    return statements


def _sqlite_drop() -> list[str]:
    names = [
        f"{table}_threads_{event}" for table in _TABLES for event in ("insert", "update", "delete")
    ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in [*names, f"{_PEOPLE}_threads_update"]]


def _postgresql_create() -> list[str]:
    new = _NEW_STAMP["postgresql"]
    statements = []
    for table, document in _TABLES.items():
        statements += [
            f"CREATE OR REPLACE FUNCTION {table}_threads() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' THEN "
            f"UPDATE documents_document SET threads_stamp = {new} "
            f"WHERE id = {document.format(row='OLD')}; "
            "ELSE "
            f"UPDATE documents_document SET threads_stamp = {new} "
            f"WHERE id = {document.format(row='NEW')}; "
            "END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_threads AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_threads()",
        ]
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in _NAMED)
    statements += [
        f"CREATE OR REPLACE FUNCTION {_PEOPLE}_threads() RETURNS trigger AS $$ BEGIN "
        f"UPDATE documents_document SET threads_stamp = {new}; RETURN NULL; END $$ "
        "LANGUAGE plpgsql",
        f"CREATE TRIGGER {_PEOPLE}_threads AFTER UPDATE OF {', '.join(_NAMED)} ON {_PEOPLE} "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {_PEOPLE}_threads()",
    ]
    return statements


def _postgresql_drop(tables: set[str]) -> list[str]:
    statements = []
    for table in [*_TABLES, _PEOPLE]:
        if table in tables:
            statements.append(f"DROP TRIGGER IF EXISTS {table}_threads ON {table}")
        statements.append(f"DROP FUNCTION IF EXISTS {table}_threads()")
    return statements


def _ready(connection: BaseDatabaseWrapper) -> tuple[bool, set[str]]:
    """Whether every table the triggers touch is there, with the stamp; and the tables."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {"documents_document", _PEOPLE, "documents_version", *_TABLES} <= tables:
            return False, tables
        columns = connection.introspection.get_table_description(cursor, "documents_document")
    return any(column.name == "threads_stamp" for column in columns), tables


def threads_triggers_drop(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor in _NEW_STAMP:
        _drop(connection, _ready(connection)[1])


def _drop(connection: BaseDatabaseWrapper, tables: set[str]) -> None:
    statements = _sqlite_drop() if connection.vendor == "sqlite" else _postgresql_drop(tables)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def threads_triggers_create(connection: BaseDatabaseWrapper) -> None:
    """(Re)make the triggers and give every document a new stamp, once its tables are there."""
    if connection.vendor not in _NEW_STAMP:
        raise NotImplementedError(f"No thread triggers for {connection.vendor}.")
    ready, tables = _ready(connection)
    _drop(connection, tables)
    if not ready:
        return
    statements = _sqlite_create() if connection.vendor == "sqlite" else _postgresql_create()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            f"UPDATE documents_document SET threads_stamp = {_NEW_STAMP[connection.vendor]}"
        )

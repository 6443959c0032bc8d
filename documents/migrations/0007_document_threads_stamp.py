"""Triggers that give a document a new ``threads_stamp`` whenever what its threads show
changes, however the change is made (a service, a bulk update, the admin, a restore)."""

from django.db import migrations, models

# (table, how the changed row leads to its document; {row} is NEW or OLD)
_BY_VERSION = "(SELECT document_id FROM documents_version WHERE id = {row}.version_id)"
_BY_COMMENT = (
    "(SELECT v.document_id FROM documents_version v JOIN documents_comment c "
    "ON c.version_id = v.id WHERE c.id = {row}.comment_id)"
)
_TABLES = [
    ("documents_comment", _BY_VERSION),
    ("documents_commentplacement", _BY_VERSION),
    ("documents_response", _BY_COMMENT),
]
# Only the columns a thread shows of its writer.
_NAMED = ("display_name", "former_number")

_SQLITE_NEW = "lower(hex(randomblob(16)))"
_POSTGRES_NEW = "md5(random()::text || clock_timestamp()::text)"


def _sqlite() -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table, document in _TABLES:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            name = f"{table}_threads_{event.lower()}"
            create.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                f"UPDATE documents_document SET threads_stamp = {_SQLITE_NEW} "
                f"WHERE id = {document.format(row=row)}; END"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name}")
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _NAMED)
    create.append(
        f"CREATE TRIGGER accounts_user_threads_update AFTER UPDATE OF {', '.join(_NAMED)} "
        f"ON accounts_user WHEN {changed} BEGIN "
        f"UPDATE documents_document SET threads_stamp = {_SQLITE_NEW}; END"
    )
    drop.append("DROP TRIGGER IF EXISTS accounts_user_threads_update")
    return create, drop


def _postgresql() -> tuple[list[str], list[str]]:
    create, drop = [], []
    for table, document in _TABLES:
        function = f"{table}_threads"
        create.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' THEN "
            f"UPDATE documents_document SET threads_stamp = {_POSTGRES_NEW} "
            f"WHERE id = {document.format(row='OLD')}; "
            f"ELSE "
            f"UPDATE documents_document SET threads_stamp = {_POSTGRES_NEW} "
            f"WHERE id = {document.format(row='NEW')}; "
            f"END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        create.append(
            f"CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        drop.append(f"DROP FUNCTION IF EXISTS {function}()")
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in _NAMED)
    create.append(
        "CREATE OR REPLACE FUNCTION accounts_user_threads() RETURNS trigger AS $$ BEGIN "
        f"UPDATE documents_document SET threads_stamp = {_POSTGRES_NEW}; "
        "RETURN NULL; END $$ LANGUAGE plpgsql"
    )
    create.append(
        f"CREATE TRIGGER accounts_user_threads AFTER UPDATE OF {', '.join(_NAMED)} "
        f"ON accounts_user FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION accounts_user_threads()"
    )
    drop.append("DROP TRIGGER IF EXISTS accounts_user_threads ON accounts_user")
    drop.append("DROP FUNCTION IF EXISTS accounts_user_threads()")
    return create, drop


def _statements(vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    raise NotImplementedError(f"No thread triggers for {vendor}.")


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in _statements(vendor)[0]:
        schema_editor.execute(statement)
    # Documents that have threads already start with a stamp of their own.
    new = _POSTGRES_NEW if vendor == "postgresql" else _SQLITE_NEW
    schema_editor.execute(f"UPDATE documents_document SET threads_stamp = {new}")


def drop_triggers(apps, schema_editor) -> None:
    for statement in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0006_word_imports"),
        ("accounts", "0005_erasure_and_sensitive_access"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="threads_stamp",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]

"""Carry the import jobs of a deployment that ran this app under its old label, `exchange`.

Until this app was renamed (docs/decisions/0012-imports-app-name.md), its jobs lived in the table
`exchange_importjob` and its migration was recorded as `exchange.0001_initial`. When that table exists,
its rows move into this app's table with their ids, the old table is dropped, and the old migration
records and content type are renamed, so that the label `exchange` is free for the interconnection app
and its own first migration is not mistaken for one already applied. On a new database this does nothing.
"""

from django.core.management.color import no_style
from django.db import migrations

OLD_TABLE = "exchange_importjob"
COLUMNS = (
    "id", "kind", "user_id", "filename", "stored_path", "status", "processed", "created", "updated",
    "error_count", "errors", "message", "created_at", "finished_at",
)  # fmt: skip


def move_rows(connection, job_model) -> int:
    """Move the old table's rows into `job_model`'s table; the number moved (0 when there is no old table)."""
    if OLD_TABLE not in connection.introspection.table_names():
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(job_model._meta.db_table)} ({columns}) SELECT {columns} FROM {quote(OLD_TABLE)}"
        )
        moved = cursor.rowcount
        cursor.execute(f"DROP TABLE {quote(OLD_TABLE)}")
        # Rows kept their ids: the id sequence (PostgreSQL) must continue after the largest one.
        for statement in connection.ops.sequence_reset_sql(no_style(), [job_model]):
            cursor.execute(statement)
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["exchange"])
    return moved


def rename_content_type(apps) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="imports", model="importjob").exists():
        content_type.objects.filter(app_label="exchange", model="importjob").update(app_label="imports")


def forwards(apps, schema_editor):
    move_rows(schema_editor.connection, apps.get_model("imports", "ImportJob"))
    rename_content_type(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

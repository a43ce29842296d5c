# The database refuses to delete a published version, as it refuses to change one:
# otherwise a version could be deleted and inserted again with forged content and a
# matching checksum. (PostgreSQL's TRUNCATE fires no row trigger: see 0011.)

from django.db import migrations

TRIGGERS = {
    "sqlite": (
        [
            "CREATE TRIGGER reports_publishedversion_undeletable "
            "BEFORE DELETE ON reports_publishedversion "
            "BEGIN SELECT RAISE(ABORT, 'published versions are immutable'); END"
        ],
        ["DROP TRIGGER IF EXISTS reports_publishedversion_undeletable"],
    ),
    "postgresql": (
        [
            # The function of 0002 refuses whatever it is called for.
            "CREATE TRIGGER reports_publishedversion_undeletable "
            "BEFORE DELETE ON reports_publishedversion "
            "FOR EACH ROW EXECUTE FUNCTION reports_publishedversion_immutable()",
        ],
        [
            "DROP TRIGGER IF EXISTS reports_publishedversion_undeletable "
            "ON reports_publishedversion",
        ],
    ),
}


def create_trigger(apps, schema_editor):
    for statement in TRIGGERS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    for statement in TRIGGERS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_report_export"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
    ]

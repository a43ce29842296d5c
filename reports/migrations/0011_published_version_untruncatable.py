# PostgreSQL's TRUNCATE fires no row triggers, so the refusals of 0002 (UPDATE) and 0004
# (DELETE) did not cover it: published versions could be truncated away and inserted
# again with forged content and matching checksums. A statement-level trigger refuses it.
#
# It refuses only while the table holds a version, as SQLite's row trigger of 0004 refuses
# only a DELETE that meets a row: a TRUNCATE of an empty table destroys nothing, and
# `manage.py flush` (the test runner's flush after each test whose transactions commit,
# bench/scale_data.py --force) truncates every table of a database in one statement.
# Where versions must go for a test, tests/conftest.py removes them past the triggers.

from django.db import migrations

TRIGGERS = {
    "postgresql": (
        [
            "CREATE FUNCTION reports_publishedversion_untruncatable() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF EXISTS (SELECT 1 FROM reports_publishedversion) THEN "
            "RAISE EXCEPTION 'published versions are immutable'; END IF; "
            "RETURN NULL; END $$",
            "CREATE TRIGGER reports_publishedversion_untruncatable "
            "BEFORE TRUNCATE ON reports_publishedversion "
            "FOR EACH STATEMENT EXECUTE FUNCTION reports_publishedversion_untruncatable()",
        ],
        [
            "DROP TRIGGER IF EXISTS reports_publishedversion_untruncatable "
            "ON reports_publishedversion",
            "DROP FUNCTION IF EXISTS reports_publishedversion_untruncatable()",
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
        ("reports", "0010_lost_exports_and_publications"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
    ]

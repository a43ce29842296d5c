"""Backup and restore as docs/operations.md describes them give back every row: the
Dresden data set is backed up, restored into a fresh database and compared table by
table (schema, rows, sequences). PostgreSQL: pg_dump -Fc and pg_restore; SQLite: the
sqlite3 backup API (what the sqlite3 shell's .backup and .restore use)."""

import os
import re
import shutil
import sqlite3
import subprocess

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the test database is not PostgreSQL (run with DATABASE_URL=postgres://…)",
)
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the test database is not SQLite"
)


def pg_snapshot(cursor):
    """Everything a restore must reproduce: tables with their rows, indexes,
    constraints and the next value of each sequence."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    tables = [name for (name,) in cursor.fetchall()]
    snapshot = {}
    for table in tables:
        # A row as text compares any column type; ordering by it makes the order stable.
        cursor.execute(f'SELECT t::text FROM "{table}" AS t ORDER BY 1')
        snapshot[table] = [row for (row,) in cursor.fetchall()]
    # A partial index's predicate is parsed again on restore, like a CHECK (below): an
    # IN list comes back with its casts moved. The index is compared up to WHERE, and
    # whether it has a predicate.
    cursor.execute(
        "SELECT split_part(indexdef, ' WHERE ', 1), indexdef LIKE '% WHERE %'"
        " FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    )
    snapshot["-- indexes"] = cursor.fetchall()
    # A CHECK constraint's text is parsed again on restore and may come back written
    # differently (casts moved) though equal, so it is compared by name and kind.
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, contype,"
        " CASE WHEN contype = 'c' THEN '' ELSE pg_get_constraintdef(oid) END"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
    )
    snapshot["-- constraints"] = cursor.fetchall()
    cursor.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
    )
    snapshot["-- sequences"] = cursor.fetchall()
    return snapshot


@on_postgresql
def test_pg_dump_and_pg_restore_give_back_every_row(dresden_committed, tmp_path):
    import psycopg

    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "needs postgresql-client"
    db = connection.settings_dict
    env = {**os.environ, "PGUSER": db["USER"] or "postgres"}
    if db["HOST"]:
        env["PGHOST"] = db["HOST"]
    if db["PORT"]:
        env["PGPORT"] = str(db["PORT"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    restored_name = f"{db['NAME']}_restore_{os.getpid()}"[:63]
    dump = tmp_path / "backup.dump"

    def run(*command):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

    def connect(name):
        # Autocommit: a read leaves no transaction open whose locks would keep the
        # restore's --clean waiting.
        return psycopg.connect(
            autocommit=True,
            dbname=name,
            user=env["PGUSER"],
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            password=db["PASSWORD"] or None,
        )

    with connection.cursor() as cursor:
        original = pg_snapshot(cursor)
    assert len(original["measures_measure"]) > 40, "the Dresden data set is not loaded"

    run("pg_dump", "--format=custom", f"--file={dump}", db["NAME"])
    admin = connect("postgres")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{restored_name}"')
        restore = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        run(*restore, f"--dbname={restored_name}", str(dump))
        restored = connect(restored_name)
        try:
            with restored.cursor() as cursor:
                assert pg_snapshot(cursor) == original

            # Restoring over a database that changed since the backup puts it back.
            with restored.transaction(), restored.cursor() as cursor:
                cursor.execute("UPDATE measures_measure SET title = 'geändert'")
                cursor.execute("DELETE FROM django_session")
                cursor.execute("CREATE TABLE stray (id int)")
            run(*restore, f"--dbname={restored_name}", str(dump))
            with restored.cursor() as cursor:
                snapshot = pg_snapshot(cursor)
            # --clean drops what the backup has, not what was added since.
            assert snapshot.pop("stray") == []
            assert snapshot == original
        finally:
            restored.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        admin.close()
        dump.unlink(missing_ok=True)


def sqlite_snapshot(database):
    """Schema and every table's rows of a sqlite3 connection."""
    schema = database.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 2"
    ).fetchall()
    snapshot = {"-- schema": schema}
    for kind, table, _sql in schema:
        if kind == "table":
            rows = database.execute(f'SELECT * FROM "{table}"').fetchall()
            snapshot[table] = sorted(rows, key=repr)
    snapshot["-- sequences"] = sorted(database.execute("SELECT * FROM sqlite_sequence"))
    return snapshot


def regexp(pattern, value):
    return value is not None and re.search(pattern, str(value)) is not None


@on_sqlite
def test_sqlite_backup_and_restore_give_back_every_row(dresden_committed, tmp_path):
    # The test database may be in memory; the backup API copies it all the same.
    connection.ensure_connection()
    live = connection.connection
    original = sqlite_snapshot(live)
    assert len(original["measures_measure"]) > 40, "the Dresden data set is not loaded"

    backup_file = tmp_path / "backup.sqlite3"
    backup = sqlite3.connect(backup_file)
    # Read back with the same type conversions as Django's connection.
    restored = sqlite3.connect(
        ":memory:", detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
    )
    try:
        live.backup(backup)
        # A CHECK constraint with a __regex lookup calls REGEXP, which Django (and the
        # sqlite3 shell) provide; a plain connection needs it for the integrity check.
        backup.create_function("REGEXP", 2, regexp, deterministic=True)
        assert backup.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        backup.backup(restored)
        assert sqlite_snapshot(restored) == original
    finally:
        backup.close()
        restored.close()
        backup_file.unlink(missing_ok=True)

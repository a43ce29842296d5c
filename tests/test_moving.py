"""The move from SQLite to another database as docs/operations.md describes it:
dumpdata by natural keys, migrate, loaddata. The database `make run` made (the Dresden
data set with its history, the demo accounts) comes back record by record (here into
a second SQLite file; the commands are the same for PostgreSQL)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from .e2e.make_run import bootstrapped_sqlite

# Its commands run on SQLite files of their own, whatever the suite's database.
pytestmark = pytest.mark.database_independent

MOVED = ["working_groups", "measures", "reports", "accounts", "auth.user", "auth.group"]
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "django_tasks_database",
]


def manage(database, *arguments, **environment):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


def records(database):
    """Every moved record by model and natural key, without ids."""
    dump = json.loads(
        manage(database, "dumpdata", "--natural-foreign", "--natural-primary", *MOVED)
    )
    by_model = {}
    for record in dump:
        fields = dict(record["fields"])
        if record["model"].split(".")[1].startswith("historical"):
            # History rows are keyed by their own id, which the load keeps; compared by
            # what they record of whom and what (their times are written to the file
            # in milliseconds).
            fields = {
                "pk": record.get("pk"),
                **{k: fields.get(k) for k in ("id", "history_type", "history_user")},
            }
        by_model.setdefault(record["model"], []).append(json.dumps(fields, sort_keys=True))
    return {model: sorted(rows) for model, rows in by_model.items()}


def test_dumpdata_by_natural_keys_moves_every_record(tmp_path):
    old, new, moved = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3", tmp_path / "moved.json"
    # migrate and bootstrap_demo, as `make run` runs them (or a copy of what they wrote
    # for a site of an earlier test: tests/e2e/make_run.py)
    bootstrapped_sqlite(old)
    arguments = ["--natural-foreign", "--natural-primary", "-o", str(moved)]
    for app in EXCLUDED:
        arguments += ["-e", app]
    manage(old, "dumpdata", *arguments)
    manage(new, "migrate", "--noinput", "-v0")
    manage(new, "loaddata", str(moved), SIMPLE_HISTORY_ENABLED="0")
    before, after = records(old), records(new)
    assert before["working_groups.municipality"]
    assert before["measures.historicalmeasure"], "the history moves too"
    assert before == after

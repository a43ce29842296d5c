"""Faults of a running installation, with real processes: a task worker killed with
``kill -9`` in the middle of a task, and the database's connections cut as a restart of
PostgreSQL cuts them. The site runs as `make run` runs it (tests/e2e/make_run.py), or
gunicorn and a worker run on the test database; nothing here is simulated inside the
test's process.

Each fault runs once in CI. What the killed worker leaves behind (a task "running", its
record "being rendered", a render in a child process) and how the pages find it lost go
through the ORM alike on either database, and the worker holds no transaction while it
renders (django-tasks-db commits the claim first): CI runs that case on SQLite, the
database of `make run` (marked ``database_independent``). Cut connections exist on
PostgreSQL only: that case runs there, for the web process and the worker.

The other fault cases are tests of their own: no worker at all (the waiting pages say
so: test_lost_tasks.py, test_publishing.py, test_password_reset.py; /healthz/ready/:
test_redis_outage.py), Redis stopped (test_redis_outage.py)."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from .e2e.make_run import served_like_make_run

SLUG = "umsetzungsbericht-2009-2014"
EXPORT_URL = reverse("reports:report_export", args=[SLUG, "pdf"])
LOST = "Die Hintergrundverarbeitung wurde während der Arbeit beendet; bitte erneut starten."
RUNNING = re.compile(r"Task id=(\S+) path=reports\.tasks\.render_export state=RUNNING")

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the test database is not PostgreSQL (run with DATABASE_URL=postgres://…)",
)


class Visitor:
    """A person's browser without the browser: cookies, forms with their CSRF token."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def get(self, path):
        return self._open(urllib.request.Request(self.url + path))

    def post(self, path, data=None):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, **(data or {})})
        return self._open(urllib.request.Request(self.url + path, data=body.encode()))

    def _open(self, request):
        request.add_header("Accept-Language", "de")
        try:
            with self.opener.open(request, timeout=30) as response:
                page = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            page = error.code, error.headers, error.read()
        page = (*page[:2], page[2].decode(errors="replace"))
        if found := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page[2]):
            self.token = found[1]
        return page

    def log_in(self, username):
        self.get("/konto/login/")
        status, _headers, page = self.post(
            "/konto/login/", {"username": username, "password": "demo"}
        )
        assert status == 200 and "Abmelden" in page, page


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def children(pid):
    """The processes ``pid`` started (its bounded render, helpers/bounded.py)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def manage(site, code):
    """Python run by `manage.py shell` on the site's database."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def cut_connections(database_name, keep=None):
    """What a restart of PostgreSQL does to the connections to a database: the server
    ends each of them (but the backend ``keep``, the test's own). Returns how many it
    ended."""
    import psycopg

    server = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        host=server["HOST"] or "127.0.0.1",
        port=server["PORT"] or 5432,
        user=server["USER"],
        password=server["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
            [database_name, keep or 0],
        ).fetchone()[0]


@pytest.mark.database_independent
def test_a_worker_killed_during_an_export_loses_it_and_the_bureau_starts_again(tmp_path):
    with served_like_make_run(tmp_path) as site:
        bureau = Visitor(site.url)
        bureau.log_in("buero")
        bureau.get(EXPORT_URL)
        bureau.post(EXPORT_URL)

        # The worker that took the task, and the moment it typesets the PDF (step 2).
        def taken():
            for worker, log in zip(site.workers, site.worker_logs, strict=True):
                if found := RUNNING.search(log.read_text(errors="replace")):
                    return worker, found[1]
            return None

        worker, task_id = wait_for(taken, 60, "a worker taking the export")
        wait_for(lambda: 'value="2"' in bureau.get(EXPORT_URL)[2], 30, "typesetting")
        # The worker typesets in a child process (helpers/bounded.py).
        render = wait_for(lambda: children(worker.pid), 30, "the typesetting")
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL

        try:
            # Within the time the task may take, the page cannot tell and waits.
            status, headers, page = bureau.get(EXPORT_URL)
            assert headers["Refresh"] == "3" and LOST not in page
            # The render the worker had started does not outlive it for long.
            wait_for(lambda: not any(alive(pid) for pid in render), 60, "the render ending")
        finally:
            for pid in render:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)

        # Time passes beyond what the task may take (helpers/worker.py).
        manage(
            site,
            "import datetime\n"
            "from django.db.models import F\n"
            "from django_tasks_db.models import DBTaskResult\n"
            "from helpers.worker import lost_after\n"
            "from reports.models import ReportExport\n"
            "from reports.tasks import render_export\n"
            "ago = lost_after(render_export) + datetime.timedelta(minutes=1)\n"
            f"task = DBTaskResult.objects.filter(pk='{task_id}', status='RUNNING')\n"
            "assert task.update(started_at=F('started_at') - ago,"
            " enqueued_at=F('enqueued_at') - ago) == 1\n"
            "assert ReportExport.objects.filter(state='running')"
            ".update(requested_at=F('requested_at') - ago) == 1\n",
        )
        status, headers, page = bureau.get(EXPORT_URL)
        assert status == 200 and "Refresh" not in headers, "the page stops waiting"
        assert LOST in page and f'action="{EXPORT_URL}"' in page, "and offers to start again"

        # The bureau starts again; the other worker renders it.
        bureau.post(EXPORT_URL)
        wait_for(lambda: "Refresh" not in bureau.get(EXPORT_URL)[1], 90, "the new export")
        status, headers, pdf = bureau.get(reverse("reports:report_download", args=[SLUG, "pdf"]))
        assert status == 200 and headers["Content-Type"] == "application/pdf", pdf[:500]
        manage(
            site,
            "from django_tasks_db.models import DBTaskResult\n"
            f"lost = DBTaskResult.objects.get(pk='{task_id}')\n"
            "assert lost.status == 'FAILED', lost.status\n"
            "assert lost.exception_class_path == 'helpers.worker.WorkerLost'\n",
        )
        assert not site.problems()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_pages_and_the_worker_go_on_after_postgresql_ended_every_connection(tmp_path):
    """gunicorn keeps its connection between requests (CONN_MAX_AGE), the worker its
    connection between tasks; after a restart of PostgreSQL those connections are dead,
    and the next request or task must not fail on them (CONN_HEALTH_CHECKS: Django
    tests a kept connection before it reuses it)."""
    from django.test import override_settings
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from measures.tasks import send_daily_reminders

    from .test_serving import free_port, wait_for_port

    db = connection.settings_dict
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")},
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DEBUG": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        # One process with one thread: every request on the same kept connection.
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=(tmp_path / "gunicorn.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        + ["--interval", "0.2", "--verbosity", "1"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, server, time.monotonic() + 30)
        visitor = Visitor(f"http://127.0.0.1:{port}")

        def pages_answer():
            status, _headers, body = visitor.get(reverse("ready"))
            assert (status, body) == (200, '{"database": "ok", "cache": "ok", "worker": "ok"}')
            assert visitor.get(reverse("login"))[0] == 200

        def worker_takes_a_task():
            # Queued in the database, as a request queues it (the tests' own tasks
            # run at once otherwise: tests/conftest.py).
            backend = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
            with override_settings(TASKS={"default": backend}):
                task_id = send_daily_reminders.enqueue().id
            done = wait_for(
                lambda: (
                    DBTaskResult.objects.filter(pk=task_id)
                    .exclude(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
                    .first()
                ),
                30,
                "the worker taking a task",
            )
            assert done.status == TaskResultStatus.SUCCESSFUL, done.traceback

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own = cursor.fetchone()[0]
        pages_answer()
        worker_takes_a_task()
        for _restart in range(2):
            # The server's and the worker's, at least (a process may hold another one
            # for a moment, e.g. the worker while it records a result).
            assert cut_connections(db["NAME"], keep=own) >= 2, "both kept their connection"
            pages_answer()
            worker_takes_a_task()
        assert worker.poll() is None, "the worker goes on"
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=30)
    for log in ("gunicorn.log", "worker.log"):
        text = (tmp_path / log).read_text()
        assert "Traceback" not in text, text

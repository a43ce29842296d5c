"""A site served the way `make run` serves it: its own database (a SQLite file, or a
database of its own on the PostgreSQL server the suite runs on), migrated and loaded
by `bootstrap_demo`, the development server and two `db_worker` processes next to it,
each a process of its own. The journeys across roles run against it, because where the
parts meet (a request and the worker writing at the same time, a mail sent by the
worker) the test server of pytest-django, in the test's process and transaction,
does not show what a person sees.

The first site of a test process runs `migrate` and `bootstrap_demo` on its database
and keeps a copy of the result as a template; the next sites of the process start from
a copy of the template (what the two commands would write again), as `make run` starts
again on the database it made before."""

import atexit
import email
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from email.header import decode_header, make_header
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(settings, database_url):
    """The environment of a site's processes."""
    env = {
        **os.environ,
        **settings,
        "DATABASE_URL": database_url,
        # Another run's pages must not answer from a shared cache.
        "CACHE_KEY_PREFIX": f"journey-{uuid.uuid4().hex[:8]}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _bootstrap(settings, database_url):
    """What `make run` does to the database before it serves."""
    env = _environment(settings, database_url)
    for command in (["migrate", "--noinput", "-v0"], ["bootstrap_demo"]):
        subprocess.run(
            MANAGE + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )


# What `make run` adds to the environment.
MAKE_RUN = {
    "DEBUG": "1",
    "PYTHONUNBUFFERED": "1",
    "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
}

# Per kind of database and added settings: the template database of this process.
_templates = {}


def bootstrapped_sqlite(target, settings=MAKE_RUN):
    """A SQLite file at ``target`` as `make run` leaves it after `migrate` and
    `bootstrap_demo`: a copy of this process's template, made on the first call."""
    key = (False, tuple(sorted(settings.items())))
    if key not in _templates:
        folder = tempfile.mkdtemp(prefix="make-run-")
        atexit.register(shutil.rmtree, folder, True)
        _templates[key] = os.path.join(folder, "db.sqlite3")
        _bootstrap(settings, f"sqlite:///{_templates[key]}")
    # The backup API copies the pages of a database that may still have a WAL file.
    source, copy = sqlite3.connect(_templates[key]), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


@contextmanager
def _database(tmp_path, settings):
    """DATABASE_URL of a new database of the kind the suite runs on, bootstrapped as
    `make run` bootstraps it (``settings``: what the site's environment adds)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        bootstrapped_sqlite(tmp_path / "db.sqlite3", settings)
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import psycopg

    key = (True, tuple(sorted(settings.items())))
    config = dj_database_url.parse(url)
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"],
        "dbname": "postgres",
    }

    def url_of(name):
        return url.rsplit("/", 1)[0] + f"/{name}"

    def drop(name):
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    if key not in _templates:
        template = f"it_journey_template_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{template}"')
        atexit.register(drop, template)
        _bootstrap(settings, url_of(template))
        _templates[key] = template
    name = f"it_journey_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**server, autocommit=True) as admin:
        # A copy at the speed of the file system; nobody is connected to the template.
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_templates[key]}"')
    try:
        yield url_of(name)
    finally:
        drop(name)


class Site:
    """The running site: its URL, what its processes wrote, its worker processes and
    the environment they run in (for a `manage.py` command on the site's database)."""

    def __init__(self, url, server_log, worker_logs, workers=(), env=None):
        self.url = url
        self.server_log = server_log
        self.worker_logs = worker_logs
        self.workers = list(workers)
        self.env = env

    def server_output(self):
        return self.server_log.read_text(errors="replace")

    def worker_output(self):
        return "\n".join(log.read_text(errors="replace") for log in self.worker_logs)

    def mails(self):
        """The e-mails the worker printed (the console backend of `make run`), each as
        a dict of its recipient, subject (decoded) and body."""
        found = []
        for chunk in re.split(r"^-{79}$", self.worker_output(), flags=re.M):
            start = chunk.find("Content-Type:")
            if start < 0 or "\nTo:" not in chunk:
                continue
            message = email.message_from_string(chunk[start:])
            found.append(
                {
                    "to": message["To"],
                    "subject": str(make_header(decode_header(message["Subject"]))),
                    "body": _body(message),
                }
            )
        return found

    def problems(self):
        """Lines of the server's log that no journey may produce."""
        lines = self.server_output().splitlines() + self.worker_output().splitlines()
        return [
            line
            for line in lines
            if "database is locked" in line or re.search(r'" 5\d\d \d', line) or "Traceback" in line
        ]


def _body(message):
    # The console shows 8-bit text as it is; other encodings are undone.
    if message["Content-Transfer-Encoding"] in ("quoted-printable", "base64"):
        return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return message.get_payload()


def _wait_for(port, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server stopped:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The server did not answer in {seconds} s")


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def served_like_make_run(tmp_path, **environment):
    """Migrate, `bootstrap_demo` (or a copy of what they wrote for an earlier site),
    then the development server and two workers, as `make run` starts them;
    ``environment`` adds settings (e.g. public pages)."""
    settings = {**MAKE_RUN, **environment}
    with _database(tmp_path, settings) as database_url:
        env = _environment(settings, database_url)
        port = _free_port()
        server_log = tmp_path / "server.log"
        worker_logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
        workers = []
        with server_log.open("wb") as server_out:
            for worker_log in worker_logs:
                with worker_log.open("wb") as worker_out:
                    workers.append(
                        subprocess.Popen(
                            MANAGE + ["db_worker", "--no-reload", "--verbosity", "1"],
                            cwd=ROOT,
                            env=env,
                            stdout=worker_out,
                            stderr=subprocess.STDOUT,
                        )
                    )
            server = subprocess.Popen(
                MANAGE + ["runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=server_out,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_for(port, server, server_log)
                yield Site(f"http://127.0.0.1:{port}", server_log, worker_logs, workers, env)
            finally:
                _stop(server)
                for worker in workers:
                    _stop(worker)

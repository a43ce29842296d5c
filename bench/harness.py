"""What `make bench` (bench/run.py) and `make loadtest` (bench/loadtest.py) share:
throwaway databases and a throwaway Redis database, the scale data in them, the
application under gunicorn with production settings on a loopback port, and the steps
that run inside Django (bench/steps.py, bench/load_steps.py) as subprocesses.

Nothing here imports Django: the scripts drive the application from outside, as a
deployment would.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
# The PostgreSQL server used when DATABASE_URL does not name one.
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
# The Redis database the tooling empties at its start and end: its own number, so that
# no other use of the local Redis loses its keys.
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], env=env, cwd=ROOT, check=True)


def step(script, name, env, directory, *args):
    """Runs STEP of a Django-side script (`python bench/SCRIPT STEP OUTPUT [ARGS]`) and
    returns the JSON it wrote."""
    output = Path(directory) / f"{name}-{secrets.token_hex(4)}.json"
    subprocess.run(
        [PYTHON, f"bench/{script}", name, str(output), *map(str, args)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return json.loads(output.read_text())


# --- throwaway databases ----------------------------------------------------------


def postgres_server_url():
    """The server named by DATABASE_URL when it is a PostgreSQL URL, else the local one."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else LOCAL_POSTGRES


def _postgres_connection(server_url, **options):
    import psycopg  # installed with the project

    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/") or "postgres",
        **options,
    )


def postgres_version(server_url):
    """The server's version, or None when it cannot be reached."""
    try:
        connection = _postgres_connection(server_url, connect_timeout=3)
    except Exception:  # psycopg.OperationalError; psycopg is imported lazily
        return None
    with contextlib.closing(connection), connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


class SQLiteDatabases:
    """Database files in a directory that the caller removes."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def url(self, name):
        return f"sqlite:///{self.directory / f'{name}.sqlite3'}"

    def create_empty(self, name):
        return self.url(name)

    def copy(self, source, name):
        shutil.copyfile(self.directory / f"{source}.sqlite3", self.directory / f"{name}.sqlite3")
        return self.url(name)

    def drop_all(self):
        pass  # the directory goes


class PostgresDatabases:
    """Databases named it_bench_<pid>_<name> on the server of server_url, dropped by
    drop_all."""

    def __init__(self, server_url):
        self.parts = urlsplit(server_url)
        self.prefix = f"it_bench_{os.getpid()}"
        self.created = []
        self.admin = _postgres_connection(server_url)
        self.admin.autocommit = True

    def url(self, name):
        return urlunsplit(self.parts._replace(path=f"/{self.prefix}_{name}"))

    def _execute(self, sql):
        with self.admin.cursor() as cursor:
            cursor.execute(sql)

    def create_empty(self, name):
        self._execute(f'CREATE DATABASE "{self.prefix}_{name}"')
        self.created.append(name)
        return self.url(name)

    def copy(self, source, name):
        self._execute(f'CREATE DATABASE "{self.prefix}_{name}" TEMPLATE "{self.prefix}_{source}"')
        self.created.append(name)
        return self.url(name)

    def drop_all(self):
        for name in reversed(self.created):
            self._execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        self.created = []
        self.admin.close()


def scale_databases(databases, scales, env):
    """Migrates an empty database once and fills a copy of it per scale with
    generate_scale_data. Returns {scale: database URL} and {scale: seconds generating}."""
    manage({**env, "DATABASE_URL": databases.create_empty("base")}, "migrate", "--noinput", "-v0")
    urls, seconds = {}, {}
    for scale in scales:
        urls[scale] = databases.copy("base", scale.lower())
        log(f"generating scale {scale}")
        started = time.monotonic()
        manage({**env, "DATABASE_URL": urls[scale]}, "generate_scale_data", "--scale", scale, "-v0")
        seconds[scale] = time.monotonic() - started
    return urls, seconds


# --- a throwaway Redis database ----------------------------------------------------


def redis_version(url):
    """The server's version, or None when it cannot be reached."""
    import redis  # installed with the project

    try:
        with contextlib.closing(redis.Redis.from_url(url, socket_timeout=3)) as client:
            return client.info("server")["redis_version"]
    except redis.RedisError:
        return None


class ThrowawayRedis:
    """The Redis database of url, emptied now, by empty() and by close(). Cache keys do
    not name the database they describe, so every database gets an empty cache."""

    def __init__(self, url):
        import redis  # installed with the project

        self.url = url
        self.client = redis.Redis.from_url(url)
        self.empty()

    def empty(self):
        self.client.flushdb()

    def close(self):
        self.empty()
        self.client.close()


# --- the application under gunicorn -----------------------------------------------


def server_env(directory, redis_url=None):
    """The environment of production settings served over plain HTTP on loopback, with
    the bench app installed; a shared Redis cache only when redis_url is given."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "BENCH_TOOLS": "1",
        # The logged-in ceiling (bench/views.py): only the benchmark tooling serves it.
        "BENCH_CEILING": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "ERROR",
        # Collected into the temporary directory, not the checkout's staticfiles/.
        "STATIC_ROOT": str(Path(directory) / "static"),
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env, port, log_path):
    """gunicorn with gunicorn.conf.py on HOST:port until the block ends."""
    env = {
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        # No worker restarts in the middle of a measurement.
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    args = [str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py"]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log_file, stderr=log_file)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://{HOST}:{port}/healthz/", timeout=2):
                        break
                except OSError:  # refused, reset or timed out while it starts
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

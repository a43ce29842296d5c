"""`make loadtest`: 30 seconds of mixed traffic at 32 concurrent connections against
gunicorn with production settings on PostgreSQL, with zero errors allowed and no
status entry lost.

Builds a throwaway PostgreSQL database (on the server DATABASE_URL names, else the
local one on 127.0.0.1:5432, started if it is down), generates scale M (or
LOADTEST_SCALE), serves it with gunicorn on a loopback port and runs 32 client
threads, each on its own keep-alive connection: office staff of several offices
enter status entries (reading the form, posting it with its CSRF token and the
measure's version), the council and the bureau read every page type. Any answer
other than the expected one, and any exception, is an error. Afterwards the number
of status entries in the database must have grown by exactly the number of entries
the server confirmed. All traffic stays on 127.0.0.1; the run stops by itself.

Environment: LOADTEST_SECONDS (30), LOADTEST_CONNECTIONS (32), LOADTEST_WRITERS (8),
LOADTEST_SCALE (M), DATABASE_URL (a postgres:// URL whose server to use).
"""

import datetime
import http.client
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HOST, PYTHON, ROOT, PostgresDatabases, free_port, gunicorn, log  # noqa: E402

LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="measure_version" value="(\d+)"')
# How often each kind of visitor acts: writers and readers of pages every user sees.
READER_MIX = [("council", 10), ("bureau", 6), ("anonymous", 2), ("slow", 0.05)]


def ensure_postgres():
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
        return
    versions = sorted(os.listdir("/etc/postgresql"))
    log("starting PostgreSQL")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=True
    )
    for _ in range(30):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(1)
    sys.exit("PostgreSQL did not start.")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.errors = []
        self.confirmed_entries = 0

    def record(self, kind, seconds):
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def error(self, message):
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(message)
            else:
                self.errors.append("…")


class Client:
    """One keep-alive HTTP connection with its own cookies."""

    # gunicorn closes a keep-alive connection after 5 idle seconds (gunicorn.conf.py);
    # a connection idle for longer is opened anew before the next request, as
    # browsers and HTTP libraries do, rather than counted as an error.
    IDLE_SECONDS = 4

    def __init__(self, port, cookies):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies = dict(cookies)
        self.last_used = time.monotonic()

    def request(self, method, path, body=None):
        if time.monotonic() - self.last_used > self.IDLE_SECONDS:
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        seconds = time.perf_counter() - started
        self.last_used = time.monotonic()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content, seconds


def reader(port, setup, tally, stop, rnd):
    kinds = [kind for kind, _ in READER_MIX]
    weights = [weight for _, weight in READER_MIX]
    clients = {
        "council": Client(port, {setup["cookie_name"]: setup["sessions"]["council"]}),
        "bureau": Client(port, {setup["cookie_name"]: setup["sessions"]["bureau"]}),
        "anonymous": Client(port, {}),
        "slow": Client(port, {setup["cookie_name"]: setup["sessions"]["council"]}),
    }
    while not stop.is_set():
        kind = rnd.choices(kinds, weights)[0]
        path = rnd.choice(setup["pages"][kind])
        try:
            status, _content, seconds = clients[kind].request("GET", path)
        except Exception as error:  # a refused or broken connection is an error
            tally.error(f"GET {path}: {error!r}")
            clients[kind] = Client(port, clients[kind].cookies)
            continue
        tally.record(f"GET {kind}", seconds)
        if status != 200:
            tally.error(f"GET {path} as {kind}: HTTP {status}")


def writer(port, setup, spec, tally, stop, rnd):
    client = Client(port, {setup["cookie_name"]: spec["session"]})
    while not stop.is_set():
        measure = rnd.choice(spec["measures"])
        path = f"/massnahmen/{measure}/sachstand/"
        try:
            status, content, seconds = client.request("GET", path)
            tally.record("GET entry form", seconds)
            if status != 200:
                tally.error(f"GET {path} as {spec['user']}: HTTP {status}")
                continue
            page = content.decode("utf-8")
            form = {
                "csrfmiddlewaretoken": TOKEN.search(page).group(1),
                "measure_version": VERSION.search(page).group(1),
                "status": "in_progress",
                "progress": str(rnd.randint(1, 99)),
                "as_of": datetime.date.today().isoformat(),
                "note": f"Lasttest {secrets.token_hex(4)}",
                "internal_note": "",
                "reason": "",
                "submit": "1",
            }
            status, content, seconds = client.request("POST", path, urlencode(form))
        except Exception as error:
            tally.error(f"{path} as {spec['user']}: {error!r}")
            client = Client(port, client.cookies)
            continue
        tally.record("POST status entry", seconds)
        if status == 302:
            with tally.lock:
                tally.confirmed_entries += 1
        else:
            tally.error(f"POST {path} as {spec['user']}: HTTP {status}")


def step(name, env, directory):
    output = Path(directory) / f"{name}-{secrets.token_hex(4)}.json"
    subprocess.run(
        [PYTHON, "bench/load_steps.py", name, str(output)], env=env, cwd=ROOT, check=True
    )
    return json.loads(output.read_text())


def main():
    seconds = int(os.environ.get("LOADTEST_SECONDS", "30"))
    connections = int(os.environ.get("LOADTEST_CONNECTIONS", "32"))
    writers = int(os.environ.get("LOADTEST_WRITERS", "8"))
    scale = os.environ.get("LOADTEST_SCALE", "M").upper()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        ensure_postgres()
        server_url = LOCAL_SERVER

    with tempfile.TemporaryDirectory(prefix="it-loadtest-") as directory:
        databases = PostgresDatabases(server_url)
        env = {
            **os.environ,
            "DEBUG": "0",
            "BENCH_TOOLS": "1",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "ERROR",
            "STATIC_ROOT": str(Path(directory) / "static"),
            "LOADTEST_WRITERS": str(writers),
        }
        try:
            env["DATABASE_URL"] = databases.create_empty("load")
            log("migrating a throwaway PostgreSQL database")
            subprocess.run(
                [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
            )
            log(f"generating scale {scale}")
            subprocess.run(
                [PYTHON, "manage.py", "generate_scale_data", "--scale", scale, "-v0"],
                env=env,
                cwd=ROOT,
                check=True,
            )
            subprocess.run(
                [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
                env=env,
                cwd=ROOT,
                check=True,
            )
            setup = step("prepare", env, directory)
            before = step("count", env, directory)["status_entries"]
            port = free_port()
            tally = Tally()
            stop = threading.Event()
            rnd = random.Random(2009)
            log(
                f"{connections} connections for {seconds} s: "
                f"{len(setup['writers'])} office accounts writing, the rest reading"
            )
            with gunicorn(env, port, Path(directory) / "gunicorn.log"):
                threads = []
                for index in range(connections):
                    seed = rnd.randrange(1 << 30)
                    if index < len(setup["writers"]):
                        spec = setup["writers"][index]
                        args = (port, setup, spec, tally, stop, random.Random(seed))
                        threads.append(threading.Thread(target=writer, args=args))
                    else:
                        args = (port, setup, tally, stop, random.Random(seed))
                        threads.append(threading.Thread(target=reader, args=args))
                started = time.monotonic()
                for thread in threads:
                    thread.start()
                stop.wait(seconds)
                stop.set()
                for thread in threads:
                    thread.join(timeout=120)
                elapsed = time.monotonic() - started
            after = step("count", env, directory)["status_entries"]
            if tally.errors:
                log_text = (Path(directory) / "gunicorn.log").read_text(errors="replace")
                (ROOT / "loadtest-gunicorn.log").write_text(log_text)
                log("server log of the failed run: loadtest-gunicorn.log")
        finally:
            databases.drop_all()

    stored = after - before
    total = sum(len(values) for values in tally.latencies.values())
    print(f"\nLoad test: {connections} connections, {elapsed:.0f} s, scale {scale}, PostgreSQL")
    print(f"{'requests':<24}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, values in sorted(tally.latencies.items()):
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(
            f"{kind:<24}{len(values):>8}{statistics.median(values) * 1000:>10.0f}"
            f"{p95 * 1000:>10.0f}{values[-1] * 1000:>10.0f}"
        )
    print(f"{'all':<24}{total:>8}   ({total / elapsed:.0f} requests/s)")
    print(f"status entries confirmed {tally.confirmed_entries}, stored {stored}")
    print(f"errors: {len(tally.errors)}")
    for message in tally.errors[:20]:
        print(f"  {message}")
    if tally.errors or stored != tally.confirmed_entries or not tally.confirmed_entries:
        sys.exit("Load test failed: errors, a lost entry, or no entry written.")
    print("Load test passed: no error, no entry lost.")


if __name__ == "__main__":
    main()

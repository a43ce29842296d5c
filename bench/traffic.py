"""Traffic as people make it, for `make loadtest` and the reads-during-writes figure of
`make bench`: client threads, each on its own keep-alive connection with its own
session, reading pages or entering status entries through the real forms.

``setup`` is what `bench/load_steps.py prepare` returns: the session cookie's name,
per kind of reader its session and pages, and per writer its session and the status
forms of measures no other writer edits.
"""

import datetime
import http.client
import random
import re
import secrets
import threading
import time
from urllib.parse import urlencode

from bench.harness import HOST

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="measure_version" value="(\d+)"')
# The page that says an entry of the measure waits for review links to it.
WAITING = re.compile(r'href="[^"]*#entry-\d+"')


class Tally:
    """What the threads saw: latencies per kind of request, successful reads, entries
    the server confirmed, and the first errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.errors = []
        self.reads = 0
        self.confirmed_entries = 0

    def record(self, kind, seconds):
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def read(self):
        with self.lock:
            self.reads += 1

    def confirm_entry(self):
        with self.lock:
            self.confirmed_entries += 1

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

    @classmethod
    def with_session(cls, port, setup, session):
        return cls(port, {setup["cookie_name"]: session} if session else {})

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


def reader(port, setup, mix, tally, stop, rnd):
    """Reads until stop is set: each request of a kind drawn by the weights of mix
    ([(kind, weight)]), one of that kind's pages, as that kind's user."""
    kinds = [kind for kind, _ in mix]
    weights = [weight for _, weight in mix]
    readers = setup["readers"]
    clients = {kind: Client.with_session(port, setup, readers[kind]["session"]) for kind in kinds}
    while not stop.is_set():
        kind = rnd.choices(kinds, weights)[0]
        path = rnd.choice(readers[kind]["pages"])
        try:
            status, _content, seconds = clients[kind].request("GET", path)
        except Exception as error:  # a refused or broken connection is an error
            tally.error(f"GET {path}: {error!r}")
            clients[kind] = Client(port, clients[kind].cookies)
            continue
        tally.record(f"GET {kind}", seconds)
        if status == 200:
            tally.read()
        else:
            tally.error(f"GET {path} as {kind}: HTTP {status}")


def writer(port, setup, spec, tally, stop, rnd, interval=0):
    """Enters status entries until stop is set, as office staff do: reads the form of
    one of its measures and posts it with its CSRF token and the measure's version.
    With an interval, at most one entry per interval seconds. A submitted entry waits
    for review, and its measure takes no second one until then: each measure is
    written once, and a writer whose measures all wait stops writing."""
    client = Client.with_session(port, setup, spec["session"])
    open_forms = list(spec["forms"])
    while open_forms and not stop.is_set():
        began = time.monotonic()
        path = rnd.choice(open_forms)
        try:
            status, content, seconds = client.request("GET", path)
            tally.record("GET entry form", seconds)
            if status != 200:
                tally.error(f"GET {path} as {spec['user']}: HTTP {status}")
                continue
            page = content.decode("utf-8")
            version = VERSION.search(page)
            if version is None and WAITING.search(page):
                # An entry for this measure waits for review (the page says so).
                open_forms.remove(path)
                continue
            if version is None:
                tally.error(f"GET {path} as {spec['user']}: no status form on the page")
                continue
            form = {
                "csrfmiddlewaretoken": TOKEN.search(page).group(1),
                "measure_version": version.group(1),
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
            tally.confirm_entry()
            open_forms.remove(path)
        else:
            tally.error(f"POST {path} as {spec['user']}: HTTP {status}")
        if interval:
            stop.wait(interval - (time.monotonic() - began))


def drive(port, setup, *, readers, mix, writers, seconds, seed, write_interval=0):
    """Runs one thread per writer spec and `readers` reader threads for `seconds`, then
    waits for their last requests. Returns the Tally and the seconds it took."""
    tally = Tally()
    stop = threading.Event()
    rnd = random.Random(seed)
    threads = [
        threading.Thread(
            target=writer,
            args=(port, setup, spec, tally, stop, random.Random(rnd.randrange(1 << 30))),
            kwargs={"interval": write_interval},
        )
        for spec in writers
    ] + [
        threading.Thread(
            target=reader,
            args=(port, setup, mix, tally, stop, random.Random(rnd.randrange(1 << 30))),
        )
        for _ in range(readers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return tally, time.monotonic() - started

"""Production serving: collectstatic with production settings writes hashed,
precompressed files, and gunicorn with gunicorn.conf.py serves a page and its
stylesheet compressed and cacheable for good (through whitenoise)."""

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

# Migrates and serves a SQLite file of its own, whatever the suite's database.
pytestmark = pytest.mark.database_independent

STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, encoding=None):
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding or "identity"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, response.headers, response.read()


def wait_for_port(port, process, deadline):
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start listening")


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    """Production settings over plain HTTP on loopback, as a benchmark runs them, with
    static files collected into a temporary STATIC_ROOT."""
    root = tmp_path_factory.mktemp("serving")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "GUNICORN_"))},
        "DEBUG": "0",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(root / "static"),
        # The page below (Leichte Sprache) reads whether any municipality's pages are
        # public (its footer links the open data then).
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "SECURE_SSL_REDIRECT": "0",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collect.returncode == 0, collect.stderr
    return env, root / "static"


def test_collectstatic_writes_hashed_precompressed_files(production_env):
    _env, static = production_env
    manifest = json.loads((static / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    for suffix in ("", ".gz", ".br"):
        assert (static / (hashed + suffix)).is_file(), hashed + suffix


def test_gunicorn_serves_a_page_and_its_stylesheet_compressed_and_immutable(production_env):
    env, static = production_env
    hashed = json.loads((static / "staticfiles.json").read_text())["paths"]["css/site.css"]
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, server, time.monotonic() + 15)
        url = f"http://127.0.0.1:{port}"
        status, headers, body = get(f"{url}/leichte-sprache/")
        assert status == 200
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert f'href="/static/{hashed}"'.encode() in body

        original = (static / hashed).read_bytes()
        for encoding in ("br", "gzip"):
            status, headers, body = get(f"{url}/static/{hashed}", encoding=encoding)
            assert status == 200
            assert headers["Content-Encoding"] == encoding
            assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
            assert "Accept-Encoding" in headers["Vary"]
            assert len(body) < len(original)
        assert gzip.decompress(body) == original
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert "Using worker: gthread" in log
    assert f'"GET /static/{hashed} HTTP/1.1" 200' in log

"""Settings come from the environment; production refuses the development defaults."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

# Settings read in interpreters of their own, with databases of their own or none.
pytestmark = pytest.mark.database_independent

STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2


def load_settings(**env):
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
        }
    }
    clean.update(env)
    code = (
        "import integration_tracker.settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_development_defaults_need_no_variable():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")
    assert "sqlite3" in result.stdout


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", "False"), ("false", "False"), ("1", "True"), ("true", "True")]
)
def test_debug_accepts_0_1_true_false(raw, expected):
    result = load_settings(DEBUG=raw, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(expected)


def test_debug_with_a_typo_is_refused():
    result = load_settings(DEBUG="ja")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "0", "ALLOWED_HOSTS": "example.org"},
        {"DEBUG": "0", "ALLOWED_HOSTS": "example.org", "SECRET_KEY": "kurz"},
        {"DEBUG": "0", "ALLOWED_HOSTS": "example.org", "SECRET_KEY": "django-insecure-" + "x" * 60},
        {"DEBUG": "0", "SECRET_KEY": STRONG_KEY},
    ],
    ids=["no key", "short key", "insecure key", "no hosts"],
)
def test_production_refuses_to_start_without_real_key_and_hosts(env):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_postgres_url_selects_postgresql():
    result = load_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


def test_the_sqlite_default_serves_a_web_process_and_a_worker_side_by_side(tmp_path):
    """WAL (readers go on while the worker writes), write transactions that wait for
    the lock at BEGIN instead of failing on an upgrade, and a busy timeout: without
    them, publishing answered "database is locked" while `make run`'s worker ran."""
    code = (
        "import django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'integration_tracker.settings');"
        "django.setup();"
        "from django.db import connection, transaction;"
        "print(connection.settings_dict['OPTIONS']['transaction_mode']);"
        "print(connection.cursor().execute('PRAGMA journal_mode').fetchone()[0]);"
        "print(connection.cursor().execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["IMMEDIATE", "wal", "20000"]


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "de"
    assert [code for code, _name in settings.LANGUAGES] == ["de", "en"]
    assert settings.TIME_ZONE == "Europe/Berlin"


def test_gunicorn_runs_one_process_unless_the_cache_is_shared(monkeypatch):
    """A local-memory cache is one process's: without REDIS_URL a change made through
    one gunicorn process would not reach the pages cached by another."""
    import runpy
    from pathlib import Path

    conf = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert runpy.run_path(str(conf))["workers"] == 1
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert runpy.run_path(str(conf))["workers"] > 1

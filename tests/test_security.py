"""Security headers and cookies: the Content-Security-Policy on every page (in
development too), and with DEBUG off HSTS, the HTTPS redirect and __Host- cookies.

Settings are read at import time, so the production behaviour is checked in a fresh
interpreter with DEBUG=0 in its environment (an in-memory SQLite database there)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from .factories import MeasureFactory, MunicipalityFactory

STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2
HOST = "integration.example.org"

EXPECTED_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def policy(response):
    """The Content-Security-Policy header as {directive: {sources}}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


@pytest.mark.parametrize(
    "url",
    [
        reverse("login"),
        reverse("reports:accessibility"),
        reverse("reports:accessibility_feedback"),
        reverse("reports:easy_language"),
        reverse("reports:overview"),
        reverse("reports:open_data"),
    ],
)
def test_pages_carry_the_strict_policy(client, public_pages, url):
    MunicipalityFactory()
    response = client.get(url)
    assert response.status_code == 200
    assert policy(response) == EXPECTED_POLICY


def test_pages_behind_login_carry_the_strict_policy(client, office_staff):
    client.force_login(office_staff)
    response = client.get(reverse("measures:measure_list"))
    assert response.status_code == 200
    assert policy(response) == EXPECTED_POLICY


def test_a_login_error_and_a_404_carry_the_policy(client, db):
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 200
    assert policy(response) == EXPECTED_POLICY
    assert policy(client.get("/gibt-es-nicht/")) == EXPECTED_POLICY


def test_only_the_admin_export_page_allows_its_inline_attributes_by_hash(client, admin_user):
    client.force_login(admin_user)
    export = policy(client.get(reverse("admin:measures_measure_export")))
    # The page's "select all" handler and two style attributes, by hash; nothing else.
    assert export["script-src-attr"] - {"'unsafe-hashes'"} == {
        "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"
    }
    assert len(export["style-src-attr"] - {"'unsafe-hashes'"}) == 2
    assert "'unsafe-inline'" not in set().union(*export.values())
    assert {k: v for k, v in export.items() if not k.endswith("-attr")} == EXPECTED_POLICY
    measure = MeasureFactory()
    for url in [
        reverse("admin:measures_measure_changelist"),
        reverse("admin:measures_measure_change", args=[measure.pk]),
        reverse("admin:measures_measure_import"),
    ]:
        assert policy(client.get(url)) == EXPECTED_POLICY, url


# Runs in a fresh interpreter, on a database in memory (whatever the suite's database:
# CI runs these once, marked database_independent): requests through Django's test
# client against the settings the environment selects, and prints what a browser would
# be told.
PROBE = """
import json, django
from django.conf import settings

django.setup()
# Static files are not collected here; the manifest storage would refuse {% static %}.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
from django.apps import apps
from django.core.management import call_command
from django.contrib.auth.models import User
from django.test import Client

# The tables straight from the models (what the probe asks of the database is a user
# and a session): the migrations take seconds and are tested by every test run.
settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
call_command("migrate", run_syncdb=True, verbosity=0)
User.objects.create_user("probe", password="a-long-probe-password")
host = "integration.example.org"
client = Client(SERVER_NAME=host, enforce_csrf_checks=True)


def cookies(response):
    return {
        name: {
            "secure": bool(m["secure"]),
            "httponly": bool(m["httponly"]),
            "samesite": m["samesite"],
            "path": m["path"],
            "domain": m["domain"],
        }
        for name, m in response.cookies.items()
    }


def summary(response):
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "hsts": response.get("Strict-Transport-Security"),
        "csp": response.get("Content-Security-Policy"),
    }


plain = client.get("/konto/login/")
health = client.get("/healthz/")
proxied = client.get("/konto/login/", headers={"x-forwarded-proto": "https"})
form = client.get("/konto/login/", secure=True)
token = next(iter(form.cookies.values())).value
login = client.post(
    "/konto/login/",
    {"username": "probe", "password": "a-long-probe-password", "csrfmiddlewaretoken": token},
    secure=True,
    headers={"origin": "https://" + host},
)
print(json.dumps({
    "plain_http": summary(plain),
    "healthz_plain_http": summary(health),
    "behind_proxy": summary(proxied),
    "https": summary(form),
    "login": summary(login),
    "form_cookies": cookies(form),
    "login_cookies": cookies(login),
}))
"""


def probe(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
        and not k.startswith("SECURE_")
    }
    clean.update(DJANGO_SETTINGS_MODULE="integration_tracker.settings", **env)
    clean["DATABASE_URL"] = "sqlite://:memory:"
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=clean,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production():
    return probe(DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS=HOST)


@pytest.mark.database_independent
def test_production_cookies_are_host_prefixed_secure_and_lax(production):
    assert list(production["form_cookies"]) == ["__Host-csrftoken"]
    assert production["login"]["status"] == 302, "the login with the __Host- CSRF cookie failed"
    assert set(production["login_cookies"]) == {"__Host-sessionid", "__Host-csrftoken"}
    for name, cookie in production["login_cookies"].items():
        # __Host-: Secure, Path=/ and no Domain, or the browser drops the cookie.
        assert cookie["secure"], name
        assert cookie["path"] == "/", name
        assert cookie["domain"] == "", name
        assert cookie["samesite"] == "Lax", name
    assert production["login_cookies"]["__Host-sessionid"]["httponly"]


@pytest.mark.database_independent
def test_production_sends_hsts_over_https_and_redirects_http(production):
    hsts = "max-age=31536000; includeSubDomains; preload"
    assert production["https"]["status"] == 200
    assert production["https"]["hsts"] == hsts
    assert production["behind_proxy"]["hsts"] == hsts
    assert production["plain_http"]["status"] == 301
    assert production["plain_http"]["location"] == f"https://{HOST}/konto/login/"
    assert production["plain_http"]["hsts"] is None
    assert "frame-ancestors 'none'" in production["https"]["csp"]
    # A load balancer's health check over plain HTTP is answered, not redirected.
    assert production["healthz_plain_http"]["status"] == 200


@pytest.mark.database_independent
def test_production_settings_can_serve_plain_http_on_loopback_for_a_benchmark():
    result = probe(DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS=HOST, SECURE_SSL_REDIRECT="0")
    assert result["plain_http"]["status"] == 200
    assert result["plain_http"]["hsts"] is None
    assert "default-src 'self'" in result["plain_http"]["csp"]


@pytest.mark.database_independent
def test_development_keeps_plain_cookie_names_for_http():
    result = probe(DEBUG="1", ALLOWED_HOSTS=HOST)
    assert result["plain_http"]["status"] == 200
    assert "default-src 'self'" in result["plain_http"]["csp"]
    assert set(result["login_cookies"]) == {"sessionid", "csrftoken"}
    assert not result["login_cookies"]["sessionid"]["secure"]

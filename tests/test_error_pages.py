"""The site's own error pages, as with DEBUG off: German (English on request), the
site's header, a way back to the start page, and nothing the CSP would block."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation

from helpers import errors

pytestmark = pytest.mark.django_db


def assert_site_page(response, status, heading):
    assert response.status_code == status
    content = response.content.decode()
    assert '<html lang="de">' in content
    assert f"<h1>{heading}</h1>" in content
    assert 'class="brand"' in content
    assert 'href="/">Zur Startseite</a>' in content
    assert not re.search(r"<style|<script|\sstyle=|\son[a-z]+=", content)
    assert "Content-Security-Policy" in response.headers
    return content


@override_settings(DEBUG=False)
def test_unknown_address_gives_the_site_404_page(client):
    response = client.get("/gibt-es-nicht/")
    content = assert_site_page(response, 404, "Seite nicht gefunden")
    assert "Not Found" not in content


@override_settings(DEBUG=False)
def test_refused_page_names_the_account_and_offers_another_login(client, council_member):
    client.force_login(council_member)
    response = client.get(reverse("measures:measure_list"))
    content = assert_site_page(response, 403, "Sie dürfen diese Seite nicht öffnen")
    assert "Sie sind als council angemeldet" in content
    assert "Als andere Person anmelden" in content
    assert "/konto/login/?next=/massnahmen/" in content


@override_settings(DEBUG=False)
def test_post_without_csrf_token_gives_the_site_page(council_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(council_member)
    response = client.post(reverse("logout"))
    content = assert_site_page(response, 403, "Ihr Formular konnte nicht gesendet werden")
    assert "DEBUG" not in content and "Help" not in content


@override_settings(DEBUG=False)
@pytest.mark.parametrize("url", ["/", "/healthz/", "/konto/login/"])
def test_a_host_not_allowed_gives_the_site_400_page(url):
    # Refused in CommonMiddleware, before there is a user to show the page to.
    response = Client(raise_request_exception=False).get(url, HTTP_HOST="fremd.example")
    assert_site_page(response, 400, "Die Anfrage konnte nicht verarbeitet werden")


def test_csrf_page_with_debug_on_is_the_same_page(council_member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert_site_page(response, 403, "Ihr Formular konnte nicht gesendet werden")


@override_settings(DEBUG=False)
def test_wrong_method_gives_the_site_405_page(client, council_member):
    client.force_login(council_member)
    response = client.put(reverse("reports:overview"))
    assert_site_page(response, 405, "Diese Aktion ist so nicht möglich")
    assert response.headers["Allow"]


@override_settings(DEBUG=False)
def test_error_page_in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get("/gibt-es-nicht/").content.decode()
    assert '<html lang="en">' in content
    assert "<h1>Page not found</h1>" in content


def test_server_error_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with translation.override("de"), django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    content = response.content.decode()
    assert "<h1>Bei uns ist ein Fehler aufgetreten</h1>" in content
    assert 'href="/">Zur Startseite</a>' in content
    assert not re.search(r"<style|<script|\sstyle=", content)


def test_bad_request_and_conflict_pages_render():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("de"):
        assert errors.bad_request(request, None).status_code == 400
        assert "Fehler 409" in errors._page(request, 409).content.decode()

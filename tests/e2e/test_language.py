"""One language at a time: every page type of the browser journeys, served in German
to each demo role, shows no English interface string (tests/e2e/language.py)."""

import pytest
from django.urls import reverse

from .language import english_left
from .test_accessibility import login, site
from .test_phone import pages_for

pytestmark = pytest.mark.e2e
__all__ = ["site"]


def admin_pages():
    return [
        reverse("admin:index"),
        reverse("admin:measures_measure_changelist"),
        reverse("admin:measures_measure_export"),
        reverse("admin:measures_measure_import"),
        reverse("admin:working_groups_office_changelist"),
    ]


@pytest.mark.parametrize("role", ["anonymous", "beirat", "amt51", "buero"])
def test_german_pages_have_no_english_left(browser, site, role):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    base = site["url"]
    if role != "anonymous":
        login(page, base, role)
    pages = pages_for(site, role) + (admin_pages() if role == "buero" else [])
    found = {}
    for path in pages:
        page.goto(base + path)
        english = english_left(page)
        if english:
            found[path] = english
    assert found == {}
    context.close()


def test_the_check_finds_english(browser, live_server):
    """The check itself: an English page is not German, and English in a German page
    is found (on the login page, which needs no records)."""
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    assert english_left(page) == []
    page.evaluate(
        """() => {
        const p = document.createElement('p');
        p.textContent = 'Please correct the following: 3 errors. Select all';
        document.querySelector('main').append(p);
    }"""
    )
    assert english_left(page) == ["Please correct the following", "Select all"]
    context.close()

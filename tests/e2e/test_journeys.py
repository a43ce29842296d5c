"""The journeys across roles, in Chromium, on a site served as `make run` serves it:
the development server and its worker, each a process of its own, on a database of
the kind the suite runs on (tests/e2e/make_run.py). Each step is what a person does
and sees; between the steps nothing is read from the database behind the site."""

import re

import pytest
from playwright.sync_api import expect

from .make_run import served_like_make_run

pytestmark = pytest.mark.e2e

SLUG = "umsetzungsbericht-2009-2014"
# The worker takes a task within a second or two; typesetting the PDF takes seconds.
WORKER_SECONDS = 90_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with served_like_make_run(tmp_path_factory.mktemp("make-run")) as site:
        yield site


def log_in(page, site, username):
    page.context.clear_cookies()
    page.goto(f"{site.url}/konto/login/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("demo")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{site.url}/")


def test_bureau_publishes_while_an_export_renders_and_the_council_reads_it(page, site):
    log_in(page, site, "buero")
    page.goto(f"{site.url}/berichte/{SLUG}/")
    # The PDF of the draft is queued for the worker …
    page.get_by_role("button", name="Entwurf als PDF erstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entwurf als PDF")
    # … and while it renders, the bureau publishes the draft.
    page.goto(f"{site.url}/berichte/{SLUG}/")
    page.get_by_role("link", name="Diesen Entwurf als neue Fassung veröffentlichen").click()
    page.get_by_label("Anmerkung (freiwillig)").fill("Vorlage für den Ausländerbeirat")
    page.get_by_label(re.compile("Ich habe den Entwurf geprüft")).check()
    page.get_by_role("button", name="Veröffentlichen").click()
    # The request only records the wish; the page follows the worker by itself.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("Fassung 1 wird veröffentlicht|Fassung 1 veröffentlicht")
    )
    expect(page.get_by_text("Fassung 1 des Berichts wurde veröffentlicht.")).to_be_visible(
        timeout=WORKER_SECONDS
    )
    page.get_by_role("link", name="Fassung 1 lesen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Umsetzung")

    # The export finished too.
    page.goto(f"{site.url}/berichte/{SLUG}/erstellen.pdf")
    expect(page.get_by_role("link", name="Entwurf als PDF herunterladen")).to_be_visible(
        timeout=WORKER_SECONDS
    )

    # The council reads the new version.
    log_in(page, site, "beirat")
    page.goto(f"{site.url}/berichte/")
    page.get_by_role("link", name=re.compile("Fassung 1")).first.click()
    expect(page.locator(".version-mark")).to_contain_text("Fassung 1, veröffentlicht am")
    expect(page.get_by_role("cell", name="Vorlage für den Ausländerbeirat")).to_be_visible()

    assert site.problems() == []

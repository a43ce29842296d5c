"""The journeys across roles, in Chromium, on a site served as `make run` serves it:
the development server and its worker, each a process of its own, on a database of
the kind the suite runs on (tests/e2e/make_run.py). Each step is what a person does
and sees; between the steps nothing is read from the database behind the site."""

import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import start_page
from .make_run import served_like_make_run

# The site's own processes on a database of the suite's kind: CI runs these on SQLite and
# on PostgreSQL, the other browser tests on SQLite only.
pytestmark = [pytest.mark.e2e, pytest.mark.every_database]

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
    page.wait_for_url(start_page(site.url))


def nav(page):
    return page.get_by_role("navigation", name="Hauptnavigation")


def submit_status(page, status, progress, note):
    page.get_by_label("Umsetzungsstand").select_option(label=status)
    page.get_by_label("Fortschritt (%)").fill(progress)
    page.get_by_label("Anmerkung (wird veröffentlicht)").fill(note)
    page.get_by_role("button", name="Zur Prüfung einreichen").click()
    expect(page.get_by_text("Der Sachstand wurde zur Prüfung eingereicht.")).to_be_visible()


def mail_to(site, address, subject_words, seconds=30):
    """The worker's mail to ``address`` whose subject has ``subject_words``; the worker
    sends it within a few seconds of the request that queued it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for mail in site.mails():
            if mail["to"].startswith(address) and subject_words in mail["subject"]:
                return mail["body"]
        time.sleep(0.5)
    raise AssertionError(f"no mail to {address} with {subject_words!r}:\n{site.mails()}")


def test_office_submits_bureau_returns_office_revises_bureau_approves(page, site):
    """Office staff submit, the bureau returns with a comment, the office is told by
    e-mail and revises the same entry (one to-do, not two), the bureau approves."""
    log_in(page, site, "amt51")
    home = page.get_by_role("main")
    home.get_by_role("link", name=re.compile("Sachstand erfassen: 4.2.2")).click()
    submit_status(page, "in Umsetzung", "60", "Netzwerktreffen mit Migrantenvereinen geplant.")
    page.goto(f"{site.url}/")
    waiting = home.locator("section, .kern-card").filter(has_text="wartet auf Prüfung").last
    expect(waiting).to_contain_text("4.2.2")
    expect(home.get_by_role("link", name=re.compile("Sachstand erfassen: 4.2.2"))).to_have_count(0)

    log_in(page, site, "buero")
    nav(page).get_by_role("link", name="Prüfung").click()
    card = page.get_by_role("article").filter(has_text="4.2.2")
    card.get_by_role("link", name=re.compile("^Mit Vermerk zurückgeben")).click()
    page.get_by_label(re.compile("Was soll die verfassende Person ändern")).fill(
        "Bitte ergänzen Sie die Zahl der Teilnehmenden."
    )
    page.get_by_role("button", name="Zurückgeben").click()

    # The office is told by e-mail, with the comment and a link to the entry.
    body = mail_to(site, "amt51@", "4.2.2")
    assert "Bitte ergänzen Sie die Zahl der Teilnehmenden." in body
    link = re.search(r"http://\S+/sachstaende/\d+/bearbeiten/", body).group(0)

    log_in(page, site, "amt51")
    expect(home.get_by_role("link", name=re.compile("Überarbeiten: 4.2.2"))).to_have_count(1)
    expect(home.get_by_role("link", name=re.compile("Sachstand erfassen: 4.2.2"))).to_have_count(0)
    page.goto(link.replace(link.split("/sachstaende/")[0], site.url))
    # The comment, who wrote it and when, above the form.
    expect(page.get_by_role("note")).to_contain_text("Zurückgegeben von")
    expect(page.get_by_role("note")).to_contain_text("Bitte ergänzen Sie die Zahl")
    submit_status(page, "in Umsetzung", "60", "Netzwerktreffen mit 24 Teilnehmenden geplant.")
    page.goto(f"{site.url}/")
    expect(home.get_by_role("link", name=re.compile("Überarbeiten: 4.2.2"))).to_have_count(0)
    expect(home.get_by_role("link", name=re.compile("4.2.2"))).to_have_count(1)

    log_in(page, site, "buero")
    nav(page).get_by_role("link", name="Prüfung").click()
    expect(page.get_by_text("24 Teilnehmenden")).to_be_visible()
    card = page.get_by_role("article").filter(has_text="4.2.2")
    card.get_by_role("button", name=re.compile("^Freigeben")).click()
    expect(page.get_by_text("Freigegeben: 4.2.2")).to_be_visible()
    assert "4.2.2" in mail_to(site, "amt51@", "freigegeben")

    assert site.problems() == []


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


def links_that_end_at_the_login(page, site):
    """Every link of the page that a visitor without an account would follow to a
    login, except the login itself."""
    ends = []
    for href in page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.href)"):
        if "/konto/login/" in href:
            continue
        response = page.request.get(href, max_redirects=0)
        if response.status in (301, 302) and "/konto/login/" in response.headers["location"]:
            ends.append(href)
    return ends


def test_the_public_without_public_pages_finds_whom_to_ask(page, site):
    page.context.clear_cookies()
    page.goto(f"{site.url}/")
    closed = page.get_by_text("Die Fortschrittsseiten sind derzeit nicht öffentlich.")
    expect(closed).to_be_visible()
    expect(page.get_by_role("link", name="Fortschritt")).to_have_count(0)
    expect(page.get_by_role("link", name="Offene Daten")).to_have_count(0)
    assert links_that_end_at_the_login(page, site) == []
    page.get_by_role("main").get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Barrierefreiheit")
    assert links_that_end_at_the_login(page, site) == []
    page.get_by_role("link", name="Startseite").first.click()
    page.get_by_role("main").get_by_role("link", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert "BUREAU_CONTACT" not in page.content()


def test_the_bureau_opens_the_progress_pages_and_the_public_reads_them(page, tmp_path_factory):
    """Public pages are the bureau's setting, off by default: once the bureau has
    switched them on, visitors read the progress and the open data without a link
    that ends at a login; switched off again, they read the short start page."""
    with served_like_make_run(tmp_path_factory.mktemp("public")) as public_site:
        page.goto(f"{public_site.url}/")
        expect(page.get_by_text("derzeit nicht öffentlich")).to_be_visible()

        log_in(page, public_site, "buero")
        nav(page).get_by_role("link", name="Einstellungen").click()
        page.get_by_label("Fortschrittsseiten und offene Daten öffentlich").check()
        page.get_by_role("button", name="Einstellungen speichern").click()
        expect(page.get_by_text("sind jetzt öffentlich")).to_be_visible()

        page.context.clear_cookies()
        page.goto(f"{public_site.url}/")
        expect(page.get_by_text("derzeit nicht öffentlich")).to_have_count(0)
        assert links_that_end_at_the_login(page, public_site) == []
        nav(page).get_by_role("link", name="Fortschritt").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Fortschritt des Integrationskonzepts"
        )
        assert links_that_end_at_the_login(page, public_site) == []
        page.get_by_role("contentinfo").get_by_role("link", name="Offene Daten").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Offene Daten")
        csv = page.request.get(f"{public_site.url}/offene-daten/massnahmen.csv")
        assert csv.status == 200 and "4.2.2" in csv.text()

        log_in(page, public_site, "buero")
        nav(page).get_by_role("link", name="Einstellungen").click()
        page.get_by_label("Fortschrittsseiten und offene Daten öffentlich").uncheck()
        page.get_by_role("button", name="Einstellungen speichern").click()
        page.context.clear_cookies()
        page.goto(f"{public_site.url}/")
        expect(page.get_by_text("derzeit nicht öffentlich")).to_be_visible()
        expect(page.get_by_role("link", name="Offene Daten")).to_have_count(0)
        assert public_site.problems() == []

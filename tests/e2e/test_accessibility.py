"""axe-core (shipped inside the PyPI package axe-playwright-python, nothing fetched at
run time) on every page type, logged in and anonymous, in German and English: no
violation of the WCAG 2.1 A/AA rules."""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from measures.models import Measure, SpreadsheetImport, StatusEntry
from measures.services import close_round, open_round
from measures.tables import checksum
from measures.tables import run as run_import
from reports import publishing
from reports.models import Report
from reports.publishing import publish
from working_groups.models import Concept, Municipality

from .conftest import start_page

pytestmark = pytest.mark.e2e

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
axe = Axe()


@pytest.fixture
def site(demo_site, monkeypatch):
    # The bureau has made the progress pages public (its settings page).
    Municipality.objects.update(public_pages=True)
    concept = Concept.objects.get(slug="ik-2009")
    # One round of a concept is open at a time: last year's first, closed.
    closed_round = open_round(
        concept=concept,
        title="Abgeschlossene Runde",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        deadline=datetime.date(2026, 1, 31),
        unfinished_only=True,
    )
    close_round(closed_round)
    reporting_round = open_round(
        concept=concept,
        title="Runde",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        deadline=datetime.date.today() - datetime.timedelta(days=1),
        unfinished_only=True,
    )
    measure = Measure.objects.get(number="4.2.2")
    entry = StatusEntry.objects.create(
        measure=measure,
        status="in_progress",
        progress=50,
        as_of=datetime.date.today(),
        note="Zwischenstand",
        state=StatusEntry.State.SUBMITTED,
        author=measure.lead_office.staff.first(),
        reporting_round=reporting_round,
    )
    # A published version and two checked spreadsheets (one with errors) for the
    # bureau's report and import pages.
    report = Report.objects.get(slug="umsetzungsbericht-2009-2014")
    bureau = User.objects.get(username="buero")
    # The pages show these versions, never their files: they are published without
    # typesetting a PDF or writing a DOCX (which took most of each test's time here;
    # tests/test_publishing.py and the report journey publish for real).
    with monkeypatch.context() as without_files:
        without_files.setattr(publishing, "render_pdf", lambda report, **kw: b"%PDF-1.7\n")
        without_files.setattr(publishing, "render_docx", lambda report, **kw: b"PK\x03\x04")
        publish(report, bureau, note="Vorlage für den Ausländerbeirat")
        # A second version after the bureau wrote an introduction and a status was
        # approved, for the comparison of the two.
        section = report.sections.get(number="3")
        section.text = "Einleitung des Büros.\n\n- erster Punkt\n- zweiter Punkt"
        section.save()
        StatusEntry.objects.create(
            measure=Measure.objects.get(number="4.2.5"),
            status="ongoing",
            as_of=datetime.date(2013, 6, 1),
            state=StatusEntry.State.APPROVED,
            reviewer=bureau,
        )
        publish(report, bureau, note="Zweite Vorlage")
    imports = []
    for name, rows in (
        ("gut.csv", "ik-2009;4.2.2;01.04.2026;in Umsetzung;60;weiter"),
        ("fehler.csv", "ik-2009;9.9.9;31.02.2026;Quatsch;60;x"),
    ):
        content = f"Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%);Anmerkung\n{rows}\n"
        content = content.encode()
        imports.append(
            SpreadsheetImport.objects.create(
                kind="status_entries",
                file_name=name,
                file_format="csv",
                content=content,
                sha256=checksum(content),
                uploaded_by=bureau,
                municipality=bureau.municipalities.get(),
                summary=run_import("status_entries", content, "csv", bureau, dry_run=True),
            )
        )
    return {
        "url": demo_site.url,
        "measure": measure,
        "entry": entry,
        "round": reporting_round,
        "closed_round": closed_round,
        "imports": imports,
    }


def progress_pages(site):
    measure = site["measure"]
    return [
        reverse("measures:home"),
        reverse("measures:concept_detail", args=["ik-2009"]),
        reverse("reports:overview"),
        reverse("reports:overview") + "?status=completed&ueberfaellig=1",
        reverse("reports:measure", args=[measure.pk]),
        reverse("reports:members"),
        reverse("reports:funding"),
        reverse("reports:needs"),
        reverse("reports:open_data"),
        reverse("reports:accessibility"),
        reverse("reports:accessibility_feedback") + "?seite=/fortschritt/",
        reverse("reports:accessibility_feedback_sent"),
        reverse("reports:easy_language"),
    ]


def workspace_pages(site, role):
    measure, entry = site["measure"], site["entry"]
    if role == "amt51":
        return [
            reverse("measures:measure_list"),
            reverse("measures:measure_list") + "?due=true&ordering=-status",
            reverse("measures:measure_detail", args=[measure.pk]),
            reverse("measures:entry_create", args=[Measure.objects.get(number="4.1.1").pk]),
            # An entry of the office waits for review: no second one.
            reverse("measures:entry_create", args=[measure.pk]),
            reverse("password_change"),
            reverse("accounts:my_account"),
        ]
    return [
        reverse("measures:review_queue"),
        reverse("measures:entry_return", args=[entry.pk]),
        reverse("measures:round_list"),
        reverse("measures:round_create"),
        reverse("measures:round_detail", args=[site["round"].pk]),
        reverse("measures:round_close", args=[site["round"].pk]),
        reverse("measures:round_reopen", args=[site["closed_round"].pk]),
        reverse("measures:change_history", args=["massnahme", measure.pk]),
        reverse("measures:change_history", args=["sachstand", entry.pk]),
        reverse("measures:data_exchange"),
        *(reverse("measures:import_detail", args=[batch.pk]) for batch in site["imports"]),
        reverse("reports:report_publish", args=["umsetzungsbericht-2009-2014"]),
        reverse("reports:draft_compare", args=["umsetzungsbericht-2009-2014"]),
        # The bureau reads the statement with the note on settings still at their defaults.
        reverse("reports:accessibility"),
        *account_pages(),
        reverse("reports:section_edit", args=["umsetzungsbericht-2009-2014", "2"]),
        reverse("reports:section_edit", args=["umsetzungsbericht-2009-2014", "3"]),
        reverse("reports:report_design", args=["umsetzungsbericht-2009-2014"]),
        reverse("working_groups:settings"),
        reverse("measures:change_history", args=["kommune", measure.concept.municipality_id]),
    ]


def account_pages():
    """The bureau's accounts pages, with amt51's account as the example."""
    amt51 = User.objects.get(username="amt51")
    return [
        reverse("accounts:account_list"),
        reverse("accounts:account_list") + "?state=active&ordering=-last_login",
        reverse("accounts:account_invite"),
        reverse("accounts:account_detail", args=[amt51.pk]),
        reverse("accounts:account_edit", args=[amt51.pk]),
        reverse("accounts:account_deactivate", args=[amt51.pk]),
    ]


def public_account_pages():
    """The pages about access that everyone reaches: password reset, and links that
    do not work."""
    return [
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "abgelaufen"]),
        reverse("accounts:invitation_accept", args=["MQ", "abgelaufen"]),
    ]


def report_pages():
    return [
        reverse("reports:report_list"),
        reverse("reports:report_detail", args=["umsetzungsbericht-2009-2014"]),
        reverse("reports:version_detail", args=["umsetzungsbericht-2009-2014", 2]),
        reverse("reports:version_compare", args=["umsetzungsbericht-2009-2014", 2]),
    ]


def check(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    result = axe.run(page, options=WCAG_21_AA)
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result.response["violations"]
    ]
    assert violations == [], (url, violations)


def login(page, base, username):
    page.goto(f"{base}/konto/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("demo")
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(start_page(base))


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
@pytest.mark.parametrize("role", ["anonymous", "beirat", "amt51", "buero"])
def test_no_wcag_violations(browser, site, role, locale):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    base = site["url"]
    pages = [reverse("login"), *public_account_pages()] if role == "anonymous" else []
    if role != "anonymous":
        login(page, base, role)
    if role in ("anonymous", "beirat"):
        pages += progress_pages(site)
    if role in ("beirat", "buero"):
        pages += report_pages()
    if role in ("amt51", "buero"):
        pages += workspace_pages(site, role)
    for path in pages:
        check(page, base + path)
    lang = page.evaluate("document.documentElement.lang")
    assert lang == locale[:2]
    context.close()


def test_form_with_errors_has_no_violations(browser, site):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    login(page, site["url"], "amt51")
    # 4.2.2 has an entry waiting for review (no second one can be started): take 4.1.1.
    free = Measure.objects.get(number="4.1.1")
    page.goto(site["url"] + reverse("measures:entry_create", args=[free.pk]))
    page.locator("#id_status").select_option("completed")
    page.locator("#id_progress").fill("80")
    page.locator("button[name=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    violations = axe.run(page, options=WCAG_21_AA).response["violations"]
    assert [v["id"] for v in violations] == []
    context.close()


def test_feedback_form_with_errors_and_refused_has_no_violations(browser, site, settings):
    settings.ACCESSIBILITY = {**settings.ACCESSIBILITY, "feedback_per_hour": "1"}
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(site["url"] + reverse("reports:accessibility_feedback"))
    page.get_by_role("button", name="Nachricht senden").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_title(re.compile("^Fehler:"))
    assert [v["id"] for v in axe.run(page, options=WCAG_21_AA).response["violations"]] == []
    for text, heading in [("Erste Nachricht", "Vielen Dank"), ("Zweite", "Barriere melden")]:
        page.goto(site["url"] + reverse("reports:accessibility_feedback"))
        page.locator("#id_message").fill(text)
        page.get_by_role("button", name="Nachricht senden").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.get_by_role("alert")).to_contain_text("nicht gesendet")
    assert [v["id"] for v in axe.run(page, options=WCAG_21_AA).response["violations"]] == []
    context.close()


def test_keyboard_only_from_the_overview_to_a_measure_page(browser, site):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(site["url"] + reverse("reports:overview") + "?q=Lesestark")
    target = Measure.objects.get(number="4.2.1")
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if focused.endswith(reverse("reports:measure", args=[target.pk])):
            break
    else:
        pytest.fail("the measure link is not reachable by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('reports:measure', args=[target.pk])}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lesestark")
    context.close()


@pytest.mark.parametrize("width", [320, 640], ids=["400 % zoom", "200 % zoom"])
def test_pages_reflow_without_horizontal_scrolling(browser, site, width):
    """WCAG 1.4.10: a 1280 px window at 200 % zoom is 640 CSS px wide, at 400 % it is
    320; the page reflows without horizontal scrolling (data tables may scroll inside
    their own box, which the criterion allows)."""
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 800})
    page = context.new_page()
    login(page, site["url"], "buero")
    for path in [
        reverse("reports:overview"),
        reverse("reports:funding"),
        reverse("reports:members"),
        reverse("measures:measure_list"),
        reverse("measures:entry_create", args=[site["measure"].pk]),
        reverse("measures:round_detail", args=[site["round"].pk]),
        reverse("measures:data_exchange"),
        *(reverse("measures:import_detail", args=[batch.pk]) for batch in site["imports"]),
        *report_pages(),
        reverse("accounts:account_list"),
        reverse("accounts:account_invite"),
    ]:
        page.goto(site["url"] + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
    context.close()

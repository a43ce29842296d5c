"""The workspace journey in a real browser: office staff report, the bureau approves,
another office cannot edit."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from measures.models import Measure, StatusEntry
from measures.services import open_round
from working_groups.models import Concept

from .language import english_left

pytestmark = pytest.mark.e2e


@pytest.fixture
def due_round(demo_site):
    return open_round(
        concept=Concept.objects.get(slug="ik-2009"),
        title="Berichtsrunde 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        deadline=datetime.date.today() + datetime.timedelta(days=14),
        unfinished_only=True,
    )


def test_staff_reports_bureau_approves_other_office_cannot_edit(page, login, demo_site, due_round):
    # amt51 finds a due measure and submits a status with a note.
    login("amt51")
    page.get_by_role("link", name="Meine Maßnahmen").click()
    expect(page.get_by_text("Berichtsrunde 2026")).to_be_visible()
    page.get_by_role("link", name="Fällige Maßnahmen anzeigen").click()
    page.get_by_role("link", name=re.compile("JugendInfoService")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("JugendInfoService")
    page.get_by_role("link", name="Sachstand erfassen").click()
    page.get_by_label("Umsetzungsstand").select_option(label="in Umsetzung")
    page.get_by_label("Fortschritt (%)").fill("70")
    page.get_by_label("Anmerkung (wird veröffentlicht)").fill(
        "Neues Netzwerktreffen mit Migrantenvereinen im Herbst."
    )
    page.get_by_role("button", name="Zur Prüfung einreichen").click()
    expect(page.get_by_text("Der Sachstand wurde zur Prüfung eingereicht.")).to_be_visible()

    measure = Measure.objects.get(number="4.2.2")
    entry = StatusEntry.objects.get(measure=measure, state=StatusEntry.State.SUBMITTED)
    assert entry.reporting_round == due_round

    # The bureau approves it.
    login("buero")
    page.get_by_role("link", name="Prüfung").click()
    expect(page.get_by_text("Neues Netzwerktreffen")).to_be_visible()
    card = page.get_by_role("article").filter(has_text="4.2.2")
    card.get_by_role("button", name=re.compile("^Freigeben")).click()
    expect(page.get_by_text("Freigegeben: 4.2.2")).to_be_visible()

    # The measure page shows the new status and the history.
    page.goto(f"{demo_site.url}{measure.get_absolute_url()}")
    expect(page.locator(".status-line")).to_contain_text("in Umsetzung")
    expect(page.locator(".status-line")).to_contain_text("70 %")
    history = page.locator("table").first
    expect(history).to_contain_text("Neues Netzwerktreffen")
    expect(history).to_contain_text("freigegeben")
    assert english_left(page) == []  # one language at a time
    expect(history).to_contain_text("Jonas Lehmann")

    # amt41 (Kulturamt) cannot open the entry pages of the Jugendamt's measure.
    login("amt41")
    response = page.goto(f"{demo_site.url}/massnahmen/{measure.pk}/sachstand/")
    assert response.status == 404
    response = page.goto(f"{demo_site.url}/sachstaende/{entry.pk}/bearbeiten/")
    assert response.status == 404


def test_form_errors_are_announced_and_linked_to_their_field(page, login, demo_site):
    login("amt51")
    measure = Measure.objects.get(number="4.2.2")
    page.goto(f"{demo_site.url}/massnahmen/{measure.pk}/sachstand/")
    page.get_by_label("Umsetzungsstand").select_option(label="umgesetzt")
    page.get_by_label("Fortschritt (%)").fill("80")
    page.get_by_role("button", name="Zur Prüfung einreichen").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("100 %")
    # The title says there are errors, and the focus is on the summary (no script).
    expect(page).to_have_title(re.compile(r"^Fehler: "))
    expect(page.locator("#error-summary")).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Fortschritt (%)")).to_be_focused()
    expect(page.get_by_label("Fortschritt (%)")).to_have_attribute("aria-invalid", "true")
    assert not StatusEntry.objects.filter(author__username="amt51").exists()


def test_the_entry_form_can_be_done_by_keyboard_alone(page, login, demo_site):
    login("amt51")
    measure = Measure.objects.get(number="4.2.2")
    page.goto(f"{demo_site.url}/massnahmen/{measure.pk}/sachstand/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    # No status is chosen in advance (the measure has no approved one): typing the
    # label's start picks it, as in any select.
    page.get_by_label("Umsetzungsstand").focus()
    page.keyboard.type("in Umsetzung")
    expect(page.get_by_label("Umsetzungsstand")).to_have_value("in_progress")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Fortschritt (%)")).to_be_focused()
    page.keyboard.type("40")
    # Walk on by Tab (a date input has a stop per part) and note where focus goes.
    visited = []
    for _ in range(12):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
        if visited[-1] == "submit":
            break
    fields = [
        v for v in dict.fromkeys(visited) if v in {"id_as_of", "id_note", "id_reason", "submit"}
    ]
    assert fields == ["id_as_of", "id_note", "id_reason", "submit"]
    page.keyboard.press("Enter")
    expect(page.get_by_text("Der Sachstand wurde zur Prüfung eingereicht.")).to_be_visible()


def test_bureau_confirms_closing_a_round_and_reopens_it(page, login, demo_site, due_round):
    login("buero")
    page.goto(f"{demo_site.url}{due_round.get_absolute_url()}")
    page.get_by_role("link", name="Runde abschließen …").click()
    due = due_round.due_measures.count()
    expect(page.get_by_role("status")).to_contain_text(
        f"{due} von {due} fälligen Maßnahmen sind noch offen"
    )
    due_round.refresh_from_db()
    assert due_round.is_open  # the confirmation page closes nothing
    page.get_by_role("button", name="Ja, Runde abschließen").click()
    expect(page.get_by_text("Die Runde ist abgeschlossen.")).to_be_visible()
    due_round.refresh_from_db()
    assert not due_round.is_open

    page.get_by_role("link", name="Runde wieder öffnen …").click()
    page.get_by_role("button", name="Runde wieder öffnen").click()
    expect(page).to_have_title(re.compile(r"^Fehler: "))
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_label("Warum wird die Runde wieder geöffnet?").fill("Amt 51 meldet nach.")
    page.get_by_role("button", name="Runde wieder öffnen").click()
    expect(page.get_by_text("Die Runde ist wieder offen.")).to_be_visible()
    page.get_by_role("link", name="Änderungsverlauf").click()
    expect(page.get_by_text("Amt 51 meldet nach.")).to_be_visible()

"""The bureau's report and spreadsheet journeys in a real browser: export a table,
import status entries after checking the file, publish the report; the advisory
council reads the published version in the browser and downloads it."""

import hashlib

import pytest
from playwright.sync_api import expect

from measures.models import StatusEntry
from reports.models import PublishedVersion

from .language import english_left

pytestmark = pytest.mark.e2e


def test_bureau_checks_and_imports_a_spreadsheet(page, login, demo_site, tmp_path):
    login("buero")
    page.get_by_role("link", name="Tabellen").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Förderbeträge als Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    bad = tmp_path / "sachstaende.csv"
    bad.write_text(
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%);Anmerkung\n"
        "ik-2009;4.2.2;01.04.2026;in Umsetzung;60;weiter\n"
        "ik-2009;4.2.99;01.04.2026;in Umsetzung;60;unbekannt\n",
        encoding="utf-8",
    )
    before = StatusEntry.objects.count()
    page.get_by_label("Sachstände").check()
    page.get_by_label("Datei (XLSX oder CSV, höchstens 5 MB)").set_input_files(bad)
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_role("alert")).to_contain_text("1 Fehler; es wurde nichts importiert")
    errors = page.get_by_role("table", name="Fehler nach Zeile und Spalte")
    expect(errors).to_contain_text("3")
    expect(errors).to_contain_text("Maßnahme")
    expect(page.get_by_role("button", name="Jetzt importieren")).to_have_count(0)
    assert english_left(page) == []

    bad.write_text(
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%);Anmerkung\n"
        "ik-2009;4.2.2;01.04.2026;in Umsetzung;60;weiter\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Tabellen").first.click()
    page.get_by_label("Sachstände").check()
    page.get_by_label("Datei (XLSX oder CSV, höchstens 5 MB)").set_input_files(bad)
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_text("1 neuer Datensatz.")).to_be_visible()
    assert StatusEntry.objects.count() == before
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.get_by_text("1 Zeile aus „sachstaende.csv“ importiert.")).to_be_visible()
    assert english_left(page) == []
    assert StatusEntry.objects.count() == before + 1


def test_bureau_publishes_and_the_council_downloads(page, login, demo_site):
    login("buero")
    page.get_by_role("link", name="Berichte").click()
    page.get_by_role("link", name="Umsetzung des Konzeptes zur Integration").click()
    expect(
        page.get_by_text("Von diesem Bericht ist noch keine Fassung veröffentlicht.")
    ).to_be_visible()
    page.get_by_role("link", name="Diesen Entwurf als neue Fassung veröffentlichen").click()
    page.get_by_role("button", name="Veröffentlichen").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte bestätigen Sie")
    page.get_by_label("Anmerkung (freiwillig)").fill("Vorlage für den Ausländerbeirat")
    page.get_by_label("Ich habe den Entwurf geprüft").check()
    page.get_by_role("button", name="Veröffentlichen").click()
    expect(page.get_by_text("Fassung 1 des Berichts wurde veröffentlicht.")).to_be_visible()
    version = PublishedVersion.objects.get()

    login("beirat")
    page.get_by_role("link", name="Berichte").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Fassung 1 vom").click()
    content = download.value.path().read_bytes()
    assert hashlib.sha256(content).hexdigest() == version.pdf_sha256
    # The council's report page is the published version, read in the browser.
    page.get_by_role("link", name="Umsetzung des Konzeptes zur Integration").click()
    expect(page.get_by_text("Fassung 1, veröffentlicht am")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Umsetzung des Konzeptes")
    about = page.get_by_role("region", name="Über diese Fassung")
    expect(about.get_by_role("link", name="Fassung 1 als PDF")).to_be_visible()
    checksums = page.get_by_text("SHA-256-Prüfsummen")
    expect(page.get_by_text(version.pdf_sha256)).not_to_be_visible()
    checksums.click()
    expect(page.get_by_text(version.pdf_sha256)).to_be_visible()
    expect(page.get_by_role("link", name="veröffentlichen")).to_have_count(0)
    expect(page.get_by_role("link", name="Entwurf")).to_have_count(0)
    # A draft is the bureau's.
    response = page.goto(
        page.url.split("/berichte/")[0] + "/berichte/" + version.report.slug + "/download.html"
    )
    assert response.status == 403


def test_bureau_writes_a_sections_texts_with_a_preview_and_orders_its_items(page, login, demo_site):
    login("buero")
    page.get_by_role("link", name="Berichte").click()
    page.get_by_role("link", name="Umsetzung des Konzeptes zur Integration").click()
    section = page.locator("#section-3")
    section.get_by_text("Texte von Abschnitt 3 bearbeiten").click()
    section.get_by_label("Text vor dem erzeugten Teil").fill(
        "Die Ämter berichten über ihre Materialien.\n\n- in vielen Sprachen\n- im Internet"
    )
    section.get_by_role("button", name="Vorschau").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("listitem").filter(has_text="in vielen Sprachen")).to_be_visible()
    expect(preview).to_contain_text("Wegweiser „Aus aller Welt in Dresden angekommen“")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Die Texte von Abschnitt 3 wurden gespeichert.")).to_be_visible()
    expect(page.locator("#section-3 .section-text-before")).to_contain_text(
        "Die Ämter berichten über ihre Materialien."
    )
    page.locator("#section-3").get_by_text("Texte von Abschnitt 3 bearbeiten").click()
    page.locator("#section-3").get_by_role(
        "link", name="Reihenfolge und Änderungsverlauf dieses Abschnitts"
    ).click()
    page.get_by_role(
        "button", name="„Teilnehmende an zentraler/dezentraler Fortbildung“ nach unten verschieben"
    ).click()
    items = page.locator("#order-title ~ ol").nth(1).locator(":scope > li .order-label")
    expect(items.first).to_contain_text("Fortbildung zur Interkulturellen Kompetenz")
    expect(page.locator("#history-title ~ ol")).to_contain_text("Text vor dem erzeugten Teil")

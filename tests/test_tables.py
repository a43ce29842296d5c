"""The bureau's spreadsheets: exports with German headings and neutralised formulas,
imports checked first with every error by row and column, then all or nothing."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from helpers.cells import neutralise, restore
from measures.models import Measure, SpreadsheetImport, Status, StatusEntry
from measures.tables import EXPORTS, export_table

from .budgets import REQUEST

pytestmark = pytest.mark.usefixtures("dresden")

DATA_URL = reverse("measures:data_exchange")
UPLOAD_URL = reverse("measures:import_upload")


def export_url(slug, format):
    return reverse("measures:table_export", args=[slug, format])


def read_csv(content):
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), "byte order mark for Excel"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return sheet, [[cell.value for cell in row] for row in sheet.iter_rows()]


def upload(client, kind, name, content):
    return client.post(UPLOAD_URL, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def status_csv(
    *rows, headings="Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%);Anmerkung"
):
    return ("\n".join([headings, *rows]) + "\n").encode("utf-8")


@pytest.mark.parametrize("format", ["csv", "xlsx"])
@pytest.mark.usefixtures("dresden_statuses")
def test_measures_export_has_german_headings_and_current_status(client, bureau_user, format):
    client.force_login(bureau_user)
    response = client.get(export_url("massnahmen", format))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response.content) if format == "csv" else read_xlsx(response.content)[1]
    headings = rows[0]
    for heading in (
        "Konzept",
        "Nummer",
        "Titel",
        "Federführendes Amt",
        "Aktueller Umsetzungsstand",
    ):
        assert heading in headings
    row = dict(zip(headings, next(r for r in rows if r[1] == "3.1.3"), strict=True))
    assert row["Aktueller Umsetzungsstand"] == "umgesetzt"
    assert row["Stand vom"] == "31.03.2014"
    assert len(rows) == Measure.objects.count() + 1


@pytest.mark.parametrize(
    ("slug", "heading", "value"),
    [
        ("foerderbetraege", "Betrag (€)", "140600"),
        ("handlungsbedarfe", "Zuständige Ämter", None),
    ],
)
def test_funding_and_needs_export_with_german_headings(client, bureau_user, slug, heading, value):
    client.force_login(bureau_user)
    rows = read_csv(client.get(export_url(slug, "csv")).content)
    assert heading in rows[0]
    if value:
        column = rows[0].index(heading)
        assert any(row[column].startswith(value) for row in rows[1:])


def test_a_cell_starting_with_a_formula_sign_is_neutralised(bureau_user):
    Measure.objects.filter(number="3.1.3").update(title='=HYPERLINK("http://evil.example","x")')
    Measure.objects.filter(number="3.1.4").update(description="@SUM(1+1)")
    table = EXPORTS["massnahmen"]

    rows = read_csv(export_table(table, "csv"))
    titles = [row[rows[0].index("Titel")] for row in rows]
    assert '\'=HYPERLINK("http://evil.example","x")' in titles
    assert not any(title.startswith("=") for title in titles)

    sheet, rows = read_xlsx(export_table(table, "xlsx"))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"], "no formula cell"
    assert '\'=HYPERLINK("http://evil.example","x")' in [c.value for c in cells]
    assert "'@SUM(1+1)" in [c.value for c in cells]


def test_neutralise_and_restore_are_inverse():
    for value in ["=1+1", "+49 351", "-5", "@x", "\tTab", "normal", "'quoted", "", None, 5]:
        assert restore(neutralise(value)) == value
    assert neutralise("Beratung") == "Beratung"


# Office staff have a page of their own there (their measures' statuses, see
# test_office_spreadsheets.py), not the bureau's tables.
@pytest.mark.parametrize(("role", "page"), [("council_member", 403), ("office_staff", 200)])
def test_only_the_bureau_uses_spreadsheets(request, client, role, page):
    client.force_login(request.getfixturevalue(role))
    response = client.get(DATA_URL)
    assert response.status_code == page
    if page == 200:
        assert "Sachstände als Tabelle" in response.content.decode()
    assert client.get(export_url("massnahmen", "xlsx")).status_code == 403
    content = status_csv("ik-2009;3.1.3;01.04.2015;umgesetzt;100;x")
    assert upload(client, "status_entries", "s.csv", content).status_code == 403
    assert not SpreadsheetImport.objects.exists()


def test_anonymous_goes_to_login(client):
    response = client.get(DATA_URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_status_import_with_one_bad_row_writes_nothing_and_names_the_row(client, bureau_user):
    client.force_login(bureau_user)
    before = StatusEntry.objects.count()
    content = status_csv(
        "ik-2009;3.1.3;01.04.2015;umgesetzt;100;fertig",
        "ik-2009;3.1.4;01.04.2015;in Umsetzung;40;läuft",
        "ik-2009;9.9.9;01.04.2015;in Umsetzung;20;gibt es nicht",
        "ik-2009;3.1.5;31.02.2015;Quatsch;20;",
    )
    response = upload(client, "status_entries", "sachstaende.csv", content)
    batch = SpreadsheetImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("measures:import_detail", args=[batch.pk])
    errors = [(e["row"], e["column"]) for e in batch.summary["errors"]]
    assert errors == [(4, "Maßnahme"), (5, "Stand vom"), (5, "Umsetzungsstand")]

    page = client.get(response["Location"])
    content = page.content.decode()
    assert "Die Datei hat 3 Fehler" in content
    assert (
        "„9.9.9“" in content and "Import now" not in content and "Jetzt importieren" not in content
    )
    assert StatusEntry.objects.count() == before

    # Even a forced POST writes nothing and keeps the file unimported.
    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 400
    assert StatusEntry.objects.count() == before
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.PREVIEWED


def test_status_import_checks_then_imports_all_rows_as_submitted(client, bureau_user):
    client.force_login(bureau_user)
    before = StatusEntry.objects.count()
    content = status_csv(
        "ik-2009;3.1.3;01.04.2015;umgesetzt;100;fertig",
        "ik-2009;3.1.4;2015-04-01;in_progress;40;'=läuft",
    )
    response = upload(client, "status_entries", "sachstaende.csv", content)
    batch = SpreadsheetImport.objects.get()
    assert batch.summary["errors"] == [] and batch.summary["totals"] == {"new": 2}
    assert StatusEntry.objects.count() == before, "the check writes nothing"
    page = client.get(response["Location"]).content.decode()
    assert "Jetzt importieren" in page and "2 neue Datensätze" in page

    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.IMPORTED and batch.imported_at
    new = StatusEntry.objects.filter(author=bureau_user).order_by("measure__number")
    assert [(e.measure.number, e.status, e.state) for e in new] == [
        ("3.1.3", Status.COMPLETED, StatusEntry.State.SUBMITTED),
        ("3.1.4", Status.IN_PROGRESS, StatusEntry.State.SUBMITTED),
    ]
    assert new[1].as_of == datetime.date(2015, 4, 1) and new[1].note == "=läuft"
    assert "sachstaende.csv" in new[0].source_note
    assert new[0].history.first().history_user == bureau_user
    queue = client.get(reverse("measures:review_queue")).content.decode()
    assert "3.1.4" in queue

    # A second POST of the same batch imports nothing again.
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert StatusEntry.objects.count() == before + 2


def test_status_import_refuses_a_second_waiting_entry_for_a_measure(client, bureau_user):
    # One entry per measure waits for review at a time: a second row for the same
    # measure, or a row for a measure whose entry waits, is an error already in the
    # check, and nothing is imported.
    client.force_login(bureau_user)
    waiting = Measure.objects.get(number="3.1.5")
    StatusEntry.objects.create(
        measure=waiting,
        status=Status.IN_PROGRESS,
        progress=20,
        as_of=datetime.date(2015, 1, 1),
        state=StatusEntry.State.SUBMITTED,
    )
    before = StatusEntry.objects.count()
    content = status_csv(
        "ik-2009;3.1.3;01.04.2015;umgesetzt;100;fertig",
        "ik-2009;3.1.3;02.04.2015;umgesetzt;100;noch einmal",
        "ik-2009;3.1.5;01.04.2015;in Umsetzung;40;läuft",
    )
    upload(client, "status_entries", "s.csv", content)
    batch = SpreadsheetImport.objects.get()
    errors = [(e["row"], e["column"], e["message"]) for e in batch.summary["errors"]]
    assert errors == [
        (
            3,
            "Maßnahme",
            "Eine frühere Zeile der Datei hat einen Sachstand zu dieser Maßnahme; zu einer "
            "Maßnahme wartet immer nur ein Sachstand auf Prüfung.",
        ),
        (4, "", "Zu dieser Maßnahme wartet bereits ein anderer Sachstand auf Prüfung."),
    ]
    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 400
    assert StatusEntry.objects.count() == before


def test_import_is_all_or_nothing_when_the_records_change_after_the_check(client, bureau_user):
    client.force_login(bureau_user)
    before = StatusEntry.objects.count()
    content = status_csv(
        "ik-2009;3.1.3;01.04.2015;umgesetzt;100;fertig",
        "ik-2009;3.1.4;01.04.2015;in Umsetzung;40;läuft",
    )
    upload(client, "status_entries", "s.csv", content)
    batch = SpreadsheetImport.objects.get()
    Measure.objects.filter(number="3.1.4").update(number="3.1.4-alt")
    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 400
    assert StatusEntry.objects.count() == before, "the good first row is not written either"
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.PREVIEWED


def test_measures_round_trip_and_one_bad_row_writes_nothing(client, bureau_user):
    client.force_login(bureau_user)
    sheet_bytes = client.get(export_url("massnahmen", "xlsx")).content
    workbook = openpyxl.load_workbook(io.BytesIO(sheet_bytes))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    number, title, office = (
        headings.index(h) + 1 for h in ("Nummer", "Titel", "Federführendes Amt")
    )
    target = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, number).value == "3.1.4")
    sheet.cell(target, title).value = "Neuer Titel aus der Tabelle"
    sheet.cell(3, office).value = "Amt 999"  # spreadsheet row 3: unknown office
    buffer = io.BytesIO()
    workbook.save(buffer)
    old_title = Measure.objects.get(number="3.1.4").title

    upload(client, "measures", "massnahmen.xlsx", buffer.getvalue())
    batch = SpreadsheetImport.objects.get()
    assert [(e["row"], e["column"]) for e in batch.summary["errors"]] == [(3, "Federführendes Amt")]
    assert "Amt 999" in batch.summary["errors"][0]["message"]
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert Measure.objects.get(number="3.1.4").title == old_title

    # Corrected, the same file changes exactly the one title.
    original = openpyxl.load_workbook(io.BytesIO(sheet_bytes)).active
    sheet.cell(3, office).value = original.cell(3, office).value
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(client, "measures", "massnahmen.xlsx", buffer.getvalue())
    batch = SpreadsheetImport.objects.latest("pk")
    assert batch.summary["errors"] == []
    assert batch.summary["totals"] == {"update": 1, "skip": Measure.objects.count() - 1}
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert Measure.objects.get(number="3.1.4").title == "Neuer Titel aus der Tabelle"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.pdf", b"%PDF", "XLSX- oder CSV-Datei"),
        ("x.xlsx", b"not a workbook", "keine Excel-Arbeitsmappe"),
        (
            "x.csv",
            b"Konzept;Stand vom\nik-2009;01.01.2015\n",
            "Es fehlen Spalten: Maßnahme, Umsetzungsstand",
        ),
        ("x.csv", "Konzept;Konzept;Maßnahme\n".encode(), "zweimal"),
        ("x.csv", "Konzept;Maßnahme;Stand vom;Umsetzungsstand\n".encode(), "keine Zeilen"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, bureau_user, name, content, message):
    client.force_login(bureau_user)
    before = StatusEntry.objects.count()
    response = upload(client, "status_entries", name, content)
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert message in response.content.decode()
    assert StatusEntry.objects.count() == before


def test_csv_saved_by_excel_in_windows_encoding_is_read(client, bureau_user):
    client.force_login(bureau_user)
    content = (
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Anmerkung\n"
        "ik-2009;3.1.3;01.04.2015;in Umsetzung;Größe\n"
    )
    upload(client, "status_entries", "excel.csv", content.encode("cp1252"))
    batch = SpreadsheetImport.objects.get()
    assert batch.summary["errors"] == []
    assert batch.summary["rows"][0]["values"][-1] == "Größe"


def test_the_spreadsheet_page_lists_exports_and_imports(
    client, bureau_user, django_assert_num_queries
):
    client.force_login(bureau_user)
    upload(
        client, "status_entries", "a.csv", status_csv("ik-2009;3.1.3;01.04.2015;umgesetzt;100;x")
    )
    upload(
        client, "status_entries", "b.csv", status_csv("ik-2009;3.1.3;01.04.2015;umgesetzt;100;x")
    )
    # session, user, roles, imports (with uploader): the same for any number of imports
    with django_assert_num_queries(REQUEST + 1):
        content = client.get(DATA_URL).content.decode()
    assert export_url("foerderbetraege", "xlsx") in content and "b.csv" in content


@pytest.mark.usefixtures("dresden_statuses")
def test_exports_are_named_and_headed_in_the_readers_language(client, bureau_user):
    client.force_login(bureau_user)
    today = timezone.localdate().isoformat()
    response = client.get(export_url("massnahmen", "xlsx"))
    assert response["Content-Disposition"] == f'attachment; filename="Massnahmen-{today}.xlsx"'
    sheet, rows = read_xlsx(response.content)
    assert sheet.title == "Maßnahmen"
    response = client.get(export_url("foerderbetraege", "csv"))
    assert f'filename="Foerderbetraege-{today}.csv"' in response["Content-Disposition"]

    english = {"accept-language": "en"}
    response = client.get(export_url("massnahmen", "xlsx"), headers=english)
    assert response["Content-Disposition"] == f'attachment; filename="Measures-{today}.xlsx"'
    sheet, rows = read_xlsx(response.content)
    assert sheet.title == "Measures"
    assert rows[0][:3] == ["Concept", "Number", "Title"]
    row = dict(zip(rows[0], next(r for r in rows if r[1] == "3.1.3"), strict=True))
    assert row["Current status"] == "completed"

    # The English file reads back on the German page: nothing changed, nothing wrong.
    check = upload(client, "measures", "measures.xlsx", response.content)
    batch = SpreadsheetImport.objects.get()
    assert check.status_code == 302
    assert batch.summary["errors"] == []
    assert batch.summary["totals"] == {"skip": Measure.objects.count()}

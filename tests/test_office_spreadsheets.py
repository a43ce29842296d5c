"""Office staff report in a spreadsheet too (issue 18, item 6): they download the
file of their own measures, fill in statuses, see the same check and import drafts
or submitted entries through the service the form uses, all rows or none; another
office's measure is refused, and no one else sees their file."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpers.roles import Role
from measures.models import SpreadsheetImport, StatusEntry

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    MeasureFactory,
    OfficeFactory,
    StatusEntryFactory,
    UserFactory,
)

DATA_URL = reverse("measures:data_exchange")
UPLOAD_URL = reverse("measures:office_upload")
HEADINGS = "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%);Anmerkung;Einreichen"


@pytest.fixture
def world(office_staff):
    office = office_staff.offices.get()
    concept = ConceptFactory(slug="ik")
    other_office = OfficeFactory(municipality=office.municipality)
    return {
        "led": MeasureFactory(concept=concept, number="1.1", lead_office=office),
        "partnered": _partnered(concept, office, other_office),
        "foreign": MeasureFactory(concept=concept, number="9.9", lead_office=other_office),
        "other_office": other_office,
    }


def _partnered(concept, office, lead):
    measure = MeasureFactory(concept=concept, number="1.2", lead_office=lead)
    measure.partner_offices.add(office)
    return measure


def status_file(*rows):
    return ("\n".join([HEADINGS, *rows]) + "\n").encode("utf-8")


def upload(client, content, name="sachstaende.csv"):
    client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content)})
    return SpreadsheetImport.objects.latest("pk")


def staff_of(office, username):
    user = UserFactory(username=username)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name=Role.OFFICE_STAFF)[0])
    office.staff.add(user)
    return user


def test_office_staff_download_their_measures_to_fill_in(client, office_staff, world):
    client.force_login(office_staff)
    page = client.get(DATA_URL)
    assert page.status_code == 200
    assert "Einreichen" in page.content.decode()  # the columns are explained
    response = client.get(reverse("measures:office_export", args=["xlsx"]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == [
        "Konzept",
        "Maßnahme",
        "Titel",
        "Aktueller Umsetzungsstand",
        "Stand vom",
        "Umsetzungsstand",
    ]
    assert sorted(row[1] for row in rows[1:]) == ["1.1", "1.2"]  # not 9.9


def test_the_downloaded_file_filled_in_reads_back(client, office_staff, world):
    client.force_login(office_staff)
    content = client.get(reverse("measures:office_export", args=["xlsx"])).content
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "1.1")
    sheet.cell(row, headings.index("Stand vom") + 1).value = "31.03.2015"
    sheet.cell(row, headings.index("Umsetzungsstand") + 1).value = "in Umsetzung"
    sheet.cell(row, headings.index("Fortschritt (%)") + 1).value = 40
    sheet.cell(row, headings.index("Anmerkung") + 1).value = "Läuft."
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload(client, buffer.getvalue(), "sachstaende.xlsx")
    assert batch.summary["errors"] == []
    assert batch.summary["totals"] == {"new": 1, "skip": 1}  # 1.2 left alone
    response = client.post(reverse("measures:import_detail", args=[batch.pk]), follow=True)
    assert "1 Sachstand gespeichert, 1 unverändert." in response.content.decode()
    [entry] = StatusEntry.objects.all()
    assert (entry.measure, entry.state, entry.author) == (
        world["led"],
        StatusEntry.State.DRAFT,
        office_staff,
    )


def test_office_import_checks_then_writes_drafts_and_submitted_entries(client, office_staff, world):
    client.force_login(office_staff)
    batch = upload(
        client,
        status_file(
            "ik;1.1;31.03.2015;in Umsetzung;40;Läuft.;nein",
            "ik;1.2;31.03.2015;in Umsetzung;60;Gut.;ja",
        ),
    )
    assert batch.summary["errors"] == []
    assert StatusEntry.objects.count() == 0, "the check writes nothing"
    url = reverse("measures:import_detail", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "2 neue Datensätze" in page
    assert "Zeile 2: ik 1.1" in page

    assert client.post(url).status_code == 302
    entries = {e.measure.number: e for e in StatusEntry.objects.select_related("measure")}
    assert entries["1.1"].state == StatusEntry.State.DRAFT
    assert entries["1.2"].state == StatusEntry.State.SUBMITTED
    assert {e.author for e in entries.values()} == {office_staff}
    assert entries["1.2"].submitted_at is not None


def test_another_offices_measure_is_refused_and_nothing_is_written(client, office_staff, world):
    client.force_login(office_staff)
    batch = upload(
        client,
        status_file(
            "ik;1.1;31.03.2015;in Umsetzung;40;Läuft.;ja",
            "ik;9.9;31.03.2015;in Umsetzung;70;Fremd.;ja",
        ),
    )
    assert [(e["row"], e["column"]) for e in batch.summary["errors"]] == [(3, "Maßnahme")]
    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 400
    assert StatusEntry.objects.count() == 0


def test_a_measure_with_an_open_entry_is_continued_in_the_browser(client, office_staff, world):
    StatusEntryFactory(measure=world["led"], author=office_staff, state=StatusEntry.State.DRAFT)
    client.force_login(office_staff)
    batch = upload(client, status_file("ik;1.1;31.03.2015;in Umsetzung;40;Läuft.;ja"))
    [error] = batch.summary["errors"]
    assert "im Browser" in error["message"]
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert StatusEntry.objects.count() == 1


def test_no_one_else_sees_or_imports_an_offices_file(
    client, office_staff, bureau_user, council_member, world
):
    client.force_login(office_staff)
    batch = upload(client, status_file("ik;1.1;31.03.2015;in Umsetzung;40;Läuft.;ja"))
    url = reverse("measures:import_detail", args=[batch.pk])
    colleague_elsewhere = staff_of(world["other_office"], "elsewhere")
    for user, code in ((colleague_elsewhere, 404), (bureau_user, 404), (council_member, 403)):
        client.force_login(user)
        assert client.get(url).status_code == code
        assert client.post(url).status_code == code
    assert StatusEntry.objects.count() == 0
    client.logout()
    assert client.get(url)["Location"].startswith(reverse("login"))
    # The bureau's list does not offer it either.
    client.force_login(bureau_user)
    assert batch.file_name not in client.get(DATA_URL).content.decode()


@pytest.mark.parametrize("route", ["export", "upload"])
def test_only_office_staff_use_the_office_file(client, bureau_user, council_member, route):
    url = reverse("measures:office_export", args=["xlsx"]) if route == "export" else UPLOAD_URL
    send = client.get if route == "export" else client.post
    assert send(url)["Location"].startswith(reverse("login"))
    for user in (bureau_user, council_member):
        client.force_login(user)
        assert send(url).status_code == 403
    assert SpreadsheetImport.objects.count() == 0


def test_the_office_pages_keep_their_query_budget(
    client, office_staff, world, django_assert_num_queries
):
    client.force_login(office_staff)
    rows = [f"ik;1.1;31.03.2015;in Umsetzung;{n};Zeile {n}.;nein" for n in range(3)]
    batch = upload(client, status_file(*rows))
    # The request's own and the office's recent files.
    with django_assert_num_queries(REQUEST + 1):
        assert client.get(DATA_URL).status_code == 200
    # The request's own, the file, an earlier import of the same file.
    with django_assert_num_queries(REQUEST + 2):
        assert client.get(reverse("measures:import_detail", args=[batch.pk])).status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_the_office_check_asks_the_same_queries_for_one_row_or_many(
    office_staff, django_assert_max_num_queries, count
):
    from measures.tables import run

    office = office_staff.offices.get()
    concept = ConceptFactory(slug="ik")
    for n in range(count):
        MeasureFactory(concept=concept, number=f"2.{n}", lead_office=office)
    rows = [f"ik;2.{n};31.03.2015;in Umsetzung;40;Zeile {n}.;ja" for n in range(count)]
    # The user's roles, the office's measures of the file's concepts, the entries the
    # office carries on and those waiting for review; savepoints around the import,
    # its preparation and its end: none per row.
    with django_assert_max_num_queries(16):
        summary = run(
            SpreadsheetImport.Kind.OFFICE_STATUSES,
            status_file(*rows),
            "csv",
            office_staff,
            dry_run=True,
        )
    assert summary["errors"] == []
    assert summary["totals"] == {"new": count}


def test_the_office_check_refuses_a_second_entry_waiting_for_review(client, office_staff, world):
    StatusEntryFactory(measure=world["led"], state=StatusEntry.State.SUBMITTED)
    client.force_login(office_staff)
    batch = upload(
        client,
        status_file(
            "ik;1.1;31.03.2015;in Umsetzung;40;Läuft.;ja",
            "ik;1.2;31.03.2015;in Umsetzung;60;Gut.;ja",
        ),
    )
    assert [(e["row"], e["message"]) for e in batch.summary["errors"]] == [
        (2, "Ein Sachstand dieser Maßnahme wartet auf Prüfung.")
    ]
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert StatusEntry.objects.count() == 1  # all rows or none

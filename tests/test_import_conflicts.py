"""Imports never overwrite newer work (issue 13): every exported measure row carries
the version it was exported at; a record changed since is a conflict that the check
shows and the import leaves alone unless the bureau takes the file's values; an
unchanged round trip changes nothing; row numbers are the spreadsheet's own."""

import io

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measures.models import Measure, SpreadsheetImport
from measures.resources import MeasureResource

pytestmark = pytest.mark.usefixtures("dresden")

UPLOAD_URL = reverse("measures:import_upload")
EXPORT_URL = reverse("measures:table_export", args=["massnahmen", "xlsx"])


def change_title_elsewhere(number, title):
    measure = Measure.objects.get(concept__slug="ik-2009", number=number)
    measure.title = title
    measure.save()  # as the measure form does: the version goes up
    return measure


def check(client, content):
    client.post(
        UPLOAD_URL,
        {"kind": "measures", "file": SimpleUploadedFile("massnahmen.xlsx", content)},
    )
    return SpreadsheetImport.objects.latest("pk")


def test_a_stale_file_does_not_put_the_old_title_back(client, bureau_user):
    client.force_login(bureau_user)
    exported = client.get(EXPORT_URL).content
    assert "Version" in [c.value for c in openpyxl.load_workbook(io.BytesIO(exported)).active[1]]
    old_title = Measure.objects.get(concept__slug="ik-2009", number="3.1.2").title
    change_title_elsewhere("3.1.2", "Von jemand anderem geändert")

    batch = check(client, exported)
    assert batch.summary["errors"] == []
    [conflict] = batch.summary["conflicts"]
    assert conflict["changes"] == [
        {"column": "Titel", "stored": "Von jemand anderem geändert", "file": old_title}
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(exported)).active
    numbers = [row[1].value for row in sheet.iter_rows()]
    assert conflict["row"] == numbers.index("3.1.2") + 1  # the spreadsheet's own row
    page = client.get(reverse("measures:import_detail", args=[batch.pk]))
    assert "Von jemand anderem geändert" in page.content.decode()

    response = client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert response.status_code == 302
    measure = Measure.objects.get(concept__slug="ik-2009", number="3.1.2")
    assert measure.title == "Von jemand anderem geändert"
    assert measure.version == 2
    # The background task's result page names the row left out and its values.
    page = client.get(response.url).content.decode()
    assert "1 Zeile wurde ausgelassen: ihr Datensatz wurde nach dem Export geändert." in page
    assert "Gespeichert vor dem Import" in page


def test_the_bureau_may_take_the_files_values_with_a_reason(client, bureau_user):
    client.force_login(bureau_user)
    exported = client.get(EXPORT_URL).content
    old_title = Measure.objects.get(concept__slug="ik-2009", number="3.1.2").title
    change_title_elsewhere("3.1.2", "Von jemand anderem geändert")
    batch = check(client, exported)
    url = reverse("measures:import_detail", args=[batch.pk])

    refused = client.post(url, {"on_conflict": "overwrite", "reason": ""})
    assert refused.status_code == 400
    assert "id_reason_error" in refused.content.decode()

    client.post(url, {"on_conflict": "overwrite", "reason": "Beschluss der AG vom 3. März"})
    measure = Measure.objects.get(concept__slug="ik-2009", number="3.1.2")
    assert measure.title == old_title
    assert "die Begründung steht in seiner Historie" in client.get(url).content.decode()
    latest = measure.history.first()
    assert latest.history_change_reason == "Beschluss der AG vom 3. März"
    assert latest.history_user == bureau_user
    assert Measure.objects.filter(version__gt=1).count() == 1  # only 3.1.2 was written


def test_an_unchanged_round_trip_writes_no_history_and_bumps_no_version(client, bureau_user):
    client.force_login(bureau_user)
    versions = dict(Measure.objects.values_list("pk", "version"))
    history = Measure.history.count()
    batch = check(client, client.get(EXPORT_URL).content)
    assert batch.summary["totals"] == {"skip": Measure.objects.count()}
    client.post(reverse("measures:import_detail", args=[batch.pk]))
    assert dict(Measure.objects.values_list("pk", "version")) == versions
    assert Measure.history.count() == history


def test_an_unchanged_admin_xlsx_round_trip_reports_nothing_updated():
    # The admin's export: dates come back from XLSX as datetimes.
    Measure.objects.filter(number="3.1.2").update(planned_start="2015-01-01")
    dataset = tablib.Dataset().load(MeasureResource().export().export("xlsx"), format="xlsx")
    history = Measure.history.count()
    result = MeasureResource().import_data(dataset, dry_run=False, use_transactions=True)
    assert result.totals["update"] == 0
    assert Measure.history.count() == history


def test_a_row_twice_in_the_file_names_the_earlier_row():
    dataset = MeasureResource().export(Measure.objects.filter(number="3.1.2"))
    dataset.append(dataset[0])
    result = MeasureResource().import_data(dataset, dry_run=True, use_transactions=True)
    # Both rows are unchanged, so neither is written and nothing is wrong.
    assert not result.has_validation_errors()


def test_admin_import_errors_are_a_list_with_the_spreadsheets_row_numbers(
    client, admin_user, tmp_path
):
    dataset = MeasureResource().export()
    rows = [list(r) for r in dataset]
    rows[1][dataset.headers.index("Federführendes Amt")] = "99"  # spreadsheet row 3
    upload = tmp_path / "massnahmen.csv"
    upload.write_text(tablib.Dataset(*rows, headers=dataset.headers).export("csv"), "utf-8")
    client.force_login(admin_user)
    with upload.open("rb") as handle:
        response = client.post(
            reverse("admin:measures_measure_import"),
            {"import_file": handle, "format": "0", "resource": "0"},
        )
    content = response.content.decode()
    listed = content.split('id="import-errors"')[1].split("</table>")[0]
    assert "<td>3</td><td>Federführendes Amt</td><td>99</td>" in listed
    assert "Amt „99“ ist unbekannt" in listed
    assert ">None<" not in content

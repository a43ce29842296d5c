"""Spreadsheet import/export with natural keys: a round trip changes nothing, and a
bad row writes nothing and is named."""

import io

import openpyxl
import pytest
import tablib
from django.apps import apps
from django.core import serializers
from django.urls import reverse
from django.utils import timezone, translation

from measures.models import Measure
from measures.resources import ActionNeedResource, FundingAmountResource, MeasureResource
from working_groups.resources import MembershipResource, OfficeResource, OrganisationResource

pytestmark = pytest.mark.usefixtures("dresden")

RESOURCES = [
    MeasureResource,
    OrganisationResource,
    OfficeResource,
    MembershipResource,
    FundingAmountResource,
    ActionNeedResource,
]


def snapshot():
    """Every record of our apps, serialised, to prove an import changed nothing."""
    models = [
        m for app in ("working_groups", "measures") for m in apps.get_app_config(app).get_models()
    ]
    return {m.__name__: serializers.serialize("json", m.objects.order_by("pk")) for m in models}


def xlsx_round_trip(resource):
    exported = resource.export()
    return tablib.Dataset().load(exported.export("xlsx"), format="xlsx")


def keyed(dataset, resource_class=MeasureResource):
    """The dataset with column keys for headings, so a test can name a column."""
    return resource_class().with_column_keys(dataset)


@pytest.mark.parametrize("resource_class", RESOURCES, ids=lambda r: r.__name__)
def test_xlsx_export_import_round_trip_changes_nothing(resource_class):
    before = snapshot()
    dataset = xlsx_round_trip(resource_class())
    assert len(dataset) > 0
    result = resource_class().import_data(dataset, dry_run=False, raise_errors=False)
    assert not result.has_errors()
    assert not result.has_validation_errors(), [
        (row.number, row.error_dict) for row in result.invalid_rows
    ]
    assert {row.import_type for row in result.rows} == {"skip"}
    assert snapshot() == before


@pytest.mark.parametrize(("exported_in", "imported_in"), [("de", "de"), ("en", "en"), ("en", "de")])
@pytest.mark.parametrize("resource_class", RESOURCES, ids=lambda r: r.__name__)
def test_csv_round_trip_changes_nothing(resource_class, exported_in, imported_in):
    before = snapshot()
    with translation.override(exported_in):
        csv = resource_class().export().export("csv")
    dataset = tablib.Dataset().load(csv, format="csv")
    with translation.override(imported_in):
        result = resource_class().import_data(dataset, dry_run=False)
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
    assert snapshot() == before


def exported_row(dataset, number):
    numbers = [r[dataset.headers.index("number")] for r in dataset]
    return dict(zip(dataset.headers, dataset[numbers.index(number)], strict=True))


@pytest.mark.usefixtures("dresden_statuses")
def test_measures_are_exported_with_natural_keys():
    dataset = keyed(MeasureResource().export())
    row = exported_row(dataset, "3.1.3")
    assert row["concept"] == "ik-2009"
    assert row["lead_office"] == "Ordnungsamt"  # no code known: the name is the key
    assert row["topic"] == "mehrsprachigkeit"
    assert row["parent"] == "3.1"
    assert exported_row(dataset, "5.6.1")["lead_office"] == "41 – Kulturamt"  # its label
    assert exported_row(dataset, "3.1.9")["languages"] == "en; ru; cs"  # ordered by name


@pytest.mark.usefixtures("dresden_statuses")
def test_admin_spreadsheets_have_the_headings_and_labels_of_the_interface():
    dataset = MeasureResource().export()
    assert dataset.headers[:5] == [
        "Konzept",
        "Nummer",
        "Titel",
        "Wortlaut im Bericht",
        "Beschreibung",
    ]
    assert "Federführendes Amt" in dataset.headers and "lead_office" not in dataset.headers
    assert dataset.headers[-1] == "Version"  # kept for conflict detection
    assert dataset.title == "Maßnahmen"
    row = dict(zip(dataset.headers, dataset[[r[1] for r in dataset].index("3.1.3")], strict=True))
    assert row["Aktueller Umsetzungsstand"] == "umgesetzt"
    assert row["Öffentlich"] == "ja"
    with translation.override("en"):
        dataset = MeasureResource().export()
    assert dataset.headers[:3] == ["Concept", "Number", "Title"]
    assert dataset.title == "Measures"
    row = dict(zip(dataset.headers, dataset[[r[1] for r in dataset].index("3.1.3")], strict=True))
    assert row["Current status"] == "completed"
    assert row["Public"] == "yes"
    needs = ActionNeedResource().export()
    assert "Zuständige Ämter" in needs.headers
    assert set(needs["Umsetzungsstand"]) <= {
        "offen",
        "in Bearbeitung",
        "erledigt",
        "in ein Folgekonzept übernommen",
    }
    funding = FundingAmountResource().export()
    assert set(funding["Art"]) <= {"geplant", "tatsächlich"}


def test_headings_and_labels_of_either_language_read_back():
    dataset = tablib.Dataset(
        ["ik-2009", "4.2.1", "Neu", "ongoing task", "NEIN"],
        headers=["konzept", "Number", "Titel", "Current status", "öffentlich"],
    )
    resource = MeasureResource()
    keyed = resource.with_column_keys(dataset)
    assert keyed.headers == ["concept", "number", "title", "current_status", "is_public"]
    names = {}
    for resource_class in RESOURCES:
        resource = resource_class()
        for language in ("de", "en"):
            with translation.override(language):
                headings = [
                    resource.heading(field.column_name) for field in resource.fields.values()
                ]
            assert len(set(headings)) == len(headings), (resource_class, language, headings)
        names[resource_class] = resource.column_keys()
    assert names[MeasureResource]["aktueller umsetzungsstand"] == "current_status"


def test_import_with_unknown_office_writes_nothing_and_names_the_row():
    before = snapshot()
    dataset = keyed(xlsx_round_trip(MeasureResource()))
    lead = dataset.headers.index("lead_office")
    title = dataset.headers.index("title")
    rows = [list(r) for r in dataset]
    rows[0][title] = "Geänderter Titel"  # a good change that must not land either
    rows[2][lead] = "99"  # no office 99 in Dresden
    rows.append(["ik-2009", "9.9", "Neue Maßnahme"] + [""] * (len(dataset.headers) - 3))
    bad = tablib.Dataset(*rows, headers=dataset.headers)

    result = MeasureResource().import_data(bad, dry_run=False, rollback_on_validation_errors=True)

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 3
    assert "lead_office" in invalid.field_specific_errors
    assert "Amt „99“ ist unbekannt." in str(invalid.field_specific_errors["lead_office"])
    assert snapshot() == before
    assert not Measure.objects.filter(number="9.9").exists()


def test_import_of_a_membership_with_two_holders_is_a_row_error():
    before = snapshot()
    dataset = keyed(xlsx_round_trip(MembershipResource()), MembershipResource)
    office = dataset.headers.index("office")
    rows = [list(r) for r in dataset]
    rows[0][office] = "51"  # the row already has an organisation
    result = MembershipResource().import_data(
        tablib.Dataset(*rows, headers=dataset.headers),
        dry_run=False,
        rollback_on_validation_errors=True,
    )
    assert result.has_validation_errors()
    assert result.invalid_rows[0].number == 1
    assert snapshot() == before


def test_import_adds_and_updates_by_natural_key():
    dataset = keyed(MeasureResource().export())
    rows = [list(r) for r in dataset]
    headers = dataset.headers
    row = rows[[r[1] for r in rows].index("4.2.1")]
    row[headers.index("title")] = "Projekt „Lesestark!“ – erweitert"
    new = [""] * len(headers)
    new[headers.index("concept")] = "ik-2009"
    new[headers.index("number")] = "4.2.10"
    new[headers.index("title")] = "Neue Maßnahme"
    new[headers.index("lead_office")] = "51"
    new[headers.index("partner_offices")] = "41; Ordnungsamt"
    new[headers.index("is_public")] = "1"
    new[headers.index("position")] = "99"
    result = MeasureResource().import_data(tablib.Dataset(row, new, headers=headers), dry_run=False)
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert [r.import_type for r in result.rows] == ["update", "new"]
    assert Measure.objects.get(number="4.2.1").title.endswith("erweitert")
    created = Measure.objects.get(number="4.2.10")
    assert created.lead_office.name == "Jugendamt"
    assert sorted(o.key for o in created.partner_offices.all()) == ["41", "Ordnungsamt"]


def test_admin_export_offers_csv_and_xlsx(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:measures_measure_export"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "csv" in content.lower() and "xlsx" in content.lower()


def test_admin_import_preview_reports_the_bad_row(client, admin_user, tmp_path):
    dataset = keyed(MeasureResource().export())
    rows = [list(r) for r in dataset]
    rows[1][dataset.headers.index("lead_office")] = "99"
    csv = tablib.Dataset(*rows, headers=dataset.headers).export("csv")
    client.force_login(admin_user)
    upload = tmp_path / "massnahmen.csv"
    upload.write_text(csv, encoding="utf-8")
    with upload.open("rb") as handle:
        response = client.post(
            reverse("admin:measures_measure_import"),
            {"import_file": handle, "format": "0", "resource": "0"},
        )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Amt „99“ ist unbekannt" in content
    assert reverse("admin:measures_measure_process_import") not in content
    assert Measure.objects.filter(lead_office__code="99").count() == 0


def admin_export(client, language="de"):
    """The admin's measure export as XLSX with every field (the form's defaults)."""
    page = client.get(
        reverse("admin:measures_measure_export"), headers={"accept-language": language}
    )
    form = page.context["form"]
    data = {
        "format": str(next(i for i, f in form.fields["format"].choices if f == "xlsx")),
        "resource": "0",
    }
    data |= {
        name: "on"
        for name, field in form.fields.items()
        if getattr(field, "is_selectable_field", False)
    }
    return client.post(
        reverse("admin:measures_measure_export"), data, headers={"accept-language": language}
    )


@pytest.mark.usefixtures("dresden_statuses")
def test_admin_export_page_and_file_speak_german(client, admin_user):
    client.force_login(admin_user)
    content = client.get(reverse("admin:measures_measure_export")).content.decode()
    for german in ("Alle auswählen", "Federführendes Amt", "Öffentlich", "Handlungsfeld"):
        assert german in content
    for english in (
        "Select all",
        "Field Of Action",
        "Is Public",
        "Lead Office",
        "onchange",
        'style="',
    ):
        assert english not in content
    response = admin_export(client)
    assert response.status_code == 200
    filename = response["Content-Disposition"].split("filename=")[1].strip('"')
    assert filename == f"Massnahmen-{timezone.localdate().isoformat()}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Maßnahmen"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Konzept", "Nummer", "Titel"] and rows[0][-1] == "Version"
    status = rows[0].index("Aktueller Umsetzungsstand")
    assert "umgesetzt" in {row[status] for row in rows[1:]}
    assert "completed" not in {row[status] for row in rows[1:]}


@pytest.mark.usefixtures("dresden_statuses")
def test_admin_export_in_english_reads_back_in_german(client, admin_user):
    client.force_login(admin_user)
    response = admin_export(client, "en")
    filename = response["Content-Disposition"].split("filename=")[1].strip('"')
    assert filename.startswith("Measures-")
    dataset = tablib.Dataset().load(response.content, format="xlsx")
    assert dataset.title == "Measures"
    assert "Lead office" in dataset.headers and "Current status" in dataset.headers
    before = snapshot()
    result = MeasureResource().import_data(dataset, dry_run=False)  # German is active
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
    assert snapshot() == before


def test_admin_import_page_lists_the_headings(client, admin_user):
    client.force_login(admin_user)
    content = client.get(reverse("admin:measures_measure_import")).content.decode()
    assert "Federführendes Amt" in content and "lead_office" not in content

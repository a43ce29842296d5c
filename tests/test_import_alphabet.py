"""Imports that would change data silently, again (issue 22, item 5): a heading is
matched whatever its Unicode form, letter case or spacing, a file with an unknown or
doubled column fails the check with the column named, and keys are taken only from
their alphabet (measure numbers, office codes, slugs) or, for names, without hidden
characters or words that mix scripts; an export still reads back unchanged."""

import io
import re
import unicodedata

import openpyxl
import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from helpers.spreadsheets import CODES, NUMBERS, clean_key
from measures.models import ActionNeed, Language, Measure, SpreadsheetImport
from measures.resources import MeasureAdminResource
from measures.tables import EXPORTS, export_table, office_template, run
from working_groups.models import Department, FieldOfAction, Office, Organisation
from working_groups.resources import OfficeResource, OrganisationResource

from .admin_forms import change_form_data
from .test_spreadsheets import snapshot

pytestmark = pytest.mark.usefixtures("dresden")

NFD_PUBLIC = "O\u0308ffentlich"  # “Öffentlich” as macOS and some web forms write it

# Characters that make a key look like another: fillers drawn as nothing, the
# combining grapheme joiner, a Cyrillic Ze for the digit 3, full-width digits.
LOOK_ALIKE_NUMBERS = {
    "Hangul filler U+3164": ("3.1\u3164", "U+3164"),
    "half-width Hangul filler U+FFA0": ("\uffa03.1", "U+FFA0"),
    "blank Braille pattern U+2800": ("3.1\u2800", "U+2800"),
    "combining grapheme joiner U+034F": ("3.\u034f1", "U+034F"),
    "Cyrillic Ze": ("\u0417.1", "U+0417"),
    "full-width digits": ("\uff13.\uff11", "U+FF13"),
}


def public_measure():
    return Measure.objects.filter(concept__slug="ik-2009", is_public=True).order_by("pk").first()


def workspace_import(*lines, kind=SpreadsheetImport.Kind.MEASURES, user, dry_run=False):
    content = ("\n".join(lines) + "\n").encode("utf-8")
    return run(kind, content, "csv", user, dry_run=dry_run)


def errors(summary):
    return [(error["row"], error["column"], error["message"]) for error in summary["errors"]]


# Headings: matched in any Unicode form, letter case and spacing -------------------


def test_heading_in_nfd_form_is_matched_and_its_value_applied(bureau_user):
    measure = public_measure()
    summary = workspace_import(
        f"Konzept;Nummer;Titel;{NFD_PUBLIC}",
        f"ik-2009;{measure.number};{measure.title};nein",
        user=bureau_user,
    )
    assert summary["errors"] == []
    assert summary["totals"] == {"update": 1}
    measure.refresh_from_db()
    assert measure.is_public is False


def test_headings_match_whatever_their_letter_case_and_spacing(bureau_user):
    measure = public_measure()
    summary = workspace_import(
        f" KONZEPT ;nummer;Titel\u00a0;\t{NFD_PUBLIC.upper()}  ",
        f"ik-2009;{measure.number};{measure.title};nein",
        user=bureau_user,
    )
    assert summary["errors"] == []
    measure.refresh_from_db()
    assert measure.is_public is False


def test_a_column_twice_after_normalisation_fails_the_check_naming_both(bureau_user):
    measure = public_measure()
    before = snapshot()
    summary = workspace_import(
        f"Konzept;Nummer;Titel;Öffentlich;{NFD_PUBLIC}",
        f"ik-2009;{measure.number};{measure.title};ja;nein",
        user=bureau_user,
    )
    [(row, column, message)] = errors(summary)
    assert (row, column) == (1, "E")
    # The heading as the file writes it (here in NFD form, which looks the same).
    expected = "Spalte E, „Öffentlich“, ist dieselbe Spalte wie Spalte D, „Öffentlich“"
    assert expected in unicodedata.normalize("NFC", message)
    assert "zweimal" in message
    assert snapshot() == before


def test_an_unknown_column_fails_the_check_naming_it(bureau_user):
    measure = public_measure()
    before = snapshot()
    summary = workspace_import(
        "Konzept;Nummer;Titel;Oeffentlich",
        f"ik-2009;{measure.number};{measure.title};nein",
        user=bureau_user,
    )
    [(row, column, message)] = errors(summary)
    assert (row, column) == (1, "D")
    assert message.startswith("Spalte D, „Oeffentlich“, ist keine Spalte dieser Tabelle.")
    assert "Bekannte Spalten: Konzept, Nummer, Titel" in message
    assert "Öffentlich" in message
    assert snapshot() == before


def test_a_heading_with_an_invisible_character_is_unknown_and_says_so(bureau_user):
    measure = public_measure()
    summary = workspace_import(
        "Konzept;Nummer;Titel;Öffentlich\u200b",
        f"ik-2009;{measure.number};{measure.title};nein",
        user=bureau_user,
    )
    [(_row, column, message)] = errors(summary)
    assert column == "D"
    assert "unsichtbare Zeichen (U+200B)" in message
    assert Measure.objects.get(pk=measure.pk).is_public is True


def test_a_column_with_values_but_no_heading_fails_the_check(bureau_user):
    measure = public_measure()
    summary = workspace_import(
        "Konzept;Nummer;;Titel",
        f"ik-2009;{measure.number};nein;{measure.title}",
        user=bureau_user,
    )
    assert errors(summary) == [(1, "C", "Spalte C enthält Werte, aber keine Überschrift.")]


def test_an_empty_column_without_heading_is_left_out(bureau_user):
    measure = public_measure()
    summary = workspace_import(
        "Konzept;Nummer;;Titel",
        f"ik-2009;{measure.number};;{measure.title}",
        user=bureau_user,
        dry_run=True,
    )
    assert summary["errors"] == []
    assert summary["headings"] == ["Konzept", "Nummer", "Titel"]


def test_the_office_file_refuses_an_unknown_column(office_staff):
    summary = workspace_import(
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Einreichen;Bemerkung",
        "ik-2009;3.1.3;01.04.2015;in Umsetzung;ja;läuft",
        kind=SpreadsheetImport.Kind.OFFICE_STATUSES,
        user=office_staff,
        dry_run=True,
    )
    [(row, column, message)] = errors(summary)
    assert (row, column) == (1, "F")
    assert "„Bemerkung“, ist keine Spalte dieser Tabelle" in message


# Keys: only from their alphabet ------------------------------------------------------


@pytest.mark.parametrize(("number", "code"), LOOK_ALIKE_NUMBERS.values(), ids=LOOK_ALIKE_NUMBERS)
def test_a_measure_number_that_looks_like_another_is_refused(bureau_user, number, code):
    before = snapshot()
    summary = workspace_import(
        "Konzept;Nummer;Titel;Öffentlich",
        "ik-2009;3.2.1;Unverändert?;ja",
        f"ik-2009;{number};Sieht aus wie 3.1;nein",
        user=bureau_user,
    )
    [(row, column, message)] = errors(summary)
    assert (row, column) == (3, "Nummer")
    assert code in message
    assert snapshot() == before


def test_a_status_entry_for_a_measure_number_that_looks_like_another_is_refused(bureau_user):
    summary = workspace_import(
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand",
        "ik-2009;\u0417.1.3;01.04.2015;in Umsetzung",
        kind=SpreadsheetImport.Kind.STATUS_ENTRIES,
        user=bureau_user,
        dry_run=True,
    )
    [(row, column, message)] = errors(summary)
    assert (row, column) == (2, "Maßnahme")
    assert "darf nur Ziffern, Punkte und lateinische Buchstaben" in message
    assert "Nicht erlaubt: \u0417 (U+0417)" in message


def test_keys_of_the_alphabet_and_documented_office_codes_are_accepted():
    assert clean_key(" 4.2.10a ", NUMBERS) == "4.2.10a"
    assert clean_key("EB Kita", CODES) == "EB Kita"  # an office code as the city writes it
    for refused in ("3-1", "3,1", "3 1"):
        with pytest.raises(ValueError, match="darf nur"):
            clean_key(refused, NUMBERS)
    with pytest.raises(ValueError, match="einzelne Leerzeichen"):
        clean_key("EB  Kita", CODES)


@pytest.mark.parametrize(
    "name",
    [
        "Technische Universität Dresden",
        "Te\u0301chnik e. V.",  # NFD, read as NFC
        "Verein Дружба e. V.",  # a Cyrillic word beside Latin ones
        "Ελληνική Κοινότητα Dresden",
        "41 – Kulturamt",
    ],
)
def test_names_in_one_script_per_word_are_accepted(name):
    assert clean_key(f" {name} ") == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("TU Dresden\u3164", "U+3164"),
        ("\uffa0TU Dresden", "U+FFA0"),
        ("TU\u2800Dresden", "U+2800"),
        ("TU Dres\u034fden", "U+034F"),
        ("TU\u00a0Dresden", "U+00A0"),
        ("\u0417entrum Dresden", "\u0417 (U+0417)"),
        ("\u03a4U Dresden", "\u03a4 (U+03A4)"),  # a Greek Tau
        ("\uff11\uff10\uff11. Mittelschule", "\uff11 (U+FF11)"),
    ],
)
def test_organisation_names_that_look_like_others_are_refused_in_the_admin_import(name, shown):
    before = Organisation.objects.count()
    dataset = tablib.Dataset(["Neuer Verein", ""], [name, ""], headers=["Name", "Kurzname"])
    result = OrganisationResource().import_data(
        dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    [invalid] = result.invalid_rows
    assert invalid.number + 1 == 3  # the spreadsheet's row
    assert shown in str(invalid.error_dict["name"])
    assert Organisation.objects.count() == before


@pytest.mark.parametrize(("number", "code"), LOOK_ALIKE_NUMBERS.values(), ids=LOOK_ALIKE_NUMBERS)
def test_the_admin_measure_import_refuses_look_alike_numbers(number, code):
    before = Measure.objects.count()
    dataset = tablib.Dataset(["ik-2009", number, "Neu"], headers=["Konzept", "Nummer", "Titel"])
    result = MeasureAdminResource().import_data(dataset, dry_run=False, use_transactions=True)
    [invalid] = result.invalid_rows
    assert invalid.number + 1 == 2
    assert code in str(invalid.error_dict["number"])
    assert Measure.objects.count() == before


def test_the_admin_office_import_refuses_a_full_width_code():
    before = Office.objects.count()
    dataset = tablib.Dataset(
        ["dresden", "\uff15\uff11", "Jugendamt"], headers=["Kommune", "Kennung", "Name"]
    )
    result = OfficeResource().import_data(dataset, dry_run=False, use_transactions=True)
    message = str(errors_of(result)[2]["code"])
    assert "darf nur Ziffern, Punkte, lateinische Buchstaben" in message
    assert "\uff15 (U+FF15)" in message
    assert Office.objects.count() == before


# The admin's record forms refuse what the imports refuse: the key fields of the models
# have the alphabets as validators, so every form applies them.


@pytest.mark.parametrize(("number", "code"), LOOK_ALIKE_NUMBERS.values(), ids=LOOK_ALIKE_NUMBERS)
def test_the_admin_measure_form_refuses_look_alike_numbers(admin_client, number, code):
    measure = public_measure()
    url = reverse("admin:measures_measure_change", args=[measure.pk])
    response = admin_client.post(url, change_form_data(admin_client.get(url), number=number))
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["number"]
    assert "darf nur Ziffern, Punkte und lateinische Buchstaben (A–Z, a–z) enthalten" in message
    assert "Nicht erlaubt:" in message and f"({code})" in message
    assert Measure.objects.get(pk=measure.pk).number == measure.number


@pytest.mark.parametrize(
    ("model", "field", "value", "shown"),
    [
        (Office, "code", "\uff15\uff11", "\uff15 (U+FF15)"),
        (Department, "code", "GB\u00a07", "U+00A0"),
        (FieldOfAction, "number", "\u0417", "\u0417 (U+0417)"),
        (ActionNeed, "number", "1\u3164", "U+3164"),
        (Language, "code", "d\u0435", "\u0435 (U+0435)"),
    ],
    ids=["office code", "department code", "field of action", "need for action", "language"],
)
def test_the_admin_forms_of_other_keys_refuse_what_the_imports_refuse(
    admin_client, model, field, value, shown
):
    record = model.objects.order_by("pk").first()
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
    response = admin_client.post(url, change_form_data(admin_client.get(url), **{field: value}))
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors[field]
    assert shown in message
    assert getattr(model.objects.get(pk=record.pk), field) == getattr(record, field)


def test_the_admin_keeps_saving_keys_of_the_alphabet(admin_client):
    office = Office.objects.get(code="51")
    url = reverse("admin:working_groups_office_change", args=[office.pk])
    response = admin_client.post(url, change_form_data(admin_client.get(url), code="EB Kita 2"))
    assert response.status_code == 302
    assert Office.objects.get(pk=office.pk).code == "EB Kita 2"


def test_the_admin_office_import_finds_an_office_by_its_name_in_nfd_form():
    before = Office.objects.count()
    name = "Amt fu\u0308r Stadtgru\u0308n und Abfallwirtschaft"  # it has no code
    nfd = tablib.Dataset(["dresden", "", name], headers=["Kommune", "Kennung", "Name"])
    result = OfficeResource().import_data(nfd, dry_run=False, use_transactions=True)
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip"]
    assert Office.objects.count() == before


def errors_of(result):
    return {invalid.number + 1: invalid.error_dict for invalid in result.invalid_rows}


# The admin's import pages -------------------------------------------------------------


def admin_preview(client, content):
    return client.post(
        reverse("admin:measures_measure_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("m.csv", content)},
    )


def test_the_admin_import_matches_an_nfd_heading(admin_client):
    measure = public_measure()
    content = f"Konzept;Nummer;Titel;{NFD_PUBLIC}\nik-2009;{measure.number};{measure.title};nein\n"
    preview = admin_preview(admin_client, content.encode())
    page = preview.content.decode()
    fields = "import_file_name|original_file_name|format|resource"
    data = dict(re.findall(rf'name="({fields})" value="([^"]*)"', page))
    assert data, "the check passes and offers to confirm"
    response = admin_client.post(reverse("admin:measures_measure_process_import"), data)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.is_public is False


@pytest.mark.parametrize(
    ("headings", "message"),
    [
        ("Konzept;Nummer;Titel;Öffentlich;is_public", "Spalte E, „is_public“, ist dieselbe Spalte"),
        ("Konzept;Nummer;Titel;Öffentlich\u200b", "unsichtbare Zeichen (U+200B)"),
        ("Konzept;Nummer;Titel;Sichtbar", "Spalte D, „Sichtbar“, ist keine Spalte"),
    ],
)
def test_the_admin_import_refuses_a_doubled_or_unknown_column(admin_client, headings, message):
    measure = public_measure()
    content = f"{headings}\nik-2009;{measure.number};{measure.title};ja;nein\n"
    page = admin_preview(admin_client, content.encode()).content.decode()
    assert message in page
    assert 'name="import_file_name"' not in page, "nothing to confirm"
    assert Measure.objects.get(pk=measure.pk).is_public is True


# Round trips: an export imported again changes nothing -------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_workspace_measures_export_reads_back_unchanged(bureau_user, file_format, language):
    with translation.override(language):
        content = export_table(EXPORTS["massnahmen"], file_format)
    before = snapshot()
    summary = run(SpreadsheetImport.Kind.MEASURES, content, file_format, bureau_user, False)
    assert summary["errors"] == []
    assert summary["totals"] == {"skip": Measure.objects.count()}
    assert snapshot() == before


def test_the_office_file_reads_back_unchanged(office_staff):
    content = office_template(office_staff, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.max_row > 1, "the office has measures in Dresden"
    before = snapshot()
    summary = run(SpreadsheetImport.Kind.OFFICE_STATUSES, content, "xlsx", office_staff, False)
    assert summary["errors"] == []
    assert snapshot() == before

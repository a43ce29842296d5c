"""Uploaded spreadsheets are read within limits (uncompressed size, rows, columns, cell
length), in the encodings German offices save CSV in, without formula cells, and with
at most a set number of errors listed: in the /daten/ workspace and in the admin."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from helpers.uploads import FileProblem, capped_errors, read_spreadsheet
from measures.models import SpreadsheetImport, StatusEntry
from working_groups.models import Organisation

HEADINGS = ["Konzept", "Maßnahme", "Stand vom", "Umsetzungsstand"]


def xlsx(rows, write_only=True):
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(content, file_format, language="de"):
    with translation.override(language), pytest.raises(FileProblem) as problem:
        read_spreadsheet(content, file_format)
    return str(problem.value)


# Limits -------------------------------------------------------------------------------


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_parsing():
    buffer = io.BytesIO(xlsx([HEADINGS]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (51 * 1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < 200_000
    assert "höchstens 50 MB" in refusal(content, "xlsx")
    assert "at most 50 MB" in refusal(content, "xlsx", "en")


def test_declared_member_sizes_are_what_counts():
    """A member that lies about its size cannot be read past what it declares."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<x/>" * 10)
    content = bytearray(buffer.getvalue())
    # Central directory: uncompressed size of the only member, patched to 2 GB.
    central = content.rfind(b"PK\x01\x02")
    content[central + 24 : central + 28] = (2**31).to_bytes(4, "little")
    assert "MB" in refusal(bytes(content), "xlsx")


def test_an_xlsx_with_more_rows_than_the_limit_is_refused():
    rows = ([HEADINGS], (["ik-2009", f"3.{n}", "01.04.2015", "geplant"] for n in range(20_001)))
    message = refusal(xlsx(row for part in rows for row in part), "xlsx")
    assert "mehr als 20.000 Zeilen" in message


def test_a_bomb_without_declared_dimensions_is_refused_before_openpyxl_scans_it(
    monkeypatch, settings
):
    """1 million rows in a 70 KB file: openpyxl would read the whole sheet to open it.
    (Packed 1,000 to 1: the packing ratio alone would refuse it; here the rows count.)"""
    settings.SPREADSHEET_LIMITS = {"packing_ratio": 10_000}
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADINGS], write_only=False)))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = (
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                    b'2006/main"><sheetData>'
                    + b"<row><c><v>1</v></c></row>" * 1_000_000
                    + b"</sheetData></worksheet>"
                )
            archive.writestr(member, data)
    content = buffer.getvalue()
    assert len(content) < 300_000

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was asked to open the bomb")

    monkeypatch.setattr("helpers.uploads.load_workbook", never)
    assert "mehr als 20.000 Zeilen" in refusal(content, "xlsx")


def test_a_csv_with_200000_bad_rows_is_refused_by_its_row_count():
    content = ("Konzept;Maßnahme\n" + "x;y\n" * 200_000).encode()
    assert "more than 20,000 rows" in refusal(content, "csv", "en")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_too_many_columns_are_refused(file_format):
    row = [f"Spalte {n}" for n in range(61)]
    content = xlsx([row]) if file_format == "xlsx" else ";".join(row).encode()
    assert "mehr als 60 Spalten" in refusal(content, file_format)


@pytest.mark.parametrize("length", [10_001, 200_000])
def test_an_overlong_csv_cell_is_refused(length):
    content = ("Konzept;Anmerkung\nik-2009;" + "x" * length + "\n").encode()
    assert "mehr als 10.000 Zeichen" in refusal(content, "csv")


def test_an_overlong_xlsx_cell_is_refused_with_the_cell_named():
    message = refusal(xlsx([HEADINGS, ["ik-2009", "3.1.3", "x" * 10_001]]), "xlsx")
    assert "Zelle C2" in message and "10.000 Zeichen" in message


def test_limits_are_settings(settings):
    settings.SPREADSHEET_LIMITS = {"rows": 2}
    content = ("Konzept\n" + "x\n" * 3).encode()
    assert "mehr als 2 Zeilen" in refusal(content, "csv")
    assert len(read_spreadsheet(("Konzept\n" + "x\n" * 2).encode(), "csv")) == 2


# Encodings ----------------------------------------------------------------------------

TEXT = "Konzept;Anmerkung\nik-2009;Größe 5 € – „gut“\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"])
def test_csv_encodings_of_german_offices_are_read(encoding):
    if encoding == "utf-16-be-bom":
        content = "\ufeff".encode("utf-16-be") + TEXT.encode("utf-16-be")
    else:
        content = TEXT.encode(encoding)
    dataset = read_spreadsheet(content, "csv")
    assert dataset.headers == ["Konzept", "Anmerkung"]
    assert dataset[0] == ("ik-2009", "Größe 5 € – „gut“")


def test_undecodable_csv_names_the_expected_encoding():
    content = b"Konzept;Anmerkung\nik-2009;\x81\x8d\xc3\n"
    message = refusal(content, "csv")
    assert "UTF-8" in message and "Windows-1252" in message and "Zeichen" in message


def test_utf16_without_byte_order_mark_is_refused_with_advice():
    assert "CSV UTF-8" in refusal(TEXT.encode("utf-16-le"), "csv")


# Formulas -----------------------------------------------------------------------------


def test_a_formula_cell_is_refused_with_the_cell_named():
    rows = [HEADINGS] + [["ik-2009", "3.1.3", "01.04.2015", "geplant"]] * 5
    rows.append(["ik-2009", "3.1.3", "=TODAY()", "geplant"])
    message = refusal(xlsx(rows), "xlsx")
    assert message.startswith("Zelle C7 enthält eine Formel.")
    assert "Cell C7 contains a formula." in refusal(xlsx(rows), "xlsx", "en")


def test_many_formula_cells_are_named_up_to_ten_and_counted():
    rows = [HEADINGS] + [["ik-2009", f"=A{n}", "01.04.2015", "geplant"] for n in range(12)]
    message = refusal(xlsx(rows), "xlsx")
    assert "B2, B3" in message and "B11 und 2 weitere Zellen enthalten Formeln" in message


# Errors -------------------------------------------------------------------------------


def test_errors_are_capped_and_the_rest_counted(settings):
    settings.SPREADSHEET_LIMITS = {"errors": 3}
    errors = [{"row": n, "column": "", "message": "falsch"} for n in range(4_815)]
    with translation.override("de"):
        capped = capped_errors(errors)
    assert len(capped) == 4
    assert capped[-1]["message"] == "… und 4.812 weitere Fehler"


@pytest.mark.usefixtures("dresden")
def test_the_workspace_lists_capped_errors_and_counts_them_all(client, bureau_user, settings):
    settings.SPREADSHEET_LIMITS = {"errors": 2}
    client.force_login(bureau_user)
    content = (";".join(HEADINGS) + "\n" + "ik-2009;9.9.9;01.04.2015;in Umsetzung\n" * 5).encode()
    client.post(
        reverse("measures:import_upload"),
        {"kind": "status_entries", "file": SimpleUploadedFile("x.csv", content)},
    )
    batch = SpreadsheetImport.objects.get()
    assert batch.summary["error_count"] == 5
    assert [error["row"] for error in batch.summary["errors"]] == [2, 3, None]
    page = client.get(reverse("measures:import_detail", args=[batch.pk])).content.decode()
    assert "Die Datei hat 5 Fehler" in page and "… und 3 weitere Fehler" in page


@pytest.mark.usefixtures("dresden")
def test_the_workspace_refuses_a_formula_cell(client, bureau_user):
    client.force_login(bureau_user)
    before = StatusEntry.objects.count()
    content = xlsx([HEADINGS, ["ik-2009", "3.1.3", "=DATE(2015;4;1)", "geplant"]])
    response = client.post(
        reverse("measures:import_upload"),
        {"kind": "status_entries", "file": SimpleUploadedFile("x.xlsx", content)},
        follow=True,
    )
    assert "Zelle C2 enthält eine Formel" in response.content.decode()
    assert StatusEntry.objects.count() == before


# The admin ----------------------------------------------------------------------------


def admin_import(client, content, name, format_index):
    return client.post(
        reverse("admin:working_groups_organisation_import"),
        {
            "resource": "0",
            "format": str(format_index),
            "import_file": SimpleUploadedFile(name, content),
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "index", "message"),
    [
        ("o.csv", ("name\n" + "x\n" * 20_001).encode(), 0, "mehr als 20.000 Zeilen"),
        ("o.csv", b"name\n\x81\x8d\n", 0, "Windows-1252"),
        ("o.xlsx", xlsx([["name"], ["=1+1"]]), 1, "Zelle A2 enthält eine Formel"),
    ],
)
def test_the_admin_import_has_the_same_limits(admin_client, name, content, index, message):
    before = Organisation.objects.count()
    response = admin_import(admin_client, content, name, index)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organisation.objects.count() == before


def test_the_admin_reads_a_windows_encoded_csv(admin_client):
    response = admin_import(
        admin_client, "name\nStraßenbauamt Größe\n".encode("cp1252"), "o.csv", 0
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Straßenbauamt Größe" in page, page[:3000]


def test_uploaded_workbooks_are_parsed_through_defusedxml():
    """openpyxl uses defusedxml when it is installed (a dependency of the project):
    entity expansion and external entities in an uploaded workbook are refused."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML

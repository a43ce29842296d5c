"""The import check says what a file changes (issue 18, item 6): per changed row the
cells old → new, dates as people write them, unchanged rows folded with their count,
and after the import "1 Maßnahme geändert, 43 unverändert"."""

import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import formats, translation

from measures import tables
from measures.models import Measure, SpreadsheetImport
from measures.tables import readable_value

from .budgets import REQUEST

pytestmark = pytest.mark.usefixtures("dresden")

UPLOAD_URL = reverse("measures:import_upload")
ENGLISH = {"accept-language": "en"}


def export_with_new_start(client, number, start, headers=None):
    """The measures table as exported, with the planned start of one measure changed
    in the file to ``start`` (as people type it)."""
    exported = client.get(
        reverse("measures:table_export", args=["massnahmen", "xlsx"]), headers=headers
    )
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    column = headings.index("Geplanter Beginn" if headers is None else "Planned start") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == number)
    sheet.cell(row, column).value = start
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), row


def check(client, content, headers=None):
    client.post(
        UPLOAD_URL,
        {"kind": "measures", "file": SimpleUploadedFile("massnahmen.xlsx", content)},
        headers=headers,
    )
    return SpreadsheetImport.objects.latest("pk")


def text(response):
    """The page as a reader reads it: tags and hidden helper words aside."""
    html = response.content.decode()
    html = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def started_in_december(dresden):
    Measure.objects.filter(concept__slug="ik-2009", number="3.1.4").update(
        planned_start=datetime.date(2014, 12, 16)
    )


@pytest.mark.usefixtures("started_in_december")
def test_the_check_shows_the_changed_cell_old_to_new_with_german_dates(
    client, bureau_user, django_assert_num_queries
):
    client.force_login(bureau_user)
    content, row = export_with_new_start(client, "3.1.4", "01.03.2015")
    batch = check(client, content)
    assert batch.summary["errors"] == []
    unchanged = Measure.objects.count() - 1
    url = reverse("measures:import_detail", args=[batch.pk])
    # The request's own, the batch, an earlier import of the same file.
    with django_assert_num_queries(REQUEST + 2):
        page = client.get(url)
    shown = text(page)
    title = Measure.objects.get(number="3.1.4").title
    assert f"Zeile {row}: 3.1.4 {title}" in shown
    assert "Geplanter Beginn 16. Dezember 2014 → 1. März 2015" in shown
    assert "1 Datensatz geändert" in shown
    html = page.content.decode()
    folded = re.search(r'<details class="unchanged">\s*<summary>([^<]*)</summary>', html)
    assert folded.group(1) == f"{unchanged} Zeilen ohne Änderungen"
    assert "vorher:" in html  # screen readers hear which value is which

    english = text(client.get(url, headers=ENGLISH))
    with translation.override("en"):
        old, new = (
            formats.date_format(datetime.date(*day), "DATE_FORMAT")
            for day in ((2014, 12, 16), (2015, 3, 1))
        )
    assert "December" in old
    assert f"Planned start {old} → {new}" in english


@pytest.mark.usefixtures("started_in_december")
def test_an_emptied_cell_reads_as_a_dash(client, bureau_user):
    client.force_login(bureau_user)
    content, _row = export_with_new_start(client, "3.1.4", None)
    batch = check(client, content)
    [changed] = batch.summary["changed"]
    assert changed["changes"] == [
        {"column": "planned_start", "old": {"date": "2014-12-16"}, "new": None}
    ]
    page = text(client.get(reverse("measures:import_detail", args=[batch.pk])))
    assert "Geplanter Beginn 16. Dezember 2014 → —" in page


def test_values_read_as_words_in_the_readers_language():
    assert readable_value(True) == "ja"
    assert readable_value(False) == "nein"
    assert readable_value("") == "—"
    assert readable_value({"date": "2015-03-01"}) == "1. März 2015"


@pytest.mark.usefixtures("started_in_december")
def test_the_import_says_how_many_measures_changed_in_german(client, bureau_user):
    client.force_login(bureau_user)
    content, _row = export_with_new_start(client, "3.1.4", "01.03.2015")
    batch = check(client, content)
    response = client.post(reverse("measures:import_detail", args=[batch.pk]), follow=True)
    unchanged = Measure.objects.count() - 1
    assert Measure.objects.get(number="3.1.4").planned_start == datetime.date(2015, 3, 1)
    [message] = [str(m) for m in response.context["messages"]]
    assert message == f"1 Maßnahme geändert, {unchanged} unverändert."
    # The result page keeps saying so, and what changed.
    assert f"1 Maßnahme geändert, {unchanged} unverändert." in text(response)
    assert "16. Dezember 2014 → 1. März 2015" in text(response)


@pytest.mark.usefixtures("started_in_december")
def test_the_import_says_how_many_measures_changed_in_english(client, bureau_user):
    client.force_login(bureau_user)
    content, _row = export_with_new_start(client, "3.1.4", "01.03.2015", headers=ENGLISH)
    batch = check(client, content, headers=ENGLISH)
    response = client.post(
        reverse("measures:import_detail", args=[batch.pk]), follow=True, headers=ENGLISH
    )
    unchanged = Measure.objects.count() - 1
    [message] = [str(m) for m in response.context["messages"]]
    assert message == f"1 measure changed, {unchanged} unchanged."


def test_the_lists_of_a_large_file_are_capped_and_the_rest_counted(
    client, bureau_user, monkeypatch
):
    monkeypatch.setattr(tables, "LISTED_ROWS", 10)
    client.force_login(bureau_user)
    batch = check(
        client, client.get(reverse("measures:table_export", args=["massnahmen", "xlsx"])).content
    )
    count = Measure.objects.count()
    assert batch.summary["unchanged_count"] == count
    assert [row["row"] for row in batch.summary["unchanged"]] == list(range(2, 12))
    assert batch.summary["changed"] == [] and batch.summary["new"] == []
    page = text(client.get(reverse("measures:import_detail", args=[batch.pk])))
    assert f"Aufgeführt sind die ersten 10 von {count} Zeilen." in page

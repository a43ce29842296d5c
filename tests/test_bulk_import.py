"""The bulk import of measures (helpers/bulk_import.py BulkImportMixin):
every row validated, errors named by row and column, all or nothing, history written,
and a number of queries that does not grow with the rows."""

import datetime

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measures.models import Measure
from measures.resources import MeasureResource

pytestmark = pytest.mark.usefixtures("dresden")

HEADERS = [
    "concept",
    "number",
    "title",
    "lead_office",
    "partner_offices",
    "parent",
    "planned_start",
    "planned_end",
    "is_public",
    "position",
]


def row(number, **values):
    cells = {
        "concept": "ik-2009",
        "number": number,
        "title": f"Maßnahme {number}",
        "lead_office": "51",
        "partner_offices": "",
        "parent": "",
        "planned_start": "",
        "planned_end": "",
        "is_public": "1",
        "position": "90",
        **values,
    }
    return [cells[header] for header in HEADERS]


def run_import(*rows, **kwargs):
    dataset = tablib.Dataset(*rows, headers=HEADERS)
    return MeasureResource().import_data(dataset, dry_run=False, use_transactions=True, **kwargs)


def errors_by_row(result):
    return {invalid.number: invalid.error_dict for invalid in result.invalid_rows}


def test_a_row_may_name_as_parent_a_measure_an_earlier_row_creates():
    result = run_import(row("9.1"), row("9.1.1", parent="9.1"), row("9.1.1.1", parent="9.1.1"))
    assert not result.has_validation_errors(), errors_by_row(result)
    child = Measure.objects.get(number="9.1.1.1")
    assert child.parent.number == "9.1.1"
    assert child.parent.parent.number == "9.1"


def test_a_bad_row_is_named_with_its_column_and_nothing_is_written():
    before = Measure.objects.count()
    result = run_import(
        row("9.1"),
        row("9.2", planned_start="2014-01-01", planned_end="2013-01-01"),
        row("9.3", partner_offices="41; 99"),
    )
    errors = errors_by_row(result)
    assert set(errors) == {2, 3}
    assert "Das geplante Ende" in str(errors[2])
    assert "partner_offices" in errors[3]
    assert "„99“" in str(errors[3]["partner_offices"])
    assert Measure.objects.count() == before


def test_a_key_twice_in_one_file_is_an_error():
    before = Measure.objects.count()
    result = run_import(row("9.1"), row("9.1", title="Noch einmal"))
    assert list(errors_by_row(result)) == [2]
    assert Measure.objects.count() == before


def test_a_number_that_exists_is_updated_with_history_and_a_new_version():
    measure = Measure.objects.get(concept__slug="ik-2009", number="4.2.1")
    versions = measure.history.count()
    result = run_import(
        row("4.2.1", title="Neuer Titel", lead_office="41", partner_offices="51; Ordnungsamt")
    )
    assert [r.import_type for r in result.rows] == ["update"]
    measure.refresh_from_db()
    assert measure.title == "Neuer Titel"
    assert measure.version == 2
    assert sorted(o.key for o in measure.partner_offices.all()) == ["51", "Ordnungsamt"]
    latest = measure.history.first()
    assert measure.history.count() == versions + 1
    assert latest.history_type == "~"
    assert latest.title == "Neuer Titel"
    assert sorted(o.office.key for o in latest.partner_offices.all()) == ["51", "Ordnungsamt"]


def test_new_measures_get_a_first_version_with_their_partners():
    run_import(row("9.1", partner_offices="41; Ordnungsamt"))
    measure = Measure.objects.get(number="9.1")
    [record] = measure.history.all()
    assert record.history_type == "+"
    assert sorted(o.office.key for o in record.partner_offices.all()) == ["41", "Ordnungsamt"]
    # Stamped now (a run that passes midnight still agrees).
    assert abs(timezone.now() - measure.created_at) < datetime.timedelta(minutes=10)


def test_unchanged_rows_are_skipped():
    result = run_import(row("9.1"))
    assert [r.import_type for r in result.rows] == ["new"]
    result = run_import(row("9.1"))
    assert [r.import_type for r in result.rows] == ["skip"]


@pytest.mark.parametrize("count", [3, 60])
def test_queries_do_not_grow_with_the_rows(count):
    rows = [
        row(f"9.{i}", partner_offices="41", parent="9.1" if i > 1 else "")
        for i in range(1, count + 1)
    ]
    with CaptureQueriesContext(connection) as captured:
        result = run_import(*rows)
    assert not result.has_validation_errors(), errors_by_row(result)
    # Lookups once per distinct key, existing records, uniqueness, the inserts of
    # the measures, their partner rows, their history and its partner rows:
    # about thirty, whatever the number of rows (row by row it was ~20 per row).
    assert len(captured) <= 35, [q["sql"][:80] for q in captured.captured_queries]


def test_an_import_renews_the_versions_of_the_concepts():
    from working_groups.models import Concept
    from working_groups.versions import concept_version

    # Bulk writes send no signals; the import says itself that the records changed.
    concept = Concept.objects.get(slug="ik-2009")
    before = concept_version(concept.pk)
    run_import(row("9.1"))
    assert concept_version(concept.pk) != before


def test_rows_that_together_put_measures_below_themselves_are_refused():
    run_import(row("9.1"), row("9.2"))
    # Each row alone is fine; together 9.1 would lie below 9.2 and 9.2 below 9.1.
    result = run_import(row("9.1", parent="9.2"), row("9.2", parent="9.1"))
    errors = errors_by_row(result)
    assert list(errors) == [2]
    assert "9.2 → 9.1 → 9.2" in str(errors[2]["parent"])
    assert not Measure.objects.filter(number__in=["9.1", "9.2"], parent__isnull=False).exists()


def test_a_cycle_through_a_measure_the_file_creates_is_refused():
    run_import(row("9.1"))
    result = run_import(row("9.5", parent="9.1"), row("9.1", parent="9.5"))
    assert "9.1 → 9.5 → 9.1" in str(errors_by_row(result)[2]["parent"])
    assert not Measure.objects.filter(number="9.5").exists()


def test_a_stored_measure_changed_twice_in_one_file_names_the_earlier_row():
    result = run_import(row("4.2.1", title="Einmal"), row("4.2.1", title="Noch einmal"))
    errors = errors_by_row(result)
    assert list(errors) == [2]
    assert "(Zeile 2)" in str(errors[2])
    assert Measure.objects.get(concept__slug="ik-2009", number="4.2.1").version == 1


def test_a_bad_last_row_writes_nothing_even_without_a_transaction():
    before = Measure.objects.count()
    rows = [row(f"9.{i}") for i in range(1, 30)] + [row("9.30", lead_office="99")]
    dataset = tablib.Dataset(*rows, headers=HEADERS)
    result = MeasureResource().import_data(dataset, dry_run=False, use_transactions=False)
    assert list(errors_by_row(result)) == [30]
    assert Measure.objects.count() == before


def test_a_check_writes_nothing_not_even_the_new_measures():
    with CaptureQueriesContext(connection) as captured:
        result = MeasureResource().import_data(
            tablib.Dataset(row("9.1", partner_offices="41"), row("4.2.1"), headers=HEADERS),
            dry_run=True,
            use_transactions=True,
        )
    assert [r.import_type for r in result.rows] == ["new", "update"]
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert not [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_new_version_keeps_the_partner_organisations_the_file_does_not_name():
    measure = Measure.objects.get(concept__slug="ik-2009", number="4.2.3")
    organisations = sorted(o.name for o in measure.partner_organisations.all())
    assert organisations
    run_import(row("4.2.3", title="Neuer Titel", partner_offices="41"))
    latest = measure.history.first()
    assert latest.title == "Neuer Titel"
    assert sorted(o.organisation.name for o in latest.partner_organisations.all()) == organisations
    assert [o.office.key for o in latest.partner_offices.all()] == ["41"]
    assert sorted(o.name for o in measure.partner_organisations.all()) == organisations


@pytest.mark.parametrize("count", [3, 25])
def test_queries_of_changed_rows_do_not_grow_with_the_rows(count):
    # Measure.clean() itself asks about the parents of a measure below another and
    # about the measures reported with one reported with another: top-level ones.
    numbers = Measure.objects.filter(
        concept__slug="ik-2009", parent=None, reported_with=None
    ).values_list("number", flat=True)[:count]
    rows = [row(number, title=f"Neu {number}", partner_offices="41") for number in numbers]
    with CaptureQueriesContext(connection) as captured:
        result = run_import(*rows)
    assert [r.import_type for r in result.rows] == ["update"] * count
    # Lookups, the stored measures and their many-to-many fields, the updates, the
    # versions, the partner rows and those of the versions, the concepts' content
    # version: the same for 3 and 25.
    assert len(captured) <= 26, "\n".join(q["sql"][:150] for q in captured.captured_queries)
    assert Measure.objects.filter(title__startswith="Neu ", version=2).count() == count

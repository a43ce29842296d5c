"""Imports that would change data without a word are refused (issue 14, item 6):
yes/no as people write it and nothing else, parent cycles with the rows named,
keys normalised and invisible characters refused. And a check takes no locks
(item 3)."""

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.models import Measure
from measures.resources import MeasureResource

pytestmark = pytest.mark.usefixtures("dresden")

HEADERS = ["concept", "number", "title", "lead_office", "parent", "is_public"]


def run_import(*rows, dry_run=False):
    dataset = tablib.Dataset(*rows, headers=HEADERS)
    return MeasureResource().import_data(dataset, dry_run=dry_run, use_transactions=True)


def office(measure):
    return measure.lead_office.key if measure.lead_office else ""


def errors_by_row(result):
    return {invalid.number + 1: invalid.error_dict for invalid in result.invalid_rows}


@pytest.mark.parametrize(
    ("cell", "public"),
    [
        ("ja", True),
        ("Nein", False),
        ("wahr", True),
        ("falsch", False),
        ("x", True),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("FALSE", False),
    ],
)
def test_yes_and_no_as_people_write_them(cell, public):
    result = run_import(["ik-2009", "9.1", "Neu", "51", "", cell])
    assert not result.has_validation_errors(), errors_by_row(result)
    assert Measure.objects.get(number="9.1").is_public is public


@pytest.mark.parametrize("cell", ["vielleicht", "öffentlich", "2"])
def test_anything_else_is_refused_rather_than_read_as_no(cell):
    result = run_import(["ik-2009", "9.1", "Neu", "51", "", cell])
    [(row, errors)] = errors_by_row(result).items()
    assert row == 2
    assert f"„{cell}“ ist kein Ja oder Nein" in str(errors["is_public"])
    assert not Measure.objects.filter(number="9.1").exists()


def test_a_parent_cycle_through_two_rows_is_refused_naming_the_rows():
    parent = Measure.objects.get(concept__slug="ik-2009", number="5.6")
    child = Measure.objects.get(concept__slug="ik-2009", number="5.6.1")
    assert child.parent == parent
    result = run_import(
        ["ik-2009", "5.6", parent.title, office(parent), "5.6.1", "1"],
    )
    errors = errors_by_row(result)
    assert list(errors) == [2]
    message = str(errors[2]["parent"])
    assert "5.6 → 5.6.1 → 5.6" in message
    parent.refresh_from_db()
    assert parent.parent is None


def test_a_cycle_among_new_rows_is_refused():
    result = run_import(
        ["ik-2009", "9.1", "A", "51", "", "1"],
        ["ik-2009", "9.1.1", "B", "51", "9.1", "1"],
    )
    assert not result.has_validation_errors()
    result = run_import(["ik-2009", "9.1", "A", "51", "9.1.1", "1"])
    assert "9.1 → 9.1.1 → 9.1" in str(errors_by_row(result)[2]["parent"])


def test_the_measure_form_refuses_a_cycle():
    parent = Measure.objects.get(concept__slug="ik-2009", number="5.6")
    parent.parent = Measure.objects.get(concept__slug="ik-2009", number="5.6.1")
    with pytest.raises(ValidationError, match="5.6 → 5.6.1 → 5.6"):
        parent.full_clean()


@pytest.mark.parametrize("number", ["3.1\u200b", "\u202e1.3", "3.1\t1"])
def test_keys_with_invisible_characters_are_refused(number):
    before = Measure.objects.count()
    result = run_import(["ik-2009", number, "Sieht aus wie 3.1", "51", "", "1"])
    errors = errors_by_row(result)
    assert "unsichtbare" in str(errors[2]["number"])
    assert Measure.objects.count() == before


def test_keys_are_normalised_and_trimmed():
    # “3.1” with a combining character written apart and spaces around it: the
    # stored measure, not a new one.
    measure = Measure.objects.get(concept__slug="ik-2009", number="3.1")
    result = run_import(
        ["ik-2009", " 3.1 ", "Neu betitelt", office(measure), "", "1"],
    )
    assert [r.import_type for r in result.rows] == ["update"]
    assert Measure.objects.get(pk=measure.pk).title == "Neu betitelt"


def test_a_check_takes_no_locks_and_writes_no_stored_record():
    measure = Measure.objects.get(concept__slug="ik-2009", number="3.1")
    with CaptureQueriesContext(connection) as captured:
        result = run_import(
            ["ik-2009", "3.1", "Neu betitelt", office(measure), "", "1"], dry_run=True
        )
    assert [r.import_type for r in result.rows] == ["update"]
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert not [s for s in statements if "FOR UPDATE" in s]
    assert not [s for s in statements if s.startswith('UPDATE "MEASURES_MEASURE"')]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_the_import_locks_the_records_it_updates():
    measure = Measure.objects.get(concept__slug="ik-2009", number="3.1")
    with CaptureQueriesContext(connection) as captured:
        run_import(["ik-2009", "3.1", "Neu betitelt", office(measure), "", "1"])
    assert [q for q in captured.captured_queries if "FOR UPDATE" in q["sql"].upper()]


def test_a_check_of_status_entries_writes_and_locks_nothing(bureau_user):
    from measures.models import SpreadsheetImport
    from measures.tables import run

    content = (
        "Konzept;Maßnahme;Stand vom;Umsetzungsstand;Fortschritt (%)\n"
        "ik-2009;3.1.3;01.04.2015;in Umsetzung;40\n"
    ).encode()
    with CaptureQueriesContext(connection) as captured:
        summary = run(
            SpreadsheetImport.Kind.STATUS_ENTRIES, content, "csv", bureau_user, dry_run=True
        )
    assert summary["errors"] == []
    assert summary["totals"] == {"new": 1}
    statements = [q["sql"].upper() for q in captured.captured_queries]
    assert not [s for s in statements if s.startswith(("UPDATE", "INSERT")) or "FOR UPDATE" in s]

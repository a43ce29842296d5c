"""An import and a form edit of the same measure at the same moment, on a real
PostgreSQL server (issue 13): whichever comes second detects the conflict, and
nothing is lost. The import locks the measures it updates and compares the version
each row was exported at with the stored one; the status form saves only if the
measure still has the version the form was opened at; so does the admin's change
form of a measure, which compares under the measure's row lock."""

import datetime
import threading

import pytest
import tablib
from django.db import connection, transaction
from django.urls import reverse

from measures.models import Measure, SpreadsheetImport, Status, StatusEntry
from measures.services import Conflict, save_entry
from measures.tables import MeasureExportResource
from measures.tables import run as run_import

from .admin_forms import change_form_data
from .factories import MeasureFactory, UserFactory
from .threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent transactions"
    ),
]

WAIT = 20  # seconds; only reached if a job hangs


def exported_with_title(measure, title):
    """The measure as the bureau exports it (with its version), its title changed in
    the file."""
    resource = MeasureExportResource()
    dataset = resource.export(Measure.objects.filter(pk=measure.pk))
    # The headings are the interface's ("Titel"): find the column by its key.
    keys = resource.with_column_keys(tablib.Dataset(headers=dataset.headers)).headers
    row = list(dataset[0])
    row[keys.index("title")] = title
    dataset[0] = row
    return dataset.export("csv").encode()


def import_job(content, user):
    return lambda: run_import(SpreadsheetImport.Kind.MEASURES, content, "csv", user, dry_run=False)


def form_job(measure, opened, author):
    """The office's status form, opened at version ``opened``, saved and submitted."""
    return lambda: save_entry(
        measure=Measure.objects.get(pk=measure.pk),
        author=author,
        data={
            "status": Status.IN_PROGRESS,
            "progress": 40,
            "note": "Aus dem Formular",
            "reason": "",
            "as_of": datetime.date.today(),
        },
        indicator_values=[],
        measure_version=opened,
        submit=True,
    )


def held_open(job, done, other_started):
    """``job`` in a transaction kept open until the other job has started, so that
    the other one meets the row lock (or the committed change) of this one."""

    def run():
        with transaction.atomic():
            result = job()
            done.set()
            assert other_started.wait(WAIT)
        return result

    return run


def after(job, done, started):
    def run():
        assert done.wait(WAIT)
        started.set()
        return job()

    return run


@pytest.fixture
def people():
    return UserFactory(username="buero"), UserFactory(username="amt")


def test_a_form_saved_first_makes_the_import_skip_the_measure_as_a_conflict(people):
    bureau, staff = people
    measure = MeasureFactory(title="Vorher")
    content = exported_with_title(measure, "Aus der Datei")
    done, started = threading.Event(), threading.Event()

    entry, summary = run_together(
        held_open(form_job(measure, measure.version, staff), done, started),
        after(import_job(content, bureau), done, started),
    )

    assert isinstance(entry, StatusEntry), entry
    assert summary["errors"] == [], summary
    [conflict] = summary["conflicts"]
    assert conflict["changes"] == [{"column": "Titel", "stored": "Vorher", "file": "Aus der Datei"}]
    stored = Measure.objects.get(pk=measure.pk)
    assert stored.title == "Vorher"  # the file's stale row changed nothing
    assert stored.version == measure.version + 1  # the form's save only
    assert StatusEntry.objects.get(pk=entry.pk).state == StatusEntry.State.SUBMITTED


def test_an_import_first_makes_the_form_report_a_conflict(people):
    bureau, staff = people
    measure = MeasureFactory(title="Vorher")
    content = exported_with_title(measure, "Aus der Datei")
    done, started = threading.Event(), threading.Event()

    summary, entry = run_together(
        held_open(import_job(content, bureau), done, started),
        after(form_job(measure, measure.version, staff), done, started),
    )

    assert summary["errors"] == [] and summary["conflicts"] == [], summary
    assert isinstance(entry, Conflict), entry
    stored = Measure.objects.get(pk=measure.pk)
    assert stored.title == "Aus der Datei"
    assert stored.version == measure.version + 1  # the import's write only
    assert not StatusEntry.objects.filter(measure=measure).exists()  # nothing half-saved
    assert stored.history.first().history_user == bureau


def test_an_import_and_a_form_at_the_same_moment_never_both_write(people):
    bureau, staff = people
    measure = MeasureFactory(title="Titel 0")
    for attempt in range(1, 6):  # the race is real; repeat to meet both orders
        opened = Measure.objects.get(pk=measure.pk)
        content = exported_with_title(opened, f"Titel {attempt}")
        summary, entry = run_together(
            import_job(content, bureau), form_job(measure, opened.version, staff)
        )
        assert isinstance(summary, dict) and summary["errors"] == [], summary
        stored = Measure.objects.get(pk=measure.pk)
        assert stored.version == opened.version + 1  # exactly one of them wrote
        if isinstance(entry, Conflict):  # the import came first
            assert summary["conflicts"] == []
            assert stored.title == f"Titel {attempt}"
        else:  # the form came first: the import leaves the measure alone
            assert isinstance(entry, StatusEntry), entry
            assert [c["record"] for c in summary["conflicts"]] == [str(opened)]
            assert stored.title == opened.title
            StatusEntry.objects.filter(pk=entry.pk).delete()  # one submitted at a time


# --- The admin's change form of a measure against an import ------------------------


@pytest.fixture
def admin_page(client, people):
    """The bureau's browser: log in, then open a measure's admin change page and
    post it back (with a changed description) when told."""
    bureau, _ = people
    bureau.is_staff = bureau.is_superuser = True
    bureau.save()
    client.force_login(bureau)

    def open_page(measure, description):
        url = reverse("admin:measures_measure_change", args=[measure.pk])
        data = change_form_data(client.get(url), description=description)
        return lambda: client.post(url, data)

    return open_page


def admin_refused(response):
    """The admin page came back with the conflict and saved nothing."""
    return response.status_code == 200 and "seit Sie diese Seite geöffnet haben" in response.text


def test_an_import_first_makes_the_admin_form_report_a_conflict(people, admin_page):
    bureau, _ = people
    measure = MeasureFactory(title="Vorher", description="Alt")
    save_admin = admin_page(measure, "Aus dem Admin")
    content = exported_with_title(measure, "Aus der Datei")
    done, started = threading.Event(), threading.Event()

    summary, response = run_together(
        held_open(import_job(content, bureau), done, started),
        after(save_admin, done, started),
    )

    assert summary["errors"] == [] and summary["conflicts"] == [], summary
    assert admin_refused(response), response
    stored = Measure.objects.get(pk=measure.pk)
    assert (stored.title, stored.description) == ("Aus der Datei", "Alt")
    assert stored.version == measure.version + 1  # the import's write only


def test_an_admin_edit_first_makes_the_import_skip_the_measure_as_a_conflict(people, admin_page):
    bureau, _ = people
    measure = MeasureFactory(title="Vorher", description="Alt")
    save_admin = admin_page(measure, "Aus dem Admin")
    content = exported_with_title(measure, "Aus der Datei")
    done, started = threading.Event(), threading.Event()

    response, summary = run_together(
        held_open(save_admin, done, started),
        after(import_job(content, bureau), done, started),
    )

    assert response.status_code == 302, response
    assert summary["errors"] == [], summary
    [conflict] = summary["conflicts"]
    assert {"column": "Titel", "stored": "Vorher", "file": "Aus der Datei"} in conflict["changes"]
    stored = Measure.objects.get(pk=measure.pk)
    assert (stored.title, stored.description) == ("Vorher", "Aus dem Admin")
    assert stored.version == measure.version + 1  # the admin's write only


def test_an_import_and_an_admin_edit_at_the_same_moment_never_both_write(people, admin_page):
    bureau, _ = people
    measure = MeasureFactory(title="Titel 0", description="Beschreibung 0")
    for attempt in range(1, 6):  # the race is real; repeat to meet both orders
        opened = Measure.objects.get(pk=measure.pk)
        save_admin = admin_page(opened, f"Beschreibung {attempt}")
        content = exported_with_title(opened, f"Titel {attempt}")
        summary, response = run_together(import_job(content, bureau), save_admin)
        assert isinstance(summary, dict) and summary["errors"] == [], summary
        stored = Measure.objects.get(pk=measure.pk)
        assert stored.version == opened.version + 1  # exactly one of them wrote
        if admin_refused(response):  # the import came first
            assert summary["conflicts"] == []
            assert (stored.title, stored.description) == (f"Titel {attempt}", opened.description)
        else:  # the admin came first: the import leaves the measure alone
            assert response.status_code == 302, response
            assert [c["record"] for c in summary["conflicts"]] == [str(opened)]
            assert (stored.title, stored.description) == (opened.title, f"Beschreibung {attempt}")

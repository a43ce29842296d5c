"""A measure's current status is its latest approved entry, kept in one place."""

import datetime

import pytest
from django.utils import translation

from measures.models import NO_STATUS, Measure, Status, StatusEntry, status_label
from reports.comparison import status_text
from reports.templatetags.progress_tags import status_label as status_label_filter

from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.django_db

Approved = StatusEntry.State.APPROVED


def test_measure_without_approved_entry_has_no_approved_status_yet():
    # Not "not started": that is a status an office reports (NO_STATUS's docstring).
    measure = MeasureFactory()
    StatusEntryFactory(measure=measure, state=StatusEntry.State.SUBMITTED)
    measure.refresh_from_db()
    assert measure.current_entry is None
    assert measure.current_status == NO_STATUS
    assert measure.current_status != Status.NOT_STARTED
    assert Measure.objects.with_status(NO_STATUS).get() == measure
    assert not Measure.objects.not_started().exists()
    assert measure.current_progress is None


def test_a_reported_not_started_is_not_started():
    measure = MeasureFactory()
    StatusEntryFactory(measure=measure, status=Status.NOT_STARTED, progress=0)
    measure.refresh_from_db()
    assert measure.current_status == Status.NOT_STARTED
    assert Measure.objects.not_started().get() == measure
    assert not Measure.objects.with_status(NO_STATUS).exists()


@pytest.mark.parametrize("value", [None, "", NO_STATUS, "none"])
def test_no_status_reads_the_same_in_the_report_and_the_comparison(value):
    expected = "noch kein freigegebener Sachstand"
    with translation.override("de"):
        assert str(status_label(value)) == expected
        assert str(status_label_filter(value)) == expected
        assert status_text({"status": value, "progress": None}) == expected
        assert str(status_label(Status.NOT_STARTED)) == "nicht begonnen"


def test_a_status_the_vocabulary_no_longer_knows_is_shown_as_stored():
    assert status_label("begonnen") == "begonnen"
    assert status_text({"status": "begonnen", "progress": 20}) == "begonnen, 20\u00a0%"


def test_latest_approved_entry_by_as_of_date_wins():
    measure = MeasureFactory()
    StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1), progress=70)
    older = StatusEntryFactory(measure=measure, as_of=datetime.date(2012, 1, 1), progress=20)
    measure.refresh_from_db()
    assert measure.current_progress == 70
    assert measure.current_entry != older


def test_draft_submitted_and_returned_entries_do_not_change_the_status():
    measure = MeasureFactory()
    approved = StatusEntryFactory(measure=measure, as_of=datetime.date(2012, 1, 1))
    for state in ["draft", "submitted", "returned"]:
        StatusEntryFactory(
            measure=measure,
            state=state,
            as_of=datetime.date(2014, 1, 1),
            status=Status.COMPLETED,
            progress=100,
        )
    measure.refresh_from_db()
    assert measure.current_entry == approved


def test_approving_an_entry_makes_it_current():
    measure = MeasureFactory()
    StatusEntryFactory(measure=measure, as_of=datetime.date(2012, 1, 1))
    entry = StatusEntryFactory(
        measure=measure,
        state="submitted",
        as_of=datetime.date(2013, 1, 1),
        status=Status.COMPLETED,
        progress=100,
    )
    entry.state = Approved
    entry.save()
    measure.refresh_from_db()
    assert measure.current_status == Status.COMPLETED


def test_deleting_the_current_entry_falls_back_to_the_previous_one():
    measure = MeasureFactory()
    previous = StatusEntryFactory(measure=measure, as_of=datetime.date(2012, 1, 1))
    latest = StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    latest.delete()
    measure.refresh_from_db()
    assert measure.current_entry == previous


def test_bulk_refresh_repairs_a_drifted_pointer():
    measure = MeasureFactory()
    entry = StatusEntryFactory(measure=measure)
    Measure.objects.filter(pk=measure.pk).update(current_entry=None)
    Measure.objects.all().refresh_current_status()
    measure.refresh_from_db()
    assert measure.current_entry == entry


def test_overdue_when_past_planned_end_and_not_finished():
    today = datetime.date(2015, 1, 1)
    late = MeasureFactory(planned_end=datetime.date(2014, 1, 1))
    StatusEntryFactory(measure=late, status=Status.IN_PROGRESS)
    done = MeasureFactory(planned_end=datetime.date(2014, 1, 1))
    StatusEntryFactory(measure=done, status=Status.COMPLETED, progress=100)
    never_started = MeasureFactory(planned_end=datetime.date(2014, 1, 1))
    future = MeasureFactory(planned_end=datetime.date(2016, 1, 1))
    no_end = MeasureFactory(planned_end=None)
    measures = Measure.objects.all()
    assert set(measures.overdue(today=today)) == {late, never_started}
    assert set(measures.not_overdue(today=today)) == {done, future, no_end}
    badges = {m: m.is_overdue for m in measures.with_timeliness(today=today)}
    assert badges == {late: True, never_started: True, done: False, future: False, no_end: False}

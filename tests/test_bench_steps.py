"""The benchmark's steps read the pages and files as people get them: the import step
(bench/steps.py) the measure export with the interface's headings, the load writers
(bench/traffic.py) the status form and the page of an entry waiting for review."""

import pytest
from django.urls import reverse

from bench import steps, traffic
from bench.scale_data import generate
from measures.models import Measure, StatusEntry
from measures.resources import MeasureResource

from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.django_db


def test_the_import_rows_are_an_export_with_the_interfaces_headings_and_import_cleanly():
    generate("XS", log=lambda message: None)
    dataset, instances, links = steps.import_rows(count=30)
    assert "Nummer" in dataset.headers and "number" not in dataset.headers
    assert len(dataset) == len(instances) == 30
    assert {m.number for m in instances} == {f"99.{i}" for i in range(1, 31)}
    before = Measure.objects.count()
    result = MeasureResource().import_data(dataset, dry_run=True, raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 30
    assert Measure.objects.count() == before


def test_the_load_writers_read_the_status_form_and_the_waiting_page(client, office_staff):
    """bench/traffic.py posts the status form with what it reads from the page, and
    passes over a measure whose entry waits for review (the page says so)."""
    office = office_staff.offices.get()
    measure = MeasureFactory(lead_office=office, concept__municipality=office.municipality)
    client.force_login(office_staff)
    url = reverse("measures:entry_create", args=[measure.pk])
    form = client.get(url).content.decode()
    assert traffic.TOKEN.search(form) and traffic.VERSION.search(form)
    assert not traffic.WAITING.search(form)
    StatusEntryFactory(measure=measure, author=office_staff, state=StatusEntry.State.SUBMITTED)
    waiting = client.get(url)
    assert waiting.status_code == 200
    page = waiting.content.decode()
    assert traffic.WAITING.search(page) and not traffic.VERSION.search(page)


def test_the_import_reference_writes_exactly_the_rows_the_import_writes():
    """bench/steps.py compares the import with bulk_create_with_history of the same
    measures plus their many-to-many rows and those of their history: a fair
    reference writes the same rows, no fewer (the plain bulk_create it replaced wrote
    the measures alone)."""
    generate("XS", log=lambda message: None)
    dataset, instances, links = steps.import_rows(count=30)
    before = Measure.objects.count()
    _seconds, imported = steps._timed_import(dataset, before)
    _seconds, reference = steps._timed_bulk_create_with_history(instances, links, before)
    assert reference == imported
    assert imported["measures"] == imported["history"] == 30
    assert imported["partner_offices"] and imported["history partner_offices"]
    assert Measure.objects.count() == before

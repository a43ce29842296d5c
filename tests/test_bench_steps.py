"""The benchmark's import step (bench/steps.py) reads the measure export as the bureau
gets it, with the interface's headings, and its rows import without an error."""

import pytest

from bench import steps
from bench.scale_data import generate
from measures.models import Measure
from measures.resources import MeasureResource

pytestmark = pytest.mark.django_db


def test_the_import_rows_are_an_export_with_the_interfaces_headings_and_import_cleanly():
    generate("XS", log=lambda message: None)
    dataset, instances = steps.import_rows(count=30)
    assert "Nummer" in dataset.headers and "number" not in dataset.headers
    assert len(dataset) == len(instances) == 30
    assert {m.number for m in instances} == {f"99.{i}" for i in range(1, 31)}
    before = Measure.objects.count()
    result = MeasureResource().import_data(dataset, dry_run=True, raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 30
    assert Measure.objects.count() == before

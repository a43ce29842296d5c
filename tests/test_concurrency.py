"""Two sessions edit the same measure at the same moment on a real PostgreSQL
server: exactly one save lands, the other is told of the conflict, nothing is lost
or half-written."""

import datetime

import pytest
from django.db import connection

from measures.models import Measure, Status, StatusEntry
from measures.services import Conflict, approve_entry, save_entry

from .factories import MeasureFactory, StatusEntryFactory, UserFactory
from .threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real concurrent transactions"
    ),
]


def test_two_people_saving_the_same_measure_one_gets_a_conflict():
    measure = MeasureFactory()
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    opened = measure.version  # both opened the form at this version

    def save(user, note):
        return lambda: save_entry(
            measure=Measure.objects.get(pk=measure.pk),
            author=user,
            data={
                "status": Status.IN_PROGRESS,
                "progress": 50,
                "note": note,
                "reason": "",
                "as_of": datetime.date.today(),
            },
            indicator_values=[],
            measure_version=opened,
            submit=True,
        )

    for _ in range(5):  # the race is real; repeat to exercise both orders
        results = run_together(save(alice, "von Alice"), save(bob, "von Bob"))
        saved = [r for r in results if isinstance(r, StatusEntry)]
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert len(saved) == 1 and len(conflicts) == 1, results
        # Reviewed before the next round: a measure has one waiting entry at a time.
        StatusEntry.objects.filter(pk=saved[0].pk).update(state=StatusEntry.State.RETURNED)
        opened = Measure.objects.get(pk=measure.pk).version
    notes = list(StatusEntry.objects.filter(measure=measure).values_list("note", flat=True))
    assert len(notes) == 5
    assert Measure.objects.get(pk=measure.pk).version == measure.version + 5


def test_two_reviewers_approving_at_once_approve_once():
    author = UserFactory(username="author")
    first, second = UserFactory(username="r1"), UserFactory(username="r2")
    entry = StatusEntryFactory(state=StatusEntry.State.SUBMITTED, author=author)
    results = run_together(
        lambda: approve_entry(StatusEntry.objects.get(pk=entry.pk), first),
        lambda: approve_entry(StatusEntry.objects.get(pk=entry.pk), second),
    )
    assert sum(r is None for r in results) == 1, results
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.APPROVED
    assert entry.history.filter(state=StatusEntry.State.APPROVED).count() == 1


def test_two_publish_requests_at_once_publish_one_version():
    from reports.models import PublishedVersion, Report
    from reports.publishing import NothingToPublish, publish

    from .factories import ConceptFactory

    report = Report.objects.create(
        concept=ConceptFactory(),
        slug="bericht",
        title="Bericht",
        period_start=datetime.date(2013, 1, 1),
        period_end=datetime.date(2013, 12, 31),
    )
    bureau = UserFactory(username="bureau")
    results = run_together(
        lambda: publish(Report.objects.get(pk=report.pk), bureau),
        lambda: publish(Report.objects.get(pk=report.pk), bureau),
    )
    # The second waits for the first's lock on the report, then finds its content
    # already published.
    assert sorted(type(r).__name__ for r in results) == ["NothingToPublish", "PublishedVersion"]
    assert any(isinstance(r, NothingToPublish) for r in results)
    assert PublishedVersion.objects.count() == 1

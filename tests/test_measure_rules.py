"""Overdue, not started, stale and the search are defined once (MeasureQuerySet) and
the workspace list and the progress overview filter with the same FilterSet
definitions; bad filter values are ignored with a message, never a server error."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import NO_STATUS, Measure, Status, StatusEntry
from measures.services import open_round
from reports.progress import status_counts

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    FieldOfActionFactory,
    MeasureFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
    WorkingGroupFactory,
)

LONG_AGO = datetime.date(2010, 1, 1)


@pytest.fixture
def measures(db, office_staff):
    """Measures of the staff member's office, one per case of the rules."""
    office = office_staff.offices.get()
    concept = ConceptFactory(slug="ik", municipality=office.municipality)

    def measure(number, **kwargs):
        return MeasureFactory(concept=concept, number=number, lead_office=office, **kwargs)

    made = {
        "late": measure("1", planned_end=LONG_AGO, description="Sprachkurse für Eltern"),
        "done": measure("2", planned_end=LONG_AGO),
        "no_end": measure("3"),
        "never_reported": measure("4", planned_end=LONG_AGO),
        "reported_not_started": measure("5"),
    }
    StatusEntryFactory(measure=made["late"], status=Status.IN_PROGRESS)
    StatusEntryFactory(measure=made["done"], status=Status.COMPLETED, progress=100)
    StatusEntryFactory(measure=made["no_end"], status=Status.IN_PROGRESS)
    StatusEntryFactory(measure=made["reported_not_started"], status=Status.NOT_STARTED, progress=0)
    current = ReportingRoundFactory(concept=concept, opened_at=timezone.now())
    current.due_measures.add(made["late"], made["done"])
    StatusEntryFactory(
        measure=made["done"], status=Status.COMPLETED, progress=100, reporting_round=current
    )
    closed = ReportingRoundFactory(
        concept=concept, opened_at=timezone.now(), closed_at=timezone.now()
    )
    closed.due_measures.add(made["no_end"])
    # A draft in the current round does not count as reported.
    StatusEntryFactory(measure=made["late"], state=StatusEntry.State.DRAFT, reporting_round=current)
    return made


def numbers(queryset):
    return sorted(m.number for m in queryset)


def test_rules_on_the_queryset(measures):
    all_measures = Measure.objects.all()
    assert numbers(all_measures.overdue()) == ["1", "4"]
    assert numbers(all_measures.not_overdue()) == ["2", "3", "5"]
    # "Not started" is a status somebody reported; a measure without any approved
    # entry has no status yet (issue 11: nothing the source does not say).
    assert numbers(all_measures.not_started()) == ["5"]
    assert numbers(all_measures.with_status(NO_STATUS)) == ["4"]
    assert numbers(all_measures.stale()) == ["1"]
    assert numbers(all_measures.not_stale()) == ["2", "3", "4", "5"]
    assert numbers(all_measures.due()) == ["1", "2"]
    assert numbers(all_measures.search("eltern")) == ["1"]
    assert numbers(all_measures.search("  ")) == ["1", "2", "3", "4", "5"]
    badges = {
        m.number: (m.is_overdue, m.is_due, m.has_round_entry)
        for m in all_measures.with_timeliness()
    }
    assert badges == {
        "1": (True, True, False),
        "2": (False, True, True),
        "3": (False, False, False),
        "4": (True, False, False),
        "5": (False, False, False),
    }


@pytest.mark.parametrize(
    ("workspace", "progress", "expected"),
    [
        ({"overdue": "true"}, {"ueberfaellig": "1"}, ["1", "4"]),
        ({"overdue": "false"}, {"ueberfaellig": "0"}, ["2", "3", "5"]),
        ({"stale": "true"}, {"veraltet": "1"}, ["1"]),
        ({"status": "not_started"}, {"status": "not_started"}, ["5"]),
        ({"status": "none"}, {"status": "none"}, ["4"]),
        ({"q": "Eltern"}, {"q": "Eltern"}, ["1"]),
    ],
)
def test_workspace_and_progress_filter_alike(
    client, measures, office_staff, workspace, progress, expected
):
    client.force_login(office_staff)
    listed = client.get(reverse("measures:measure_list"), workspace).context["page"]
    assert numbers(listed.object_list) == expected
    overview = client.get(reverse("reports:overview"), {"konzept": "ik", **progress})
    assert numbers(overview.context["page"].object_list) == expected
    assert overview.context["overall"]["total"] == len(expected)


def test_overview_counts_overdue_and_stale_by_the_same_rules(client, measures, office_staff):
    client.force_login(office_staff)
    context = client.get(reverse("reports:overview"), {"konzept": "ik"}).context
    assert context["overdue_count"] == 2
    assert context["stale_count"] == 1
    by_status = dict(context["overall"]["by_status"])
    assert by_status[Status.NOT_STARTED] == 1
    assert by_status[NO_STATUS] == 1


def test_finished_and_put_into_practice_are_each_one_grouping(db):
    """Finished (completed, dropped) decides what a new round asks for; put into
    practice (completed, ongoing) the share the progress pages give; neither is
    overdue past the planned end. Every status, and a measure without one."""
    concept = ConceptFactory()
    numbers_by_status = {}
    for number, status in enumerate(Status, start=1):
        measure = MeasureFactory(concept=concept, number=str(number), planned_end=LONG_AGO)
        progress = {Status.COMPLETED: 100, Status.ONGOING: None}.get(status, 10)
        StatusEntryFactory(measure=measure, status=status, progress=progress, reason="Grund")
        numbers_by_status[status] = str(number)
    MeasureFactory(concept=concept, number="0", planned_end=LONG_AGO)

    def of(*statuses):
        return sorted(numbers_by_status[status] for status in statuses)

    measures = Measure.objects.filter(concept=concept)
    unfinished = [Status.NOT_STARTED, Status.IN_PREPARATION, Status.IN_PROGRESS]
    unfinished += [Status.ONGOING, Status.DEFERRED]
    assert numbers(measures.unfinished()) == ["0", *of(*unfinished)]
    overdue = [Status.NOT_STARTED, Status.IN_PREPARATION, Status.IN_PROGRESS, Status.DEFERRED]
    assert numbers(measures.overdue()) == ["0", *of(*overdue)]
    counts = status_counts(measures)[None]
    assert (counts["done"], counts["rated"], counts["total"]) == (2, len(Status), len(Status) + 1)

    reporting_round = open_round(
        concept=concept,
        title="Runde",
        period_start=datetime.date(2015, 1, 1),
        period_end=datetime.date(2015, 12, 31),
        deadline=datetime.date(2016, 1, 31),
        unfinished_only=True,
    )
    assert numbers(reporting_round.due_measures.all()) == numbers(measures.unfinished())


BAD_VALUES = [
    {"amt": "12345678901234567890123"},
    {"amt": "-1"},
    {"handlungsfeld": "abc"},
    {"gruppe": "1.5"},
    {"status": "bogus"},
    {"q": "\x00"},
    {"q": "x" * 500},
    {"ueberfaellig": "vielleicht"},
    {"veraltet": "\x00"},
    {"seite": "-3"},
    {"konzept": "\x00"},
]


def refused_by_middleware(params):
    """A NUL character is refused for the whole request with a 400 page before any
    view runs (helpers/security.py), which tests/test_bad_input.py covers."""
    return any("\x00" in value for value in params.values())


@pytest.mark.parametrize("params", BAD_VALUES)
def test_overview_ignores_bad_filter_values(client, measures, council_member, params):
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"), {"konzept": "ik", **params})
    if refused_by_middleware(params):
        assert response.status_code == 400
        return
    assert response.status_code == 200
    if "seite" not in params and "konzept" not in params:
        assert response.context["overall"]["total"] == 5, "an invalid filter is ignored"


def test_overview_says_which_filter_was_ignored(client, measures, council_member):
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"), {"konzept": "ik", "status": "bogus"})
    content = response.content.decode()
    assert "Diese Filter wurden nicht angewandt:" in content
    assert "Umsetzungsstand: Bitte eine gültige Auswahl treffen." in content


@pytest.mark.parametrize("params", BAD_VALUES)
def test_workspace_list_ignores_bad_filter_values(client, measures, office_staff, params):
    client.force_login(office_staff)
    workspace_names = {"amt": "field_of_action", "handlungsfeld": "working_group"}
    params = {workspace_names.get(k, k): v for k, v in params.items()}
    response = client.get(reverse("measures:measure_list"), params)
    assert response.status_code == (400 if refused_by_middleware(params) else 200)


def test_overview_with_every_filter_keeps_its_query_budget(
    client, measures, council_member, django_assert_num_queries
):
    concept = measures["late"].concept
    field = FieldOfActionFactory(concept=concept)
    group = WorkingGroupFactory(concept=concept)
    Measure.objects.filter(pk=measures["late"].pk).update(
        field_of_action=field, working_group=group
    )
    client.force_login(council_member)
    params = {
        "konzept": "ik",
        "q": "Eltern",
        "handlungsfeld": field.pk,
        "gruppe": group.pk,
        "amt": measures["late"].lead_office_id,
        "status": Status.IN_PROGRESS,
        "ueberfaellig": "1",
        "veraltet": "1",
    }
    # As without filters (tests/test_progress.py): the dropdowns' choices are the
    # lists the page shows anyway, so a chosen filter costs no query of its own. These
    # measures have report headings, so the breakdown by heading is counted too.
    with django_assert_num_queries(REQUEST + 14):
        response = client.get(reverse("reports:overview"), params)
    assert numbers(response.context["page"].object_list) == ["1"]

"""The start page per role: what to do next, in a number of queries that does not
grow with the data."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import StatusEntry
from working_groups.models import Office

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    MeasureFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _round_with(measures, deadline=datetime.date(2015, 1, 31)):
    reporting_round = ReportingRoundFactory(
        concept=measures[0].concept, opened_at=timezone.now(), deadline=deadline
    )
    reporting_round.due_measures.set(measures)
    return reporting_round


def _data(count, office=None):
    concept = ConceptFactory()
    extra = {"lead_office": office} if office else {}
    measures = MeasureFactory.create_batch(count, concept=concept, **extra)
    reporting_round = _round_with(measures)
    author = UserFactory()
    for measure in measures[:2]:
        StatusEntryFactory(
            measure=measure,
            state=StatusEntry.State.SUBMITTED,
            author=author,
            submitted_at=timezone.now(),
            reporting_round=reporting_round,
        )
    return concept, measures, reporting_round


@pytest.mark.parametrize("count", [5, 60])
def test_office_staff_sees_what_is_due_returned_and_drafted(
    client, office_staff, django_assert_num_queries, count
):
    office = Office.objects.get(code="51")
    concept, measures, reporting_round = _data(count, office)
    StatusEntryFactory(
        measure=measures[-1],
        state=StatusEntry.State.RETURNED,
        author=office_staff,
        review_comment="Bitte die Zahl der Teilnehmenden ergänzen.",
    )
    StatusEntryFactory(measure=measures[-2], state=StatusEntry.State.DRAFT, author=office_staff)
    client.force_login(office_staff)
    # the request (session, user, roles), concepts, open rounds, due measures (with
    # the user's offices and the state of each measure's work as subqueries), the
    # drafts and returned entries the user carries on, the entries waiting for review
    with django_assert_num_queries(REQUEST + 5):
        response = client.get(reverse("measures:home"))
    content = response.content.decode()
    assert "<h1>Ihre Aufgaben</h1>" in content
    assert "31. Januar 2015" in content
    # Two are submitted, one returned, one drafted: the others are to be started.
    first_due = min(measures[2:-2], key=lambda m: m.number)
    assert reverse("measures:entry_create", args=[first_due.pk]) in content
    assert ("Alle fälligen Maßnahmen" in content) == (count - 4 > 10)
    # The returned and the drafted measure are listed with their entry only.
    assert reverse("measures:entry_create", args=[measures[-1].pk]) not in content
    assert reverse("measures:entry_create", args=[measures[-2].pk]) not in content
    # submitted measures are no longer due: they wait for review
    assert reverse("measures:entry_create", args=[measures[0].pk]) not in content
    assert f"{measures[0].get_absolute_url()}#entry-" in content
    assert "Bitte die Zahl der Teilnehmenden ergänzen." in content
    assert f"Fertigstellen: {measures[-2].number}" in content


@pytest.mark.parametrize("count", [3, 60])
def test_bureau_sees_review_queue_and_late_offices(
    client, bureau_user, django_assert_num_queries, count
):
    concept, measures, reporting_round = _data(count, None)
    client.force_login(bureau_user)
    # the request (session, user, roles), concepts, review count and oldest entries,
    # open rounds, outstanding measures per office, offices, latest changes, latest
    # version, reports
    with django_assert_num_queries(REQUEST + 9):
        response = client.get(reverse("measures:home"))
    content = response.content.decode()
    assert "<h1>Ihre Arbeit im Überblick</h1>" in content
    assert '<span class="figure">2</span>' in content
    assert "verspätet" in content  # the deadline has passed
    late = sorted(m.lead_office.label for m in measures[2:])
    assert f"<li>{late[0]}: 1</li>" in content
    assert f"<li>{measures[0].lead_office.label}: " not in content  # submitted
    open_count = count - 2
    noun = "Maßnahme" if open_count == 1 else "Maßnahmen"
    assert f"{open_count} fällige {noun} noch offen" in content


@pytest.mark.parametrize("count", [3, 60])
def test_council_sees_report_and_progress_summary(
    client, council_member, django_assert_num_queries, count
):
    concept = ConceptFactory()
    for measure in MeasureFactory.create_batch(count, concept=concept):
        StatusEntryFactory(measure=measure, reviewed_at=timezone.now())
    client.force_login(council_member)
    # the request (session, user, roles), concepts, latest version, featured concept,
    # counts
    with django_assert_num_queries(REQUEST + 4):
        response = client.get(reverse("measures:home"))
    content = response.content.decode()
    assert "Noch kein Bericht veröffentlicht." in content
    assert f'<span class="figure">0 / {count}</span>' in content


def test_public_start_page_counts_public_measures_only(client, public_pages):
    concept = ConceptFactory()
    MeasureFactory.create_batch(3, concept=concept, is_public=True)
    MeasureFactory(concept=concept, is_public=False)
    content = client.get(reverse("measures:home")).content.decode()
    assert '<span class="figure">0 / 3</span>' in content

"""Reporting rounds: the bureau opens them, staff see what is due, late offices are
reminded at most once per day."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from measures.models import Measure, Reminder, ReportingRound, Status, StatusEntry
from measures.services import open_round, send_reminders
from working_groups.models import Concept, Office

from .budgets import REQUEST
from .factories import StatusEntryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

TODAY = datetime.date.today()


@pytest.fixture
def reporting_round():
    return open_round(
        concept=Concept.objects.get(slug="ik-2009"),
        title="Berichtsrunde 2014",
        period_start=datetime.date(2014, 1, 1),
        period_end=datetime.date(2014, 12, 31),
        deadline=TODAY - datetime.timedelta(days=1),
        unfinished_only=True,
    )


@pytest.mark.usefixtures("dresden_statuses")
def test_bureau_opens_a_round_with_the_unfinished_measures(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"),
        {
            "concept": Concept.objects.get(slug="ik-2009").pk,
            "title": "Runde 2015",
            "period_start": "2015-01-01",
            "period_end": "2015-12-31",
            "deadline": "2016-01-31",
            "unfinished_only": "on",
        },
    )
    assert response.status_code == 302
    reporting_round = ReportingRound.objects.get(title="Runde 2015")
    assert reporting_round.is_open
    due = set(reporting_round.due_measures.values_list("number", flat=True))
    assert "4.2.7" in due  # in preparation
    assert "3.1.1" not in due  # completed


def test_round_form_rejects_a_reversed_period(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"),
        {
            "concept": Concept.objects.get(slug="ik-2009").pk,
            "title": "x",
            "period_start": "2015-12-31",
            "period_end": "2015-01-01",
            "deadline": "2016-01-31",
        },
    )
    assert response.status_code == 400
    assert not ReportingRound.objects.exists()


def test_staff_cannot_open_rounds(client, office_staff):
    client.force_login(office_staff)
    assert client.get(reverse("measures:round_create")).status_code == 403
    assert client.post(reverse("measures:round_create"), {"title": "x"}).status_code == 403
    assert not ReportingRound.objects.exists()


def test_staff_see_what_is_due(client, office_staff, reporting_round):
    client.force_login(office_staff)
    response = client.get(reverse("measures:measure_list"), {"due": "true"})
    numbers = {m.number for m in response.context["page"].object_list}
    assert numbers and all(
        reporting_round.due_measures.filter(number=number).exists() for number in numbers
    )
    assert "4.2.2" in numbers  # Jugendamt, ongoing
    assert "Berichtsrunde 2014" in response.content.decode()


def test_entries_belong_to_the_open_round_and_count_per_office(
    client, office_staff, bureau_user, reporting_round
):
    measure = Measure.objects.get(number="4.2.2")
    client.force_login(office_staff)
    client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        {
            "status": Status.ONGOING,
            "progress": "",
            "as_of": TODAY.isoformat(),
            "note": "",
            "reason": "",
            "measure_version": str(measure.version),
            "submit": "1",
        },
    )
    entry = StatusEntry.objects.get(author=office_staff)
    assert entry.reporting_round == reporting_round
    jugendamt = Office.objects.get(code="51")
    row = reporting_round.office_progress()[jugendamt.pk]
    assert row["submitted"] == 1
    assert row["outstanding"] == row["due"] - 1
    client.force_login(bureau_user)
    page = client.get(reporting_round.get_absolute_url()).content.decode()
    assert "Jugendamt" in page and "verspätet" in page


@pytest.mark.usefixtures("dresden_statuses")
def test_stale_filter_lists_due_measures_without_approved_entry(
    client, office_staff, reporting_round
):
    measure = Measure.objects.get(number="4.2.2")
    StatusEntryFactory(
        measure=measure,
        reporting_round=reporting_round,
        status=Status.ONGOING,
        progress=None,
        as_of=TODAY,
    )
    client.force_login(office_staff)
    response = client.get(reverse("measures:measure_list"), {"stale": "true"})
    numbers = {m.number for m in response.context["page"].object_list}
    assert "4.2.2" not in numbers
    assert "4.1.1" not in numbers  # completed, so not due
    assert numbers


def test_reminders_go_to_late_offices_once_per_day(reporting_round):
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    staff = UserFactory(email="kultur@example.org")
    Office.objects.get(code="41").staff.add(staff)
    first = send_reminders()
    offices = {office.code for _round, office, _recipients, _n in first}
    assert {"51", "41"} <= offices
    assert any("jugendamt@example.org" in m.to for m in mail.outbox)
    assert any("kultur@example.org" in m.to for m in mail.outbox)
    assert "überfällig" in mail.outbox[0].subject
    sent = len(mail.outbox)
    assert send_reminders() == []  # again today: nothing
    assert len(mail.outbox) == sent
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert send_reminders(today=tomorrow)
    assert Reminder.objects.filter(office__code="51").count() == 2


def test_no_reminder_before_the_deadline_or_after_closing(reporting_round):
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    ReportingRound.objects.filter(pk=reporting_round.pk).update(
        deadline=TODAY + datetime.timedelta(days=3)
    )
    assert send_reminders() == []
    ReportingRound.objects.filter(pk=reporting_round.pk).update(
        deadline=TODAY - datetime.timedelta(days=3), closed_at=datetime.datetime.now(datetime.UTC)
    )
    assert send_reminders() == []
    assert mail.outbox == []


def test_send_reminders_command(reporting_round, capsys):
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    call_command("send_reminders", "--dry-run")
    assert "would remind" in capsys.readouterr().out
    assert mail.outbox == []
    call_command("send_reminders")
    assert len(mail.outbox) >= 1


def test_round_close(client, bureau_user, reporting_round):
    client.force_login(bureau_user)
    client.post(reverse("measures:round_close", args=[reporting_round.pk]))
    reporting_round.refresh_from_db()
    assert not reporting_round.is_open


@pytest.mark.parametrize("count", [3, 300])
def test_round_page_queries_do_not_grow(client, bureau_user, django_assert_num_queries, count):
    from .factories import MeasureFactory, OfficeFactory, ReportingRoundFactory

    concept = Concept.objects.get(slug="ik-2009")
    reporting_round = ReportingRoundFactory(concept=concept)
    offices = OfficeFactory.create_batch(3, municipality=concept.municipality)
    measures = [MeasureFactory(concept=concept, lead_office=offices[i % 3]) for i in range(count)]
    reporting_round.due_measures.add(*measures)
    for measure in measures[::2]:
        StatusEntryFactory(measure=measure, reporting_round=reporting_round)
    client.force_login(bureau_user)
    # session, user, roles, round, due measures, entries of the round, offices
    with django_assert_num_queries(REQUEST + 4):
        response = client.get(reporting_round.get_absolute_url())
    assert response.status_code == 200

"""Reporting rounds: the bureau opens them, staff see what is due, late offices are
reminded at most once per day."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from measures.models import Measure, Reminder, ReportingRound, Status, StatusEntry
from measures.services import NotAllowed, close_round, open_round, send_reminders
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


# --- Closing needs a confirmation; a closed round can be reopened -------------------


def test_closing_asks_for_confirmation_and_says_what_is_outstanding(
    client, bureau_user, reporting_round
):
    client.force_login(bureau_user)
    detail = client.get(reporting_round.get_absolute_url()).content.decode()
    close_url = reverse("measures:round_close", args=[reporting_round.pk])
    # The round's page only links to the confirmation; it closes nothing by itself.
    assert f'href="{close_url}"' in detail
    assert f'action="{close_url}"' not in detail
    response = client.get(close_url)
    assert response.status_code == 200
    page = response.content.decode()
    due = reporting_round.due_measures.count()
    assert f"{due} von {due} fälligen Maßnahmen sind noch offen" in page
    assert "Jugendamt" in page and "verspätet" in page  # the deadline has passed
    reporting_round.refresh_from_db()
    assert reporting_round.is_open  # looking at the confirmation closes nothing


def test_confirming_closes_the_round_and_records_it(client, bureau_user, reporting_round):
    client.force_login(bureau_user)
    response = client.post(reverse("measures:round_close", args=[reporting_round.pk]))
    assert response.status_code == 302
    reporting_round.refresh_from_db()
    assert not reporting_round.is_open
    record = reporting_round.history.latest()
    assert record.closed_at is not None and record.history_user == bureau_user


def test_a_closed_round_cannot_be_closed_again(client, bureau_user, reporting_round):
    close_round(reporting_round)
    closed_at = ReportingRound.objects.get(pk=reporting_round.pk).closed_at
    client.force_login(bureau_user)
    response = client.post(reverse("measures:round_close", args=[reporting_round.pk]))
    assert response.status_code == 302
    assert ReportingRound.objects.get(pk=reporting_round.pk).closed_at == closed_at
    with pytest.raises(NotAllowed):
        close_round(reporting_round)


def test_bureau_reopens_a_closed_round_with_a_reason(client, bureau_user, reporting_round):
    close_round(reporting_round)
    client.force_login(bureau_user)
    url = reverse("measures:round_reopen", args=[reporting_round.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Warum wird die Runde wieder geöffnet?" in form.content.decode()
    response = client.post(url, {"reason": "Amt 51 hat eine Fristverlängerung."})
    assert response.status_code == 302
    reporting_round.refresh_from_db()
    assert reporting_round.is_open
    assert reporting_round.history.latest().history_change_reason == (
        "Amt 51 hat eine Fristverlängerung."
    )
    history = client.get(
        reverse("measures:change_history", args=["berichtsrunde", reporting_round.pk])
    ).content.decode()
    assert "Amt 51 hat eine Fristverlängerung." in history


def test_reopening_needs_a_reason(client, bureau_user, reporting_round):
    close_round(reporting_round)
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_reopen", args=[reporting_round.pk]), {"reason": " "}
    )
    assert response.status_code == 400
    assert response.content.decode().count("Pflichtfeld") >= 1
    reporting_round.refresh_from_db()
    assert not reporting_round.is_open


def test_an_open_round_cannot_be_reopened(client, bureau_user, reporting_round):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_reopen", args=[reporting_round.pk]), {"reason": "x"}
    )
    assert response.status_code == 302
    assert reporting_round.history.count() == 1  # only its creation


@pytest.mark.parametrize("name", ["round_close", "round_reopen"])
def test_only_the_bureau_closes_and_reopens(client, office_staff, reporting_round, name):
    if name == "round_reopen":
        close_round(reporting_round)
    url = reverse(f"measures:{name}", args=[reporting_round.pk])
    before = ReportingRound.objects.get(pk=reporting_round.pk).closed_at
    response = client.post(url, {"reason": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(office_staff)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert ReportingRound.objects.get(pk=reporting_round.pk).closed_at == before


@pytest.mark.parametrize("name", ["round_close", "round_reopen"])
def test_close_and_reopen_refuse_other_methods(client, bureau_user, reporting_round, name):
    client.force_login(bureau_user)
    url = reverse(f"measures:{name}", args=[reporting_round.pk])
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405
    assert ReportingRound.objects.get(pk=reporting_round.pk).is_open


def test_closing_needs_the_csrf_token(bureau_user, reporting_round):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(bureau_user)
    response = client.post(reverse("measures:round_close", args=[reporting_round.pk]))
    assert response.status_code == 403
    assert ReportingRound.objects.get(pk=reporting_round.pk).is_open


# --- The deadline lies within reach of the period ----------------------------------


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ("2020-01-01", "Die Frist kann nicht vor dem Beginn des Zeitraums liegen."),
        ("2028-06-30", "Die Frist kann höchstens ein Jahr nach dem Ende des Zeitraums liegen."),
    ],
)
def test_round_form_refuses_a_deadline_far_from_the_period(client, bureau_user, deadline, message):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"),
        {
            "concept": Concept.objects.get(slug="ik-2009").pk,
            "title": "Runde 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "deadline": deadline,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "<title>Fehler: " in page
    assert not ReportingRound.objects.exists()


def test_round_form_accepts_a_deadline_shortly_after_the_period(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"),
        {
            "concept": Concept.objects.get(slug="ik-2009").pk,
            "title": "Runde 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "deadline": "2027-02-28",
        },
    )
    assert response.status_code == 302


def test_the_database_refuses_a_deadline_before_the_period():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingRound.objects.create(
            concept=Concept.objects.get(slug="ik-2009"),
            title="x",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
            deadline=datetime.date(2020, 1, 1),
        )


def test_deadline_messages_in_english(client, bureau_user):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"),
        {
            "concept": Concept.objects.get(slug="ik-2009").pk,
            "title": "Runde 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "deadline": "2020-01-01",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert "The deadline cannot lie before the period starts." in page
    assert "<title>Error: " in page

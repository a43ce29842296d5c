"""Reporting rounds: the bureau opens them, staff see what is due, late offices are
reminded at most once per day."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import NotificationKind
from measures.models import Measure, Notification, Reminder, ReportingRound, Status, StatusEntry
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


def test_reminders_go_to_late_offices_once_per_day(
    reporting_round, django_capture_on_commit_callbacks
):
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    staff = UserFactory(email="kultur@example.org")
    Office.objects.get(code="41").staff.add(staff)
    # The mails go out once the reminders are recorded (committed), through the queue.
    with django_capture_on_commit_callbacks(execute=True):
        first = send_reminders()
    offices = {office.code for _round, office, _recipients, _n in first}
    assert {"51", "41"} <= offices
    assert any("jugendamt@example.org" in m.to for m in mail.outbox)
    assert any("kultur@example.org" in m.to for m in mail.outbox)
    assert "überfällig" in mail.outbox[0].subject
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
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


def test_send_reminders_command(reporting_round, capsys, django_capture_on_commit_callbacks):
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    call_command("send_reminders", "--dry-run")
    assert "would remind" in capsys.readouterr().out
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
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
    author = UserFactory(first_name="Erika", last_name="Muster", email="erika@example.org")
    for measure in measures[::2]:
        entry = StatusEntryFactory(measure=measure, reporting_round=reporting_round)
        Notification.objects.create(
            kind=NotificationKind.ENTRY_APPROVED,
            recipient=author,
            email=author.email,
            language="de",
            reporting_round=reporting_round,
            entry=entry,
        )
    client.force_login(bureau_user)
    # session, user, roles, round, due measures, entries of the round, offices, count
    # and page of the e-mails sent (the page is not read when there are none)
    with django_assert_num_queries(REQUEST + 6):
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


# --- One open round per concept ----------------------------------------------------


def _round_data(title="Runde 2015"):
    return {
        "concept": Concept.objects.get(slug="ik-2009").pk,
        "title": title,
        "period_start": "2015-01-01",
        "period_end": "2015-12-31",
        "deadline": "2016-01-31",
        "unfinished_only": "on",
    }


def test_the_database_allows_one_open_round_per_concept():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from .factories import ReportingRoundFactory

    concept = Concept.objects.get(slug="ik-2009")
    now = timezone.now()
    ReportingRoundFactory(concept=concept, opened_at=now)
    # Closed, not yet opened, or of another concept: any number of them.
    ReportingRoundFactory(concept=concept, opened_at=now, closed_at=now)
    ReportingRoundFactory(concept=concept)
    ReportingRoundFactory(opened_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingRoundFactory(concept=concept, opened_at=now)
    assert ReportingRound.objects.open().filter(concept=concept).count() == 1


def test_open_means_one_thing_to_the_queryset_the_record_and_the_services():
    """Opened and not closed (``rounds.OPEN``): the queryset, ``is_open``, the
    one-open-round constraint, the round an entry belongs to and the reminders."""
    from django.utils import timezone

    from measures.models.rounds import OPEN
    from measures.services import open_round_for

    from .factories import MeasureFactory, ReportingRoundFactory

    now = timezone.now()
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    measure = MeasureFactory(lead_office=Office.objects.get(code="51"))
    rounds = {
        "never opened": ReportingRoundFactory(),
        "open": ReportingRoundFactory(opened_at=now),
        "closed": ReportingRoundFactory(opened_at=now, closed_at=now),
    }
    for reporting_round in rounds.values():
        reporting_round.due_measures.add(measure)
    these = ReportingRound.objects.filter(pk__in=[r.pk for r in rounds.values()])
    assert [name for name, r in rounds.items() if r.is_open] == ["open"]
    assert list(these.open()) == [rounds["open"]]
    assert list(these.closed()) == [rounds["closed"]]
    assert open_round_for(measure) == rounds["open"]
    reminded = {r for r, _office, _to, _n in send_reminders(rounds=these, dry_run=True)}
    assert reminded == {rounds["open"]}
    [one_open] = [
        c
        for c in ReportingRound._meta.constraints
        if c.name == "reporting_round_one_open_per_concept"
    ]
    assert one_open.condition == OPEN


def test_bureau_cannot_open_a_second_round_of_a_concept(client, bureau_user, reporting_round):
    client.force_login(bureau_user)
    response = client.post(reverse("measures:round_create"), _round_data())
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "Für dieses Konzept ist bereits die Berichtsrunde „Berichtsrunde 2014“ offen; "
        "schließen Sie sie zuerst."
    ) in page
    assert not ReportingRound.objects.filter(title="Runde 2015").exists()


def test_the_second_round_is_refused_in_english(client, bureau_user, reporting_round):
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_create"), _round_data(), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert (
        "The round “Berichtsrunde 2014” is already open for this concept; close it first."
    ) in response.content.decode()


def test_opening_a_round_at_the_same_moment_is_refused_by_the_database(
    reporting_round, monkeypatch
):
    """Two requests at once both pass the check before either has saved: the unique
    index refuses the second, and the service says which round is open."""
    from measures import services
    from measures.services import RoundAlreadyOpen

    check = services._refuse_second_open_round
    calls = []

    def too_late_to_see_it(concept_id, exclude_pk=None):
        calls.append(concept_id)
        if len(calls) > 1:  # the check after the IntegrityError
            check(concept_id, exclude_pk)

    monkeypatch.setattr(services, "_refuse_second_open_round", too_late_to_see_it)
    with pytest.raises(RoundAlreadyOpen) as refused:
        open_round(
            concept=reporting_round.concept,
            title="Runde 2015",
            period_start=datetime.date(2015, 1, 1),
            period_end=datetime.date(2015, 12, 31),
            deadline=datetime.date(2016, 1, 31),
            unfinished_only=True,
        )
    assert refused.value.reporting_round == reporting_round
    assert len(calls) == 2
    assert list(ReportingRound.objects.values_list("title", flat=True)) == ["Berichtsrunde 2014"]


def test_reopening_is_refused_while_another_round_of_the_concept_is_open(
    client, bureau_user, reporting_round
):
    close_round(reporting_round)
    newer = open_round(
        concept=reporting_round.concept,
        title="Berichtsrunde 2015",
        period_start=datetime.date(2015, 1, 1),
        period_end=datetime.date(2015, 12, 31),
        deadline=datetime.date(2016, 1, 31),
        unfinished_only=True,
    )
    client.force_login(bureau_user)
    response = client.post(
        reverse("measures:round_reopen", args=[reporting_round.pk]),
        {"reason": "Amt 51 hat eine Fristverlängerung."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Für dieses Konzept ist bereits die Berichtsrunde „Berichtsrunde 2015“ offen" in page
    assert "Amt 51 hat eine Fristverlängerung." in page  # the reason is kept in the form
    reporting_round.refresh_from_db()
    assert not reporting_round.is_open
    assert ReportingRound.objects.open().get() == newer


def test_reopen_round_raises_when_another_round_is_open(reporting_round):
    from measures.services import RoundAlreadyOpen, reopen_round

    close_round(reporting_round)
    newer = open_round(
        concept=reporting_round.concept,
        title="Berichtsrunde 2015",
        period_start=datetime.date(2015, 1, 1),
        period_end=datetime.date(2015, 12, 31),
        deadline=datetime.date(2016, 1, 31),
        unfinished_only=True,
    )
    with pytest.raises(RoundAlreadyOpen) as refused:
        reopen_round(reporting_round, "x")
    assert refused.value.reporting_round == newer
    assert not ReportingRound.objects.get(pk=reporting_round.pk).is_open


# --- Measures without a lead office; counts that lead to their measures ---------------


def test_round_page_warns_of_due_measures_without_lead_office(client, bureau_user):
    concept = Concept.objects.get(slug="ik-2009")
    # The Dresden data set leaves some measures without a lead office; one more.
    measure = Measure.objects.filter(concept=concept, lead_office__isnull=False).first()
    Measure.objects.filter(pk=measure.pk).update(lead_office=None)
    without = Measure.objects.filter(concept=concept, lead_office__isnull=True)
    assert without.count() > 1
    client.force_login(bureau_user)
    response = client.post(reverse("measures:round_create"), _round_data())
    page = client.get(response.url).content.decode()
    assert "kern-alert--warning" in page
    assert f"{without.count()} fällige Maßnahmen haben kein federführendes Amt" in page
    for each in without:
        assert f'<a href="{each.get_absolute_url()}">{each.number} ' in page


def test_round_page_lists_at_most_50_measures_without_lead_office(client, bureau_user):
    from measures.views import WITHOUT_OFFICE_LISTED

    from .factories import MeasureFactory, ReportingRoundFactory

    concept = Concept.objects.get(slug="ik-2009")
    reporting_round = ReportingRoundFactory(concept=concept)
    reporting_round.due_measures.add(
        *[MeasureFactory(concept=concept, lead_office=None) for _ in range(52)]
    )
    client.force_login(bureau_user)
    page = client.get(reporting_round.get_absolute_url()).content.decode()
    assert "52 fällige Maßnahmen haben kein federführendes Amt" in page
    assert len(re.findall(r'<li><a href="/massnahmen/\d+/">', page)) == WITHOUT_OFFICE_LISTED
    more = reverse("measures:round_measures", args=[reporting_round.pk]) + "?amt=ohne"
    assert f'href="{more}"' in page


def test_office_counts_link_to_the_office_due_measures(client, bureau_user, reporting_round):
    office = Office.objects.get(code="51")
    due = reporting_round.due_measures.filter(lead_office=office)
    other = reporting_round.due_measures.exclude(lead_office=office).first()
    client.force_login(bureau_user)
    url = reverse("measures:round_measures", args=[reporting_round.pk]) + f"?amt={office.pk}"
    detail = client.get(reporting_round.get_absolute_url()).content.decode()
    assert f'href="{url}"' in detail
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{due.count()} Maßnahmen sind in der Runde „Berichtsrunde 2014“ fällig" in page
    for measure in due:
        assert measure.get_absolute_url() in page
    assert other.get_absolute_url() not in page


def test_round_measures_without_lead_office(client, bureau_user, reporting_round):
    measure = reporting_round.due_measures.order_by("number").first()
    Measure.objects.filter(pk=measure.pk).update(lead_office=None)
    client.force_login(bureau_user)
    url = reverse("measures:round_measures", args=[reporting_round.pk])
    page = client.get(url, {"amt": "ohne"}).content.decode()
    assert "Fällige Maßnahmen ohne federführendes Amt" in page
    assert measure.get_absolute_url() in page


def test_round_measures_are_for_the_bureau_only(client, office_staff, reporting_round):
    url = reverse("measures:round_measures", args=[reporting_round.pk])
    office = Office.objects.get(code="51")
    assert client.get(url, {"amt": office.pk}).status_code == 302  # to the login
    client.force_login(office_staff)
    assert client.get(url, {"amt": office.pk}).status_code == 403


def test_round_measures_bad_input_and_methods(client, bureau_user, reporting_round):
    from .factories import MunicipalityFactory, OfficeFactory

    client.force_login(bureau_user)
    url = reverse("measures:round_measures", args=[reporting_round.pk])
    elsewhere = OfficeFactory(municipality=MunicipalityFactory())
    assert client.get(url).status_code == 404
    assert client.get(url, {"amt": "x"}).status_code == 404
    assert client.get(url, {"amt": elsewhere.pk}).status_code == 404
    assert client.post(url, {"amt": "ohne"}).status_code == 405


@pytest.mark.parametrize("count", [3, 120])
def test_round_measures_queries_do_not_grow(client, bureau_user, django_assert_num_queries, count):
    from .factories import MeasureFactory, OfficeFactory, ReportingRoundFactory

    concept = Concept.objects.get(slug="ik-2009")
    reporting_round = ReportingRoundFactory(concept=concept)
    office = OfficeFactory(municipality=concept.municipality)
    reporting_round.due_measures.add(
        *[MeasureFactory(concept=concept, lead_office=office) for _ in range(count)]
    )
    client.force_login(bureau_user)
    # session, user, roles, round, office, count and page of the measures
    with django_assert_num_queries(REQUEST + 4):
        response = client.get(
            reverse("measures:round_measures", args=[reporting_round.pk]), {"amt": office.pk}
        )
    assert response.status_code == 200


# --- The round's history names closing and reopening ----------------------------------


def test_round_history_says_closed_and_reopened_with_the_reason(
    client, bureau_user, office_staff, reporting_round
):
    client.force_login(bureau_user)
    client.post(reverse("measures:round_close", args=[reporting_round.pk]))
    client.post(
        reverse("measures:round_reopen", args=[reporting_round.pk]),
        {"reason": "Amt 51 hat eine Fristverlängerung."},
    )
    response = client.get(
        reverse("measures:change_history", args=["berichtsrunde", reporting_round.pk])
    )
    page = response.content.decode()
    assert re.search(r"–\s+abgeschlossen\s+von", page)
    assert re.search(r"–\s+wieder geöffnet\s+von", page)
    assert "Grund: Amt 51 hat eine Fristverlängerung." in page
    assert "geändert" not in page
    client.force_login(office_staff)
    assert client.get(response.request["PATH_INFO"]).status_code == 403


def test_round_history_in_english(client, bureau_user, reporting_round):
    close_round(reporting_round)
    client.force_login(bureau_user)
    page = client.get(
        reverse("measures:change_history", args=["berichtsrunde", reporting_round.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert re.search(r"–\s+closed\s+by", page)
    assert not re.search(r"–\s+changed\s+by", page)


def test_the_english_round_page_marks_the_rounds_german_names(client, bureau_user):
    from .factories import ReportingRoundFactory

    reporting_round = ReportingRoundFactory(title="Berichtsrunde 2026")
    client.force_login(bureau_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    content = client.get(reverse("measures:round_detail", args=[reporting_round.pk])).content
    assert '<h1><span lang="de">Berichtsrunde 2026</span></h1>' in content.decode()

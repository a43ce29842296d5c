"""Telling people (DESIGN.md): a returned or approved entry, an opened round, a deadline
near and an overdue round reach the person concerned by e-mail, through the task queue
once the step has committed, in their language and with a link; each kind can be
switched off on one's own account page, and the bureau sees on the round's page what
was sent."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.template.defaultfilters import date as date_format
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import default_task_backend

from accounts.models import NotificationKind, NotificationSettings
from measures.models import Measure, Notification, Reminder, ReportingRound, StatusEntry
from measures.services import (
    approve_entry,
    open_round,
    return_entry,
    send_deadline_reminders,
    send_reminders,
)
from measures.tasks import send_notification
from working_groups.models import Concept, Office

from .factories import ConceptFactory, StatusEntryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

TODAY = datetime.date.today()
COMMENT = "Bitte ergänzen Sie die Teilnehmendenzahlen für 2014."


def choose(user, **values):
    NotificationSettings.objects.update_or_create(user=user, defaults=values)


@pytest.fixture
def staff(office_staff):
    """The author: office staff of Amt 51 (Jugendamt) with an address."""
    office_staff.first_name, office_staff.last_name = "Jana", "Müller"
    office_staff.email = "jana.mueller@dresden.example"
    office_staff.save()
    return office_staff


@pytest.fixture
def reviewer(bureau_user):
    bureau_user.first_name, bureau_user.last_name = "Birgit", "Büro"
    bureau_user.email = "buero@dresden.example"
    bureau_user.save()
    return bureau_user


@pytest.fixture
def submitted(staff):
    return StatusEntryFactory(
        measure=Measure.objects.get(number="4.2.2"),
        author=staff,
        state=StatusEntry.State.SUBMITTED,
        submitted_at=timezone.now(),
        as_of=TODAY,
    )


@pytest.fixture
def sends(django_capture_on_commit_callbacks):
    """Runs the callbacks of the commit (the test's own transaction never commits),
    where the mails are queued; the queue runs each task at once (conftest)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def the_round(deadline, opened_days_ago=10, **kwargs):
    concept = Concept.objects.get(slug="ik-2009")
    if ReportingRound.objects.open().filter(concept=concept).exists():
        # One round of a concept is open at a time: a further one gets a concept of
        # its own (its due measures are still Dresden's, by office).
        concept = ConceptFactory(municipality=concept.municipality)
    return ReportingRound.objects.create(
        concept=concept,
        title=kwargs.pop("title", "Berichtsrunde 2026"),
        period_start=datetime.date(2014, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        deadline=deadline,
        opened_at=timezone.now() - datetime.timedelta(days=opened_days_ago),
        **kwargs,
    )


def due_in(reporting_round, *codes):
    reporting_round.due_measures.add(*Measure.objects.filter(lead_office__code__in=codes))


# --- A returned or approved entry -----------------------------------------------------


def test_returning_an_entry_mails_the_author_the_comment_and_a_link_to_the_form(
    client, reviewer, staff, submitted, sends
):
    client.force_login(reviewer)
    with sends():
        response = client.post(
            reverse("measures:entry_return", args=[submitted.pk]), {"comment": COMMENT}
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["jana.mueller@dresden.example"]
    assert message.subject == (
        f"Ihr Sachstand wurde zur Überarbeitung zurückgegeben: {submitted.measure}"
    )
    assert message.body.startswith("Guten Tag Jana Müller,")
    assert "Birgit Büro hat Ihren Sachstand zur Maßnahme „4.2.2" in message.body
    assert COMMENT in message.body
    assert f"http://testserver/dresden/sachstaende/{submitted.pk}/bearbeiten/" in message.body
    assert "http://testserver/dresden/konto/" in message.body  # where to switch it off
    notification = Notification.objects.get()
    assert notification.kind == NotificationKind.ENTRY_RETURNED
    assert (notification.recipient, notification.entry) == (staff, submitted)
    assert notification.sent_at is not None and notification.subject == message.subject


def test_approval_is_mailed_in_the_authors_language(reviewer, staff, submitted, sends):
    choose(staff, language="en")
    with sends():
        approve_entry(submitted, reviewer, site_url="https://integration.example.org")
    [message] = mail.outbox
    assert message.subject == f"Your status entry was approved: {submitted.measure}"
    assert message.body.startswith("Dear Jana Müller,")
    assert "Birgit Büro has approved your status entry" in message.body
    assert (
        f"https://integration.example.org/dresden/massnahmen/{submitted.measure_id}/"
        in message.body
    )


def test_mails_go_through_the_task_queue_not_the_request(
    client, reviewer, submitted, sends, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    client.force_login(reviewer)
    with sends():
        client.post(reverse("measures:entry_return", args=[submitted.pk]), {"comment": COMMENT})
    assert mail.outbox == []
    [result] = default_task_backend.results
    assert result.task.func is send_notification.func
    notification = Notification.objects.get()
    assert result.args == [notification.pk, "http://testserver"]
    assert notification.sent_at is None

    send_notification.call(*result.args)  # what the worker does
    send_notification.call(*result.args)  # taken twice: sent once
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None


def test_nothing_is_sent_when_the_review_is_rolled_back(
    reviewer, submitted, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        return_entry(submitted, reviewer, COMMENT)
        raise RuntimeError("the surrounding step fails")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()
    submitted.refresh_from_db()
    assert submitted.state == StatusEntry.State.SUBMITTED


@pytest.mark.parametrize(
    ("kind", "review"),
    [
        ("entry_returned", lambda entry, reviewer: return_entry(entry, reviewer, COMMENT)),
        ("entry_approved", approve_entry),
    ],
)
def test_a_kind_switched_off_is_not_sent(reviewer, staff, submitted, sends, kind, review):
    choose(staff, **{kind: False})
    with sends():
        review(submitted, reviewer)
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize("change", [{"email": ""}, {"is_active": False}])
def test_authors_without_an_address_or_deactivated_are_not_mailed(
    reviewer, staff, submitted, change
):
    get_user_model().objects.filter(pk=staff.pk).update(**change)
    approve_entry(submitted, reviewer)
    assert not Notification.objects.exists()


def test_a_person_deactivated_before_the_mail_goes_out_gets_none(reviewer, staff, submitted):
    approve_entry(submitted, reviewer)  # queued only: the test's transaction never commits
    notification = Notification.objects.get()
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)
    assert send_notification.call(notification.pk, "http://testserver") is False
    assert mail.outbox == []


# --- A round opened -------------------------------------------------------------------


def test_opening_a_round_tells_each_office_what_is_due_and_by_when(
    client, reviewer, staff, council_member, sends
):
    council_member.email = "rat@dresden.example"
    council_member.save()
    kultur = UserFactory(first_name="Kai", last_name="Kultur", email="kai@dresden.example")
    Office.objects.get(code="41").staff.add(kultur)
    choose(kultur, language="en")
    client.force_login(reviewer)
    with sends():
        response = client.post(
            reverse("measures:round_create"),
            {
                "concept": Concept.objects.get(slug="ik-2009").pk,
                "title": "Runde 2015",
                "period_start": "2015-01-01",
                "period_end": "2015-12-31",
                "deadline": "2016-01-31",
            },
        )
    assert response.status_code == 302
    reporting_round = ReportingRound.objects.get(title="Runde 2015")
    mails = {message.to[0]: message for message in mail.outbox}
    assert set(mails) == {staff.email, kultur.email}  # not the bureau, not the council

    jugendamt = Office.objects.get(code="51")
    due = reporting_round.due_measures.filter(lead_office=jugendamt).count()
    german = mails[staff.email]
    assert (
        german.subject
        == "Neue Berichtsrunde „Runde 2015“: Bitte berichten Sie bis zum 31. Januar 2016"
    )
    assert "für den Zeitraum 1. Januar 2015 bis 31. Dezember 2015 eröffnet" in german.body
    assert f"- {jugendamt.label}: {due} Maßnahmen" in german.body
    assert "http://testserver/dresden/massnahmen/?due=true" in german.body

    with translation.override("en"):
        deadline = date_format(datetime.date(2016, 1, 31), "DATE_FORMAT")
    english = mails[kultur.email]
    assert english.subject == f"New reporting round “Runde 2015”: please report by {deadline}"
    kulturamt = Office.objects.get(code="41")
    count = reporting_round.due_measures.filter(lead_office=kulturamt).count()
    assert f"- {kulturamt.label}: {count} measure" in english.body
    assert (
        Notification.objects.filter(
            kind=NotificationKind.ROUND_OPENED, reporting_round=reporting_round
        ).count()
        == 2
    )


def test_a_round_opened_is_not_mailed_to_who_switched_it_off(staff, sends):
    choose(staff, round_opened=False)
    with sends():
        open_round(
            concept=Concept.objects.get(slug="ik-2009"),
            title="Runde 2015",
            period_start=datetime.date(2015, 1, 1),
            period_end=datetime.date(2015, 12, 31),
            deadline=datetime.date(2016, 1, 31),
            unfinished_only=False,
        )
    assert mail.outbox == []


# --- A deadline near ------------------------------------------------------------------


def test_a_reminder_goes_out_days_before_the_deadline_once_per_round_and_person(
    staff, sends, settings
):
    settings.DEADLINE_REMINDER_DAYS = 7
    soon = the_round(TODAY + datetime.timedelta(days=5))
    later = the_round(TODAY + datetime.timedelta(days=10), title="Später")
    due_in(soon, "51")
    due_in(later, "51")

    with sends():
        sent = send_deadline_reminders()
    assert [(reporting_round, recipients) for reporting_round, recipients in sent] == [
        (soon, [staff.email])
    ]
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert message.subject.startswith("Erinnerung: Die Frist für „Berichtsrunde 2026“ endet am")
    assert "endet in 5 Tagen" in message.body
    outstanding = soon.due_measures.count()
    assert f"- {Office.objects.get(code='51').label}: {outstanding} Maßnahmen" in message.body
    assert "http://127.0.0.1:8000/dresden/massnahmen/?due=true" in message.body  # SITE_URL

    with sends():
        assert send_deadline_reminders() == []  # the same day, or any later day
        tomorrow = TODAY + datetime.timedelta(days=1)
        assert send_deadline_reminders(today=tomorrow) == []
    assert len(mail.outbox) == 1


def test_no_deadline_reminder_for_offices_that_reported_or_people_who_opted_out(
    staff, reviewer, sends
):
    reported = the_round(TODAY + datetime.timedelta(days=2))
    measure = Measure.objects.get(number="4.2.2")
    reported.due_measures.add(measure)
    StatusEntryFactory(measure=measure, reporting_round=reported, author=staff)
    opted_out = the_round(TODAY + datetime.timedelta(days=2), title="Andere")
    due_in(opted_out, "51")
    choose(staff, deadline_near=False)
    just_opened = the_round(TODAY + datetime.timedelta(days=2), opened_days_ago=0, title="Neu")
    due_in(just_opened, "51")
    with sends():
        assert send_deadline_reminders() == []
    assert mail.outbox == []


# --- Overdue --------------------------------------------------------------------------


def test_overdue_reminders_go_to_staff_who_want_them_in_their_language(staff, sends):
    late = the_round(TODAY - datetime.timedelta(days=1))
    due_in(late, "51")
    colleague = UserFactory(email="kollegin@dresden.example")
    Office.objects.get(code="51").staff.add(colleague)
    choose(colleague, overdue=False)
    choose(staff, language="en")

    with sends():
        [(_round, office, recipients, outstanding)] = send_reminders()
    assert recipients == [staff.email]
    assert Reminder.objects.get().recipients == staff.email
    [message] = mail.outbox
    assert message.to == [staff.email]
    assert message.subject == "Reminder: status reports for “Berichtsrunde 2026” are overdue"
    assert f"- {office.label}: {outstanding} measures" in message.body
    assert "http://127.0.0.1:8000/dresden/massnahmen/?due=true" in message.body


def test_overdue_reminders_to_an_offices_address_are_german_and_logged(sends):
    Office.objects.filter(code="51").update(email="jugendamt@dresden.example")
    late = the_round(TODAY - datetime.timedelta(days=3))
    due_in(late, "51")
    with sends():
        send_reminders(site_url="https://integration.example.org")
    [message] = mail.outbox
    assert message.to == ["jugendamt@dresden.example"]
    assert message.body.startswith("Liebe Kolleginnen und Kollegen im 51 – Jugendamt,")
    assert "https://integration.example.org/dresden/massnahmen/?due=true" in message.body
    assert "/konto/" not in message.body  # an office's address has no account page
    notification = Notification.objects.get()
    assert notification.office.code == "51" and notification.recipient is None


def test_the_command_sends_both_kinds_of_reminder(staff, sends, capsys):
    due_in(the_round(TODAY + datetime.timedelta(days=3), title="Bald"), "51")
    due_in(the_round(TODAY - datetime.timedelta(days=3), title="Vorbei"), "51")
    call_command("send_reminders", "--dry-run")
    output = capsys.readouterr().out
    assert "would remind before the deadline" in output and "would remind 51" in output
    assert mail.outbox == []
    with sends():
        call_command("send_reminders")
    assert sorted(message.subject for message in mail.outbox) == [
        "Erinnerung: Die Frist für „Bald“ endet am "
        + date_format(TODAY + datetime.timedelta(days=3), "DATE_FORMAT"),
        "Erinnerung: Sachstände für „Vorbei“ sind überfällig",
    ]


# --- What the bureau sees -------------------------------------------------------------


def test_the_round_page_lists_what_was_sent(client, reviewer, staff, submitted, sends):
    reporting_round = the_round(TODAY + datetime.timedelta(days=20))
    StatusEntry.objects.filter(pk=submitted.pk).update(reporting_round=reporting_round)
    submitted.refresh_from_db()
    with sends():
        return_entry(submitted, reviewer, COMMENT)
    choose(staff, language="en")
    # queued, not sent yet: no task runs outside the callbacks
    approve_entry(
        StatusEntryFactory(
            measure=Measure.objects.get(number="4.2.7"),
            author=staff,
            state=StatusEntry.State.SUBMITTED,
            reporting_round=reporting_round,
        ),
        reviewer,
    )
    client.force_login(reviewer)
    page = client.get(reporting_round.get_absolute_url()).content.decode()
    assert "E-Mails in dieser Berichtsrunde" in page
    assert "Sachstand zurückgegeben" in page and "Sachstand freigegeben" in page
    assert "Jana Müller" in page and "jana.mueller@dresden.example" in page
    assert 'lang="de">Ihr Sachstand wurde zur Überarbeitung zurückgegeben: 4.2.2' in page
    assert "noch nicht versandt" in page

    client.cookies["django_language"] = "en"
    page = client.get(reporting_round.get_absolute_url()).content.decode()
    assert "E-mails in this round" in page
    assert "Entry returned" in page and "not sent yet" in page


def test_a_round_without_mails_says_so(client, reviewer):
    reporting_round = the_round(TODAY + datetime.timedelta(days=20))
    client.force_login(reviewer)
    page = client.get(reporting_round.get_absolute_url()).content.decode()
    assert "In dieser Berichtsrunde wurde noch keine E-Mail versandt." in page


# --- One's own account page -----------------------------------------------------------

ACCOUNT = "/konto/"


def test_the_account_page_offers_every_kind_switched_on(client, staff):
    assert reverse("accounts:my_account") == ACCOUNT
    client.force_login(staff)
    response = client.get(ACCOUNT)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Mein Konto</h1>" in content
    assert f'href="{ACCOUNT}" aria-current="page">Mein Konto</a>' in content  # header
    assert reverse("password_change") in content
    for kind in NotificationKind.values:
        assert f'name="{kind}"' in content
    # every kind, and German
    assert len(re.findall(r"\schecked[\s>]", content)) == len(NotificationKind.values) + 1
    assert "Eine Erinnerung 7 Tage vor Ablauf der Frist" in content
    assert "kern-form-check__checkbox" in content and "kern-fieldset" in content


def test_switching_kinds_off_is_saved_for_oneself(client, staff, council_member):
    client.force_login(staff)
    response = client.post(
        ACCOUNT, {"entry_returned": "on", "round_opened": "on", "language": "en"}, follow=True
    )
    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Ihre E-Mail-Einstellungen wurden gespeichert." in response.content.decode()
    saved = NotificationSettings.objects.get()
    assert saved.user == staff
    assert (saved.entry_returned, saved.entry_approved, saved.round_opened) == (True, False, True)
    assert (saved.deadline_near, saved.overdue, saved.language) == (False, False, "en")
    assert not NotificationSettings.objects.filter(user=council_member).exists()


def test_the_settings_form_refuses_an_unknown_language(client, staff):
    client.force_login(staff)
    response = client.post(ACCOUNT, {"entry_returned": "on", "language": "fr"})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="kern-alert kern-alert--danger" role="alert"' in content
    assert "Sprache der E-Mails" in content
    assert not NotificationSettings.objects.exists()


def test_the_account_page_needs_a_login_and_get_or_post(client, staff):
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(ACCOUNT, {"language": "en"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(staff)
    assert client.put(ACCOUNT).status_code == 405
    assert not NotificationSettings.objects.exists()


def test_the_language_one_chooses_is_the_language_of_ones_mails(client, staff):
    client.post(reverse("set_language"), {"language": "en"})  # anonymous: nothing to keep
    assert not NotificationSettings.objects.exists()
    client.force_login(staff)
    response = client.post(reverse("set_language"), {"language": "en", "next": ACCOUNT})
    assert response.status_code == 302 and response.url == ACCOUNT
    assert NotificationSettings.objects.get(user=staff).language == "en"
    client.post(reverse("set_language"), {"language": "xx"})
    assert NotificationSettings.objects.get(user=staff).language == "en"
    client.post(reverse("set_language"), {"language": "de"})
    assert NotificationSettings.objects.get(user=staff).language == "de"


def test_demo_accounts_have_addresses_of_an_example_domain(settings):
    settings.DEBUG = True
    call_command("create_demo_users", verbosity=0)
    addresses = dict(get_user_model().objects.values_list("username", "email"))
    assert addresses["amt51"] == "amt51@dresden.example"
    assert all(address.endswith("@dresden.example") for address in addresses.values())


def test_the_deploy_check_warns_until_the_site_url_is_set(settings):
    from accounts.checks import site_url_configured

    settings.SITE_URL = ""
    assert [w.id for w in site_url_configured(None)] == ["accounts.W002"]
    settings.SITE_URL = "https://integration.example.org"
    assert site_url_configured(None) == []

"""Spreadsheet checks and imports, and reminders, run as background tasks. Tasks run
at once here (tests/conftest.py); with the dummy backend they are only queued, as
when no worker has taken them yet, to see the pages in between."""

import datetime
import logging

import pytest
from django.core import mail
from django.urls import reverse

from measures.models import Reminder, SpreadsheetImport, StatusEntry
from measures.services import open_round
from measures.tasks import check_spreadsheet, import_spreadsheet
from working_groups.models import Concept, Office

from .test_tables import UPLOAD_URL, status_csv, upload

pytestmark = pytest.mark.usefixtures("dresden")

GOOD = status_csv(
    "ik-2009;3.1.3;01.04.2015;umgesetzt;100;fertig",
    "ik-2009;3.1.4;01.04.2015;in Umsetzung;40;läuft",
)


@pytest.fixture
def queued_only(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def detail_url(batch):
    return reverse("measures:import_detail", args=[batch.pk])


def test_the_check_runs_in_the_background_and_the_page_follows_it(client, bureau_user, queued_only):
    client.force_login(bureau_user)
    response = upload(client, "status_entries", "s.csv", GOOD)
    batch = SpreadsheetImport.objects.get()
    assert response.url == detail_url(batch)
    assert batch.state == SpreadsheetImport.State.CHECKING

    page = client.get(detail_url(batch))
    assert page["Refresh"] == "2"
    content = page.content.decode()
    assert "Die Prüfung beginnt gleich" in content and "Status aktualisieren" in content
    assert "Jetzt importieren" not in content and "<script" not in content
    SpreadsheetImport.objects.filter(pk=batch.pk).update(rows_total=10000)
    assert "10.000 Zeilen werden geprüft" in client.get(detail_url(batch)).content.decode()

    check_spreadsheet.call(batch.pk)  # what the worker does

    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.PREVIEWED and batch.rows_total == 2
    page = client.get(detail_url(batch))
    assert "Refresh" not in page
    assert "Jetzt importieren" in page.content.decode()


def test_the_import_runs_in_the_background_once(client, bureau_user, queued_only):
    client.force_login(bureau_user)
    upload(client, "status_entries", "s.csv", GOOD)
    batch = SpreadsheetImport.objects.get()
    check_spreadsheet.call(batch.pk)
    before = StatusEntry.objects.count()

    assert client.post(detail_url(batch)).url == detail_url(batch)
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.IMPORTING
    page = client.get(detail_url(batch))
    assert page["Refresh"] == "2"
    assert "2 Zeilen werden importiert" in page.content.decode()
    client.post(detail_url(batch))  # a second click while it runs changes nothing
    assert SpreadsheetImport.objects.get().state == SpreadsheetImport.State.IMPORTING

    import_spreadsheet.call(batch.pk, bureau_user.pk)
    import_spreadsheet.call(batch.pk, bureau_user.pk)  # run twice: imported once

    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.IMPORTED and batch.imported_at
    assert StatusEntry.objects.count() == before + 2
    assert "2 Zeilen wurden importiert" in client.get(detail_url(batch)).content.decode()


def test_an_import_that_fails_midway_writes_nothing_and_says_so(
    client, bureau_user, monkeypatch, caplog
):
    from measures import tasks

    real = tasks.run_table_import

    def breaks_after_writing(*args, **kwargs):
        real(*args, **kwargs)  # the rows are written …
        raise OSError("disk full")  # … and then something fails

    client.force_login(bureau_user)
    upload(client, "status_entries", "s.csv", GOOD)
    batch = SpreadsheetImport.objects.get()
    before = StatusEntry.objects.count()
    monkeypatch.setattr(tasks, "run_table_import", breaks_after_writing)
    with caplog.at_level(logging.ERROR):
        client.post(detail_url(batch))

    assert StatusEntry.objects.count() == before, "all or nothing"
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.FAILED and batch.imported_at is None
    assert any(f"import {batch.pk} failed" in r.getMessage() for r in caplog.records)
    german = client.get(detail_url(batch)).content.decode()
    assert "Die Datei konnte wegen eines internen Fehlers nicht verarbeitet werden." in german
    assert "Jetzt importieren" not in german
    english = client.get(detail_url(batch), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The file could not be processed because of an internal error." in english


def test_a_check_that_fails_says_so(client, bureau_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("engine broke")

    monkeypatch.setattr("measures.tasks.run_table_import", broken)
    client.force_login(bureau_user)
    response = upload(client, "status_entries", "s.csv", GOOD)
    batch = SpreadsheetImport.objects.get()
    assert batch.state == SpreadsheetImport.State.FAILED
    assert client.post(response.url).url == response.url, "a failed check cannot be imported"
    assert SpreadsheetImport.objects.get().state == SpreadsheetImport.State.FAILED


# Office staff upload files of their own (test_office_spreadsheets.py); the bureau's
# files are not found for them.
@pytest.mark.parametrize(("role", "refused"), [("office_staff", 404), ("council_member", 403)])
def test_only_the_bureau_uploads_and_imports(
    client, request, role, refused, bureau_user, queued_only
):
    client.force_login(bureau_user)
    upload(client, "status_entries", "s.csv", GOOD)
    batch = SpreadsheetImport.objects.get()
    SpreadsheetImport.objects.filter(pk=batch.pk).update(state="previewed")
    client.force_login(request.getfixturevalue(role))
    assert upload(client, "status_entries", "s.csv", GOOD).status_code == 403
    assert client.get(detail_url(batch)).status_code == refused
    assert client.post(detail_url(batch)).status_code == refused
    assert SpreadsheetImport.objects.get().state == SpreadsheetImport.State.PREVIEWED


def test_anonymous_users_go_to_the_login_and_wrong_methods_are_refused(client, bureau_user):
    response = upload(client, "status_entries", "s.csv", GOOD)
    assert response.status_code == 302 and "/login" in response.url
    assert not SpreadsheetImport.objects.exists()
    client.force_login(bureau_user)
    assert client.get(UPLOAD_URL).status_code == 405
    upload(client, "status_entries", "s.csv", GOOD)
    assert client.put(detail_url(SpreadsheetImport.objects.get())).status_code == 405


@pytest.fixture
def late_round():
    Office.objects.filter(code="51").update(email="jugendamt@example.org")
    return open_round(
        concept=Concept.objects.get(slug="ik-2009"),
        title="Berichtsrunde 2014",
        period_start=datetime.date(2014, 1, 1),
        period_end=datetime.date(2014, 12, 31),
        deadline=datetime.date.today() - datetime.timedelta(days=1),
        unfinished_only=True,
    )


def remind_url(reporting_round):
    return reverse("measures:round_remind", args=[reporting_round.pk])


def test_bureau_reminds_late_offices_from_the_round_page(
    client, bureau_user, late_round, django_capture_on_commit_callbacks
):
    client.force_login(bureau_user)
    page = client.get(late_round.get_absolute_url()).content.decode()
    assert f'action="{remind_url(late_round)}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remind_url(late_round), follow=True)

    assert response.redirect_chain[-1][0] == late_round.get_absolute_url()
    assert "werden im Hintergrund per E-Mail erinnert" in response.content.decode()
    assert any("jugendamt@example.org" in message.to for message in mail.outbox)
    reminded = Reminder.objects.count()
    assert reminded >= 1
    client.post(remind_url(late_round))
    assert Reminder.objects.count() == reminded, "at most one reminder a day"


def test_no_reminders_before_the_deadline(client, bureau_user, late_round):
    type(late_round).objects.filter(pk=late_round.pk).update(
        deadline=datetime.date.today() + datetime.timedelta(days=3)
    )
    client.force_login(bureau_user)
    assert remind_url(late_round) not in client.get(late_round.get_absolute_url()).content.decode()
    response = client.post(remind_url(late_round), follow=True)
    assert "nur für eine offene Berichtsrunde nach Ablauf ihrer Frist" in response.content.decode()
    assert mail.outbox == [] and not Reminder.objects.exists()


@pytest.mark.parametrize("role", ["office_staff", "council_member"])
def test_only_the_bureau_sends_reminders(client, request, role, late_round):
    client.force_login(request.getfixturevalue(role))
    assert client.post(remind_url(late_round)).status_code == 403
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_reminders_anonymous_and_wrong_method(client, bureau_user, late_round):
    response = client.post(remind_url(late_round))
    assert response.status_code == 302 and "/login" in response.url
    client.force_login(bureau_user)
    assert client.get(remind_url(late_round)).status_code == 405
    assert not Reminder.objects.exists()

"""A worker killed in the middle of a task (``kill -9``) leaves its task "running":
once the task has run for longer than it can (its bounded work's limit plus a
margin, helpers/worker.py), the page that waits for it marks it and its
record failed, says that the background worker was stopped, stops reloading itself
and offers to start again; a new click starts a new task. A task within its time is
left alone."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from helpers.worker import WorkerLost, fail_lost_tasks, lost_after
from measures.models import Measure, SpreadsheetImport
from measures.tasks import check_spreadsheet, import_spreadsheet, send_daily_reminders
from reports.models import Publication, ReportExport
from reports.tasks import publish_report, render_export

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
EXPORT_URL = reverse("reports:report_export", args=[SLUG, "pdf"])
PUBLISH_URL = reverse("reports:report_publish", args=[SLUG])
LOST = "Die Hintergrundverarbeitung wurde während der Arbeit beendet; bitte erneut starten."
LATE = "Die Hintergrundverarbeitung antwortet nicht"


@pytest.fixture(autouse=True)
def database_tasks(settings):
    """Tasks wait in the database; the tests play the worker that takes them."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def taken(task_id, started_ago):
    """The worker took the task ``started_ago`` (and then, perhaps, was killed)."""
    DBTaskResult.objects.filter(pk=task_id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        enqueued_at=timezone.now() - started_ago,
    )


def too_long(task):
    return lost_after(task) + datetime.timedelta(minutes=1)


def running_export(client, started_ago):
    client.post(EXPORT_URL)
    export = ReportExport.objects.get()
    ReportExport.objects.filter(pk=export.pk).update(
        state=ReportExport.State.RUNNING, step=2, requested_at=timezone.now() - started_ago
    )
    taken(export.task_id, started_ago)
    return export


def test_the_limits_come_from_the_work_limits(settings):
    assert lost_after(render_export) == datetime.timedelta(minutes=5)  # PDF 180 s + 2 min
    assert lost_after(publish_report) == datetime.timedelta(minutes=5)
    assert lost_after(import_spreadsheet) == datetime.timedelta(minutes=17)  # 120 s + 15
    settings.WORK_LIMITS = {"pdf": {"seconds": 600}}
    assert lost_after(render_export) == datetime.timedelta(minutes=12)


def test_a_lost_export_is_shown_failed_and_a_new_click_starts_a_new_one(client, bureau_user):
    client.force_login(bureau_user)
    lost = running_export(client, too_long(render_export))

    response = client.get(EXPORT_URL)
    page = response.content.decode()
    assert "Refresh" not in response, "the page stops waiting"
    assert LOST in page
    assert f'action="{EXPORT_URL}"' in page, "and offers to start again"
    lost.refresh_from_db()
    assert lost.state == ReportExport.State.FAILED and lost.lost
    result = DBTaskResult.objects.get(pk=lost.task_id)
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"

    client.post(EXPORT_URL)
    fresh = ReportExport.objects.exclude(pk=lost.pk).get()
    assert fresh.state == ReportExport.State.QUEUED and fresh.task_id != lost.task_id
    assert DBTaskResult.objects.get(pk=fresh.task_id).status == TaskResultStatus.READY


def test_a_click_on_a_lost_export_starts_a_new_one(client, bureau_user):
    client.force_login(bureau_user)
    lost = running_export(client, too_long(render_export))
    client.post(EXPORT_URL)
    assert ReportExport.objects.get(pk=lost.pk).state == ReportExport.State.FAILED
    assert ReportExport.objects.latest("requested_at").state == ReportExport.State.QUEUED


def test_an_export_running_within_its_time_is_left_alone(client, bureau_user):
    client.force_login(bureau_user)
    export = running_export(client, datetime.timedelta(minutes=1))
    # Asked for long ago, but taken by the worker only a minute ago.
    ReportExport.objects.filter(pk=export.pk).update(
        requested_at=timezone.now() - too_long(render_export)
    )

    response = client.get(EXPORT_URL)
    assert response["Refresh"] == "3" and LOST not in response.content.decode()
    client.post(EXPORT_URL)
    assert ReportExport.objects.get().state == ReportExport.State.RUNNING
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


def test_a_lost_publication_is_shown_failed_and_can_be_started_again(client, bureau_user):
    client.force_login(bureau_user)
    data = {"confirm": "on", "opened_after": "0"}
    client.post(PUBLISH_URL, data)
    lost = Publication.objects.get()
    ago = too_long(publish_report)
    Publication.objects.filter(pk=lost.pk).update(
        state=Publication.State.RUNNING, step=2, requested_at=timezone.now() - ago
    )
    taken(lost.task_id, ago)

    response = client.get(lost.get_absolute_url())
    page = response.content.decode()
    assert "Refresh" not in response
    assert LOST in page and "Es wurde nichts veröffentlicht." in page
    assert "Erneut versuchen" in page
    lost.refresh_from_db()
    assert lost.state == Publication.State.FAILED and lost.lost

    again = client.post(PUBLISH_URL, data)
    fresh = Publication.objects.exclude(pk=lost.pk).get()
    assert again["Location"] == fresh.get_absolute_url()
    assert fresh.state == Publication.State.QUEUED


def test_a_click_on_a_lost_publication_starts_a_new_one(client, bureau_user):
    client.force_login(bureau_user)
    data = {"confirm": "on", "opened_after": "0"}
    client.post(PUBLISH_URL, data)
    lost = Publication.objects.get()
    Publication.objects.filter(pk=lost.pk).update(state=Publication.State.RUNNING)
    taken(lost.task_id, too_long(publish_report))
    Publication.objects.filter(pk=lost.pk).update(
        requested_at=timezone.now() - too_long(publish_report)
    )

    response = client.post(PUBLISH_URL, data)
    assert Publication.objects.get(pk=lost.pk).state == Publication.State.FAILED
    fresh = Publication.objects.exclude(pk=lost.pk).get()
    assert response["Location"] == fresh.get_absolute_url()


def spreadsheet(user, state, started_ago):
    batch = SpreadsheetImport.objects.create(
        kind=SpreadsheetImport.Kind.MEASURES,
        file_name="massnahmen.csv",
        file_format="csv",
        content=b"x",
        sha256="0" * 64,
        uploaded_by=user,
        municipality=user.municipalities.get(),
        state=state,
        summary={"errors": [], "total_rows": 1},
    )
    SpreadsheetImport.objects.filter(pk=batch.pk).update(uploaded_at=timezone.now() - started_ago)
    if state == SpreadsheetImport.State.CHECKING:
        result = check_spreadsheet.enqueue(batch.pk)
    else:
        result = import_spreadsheet.enqueue(batch.pk, user.pk)
    taken(result.id, started_ago)
    return batch


@pytest.mark.parametrize(
    ("state", "task"),
    [
        (SpreadsheetImport.State.CHECKING, check_spreadsheet),
        (SpreadsheetImport.State.IMPORTING, import_spreadsheet),
    ],
)
def test_a_lost_spreadsheet_check_or_import_is_shown_failed(client, bureau_user, state, task):
    batch = spreadsheet(bureau_user, state, too_long(task))
    client.force_login(bureau_user)

    response = client.get(reverse("measures:import_detail", args=[batch.pk]))
    page = response.content.decode()
    assert "Refresh" not in response
    assert LOST in page and "Es wurde nichts importiert." in page
    assert f'href="{reverse("measures:data_exchange")}"' in page, "upload it again"
    batch.refresh_from_db()
    assert batch.state == SpreadsheetImport.State.FAILED and batch.lost
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED


def test_a_spreadsheet_import_within_its_time_is_left_alone(client, bureau_user):
    batch = spreadsheet(
        bureau_user, SpreadsheetImport.State.IMPORTING, datetime.timedelta(minutes=10)
    )
    # Uploaded and checked long ago, imported only since ten minutes.
    SpreadsheetImport.objects.filter(pk=batch.pk).update(
        uploaded_at=timezone.now() - datetime.timedelta(days=1)
    )
    client.force_login(bureau_user)
    response = client.get(reverse("measures:import_detail", args=[batch.pk]))
    assert response["Refresh"] == "2" and LOST not in response.content.decode()
    assert SpreadsheetImport.objects.get().state == SpreadsheetImport.State.IMPORTING
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


def test_an_import_marked_lost_while_it_runs_writes_nothing(bureau_user, monkeypatch):
    batch = spreadsheet(
        bureau_user, SpreadsheetImport.State.IMPORTING, too_long(import_spreadsheet)
    )
    measure = Measure.objects.order_by("pk").first()

    def import_meanwhile_marked_lost(*args, **kwargs):
        Measure.objects.filter(pk=measure.pk).update(title="Aus der Datei")
        assert fail_lost_tasks() == 1, "a page marks it lost while it runs"
        return {"errors": [], "total_rows": 1}

    monkeypatch.setattr("measures.tasks.run_table_import", import_meanwhile_marked_lost)
    import_spreadsheet.call(batch.pk, bureau_user.pk)
    # Here the page's mark shares the import's transaction and is undone with it (in
    # production it commits on its own); what counts is that nothing was imported.
    batch.refresh_from_db()
    assert batch.state != SpreadsheetImport.State.IMPORTED and batch.imported_at is None
    assert Measure.objects.get(pk=measure.pk).title == measure.title


def test_the_import_page_says_when_no_worker_takes_the_check(client, bureau_user):
    batch = spreadsheet(bureau_user, SpreadsheetImport.State.CHECKING, datetime.timedelta(0))
    DBTaskResult.objects.update(
        status=TaskResultStatus.READY,
        started_at=None,
        enqueued_at=timezone.now() - datetime.timedelta(minutes=2),
    )
    client.force_login(bureau_user)
    response = client.get(reverse("measures:import_detail", args=[batch.pk]))
    assert LATE in response.content.decode() and response["Refresh"] == "2"


def test_the_daily_reminders_fail_the_lost_tasks_first(client, bureau_user):
    client.force_login(bureau_user)
    lost = running_export(client, too_long(render_export))
    send_daily_reminders.call()
    assert ReportExport.objects.get(pk=lost.pk).state == ReportExport.State.FAILED
    assert DBTaskResult.objects.get(pk=lost.task_id).status == TaskResultStatus.FAILED

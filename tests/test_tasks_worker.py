"""End to end through the real database worker: the one test that does not run tasks
with the immediate backend. The export is queued in the database by the web request
and rendered by `manage.py db_worker` (in batch mode: it takes every queued task,
then stops), as `make run` and the systemd service do."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from reports.models import ReportExport

from .worker import run_worker

SLUG = "umsetzungsbericht-2009-2014"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.mark.django_db(transaction=True)
def test_a_pdf_export_from_the_report_page_completes_through_the_worker(
    client, dresden_committed, bureau_user, database_tasks
):
    client.force_login(bureau_user)
    client.post(reverse("reports:report_export", args=[SLUG, "pdf"]))
    export = ReportExport.objects.get()
    assert export.state == ReportExport.State.QUEUED, "the request only queues it"
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and export.task_id == str(task.pk)
    download = reverse("reports:report_download", args=[SLUG, "pdf"])
    assert client.get(download).url == reverse("reports:report_export", args=[SLUG, "pdf"])

    run_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL", task.traceback
    export.refresh_from_db()
    assert export.state == ReportExport.State.DONE
    response = client.get(download)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")

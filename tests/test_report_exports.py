"""The report's PDF and DOCX are rendered by a background task; the report page and
the export page say how far it is and offer the file once it is ready. Tasks run
with the immediate backend here (tests/conftest.py), or are only queued with the
dummy backend to see the states in between."""

import logging

import pytest
from django.urls import reverse

from measures.models import Measure, StatusEntry
from reports.models import Report, ReportExport

from .factories import StatusEntryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
REPORT = reverse("reports:report_detail", args=[SLUG])


def export_url(format="pdf"):
    return reverse("reports:report_export", args=[SLUG, format])


def download_url(format="pdf"):
    return reverse("reports:report_download", args=[SLUG, format])


@pytest.fixture
def queued_only(settings):
    """Tasks are stored but not run, as when no worker has taken them yet."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.mark.parametrize("format, magic", [("pdf", b"%PDF"), ("docx", b"PK")])
def test_bureau_creates_the_draft_document_and_downloads_it(client, bureau_user, format, magic):
    client.force_login(bureau_user)
    assert f'action="{export_url(format)}"' in client.get(REPORT).content.decode()

    response = client.post(export_url(format))

    assert response.status_code == 302 and response.url == export_url(format)
    export = ReportExport.objects.get(format=format)
    assert export.state == ReportExport.State.DONE
    assert export.requested_by == bureau_user
    page = client.get(REPORT).content.decode()
    assert f'href="{download_url(format)}"' in page
    download = client.get(download_url(format))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{SLUG}-entwurf.{format}"'
    assert download.content.startswith(magic)


def test_a_finished_file_is_reused_until_the_records_change(
    client, bureau_user, django_capture_on_commit_callbacks
):
    client.force_login(bureau_user)
    client.post(export_url())
    first = ReportExport.objects.get()

    client.post(export_url())
    assert ReportExport.objects.count() == 1, "unchanged records: the same file"
    assert client.get(download_url()).status_code == 200

    # An approval changes the records: once it has committed, the file is out of date.
    measure = Measure.objects.filter(concept__reports__slug=SLUG).first()
    entry = StatusEntryFactory(
        measure=measure, state=StatusEntry.State.SUBMITTED, author=UserFactory()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("measures:entry_approve", args=[entry.pk]))

    assert client.get(download_url()).url == export_url(), "the old file is out of date"
    assert (
        "The records have changed"
        in client.get(export_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    client.post(export_url())
    latest = ReportExport.objects.get()
    assert latest.pk != first.pk, "rendered anew, and the out-of-date file is gone"
    assert latest.fingerprint != first.fingerprint


def test_the_report_pages_compare_versions_without_rendering_the_report(
    client, bureau_user, monkeypatch
):
    """The report page, the export page (reloaded every few seconds while a file is
    made) and the downloads compare the concept's version with the file's; the draft
    HTML is rendered once per version."""
    client.force_login(bureau_user)
    client.post(export_url())
    assert client.get(download_url("html")).status_code == 200

    def rendered(*args, **kwargs):
        raise AssertionError("the report was rendered")

    monkeypatch.setattr("reports.exports.render_html", rendered)
    assert client.get(REPORT).status_code == 200
    assert "The records have changed" not in (
        client.get(export_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert client.get(download_url()).content.startswith(b"%PDF")
    assert client.get(download_url("html")).content.startswith(b"<!DOCTYPE html>")


def test_a_queued_export_shows_progress_and_refreshes_itself(client, bureau_user, queued_only):
    client.force_login(bureau_user)
    client.post(export_url())
    client.post(export_url())
    export = ReportExport.objects.get()
    assert export.state == ReportExport.State.QUEUED, "two clicks queue one rendering"

    response = client.get(export_url())
    assert response["Refresh"] == "3"
    page = response.content.decode()
    assert '<progress id="progress-pdf" max="3" value="0">' in page
    assert "Status aktualisieren" in page
    assert "<script" not in page
    assert client.get(download_url()).url == export_url(), "no file until it is ready"

    ReportExport.objects.filter(pk=export.pk).update(state="running", step=2)
    assert '<progress id="progress-pdf" max="3" value="2">' in client.get(REPORT).content.decode()


def test_a_finished_export_page_does_not_refresh(client, bureau_user):
    client.force_login(bureau_user)
    client.post(export_url("docx"))
    response = client.get(export_url("docx"))
    assert "Refresh" not in response
    assert f'href="{download_url("docx")}"' in response.content.decode()


def test_a_failing_export_says_so_keeps_no_file_and_is_logged(
    client, bureau_user, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("typesetting broke")

    monkeypatch.setattr("reports.tasks.render_pdf", broken)
    client.force_login(bureau_user)
    with caplog.at_level(logging.ERROR):
        client.post(export_url())

    export = ReportExport.objects.get()
    assert export.state == ReportExport.State.FAILED
    assert bytes(export.content) == b"" and export.content_sha256 == ""
    assert any(f"export {export.pk}" in record.getMessage() for record in caplog.records)
    assert client.get(download_url()).url == export_url(), "nothing half-written is offered"
    german = client.get(export_url()).content.decode()
    assert "Das Dokument konnte nicht erstellt werden." in german
    english = client.get(export_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The document could not be created." in english

    monkeypatch.undo()
    client.post(export_url())
    assert ReportExport.objects.get().state == ReportExport.State.DONE, "tried again"


def test_a_task_run_twice_renders_once(client, bureau_user):
    from reports.tasks import render_export

    client.force_login(bureau_user)
    client.post(export_url())
    export = ReportExport.objects.get()
    assert render_export.call(export.pk) is None
    assert ReportExport.objects.get().content_sha256 == export.content_sha256


def test_only_a_finished_export_can_hold_a_file(db):
    from django.db import IntegrityError, transaction

    report = Report.objects.get(slug=SLUG)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportExport.objects.create(
            report=report, format="pdf", fingerprint="0" * 64, content_sha256="a" * 64
        )


@pytest.mark.parametrize("role", ["office_staff", "council_member"])
def test_only_the_bureau_creates_and_fetches_draft_documents(request, client, role):
    """Drafts are for the bureau; the council reads published versions."""
    client.force_login(request.getfixturevalue(role))
    page = client.get(REPORT)
    assert export_url() not in page.content.decode()
    assert client.get(export_url()).status_code == 403
    assert client.post(export_url()).status_code == 403
    assert client.get(download_url()).status_code == 403
    assert not ReportExport.objects.exists()


def test_anonymous_users_are_sent_to_the_login(client):
    for response in (client.get(export_url()), client.post(export_url())):
        assert response.status_code == 302 and "/login" in response.url
    assert not ReportExport.objects.exists()


def test_wrong_methods_and_formats_are_refused(client, bureau_user):
    client.force_login(bureau_user)
    assert client.put(export_url()).status_code == 405
    assert client.post(download_url()).status_code == 405
    assert client.post(export_url("odt")).status_code == 404
    assert client.get(download_url("odt")).status_code == 404
    missing = reverse("reports:report_export", args=["gibt-es-nicht", "pdf"])
    assert client.post(missing).status_code == 404

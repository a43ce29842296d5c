"""Report documents rendered in the background (django-tasks; run by
`manage.py db_worker`): draft exports and published versions. Typesetting the PDF
takes seconds, at scale up to twenty: it never runs inside a web request, and never
inside a transaction that other writers would wait for. Only `manage.py
export_report` renders in its own process. Feedback on accessibility is e-mailed
from here too: an SMTP server may take its time."""

import hashlib
import logging
from urllib.parse import urljoin

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from helpers.addresses import municipality_reverse
from helpers.scope import unscoped
from helpers.worker import fail_lost_tasks, overdue

from .exports import render_docx, render_html, render_pdf
from .models import AccessibilityFeedback, Publication, Report, ReportExport
from .publishing import NothingToPublish, publish

logger = logging.getLogger(__name__)


def latest_exports(report):
    """{format: the report's latest export of that format}, without the files."""
    latest = {}
    for export in report.exports.defer("content").order_by("format", "-requested_at", "-pk"):
        latest.setdefault(export.format, export)
    return latest


def latest_export(report, format):
    """The report's latest export of ``format``, without the file; if its worker has
    lost it, it is marked failed first (helpers/worker.py)."""
    export = report.exports.defer("content").filter(format=format).first()
    if export is not None and export.in_progress and overdue(render_export, export.requested_at):
        fail_lost_tasks()
        export.refresh_from_db(fields=["state", "lost", "finished_at"])
    return export


def request_export(report, format, user, current):
    """The export of ``format`` for the report as it is now (``current`` is its
    exports.draft_version, read before anything is rendered): the finished one if the
    records have not changed, the one already under way, or a new one queued for the
    worker, stamped with ``current``. A change that commits while it is rendered
    leaves it stamped with the older version, so it is rendered again when asked."""
    with transaction.atomic():
        # One request at a time per report, so two clicks queue one rendering.
        Report.objects.select_for_update().filter(pk=report.pk).first()
        # One its worker has lost is failed here, and a new one queued.
        export = latest_export(report, format)
        if export is not None and (export.in_progress or export.is_current(current)):
            return export
        export = ReportExport.objects.create(
            report=report, format=format, fingerprint=current, requested_by=user
        )
        # The database backend stores the task in this transaction: a worker sees it
        # only once the export it refers to is committed.
        result = render_export.enqueue(export.pk)
        ReportExport.objects.filter(pk=export.pk).update(task_id=result.id)
    export.refresh_from_db()
    return export


def _update(export_id, **fields):
    return ReportExport.objects.filter(pk=export_id).update(**fields)


@task()
def render_export(export_id):
    """Render one queued export. On any error the export is marked failed (the page
    says so in German or English) and keeps no file; the error is logged and the task
    fails, so the worker's task results show it too."""
    # Claimed once: a task run twice (or an export already handled) does nothing.
    if not ReportExport.objects.filter(pk=export_id, state=ReportExport.State.QUEUED).update(
        state=ReportExport.State.RUNNING, step=1
    ):
        return None
    export = ReportExport.objects.defer("content").get(pk=export_id)
    report = Report.objects.select_related(
        "concept__municipality", "presented_to", "issued_by"
    ).get(pk=export.report_id)
    try:
        html = render_html(report)
        _update(export_id, step=2)
        if export.format == ReportExport.Format.PDF:
            content = render_pdf(report, html=html)
        else:
            content = render_docx(report)
        with transaction.atomic():
            _update(
                export_id,
                state=ReportExport.State.DONE,
                step=ReportExport.STEPS,
                content=content,
                content_sha256=hashlib.sha256(content).hexdigest(),
                finished_at=timezone.now(),
            )
            # Older files of this format are out of date now; keep only the newest.
            report.exports.filter(format=export.format).exclude(pk=export_id).exclude(
                state__in=[ReportExport.State.QUEUED, ReportExport.State.RUNNING]
            ).delete()
    except Exception:
        logger.error(
            "Rendering the %s of report %s (export %s) failed.",
            export.format,
            report.slug,
            export_id,
        )
        _update(export_id, state=ReportExport.State.FAILED, finished_at=timezone.now())
        raise
    return {"export": export_id, "bytes": len(content)}


def request_publication(report, user, *, note, opened_after):
    """Record the bureau's wish to publish the report and queue it for the worker;
    returns the publication, or the one already under way for this report."""
    with transaction.atomic():
        Report.objects.select_for_update().filter(pk=report.pk).first()
        running = report.publications.filter(state__in=Publication.IN_PROGRESS).first()
        if running is not None:
            fail_if_lost(running)
        if running is not None and running.in_progress:
            return running
        publication = Publication.objects.create(
            report=report, note=note, opened_after=opened_after, requested_by=user
        )
        # Stored in this transaction (the database backend): the worker sees the
        # task only together with the publication it refers to.
        result = publish_report.enqueue(publication.pk)
        Publication.objects.filter(pk=publication.pk).update(task_id=result.id)
    publication.refresh_from_db()
    return publication


def fail_if_lost(publication):
    """Mark the publication failed if its worker has lost it
    (helpers/worker.py)."""
    if publication.in_progress and overdue(publish_report, publication.requested_at):
        fail_lost_tasks()
        publication.refresh_from_db(fields=["state", "lost", "finished_at"])


@task()
def publish_report(publication_id):
    """Render and freeze the next version for one publication. Refused (nothing
    published) when the report has not changed or another version came first; on any
    error the publication is marked failed and nothing is kept."""
    claimed = Publication.objects.filter(pk=publication_id, state=Publication.State.QUEUED).update(
        state=Publication.State.RUNNING, step=1
    )
    if not claimed:
        return None  # run twice, or handled already
    publication = Publication.objects.select_related("requested_by").get(pk=publication_id)
    report = Report.objects.select_related(
        "concept__municipality", "concept__action_plan", "presented_to", "issued_by"
    ).get(pk=publication.report_id)
    try:
        version = publish(
            report,
            publication.requested_by,
            note=publication.note,
            opened_after=publication.opened_after,
            on_step=lambda step: Publication.objects.filter(pk=publication_id).update(step=step),
            # The version and "done" in one transaction: never a version without its
            # publication's word that it is there.
            on_saved=lambda version: Publication.objects.filter(pk=publication_id).update(
                state=Publication.State.DONE,
                step=Publication.STEPS,
                version=version,
                finished_at=timezone.now(),
            ),
        )
    except NothingToPublish as refused:
        Publication.objects.filter(pk=publication_id).update(
            state=Publication.State.REFUSED,
            refusal=Publication.Refusal.PUBLISHED_MEANWHILE
            if refused.changed_since_opened
            else Publication.Refusal.UNCHANGED,
            finished_at=timezone.now(),
        )
        return {"publication": publication_id, "version": None}
    except Exception:
        logger.error("Publishing report %s (publication %s) failed.", report.slug, publication_id)
        Publication.objects.filter(pk=publication_id).update(
            state=Publication.State.FAILED, finished_at=timezone.now()
        )
        raise
    return {"publication": publication_id, "version": version.number}


@task()
def send_feedback_mail(feedback_id, site_url):
    """E-mail a feedback message on accessibility to the contact of the municipality
    it was sent in, or of the statement (AccessibilityFeedback.contact_for), in
    German, the language of the administration. The message is stored before; if
    sending fails it stays in the admin without ``mailed_at``, and the task fails so
    that the worker's results show it."""
    # The worker's own work on the record it is given (run at once, as in the
    # tests, it would otherwise be in the scope of a visitor, who reads none).
    with unscoped():
        feedback = AccessibilityFeedback.objects.select_related("municipality").get(pk=feedback_id)
    if feedback.mailed_at is not None:
        return None  # a task run twice sends once
    admin_path = reverse("admin:reports_accessibilityfeedback_change", args=[feedback.pk])
    if feedback.municipality is not None:
        # At the municipality's address: an account that works with several opens
        # it in this one.
        admin_path = municipality_reverse(
            feedback.municipality, "admin:reports_accessibilityfeedback_change", [feedback.pk]
        )
    context = {
        "feedback": feedback,
        "page_url": urljoin(site_url, feedback.page) if feedback.page else "",
        "admin_url": urljoin(site_url, admin_path),
    }
    with translation.override("de"):
        subject = render_to_string("reports/email/feedback_subject.txt", context).strip()
        body = render_to_string("reports/email/feedback_body.txt", context)
    message = EmailMessage(
        subject,
        body,
        to=[AccessibilityFeedback.contact_for(feedback.municipality)["email"]],
        reply_to=[feedback.email] if feedback.email else None,
    )
    message.send()
    with unscoped():
        AccessibilityFeedback.objects.filter(pk=feedback.pk).update(mailed_at=timezone.now())
    return {"feedback": feedback.pk}

"""Publishing a report: its HTML, PDF and DOCX are rendered once, checksummed and
frozen as a numbered PublishedVersion. Later edits to the records change drafts only.

Rendering takes seconds (the PDF) and happens outside any transaction; only the
short write of the finished version takes the report's lock. A request never
renders: the bureau's click records a Publication and the worker calls ``publish``
(reports/tasks.py)."""

import hashlib

from django.db import transaction
from django.utils import timezone

from .comparison import status_snapshot
from .exports import document_context, render_docx, render_html, render_pdf
from .models import PublishedVersion, Report


class NothingToPublish(Exception):
    """The report reads exactly as its latest version, or someone published since the
    form was opened; ``version`` is the latest version."""

    def __init__(self, version, *, changed_since_opened=False):
        super().__init__(version)
        self.version = version
        self.changed_since_opened = changed_since_opened


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def _latest(report):
    return report.versions.order_by("-number").first()


def _render(report, user, note, last, on_step):
    """The next version after ``last``, rendered and checked but not saved; raises
    NothingToPublish when the report reads exactly as ``last``."""
    # Rendered as the latest version's edition, an unchanged report gives exactly
    # that version's HTML.
    if last and render_html(report, edition=last).encode("utf-8") == bytes(last.html):
        raise NothingToPublish(last)
    version = PublishedVersion(
        report=report,
        number=(last.number if last else 0) + 1,
        published_at=timezone.now(),
        published_by=user,
        note=note,
    )
    # The HTML (and with it the PDF) and the DOCX from the same reading of the records,
    # so that a change saved meanwhile cannot make them differ.
    context = document_context(report)
    html = render_html(report, edition=version, context=context).encode("utf-8")
    on_step(2)
    pdf = render_pdf(report, html=html.decode("utf-8"))
    # The same edition in Word, stored in the same insert: a version is never changed.
    docx = render_docx(report, edition=version, context=context)
    version.html, version.html_sha256 = html, sha256(html)
    version.pdf, version.pdf_sha256 = pdf, sha256(pdf)
    version.docx, version.docx_sha256 = docx, sha256(docx)
    version.statuses = status_snapshot(report)
    # The number is settled under the report's lock (publish); here it may already be
    # taken by a colleague, which publish() finds and answers for.
    version.full_clean(
        exclude=["html", "pdf", "docx"], validate_unique=False, validate_constraints=False
    )
    return version


def publish(
    report,
    user,
    note="",
    *,
    opened_after=None,
    on_step=lambda step: None,
    on_saved=lambda version: None,
):
    """Freeze the report as its next version and return it.

    ``opened_after`` is the latest version's number (0 for none) when the form was
    opened: if another version was published since, NothingToPublish is raised, so a
    form sent twice publishes once; so it is when the report reads exactly as its
    latest version. The version is rendered first, without any lock; its number is
    then taken under a lock on the report, and if another version arrived in between,
    the report is rendered again against it (two people publishing at the same moment
    get versions n and n+1, or one version when the content is the same).
    ``on_step`` is told when rendering reaches the PDF, for a progress bar;
    ``on_saved`` is called with the version in the transaction that saves it.
    """
    for _attempt in range(3):
        last = _latest(report)
        last_number = last.number if last else 0
        if opened_after is not None and opened_after != last_number:
            raise NothingToPublish(last, changed_since_opened=True)
        version = _render(report, user, note, last, on_step)
        with transaction.atomic():
            Report.objects.select_for_update().filter(pk=report.pk).get()
            now_last = _latest(report)
            if (now_last.number if now_last else 0) == last_number:
                version.save()
                on_saved(version)
                return version
        # Someone published while this one was rendered.
        if opened_after is not None:
            raise NothingToPublish(now_last, changed_since_opened=True)
    raise NothingToPublish(_latest(report), changed_since_opened=True)

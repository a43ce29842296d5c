"""Publishing a report: its HTML and PDF are rendered once, checksummed and frozen
as a numbered PublishedVersion. Later edits to the records change drafts only."""

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from .comparison import status_snapshot
from .exports import render_html, render_pdf
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


def publish(report, user, note="", *, opened_after=None):
    """Freeze the report as its next version and return it.

    The number is taken under a lock on the report, so two people publishing at the
    same moment get versions n and n+1, never the same number twice. ``opened_after``
    is the latest version's number (0 for none) when the form was opened: if another
    version was published since, or the report reads exactly as its latest version,
    NothingToPublish is raised, so a form sent twice publishes once.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                Report.objects.select_for_update().filter(pk=report.pk).get()
                last = report.versions.order_by("-number").first()
                last_number = last.number if last else 0
                if opened_after is not None and opened_after != last_number:
                    raise NothingToPublish(last, changed_since_opened=True)
                # Rendered as the latest version's edition, an unchanged report gives
                # exactly that version's HTML.
                if last and render_html(report, edition=last).encode("utf-8") == bytes(last.html):
                    raise NothingToPublish(last)
                version = PublishedVersion(
                    report=report,
                    number=last_number + 1,
                    published_at=timezone.now(),
                    published_by=user,
                    note=note,
                )
                html = render_html(report, edition=version).encode("utf-8")
                pdf = render_pdf(report, html=html.decode("utf-8"))
                version.html, version.html_sha256 = html, sha256(html)
                version.pdf, version.pdf_sha256 = pdf, sha256(pdf)
                version.statuses = status_snapshot(report)
                version.full_clean(exclude=["html", "pdf"])
                version.save()
                return version
        except IntegrityError:
            # SQLite has no row locks: a concurrent publisher took the number; retry.
            continue
    raise IntegrityError("Could not assign a version number.")

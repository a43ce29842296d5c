"""The report as a document: standalone HTML (with a print stylesheet), tagged PDF
(WeasyPrint, PDF/UA) and DOCX (python-docx) for editing in Word. All three are
rendered from the same context (rendering.report_context).

Without an edition, a document is a draft and says so (on every PDF page, in the
DOCX header); with one (a PublishedVersion about to be frozen), it names its version
and publication date instead."""

from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .rendering import report_context

STATIC = Path(settings.BASE_DIR) / "static"


STYLESHEETS = ("fonts.css", "report-print.css")


def edition_marks(edition):
    """(short, long) words that say what a document is: a draft, or which published
    version. The short one heads every PDF page and the DOCX header."""
    if edition is None:
        return (
            _("Draft – not published"),
            _("Draft: rendered from the current records, not a published version."),
        )
    values = {
        "number": edition.number,
        "date": format_date(timezone.localtime(edition.published_at), "j. F Y"),
    }
    return (
        _("Version %(number)s of %(date)s") % values,
        _(
            "Published version %(number)s of %(date)s. It stays as it is; later changes "
            "to the records appear in later versions."
        )
        % values,
    )


def render_html(report, edition=None, context=None):
    """The standalone HTML document; ``context`` is report_context(report) when the
    caller has it already (the report page renders the same records)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "reports/report_document.html",
            {
                **(context if context is not None else report_context(report)),
                "draft": edition is None,
                "edition": edition,
                "edition_marks": edition_marks(edition),
                "print_css": "\n".join(
                    (STATIC / "css" / name).read_text(encoding="utf-8") for name in STYLESHEETS
                ),
            },
        )


def local_fetcher():
    """WeasyPrint's URL fetcher, restricted to local files and data URLs: rendering a
    report never touches the network, and an attempt stops the rendering."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def render_pdf(report, edition=None, html=None):
    """The PDF of the report; ``html`` is the document already rendered by render_html
    (so a published version's PDF is made from exactly its frozen HTML)."""
    from weasyprint import HTML

    document = HTML(
        string=html if html is not None else render_html(report, edition),
        # The stylesheets' relative font URLs ("../fonts/…") resolve in static/fonts/.
        base_url=f"{(STATIC / 'css').as_uri()}/",
        url_fetcher=local_fetcher(),
    )
    # PDF/UA: tagged, with document language and title, for screen readers.
    return document.write_pdf(pdf_variant="pdf/ua-1")


def render_docx(report, edition=None):
    """A Word document with real headings, lists and tables."""
    import io

    from docx import Document
    from docx.shared import Pt

    from .docx_writer import write_report

    with translation.override(settings.LANGUAGE_CODE):
        document = Document()
        document.styles["Normal"].font.name = "Arial"
        document.styles["Normal"].font.size = Pt(11)
        write_report(document, report_context(report), edition_marks(edition))
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


RENDERERS = {
    "html": lambda report: render_html(report).encode("utf-8"),
    "pdf": render_pdf,
    "docx": render_docx,
}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

"""The report as a document: standalone HTML (with a print stylesheet), tagged PDF
(WeasyPrint, PDF/UA) and DOCX (python-docx) for editing in Word. All three are
rendered from the same context (rendering.report_context)."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .rendering import report_context

STATIC = Path(settings.BASE_DIR) / "static"


def render_html(report, draft=True):
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "reports/report_document.html",
            {
                **report_context(report),
                "draft": draft,
                "print_css": (STATIC / "css" / "report-print.css").read_text(encoding="utf-8"),
            },
        )


def local_fetcher():
    """WeasyPrint's URL fetcher, restricted to local files and data URLs: rendering a
    report never touches the network, and an attempt stops the rendering."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def render_pdf(report, draft=True):
    from weasyprint import HTML

    document = HTML(
        string=render_html(report, draft=draft), base_url=str(STATIC), url_fetcher=local_fetcher()
    )
    # PDF/UA: tagged, with document language and title, for screen readers.
    return document.write_pdf(pdf_variant="pdf/ua-1")


def render_docx(report, draft=True):
    """A Word document with real headings, lists and tables."""
    import io

    from docx import Document
    from docx.shared import Pt

    from .docx_writer import write_report

    with translation.override(settings.LANGUAGE_CODE):
        document = Document()
        document.styles["Normal"].font.name = "Arial"
        document.styles["Normal"].font.size = Pt(11)
        write_report(document, report_context(report), draft=draft)
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


RENDERERS = {
    "html": lambda r, d: render_html(r, d).encode("utf-8"),
    "pdf": render_pdf,
    "docx": render_docx,
}
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

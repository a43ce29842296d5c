"""The report as a document: standalone HTML (with a print stylesheet), tagged PDF
(WeasyPrint, PDF/UA) and DOCX (python-docx) for editing in Word. All three are
rendered from the same context (rendering.report_context).

Without an edition, a document is a draft and says so (on every PDF page, in the
DOCX header); with one (a PublishedVersion about to be frozen), it names its version
and publication date instead."""

import base64
import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from integration_tracker.bounded import run_bounded
from integration_tracker.uploads import FileProblem
from working_groups.versions import concept_version

from .design_files import check_logo
from .models import Report, ReportDesign
from .rendering import report_context

logger = logging.getLogger(__name__)

STATIC = Path(settings.BASE_DIR) / "static"

# One small stylesheet for print and PDF, with the fonts it uses and nothing else
# (every @font-face is loaded by WeasyPrint for every PDF, used or not).
PRINT_CSS = STATIC / "css" / "report-print.css"


def report_design(report):
    """The look the bureau uploaded for the report's municipality, or None; read once
    per report object (the HTML and the DOCX both need it). The Word
    template itself is read only by the DOCX, when it asks for it."""
    if not hasattr(report, "_design"):
        report._design = (
            ReportDesign.objects.filter(municipality_id=report.concept.municipality_id)
            .defer("word_template")
            .first()
        )
    return report._design


def _css_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_number_css():
    """The page numbers at the foot of each PDF page ("Seite 3 von 12") in the
    document's language: the translated words with CSS page counters for the numbers."""
    words = _("Page %(page)s of %(pages)s")
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    parts = [part for part in re.split(r"(%\(pages?\)s)", words) if part]
    content = " ".join(counters.get(part) or _css_string(part) for part in parts)
    return f"@page {{ @bottom-right {{ content: {content}; }} }}"


def logo_data_url(design):
    """The bureau's logo as a data URL: the document carries it (no file is fetched
    when it is rendered or read), and a published version keeps the logo it had."""
    if design is None or not design.logo or not _logo_passes(design):
        return ""
    encoded = base64.b64encode(bytes(design.logo)).decode("ascii")
    return f"data:{design.logo_type};base64,{encoded}"


def _logo_passes(design):
    """Whether the stored logo passes today's checks (reports/design_files.py): one
    stored under older rules is left out, not drawn (an SVG can be made to keep
    WeasyPrint busy for ever)."""
    if not hasattr(design, "_logo_passes"):
        try:
            extension = "svg" if design.logo_type == "image/svg+xml" else "png"
            check_logo(bytes(design.logo), f"logo.{extension}")
            design._logo_passes = True
        except FileProblem as problem:
            logger.warning("The logo of %s is left out: %s", design.municipality_id, problem)
            design._logo_passes = False
    return design._logo_passes


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
        "date": format_date(timezone.localtime(edition.published_at), "DATE_FORMAT"),
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
                # The document's language (hyphenation, PDF /Lang): the report's.
                "language": translation.get_language(),
                "logo": logo_data_url(report_design(report)),
                "print_css": PRINT_CSS.read_text(encoding="utf-8") + "\n" + page_number_css(),
            },
        )


def draft_version(report):
    """What a draft document of the report is stamped with (ReportExport.fingerprint):
    the version of the report's concept, which changes with every change to what the
    report shows (working_groups/versions.py). Reading it renders nothing."""
    return str(concept_version(report.concept_id))


def draft_html(report):
    """The draft's standalone HTML (render_html), rendered once per version."""
    key = f"report-draft-html:{report.pk}:{draft_version(report)}"
    return cache.get_or_set(key, lambda: render_html(report), settings.PROGRESS_CACHE_SECONDS)


def local_fetcher():
    """WeasyPrint's URL fetcher, restricted to local files and data URLs: rendering a
    report never touches the network, and an attempt stops the rendering."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def render_pdf(report, edition=None, html=None):
    """The PDF of the report; ``html`` is the document already rendered by render_html
    (so a published version's PDF is made from exactly its frozen HTML). Typeset in a
    child process within a time and memory limit (integration_tracker/bounded.py)."""
    import weasyprint  # noqa: F401 - loaded once here, not in every child

    if html is None:
        html = render_html(report, edition)
    return run_bounded("pdf", _typeset, html)


def _typeset(html):
    from weasyprint import HTML

    document = HTML(
        string=html,
        # The stylesheets' relative font URLs ("../fonts/…") resolve in static/fonts/.
        base_url=f"{(STATIC / 'css').as_uri()}/",
        url_fetcher=local_fetcher(),
    )
    # PDF/UA: tagged, with document language and title, for screen readers.
    return document.write_pdf(pdf_variant="pdf/ua-1")


def render_docx(report, edition=None):
    """A Word document with real headings, lists and tables, started from the
    bureau's Word template if it uploaded one. The records are read here; the
    document is built in a child process within a time and memory limit
    (integration_tracker/bounded.py)."""
    # The child has no database: what the document names besides the context is
    # read here.
    report = Report.objects.select_related(
        "concept__municipality", "issued_by", "presented_to"
    ).get(pk=report.pk)
    design = report_design(report)
    template = bytes(design.word_template) if design else b""
    logo = bytes(design.logo) if design and design.logo_type == "image/png" else b""
    with translation.override(settings.LANGUAGE_CODE):
        context, marks = report_context(report), edition_marks(edition)
        return run_bounded("docx", _build_docx, template, context, marks, logo)


def _build_docx(template, context, marks, logo):
    import io

    from .docx_template import document_from
    from .docx_writer import write_report

    document, from_template = document_from(template)
    write_report(document, context, marks, logo=logo, from_template=from_template)
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

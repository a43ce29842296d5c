"""The report as a document: standalone HTML (with a print stylesheet), tagged PDF
(WeasyPrint, PDF/UA) and DOCX (python-docx) for editing in Word. All three are
rendered from the same context (rendering.report_context).

Without an edition, a document is a draft and says so (on every PDF page, in the
DOCX header); with one (a PublishedVersion about to be frozen), it names its version
and publication date instead."""

import base64
import functools
import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpers.bounded import run_bounded
from helpers.uploads import FileProblem
from working_groups.versions import concept_version

from .design_checks import check_logo
from .models import Report, ReportDesign
from .rendering import report_context

logger = logging.getLogger(__name__)

STATIC = Path(settings.BASE_DIR) / "static"

# One small stylesheet for print and PDF, and the typeface it uses and nothing else
# (every @font-face is loaded by WeasyPrint for every PDF, used or not).
PRINT_CSS = STATIC / "css" / "report-print.css"
FONTS_CSS = STATIC / "css" / "report-fonts.css"
# The document's own fonts (WOFF2 data URLs, font_faces), which the PDF exchanges for
# the TrueType files of FONTS_CSS (_typeset). The element is the template's own.
FONTS_ELEMENT = re.compile(r'<style id="report-fonts">[^<]*</style>')
_FACE = re.compile(r"@font-face \{[^}]*\}")
_TRUETYPE = re.compile(r'url\("\.\./fonts/([\w-]+)\.ttf"\) format\("truetype"\)')
_RANGE = re.compile(r"U\+([0-9A-Fa-f]+)(?:-([0-9A-Fa-f]+))?")


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
    """Whether the stored logo passes today's checks (reports/design_checks.py): one
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
    version. The short one heads every PDF page and the DOCX header, the long one
    stands on the title page, as an administration words it ("Entwurf", "Fassung 2
    vom 16. Dezember 2014"), not how the document was made."""
    if edition is None:
        return (_("Draft – not published"), _("Draft"))
    values = {
        "number": edition.number,
        "date": format_date(timezone.localtime(edition.published_at), "DATE_FORMAT"),
    }
    version = _("Version %(number)s of %(date)s") % values
    return (version, version)


@functools.cache
def _woff2_data_url(name):
    encoded = base64.b64encode((STATIC / "fonts" / f"{name}.woff2").read_bytes()).decode("ascii")
    return f"data:font/woff2;base64,{encoded}"


def _needed(face, characters):
    """Whether ``characters`` use any code point of the face's unicode-range."""
    ranges = [
        (int(start, 16), int(end or start, 16))
        for start, end in _RANGE.findall(face.partition("unicode-range:")[2])
    ]
    return not ranges or any(
        start <= code <= end for code in map(ord, characters) for start, end in ranges
    )


def font_faces(text):
    """The typeface's @font-face rules (FONTS_CSS) with the fonts as WOFF2 data URLs,
    for the faces whose unicode-range ``text`` uses: the HTML document carries its
    fonts wherever it is saved and opened, and no face its text does not need."""
    characters = set(text)
    return "\n".join(
        _TRUETYPE.sub(lambda match: f'url("{_woff2_data_url(match[1])}") format("woff2")', face)
        for face in _FACE.findall(FONTS_CSS.read_text(encoding="utf-8"))
        if _needed(face, characters)
    )


def render_html(report, edition=None, context=None):
    """The standalone HTML document, with its stylesheet and fonts (nothing it needs is
    fetched when it is opened); ``context`` is report_context(report) when the caller
    has it already (the report page renders the same records)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
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
    # The fonts its text needs, known once it is written.
    return FONTS_ELEMENT.sub(
        lambda match: f'<style id="report-fonts">{font_faces(html)}</style>', html, count=1
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
    child process within a time and memory limit (helpers/bounded.py)."""
    import weasyprint  # noqa: F401 - loaded once here, not in every child

    if html is None:
        html = render_html(report, edition)
    return run_bounded("pdf", _typeset, html)


def _typeset(html):
    from weasyprint import HTML

    # The same faces as TrueType files: WeasyPrint would unpack every WOFF2 face anew
    # for every PDF. (A version published before the document carried its fonts has
    # no such element; its stylesheet names the files itself.)
    fonts = f"<style>{FONTS_CSS.read_text(encoding='utf-8')}</style>"
    document = HTML(
        string=FONTS_ELEMENT.sub(lambda match: fonts, html, count=1),
        # The stylesheets' relative font URLs ("../fonts/…") resolve in static/fonts/.
        base_url=f"{(STATIC / 'css').as_uri()}/",
        url_fetcher=local_fetcher(),
    )
    # PDF/UA: tagged, with document language and title, for screen readers.
    return document.write_pdf(pdf_variant="pdf/ua-1")


def document_context(report):
    """What the report shows (rendering.report_context) in the document's language,
    for render_html and render_docx to render the same reading of the records. The
    report is read again with everything the DOCX names besides the context: it is
    built in a child process without database."""
    report = Report.objects.select_related(
        "concept__municipality", "issued_by", "presented_to"
    ).get(pk=report.pk)
    with translation.override(settings.LANGUAGE_CODE):
        return report_context(report)


def render_docx(report, edition=None, context=None):
    """A Word document with real headings, lists, tables and footnotes, started from
    the bureau's Word template if it uploaded one; ``context`` is document_context
    (report) when the caller has it. The records are read here; the document is
    built in a child process within a time and memory limit (helpers/bounded.py)."""
    if context is None:
        context = document_context(report)
    report = context["report"]
    design = report_design(report)
    template = bytes(design.word_template) if design else b""
    # The DOCX carries a PNG logo only, and only one that passes today's checks, as
    # the HTML and PDF do (a logo stored under older rules is left out).
    usable = design and design.logo and design.logo_type == "image/png" and _logo_passes(design)
    logo = bytes(design.logo) if usable else b""
    # The file's date (its properties): the publication's, or now for a draft.
    created = edition.published_at if edition is not None else timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        marks = edition_marks(edition)
        return run_bounded("docx", _build_docx, template, context, marks, logo, created)


def _build_docx(template, context, marks, logo, created):
    import io

    from .docx_template import document_from
    from .docx_writer import write_report

    document, from_template = document_from(template)
    write_report(document, context, marks, logo=logo, from_template=from_template, created=created)
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


def frozen_download(version, format):
    """A published version's document as a download, byte for byte as it was
    frozen, with its checksum as ETag and Repr-Digest; immutable, since a version's
    bytes never change (the council's page and the Land view serve it alike)."""
    from django.http import HttpResponse

    response = HttpResponse(version.content(format), content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = (
        f'attachment; filename="{version.report.slug}-fassung-{version.number}.{format}"'
    )
    checksum = version.checksum(format)
    response["ETag"] = f'"{checksum}"'
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(checksum)).decode()}:"
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response

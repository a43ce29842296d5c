"""Writes the report context into a python-docx Document the bureau can keep editing:
the same content, notes and order as the PDF (A4, its typeface, a title page without
running header, the summary and contents, the sections, the notes as real footnotes),
sober Word styles (Title, Heading 1–2, Caption, List Bullet, a table style) with a
heading hierarchy a screen reader can follow, contents with page numbers that open
without a question (reports/docx_contents.py), and document properties that name
the bureau, the application and the date of the edition."""

import datetime
import io
import itertools
from xml.sax.saxutils import escape

from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from helpers.templatetags.money import euro

from .docx_contents import Contents
from .docx_contents import _text_width as text_width
from .docx_footnotes import Footnotes
from .docx_template import has_page_field
from .models import ReportSection
from .templatetags.progress_tags import office_codes, status_label
from .templatetags.report_tags import SourceNotes, keep_together
from .text_markup import blocks

Kind = ReportSection.Kind

INK = "1A1A1A"
# The report's typeface, as the PDF's stylesheet names it (static/css/report-print.css);
# Word and LibreOffice take it if installed, and otherwise a sans serif of their own.
FONT = "Noto Sans"


class _Notes(SourceNotes):
    """The report's notes, numbered as the HTML and PDF number them, written as
    Word footnotes where their marks stand."""

    def __init__(self, document, bookmark_ids):
        super().__init__()
        self.footnotes = Footnotes(document, self, bookmark_ids)


def _marks(notes, *objs, always=False):
    """The numbers of the notes on ``objs``, for _write."""
    return [number for obj in objs if (number := notes.number(obj, always))]


def _write(paragraph, pieces, notes=None, bold=False):
    """Text (strings) and note marks (numbers) into ``paragraph``; two marks side by
    side are parted by a comma, as in the PDF."""
    if isinstance(pieces, str):
        pieces = [pieces]
    after_mark = False
    for piece in pieces:
        if isinstance(piece, int):
            if after_mark:
                notes.footnotes.separator(paragraph)
            notes.footnotes.mark(paragraph, piece)
            after_mark = True
        elif piece:
            paragraph.add_run(keep_together(piece)).bold = bold or None
            after_mark = False
    return paragraph


def _bullet(document, pieces, level=0, notes=None):
    style = "List Bullet" if level == 0 else f"List Bullet {min(level + 1, 3)}"
    return _write(document.add_paragraph(style=style), pieces, notes)


def _field_char(paragraph, kind):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # Never marked dirty: Word would ask on opening whether to update the fields.
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    paragraph.add_run()._r.append(element)


def _field_begin(paragraph, instruction):
    """The start of a Word field (PAGE, NUMPAGES …); what follows until _field_end
    is its result until Word computes it (in a header or footer, on every page)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _field_char(paragraph, "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    paragraph.add_run()._r.append(text)
    _field_char(paragraph, "separate")


def _field_end(paragraph):
    _field_char(paragraph, "end")


def _field(paragraph, instruction, placeholder=""):
    _field_begin(paragraph, instruction)
    paragraph.add_run(placeholder)
    _field_end(paragraph)


def _page_count(footer, pages):
    """The estimated number of pages as the stored result of NUMPAGES (Word counts
    anew when it lays the document out)."""
    from docx.oxml.ns import qn

    counting = False
    for run in footer._element.iter(qn("w:r")):
        for child in run:
            if child.tag == qn("w:instrText"):
                counting = (child.text or "").split() == ["NUMPAGES"]
            elif child.tag == qn("w:t") and counting and child.text == "1":
                child.text = str(pages)
                counting = False


def _page_footer(document, paragraph, left=""):
    """ "Seite 3 von 7" flush right; ``left`` before it at the left margin (the
    municipality, as at the foot of the PDF's pages)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.style = document.styles["Footer"]
    if left:
        paragraph.add_run(left)
        paragraph.add_run().add_tab()
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(_("Page") + " ")
    _field(paragraph, "PAGE", "1")
    paragraph.add_run(" " + _("of") + " ")
    _field(paragraph, "NUMPAGES", "1")


def word_language():
    """The document's language as Word names it (de-DE), from the active language."""
    language = translation.get_language() or "de"
    return {"de": "de-DE", "en": "en-GB"}.get(language.split("-")[0], language)


def _blank_title_page(section):
    """The first page of ``section`` with a header and footer of its own, empty: the
    title page carries no running title and no page number, as in the PDF."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    section.first_page_footer.is_linked_to_previous = False


def _use_font(element):
    """The report's typeface in the run properties ``element`` (a style's or the
    document defaults'): named for every script, the theme's fonts taken away (they
    would win over the name)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = element.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)


def _declare_font(document):
    """The report's typeface in the document's font table, with what Word needs to
    put a sans serif of its own in its place where it is not installed (Windows has
    no Noto Sans): otherwise Word sets the report in its default serif."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.oxml import serialize_part_xml
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype != RELATIONSHIP_TYPE.FONT_TABLE:
            continue
        fonts = parse_xml(rel.target_part.blob)
        if not any(font.get(qn("w:name")) == FONT for font in fonts):
            fonts.append(
                parse_xml(
                    f'<w:font {nsdecls("w")} w:name="{FONT}">'
                    '<w:panose1 w:val="020B0502040504020204"/><w:charset w:val="00"/>'
                    '<w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>'
                )
            )
        table = Part(
            rel.target_part.partname,
            rel.target_part.content_type,
            serialize_part_xml(fonts),
            part.package,
        )
        del part.rels[rel_id]
        part.relate_to(table, RELATIONSHIP_TYPE.FONT_TABLE)


def _setup(document, report, concept, short, from_template=False):
    """Page format, styles, running header and footer. A document from the bureau's
    template keeps its page format, styles, header and footer: the header gets the
    running title with the edition mark as a paragraph of its own, the footer page
    numbers unless it has them; a first page the template designed itself (a
    letterhead) stays as it is, else the title page is left without both."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    running = f"{report.title} · {short}"
    for section in document.sections:
        if from_template:
            section.header.add_paragraph(running, style=document.styles["Header"])
            if not has_page_field(section.footer):
                _page_footer(document, section.footer.add_paragraph())
            if not section.different_first_page_header_footer:
                _blank_title_page(section)
            continue
        # A4 with the PDF's margins (static/css/report-print.css)
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.2)
        section.top_margin, section.bottom_margin = Cm(2.3), Cm(2.3)
        # as the PDF's running head: the title at the left, the edition at the right
        header = section.header.paragraphs[0]
        header.style = document.styles["Header"]
        header.add_run(report.title)
        header.add_run().add_tab()
        header.add_run(short).bold = True
        _page_footer(document, section.footer.paragraphs[0], left=str(concept.municipality))
        _blank_title_page(section)

    styles = document.styles
    if not from_template:
        defaults = styles.element.find(qn("w:docDefaults"))
        fonts = (
            defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
        )
        if fonts is not None:
            _use_font(fonts)
        _use_font(styles["Normal"].element.get_or_add_rPr())
        styles["Normal"].font.size = Pt(10)
        styles["Normal"].paragraph_format.space_after = Pt(4)
        # The PDF's sizes: title, section headings, the headings within a section
        # (groups, topics), table captions.
        for name, size in [("Title", 24), ("Heading 1", 13.5), ("Heading 2", 11), ("Caption", 9)]:
            style = styles[name]
            _use_font(style.element.get_or_add_rPr())
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = False
            style.font.color.rgb = RGBColor.from_string(INK)
            style.paragraph_format.space_before = Pt({"Heading 1": 14, "Caption": 6}.get(name, 8))
            style.paragraph_format.space_after = Pt(4)
            style.paragraph_format.keep_with_next = True
            # Word's Title has a blue rule underneath: a sober title has none.
            p_pr = style.element.pPr
            borders = p_pr.find(qn("w:pBdr")) if p_pr is not None else None
            if borders is not None:
                p_pr.remove(borders)
        for name in ("Header", "Footer"):
            styles[name].font.size = Pt(8)
            styles[name].font.color.rgb = RGBColor.from_string("444444")
            tabs = styles[name].paragraph_format.tab_stops
            tabs.clear_all()
            tabs.add_tab_stop(Cm(16.6), WD_TAB_ALIGNMENT.RIGHT)
        _declare_font(document)

    # The report's language, for spelling, hyphenation and quotation marks in Word
    # (a template's own language setting is replaced: the text is in this one).
    r_pr = styles["Normal"].element.get_or_add_rPr()
    for old in r_pr.findall(qn("w:lang")):
        r_pr.remove(old)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), word_language())
    r_pr.append(language)


def _properties(document, report, concept, created):
    """What the file says about itself (File > Properties, the Explorer, search):
    the bureau as author, this application as the last to save it, the date of the
    edition (publication, or rendering for a draft); no figures (pages, words) that
    only Word can count, and nothing of the Word template python-docx starts from
    (its date of 2013, "python-docx", "Microsoft Macintosh Word", its thumbnail)."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    application = _("Integration Tracker")
    when = created.astimezone(datetime.UTC).replace(tzinfo=None)
    properties = document.core_properties
    properties.title = report.title
    properties.author = report.issuer or str(concept.municipality)
    properties.last_modified_by = application
    properties.created = properties.modified = when
    properties.revision = 1
    properties.language = word_language()
    properties.subject = str(concept.municipality)
    properties.comments = properties.keywords = properties.category = ""

    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype in (RELATIONSHIP_TYPE.EXTENDED_PROPERTIES, RELATIONSHIP_TYPE.THUMBNAIL):
            del package.rels[rel_id]
    app = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties">'
        f"<Application>{escape(application)}</Application>"
        f"<Company>{escape(str(concept.municipality))}</Company>"
        "</Properties>"
    )
    part = Part(
        PackURI("/docProps/app.xml"),
        CONTENT_TYPE.OFC_EXTENDED_PROPERTIES,
        app.encode("utf-8"),
        package,
    )
    package.relate_to(part, RELATIONSHIP_TYPE.EXTENDED_PROPERTIES)


def _measure_lines(measure, notes):
    """The item's first line (its words and what the report adds after them) and the
    lines below it, as rendering._say_once prepared them for every format; each line
    a list of texts and note numbers (_write)."""
    label = measure.report_words
    if measure.report_languages:
        label += " (" + " / ".join(str(language) for language in measure.report_languages) + ")"
    for lead in measure.report_leads:
        label += f" ({getattr(lead, 'short_label', None) or lead})"
    if measure.report_partners:
        label += " – " + ", ".join(str(p) for p in measure.report_partners)
    marked = [measure, *measure.report_joined, *measure.report_leads, *measure.report_partners]
    first = [label, *_marks(notes, *marked)]
    if measure.report_statuses:
        shown = []
        for entry in measure.report_statuses:
            # The label is lazy; str() reads it in the document's language now (a
            # status without progress or number would otherwise reach join() lazy).
            status = str(status_label(entry["status"]))
            if entry["progress"] is not None:
                status += f", {entry['progress']} %"
            shown.append(f"{entry['number']}: {status}" if entry["number"] else status)
        first.append(f" [{'; '.join(shown)}]")
    lines = [first]
    for part in measure.report_parts:
        if part.report_description:
            lines.append([part.report_description])
        if part.report_offices:
            offices = [_("Offices") + ": "]
            for index, office in enumerate(part.report_offices):
                offices += [", " if index else "", office.short_label, *_marks(notes, office)]
            lines.append(offices)
        for indicator in part.indicators.all():
            for value in indicator.values.all():
                if getattr(value, "report_sentence", ""):
                    lines.append([value.report_sentence])
                    continue
                lines.append(
                    _("%(name)s: %(value)s %(unit)s (%(start)s – %(end)s)")
                    % {
                        "name": indicator.name,
                        "value": floatformat(value.value, "-2g"),
                        "unit": indicator.unit,
                        "start": format_date(value.period_start, "F Y"),
                        "end": format_date(value.period_end, "F Y"),
                    }
                )
    return lines


def _write_editorial(document, text):
    """The bureau's text of a section: paragraphs (line breaks kept) and bulleted lists."""
    from docx.enum.text import WD_BREAK

    for block in blocks(text):
        if block.kind == "paragraph":
            paragraph = document.add_paragraph()
            for index, line in enumerate(block.lines):
                run = paragraph.add_run(keep_together(line))
                if index < len(block.lines) - 1:
                    run.add_break(WD_BREAK.LINE)
        else:
            for item in block.items:
                _bullet(document, item)


def _write_measure(document, measure, level, notes):
    first, *rest = _measure_lines(measure, notes)
    _bullet(document, first, level, notes)
    for line in rest:
        style = "List Continue" if level == 0 else "List Continue 2"
        _write(document.add_paragraph(style=style), line, notes)
    for child in measure.report_children:
        _write_measure(document, child, level + 1, notes)


# What follows w:pBdr in a paragraph's properties (CT_PPr in Word's schema).
_AFTER_BORDERS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip


def _rule_above(paragraph):
    _rule(paragraph, "top")


def _rule(paragraph, side, size=4, color="999999"):
    """A line above or below ``paragraph``; ``size`` in eighths of a point."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:pBdr")
    top = OxmlElement(f"w:{side}")
    for name, value in [
        ("w:val", "single"),
        ("w:sz", str(size)),
        ("w:space", "6"),
        ("w:color", color),
    ]:
        top.set(qn(name), value)
    borders.append(top)
    # in the place Word's schema gives it among the paragraph's properties
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_BORDERS)


def _write_lead(document, measure, notes):
    """A line that leads into a list (rendering._lead_in): a paragraph, not a bullet."""
    for line in _measure_lines(measure, notes):
        _write(document.add_paragraph(), line, notes)


def _write_need(document, need, level):
    # The needs in their own words: the source says itself where it gives examples.
    _bullet(document, need.title, level)
    for sub in need.sub_needs:
        _write_need(document, sub, level + 1)


# The type sizes of a table: the PDF's 9 pt, smaller only where its columns need it.
TABLE_SIZES = (9, 8.5, 8, 7.5, 7)
# The room at either side of a cell's text, in em: the PDF's (report-print.css, th, td).
CELL_PADDING = 0.4
# The width (points, 3 cm) the first column, of words, keeps beside figures that need room.
WORDS_WIDTH = 85
# Advance widths in em, for the widths of table columns: those of DejaVu Sans, rounded
# up. It is wider than the report's Noto Sans, and it is what LibreOffice sets where
# Noto Sans is not installed (Word's substitute, Arial, is narrower still): figures,
# signs, narrow and wide letters; capitals 0.75 em, any other character 0.63 em.
_ADVANCES = {
    **dict.fromkeys("0123456789€", 0.64),
    **dict.fromkeys("+%", 0.95),
    **dict.fromkeys(" \u00a0.,:;", 0.34),
    **dict.fromkeys("!'|()[]/-ijlftr", 0.42),
    **dict.fromkeys("mwMW", 1.0),
}
# Bold (the header row) sets letters about an eighth wider.
BOLD = 1.13
# A note's mark is a superscript, set at about two thirds of the size.
SUPERSCRIPT = 0.67


def _unbroken_width(pieces, size, bold=False):
    """The width in points of the longest stretch of a cell's ``pieces`` (_write) in
    which the line may not break (a figure with "ca." and "€", a word with its note
    marks): in a column narrower than that, Word and LibreOffice break a figure
    between its digits or a word between its letters."""
    if isinstance(pieces, str):
        pieces = [pieces]
    widest = current = 0.0
    after_mark = False
    for piece in pieces:
        if isinstance(piece, int):
            # its digits, and the comma that parts it from a mark before it
            characters = len(str(piece)) + after_mark
            current += characters * _ADVANCES["0"] * size * SUPERSCRIPT
            after_mark = True
            continue
        after_mark = False
        for character in keep_together(piece):
            if character.isspace() and character != "\u00a0":
                widest, current = max(widest, current), 0.0
            else:
                advance = _ADVANCES.get(character, 0.75 if character.isupper() else 0.63)
                current += advance * size * (BOLD if bold else 1)
    return max(widest, current)


def _column_widths(available, columns, numeric_from, figures_width):
    """(widths in points, type size in points) of a table ``available`` points wide;
    ``columns`` holds each column's cells (header first) as pieces (_write).

    The columns after the first are ``figures_width`` cm wide and the first takes the
    rest, where that leaves the words their room and the figures theirs (the Dresden
    report's tables). Where it does not (a funding table with a column for each of
    many years, a narrow page in the bureau's template), each column is as wide as its
    longest unbroken text needs (a figure, a word), in the largest of TABLE_SIZES
    that fits, and the columns of words (those before ``numeric_from``) share what is
    left; the first keeps at least WORDS_WIDTH. Where no size fits so, the first
    column's longest words are left to break; then, in the smallest size, the first
    column takes what the figures leave, down to half of WORDS_WIDTH; where even that
    does not fit, the first column keeps WORDS_WIDTH and the others share the rest
    evenly (Word breaks what it must)."""
    count = len(columns)
    if count == 1:
        return [available], TABLE_SIZES[0]

    def needs(size, first=None):
        """What each column needs in ``size``; the first column ``first`` wide, or
        as wide as its longest word and at least WORDS_WIDTH."""
        needed = [
            max(_unbroken_width(cell, size, bold=row == 0) for row, cell in enumerate(column))
            + 2 * CELL_PADDING * size
            for column in columns
        ]
        needed[0] = max(needed[0], WORDS_WIDTH) if first is None else first
        return needed

    wanted = figures_width / 2.54 * 72
    first = available - wanted * (count - 1)
    needed = needs(TABLE_SIZES[0])
    if first >= needed[0] and all(wanted >= n for n in needed[1:]):
        return [first] + [wanted] * (count - 1), TABLE_SIZES[0]
    words = max(1, min(numeric_from, count))
    smallest = TABLE_SIZES[-1]
    attempts = [
        *((size, None) for size in TABLE_SIZES),
        *((size, WORDS_WIDTH) for size in TABLE_SIZES),
        (smallest, WORDS_WIDTH / 2),
    ]
    for size, first in attempts:
        needed = needs(size, first)
        spare = available - sum(needed)
        if spare >= 0:
            return [n + spare / words if i < words else n for i, n in enumerate(needed)], size
    first = min(WORDS_WIDTH, available / count)
    return [first] + [(available - first) / (count - 1)] * (count - 1), smallest


def _cell_padding(table, size):
    """The room at the left and right of every cell, as in the PDF (CELL_PADDING):
    set on the table, so a template's table style cannot make the columns too narrow."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(
            OxmlElement(
                f"w:{side}",
                {qn("w:w"): str(round(CELL_PADDING * size * 20)), qn("w:type"): "dxa"},
            )
        )
    table._tbl.tblPr.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"
    )


def _table(document, caption, header, rows, notes, numeric_from=1, figures_width=2.8):
    """A table under its caption (Word's "Caption" style, not a heading: the PDF's
    caption), in the PDF's 9 pt where it fits the page (_column_widths); cells hold
    texts and note numbers (_write). The header row is marked as such (screen readers
    name its cells, Word repeats it on a new page), and a table is kept on one page
    where it fits."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    widths, size = _column_widths(
        text_width(document),
        list(zip(header, *rows, strict=True)),
        numeric_from,
        figures_width,
    )
    document.add_paragraph(keep_together(caption), style="Caption")
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for index, (cell, pieces) in enumerate(zip(table.rows[0].cells, header, strict=True)):
        _write(cell.paragraphs[0], pieces, notes, bold=True)
        if index >= numeric_from:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, pieces) in enumerate(zip(cells, values, strict=True)):
            _write(cell.paragraphs[0], pieces, notes)
            if index >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for number, row in enumerate(table.rows, 1):
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_before = Pt(1)
                paragraph.paragraph_format.space_after = Pt(1)
                paragraph.paragraph_format.keep_with_next = number < len(table.rows)
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    table.autofit = False
    _cell_padding(table, size)
    for column, points in zip(table.columns, widths, strict=True):
        width = Pt(points)
        column.width = width  # the grid, which LibreOffice follows
        for cell in column.cells:
            cell.width = width  # the cells, which Word follows
    return table


def _table_notes(document, funding):
    """Below the funding table, what the PDF says below it: which amounts are for
    several years together."""
    from docx.shared import Pt, RGBColor

    for row in funding["rows"]:
        for amount in row["line"].report_amounts:
            if amount.year_from != amount.year_to:
                text = _("%(title)s: one amount for the years %(years)s together.") % {
                    "title": row["line"].title,
                    "years": amount.years_label,
                }
                paragraph = document.add_paragraph()
                paragraph.paragraph_format.space_before = Pt(3)
                run = paragraph.add_run(keep_together(text))
                run.font.size = Pt(9)
                run.font.color.rgb = RGBColor.from_string("444444")


def _funding_rows(funding, notes):
    rows = []
    for row in funding["rows"]:
        values = [[row["line"].title, *_marks(notes, row["line"])]]
        for amount in row["cells"]:
            if amount is None:
                values.append("")
            else:
                values.append(
                    (_("approx.") + " " if amount.is_approximate else "") + euro(amount.amount)
                )
        if funding["has_change"]:
            change = row["change"]
            values.append(
                "" if change is None else f"{'+' if change > 0 else ''}{floatformat(change, 1)} %"
            )
        rows.append(values)
    return rows


def _write_members(document, group, notes):
    """A group's members as a list in the group's order; roles follow the name. A line
    with a recorded wording prints it (rendering._member_lines)."""
    for line in group.report_lines:
        if line["wording"]:
            pieces = [line["wording"]]
        elif line["kind"] == "organisation":
            seat = line["seat"]
            pieces = [str(seat.organisation), *_marks(notes, seat.organisation)]
            if seat.role:
                pieces.append(f" / {seat.role}")
        elif line["kind"] == "offices":
            codes = office_codes(line["offices"])
            if line["department"]:
                text = _("Representatives of the offices %(codes)s and from the %(name)s") % {
                    "codes": codes,
                    "name": line["department"].name,
                }
                pieces = [text, *_marks(notes, line["department"], always=True)]
            else:
                pieces = [_("Representatives of the offices %(codes)s") % {"codes": codes}]
        elif line["seat"].department:
            department = line["seat"].department
            text = _("Representatives from the %(name)s") % {"name": department.name}
            pieces = [text, *_marks(notes, department, always=True)]
        else:
            pieces = [line["seat"].role]
        _bullet(document, pieces, notes=notes)


def _title_page(document, report, concept, long, logo):
    """What the document is (draft or version), the logo (a PNG; Word takes no SVG
    from python-docx), municipality and issuer, the title, period and occasion, on a
    page of their own."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    # What the document is comes first, as at the top of the PDF's title page.
    document.add_paragraph().add_run(long).bold = True
    if logo:
        document.add_paragraph().add_run().add_picture(io.BytesIO(logo), height=Cm(2))
    # the letterhead flush right above a rule, as in the PDF
    letterhead = document.add_paragraph()
    letterhead.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letterhead.add_run(str(concept.municipality)).bold = True
    if report.issuer:
        letterhead.add_run().add_break()
        letterhead.add_run(report.issuer)
    _rule(letterhead, "bottom", size=12, color=INK)
    title = document.add_heading(report.title, level=0)
    title.paragraph_format.space_before = Pt(96)
    period = _("Period %(start)s – %(end)s") % {
        "start": format_date(report.period_start, "F Y"),
        "end": format_date(report.period_end, "F Y"),
    }
    document.add_paragraph(keep_together(period))
    if report.presented_on:
        occasion = report.presentation or str(report.presented_to or "")
        document.add_paragraph(
            keep_together(
                f"{occasion} " + _("on %(date)s") % {"date": format_date(report.presented_on)}
            )
        )
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


def _contents(contents, sections):
    """The contents as the PDF's: each section, and under it the groups or topics
    the report context names for the contents (rendering.report_context), each
    leading to its heading; {(section position, kind, pk): bookmark name}. The
    notes follow at the end, once the sections have numbered them."""
    anchors, entries = {}, []
    for position, item in enumerate(sections, 1):
        section = item["section"]
        name = anchors[position, "section", section.pk] = f"_Section{position}"
        entries.append((1, f"{section.number}. {section.title}", name))
        below = [
            ("group", entry["group"], f"{entry['group'].short_name}: {entry['group'].title}")
            for entry in item.get("groups", [])
        ] + [("topic", block["topic"], block["topic"].title) for block in item.get("headings", [])]
        for count, (kind, obj, text) in enumerate(below, 1):
            name = anchors[position, kind, obj.pk] = f"_Section{position}_{count}"
            entries.append((2, text, name))
    contents.write(entries)
    return anchors


def write_report(document, context, edition_marks, logo=b"", from_template=False, created=None):
    """The report into ``document``; ``edition_marks`` (short, long) say whether it is a
    draft or which published version: the short one heads every page but the first.
    ``logo`` is the bureau's PNG logo for the title page; ``from_template`` keeps the
    styles, page, header and footer of the bureau's Word template; ``created`` is
    when the edition was published (or the draft rendered), for the properties.

    The headings as the PDF's: the title (Word's "Title"), then on the first level
    the summary, the contents, each section and the notes, on the second the groups
    and topics within a section; tables are headed by captions."""
    report, concept = context["report"], context["concept"]
    bookmark_ids = itertools.count(1)
    notes = _Notes(document, bookmark_ids)
    contents = Contents(document, bookmark_ids)
    short, long = edition_marks
    _setup(document, report, concept, short, from_template)
    _title_page(document, report, concept, long, logo)

    sections = context["sections"]
    document.add_heading(_("Summary"), level=1)
    document.add_paragraph(keep_together(context["summary"]))
    header = [_("Section"), pgettext("report overview", "Scope")]
    if context["shows_statuses"]:
        header.append(_("Status in the period"))
    rows = []
    for item in sections:
        values = [
            f"{item['section'].number}. {item['section'].title}",
            item.get("contents", ""),
        ]
        if context["shows_statuses"]:
            statuses = item.get("statuses")
            labels = statuses["labels"] if statuses else []
            values.append("; ".join(f"{label}: {n}" for label, n in labels))
        rows.append(values)
    _table(
        document,
        _("Overview"),
        header,
        rows,
        notes,
        numeric_from=len(header),
        figures_width=5.5,
    )

    document.add_heading(_("Contents"), level=1)
    anchors = _contents(contents, sections)

    for position, item in enumerate(sections, 1):
        section = item["section"]
        heading = document.add_heading(f"{section.number}. {section.title}", level=1)
        contents.target(heading, anchors[position, "section", section.pk])
        if section.kind == Kind.FOUNDATIONS:
            # the sections start on a page of their own (report-print.css)
            heading.paragraph_format.page_break_before = True
        _write_editorial(document, section.text)
        if section.kind == Kind.FOUNDATIONS:
            _bullet(document, concept.title)
            plan = context["action_plan"]
            if plan:
                text = plan.title
                if plan.in_force_from:
                    text += ", " + _("came into force on %(date)s") % {
                        "date": format_date(plan.in_force_from)
                    }
                _bullet(document, text)
                for provision in context["provisions"]:
                    _bullet(document, provision.text, 1)
                    for child in provision.report_children:
                        _bullet(document, child.text, 2)
            groups = context["expert_groups"]
            if groups and groups[0].active_until:
                text = _("The expert working groups worked until %(date)s.") % {
                    "date": format_date(groups[0].active_until, "F Y")
                }
                successor = groups[0].members_involved_in
                if successor:
                    text += " " + _(
                        "Their members were involved in drafting the integration concept "
                        "%(period)s."
                    ) % {"period": successor.period_label}
                document.add_paragraph(keep_together(text))
        elif section.kind == Kind.MEMBERS:
            for group in (g for g in context["expert_groups"] if g.report_lines):
                heading = document.add_heading(f"{group.short_name}: {group.title}", level=2)
                if (position, "group", group.pk) in anchors:
                    contents.target(heading, anchors[position, "group", group.pk])
                _write_members(document, group, notes)
        elif section.kind in (Kind.MEASURES, Kind.FUNDING):
            for index, block in enumerate(item["blocks"]):
                if block["heading"]:
                    heading = document.add_heading(block["topic"].title, level=2)
                    if (position, "topic", block["topic"].pk) in anchors:
                        contents.target(heading, anchors[position, "topic", block["topic"].pk])
                if block["lead"]:
                    _write_lead(document, block["lead"], notes)
                start = len(document.paragraphs)
                for measure in block["items"]:
                    _write_measure(document, measure, 0, notes)
                if index and not block["heading"] and len(document.paragraphs) > start:
                    # items the source lists apart, under no heading: a rule above them
                    _rule_above(document.paragraphs[start])
            funding = item.get("funding")
            if funding and funding["rows"]:
                header = [_("Funding"), *funding["columns"]]
                if funding["has_change"]:
                    change = pgettext("funding table", "Change")
                    number = notes.add("computed-change", change, funding["change_note"])
                    header.append([change, number] if number else change)
                caption = _("Amounts named in this section")
                _table(document, caption, header, _funding_rows(funding, notes), notes)
                _table_notes(document, funding)
        elif section.kind == Kind.NEEDS:
            for need in context["needs"]:
                _write_need(document, need, 0)
        _write_editorial(document, section.text_after)

    if notes.items:
        # The notes themselves are footnotes, where their marks stand; the rule they
        # follow closes the report as in the PDF.
        heading = document.add_heading(_("Notes on the sources"), level=1)
        contents.target(heading, "_SourceNotes")
        contents.add(1, _("Notes on the sources"), "_SourceNotes")
        document.add_paragraph(keep_together(context["notes_rule"]))

    pages = contents.fill_in(notes.footnotes)
    for section in document.sections:
        _page_count(section.footer, pages)
    _properties(document, report, concept, created or timezone.now())

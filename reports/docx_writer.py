"""Writes the report context into a python-docx Document the bureau can keep editing:
A4, sober Word styles (Title, Heading 1–3, List Bullet, a table style), a table of
contents field and page numbers that Word fills in, document properties, and the
same content in the same order as the HTML and the PDF."""

import io

from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from working_groups.templatetags.money import euro

from .docx_template import has_page_field, headers_and_footers
from .editorial import blocks
from .models import ReportSection
from .templatetags.progress_tags import office_codes, status_label
from .templatetags.report_tags import SourceNotes, keep_together

Kind = ReportSection.Kind

INK = "1A1A1A"
FONT = "Arial"


def _bullet(document, text, level=0):
    style = "List Bullet" if level == 0 else f"List Bullet {min(level + 1, 3)}"
    return document.add_paragraph(keep_together(text), style=style)


def _field_char(paragraph, kind):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")
    paragraph.add_run()._r.append(element)


def _field_begin(paragraph, instruction):
    """The start of a Word field (PAGE, NUMPAGES, TOC …) that Word computes when it
    opens the file; what follows until _field_end is its result until then."""
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


def _contents(document, entries):
    """The contents as a TOC field. Word fills in the page numbers when it opens the
    file; until then (and in LibreOffice, which does not) the field's result lists
    the sections, one paragraph each."""
    paragraphs = [document.add_paragraph() for _entry in entries] or [document.add_paragraph()]
    _field_begin(paragraphs[0], 'TOC \\o "1-1" \\h \\z \\u')
    for paragraph, entry in zip(paragraphs, entries, strict=False):
        paragraph.add_run(keep_together(entry))
    _field_end(paragraphs[-1])


def _page_footer(document, paragraph):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.style = document.styles["Footer"]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(_("Page") + " ")
    _field(paragraph, "PAGE", "1")
    paragraph.add_run(" " + _("of") + " ")
    _field(paragraph, "NUMPAGES", "1")


def word_language():
    """The document's language as Word names it (de-DE), from the active language."""
    language = translation.get_language() or "de"
    return {"de": "de-DE", "en": "en-GB"}.get(language.split("-")[0], language)


def _setup(document, report, concept, short, from_template=False):
    """Page format, styles, running header and footer, properties. A document from the
    bureau's template keeps its page format, styles, header and footer: the header
    gets the running title with the edition mark as a paragraph of its own, the footer
    page numbers unless it has them."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    running = f"{report.title} · {short}"
    for section in document.sections:
        if from_template:
            for header, footer in headers_and_footers(section):
                header.add_paragraph(running, style=document.styles["Header"])
                if not has_page_field(footer):
                    _page_footer(document, footer.add_paragraph())
            continue
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.2)
        section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
        header = section.header.paragraphs[0]
        header.text = running
        header.style = document.styles["Header"]
        _page_footer(document, section.footer.paragraphs[0])

    styles = document.styles
    if not from_template:
        styles["Normal"].font.name = FONT
        styles["Normal"].font.size = Pt(10.5)
        styles["Normal"].paragraph_format.space_after = Pt(4)
        for name, size in [("Title", 20), ("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)]:
            style = styles[name]
            style.font.name = FONT
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = False
            style.font.color.rgb = RGBColor.from_string(INK)
            style.paragraph_format.space_before = Pt(14 if name == "Heading 1" else 8)
            style.paragraph_format.space_after = Pt(4)
            # Word's Title has a blue rule underneath: a sober title has none.
            p_pr = style.element.pPr
            borders = p_pr.find(qn("w:pBdr")) if p_pr is not None else None
            if borders is not None:
                p_pr.remove(borders)
            # the theme fonts would override the name set above
            fonts = style.element.rPr.find(qn("w:rFonts"))
            if fonts is not None:
                for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                    fonts.attrib.pop(qn(attribute), None)
        for name in ("Header", "Footer"):
            styles[name].font.size = Pt(8.5)
            styles[name].font.color.rgb = RGBColor.from_string("444444")

    # The report's language, for spelling, hyphenation and quotation marks in Word
    # (a template's own language setting is replaced: the text is in this one).
    r_pr = styles["Normal"].element.get_or_add_rPr()
    for old in r_pr.findall(qn("w:lang")):
        r_pr.remove(old)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), word_language())
    r_pr.append(language)

    # Word brings the table of contents and page numbers up to date on opening.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)

    properties = document.core_properties
    properties.title = report.title
    properties.author = report.issuer or str(concept.municipality)
    properties.language = word_language()
    properties.subject = str(concept.municipality)


def _measure_lines(measure, notes):
    """The item's first line (its words and what the report adds after them) and the
    lines below it, as rendering._say_once prepared them for every format."""

    def mark(obj):
        number = notes.number(obj)
        return f" [{number}]" if number else ""

    label = measure.report_words
    if measure.report_languages:
        label += " (" + " / ".join(str(language) for language in measure.report_languages) + ")"
    for lead in measure.report_leads:
        label += f" ({getattr(lead, 'short_label', None) or lead})"
    if measure.report_partners:
        label += " – " + ", ".join(str(p) for p in measure.report_partners)
    marked = [measure, *measure.report_joined, *measure.report_leads, *measure.report_partners]
    label += "".join(mark(obj) for obj in marked)
    if measure.report_statuses:
        shown = []
        for entry in measure.report_statuses:
            status = status_label(entry["status"])
            if entry["progress"] is not None:
                status += f", {entry['progress']} %"
            shown.append(f"{entry['number']}: {status}" if entry["number"] else status)
        label += f" [{'; '.join(shown)}]"
    lines = [label]
    for part in measure.report_parts:
        if part.report_description:
            lines.append(part.report_description)
        if part.report_offices:
            lines.append(
                _("Offices")
                + ": "
                + ", ".join(f"{o.short_label}{mark(o)}" for o in part.report_offices)
            )
        for indicator in part.indicators.all():
            for value in indicator.values.all():
                if getattr(value, "report_sentence", ""):
                    lines.append(value.report_sentence)
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
    _bullet(document, first, level)
    for line in rest:
        document.add_paragraph(
            keep_together(line), style="List Continue" if level == 0 else "List Continue 2"
        )
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
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for name, value in [
        ("w:val", "single"),
        ("w:sz", "4"),
        ("w:space", "6"),
        ("w:color", "999999"),
    ]:
        top.set(qn(name), value)
    borders.append(top)
    # in the place Word's schema gives it among the paragraph's properties
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_BORDERS)


def _write_lead(document, measure, notes):
    """A line that leads into a list (rendering._lead_in): a paragraph, not a bullet."""
    for line in _measure_lines(measure, notes):
        document.add_paragraph(keep_together(line))


def _write_need(document, need, level):
    # The needs in their own words: the source says itself where it gives examples.
    _bullet(document, need.title, level)
    for sub in need.sub_needs:
        _write_need(document, sub, level + 1)


def _table(document, header, rows, numeric_from=1, figures_width=3.0):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.text = keep_together(text)
            if index >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # the first column holds the words, the others figures
    figures = len(header) - 1
    widths = [Cm(16.6 - figures_width * figures)] + [Cm(figures_width)] * figures
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width  # the grid, which LibreOffice follows
        for cell in column.cells:
            cell.width = width  # the cells, which Word follows
    return table


def _funding_rows(funding, notes):
    rows = []
    for row in funding["rows"]:
        number = notes.number(row["line"])
        values = [row["line"].title + (f" [{number}]" if number else "")]
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
    """A group's members as a list in the group's order; roles follow the name."""
    for line in group.report_lines:
        if line["kind"] == "organisation":
            seat = line["seat"]
            number = notes.number(seat.organisation)
            text = str(seat.organisation) + (f" [{number}]" if number else "")
            if seat.role:
                text += f" / {seat.role}"
        elif line["kind"] == "offices":
            codes = office_codes(line["offices"])
            if line["department"]:
                text = _("Representatives of the offices %(codes)s and from the %(name)s") % {
                    "codes": codes,
                    "name": line["department"].name,
                }
                number = notes.number(line["department"], always=True)
                text += f" [{number}]" if number else ""
            else:
                text = _("Representatives of the offices %(codes)s") % {"codes": codes}
        elif line["seat"].department:
            text = _("Representatives from the %(name)s") % {"name": line["seat"].department.name}
            number = notes.number(line["seat"].department, always=True)
            text += f" [{number}]" if number else ""
        else:
            text = line["seat"].role
        _bullet(document, text)


def _title_page(document, report, concept, long, logo):
    """What the document is (draft or version), the logo (a PNG; Word takes no SVG
    from python-docx), municipality and issuer, the title, period and occasion, on a
    page of their own."""
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    # What the document is comes first, as at the top of the PDF's title page.
    document.add_paragraph().add_run(long).bold = True
    if logo:
        document.add_paragraph().add_run().add_picture(io.BytesIO(logo), height=Cm(2))
    letterhead = document.add_paragraph()
    letterhead.add_run(str(concept.municipality)).bold = True
    if report.issuer:
        letterhead.add_run().add_break()
        letterhead.add_run(report.issuer)
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


def write_report(document, context, edition_marks, logo=b"", from_template=False):
    """The report into ``document``; ``edition_marks`` (short, long) say whether it is a
    draft or which published version: the short one heads every page. ``logo`` is the
    bureau's PNG logo for the title page; ``from_template`` keeps the styles, page,
    header and footer of the bureau's Word template."""
    report, concept = context["report"], context["concept"]
    notes = SourceNotes()
    short, long = edition_marks
    _setup(document, report, concept, short, from_template)
    _title_page(document, report, concept, long, logo)

    sections = context["sections"]
    document.add_heading(_("Summary"), level=2)
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
    _table(document, header, rows, numeric_from=len(header), figures_width=5.5)

    document.add_heading(_("Contents"), level=2)
    _contents(document, [f"{item['section'].number}. {item['section'].title}" for item in sections])

    for item in sections:
        section = item["section"]
        document.add_heading(f"{section.number}. {section.title}", level=1)
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
                document.add_heading(f"{group.short_name}: {group.title}", level=2)
                _write_members(document, group, notes)
        elif section.kind in (Kind.MEASURES, Kind.FUNDING):
            for index, block in enumerate(item["blocks"]):
                if block["heading"]:
                    document.add_heading(block["topic"].title, level=2)
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
                document.add_heading(_("Amounts named in this section"), level=3)
                header = [_("Funding"), *funding["columns"]]
                if funding["has_change"]:
                    change = pgettext("funding table", "Change")
                    number = notes.add("computed-change", change, funding["change_note"])
                    header.append(change + (f" [{number}]" if number else ""))
                _table(document, header, _funding_rows(funding, notes))
        elif section.kind == Kind.NEEDS:
            for need in context["needs"]:
                _write_need(document, need, 0)
        _write_editorial(document, section.text_after)

    if notes.items:
        document.add_heading(_("Notes on the sources"), level=1)
        document.add_paragraph(keep_together(context["notes_rule"]))
        for note in notes.items:
            paragraph = document.add_paragraph()
            paragraph.add_run(keep_together(f"[{note['number']}] {note['subject']}: ")).bold = True
            paragraph.add_run(keep_together(note["note"]))

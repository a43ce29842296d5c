"""The contents of the DOCX with page numbers that are there when the file is opened.

Each entry links to a bookmark on its section's heading and shows the page through a
PAGEREF field. Word shows a field's stored result until the fields are updated (F9,
or before printing), and asks nothing on opening as long as no field is marked dirty
and the settings do not ask for an update (``w:updateFields``, which brought up the
question "This document contains fields that may refer to other files …" every time).
LibreOffice computes PAGEREF fields itself. A TOC field would let Word rebuild the
whole list, but it collects every first-level heading (summary, contents and notes
too, which the PDF's contents leave out), so that an update would change the list;
the PAGEREF fields keep the PDF's entries and only their numbers can change.

The stored results are this module's estimate of the pages: the document's own page
size, margins and styles, the text's length in lines of an average character width,
page breaks, headings kept with what follows, and the footnotes at the foot of the
page. python-docx lays nothing out, and the PDF's pages are those of another layout;
the estimate is off by a page at most where a long list breaks differently."""

import math

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

EMU_PER_POINT = 12700
TWIPS_PER_POINT = 20
# The average advance of a character of German running text in Noto Sans, in em, and
# the height Word gives a line of Noto Sans at single spacing (ascent and descent of
# the face), in em. For another typeface (a template's) they are close enough.
CHARACTER_WIDTH = 0.53
LINE_HEIGHT = 1.36
# A heading is kept with the first lines of what follows it.
KEPT_LINES = 2
# Word's default indent of a list level, in points.
LIST_INDENT = 18


def bookmark(paragraph, name, bookmark_ids):
    """A bookmark ``name`` around the text of ``paragraph``."""
    p = paragraph._p
    bookmark_id = str(next(bookmark_ids))
    start = OxmlElement("w:bookmarkStart", {qn("w:id"): bookmark_id, qn("w:name"): name})
    properties = p.pPr
    if properties is None:
        p.insert(0, start)
    else:
        properties.addnext(start)
    p.append(OxmlElement("w:bookmarkEnd", {qn("w:id"): bookmark_id}))


def _run(text=None, field_char=None, instruction=None, tab=False):
    run = OxmlElement("w:r")
    if field_char:
        run.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): field_char}))
    if instruction:
        element = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
        element.text = instruction
        run.append(element)
    if tab:
        run.append(OxmlElement("w:tab"))
    if text is not None:
        element = OxmlElement("w:t", {qn("xml:space"): "preserve"})
        element.text = text
        run.append(element)
    return run


def _text_width(document):
    """The width between the margins of the document's last section, in points."""
    section = document.sections[-1]
    width = (section.page_width or Pt(595)) - (section.left_margin or 0)
    width -= section.right_margin or 0
    return width / EMU_PER_POINT


def _entry_style(document, level):
    """Word's style for entries of ``level`` ("toc 1", "toc 2"), added if missing."""
    name = f"toc {level}"
    for style in document.styles:
        if style.name.lower() == name and style.type == WD_STYLE_TYPE.PARAGRAPH:
            return style.style_id
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH, builtin=True)
    style.base_style = document.styles["Normal"]
    style.paragraph_format.space_after = Pt(2)
    style.paragraph_format.left_indent = Pt(11 * (level - 1))
    return style.style_id


class Contents:
    """The contents list, written where ``write`` is called; ``target`` marks the
    heading an entry leads to; ``fill_in`` stores the estimated pages at the end."""

    def __init__(self, document, bookmark_ids):
        self.document = document
        self.bookmark_ids = bookmark_ids
        self.numbers = {}  # bookmark name → the w:t of its page number
        self.last = None  # the last entry's paragraph

    def write(self, entries):
        """One paragraph for each (level, text, bookmark name): the text linked to
        the heading, a dotted tab and the page number flush right, as in the PDF."""
        for level, text, name in entries:
            self.last = self._entry(self.document.add_paragraph(), level, text, name)

    def add(self, level, text, name):
        """One more entry after those written (the notes, known at the end)."""
        if self.last is not None:
            paragraph = self.document.add_paragraph()
            self.last._p.addnext(paragraph._p)
            self.last = self._entry(paragraph, level, text, name)

    def _entry(self, paragraph, level, text, name):
        style = _entry_style(self.document, level)
        width = round(_text_width(self.document) * TWIPS_PER_POINT)
        properties = paragraph._p.get_or_add_pPr()
        properties.append(OxmlElement("w:pStyle", {qn("w:val"): style}))
        tabs = OxmlElement("w:tabs")
        tabs.append(
            OxmlElement(
                "w:tab", {qn("w:val"): "right", qn("w:leader"): "dot", qn("w:pos"): str(width)}
            )
        )
        properties.append(tabs)
        link = OxmlElement("w:hyperlink", {qn("w:anchor"): name, qn("w:history"): "1"})
        number = _run("")
        for run in (
            _run(text),
            _run(tab=True),
            _run(field_char="begin"),
            _run(instruction=f" PAGEREF {name} \\h "),
            _run(field_char="separate"),
            number,
            _run(field_char="end"),
        ):
            link.append(run)
        paragraph._p.append(link)
        self.numbers[name] = number.find(qn("w:t"))
        return paragraph

    def target(self, paragraph, name):
        bookmark(paragraph, name, self.bookmark_ids)

    def fill_in(self, footnotes=None):
        """Stores the estimated page of each heading as its entry's field result;
        returns the estimated number of pages."""
        pages, total = estimate_pages(self.document, footnotes)
        for name, element in self.numbers.items():
            element.text = str(pages.get(name, ""))
        return total


class _Styles:
    """Sizes and spacing of the document's paragraph styles, followed through the
    styles they are based on; in points."""

    def __init__(self, document):
        self.document = document
        self.cache = {}

    def get(self, style_id):
        if style_id not in self.cache:
            style = self.document.styles.get_by_id(style_id, WD_STYLE_TYPE.PARAGRAPH)
            self.cache[style_id] = self._read(style)
        return self.cache[style_id]

    @staticmethod
    def _first(style, read):
        while style is not None:
            value = read(style)
            if value is not None:
                return value
            style = style.base_style
        return None

    def _read(self, style):
        size = self._first(style, lambda s: s.font.size)
        size = size.pt if size is not None else 11
        before = self._first(style, lambda s: s.paragraph_format.space_before)
        after = self._first(style, lambda s: s.paragraph_format.space_after)
        indent = self._first(style, lambda s: s.paragraph_format.left_indent)
        name = style.name if style is not None else ""
        if indent is None and name.startswith("List"):
            level = name.rsplit(" ", 1)[-1]
            indent = Pt(LIST_INDENT * (int(level) if level.isdigit() else 1))
        return {
            "size": size,
            "before": before.pt if before is not None else 0,
            "after": after.pt if after is not None else 0,
            "indent": indent.pt if indent is not None else 0,
            "break_before": bool(
                self._first(style, lambda s: s.paragraph_format.page_break_before)
            ),
            "keep": bool(self._first(style, lambda s: s.paragraph_format.keep_with_next)),
        }


def _lines(texts, size, width):
    per_line = max(int(width / (size * CHARACTER_WIDTH)), 1)
    return sum(max(math.ceil(len(text) / per_line), 1) for text in texts)


def _texts(element):
    """The lines of text of a paragraph as its line breaks divide it."""
    texts = [""]
    for child in element.iter(qn("w:t"), qn("w:br"), qn("w:tab")):
        if child.tag == qn("w:t"):
            texts[-1] += child.text or ""
        elif child.tag == qn("w:tab"):
            texts[-1] += "    "
        elif child.get(qn("w:type")) in (None, "textWrapping"):
            texts.append("")
    return texts


def estimate_pages(document, footnotes=None):
    """({bookmark name: the page its heading is estimated to stand on}, pages)."""
    section = document.sections[-1]
    height = ((section.page_height or Pt(842)) - (section.top_margin or 0)) / EMU_PER_POINT
    height -= (section.bottom_margin or 0) / EMU_PER_POINT
    width = _text_width(document)
    styles = _Styles(document)
    note_size = 8.5
    note_lines = footnotes.lengths() if footnotes is not None else {}
    normal = styles.get(document.styles["Normal"].style_id)
    page, used, pages = 1, 0.0, {}

    def new_page():
        nonlocal page, used
        page, used = page + 1, 0.0

    for block in document.element.body.iterchildren():
        if block.tag == qn("w:tbl"):
            columns = [
                int(column.get(qn("w:w"), "0")) / TWIPS_PER_POINT
                for column in block.iter(qn("w:gridCol"))
            ]
            size = normal["size"]
            for row in block.iter(qn("w:tr")):
                cells = list(row.iter(qn("w:tc")))
                lines = max(
                    (
                        _lines(_texts(cell), size, columns[i] if i < len(columns) else width)
                        for i, cell in enumerate(cells)
                    ),
                    default=1,
                )
                row_height = lines * size * LINE_HEIGHT + 2
                if used + row_height > height and used:
                    new_page()
                used += row_height
            used += normal["after"]
            continue
        if block.tag != qn("w:p"):
            continue
        properties = block.pPr
        style = styles.get(properties.style if properties is not None else None)
        direct = properties is not None and properties.find(qn("w:pageBreakBefore")) is not None
        if (style["break_before"] or direct) and used:
            new_page()
        line = style["size"] * LINE_HEIGHT
        lines = _lines(_texts(block), style["size"], width - style["indent"])
        if (
            style["keep"]
            and used + style["before"] + line + KEPT_LINES * normal["size"] * LINE_HEIGHT > height
        ):
            new_page()
        used += style["before"] if used else 0
        for index in range(lines):
            if used + line > height:
                new_page()
            used += line
            if index == 0:
                for start in block.iter(qn("w:bookmarkStart")):
                    pages.setdefault(start.get(qn("w:name")), page)
        used += style["after"]
        for reference in block.iter(qn("w:footnoteReference")):
            characters = note_lines.get(reference.get(qn("w:id")), 0)
            used += (_lines([" " * characters], note_size, width) + 0.5) * note_size * LINE_HEIGHT
        if any(br.get(qn("w:type")) == "page" for br in block.iter(qn("w:br"))):
            new_page()
    return pages, page

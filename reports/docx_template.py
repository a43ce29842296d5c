"""The Word document the DOCX export starts from: python-docx's own, set up as an A4
report (reports/docx_writer.py), or the bureau's Word template, whose styles, page
format, header and footer stay as the city made them.

From a template the body is emptied (its last section properties, which hold the page
format and the references to header and footer, stay); styles the report needs and
the template lacks are added in a plain form based on its "Normal" style, so that a
template made for letters still gives headings, bullets and tables. The header gets
the edition mark (draft or version) as a paragraph of its own, and the footer page
numbers unless it already has a page field."""

import io
import logging

from .docx_package import clean_template

logger = logging.getLogger(__name__)

LIST_BULLETS = {"List Bullet": "•", "List Bullet 2": "–", "List Bullet 3": "▪"}
LIST_CONTINUE = {"List Continue": 360, "List Continue 2": 720}
HEADINGS = {"Title": (20, None), "Heading 1": (14, 0), "Heading 2": (12, 1)}
# What heads a table (not a heading: screen readers announce it with the table).
CAPTION = "Caption"


def document_from(template):
    """(document, whether it comes from the bureau's template). The template is
    rebuilt from its allowed parts again (reports/docx_package.py): one stored under
    older rules is held to today's."""
    from docx import Document

    if not template:
        return Document(), False
    clean, removed = clean_template(bytes(template))
    if removed:
        logger.warning("Left out of the stored Word template: %s", "; ".join(removed))
    document = Document(io.BytesIO(clean))
    clear_body(document)
    add_missing_styles(document)
    return document, True


def clear_body(document):
    from docx.oxml.ns import qn

    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def missing_styles(document):
    """The names of the styles the report uses that ``document`` does not define."""
    from docx.enum.style import WD_STYLE_TYPE

    names = [*HEADINGS, CAPTION, *LIST_BULLETS, *LIST_CONTINUE, "Header", "Footer"]
    defined = {style.name for style in document.styles}
    missing = [name for name in names if name not in defined]
    tables = {s.name for s in document.styles if s.type == WD_STYLE_TYPE.TABLE}
    if "Table Grid" not in tables:
        missing.append("Table Grid")
    return missing


def add_missing_styles(document):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from docx.shared import Pt

    styles = document.styles
    normal = styles["Normal"]
    for name in missing_styles(document):
        if name == "Table Grid":
            style = styles.add_style(name, WD_STYLE_TYPE.TABLE)
            border = 'w:val="single" w:sz="4" w:space="0" w:color="auto"'
            style.element.append(
                parse_xml(
                    f"<w:tblPr {nsdecls('w')}><w:tblBorders>"
                    + "".join(
                        f"<w:{side} {border}/>"
                        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
                    )
                    + "</w:tblBorders></w:tblPr>"
                )
            )
            continue
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        if name in HEADINGS:
            size, outline = HEADINGS[name]
            style.font.bold = True
            style.font.size = Pt(size)
            style.paragraph_format.keep_with_next = True
            style.paragraph_format.space_before = Pt(12)
            if outline is not None:
                # The outline level makes it a heading for Word's navigation pane and
                # for screen readers.
                style.element.get_or_add_pPr().append(
                    parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{outline}"/>')
                )
        elif name == CAPTION:
            style.font.bold = True
            style.font.size = Pt(9)
            style.paragraph_format.keep_with_next = True
        elif name in LIST_BULLETS:
            level = list(LIST_BULLETS).index(name)
            number = _bullet_numbering(document, LIST_BULLETS[name], level)
            style.element.get_or_add_pPr().insert(
                0,
                parse_xml(
                    f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/>'
                    f'<w:numId w:val="{number}"/></w:numPr>'
                ),
            )
        elif name in LIST_CONTINUE:
            style.paragraph_format.left_indent = Pt(LIST_CONTINUE[name] / 20)


def _bullet_numbering(document, bullet, level):
    """A new bullet list definition in the template's numbering; its number."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    numbering = document.part.numbering_part.element
    abstract_ids = [
        int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))
    ]
    number_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    abstract_id = max(abstract_ids, default=-1) + 1
    number_id = max(number_ids, default=0) + 1
    indent = 360 * (level + 1)
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
        f'<w:lvlText w:val="{bullet}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{indent}" w:hanging="360"/></w:pPr></w:lvl>'
        "</w:abstractNum>"
    )
    # The schema wants every abstractNum before the first num.
    first_num = numbering.find(qn("w:num"))
    if first_num is None:
        numbering.append(abstract)
    else:
        first_num.addprevious(abstract)
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{number_id}">'
            f'<w:abstractNumId w:val="{abstract_id}"/></w:num>'
        )
    )
    return number_id


def has_page_field(part):
    """Whether a header or footer already shows page numbers (a PAGE field)."""
    from docx.oxml.ns import qn

    element = part._element
    instructions = [t.text or "" for t in element.iter(qn("w:instrText"))]
    simple = [f.get(qn("w:instr"), "") for f in element.iter(qn("w:fldSimple"))]
    return any("PAGE" in text.split() for text in instructions + simple)

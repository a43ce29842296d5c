"""Real Word footnotes for the DOCX, which python-docx cannot write: a footnotes part
(word/footnotes.xml with the two separators Word expects), its relationship from the
document (python-docx writes the content type from the part), the styles "footnote
text" and "footnote reference" where the document lacks them, and in the text a
``w:footnoteReference`` run for each note.

Word numbers footnotes by the order of their references, as the report numbers its
notes by the order of their marks (report_tags.SourceNotes): the numbers agree with
the PDF's. A note marked a second time gets no second footnote (Word would number it
anew) but a NOTEREF field to the first one's bookmark, showing the same number."""

from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from .templatetags.report_tags import keep_together

_SEPARATORS = (
    f"<w:footnotes {nsdecls('w', 'r')}>"
    + "".join(
        f'<w:footnote w:type="{kind}" w:id="{number}"><w:p><w:pPr>'
        '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        f"<w:r><w:{kind}/></w:r></w:p></w:footnote>"
        for kind, number in (("separator", -1), ("continuationSeparator", 0))
    )
    + "</w:footnotes>"
)


# What follows w:footnotePr in the document settings (CT_Settings in Word's schema).
_AFTER_FOOTNOTE_PROPERTIES = (
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
    "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
    "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
    "w:decimalSymbol", "w:listSeparator",
)  # fmt: skip


def _style_id(document, name, style_type, make):
    """The id of the built-in style ``name`` (as Word writes it, "footnote text"):
    a template names its ids in its own language ("Funotentext")."""
    for style in document.styles:
        if style.name.lower() == name and style.type == style_type:
            return style.style_id
    style = document.styles.add_style(name, style_type, builtin=True)
    make(style)
    return style.style_id


def _reference_style(style):
    style.font.superscript = True


class Footnotes:
    """The report's notes (a SourceNotes) as footnotes of ``document``; bookmarks take
    their ids from ``bookmark_ids`` (an iterator the document's other bookmarks share)."""

    def __init__(self, document, notes, bookmark_ids):
        self.document = document
        self.notes = notes
        self.bookmark_ids = bookmark_ids
        self._element = None
        self._first = {}  # note number → (footnote id, bookmark name)

    def _part_element(self):
        if self._element is None:
            part = self.document.part
            self._element = parse_xml(_SEPARATORS)
            footnotes = XmlPart(
                PackURI("/word/footnotes.xml"),
                CONTENT_TYPE.WML_FOOTNOTES,
                self._element,
                part.package,
            )
            part.relate_to(footnotes, RELATIONSHIP_TYPE.FOOTNOTES)
            # The settings name the separators, as Word writes them, in the place the
            # schema gives footnotePr among the settings.
            self.document.settings.element.insert_element_before(
                parse_xml(
                    f"<w:footnotePr {nsdecls('w')}>"
                    '<w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>'
                ),
                *_AFTER_FOOTNOTE_PROPERTIES,
            )
            normal = self.document.styles["Normal"]

            def text_style(style):
                # as the PDF sets its notes
                style.base_style = normal
                style.font.size = Pt(8.5)
                style.paragraph_format.space_before = Pt(0)
                style.paragraph_format.space_after = Pt(2)

            self.text_style = _style_id(
                self.document, "footnote text", WD_STYLE_TYPE.PARAGRAPH, text_style
            )
            self.reference_style = _style_id(
                self.document, "footnote reference", WD_STYLE_TYPE.CHARACTER, _reference_style
            )
        return self._element

    def mark(self, paragraph, number):
        """The mark of note ``number`` at the end of ``paragraph``."""
        footnotes = self._part_element()
        if number in self._first:
            self._reference_again(paragraph, number)
            return
        footnote_id = len(self._first) + 1
        item = self.notes.items[number - 1]
        footnotes.append(self._footnote(footnote_id, item))
        name = f"_Note{number}"
        self._first[number] = name
        bookmark_id = str(next(self.bookmark_ids))
        start = OxmlElement("w:bookmarkStart", {qn("w:id"): bookmark_id, qn("w:name"): name})
        paragraph._p.append(start)
        run = self._reference_run()
        reference = OxmlElement("w:footnoteReference", {qn("w:id"): str(footnote_id)})
        run.append(reference)
        paragraph._p.append(run)
        paragraph._p.append(OxmlElement("w:bookmarkEnd", {qn("w:id"): bookmark_id}))

    def separator(self, paragraph):
        """The comma between two marks side by side ("1,2", not "12")."""
        self._part_element()
        paragraph._p.append(self._reference_run(","))

    def lengths(self):
        """{footnote id: the number of characters of its text}, for the estimate of
        the pages (reports/docx_contents.py)."""
        if self._element is None:
            return {}
        return {
            footnote.get(qn("w:id")): sum(len(t.text or "") for t in footnote.iter(qn("w:t")))
            for footnote in self._element.iter(qn("w:footnote"))
        }

    def _reference_run(self, text=None):
        run = OxmlElement("w:r")
        properties = OxmlElement("w:rPr")
        properties.append(OxmlElement("w:rStyle", {qn("w:val"): self.reference_style}))
        run.append(properties)
        if text is not None:
            element = OxmlElement("w:t")
            element.text = text
            run.append(element)
        return run

    def _reference_again(self, paragraph, number):
        """A NOTEREF field (\\f: formatted as a footnote mark) showing ``number``:
        Word shows that result until the fields are updated, and keeps it right when
        the bureau deletes a footnote before it."""
        name = self._first[number]
        p = paragraph._p
        for kind, text in (
            ("begin", None),
            ("instr", f" NOTEREF {name} \\f \\h "),
            ("separate", None),
        ):
            run = self._reference_run()
            if kind == "instr":
                instruction = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
                instruction.text = text
                run.append(instruction)
            else:
                run.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))
            p.append(run)
        p.append(self._reference_run(str(number)))
        end = self._reference_run()
        end.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): "end"}))
        p.append(end)

    def _footnote(self, footnote_id, item):
        """The note as the PDF lists it: its subject in bold, a colon, the note."""
        footnote = OxmlElement("w:footnote", {qn("w:id"): str(footnote_id)})
        p = OxmlElement("w:p")
        properties = OxmlElement("w:pPr")
        properties.append(OxmlElement("w:pStyle", {qn("w:val"): self.text_style}))
        p.append(properties)
        mark = self._reference_run()
        mark.append(OxmlElement("w:footnoteRef"))
        p.append(mark)
        for text, bold in ((" ", False), (f"{item['subject']}: ", True), (item["note"], False)):
            run = OxmlElement("w:r")
            if bold:
                run_properties = OxmlElement("w:rPr")
                run_properties.append(OxmlElement("w:b"))
                run.append(run_properties)
            element = OxmlElement("w:t", {qn("xml:space"): "preserve"})
            element.text = keep_together(text)
            run.append(element)
            p.append(run)
        footnote.append(p)
        return footnote

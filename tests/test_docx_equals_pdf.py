"""The DOCX is the PDF in Word (issue 21, item 6): the same headings in the same order,
the same notes with the same numbers as real footnotes, the report's typeface, a
heading hierarchy a screen reader can follow, contents with page numbers that Word
opens without asking to update fields, a title page without running header, and
properties that name the bureau, the application and the date of the edition. A
published version keeps its DOCX with the HTML and PDF."""

import datetime
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from reports.exports import render_docx, render_html, render_pdf
from reports.models import PublishedVersion, Report
from reports.publishing import publish

SLUG = "umsetzungsbericht-2009-2014"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def w(name):
    return f"{{{W}}}{name}"


def squash(text):
    """Text compared without spaces and hyphens: the PDF breaks lines and hyphenates."""
    return re.sub(r"[\s\u00ad-]+", "", text)


def plain(text):
    return " ".join(text.replace("\u00a0", " ").split())


def text_of(element):
    return "".join(t.text or "" for t in element.iter(w("t")))


class Docx:
    """A DOCX as its parts: the document, its footnotes, styles, settings, headers
    and footers, properties, content types and relationships."""

    def __init__(self, content):
        self.content = content
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.names = set(archive.namelist())
            self.parts = {
                name: etree.fromstring(archive.read(name))
                for name in self.names
                if name.endswith((".xml", ".rels"))
            }
        self.body = self.parts["word/document.xml"].find(w("body"))
        self.styles = {
            style.get(w("styleId")): style
            for style in self.parts["word/styles.xml"].iter(w("style"))
        }

    def style_name(self, style_id):
        style = self.styles.get(style_id)
        return style.find(w("name")).get(w("val")) if style is not None else ""

    def paragraph_style(self, p):
        style = p.find("w:pPr/w:pStyle", NS)
        return self.style_name(style.get(w("val"))) if style is not None else "Normal"

    def footnotes(self):
        """{id: text} of the footnotes that are notes (not the separators)."""
        root = self.parts["word/footnotes.xml"]
        return {
            int(note.get(w("id"))): plain(text_of(note))
            for note in root.iter(w("footnote"))
            if note.get(w("type")) is None
        }

    def marks(self):
        """(the last word before the mark, footnote id) for every footnote reference of
        the body (tables included), in the document's order."""
        found = []
        for p in self.body.iter(w("p")):
            before = ""
            for element in p.iter(w("t"), w("footnoteReference")):
                if element.tag == w("t"):
                    before += element.text or ""
                else:
                    found.append((plain(before).split(" ")[-1], int(element.get(w("id")))))
        return found

    def headings(self):
        """(level, text) of the title (0) and the headings (1, 2 …) in their order."""
        found = []
        for p in self.body.iter(w("p")):
            name = self.paragraph_style(p)
            if name == "Title":
                found.append((0, plain(text_of(p))))
            elif name.lower().startswith("heading "):
                found.append((int(name.split()[-1]), plain(text_of(p))))
        return found


def pdf_outline(content):
    """(level, title, page) of the PDF's bookmarks, made from its headings."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    found = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append(
                    (level, plain(item.title), reader.get_destination_page_number(item) + 1)
                )

    walk(reader.outline, 0)
    return found


def pdf_text(content):
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture(scope="module")
def rendered(dresden_for_module, django_db_blocker):
    """The draft as HTML, PDF and DOCX, rendered once for the module."""
    with django_db_blocker.unblock():
        report = Report.objects.get(slug=SLUG)
        html = render_html(report)
        before = timezone.now()
        docx = render_docx(report)
        after = timezone.now()
        pdf = render_pdf(report, html=html)
    return {"html": html, "pdf": pdf, "docx": Docx(docx), "rendered": (before, after)}


def test_the_docx_has_the_pdfs_headings_in_the_same_order(rendered):
    pdf = [(level, title) for level, title, _page in pdf_outline(rendered["pdf"])]
    assert rendered["docx"].headings() == pdf
    assert pdf[:3] == [
        (0, "Umsetzung des Konzeptes zur Integration von Migrantinnen und Migranten 2009"),
        (1, "Zusammenfassung"),
        (1, "Inhalt"),
    ]


def test_headings_start_at_the_first_level_and_never_skip_one(rendered):
    document = rendered["docx"]
    levels = [level for level, _text in document.headings() if level]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    # a table is headed by its caption, which is no heading
    captions = [
        plain(text_of(p))
        for p in document.body.iter(w("p"))
        if document.paragraph_style(p) == "caption"
    ]
    assert captions == ["Übersicht", "In diesem Abschnitt genannte Beträge"]
    # the header row of each table is marked as such, for screen readers
    for table in document.body.iter(w("tbl")):
        assert table.find("w:tr/w:trPr/w:tblHeader", NS) is not None


def test_the_docx_carries_the_pdfs_notes_as_footnotes_with_the_same_numbers(rendered):
    document = rendered["docx"]
    footnotes = document.footnotes()
    marks = document.marks()
    # Word numbers footnotes by the order of their marks: the ids are that order.
    assert [number for _word, number in marks] == list(range(1, 7))
    assert sorted(footnotes) == list(range(1, 7))

    # the HTML's notes (the PDF is typeset from it), in their order and numbers
    html = rendered["html"]
    listed = re.findall(r'<li id="source-note-(\d+)" value="\d+">(.*?)</li>', html, re.S)
    html_notes = {
        int(number): plain(re.sub(r"<[^>]+>", "", text).replace("&nbsp;", " "))
        for number, text in listed
    }
    assert {n: squash(t) for n, t in footnotes.items()} == {
        n: squash(t) for n, t in html_notes.items()
    }
    html_marks = [int(n) for n in re.findall(r'<a href="#source-note-(\d+)">', html)]
    assert html_marks == [number for _word, number in marks]

    # in the PDF: each mark after the same word with the same number, and the notes
    # in the same order at the end
    text = squash(pdf_text(rendered["pdf"]))
    for word, number in marks:
        assert squash(word) + str(number) in text, (word, number)
    notes_at = text.rindex("HinweisezudenQuellen")
    position = notes_at
    for number in sorted(footnotes):
        position = text.index(squash(footnotes[number]), position)
    assert "(Ordnungsamt): In der Quelle steht „Ordnungsamt“ ohne Klammern" in footnotes[2]
    assert footnotes[5].startswith("Veränderung: Die Quelle nennt keine Prozentwerte")


def test_notes_are_real_footnotes_not_numbers_in_brackets(rendered):
    document = rendered["docx"]
    types = document.parts["[Content_Types].xml"]
    assert any(
        element.get("PartName") == "/word/footnotes.xml"
        and element.get("ContentType").endswith("wordprocessingml.footnotes+xml")
        for element in types
    )
    relationships = document.parts["word/_rels/document.xml.rels"]
    assert any(
        element.get("Type").endswith("/footnotes") and element.get("Target") == "footnotes.xml"
        for element in relationships
    )
    kinds = {
        note.get(w("type")): int(note.get(w("id")))
        for note in document.parts["word/footnotes.xml"].iter(w("footnote"))
        if note.get(w("type"))
    }
    assert kinds == {"separator": -1, "continuationSeparator": 0}
    for reference in document.body.iter(w("footnoteReference")):
        style = reference.getparent().find("w:rPr/w:rStyle", NS).get(w("val"))
        assert document.style_name(style) == "footnote reference"
    assert not re.search(r"\[\d+\]", text_of(document.body))
    # the note text in Word's style for it, after its own number
    for note in document.parts["word/footnotes.xml"].iter(w("footnote")):
        if note.get(w("type")) is None:
            p = note.find(w("p"))
            assert document.paragraph_style(p) == "footnote text"
            assert p.find(".//w:footnoteRef", NS) is not None
    # the notes' rule closes the report, as in the PDF
    last = [plain(text_of(p)) for p in document.body.iter(w("p"))][-2:]
    assert last[0] == "Hinweise zu den Quellen" and last[1].startswith("Der Bericht übernimmt")


def test_the_contents_have_page_numbers_and_word_asks_nothing_on_opening(rendered):
    document = rendered["docx"]
    assert document.parts["word/settings.xml"].find(w("updateFields")) is None
    for name, part in document.parts.items():
        for field in part.iter(w("fldChar")):
            assert field.get(w("dirty")) is None, name
    instructions = [t.text for t in document.body.iter(w("instrText"))]
    assert not [i for i in instructions if i.split()[0] == "TOC"]

    entries = []
    for link in document.body.iter(w("hyperlink")):
        runs = list(link.iter(w("r")))
        anchor = link.get(w("anchor"))
        instruction = next(t.text for t in link.iter(w("instrText")))
        assert instruction.split() == ["PAGEREF", anchor, "\\h"]
        # the stored result: the run after "separate"
        at = next(
            i
            for i, r in enumerate(runs)
            if r.find(w("fldChar")) is not None
            and r.find(w("fldChar")).get(w("fldCharType")) == "separate"
        )
        entries.append((plain(text_of(runs[0])), int(text_of(runs[at + 1]))))
        heading = document.body.find(f".//w:bookmarkStart[@w:name='{anchor}']/..", NS)
        assert document.paragraph_style(heading).startswith("heading ")
        assert plain(text_of(heading)) == entries[-1][0]

    # the PDF's contents: the sections, the groups and topics under them and the
    # notes, with their pages; the DOCX's stored numbers are an estimate of its own
    # pages (in Noto Sans, as LibreOffice lays it out), within one page of the PDF's
    pdf = [
        (title, page)
        for level, title, page in pdf_outline(rendered["pdf"])
        if level and title not in ("Zusammenfassung", "Inhalt")
    ]
    assert [title for title, _page in entries] == [title for title, _page in pdf]
    assert "FAG 1: Wirtschaft, Arbeit, Berufsausbildung" in dict(entries)
    assert entries[-1][0] == "Hinweise zu den Quellen"
    for (title, page), (_title, printed) in zip(entries, pdf, strict=True):
        assert abs(page - printed) <= 1, (title, page, printed)
    assert [page for _t, page in entries] == sorted(page for _t, page in entries)


def test_the_title_page_has_no_running_header_or_page_number(rendered):
    document = rendered["docx"]
    section = document.body.find(w("sectPr"))
    assert section.find(w("titlePg")) is not None
    references = {
        (element.tag.rsplit("}", 1)[-1], element.get(w("type"))): element.get(
            "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
        )
        for element in section
        if element.tag in (w("headerReference"), w("footerReference"))
    }
    targets = {
        element.get("Id"): "word/" + element.get("Target")
        for element in document.parts["word/_rels/document.xml.rels"]
    }

    def text(kind, which):
        return plain(text_of(document.parts[targets[references[(kind, which)]]]))

    assert text("headerReference", "first") == "" and text("footerReference", "first") == ""
    assert text("headerReference", "default").endswith("Entwurf – nicht veröffentlicht")
    assert text("footerReference", "default").startswith("Landeshauptstadt Dresden")


def test_the_docx_is_set_in_the_reports_typeface(rendered, settings):
    from pathlib import Path

    css = (Path(settings.BASE_DIR) / "static" / "css" / "report-print.css").read_text()
    family = re.search(r'html \{ font: [^"]*"([^"]+)"', css).group(1)
    assert family == "Noto Sans"
    document = rendered["docx"]
    defaults = document.parts["word/styles.xml"].find(
        "w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS
    )
    normal = document.styles["Normal"].find("w:rPr/w:rFonts", NS)
    for fonts in (defaults, normal):
        assert fonts.get(w("ascii")) == fonts.get(w("hAnsi")) == family
        assert fonts.get(w("asciiTheme")) is None and fonts.get(w("hAnsiTheme")) is None
    assert "Arial" not in etree.tostring(document.parts["word/styles.xml"]).decode()
    # Word sets a sans serif of its own where Noto Sans is not installed
    declared = document.parts["word/fontTable.xml"].find(f"w:font[@w:name='{family}']", NS)
    assert declared.find(w("family")).get(w("val")) == "swiss"


def test_properties_name_the_bureau_the_application_and_the_date(rendered):
    from docx import Document

    document = rendered["docx"]
    properties = Document(io.BytesIO(document.content)).core_properties
    assert properties.author == "Integrations- und Ausländerbeauftragte"
    assert properties.last_modified_by == "Integrationsmonitor"
    assert properties.comments == "" and "python-docx" not in properties.comments
    before, after = rendered["rendered"]
    # the draft is dated when it was rendered (to the second, in UTC)
    created = properties.created
    assert before.replace(microsecond=0) <= created <= after
    assert properties.modified == properties.created
    app = etree.tostring(document.parts["docProps/app.xml"]).decode()
    assert "<Application>Integrationsmonitor</Application>" in app
    assert "Microsoft" not in app and "Words" not in app and "Pages" not in app
    assert not [name for name in document.names if "thumbnail" in name]


def test_a_published_version_stores_its_docx_in_the_same_insert(
    client, dresden, bureau_user, council_member, tmp_path
):
    import hashlib

    from django.core.management import call_command
    from django.utils import translation
    from docx import Document

    from reports.exports import edition_marks

    report = Report.objects.get(slug=SLUG)
    version = publish(report, bureau_user, note="Vorlage")
    stored = PublishedVersion.objects.get(pk=version.pk)
    content = bytes(stored.docx)
    assert content.startswith(b"PK") and stored.docx_sha256 == stored.checksum("docx")
    assert hashlib.sha256(content).hexdigest() == stored.docx_sha256
    document = Document(io.BytesIO(content))
    with translation.override("de"):
        mark = edition_marks(version)[0]
    assert mark.startswith("Fassung 1 vom")
    assert document.sections[0].header.paragraphs[0].text.endswith(mark)
    # dated when it was published, not when it was rendered
    published = version.published_at.astimezone(datetime.UTC).replace(microsecond=0)
    assert document.core_properties.created == published

    client.force_login(council_member)
    url = reverse("reports:version_download", args=[SLUG, 1, "docx"])
    page = client.get(reverse("reports:version_detail", args=[SLUG, 1])).content.decode()
    assert url in page and stored.docx_sha256 in page
    response = client.get(url)
    assert response.status_code == 200 and response.content == content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"{SLUG}-fassung-1.docx" in response["Content-Disposition"]
    target = tmp_path / "fassung.docx"
    call_command("export_report", SLUG, "--format", "docx", "--published", "1", "--output", target)
    assert target.read_bytes() == content


def test_a_version_published_before_the_docx_was_kept_offers_none(client, dresden, council_member):
    import hashlib

    version = PublishedVersion.objects.create(
        report=Report.objects.get(slug=SLUG),
        number=1,
        published_at=timezone.now(),
        published_by=council_member,
        html=b"<p>x</p>",
        html_sha256=hashlib.sha256(b"<p>x</p>").hexdigest(),
        pdf=b"%PDF",
        pdf_sha256=hashlib.sha256(b"%PDF").hexdigest(),
    )
    assert version.formats() == ["pdf", "html"]
    client.force_login(council_member)
    url = reverse("reports:version_download", args=[SLUG, 1, "docx"])
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("reports:version_detail", args=[SLUG, 1])).content.decode()


def test_a_note_marked_twice_refers_to_its_first_footnote():
    import itertools

    from docx import Document

    from reports.docx_footnotes import Footnotes
    from reports.templatetags.report_tags import SourceNotes

    document = Document()
    notes = SourceNotes()
    number = notes.add("key", "Amt 41", "Die Quelle nennt das Amt nicht.")
    footnotes = Footnotes(document, notes, itertools.count(1))
    first, second = document.add_paragraph("Kulturamt"), document.add_paragraph("wieder")
    footnotes.mark(first, number)
    footnotes.mark(second, number)
    assert len(first._p.findall(w("r") + "/" + w("footnoteReference"))) == 1
    assert not second._p.findall(f".//{w('footnoteReference')}")
    instruction = "".join(t.text for t in second._p.iter(w("instrText")))
    assert instruction.split() == ["NOTEREF", "_Note1", "\\f", "\\h"]
    assert text_of(second._p) == "wieder1"
    bookmark = first._p.find(w("bookmarkStart"))
    assert bookmark.get(w("name")) == "_Note1"

"""The Dresden report as a council member receives it, in HTML, PDF and DOCX: the
source's sentences whole (amounts in them), its wording kept ("z. B.", "etc.", its
slips), no heading or sentence it lacks, notes written for the reader about words the
text prints, computed figures marked, and a summary as a bureau writes it
(issue 21, items 1–4)."""

import html as html_lib
import io
import re

import pytest

from reports.exports import render_docx, render_html, render_pdf
from reports.models import Report
from reports.templatetags.report_tags import SourceNotes
from working_groups.models import Office

SLUG = "umsetzungsbericht-2009-2014"
FORMATS = ["html", "pdf", "docx"]

# The source's sentences with the amounts in them (shared/seed, slides 8 and 9).
SENTENCES = [
    "Steigerung der Förderung interkulturellen Arbeit von 140.600 Euro (2009) auf "
    "149.200 Euro (2013) durch das Amt 41",
    "Projektförderung Migrantenvereine: zwischen 2009 und 2013 von 36.800 Euro auf "
    "40.400 Euro gestiegen",
    "Umsetzung des Lokalen Handlungsprogramms für Demokratie und Toleranz, gegen "
    "Rechtsextremismus (2012 und 2013: ca. 550 TEUR)",
    "Interkulturelle Veranstaltungen z. B. in Dresdens Museen, Sammlungen, "
    "sozio-kulturelle Zentren, Theater Junge Generation, VHS, etc.",
    "Angebote, die Integration erleichtern z. B. Projekt „Lesestark!“ (Städtische Bibliotheken)",
    "z. B. durch Entwicklung und Verabschiedung eines „Umsetzungs- und "
    "Finanzierungskonzeptes“ für Sprachkurse",
    "zwischen Juli 2009 und November 2014 nahmen 222 Beschäftigten an Fortbildungen teil",
    "Handlungsplan zur verwaltungsinternen Umsetzung des Integrationskonzeptes (IK), "
    "ab 1. Juli 2009 in Kraft getreten",
    # the source's slips stay (the report marks what it corrects, and corrects nothing
    # here)
    "z. M. interkulturelles Personalmanagement in die LHD → Ansprache in "
    "Stellenausschreibungen der LHDD",
]

# What the report added of its own before: headings, a sentence, rewordings.
NOT_IN_THE_SOURCE = [
    "Fortbildung und Personal",
    "Ämter, die zu Mehrsprachigkeit",
    "zum Beispiel",
    "Zum Beispiel",
    "in Kraft seit",
    "im Rahmen der Aufgabenerfüllung",
    "Landeshauptstadt Dresden (LHD)",
    "in den Mittelpunkt",
    "Abschnitten",
]

# How a bureau sums up the sections: what each holds, counted as a reader counts.
SCOPES = {
    "1. Grundlagen für die Umsetzung": "Konzept und Handlungsplan",
    "2. Mitwirkende": "4 Facharbeitsgruppen",
    "3. Interkulturelle Orientierung und Öffnung": "16 Punkte",
    "4. Leistungen: konzeptionell, i. R. Aufgabenerfüllung": "11 Punkte",
    "5. Förderung": "13 Punkte, davon 3 mit Beträgen",
    "6. Handlungsbedarfe": "4 Handlungsbedarfe",
}
SUMMARY = (
    "Der Bericht umfasst den Zeitraum von Juli 2009 bis März 2014 und beschreibt, was in "
    "dieser Zeit getan wurde oder getan wird."
)

# What the records know and a reader need not: numbers of measures ("3.1.3", "5.8"),
# an office's label ("51 – Jugendamt"), words of the database and of the software.
INTERNAL_NUMBER = re.compile(r"(?<![\d.])\d{1,2}\.\d{1,2}(?:\.\d{1,2})?(?![\d.])")
OFFICE_LABEL = re.compile(r"\b\d+ – [A-ZÄÖÜ]")
SOFTWARE_WORDS = ["Sammelmaßnahme", "Maßnahme", "Sachstand", "überfällig", "erfasst", "Zuordnung"]


def normalise(text):
    return re.sub(r"\s+", " ", text).replace(" )", ")").replace("( ", "(").strip()


def squash(text):
    """Text compared without spaces and hyphens: the PDF breaks lines and hyphenates."""
    return re.sub(r"[\s\u00ad-]+", "", text)


def _html_text(markup):
    return normalise(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)))


# The running title with the edition, and the foot with the page number.
FURNITURE = re.compile(r"(Entwurf – nicht veröffentlicht|Seite \d+ von \d+)$")


def _pdf_text(content):
    from pypdf import PdfReader

    lines = []
    for page in PdfReader(io.BytesIO(content)).pages:
        # In the order of the page: list markers stand outside the text, and are
        # drawn after it (report-print.css).
        text = page.extract_text(extraction_mode="layout")
        lines += [line for line in text.splitlines() if not FURNITURE.search(line)]
    return normalise(" ".join(lines))


def _docx_parts(content):
    """The document, and its paragraphs (style, text) and tables (a row as one text
    with its cells separated by spaces) in their order."""
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(content))
    parts = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            parts += [("table", " ".join(c.text for c in row.cells)) for row in block.rows]
        else:
            parts.append((block.style.name, block.text))
    return document, parts


def _docx_footnotes(content):
    """The texts of the DOCX's footnotes (its notes), in their order."""
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        root = etree.fromstring(archive.read("word/footnotes.xml"))
    return [
        "".join(t.text or "" for t in note.iter(f"{w}t"))
        for note in root.iter(f"{w}footnote")
        if note.get(f"{w}type") is None
    ]


@pytest.fixture(scope="module")
def documents(dresden_for_module, django_db_blocker):
    """The draft in the three formats, rendered once for the module."""
    with django_db_blocker.unblock():
        report = Report.objects.get(slug=SLUG)
        markup = render_html(report)
        pdf = render_pdf(report)
        docx = render_docx(report)
    document, paragraphs = _docx_parts(docx)
    body, _rule, notes = markup.partition('<section class="report-source-notes"')
    pdf_text = _pdf_text(pdf)
    pdf_body, _heading, pdf_notes = pdf_text.rpartition("Hinweise zu den Quellen")
    # the notes start after the paragraph that introduces them, at "1. "
    pdf_notes = pdf_notes[re.search(r"\. 1\. (?=\S)", pdf_notes).start() + 2 :]
    docx_body = [text for _style, text in paragraphs]
    at = docx_body.index("Hinweise zu den Quellen")
    return {
        "markup": markup,
        "document": document,
        "paragraphs": paragraphs,
        "text": {
            "html": _html_text(markup[markup.index("<article") :]),
            "pdf": pdf_text,
            "docx": normalise(" ".join(docx_body)),
        },
        "body": {
            "html": _html_text(body[body.index("<article") :]),
            "pdf": pdf_body,
            "docx": normalise(" ".join(docx_body[:at])),
        },
        "notes": {
            "html": [
                _html_text(item)
                for item in re.findall(r'<li id="source-note-\d+"[^>]*>(.*?)</li>', notes, re.S)
            ],
            "pdf": [
                normalise(note)
                for note in re.split(r"(?:^| )\d{1,2}\. (?=[A-ZÄÖÜ„])", pdf_notes)
                if note.strip()
            ],
            # the notes are footnotes (test_docx_equals_pdf.py)
            "docx": [normalise(t) for t in _docx_footnotes(docx)],
        },
    }


@pytest.mark.parametrize("format", FORMATS)
def test_amounts_and_examples_stand_in_the_sources_sentences(documents, format):
    text = squash(documents["text"][format])
    missing = [sentence for sentence in SENTENCES if squash(sentence) not in text]
    assert missing == []


@pytest.mark.parametrize("format", FORMATS)
def test_the_report_adds_no_heading_sentence_or_rewording_of_its_own(documents, format):
    text = documents["body"][format]
    assert [words for words in NOT_IN_THE_SOURCE if words in text] == []
    # "z. B." as often as the source writes it in what the report shows, "etc." kept
    assert text.count("z. B.") == 3 and "VHS, etc." in text


@pytest.mark.parametrize("format", FORMATS)
def test_computed_percentages_are_marked_as_the_reports_own(documents, format):
    text = documents["text"][format]
    assert "+6,1 %" in text and "+9,8 %" in text
    computed = [note for note in documents["notes"][format] if note.startswith("Veränderung")]
    assert len(computed) == 1
    assert "Die Quelle nennt keine Prozentwerte" in computed[0]


@pytest.mark.parametrize("format", FORMATS)
def test_notes_are_written_for_the_reader(documents, format):
    notes = documents["notes"][format]
    assert len(notes) == 6, notes
    for note in notes:
        assert not INTERNAL_NUMBER.search(note), note
        assert not OFFICE_LABEL.search(note), note
        assert [word for word in SOFTWARE_WORDS if word in note] == [], note
        # each thing said once
        assert note.count("Annahme") <= 1, note


@pytest.mark.parametrize("format", FORMATS)
def test_each_note_is_about_words_the_text_prints(documents, format):
    body = squash(documents["body"][format])
    for note in documents["notes"][format]:
        subject = note.split(": ", 1)[0].strip().removesuffix(" …")
        assert squash(subject) in body, note
    # the expansions the text does not print have no note
    text = " ".join(documents["notes"][format])
    for unprinted in ["101. Mittelschule", "Volkshochschule", "Eigenbetrieb Kinder", "Kulturamt"]:
        assert unprinted not in text, unprinted


def test_each_mark_in_the_html_leads_to_its_note(documents):
    body, _rule, notes = documents["markup"].partition('<section class="report-source-notes"')
    marks = [int(n) for n in re.findall(r'<a href="#source-note-(\d+)">', body)]
    assert sorted(set(marks)) == list(range(1, len(documents["notes"]["html"]) + 1))
    first = list(dict.fromkeys(marks))
    assert first == sorted(first), "numbered in the order they first appear"


def test_the_line_of_offices_leads_into_the_materials_rather_than_holding_them(documents):
    markup = documents["markup"]
    offices = "Jugendamt, Büro der INAUSLB, Büro der OB, Ordnungsamt"
    lead = re.search(r'<p class="report-lead"[^>]*>(.*?)</p>', markup, re.S).group(1)
    assert offices in html_lib.unescape(lead)
    # the materials are the list itself, not a list inside one bullet
    section = markup[markup.index('id="section-3"') : markup.index('id="section-4"')]
    listed = re.search(r'<ul class="report-measures">(.*?)</ul>', section, re.S).group(1)
    assert "<ul" not in listed and "Wegweiser" in listed
    assert not re.search(r"<li[^>]*>\s*" + re.escape(offices), html_lib.unescape(section))
    # the same in Word: a paragraph, then bullets of the first level
    styles = {text: style for style, text in documents["paragraphs"]}
    line = next(text for text in styles if text.startswith(offices))
    assert styles[line] == "Normal"
    assert styles["Dresden-Informationsflyer"] == "List Bullet"


def test_only_headings_the_source_prints_stand_in_sections_3_and_4(documents):
    headings = [text for style, text in documents["paragraphs"] if style == "Heading 2"]
    assert "Mehrsprachigkeit, Infomaterialien, Öffentlichkeitsarbeit" in headings
    assert "Büro der Integrations- und Ausländerbeauftragten" in headings
    for lacking in ["Fortbildung und Personal", "Konzeptionell", "Angebote, die Integration"]:
        assert not any(heading.startswith(lacking) for heading in headings), lacking
        assert f"<h3>{lacking}" not in documents["markup"]


@pytest.mark.parametrize("format", FORMATS)
def test_the_summary_reads_as_a_bureau_writes_it(documents, format):
    text = documents["text"][format]
    summary = text[text.index("Zusammenfassung") : text.index("Inhalt")]
    assert SUMMARY in summary
    assert "Umsetzungsstand" not in summary and "Einträge" not in summary
    for section, scope in SCOPES.items():
        assert f"{section} {scope}" in summary, (section, scope)


def test_the_overview_table_names_what_each_section_holds(documents):
    table = re.search(r'<table class="report-overview.*?</table>', documents["markup"], re.S)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td[^>]*>(.*?)</td>", table.group(0))
    assert {_html_text(s): _html_text(c) for s, c in rows} == SCOPES
    overview = documents["document"].tables[0]
    assert [c.text for c in overview.rows[0].cells] == ["Abschnitt", "Umfang"]
    cells = [[normalise(cell.text) for cell in row.cells] for row in overview.rows[1:]]
    assert dict(cells) == SCOPES


# The members' lines the source words itself (shared/seed, slide 3), which the report
# prints as recorded (Membership.report_wording) rather than composed from the seats,
# and what it composed instead; a line without a recorded wording is still composed.
SOURCE_MEMBER_LINES = [
    "Ausländerrat Dresden e. V./Vertreter des Ausländerbeirats",
    "BAMF",
    "VertreterInnen Ämter 15, 40, 42, 51, 53, 55",
    "AFROPA e. V. -Vertreter des Ausländerbeirats",
    "VertreterInnen Ämter 15, 33, 41, des OB-Bereiches",
]
COMPOSED_MEMBER_WORDS = [
    "und aus dem OB-Bereich",
    "VertreterInnen der Ämter 15, 33, 41",
    "VertreterInnen der Ämter 15, 40, 42, 51, 53, 55",
    "Bundesamt für Migration und Flüchtlinge",
    "AFROPA e. V. / Vertreter",
]
COMPOSED_MEMBER_LINES = [
    "VertreterInnen der Ämter 10, 15, 51, 80",
    "VertreterInnen der Ämter 50, 51, 53, 61",
]


def _member_items(documents, format):
    """The items of the members' lists as whole lines (HTML, DOCX); the PDF's text
    squashed, as its lines break."""
    if format == "html":
        lists = re.findall(r'<ul class="report-members">(.*?)</ul>', documents["markup"], re.S)
        return [
            _html_text(item)
            for block in lists
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)
        ]
    if format == "docx":
        return [
            normalise(text) for style, text in documents["paragraphs"] if style == "List Bullet"
        ]
    return None


@pytest.mark.parametrize("format", FORMATS)
def test_members_lines_keep_the_sources_wording(documents, format):
    items = _member_items(documents, format)
    if items is None:
        text = squash(documents["body"]["pdf"])
        assert [line for line in SOURCE_MEMBER_LINES if squash(line) not in text] == []
        assert [line for line in COMPOSED_MEMBER_LINES if squash(line) not in text] == []
        assert [words for words in COMPOSED_MEMBER_WORDS if squash(words) in text] == []
        return
    assert [line for line in SOURCE_MEMBER_LINES if line not in items] == []
    assert [line for line in COMPOSED_MEMBER_LINES if line not in items] == []
    text = documents["body"][format]
    assert [words for words in COMPOSED_MEMBER_WORDS if words in text] == []


@pytest.mark.django_db
def test_office_notes_name_the_sections_where_the_source_names_the_office(dresden):
    """An office's name and its number stand apart in the source; its note says where,
    and the report prints the name in exactly those sections."""
    report = Report.objects.get(slug=SLUG)
    text = _html_text(render_html(report)).rpartition("Hinweise zu den Quellen")[0]
    starts = [text.rindex(f"{n}. {s.title}") for n, s in enumerate(report.sections.all(), 1)]
    sections = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    checked = 0
    for office in Office.objects.filter(name_is_assumption=True):
        found = re.search(r"Namen „([^“]+)“ \(Abschnitte? ([^)]+)\)", office.source_note)
        if not found:
            continue
        name, named = found.groups()
        said = {int(n) for n in re.findall(r"\d+", named)}
        printed = {n for n, section in enumerate(sections[2:], 3) if name in section}
        assert said == printed, (office.code, said, printed)
        checked += 1
    assert checked >= 9


def test_a_long_subject_is_cut_where_its_quotation_marks_stay_paired():
    assert SourceNotes.shorten("Jugendamt, Büro der INAUSLB") == "Jugendamt, Büro der INAUSLB"
    words = (
        "Ein Projekt namens „Interkulturelle Begegnung in der Seniorenbegegnungsstätte Altstadt“"
    )
    cut = SourceNotes.shorten(f"{words} (Sozialamt)")
    assert cut == "Ein Projekt namens „Interkulturelle Begegnung in der Seniorenbegegnungsstätte“ …"

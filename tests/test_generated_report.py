"""The report of a generated municipality ("Musterstadt 1", which `make run` generates
beside Dresden with bench.scale_data.add_fictional_municipality) is published as the
bureau publishes it, in HTML, PDF and DOCX. Its shapes are not Dresden's: items with
the status "Daueraufgabe" (no progress, no number) and a funding table with a column
for each of six years and the change, wider than the page at the widths the DOCX
gave Dresden's table. The DOCX says the statuses in the report's language, in the
words of the HTML, and lays its tables out within the page."""

import functools
import html
import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from lxml import etree
from lxml import html as lxml_html

from bench.scale_data import add_fictional_municipality
from reports.exports import render_docx, render_html
from reports.models import Publication, Report

FONTS = Path(django_settings.BASE_DIR) / "static" / "fonts"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EMU_PER_POINT = 12700
# Word's own room at either side of a cell's text, where the table sets none.
WORD_CELL_MARGIN = 108 / 20  # points


def plain(text):
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture
def musterstadt(db):
    """The report of Musterstadt 1 as `make run` generates it (its default size)."""
    municipality = add_fictional_municipality(log=lambda *args: None)
    return Report.objects.get(concept__municipality=municipality)


def open_docx(content):
    from docx import Document

    return Document(io.BytesIO(content))


def docx_headings(document):
    """(level, text) of the title (0) and the headings, in their order."""
    found = []
    for paragraph in document.paragraphs:
        name = paragraph.style.name
        if name == "Title":
            found.append((0, plain(paragraph.text)))
        elif name.startswith("Heading "):
            found.append((int(name.split()[-1]), plain(paragraph.text)))
    return found


def html_headings(content):
    """The same from the HTML: its h1 is the title, h2 and h3 the levels below."""
    root = lxml_html.fromstring(content)
    return [
        (int(element.tag[1]) - 1, plain(element.text_content()))
        for element in root.iter("h1", "h2", "h3")
    ]


def docx_statuses(document):
    """The statuses that close an item's first line: "[in Umsetzung, 80 %]"."""
    return [
        plain(match[0])
        for paragraph in document.paragraphs
        if (match := re.search(r"\[[^\[\]]*\]$", paragraph.text))
    ]


def html_statuses(content):
    return [
        plain(html.unescape(text))
        for text in re.findall(r'<span class="report-status">(.*?)</span>', content)
    ]


def test_the_bureau_publishes_the_report_of_a_generated_municipality(client, musterstadt):
    bureau = get_user_model().objects.get(username="buero-musterstadt-1")
    client.force_login(bureau)
    url = reverse("reports:report_publish", args=[musterstadt.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": "Vorlage Beirat", "confirm": "on"})
    assert response.status_code == 302

    # The worker (at once in tests) rendered all three, or the publication failed.
    publication = Publication.objects.get(report=musterstadt)
    assert publication.state == Publication.State.DONE
    version = publication.version
    page = bytes(version.html).decode()
    assert bytes(version.pdf).startswith(b"%PDF")
    document = open_docx(bytes(version.docx))
    headings = docx_headings(document)
    assert headings == html_headings(page)
    assert (1, "5. Förderung") in headings


def test_the_docx_says_each_status_as_the_html_does(musterstadt):
    document = open_docx(render_docx(musterstadt))
    shown = docx_statuses(document)
    # An ongoing task has no progress, and an item of one measure no number.
    assert "[Daueraufgabe]" in shown
    assert "[in Umsetzung, 80 %]" in shown
    assert shown == html_statuses(render_html(musterstadt))


def test_the_statuses_are_in_english_when_the_report_is(musterstadt, settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("de"):
        # The words are the report's, not those of whoever asked for the file.
        shown = docx_statuses(open_docx(render_docx(musterstadt)))
        assert shown == html_statuses(render_html(musterstadt))
    assert "[ongoing task]" in shown
    assert not any("Daueraufgabe" in status or "Umsetzung" in status for status in shown)


@functools.cache
def noto_sans(bold):
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / f"noto-sans-latin-{700 if bold else 400}-normal.ttf")
    return font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm


def set_width(text, size, bold=False):
    """The width in points of ``text`` set in the report's typeface."""
    cmap, metrics, units = noto_sans(bold)
    return sum(metrics[cmap[ord(character)]][0] for character in text) / units * size


def qn(name):
    return f"{{{W}}}{name}"


def cell_margins(table):
    """(left, right) room of the table's cells in points."""
    margins = table._tbl.tblPr.find(qn("tblCellMar"))
    if margins is None:
        return WORD_CELL_MARGIN, WORD_CELL_MARGIN
    return tuple(int(margins.find(qn(side)).get(qn("w"))) / 20 for side in ("left", "right"))


def text_width(document):
    section = document.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / EMU_PER_POINT


def test_the_funding_table_fits_the_page_and_its_figures_their_columns(musterstadt):
    document = open_docx(render_docx(musterstadt))
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text == "Förderung"]
    # The shape the DOCX could not lay out: a column for each year and the change.
    assert [cell.text for cell in table.rows[0].cells][1:] == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
        "Veränderung",
    ]
    widths = [column.width / EMU_PER_POINT for column in table.columns]
    assert all(width > 0 for width in widths)
    assert sum(widths) <= text_width(document) + 1
    # Word follows the cells' widths, LibreOffice the grid's: both the same.
    for column, width in zip(table.columns, widths, strict=True):
        assert {round(cell.width / EMU_PER_POINT) for cell in column.cells} == {round(width)}
    left, right = cell_margins(table)
    for index, column in enumerate(table.columns):
        if index == 0:
            continue
        for row, cell in enumerate(column.cells):
            (paragraph,) = cell.paragraphs
            size = paragraph.runs[0].font.size.pt
            assert size >= 7
            # A figure ("ca. 243.000 €") is never broken between its digits or signs.
            needed = set_width(paragraph.text, size, bold=row == 0) + left + right
            assert needed <= widths[index], (cell.text, needed, widths[index])


def test_a_table_with_more_columns_than_the_page_holds_is_shared_out():
    from docx import Document

    from reports.docx_writer import _table

    document = Document()
    years = [str(year) for year in range(2009, 2025)]
    rows = [["Förderung interkultureller Arbeit", *["ca. 245.600 €"] * len(years)]]
    table = _table(document, "Beträge", ["Förderung", *years], rows, notes=None)
    widths = [column.width / EMU_PER_POINT for column in table.columns]
    assert all(width > 0 for width in widths)
    assert sum(widths) <= text_width(document) + 1


def test_a_table_stays_within_the_narrower_page_of_a_template():
    from docx import Document
    from docx.shared import Cm

    from reports.docx_writer import _table

    document = Document()
    section = document.sections[-1]
    section.page_width, section.page_height = Cm(14.8), Cm(21)  # A5
    section.left_margin = section.right_margin = Cm(2)
    header = ["Abschnitt", "Umfang", "Umsetzungsstand im Zeitraum"]
    rows = [["3. Interkulturelle Orientierung und Öffnung", "12 Maßnahmen", "umgesetzt: 3"]]
    table = _table(document, "Übersicht", header, rows, None, len(header), 5.5)
    widths = [column.width / EMU_PER_POINT for column in table.columns]
    assert all(width > 0 for width in widths)
    assert sum(widths) <= text_width(document) + 1
    # no column narrower than its longest word
    for column, width in zip(table.columns, widths, strict=True):
        for cell in column.cells:
            size = cell.paragraphs[0].runs[0].font.size.pt
            longest = max(set_width(word, size, bold=True) for word in cell.text.split())
            assert longest < width


def test_the_tables_cell_margins_stand_where_words_schema_puts_them(musterstadt):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(render_docx(musterstadt))) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    order = ["tblStyle", "tblW", "tblLayout", "tblCellMar", "tblLook"]
    for properties in body.iter(qn("tblPr")):
        names = [etree.QName(child).localname for child in properties]
        assert "tblCellMar" in names
        assert [name for name in order if name in names] == [n for n in names if n in order]

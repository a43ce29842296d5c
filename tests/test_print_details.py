"""Print details of the report (issue 21, item 7): hyphenation only where it helps,
no line break inside "(101. MS)" or before the dash of a period, notes on the sources
whole on one page, list items tagged with label and body, contents that list what the
bookmarks list, a title page that says "Entwurf" or "Fassung n vom …", versions named
by their publisher's full name, and an HTML document that carries its stylesheet and
fonts."""

import base64
import datetime
import io
import re

import pytest
from django.urls import reverse

from reports.exports import PRINT_CSS, font_faces, local_fetcher, render_html, render_pdf
from reports.models import PublishedVersion, Report

from .factories import UserFactory

SLUG = "umsetzungsbericht-2009-2014"
NBSP = "\u00a0"


def report():
    return Report.objects.select_related("concept__municipality", "issued_by").get(slug=SLUG)


@pytest.fixture(scope="module")
def draft(dresden_for_module, django_db_blocker):
    """The Dresden draft as HTML and as PDF (pypdf's reader), typeset once."""
    from pypdf import PdfReader

    with django_db_blocker.unblock():
        html = render_html(report())
        pdf = render_pdf(report(), html=html)
    return html, PdfReader(io.BytesIO(pdf))


def pages_text(reader):
    # pypdf keeps non-breaking spaces (pdftotext turns them into spaces).
    return [page.extract_text() for page in reader.pages]


def squash(text):
    return re.sub(r"\s+", " ", text.replace(NBSP, " "))


@pytest.mark.usefixtures("dresden")
def test_no_line_break_before_the_dash_of_a_period_or_inside_an_ordinal(draft):
    html, reader = draft
    text = "\n".join(pages_text(reader))
    for together in [
        f"Zeitraum Juli{NBSP}2009{NBSP}– März{NBSP}2014",
        f"(101.{NBSP}MS)",
        f"16.{NBSP}Dezember{NBSP}2014",
    ]:
        assert together in text, together
        assert together in html, together


@pytest.mark.usefixtures("dresden")
def test_only_long_words_are_hyphenated_and_never_on_consecutive_lines(draft):
    _html, reader = draft
    hyphenated = []
    for page in pages_text(reader):
        lines = page.splitlines()
        for number, (line, following) in enumerate(zip(lines, lines[1:], strict=False)):
            # "Integrations- und …" is a word of its own; a hyphenation goes on in
            # lower case on the next line.
            end, start = re.search(r"(\w+)-$", line), re.match(r"([a-zäöüß]\w*)", following)
            if end and start:
                hyphenated.append((number, end[1], start[1]))
    assert hyphenated, "the report has long words to hyphenate (or the test reads nothing)"
    for _number, left, right in hyphenated:
        # "Novem-ber", "Bei-spiel", "Sach-sens" stay whole.
        assert len(left + right) >= 10 and len(left) >= 4 and len(right) >= 4, (left, right)
    numbers = [number for number, _left, _right in hyphenated]
    assert not any(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False)), hyphenated


def _struct_children(node):
    kids = node.get("/K")
    kids = kids if isinstance(kids, list) else [kids]
    result = []
    for kid in kids:
        if hasattr(kid, "get_object"):
            kid = kid.get_object()
            if hasattr(kid, "get") and kid.get("/S"):
                result.append(kid)
    return result


@pytest.mark.usefixtures("dresden")
def test_every_list_item_is_tagged_with_a_body_and_bullets_with_a_label(draft):
    _html, reader = draft
    items, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        children = _struct_children(node)
        if node.get("/S") == "/LI":
            items.append([str(child["/S"]) for child in children])
        stack.extend(children)
    assert len(items) > 100
    assert all("/LBody" in item for item in items), [i for i in items if "/LBody" not in i]
    # A bulleted or numbered item: its label, then its body (the contents list has
    # no markers, so no label).
    labelled = [item for item in items if "/Lbl" in item]
    assert len(labelled) > 90
    assert all(item == ["/Lbl", "/LBody"] for item in labelled), labelled


@pytest.mark.usefixtures("dresden")
def test_contents_list_what_the_bookmarks_list(draft):
    _html, reader = draft
    contents_page = next(text for text in pages_text(reader) if "Inhalt" in text)
    contents = squash(contents_page)

    def titles(outline):
        for entry in outline:
            if isinstance(entry, list):
                yield from titles(entry)
            else:
                yield squash(entry.title).strip()

    bookmarks = [t for t in titles(reader.outline) if t not in ("Zusammenfassung", "Inhalt")]
    assert "Hinweise zu den Quellen" in bookmarks
    assert "FAG 1: Wirtschaft, Arbeit, Berufsausbildung" in bookmarks
    for title in bookmarks:
        assert title in contents, title
    # each with its page number
    assert re.search(r"Hinweise zu den Quellen \.+ \d+", contents)


@pytest.mark.usefixtures("dresden")
def test_title_page_says_draft_or_which_version_in_an_administrations_words(draft):
    html, reader = draft
    title_page = pages_text(reader)[0]
    assert "Entwurf" in title_page
    for notice in ("Datenstand", "erzeugt", "veröffentlichte Fassung"):
        assert notice not in title_page, notice

    edition = PublishedVersion(
        report=report(),
        number=2,
        published_at=datetime.datetime(2014, 12, 16, 10, tzinfo=datetime.UTC),
    )
    published = render_html(report(), edition=edition)
    mark = re.search(r'<p class="edition-mark"[^>]*>([^<]*)</p>', published)[1]
    assert mark == f"Fassung 2 vom 16.{NBSP}Dezember{NBSP}2014"
    assert "bleibt unverändert" not in published and "Veröffentlichte Fassung" not in published


@pytest.mark.usefixtures("dresden")
def test_downloaded_html_carries_its_stylesheet_and_fonts(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(reverse("reports:report_download", args=[SLUG, "html"]))
    assert response.status_code == 200
    html = response.content.decode()
    # Nothing it needs is fetched: no stylesheet link, no font file beside it.
    assert "<link" not in html and "/static/" not in html and "../fonts/" not in html
    faces = re.findall(r"@font-face \{[^}]*\}", html)
    assert faces and all('url("data:font/woff2;base64,' in face for face in faces)
    fonts = re.findall(r"data:font/woff2;base64,([A-Za-z0-9+/=]+)", html)
    assert all(base64.b64decode(font).startswith(b"wOF2") for font in fonts)
    # Opened in a browser: margins and a readable line length.
    assert "max-width: 70ch" in html and "@media screen" in html


def test_the_document_carries_only_the_faces_its_text_needs():
    latin = font_faces("Umsetzungsbericht 2014")
    assert latin.count("@font-face") == 3  # regular, bold, italic
    assert "DejaVu" not in latin
    # an arrow (DejaVu's signs) and a Polish letter (Latin Extended)
    wider = font_faces("LHD → Ansprache, Łódź")
    assert wider.count("@font-face") == 7


def test_a_note_on_the_sources_is_not_split_over_two_pages():
    """The report's stylesheet with a note that starts three lines above the foot of a
    page: it moves to the next page as a whole."""
    from weasyprint import HTML

    note = "Die Quelle schreibt etwas anderes, als der Bericht daraus macht. " * 12
    document = HTML(
        string=(
            f"<html lang='de'><style>{PRINT_CSS.read_text(encoding='utf-8')}</style>"
            "<body><div style='height: 23.6cm'></div>"
            f"<section class='report-source-notes'><ol class='source-note-list'>"
            f"<li id='source-note-1'>{note}</li></ol></section></body></html>"
        ),
        url_fetcher=local_fetcher(),
    ).render()

    def pages_with(element_id):
        def holds(box):
            if getattr(box, "element", None) is not None and box.element.get("id") == element_id:
                return True
            return any(holds(child) for child in getattr(box, "children", []))

        return [number for number, page in enumerate(document.pages) if holds(page._page_box)]

    assert pages_with("source-note-1") == [1]


def test_versions_name_their_publisher_by_full_name(client, admin_user, dresden):
    publisher = UserFactory(username="bbrandt", first_name="Birgit", last_name="Brandt")
    version = PublishedVersion.objects.create(
        report=report(),
        number=1,
        published_at=datetime.datetime(2014, 12, 16, 10, tzinfo=datetime.UTC),
        published_by=publisher,
        html=b"<p>Fassung 1</p>",
        html_sha256="0" * 64,
        pdf=b"%PDF-1.7",
        pdf_sha256="0" * 64,
    )
    assert version.publisher_name() == "Birgit Brandt"
    client.force_login(admin_user)
    for url in (
        reverse("admin:reports_publishedversion_changelist"),
        reverse("admin:reports_publishedversion_change", args=[version.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Birgit Brandt" in page, url
    nameless = UserFactory(username="kwolf", first_name="", last_name="")
    assert PublishedVersion(published_by=nameless).publisher_name() == "kwolf"

"""The Dresden implementation report rendered from the records."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry
from reports.models import Report, ReportSection

from .budgets import REQUEST
from .data.report_facts import FORBIDDEN, HEADER, ORDERS, SECTIONS
from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")

URL = reverse("reports:report_detail", args=["umsetzungsbericht-2009-2014"])


def text_of(response):
    """The page as a reader sees it: tags removed, entities and spaces normalised."""
    content = response.content.decode()
    content = content[content.index("<article") :]
    content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", html.unescape(content)).replace(" )", ")").replace("( ", "(")


def test_report_html_holds_every_fact_of_the_seed_in_order(client, bureau_user):
    client.force_login(bureau_user)
    text = text_of(client.get(URL))
    for fact in HEADER:
        assert fact in text, fact
    starts = [text.rindex(heading) for heading, _facts in SECTIONS]  # after the contents
    assert starts == sorted(starts), "sections in the seed's order"
    bounds = [*starts[1:], len(text)]
    for (heading, facts), start, end in zip(SECTIONS, starts, bounds, strict=True):
        section = text[start:end]
        missing = [fact for fact in facts if fact not in section]
        assert missing == [], (heading, missing)


def approve(measure, reviewer, status, progress, as_of):
    return StatusEntryFactory(
        measure=measure,
        status=status,
        progress=progress,
        reviewer=reviewer,
        as_of=as_of,
        state=StatusEntry.State.APPROVED,
    )


def test_an_item_shows_a_status_only_from_an_approved_entry_in_the_period(client, bureau_user):
    ReportSection.objects.filter(number="4").update(shows_statuses=True)
    measure = Measure.objects.get(number="4.2.5")
    client.force_login(bureau_user)
    item = "START-Stipendienprogramm weitergeführt"
    assert not text_of(client.get(URL)).split(item)[1].startswith(" [")  # no status yet
    approve(measure, bureau_user, Status.IN_PREPARATION, None, datetime.date(2013, 6, 1))
    before = text_of(client.get(URL))
    assert f"{item} [in Vorbereitung]" in before  # no percentage where none was recorded
    approve(measure, bureau_user, Status.COMPLETED, 100, datetime.date(2014, 6, 1))
    measure.refresh_from_db()
    assert measure.current_status == Status.COMPLETED  # the live status did change
    assert text_of(client.get(URL)) == before
    approve(measure, bureau_user, Status.IN_PROGRESS, 40, datetime.date(2014, 1, 1))
    assert f"{item} [in Umsetzung, 40 %]" in text_of(client.get(URL))


def test_a_section_that_shows_no_statuses_shows_none(client, bureau_user):
    """The Dresden sections show no status: the seed gives none. An approved entry
    changes nothing until the bureau switches statuses on for the section."""
    measure = Measure.objects.get(number="4.2.5")
    approve(measure, bureau_user, Status.COMPLETED, 100, datetime.date(2013, 6, 1))
    client.force_login(bureau_user)
    text = text_of(client.get(URL))
    assert "[umgesetzt" not in text and "Umsetzungsstand im Zeitraum" not in text
    assert "Umsetzungsstand" not in text.split("Inhalt")[0], "the summary says nothing of it"
    ReportSection.objects.filter(number="4").update(shows_statuses=True)
    text = text_of(client.get(URL))
    assert "START-Stipendienprogramm weitergeführt [umgesetzt, 100 %]" in text
    assert "Umsetzungsstand im Zeitraum" in text and "umgesetzt: 1" in text
    assert "Wo er einen Umsetzungsstand nennt, ist es der Stand zum 31. März 2014." in text


def test_an_item_for_several_measures_gives_each_status_with_its_number(client, bureau_user):
    ReportSection.objects.filter(number="4").update(shows_statuses=True)
    approve(
        Measure.objects.get(number="4.2.7"),
        bureau_user,
        Status.IN_PREPARATION,
        None,
        datetime.date(2013, 6, 1),
    )
    client.force_login(bureau_user)
    text = text_of(client.get(URL))
    assert "Vorbereitung Buddhistisches Gräberfeld [4.2.7: in Vorbereitung]" in text
    assert text.count("Buddhistisches Gräberfeld") == 1


def test_report_says_nothing_the_seed_does_not_and_nothing_twice(client, bureau_user):
    client.force_login(bureau_user)
    text = text_of(client.get(URL))
    assert [phrase for phrase in FORBIDDEN if phrase in text] == []


@pytest.mark.parametrize("heading", list(ORDERS))
def test_report_keeps_the_seeds_order_of_members_and_offices(client, bureau_user, heading):
    client.force_login(bureau_user)
    text = text_of(client.get(URL))
    position = text.rindex(heading)
    for entry in ORDERS[heading]:
        found = text.index(entry, position)
        assert found >= position, entry
        position = found + len(entry)


def test_report_marks_what_does_not_come_from_the_seed(client, bureau_user):
    client.force_login(bureau_user)
    content = html.unescape(client.get(URL).content.decode())
    notes = content[content.index('id="source-notes"') :]
    # a correction, a reading of the source's layout, a computed figure: each with its
    # note, which gives the source's wording
    assert "Die Quelle schreibt „Broschüren der Wirtschaftsförderung - englisch)“" in notes
    assert "In der Quelle steht „Ordnungsamt“ ohne Klammern" in notes
    assert "Die Quelle nennt keine Prozentwerte" in notes
    assert content.count('class="source-mark"') >= 6
    # the members' lines print the source's own words ("BAMF", "… des OB-Bereiches"):
    # nothing to note on them
    assert "BAMF" not in notes and "OB-Bereich" not in notes
    # Amt 41 is named as the seed names it; that it is the Kulturamt is never said
    assert "durch das Amt\u00a041" in content and "41 Kulturamt" not in content


def test_report_keeps_numbers_and_dates_together(client, bureau_user):
    client.force_login(bureau_user)
    content = html.unescape(client.get(URL).content.decode())
    for together in [
        "1.\u00a0Juli\u00a02009",
        "140.600\u00a0€",
        "+6,1\u00a0%",
        "16.\u00a0Dezember\u00a02014",
    ]:
        assert together in content, together


@pytest.mark.parametrize("user_fixture", ["office_staff"])
def test_staff_cannot_open_the_report(request, client, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(URL).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_bureau_reads_the_draft_report_marked_as_draft(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Entwurf" in response.content.decode()


@pytest.mark.parametrize("extra", [3, 300])
def test_report_queries_do_not_grow_with_measures(
    client, bureau_user, django_assert_num_queries, extra
):
    report = Report.objects.get(slug="umsetzungsbericht-2009-2014")
    topic = report.sections.get(number="3").topics.first().children.first()
    for measure in MeasureFactory.create_batch(extra, concept=report.concept, topic=topic):
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    client.force_login(bureau_user)
    # session, user, roles, report, sections (+ topics), measures as of the end
    # (+ partner offices, organisations, languages, indicators, values), topics,
    # funding lines (+ amounts, areas), groups (+ memberships), needs, action plan,
    # provisions, published versions, a publication under way, latest draft exports
    # and the concept's version they are compared with: the same for 3 and 300 more
    # measures
    with django_assert_num_queries(REQUEST + 22):
        assert client.get(URL).status_code == 200


def _normalise(text):
    return re.sub(r"\s+", " ", text).replace(" )", ")").replace("( ", "(")


def pdf_text(content):
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    # Page furniture (the running title and page numbers) is left out of the flow.
    pages = []
    for page in reader.pages:
        lines = page.extract_text().splitlines()
        pages.append(" ".join(line for line in lines if not line.startswith("Seite ")))
    return reader, _normalise(" ".join(pages))


def docx_text(content):
    import io

    from docx import Document

    document = Document(io.BytesIO(content))
    parts = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in block.iter():
                if row.tag.endswith("}tr"):
                    cells = [
                        "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                        for cell in row.iter()
                        if cell.tag.endswith("}tc")
                    ]
                    parts.append(" / ".join(c for c in cells if c))
    return document, _normalise(" ".join(parts))


def assert_facts_in_order(text, squash=False):
    """Every fact in its section, sections in order. With ``squash``, whitespace is
    ignored: a PDF breaks lines after dashes and hyphens."""

    def norm(value):
        if not squash:
            return value
        # the PDF hyphenates German words at line ends ("Oberbürger- meisterin"); the
        # same rule applied to the facts keeps "Haupt- und" comparable
        value = re.sub(r"(?<=[a-zäöüß])- (?=[a-zäöüß])", "", value)
        return re.sub(r"\s+", "", value)

    text = norm(text)
    for fact in HEADER:
        assert norm(fact) in text, fact
    starts = [text.rindex(norm(heading)) for heading, _facts in SECTIONS]  # after contents
    assert starts == sorted(starts), "sections in the seed's order"
    bounds = [*starts[1:], len(text)]
    for (heading, facts), start, end in zip(SECTIONS, starts, bounds, strict=True):
        section = text[start:end]
        missing = [fact for fact in facts if norm(fact) not in section]
        assert missing == [], (heading, missing)


def test_pdf_holds_every_fact_with_bookmarks_page_numbers_and_tags():
    from reports.exports import render_pdf

    reader, text = pdf_text(render_pdf(Report.objects.get(slug="umsetzungsbericht-2009-2014")))
    assert_facts_in_order(text, squash=True)
    assert "Entwurf" in text

    def flatten(outline):
        for item in outline:
            yield from flatten(item) if isinstance(item, list) else [item.title]

    titles = [title.replace("\u00a0", " ") for title in flatten(reader.outline)]
    for heading, _facts in SECTIONS:
        assert heading in titles
    first = reader.pages[1].extract_text()
    assert re.search(r"Seite 2 von \d+", first)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "de" and "/StructTreeRoot" in root


def test_docx_holds_every_fact_with_one_heading_per_section():
    from reports.exports import render_docx

    document, text = docx_text(render_docx(Report.objects.get(slug="umsetzungsbericht-2009-2014")))
    assert_facts_in_order(text)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Zusammenfassung", "Inhalt"] + [heading for heading, _facts in SECTIONS] + [
        "Hinweise zu den Quellen"
    ]
    assert any(p.style.name.startswith("List Bullet") for p in document.paragraphs)
    assert document.tables


def test_docx_is_a4_with_page_numbers_contents_properties_and_sober_styles():
    from docx.shared import Cm

    from reports.exports import render_docx

    content = render_docx(Report.objects.get(slug="umsetzungsbericht-2009-2014"))
    document, _text = docx_text(content)
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.1)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.1)
    footer = section.footer.paragraphs[0]._p.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    body = document.element.body.xml
    assert " PAGEREF _Section1 " in body, "contents with page numbers"
    properties = document.core_properties
    assert (
        properties.title
        == "Umsetzung des Konzeptes zur Integration von Migrantinnen und Migranten 2009"
    )
    assert properties.author == "Integrations- und Ausländerbeauftragte"
    assert properties.language == "de-DE"
    for name in ["Title", "Heading 1", "Heading 2"]:
        assert str(document.styles[name].font.color.rgb) == "1A1A1A", name
    # members are a list in the source's order, not a table with an empty role column
    headers = [table.rows[0].cells[0].text for table in document.tables]
    assert "Mitglied" not in headers
    assert "Rolle<" not in body


def test_pdf_rendering_needs_no_network(monkeypatch):
    import socket

    from reports.exports import render_pdf

    def refuse(*args, **kwargs):
        raise AssertionError("network access while rendering")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert render_pdf(Report.objects.get(slug="umsetzungsbericht-2009-2014")).startswith(b"%PDF")


def test_remote_resources_are_refused():
    from reports.exports import local_fetcher

    with pytest.raises(ValueError, match="disallowed protocol"):
        local_fetcher().fetch("https://cdn.example.org/font.woff2")


@pytest.mark.parametrize("extra", [3, 300])
def test_pdf_queries_do_not_grow_with_measures(django_assert_num_queries, extra):
    from reports.exports import render_pdf

    report = Report.objects.select_related(
        "concept__municipality", "presented_to", "issued_by"
    ).get(slug="umsetzungsbericht-2009-2014")
    topic = report.sections.get(number="3").topics.first().children.first()
    for measure in MeasureFactory.create_batch(extra, concept=report.concept, topic=topic):
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    # the report's records as on its page, and the municipality's report design
    with django_assert_num_queries(19):
        render_pdf(report)


@pytest.mark.parametrize("format", ["pdf", "docx", "html"])
def test_bureau_downloads_the_draft(client, bureau_user, format):
    client.force_login(bureau_user)
    if format != "html":
        # PDF and DOCX are rendered by a background task (immediate in tests).
        client.post(reverse("reports:report_export", args=["umsetzungsbericht-2009-2014", format]))
    url = reverse("reports:report_download", args=["umsetzungsbericht-2009-2014", format])
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("role", ["office_staff", "council_member"])
@pytest.mark.parametrize("format", ["pdf", "docx", "html"])
def test_only_the_bureau_downloads_the_draft(request, client, role, format):
    """Drafts are for the bureau: the council reads published versions."""
    client.force_login(request.getfixturevalue(role))
    url = reverse("reports:report_download", args=["umsetzungsbericht-2009-2014", format])
    assert client.get(url).status_code == 403


def test_export_report_command_writes_each_format(tmp_path):
    from django.core.management import CommandError, call_command

    for format, magic in [("pdf", b"%PDF"), ("docx", b"PK"), ("html", b"<!DOCTYPE html>")]:
        target = tmp_path / f"bericht.{format}"
        call_command(
            "export_report",
            "umsetzungsbericht-2009-2014",
            "--format",
            format,
            "--output",
            str(target),
        )
        assert target.read_bytes().startswith(magic)
    with pytest.raises(CommandError, match="No report"):
        call_command("export_report", "gibt-es-nicht", "--output", str(tmp_path / "x"))

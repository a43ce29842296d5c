"""The report as a document that looks official: a title page as the source's first
slide (municipality, issuer, title, period, occasion), German typography that keeps
numbers with their units and dates together, page numbers in the report's language,
and a DOCX that starts the same way."""

import io
import re

import pytest
from django.utils import translation

from reports.exports import render_docx, render_html, render_pdf
from reports.models import Report

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
TITLE = "Umsetzung des Konzeptes zur Integration von Migrantinnen und Migranten 2009"


def report():
    return Report.objects.select_related("concept__municipality", "issued_by").get(slug=SLUG)


def pdf_pages(content):
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def squash(text):
    """Lines joined with spaces; non-breaking spaces stay (str.split would take them)."""
    return re.sub(r"[ \n]+", " ", text)


@pytest.fixture(scope="module")
def german_pdf(django_db_blocker, django_db_setup):
    """One rendering for the tests that only read the German PDF."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            call_command("loaddata", "dresden_2009_2014", verbosity=0)
            pages = pdf_pages(render_pdf(report()))
            transaction.set_rollback(True)
    return pages


def test_the_title_page_is_the_sources_first_slide(german_pdf):
    title_page = squash(german_pdf[0])
    for words in [
        "Landeshauptstadt Dresden",
        "Integrations- und Ausländerbeauftragte",
        TITLE,
        # the dash of the period never starts a line
        "Zeitraum Juli\u00a02009\u00a0– März\u00a02014",
        "Beratung des Ausländerbeirates Dresden am 16.\u00a0Dezember\u00a02014",
    ]:
        assert words in title_page, words
    # The letterhead is not hyphenated ("Ausländerbeauf-tragte"), and the title page
    # has neither a running title nor a page number.
    assert "Ausländerbeauf-" not in german_pdf[0]
    assert "Seite 1 von" not in german_pdf[0]
    assert "Zusammenfassung" not in german_pdf[0], "the summary starts on a page of its own"
    assert german_pdf[1].lstrip().startswith("Zusammenfassung")


def test_every_later_page_has_the_running_title_and_its_number(german_pdf):
    total = len(german_pdf)
    for number, text in enumerate(german_pdf[1:], start=2):
        assert TITLE in squash(text), number
        assert f"Seite {number} von {total}" in text, number


def test_numbers_units_and_dates_stay_together_in_the_pdf(german_pdf):
    text = "\n".join(german_pdf)
    for together in [
        "1.\u00a0Juli\u00a02009",
        "140.600\u00a0€",
        "149.200\u00a0€",
        "+6,1\u00a0%",
        "Amt\u00a041",
        "16.\u00a0Dezember\u00a02014",
    ]:
        assert together in text, together
    # German quotation marks as the source has them
    assert "„Lesestark!“" in text


def test_html_keeps_numbers_together_and_asks_for_german_hyphenation():
    html = render_html(report())
    assert '<html lang="de">' in html
    assert "hyphens: auto" in html
    for together in ["140.600\u00a0€", "1.\u00a0Juli\u00a02009", "Amt\u00a041"]:
        assert together in html, together


def test_page_numbers_and_language_follow_the_report_language(settings):
    settings.LANGUAGE_CODE = "en"
    content = render_pdf(report())
    pages = pdf_pages(content)
    assert re.search(r"Page 2 of \d+", pages[1])
    assert "Seite" not in pages[1]
    assert '<html lang="en">' in render_html(report())

    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(content)).trailer["/Root"]["/Lang"] == "en"
    with translation.override("de"):
        # The words are the report's, not those of whoever asked for the file.
        assert "Page 2 of" in pdf_pages(render_pdf(report()))[1]


def test_docx_title_page_then_summary_on_the_next_page():
    from docx import Document

    document = Document(io.BytesIO(render_docx(report())))
    paragraphs = document.paragraphs
    summary = next(i for i, p in enumerate(paragraphs) if p.text == "Zusammenfassung")
    title_page = "\n".join(p.text for p in paragraphs[:summary])
    for words in [
        "Landeshauptstadt Dresden",
        "Integrations- und Ausländerbeauftragte",
        TITLE,
        "Zeitraum Juli 2009\u00a0– März 2014",
        "Beratung des Ausländerbeirates Dresden am 16.\u00a0Dezember\u00a02014",
    ]:
        assert words in title_page.replace("Juli\u00a02009", "Juli 2009").replace(
            "März\u00a02014", "März 2014"
        ), words
    assert [p for p in paragraphs[:summary] if p.style.name == "Title"]
    assert 'w:type="page"' in paragraphs[summary - 1]._p.xml, "a page break before the summary"
    assert document.core_properties.author == "Integrations- und Ausländerbeauftragte"

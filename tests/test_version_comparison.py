"""“What has changed since the last report?”: a published version compared with the
previous published version of the same report (or the draft with the latest version),
section by section, in the report's own words, from what each version stored when it
was published (its HTML and statuses), never from today's records."""

import datetime
import hashlib
import re

import pytest
from django.urls import reverse

from measures.models import FundingAmount, Measure, Status, StatusEntry, Topic
from reports.comparison import compare, read, status_changes, status_snapshot, word_diff
from reports.exports import render_html
from reports.models import PublishedVersion, Report, ReportSection
from working_groups.versions import concepts_changed

from .budgets import REQUEST
from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
SECTION_4 = "4. Leistungen: konzeptionell, i.\u00a0R. Aufgabenerfüllung"
SECTION_5 = "5. Förderung"
# Measure 4.2.2 as the report prints it (the report never prints "4.2.2").
JUGENDINFO = (
    "Integration als Thema im JugendInfoService (Jugendamt) zwecks fachbezogener Netzwerksarbeit"
)


def report():
    return Report.objects.get(slug=SLUG)


def edition(number):
    return PublishedVersion(
        number=number, published_at=datetime.datetime(2014, 12, number, 10, tzinfo=datetime.UTC)
    )


def freeze(number, author, statuses="snapshot", html=None):
    """A published version as publishing stores it (its HTML rendered as publishing
    renders it, its statuses), without typesetting a PDF."""
    if html is None:
        html = render_html(report(), edition=edition(number)).encode()
    return PublishedVersion.objects.create(
        report=report(),
        number=number,
        published_at=edition(number).published_at,
        published_by=author,
        html=html,
        html_sha256=hashlib.sha256(html).hexdigest(),
        pdf=b"%PDF-1.7",
        pdf_sha256=hashlib.sha256(b"%PDF-1.7").hexdigest(),
        statuses=status_snapshot(report()) if statuses == "snapshot" else statuses,
    )


def approve(number, status, progress, as_of=datetime.date(2013, 6, 1)):
    return StatusEntryFactory(
        measure=Measure.objects.get(number=number),
        status=status,
        progress=progress,
        as_of=as_of,
        state=StatusEntry.State.APPROVED,
    )


def changed(record):
    """A record saved as the bureau's edit saves it: what readers see has changed."""
    record.save()
    concepts_changed(report().concept_id)


def compare_url(number):
    return reverse("reports:version_compare", args=[SLUG, number])


def main(response):
    """The page's own content, without the site's navigation."""
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def by_section(comparison):
    return {section.heading: section.changes for section in comparison.sections}


def the_items_scenario():
    """Between two versions: an amount, a wording and a section's introduction
    changed and an entry approved (issue 21, item 5)."""
    amount = FundingAmount.objects.get(amount=149200)
    amount.amount = 150000
    changed(amount)
    start = Measure.objects.get(number="4.2.5")
    start.report_wording = "START-Stipendienprogramm fortgeführt und erweitert"
    changed(start)
    section = ReportSection.objects.get(report=report(), number="4")
    section.text = "Die Ämter berichten über ihre Leistungen."
    changed(section)
    approve("4.2.2", Status.COMPLETED, 100)
    concepts_changed(report().concept_id)


def start_words():
    return Measure.objects.get(number="4.2.5").report_words


def test_publishing_keeps_each_measures_status_as_the_report_states_it(bureau_user):
    from reports.publishing import publish

    approve("4.2.5", Status.IN_PROGRESS, 40)
    approve("4.2.6", Status.COMPLETED, 100, as_of=datetime.date(2014, 6, 1))  # after the period
    version = publish(report(), bureau_user)
    version.refresh_from_db()
    snapshot = version.statuses
    assert snapshot["as_of"] == "2014-03-31"
    by_number = {m["number"]: m for m in snapshot["measures"]}
    assert len(by_number) == Measure.objects.count()
    assert by_number["4.2.5"]["status"] == "in_progress" and by_number["4.2.5"]["progress"] == 40
    assert by_number["4.2.6"]["status"] is None, "an entry after the period does not count"
    words = by_number["4.2.4"]["words"]
    assert words == "Übernahme Ausstattung „Kompetenzzentrum Sprache“ (101. MS)"
    assert [m["number"] for m in snapshot["measures"]][:3] == ["3.1", "3.1.1", "3.1.2"]
    # The stored HTML carries the ids by which versions are compared.
    html = bytes(version.html).decode()
    assert '<article class="report" data-marks="1">' in html
    assert f'data-measure="{Measure.objects.get(number="4.2.5").pk}"' in html


def test_the_comparison_lists_what_a_reader_sees_changed_by_section(
    client, bureau_user, council_member
):
    freeze(1, bureau_user)
    the_items_scenario()
    freeze(2, bureau_user)
    client.force_login(council_member)
    response = client.get(compare_url(2))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [s.heading for s in comparison.sections] == [SECTION_4, SECTION_5]
    sections = by_section(comparison)

    intro, jugendinfo, start = sections[SECTION_4]
    assert (intro.kind, intro.state) == ("intro", "added")
    assert intro.diff == [("added", "Die Ämter berichten über ihre Leistungen.")]
    assert (jugendinfo.kind, jugendinfo.state, jugendinfo.words) == ("item", "status", JUGENDINFO)
    assert jugendinfo.statuses == [
        {
            "before": "noch kein freigegebener Sachstand",
            "after": "umgesetzt, 100\u00a0%",
            "printed": False,
        }
    ]
    assert (start.kind, start.state) == ("item", "changed")
    assert start.diff == [
        ("same", "START-Stipendienprogramm "),
        ("removed", "weitergeführt"),
        ("same", " "),
        ("added", "fortgeführt und erweitert"),
    ]

    (amounts,) = sections[SECTION_5]
    assert (amounts.kind, amounts.words) == (
        "amounts",
        "Förderung interkultureller Arbeit durch das Amt\u00a041",
    )
    assert amounts.amounts == [
        ("2013", "149.200\u00a0€", "150.000\u00a0€"),
        ("Veränderung", "+6,1\u00a0%", "+6,7\u00a0%"),
    ]
    assert comparison.unplaced == []

    page = main(response)
    assert "Was sich von Fassung 1 zu Fassung 2 geändert hat" in page
    assert "4 Änderungen" in page
    assert "4.2.2" not in page, "the report never prints the measure's number"
    assert JUGENDINFO in page and "Einleitung" in page and "Beträge" in page
    # Word by word, and said to screen readers, not only shown in colour.
    assert (
        '<del><span class="visually-hidden">entfernt: </span>weitergeführt'
        '<span class="visually-hidden"> (Ende der Streichung)</span></del>'
    ) in page
    assert (
        '<ins><span class="visually-hidden">hinzugefügt: </span>fortgeführt und erweitert' in page
    )
    assert '<del><span class="visually-hidden">entfernt: </span>149.200\u00a0€</del>' in page


def test_the_comparison_in_english_keeps_the_reports_words_in_german(
    client, bureau_user, council_member
):
    freeze(1, bureau_user)
    the_items_scenario()
    freeze(2, bureau_user)
    client.force_login(council_member)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = main(client.get(compare_url(2)))
    assert "What has changed from version 1 to version 2" in page
    assert "Introduction" in page and "status changed" in page
    assert f'<p class="compare-text" lang="de">{JUGENDINFO}</p>' in page
    assert '<span class="visually-hidden">removed: </span>' in page
    assert "Status of implementation" in page and "completed, 100\u00a0%" in page


def test_an_item_moved_to_another_section_is_told_in_both(client, bureau_user):
    freeze(1, bureau_user)
    moved = Measure.objects.get(number="4.2.6")
    moved.topic = Topic.objects.get(concept=moved.concept, title__startswith="Mehrsprachigkeit")
    changed(moved)
    freeze(2, bureau_user)
    client.force_login(bureau_user)
    comparison = client.get(compare_url(2)).context["comparison"]
    sections = by_section(comparison)
    (arrived,) = sections["3. Interkulturelle Orientierung und Öffnung"]
    (left,) = sections[SECTION_4]
    assert (arrived.state, arrived.moved_from) == ("moved", SECTION_4)
    assert (left.state, left.moved_to) == ("moved", "3. Interkulturelle Orientierung und Öffnung")
    assert arrived.words == left.words == moved.report_words
    assert not arrived.diff, "the same words: only its place changed"


def test_an_older_version_without_marks_is_compared_by_its_words(client, bureau_user):
    html = render_html(report(), edition=edition(1))
    # As versions were stored before the report marked its items.
    unmarked = re.sub(r' data-(marks|section|measures?|funding-line)="[^"]*"', "", html)
    freeze(1, bureau_user, html=unmarked.encode())
    the_items_scenario()
    freeze(2, bureau_user)
    client.force_login(bureau_user)
    response = client.get(compare_url(2))
    comparison = response.context["comparison"]
    assert not comparison.older_marked and comparison.newer_marked
    sections = by_section(comparison)
    intro, jugendinfo, old_words, new_words = sections[SECTION_4]
    assert (intro.kind, intro.state) == ("intro", "added")
    # The newer version's marks still place the status at its item.
    assert (jugendinfo.state, jugendinfo.words) == ("status", JUGENDINFO)
    # A changed wording: one item removed, another added.
    assert (old_words.state, old_words.words) == (
        "removed",
        "START-Stipendienprogramm weitergeführt",
    )
    assert (new_words.state, new_words.words) == ("added", start_words())
    assert [c.amounts for c in sections[SECTION_5]][0][0] == (
        "2013",
        "149.200\u00a0€",
        "150.000\u00a0€",
    )
    assert comparison.unplaced == []
    page = main(response)
    assert "Fassung 1 wurde veröffentlicht, bevor der Bericht seine Punkte" in page
    assert "stehen am Ende statt in ihrem Abschnitt" not in page
    assert "4.2.2" not in page


def test_two_versions_without_marks_list_changed_statuses_at_the_end(client, bureau_user):
    def unmarked(number):
        html = render_html(report(), edition=edition(number))
        return re.sub(r' data-(marks|section|measures?|funding-line)="[^"]*"', "", html).encode()

    freeze(1, bureau_user, html=unmarked(1))
    approve("4.2.2", Status.COMPLETED, 100)
    freeze(2, bureau_user, html=unmarked(2))
    client.force_login(bureau_user)
    response = client.get(compare_url(2))
    comparison = response.context["comparison"]
    assert comparison.sections == []
    (status,) = comparison.unplaced
    assert status.words == JUGENDINFO, "by the words the version kept"
    page = main(response)
    assert "stehen am Ende statt in ihrem Abschnitt" in page
    assert "4.2.2" not in page


def test_the_comparison_reads_the_versions_not_todays_records(client, bureau_user):
    freeze(1, bureau_user)
    freeze(2, bureau_user)
    the_items_scenario()  # after both were published
    client.force_login(bureau_user)
    response = client.get(compare_url(2))
    assert response.context["comparison"].count == 0
    assert "Fassung 2 liest sich wie Fassung 1" in main(response)


def test_an_older_version_without_statuses_still_compares_its_texts(
    client, bureau_user, council_member
):
    freeze(1, bureau_user, statuses=None)
    the_items_scenario()
    freeze(2, bureau_user)
    client.force_login(council_member)
    response = client.get(compare_url(2))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert not comparison.statuses_compared
    assert [c.kind for c in by_section(comparison)[SECTION_4]] == ["intro", "item"]
    assert "Fassung 1 wurde veröffentlicht, bevor die Umsetzungsstände" in main(response)


def test_the_first_version_has_nothing_to_compare_with(client, bureau_user, council_member):
    freeze(1, bureau_user)
    client.force_login(council_member)
    response = client.get(compare_url(1))
    assert response.status_code == 200
    assert "es gibt keine frühere Fassung zum Vergleich" in response.content.decode()


def test_the_version_page_links_to_the_comparison(client, bureau_user, council_member):
    freeze(1, bureau_user)
    freeze(2, bureau_user)
    client.force_login(council_member)
    second = client.get(reverse("reports:version_detail", args=[SLUG, 2])).content.decode()
    assert f'href="{compare_url(2)}"' in second
    assert "Was hat sich seit Fassung 1 geändert?" in second
    first = client.get(reverse("reports:version_detail", args=[SLUG, 1])).content.decode()
    assert compare_url(1) not in first


def test_comparison_right_and_wrong_users_and_methods(client, bureau_user, office_staff):
    freeze(1, bureau_user)
    freeze(2, bureau_user)
    response = client.get(compare_url(2))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(office_staff)
    assert client.get(compare_url(2)).status_code == 403
    client.force_login(bureau_user)
    assert client.get(compare_url(2)).status_code == 200
    assert client.get(compare_url(3)).status_code == 404
    assert client.get(reverse("reports:version_compare", args=["fehlt", 1])).status_code == 404
    assert client.post(compare_url(2)).status_code == 405


@pytest.mark.parametrize("extra", [3, 300])
def test_comparison_queries_do_not_grow(
    client, bureau_user, council_member, django_assert_num_queries, extra
):
    freeze(1, bureau_user)
    topic = Topic.objects.get(concept=report().concept, title__startswith="Mehrsprachigkeit")
    measures = MeasureFactory.create_batch(extra, concept=report().concept, topic=topic)
    for measure in measures:
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    freeze(2, bureau_user)
    client.force_login(council_member)
    # session, user, roles, report, the version and the one before it (with their
    # HTML and statuses)
    with django_assert_num_queries(REQUEST + 2):
        response = client.get(compare_url(2))
    (section,) = response.context["comparison"].sections
    assert [c.state for c in section.changes] == ["added"] * extra
    assert all(c.statuses for c in section.changes)


DRAFT_URL = reverse("reports:draft_compare", args=[SLUG])


def test_the_bureau_sees_what_publishing_the_draft_would_change(client, bureau_user):
    freeze(1, bureau_user)
    the_items_scenario()
    client.force_login(bureau_user)
    response = client.get(DRAFT_URL)
    assert response.status_code == 200
    sections = by_section(response.context["comparison"])
    assert [c.kind for c in sections[SECTION_4]] == ["intro", "item", "item"]
    assert [c.kind for c in sections[SECTION_5]] == ["amounts"]
    page = main(response)
    assert "Was sich im Entwurf seit Fassung 1 geändert hat" in page
    assert "4.2.2" not in page
    draft = client.get(reverse("reports:report_detail", args=[SLUG])).content.decode()
    assert f'href="{DRAFT_URL}"' in draft
    publish = client.get(reverse("reports:report_publish", args=[SLUG])).content.decode()
    assert f'href="{DRAFT_URL}"' in publish


def test_the_draft_comparison_without_a_version_says_so(client, bureau_user):
    client.force_login(bureau_user)
    response = client.get(DRAFT_URL)
    assert response.status_code == 200
    assert "noch keine Fassung veröffentlicht" in main(response)


def test_draft_comparison_right_and_wrong_users_and_methods(client, bureau_user, council_member):
    freeze(1, bureau_user)
    response = client.get(DRAFT_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(council_member)
    assert client.get(DRAFT_URL).status_code == 403, "the council reads published versions"
    client.force_login(bureau_user)
    assert client.post(DRAFT_URL).status_code == 405
    assert client.get(reverse("reports:draft_compare", args=["fehlt"])).status_code == 404


def test_draft_comparison_queries_do_not_grow(client, bureau_user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    freeze(1, bureau_user)
    client.force_login(bureau_user)
    counts = []
    for extra in (3, 300):
        MeasureFactory.create_batch(extra, concept=report().concept)
        concepts_changed(report().concept_id)  # the draft is rendered anew
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DRAFT_URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# -- The comparison's parts ------------------------------------------------------


def test_a_word_diff_groups_a_run_of_changed_words():
    assert word_diff("von 140.600 Euro (2009) auf", "von 141.000 Euro (2010) auf") == [
        ("same", "von "),
        ("removed", "140.600"),
        ("same", " "),
        ("added", "141.000"),
        ("same", " Euro "),
        ("removed", "(2009)"),
        ("same", " "),
        ("added", "(2010)"),
        ("same", " auf"),
    ]
    assert word_diff("ein zwei drei vier", "ein fünf sechs vier") == [
        ("same", "ein "),
        ("removed", "zwei drei"),
        ("same", " "),
        ("added", "fünf sechs"),
        ("same", " vier"),
    ]


def test_source_note_numbers_and_printed_statuses_are_not_read_as_words():
    html = (
        '<article class="report" data-marks="1"><section class="report-section" '
        'id="section-1" data-section="7"><h2>1. Titel</h2><ul class="report-measures">'
        '<li data-measure="3">Punkt<sup class="source-mark"><a href="#n">4</a></sup> '
        '<span class="report-status">[umgesetzt]</span><br>Beschreibung</li></ul>'
        "</section></article>"
    )
    (part,) = read(html).parts
    (item,) = part.blocks
    assert (part.key, part.heading) == ("section:7", "1. Titel")
    assert (item.key, item.text, item.words) == ("measure:3", "Punkt\nBeschreibung", "Punkt")
    assert item.status_printed


def test_measures_added_or_removed_between_snapshots_are_listed():
    def entry(pk, words, status):
        return {"id": pk, "number": str(pk), "words": words, "status": status, "progress": None}

    older = {"measures": [entry(1, "Alt", None)]}
    newer = {"measures": [entry(2, "Neu", "ongoing")]}
    assert [(r["words"], r["before"], r["after"]) for r in status_changes(older, newer)] == [
        ("Neu", None, "Daueraufgabe"),
        ("Alt", "noch kein freigegebener Sachstand", None),
    ]


def test_versions_without_a_report_body_compare_as_empty():
    comparison = compare(b"<p>Fassung 1</p>", b"")
    assert comparison.sections == [] and comparison.count == 0


def test_no_break_spaces_of_the_typesetting_are_no_change():
    """A version typeset with no-break spaces (at a period's dash, after an ordinal)
    reads as one typeset without: the comparison names no change."""
    from reports.comparison import reads_the_same

    assert reads_the_same(
        "Juli 2009 – März 2014 (101. MS)", "Juli\u00a02009\u00a0– März\u00a02014 (101.\u00a0MS)"
    )
    assert not reads_the_same("Juli 2009", "Juni 2009")

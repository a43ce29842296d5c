"""“What has moved since the last report?”: a published version compared with the
previous published version of the same report, from the statuses each version
stored when it was published (never from today's records)."""

import datetime
import hashlib

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry
from reports.comparison import status_changes, status_snapshot
from reports.models import PublishedVersion, Report

from .budgets import REQUEST
from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"


def report():
    return Report.objects.get(slug=SLUG)


def freeze(number, author, statuses="snapshot"):
    """A published version as publishing stores it, without typesetting a PDF."""
    html = f"<p>Fassung {number}</p>".encode()
    return PublishedVersion.objects.create(
        report=report(),
        number=number,
        published_at=datetime.datetime(2014, 12, number, 10, tzinfo=datetime.UTC),
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


def compare_url(number):
    return reverse("reports:version_compare", args=[SLUG, number])


def rows_of(response):
    return [(r["number"], r["before"], r["after"]) for r in response.context["rows"]]


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


def test_the_council_sees_which_measures_changed_status(client, bureau_user, council_member):
    approve("4.2.5", Status.IN_PREPARATION, None)
    approve("4.2.9", Status.ONGOING, None)
    freeze(1, bureau_user)
    approve("4.2.5", Status.IN_PROGRESS, 40, as_of=datetime.date(2014, 1, 1))
    approve("3.2.2", Status.COMPLETED, 100)
    freeze(2, bureau_user)
    client.force_login(council_member)
    response = client.get(compare_url(2))
    assert response.status_code == 200
    assert rows_of(response) == [
        ("3.2.2", "noch kein freigegebener Sachstand", "umgesetzt, 100\u00a0%"),
        ("4.2.5", "in Vorbereitung", "in Umsetzung, 40\u00a0%"),
    ]
    page = response.content.decode()
    assert "Was sich von Fassung 1 zu Fassung 2 geändert hat" in page
    assert "2 Maßnahmen mit geändertem Umsetzungsstand" in page
    assert "START-Stipendienprogramm weitergeführt" in page
    assert "4.2.9" not in page, "unchanged measures are not listed"


def test_the_comparison_reads_the_versions_not_todays_records(client, bureau_user):
    freeze(1, bureau_user)
    freeze(2, bureau_user)
    approve("4.2.5", Status.COMPLETED, 100)  # after both were published
    client.force_login(bureau_user)
    response = client.get(compare_url(2))
    assert response.context["rows"] == []
    assert "hat keine Maßnahme ihren Umsetzungsstand geändert" in response.content.decode()


def test_measures_added_or_removed_between_versions_are_listed():
    def entry(pk, words, status):
        return {"id": pk, "number": str(pk), "words": words, "status": status, "progress": None}

    older = {"measures": [entry(1, "Alt", None)]}
    newer = {"measures": [entry(2, "Neu", "ongoing")]}
    assert [(r["number"], r["before"], r["after"]) for r in status_changes(older, newer)] == [
        ("2", None, "Daueraufgabe"),
        ("1", "noch kein freigegebener Sachstand", None),
    ]


def test_an_older_version_without_statuses_says_so(client, bureau_user, council_member):
    freeze(1, bureau_user, statuses=None)
    freeze(2, bureau_user)
    client.force_login(council_member)
    response = client.get(compare_url(2))
    assert response.status_code == 200
    assert response.context["rows"] is None
    page = response.content.decode()
    assert "Fassung 1 wurde veröffentlicht, bevor die Umsetzungsstände" in page
    assert "<table" not in page.split("<main", 1)[-1]


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
    measures = MeasureFactory.create_batch(extra, concept=report().concept)
    for number in range(1, 4):
        freeze(number, bureau_user)
    for measure in measures:
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    freeze(4, bureau_user)
    client.force_login(council_member)
    # session, user, roles, report, the version and the one before it (with snapshots)
    with django_assert_num_queries(REQUEST + 2):
        response = client.get(compare_url(4))
    assert len(response.context["rows"]) == extra

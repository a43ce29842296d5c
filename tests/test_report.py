"""The Dresden implementation report rendered from the records."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry
from reports.models import Report

from .data.report_facts import HEADER, SECTIONS
from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")

URL = reverse("reports:report_detail", args=["umsetzungsbericht-2009-2014"])


def text_of(response):
    """The page as a reader sees it: tags removed, entities and spaces normalised."""
    content = response.content.decode()
    content = content[content.index("<article") :]
    content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", html.unescape(content)).replace(" )", ")").replace("( ", "(")


def test_report_html_holds_every_fact_of_the_seed_in_order(client, council_member):
    client.force_login(council_member)
    text = text_of(client.get(URL))
    for fact in HEADER:
        assert fact in text, fact
    starts = [text.index(heading) for heading, _facts in SECTIONS]
    assert starts == sorted(starts), "sections in the seed's order"
    bounds = [*starts[1:], len(text)]
    for (heading, facts), start, end in zip(SECTIONS, starts, bounds, strict=True):
        section = text[start:end]
        missing = [fact for fact in facts if fact not in section]
        assert missing == [], (heading, missing)


def test_an_entry_approved_after_the_period_does_not_change_the_report(
    client, council_member, bureau_user
):
    measure = Measure.objects.get(number="4.2.7")
    client.force_login(council_member)
    before = text_of(client.get(URL))
    StatusEntryFactory(
        measure=measure,
        status=Status.COMPLETED,
        progress=100,
        reviewer=bureau_user,
        as_of=datetime.date(2014, 6, 1),
        state=StatusEntry.State.APPROVED,
    )
    measure.refresh_from_db()
    assert measure.current_status == Status.COMPLETED  # the live status did change
    assert text_of(client.get(URL)) == before
    assert "Vorbereitung Buddhistisches Gräberfeld (Eigenbetrieb Friedhof- und " in before
    assert "[in Vorbereitung]" in before


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
    client, council_member, django_assert_num_queries, extra
):
    report = Report.objects.get(slug="umsetzungsbericht-2009-2014")
    topic = report.sections.get(number="3").topics.first().children.first()
    for measure in MeasureFactory.create_batch(extra, concept=report.concept, topic=topic):
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    client.force_login(council_member)
    # session, user, roles, report, sections (+ topics), measures as of the end
    # (+ partner offices, organisations, languages, indicators, values), topics,
    # funding lines (+ amounts, areas), groups (+ memberships), needs, action plan,
    # provisions: the same for 3 and 300 more measures
    with django_assert_num_queries(21):
        assert client.get(URL).status_code == 200

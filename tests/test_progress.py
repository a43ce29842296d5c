"""Progress pages for the council and the public; open data; accessibility statement."""

import csv
import datetime
import io
import json
import re

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry
from reports.progress import NO_STATUS
from working_groups.models import Office
from working_groups.versions import concepts_changed

from .budgets import REQUEST
from .factories import (
    ActionNeedFactory,
    ConceptFactory,
    FundingAmountFactory,
    FundingLineFactory,
    MeasureFactory,
    MembershipFactory,
    StatusEntryFactory,
    UserFactory,
    WorkingGroupFactory,
)

PAGES = ["overview", "members", "funding", "needs", "open_data"]


@pytest.mark.parametrize("page", PAGES)
def test_council_reads_every_progress_page(client, council_member, dresden, page):
    client.force_login(council_member)
    response = client.get(reverse(f"reports:{page}"))
    assert response.status_code == 200


@pytest.mark.parametrize("page", [*PAGES, "open_data_csv", "open_data_json"])
def test_anonymous_goes_to_login_when_pages_are_not_public(client, dresden, page):
    response = client.get(reverse(f"reports:{page}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_measure_page_goes_to_login_when_not_public(client, dresden):
    measure = Measure.objects.get(number="3.1.3")
    response = client.get(reverse("reports:measure", args=[measure.pk]))
    assert response.status_code == 302


def test_overview_counts_the_dresden_measures_without_inventing_progress(
    client, council_member, dresden
):
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"))
    overall = response.context["overall"]
    assert overall["total"] == 44
    # the seed gives no status: every measure has none yet, none is "not started"
    assert dict(overall["by_status"])[NO_STATUS] == 44
    assert dict(overall["by_status"])[Status.NOT_STARTED] == 0
    content = response.content.decode()
    assert 'role="img"' in content  # the chart
    assert "noch kein freigegebener Sachstand: 44" in content  # its text
    assert not re.search(r"\d+ %", content)  # no percentage the source never gave
    # breakdowns only by dimensions that hold data: the report headings and offices
    assert [b["key"] for b in response.context["breakdowns"]] == ["topic", "office"]
    assert "ohne Handlungsfeld" not in content


def test_overview_gives_a_share_only_among_measures_with_a_status(
    client, council_member, bureau_user, dresden
):
    StatusEntryFactory(
        measure=Measure.objects.get(number="4.2.7"),
        status=Status.IN_PREPARATION,
        progress=None,
        reviewer=bureau_user,
        state=StatusEntry.State.APPROVED,
    )
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"))
    assert response.context["overall"]["rated"] == 1
    content = response.content.decode()
    assert "1 mit freigegebenem Sachstand" in content
    # Each share says, visibly, how many measures it rests on (not a bare "100 %").
    assert re.search(
        r"\d+&nbsp;%\s*<span class=\"meta share-basis\">\(1 von \d+ Maßnahmen mit "
        r"freigegebenem Sachstand\)</span>",
        content,
    )
    assert "in Vorbereitung: 1" in content or "In Vorbereitung: 1" in content


def test_overview_filters_are_shareable_urls(
    client, council_member, bureau_user, dresden, django_capture_on_commit_callbacks
):
    StatusEntryFactory(
        measure=Measure.objects.get(number="4.2.7"),
        status=Status.IN_PREPARATION,
        reviewer=bureau_user,
        state=StatusEntry.State.APPROVED,
    )
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"), {"status": "in_preparation"})
    assert [m.number for m in response.context["page"].object_list] == ["4.2.7"]
    response = client.get(reverse("reports:overview"), {"status": "none"})
    assert response.context["overall"]["total"] == 43
    kultur = Measure.objects.get(number="5.6.1").lead_office
    response = client.get(reverse("reports:overview"), {"amt": kultur.pk})
    # lead or partner: 3.1 counts the Kulturamt among its offices
    assert [m.number for m in response.context["page"].object_list] == ["3.1", "5.6.1"]
    # Counted once each, although 5.6.1 then has partner offices as well. (Changed
    # here behind the admin's back, so the test renews the concept's version itself.)
    measure = Measure.objects.get(number="5.6.1")
    measure.partner_offices.add(*Office.objects.all()[:3])
    with django_capture_on_commit_callbacks(execute=True):
        concepts_changed(measure.concept_id)
    response = client.get(reverse("reports:overview"), {"amt": kultur.pk})
    assert response.context["overall"]["total"] == 2
    by_topic = response.context["breakdowns"][0]
    assert sum(c["total"] for _o, c in by_topic["rows"]) == 2
    response = client.get(reverse("reports:overview"), {"q": "Gräberfeld"})
    assert {m.number for m in response.context["page"].object_list} == {"4.2.6", "4.2.7"}


def test_public_sees_no_draft_returned_internal_note_or_staff_name(client, dresden, public_pages):
    staff = UserFactory(username="erika.mustermann", first_name="Erika", last_name="Mustermann")
    reviewer = UserFactory(username="max.pruefer", first_name="Max", last_name="Prüfer")
    measure = Measure.objects.get(number="4.2.2")
    StatusEntryFactory(
        measure=measure,
        author=staff,
        reviewer=reviewer,
        state=StatusEntry.State.APPROVED,
        as_of=datetime.date(2015, 3, 31),
        note="Öffentlicher Stand",
        internal_note="GEHEIM-intern",
        status=Status.ONGOING,
        progress=None,
    )
    StatusEntryFactory(measure=measure, author=staff, state="draft", note="ENTWURF-text")
    StatusEntryFactory(measure=measure, author=staff, state="submitted", note="EINGEREICHT-text")
    StatusEntryFactory(
        measure=measure,
        author=staff,
        state="returned",
        note="ZURÜCK-text",
        review_comment="PRÜFVERMERK",
    )
    hidden = Measure.objects.get(number="4.2.1")
    Measure.objects.filter(pk=hidden.pk).update(is_public=False)

    pages = [reverse(f"reports:{page}") for page in PAGES]
    pages += [reverse("reports:measure", args=[measure.pk])]
    pages += [reverse("reports:open_data_csv"), reverse("reports:open_data_json")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        for secret in [
            "GEHEIM-intern",
            "ENTWURF-text",
            "EINGEREICHT-text",
            "ZURÜCK-text",
            "PRÜFVERMERK",
            "erika",
            "Mustermann",
            "max.pruefer",
            "Prüfer",
            "Lesestark",
        ]:
            assert secret not in content, (url, secret)
    page = client.get(reverse("reports:measure", args=[measure.pk])).content.decode()
    assert "Öffentlicher Stand" in page
    assert client.get(reverse("reports:measure", args=[hidden.pk])).status_code == 404


def test_council_sees_non_public_measures_but_no_internal_notes(client, council_member, dresden):
    measure = Measure.objects.get(number="4.2.1")
    Measure.objects.filter(pk=measure.pk).update(is_public=False)
    StatusEntryFactory(
        measure=measure,
        state="approved",
        internal_note="GEHEIM-intern",
        note="sichtbar",
        as_of=datetime.date(2015, 3, 31),
    )
    client.force_login(council_member)
    content = client.get(reverse("reports:measure", args=[measure.pk])).content.decode()
    assert "sichtbar" in content and "GEHEIM-intern" not in content


def test_funding_page_shows_the_change_over_the_period(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("reports:funding")).content.decode()
    assert "140.600\u00a0€ (2009) → 149.200\u00a0€ (2013)" in content
    assert "36.800\u00a0€ (2009) → 40.400\u00a0€ (2013)" in content
    assert "ca. 550.000\u00a0€" in content
    assert "Nördliche Johannstadt (zur Aufnahme vorgeschlagen)" in content


def test_needs_page_shows_hierarchy_and_the_later_concept(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("reports:needs")).content.decode()
    assert "Traumafolgestörungen" in content
    assert "Konzept zur Integration von Menschen mit Migrationshintergrund 2015–2020" in content
    # that the needs went into it is an inference, and says so
    assert "ist eine Annahme" in content


def test_bureau_sees_the_source_notes_on_the_progress_pages(client, bureau_user, dresden):
    client.force_login(bureau_user)
    content = client.get(reverse("reports:members")).content.decode()
    assert "Dass Amt 41 das Kulturamt ist" in content
    assert 'class="source-note"' in content
    measure = Measure.objects.get(number="4.2.8")
    content = client.get(reverse("reports:measure", args=[measure.pk])).content.decode()
    assert "EB Kita" in content


def test_members_page_shows_groups_roles_and_period(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("reports:members")).content.decode()
    assert "Verein der Vietnamesen in Dresden e. V. – Vertreter des Ausländerbeirats" in content
    assert "bis Mai 2013" in content
    assert "VertreterInnen der Eigenbetriebe" in content
    assert "des Konzept zur" not in content  # grammar and the seed's own name
    assert "Erarbeitung des Integrationskonzeptes 2015–2020 mit." in content


def documented_fields(client):
    page = client.get(reverse("reports:open_data")).content.decode()
    table = page[page.index('id="open-data-fields"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<th[^>]*scope=\"row\"[^>]*><code>([a-z_]+)</code></th>", table)


def test_open_data_matches_its_documentation_field_for_field(client, council_member, dresden):
    client.force_login(council_member)
    fields = documented_fields(client)
    assert fields
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("reports:open_data_csv")).content.decode()))
    )
    assert rows[0] == fields
    assert len(rows) == 1 + Measure.objects.filter(is_public=True).count()
    data = json.loads(client.get(reverse("reports:open_data_json")).content)
    assert data["fields"] == fields
    assert all(list(m) == fields for m in data["measures"])
    assert data["licence"].startswith("Datenlizenz Deutschland")
    by_number = {m["number"]: m for m in data["measures"]}
    assert by_number["3.1.3"]["status"] == ""  # the seed gives none
    assert by_number["3.1.3"]["lead_office"] == "Ordnungsamt"


def test_accessibility_statement_is_public_and_linked_from_every_page(client, settings, dresden):
    settings.ACCESSIBILITY = {**settings.ACCESSIBILITY, "contact_email": "a11y@dresden.example"}
    response = client.get(reverse("reports:accessibility"))
    assert response.status_code == 200
    assert "a11y@dresden.example" in response.content.decode()
    login_page = client.get(reverse("login")).content.decode()
    assert reverse("reports:accessibility") in login_page


@pytest.mark.parametrize("count", [3, 300])
def test_progress_pages_queries_do_not_grow(
    client, council_member, django_assert_num_queries, count
):
    concept = ConceptFactory()
    group = WorkingGroupFactory(concept=concept)
    MembershipFactory(group=group)
    measures = MeasureFactory.create_batch(count, concept=concept, working_group=group)
    for measure in measures:
        StatusEntryFactory(measure=measure)
    need = ActionNeedFactory(concept=concept)
    need.measures.add(*measures[: count // 3 + 1])
    need.responsible_offices.add(measures[0].lead_office)
    ActionNeedFactory(concept=concept, parent=need)
    line = FundingLineFactory(measure=measures[0], responsible_office=measures[0].lead_office)
    FundingLineFactory(measure=measures[0], responsible_office=measures[1].lead_office)
    FundingAmountFactory(line=line, year_from=2009, year_to=2009)
    FundingAmountFactory(line=line, year_from=2013, year_to=2013)
    client.force_login(council_member)
    budgets = {
        # session, user, roles, concepts (with whether they have measures), fields,
        # groups, offices, page count, page, reports; the counts (kept in the cache
        # under the concept's version): topics, 4 grouped counts, overdue, stale
        reverse("reports:overview"): REQUEST + 13,
        # session, user, roles, the measure, partner offices, partner organisations,
        # approved entries, indicators (none here, so no values), funding lines, their
        # amounts, needs, sub-measures
        reverse("reports:measure", args=[measures[0].pk]): REQUEST + 9,
        # session, user, roles, concepts, groups (+ members involved), their fields,
        # their memberships
        reverse("reports:members"): REQUEST + 4,
        # session, user, roles, lines (+ programme, office, measure), amounts, areas
        reverse("reports:funding"): REQUEST + 3,
        # session, user, roles, concepts, needs (+ concept, field), their offices,
        # their measures (+ current entry)
        reverse("reports:needs"): REQUEST + 4,
        reverse("reports:open_data"): REQUEST,  # session, user, roles
        reverse("reports:open_data_csv"): REQUEST + 1,  # + the measures with their relations
        reverse("reports:open_data_json"): REQUEST + 1,
    }
    for url, budget in budgets.items():
        with django_assert_num_queries(budget):
            assert client.get(url).status_code == 200, url
    # The overview again: its counts come from the cache.
    with django_assert_num_queries(REQUEST + 7):
        assert client.get(reverse("reports:overview")).status_code == 200


def test_overview_calls_out_stale_measures_of_the_open_round(client, council_member, dresden):
    import datetime

    from measures.services import open_round
    from working_groups.models import Concept

    open_round(
        concept=Concept.objects.get(slug="ik-2009"),
        title="Runde",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        deadline=datetime.date(2027, 1, 31),
        unfinished_only=False,
    )
    client.force_login(council_member)
    response = client.get(reverse("reports:overview"))
    assert response.context["stale_count"] == 44
    assert "noch keinen freigegebenen Sachstand" in response.content.decode()
    stale = client.get(reverse("reports:overview"), {"veraltet": "1"})
    assert stale.context["page"].paginator.count == 44


@pytest.mark.parametrize("user_fixture", ["office_staff", "bureau_user", "admin_user"])
def test_every_role_reads_the_progress_pages(request, client, dresden, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    for page in PAGES:
        assert client.get(reverse(f"reports:{page}")).status_code == 200, page


@pytest.mark.parametrize("page", [*PAGES, "accessibility"])
def test_progress_pages_refuse_post(client, council_member, dresden, page):
    client.force_login(council_member)
    assert client.post(reverse(f"reports:{page}")).status_code == 405


def test_user_without_role_cannot_read_progress_pages(client, dresden):
    client.force_login(UserFactory(username="niemand"))
    response = client.get(reverse("reports:overview"))
    # Logged in: the 403 page names the account and whom to ask (the login page would
    # only lead back here).
    assert response.status_code == 403

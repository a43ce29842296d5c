"""The Land view (land/): a group's viewers read, per member municipality, what it
published — its published report versions and, where its progress pages are public,
the counts those pages show — and nothing else; everyone else learns nothing of the
group (404), and the page costs the same number of queries for 2 members as for 5."""

import datetime
import hashlib
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpers.addresses import municipality_reverse
from helpers.roles import Role, ensure_role_groups
from land.models import MunicipalityGroup
from measures.models import Measure, Status, StatusEntry
from reports.models import PublishedVersion, Report
from reports.progress import overview_aggregates
from working_groups.models import FieldOfAction, Municipality

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    FieldOfActionFactory,
    MeasureFactory,
    MunicipalityFactory,
    StatusEntryFactory,
    UserFactory,
)


def _entry(measure, status, **kwargs):
    progress = {Status.COMPLETED: 100, Status.IN_PROGRESS: 50}.get(status)
    reason = "Begründung" if status in (Status.DEFERRED, Status.DROPPED) else ""
    return StatusEntryFactory(
        measure=measure, status=status, progress=progress, reason=reason, **kwargs
    )


def _version(report, number, author, docx=False):
    html = f"<html lang='de'><body><h1>{report.title}, Fassung {number}</h1></body></html>"
    html = html.encode()
    pdf = f"%PDF-1.7 {report.slug} {number}".encode()
    extra = {}
    if docx:
        content = f"DOCX {report.slug} {number}".encode()
        extra = {"docx": content, "docx_sha256": hashlib.sha256(content).hexdigest()}
    return PublishedVersion.objects.create(
        report=report,
        number=number,
        published_at=datetime.datetime(2015, 1, number, 10, tzinfo=datetime.UTC),
        published_by=author,
        html=html,
        html_sha256=hashlib.sha256(html).hexdigest(),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        **extra,
    )


def _report(concept, slug, title):
    return Report.objects.create(
        concept=concept,
        slug=slug,
        title=title,
        period_start=datetime.date(2014, 1, 1),
        period_end=datetime.date(2014, 12, 31),
    )


def _municipality(name, slug, public, author, fields=2):
    """A municipality with a concept, fields of action, measures with approved
    statuses, and a report published once."""
    municipality = MunicipalityFactory(name=name, slug=slug, public_pages=public)
    concept = ConceptFactory(municipality=municipality, slug=f"ik-{slug}", title=f"Konzept {name}")
    for number in range(1, fields + 1):
        field = FieldOfActionFactory(concept=concept, number=str(number), title=f"Feld {number}")
        for status in (Status.COMPLETED, Status.IN_PROGRESS):
            _entry(MeasureFactory(concept=concept, field_of_action=field), status)
    report = _report(concept, f"bericht-{slug}", f"Bericht {name}")
    _version(report, 1, author)
    return municipality, concept


@pytest.fixture
def world(db):
    groups = ensure_role_groups()
    publisher = UserFactory(username="veroeffentlicher", municipalities=[])
    public, public_concept = _municipality("Elbstadt", "elbstadt", True, publisher)
    closed, closed_concept = _municipality("Muldestadt", "muldestadt", False, publisher)
    foreign, _foreign_concept = _municipality("Fremdstadt", "fremdstadt", True, publisher)
    second = _version(Report.objects.get(slug="bericht-elbstadt"), 2, publisher, docx=True)
    # What no member published: a report without a version, an entry not approved,
    # a measure that is not public.
    _report(public_concept, "entwurf-elbstadt", "Unveröffentlichter Entwurf Elbstadt")
    field = FieldOfAction.objects.get(concept=public_concept, number="1")
    pending = MeasureFactory(concept=public_concept, field_of_action=field)
    _entry(pending, Status.IN_PROGRESS)
    _entry(
        pending,
        Status.DROPPED,
        state=StatusEntry.State.SUBMITTED,
        author=publisher,
        as_of=datetime.date(2014, 6, 30),
        note="Nicht bestätigter Vermerk",
    )
    internal = MeasureFactory(
        concept=public_concept, field_of_action=field, is_public=False, title="Interne Maßnahme"
    )
    _entry(internal, Status.DEFERRED)

    ministry = UserFactory(username="ministerium", municipalities=[])
    other_land = UserFactory(username="anderes-land", municipalities=[])
    group = MunicipalityGroup.objects.create(name="Land Elbe", slug="land-elbe")
    group.members.add(public, closed)
    group.viewers.add(ministry)
    other = MunicipalityGroup.objects.create(name="Land Fremd", slug="land-fremd")
    other.members.add(foreign)
    other.viewers.add(other_land)
    bureau = UserFactory(username="buero-elbstadt", is_staff=True, municipalities=[public])
    bureau.groups.add(groups[Role.BUREAU])
    return {
        "group": group,
        "public": public,
        "public_concept": public_concept,
        "closed": closed,
        "closed_concept": closed_concept,
        "foreign": foreign,
        "second": second,
        "ministry": ministry,
        "other_land": other_land,
        "bureau": bureau,
        "internal": internal,
    }


PAGE = reverse("land:group", args=["land-elbe"])


def _download(report, number, format, group="land-elbe"):
    return reverse("land:version_download", args=[group, report, number, format])


def test_a_viewer_reads_the_published_versions_and_only_the_public_counts(client, world):
    client.force_login(world["ministry"])
    page = client.get(PAGE).content.decode()
    assert "Elbstadt" in page and "Muldestadt" in page
    assert "Fremdstadt" not in page
    # Both members' published versions, with their documents.
    for report, number in [
        ("bericht-elbstadt", 1),
        ("bericht-elbstadt", 2),
        ("bericht-muldestadt", 1),
    ]:
        assert _download(report, number, "pdf") in page
        assert _download(report, number, "html") in page
    assert _download("bericht-elbstadt", 2, "docx") in page
    assert _download("bericht-elbstadt", 1, "docx") not in page, "no DOCX was kept"
    # The counts of the public member only, with a link to its public pages.
    assert "Konzept Elbstadt" in page and "Konzept Muldestadt" not in page
    overview = municipality_reverse(world["public"], "reports:overview")
    assert f'href="{overview}?konzept=ik-elbstadt"' in page
    assert municipality_reverse(world["closed"], "reports:overview") not in page
    assert "Nicht öffentlich." in page
    assert "5 öffentliche Maßnahmen" in page  # 4 + the one whose newer entry waits


def test_nothing_unpublished_reaches_the_page(client, world):
    client.force_login(world["ministry"])
    page = client.get(PAGE).content.decode()
    assert "Unveröffentlichter Entwurf" not in page
    assert "entwurf-elbstadt" not in page
    assert "Nicht bestätigter Vermerk" not in page
    assert "Interne Maßnahme" not in page
    # The submitted "entfallen" and the internal measure's "zurückgestellt" count nowhere.
    assert "entfallen" not in page and "zurückgestellt" not in page
    rows = _land_rows(page)
    assert rows["1 Feld 1"] == ("3", "umgesetzt: 1; in Umsetzung: 2")


def test_the_counts_match_the_public_progress_page(client, world):
    client.force_login(world["ministry"])
    page = client.get(PAGE).content.decode()
    link = re.search(r'href="([^"]*/fortschritt/\?konzept=ik-elbstadt)"', page).group(1)
    # The viewer follows the link as it is logged in, and reads what a visitor reads.
    public = client.get(link.replace("&amp;", "&"))
    assert public.status_code == 200
    public_page = public.content.decode()
    client.logout()
    visitor_page = client.get(link.replace("&amp;", "&")).content.decode()
    assert _overview_rows(visitor_page) == _overview_rows(public_page)
    assert _land_rows(page) == _overview_rows(public_page)
    # And as the public overview computes them.
    concept = world["public_concept"]
    measures = Measure.objects.visible_to(AnonymousUser()).filter(concept=concept)
    fields = list(FieldOfAction.objects.filter(concept=concept).order_by("position", "number"))
    expected = overview_aggregates(concept, measures, fields, [], [])
    (by_field,) = [b for b in expected["breakdowns"] if b["key"] == "field"]
    assert {str(field): str(counts["total"]) for field, counts in by_field["rows"]} == {
        name: total for name, (total, _text) in _land_rows(page).items()
    }
    total = expected["overall"]["total"]
    assert f"{total} öffentliche Maßnahmen" in page
    assert f"{total} Maßnahmen" in public_page


def _land_rows(page):
    return {
        name: (total, text.strip())
        for name, total, text in re.findall(
            r'<span class="land-field">([^<]+)</span> <span class="meta">\((\d+)\)</span>\s*'
            r'<span class="chart-text">(.*?)</span>',
            page,
            re.DOTALL,
        )
    }


def _overview_rows(page):
    section = page.split('aria-labelledby="by-field-heading"', 1)[1].split("</section>", 1)[0]
    return {
        name: (total, text.strip())
        for name, total, text in re.findall(
            r'<th class="kern-table__header" scope="row">([^<]+)</th>'
            r'<td class="kern-table__cell"[^>]*>(\d+)</td>.*?<span class="chart-text">(.*?)</span>',
            section,
            re.DOTALL,
        )
    }


@pytest.mark.parametrize("who", ["bureau", "other_land", "without_role"])
def test_anyone_else_learns_nothing_of_the_group(client, world, who):
    user = world.get(who) or UserFactory(username="ohne-rolle")
    client.force_login(user)
    assert client.get(PAGE).status_code == 404
    assert client.get(reverse("land:group", args=["gibt-es-nicht"])).status_code == 404
    assert client.get(_download("bericht-elbstadt", 1, "pdf")).status_code == 404


def test_a_visitor_is_sent_to_the_login(client, world):
    for url in [PAGE, reverse("land:group_list"), _download("bericht-elbstadt", 1, "pdf")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_list_of_groups_is_for_viewers_and_the_system_administration(client, world, admin_user):
    client.force_login(world["ministry"])
    assert client.get(reverse("land:group_list")).url == PAGE, "one group: straight to it"
    client.force_login(world["bureau"])
    assert client.get(reverse("land:group_list")).status_code == 403
    client.force_login(admin_user)
    listing = client.get(reverse("land:group_list")).content.decode()
    assert "Land Elbe" in listing and "Land Fremd" in listing
    assert client.get(PAGE).status_code == 200


def test_a_download_is_the_stored_version_of_a_member_only(client, world):
    client.force_login(world["ministry"])
    second = world["second"]
    for format, content in [("pdf", second.pdf), ("html", second.html), ("docx", second.docx)]:
        response = client.get(_download("bericht-elbstadt", 2, format))
        assert response.status_code == 200
        assert response.content == bytes(content)
        assert response["Content-Disposition"].startswith("attachment;")
    # Not kept, unknown format, a version that does not exist, a report no member has.
    assert client.get(_download("bericht-elbstadt", 1, "docx")).status_code == 404
    assert client.get(_download("bericht-elbstadt", 1, "exe")).status_code == 404
    assert client.get(_download("bericht-elbstadt", 9, "pdf")).status_code == 404
    assert client.get(_download("bericht-fremdstadt", 1, "pdf")).status_code == 404
    # Nor through the other group's address, which this viewer does not read.
    assert client.get(_download("bericht-fremdstadt", 1, "pdf", "land-fremd")).status_code == 404


def test_a_member_out_of_service_shows_its_versions_and_no_counts(client, world):
    Municipality.objects.filter(pk=world["public"].pk).update(in_service=False)
    client.force_login(world["ministry"])
    page = client.get(PAGE).content.decode()
    assert "außer Betrieb" in page
    assert _download("bericht-elbstadt", 2, "pdf") in page
    assert "öffentliche Maßnahmen" not in page and "Konzept Elbstadt" not in page
    assert client.get(_download("bericht-elbstadt", 2, "pdf")).status_code == 200


def test_the_page_in_english(client, world):
    client.force_login(world["ministry"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(PAGE).content.decode()
    assert '<html lang="en">' in page
    assert "Member municipalities" in page and "Published reports" in page
    assert "5 public measures" in page and "Not public." in page
    # The records are German: marked as such on an English page.
    assert '<span lang="de">Bericht Elbstadt</span>' in page
    assert "Mitgliedskommunen" not in page


def test_the_page_in_german_is_accessible_markup(client, world):
    client.force_login(world["ministry"])
    page = client.get(PAGE).content.decode()
    assert '<html lang="de">' in page
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    headings = re.findall(r"<h([1-6])", page.split('id="main"', 1)[1])
    assert headings[:2] == ["1", "2"] and all(
        int(b) - int(a) <= 1 for a, b in zip(headings, headings[1:], strict=False)
    )


def test_the_navigation_offers_the_land_view_to_its_viewers_from_the_session(client, world):
    home = reverse("measures:home")
    client.force_login(world["bureau"])
    assert reverse("land:group_list") not in client.get(home).content.decode()
    client.force_login(world["ministry"])
    assert reverse("land:group_list") in client.get(PAGE).content.decode()
    # Read at login and kept in the session: a page asks nothing about it.
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("reports:accessibility")).content.decode()
    assert reverse("land:group_list") in page
    assert not [q for q in queries.captured_queries if "land_municipalitygroup" in q["sql"]]
    # Taken off the group, the account loses the link and the page with its next request.
    world["group"].viewers.remove(world["ministry"])
    assert reverse("land:group_list") not in client.get(home).content.decode()
    assert client.get(PAGE).status_code == 404


def _group_of(count, author):
    group = MunicipalityGroup.objects.create(name=f"Gruppe {count}", slug=f"gruppe-{count}")
    for index in range(count):
        municipality, _concept = _municipality(
            f"Stadt {count}-{index}", f"stadt-{count}-{index}", True, author
        )
        group.members.add(municipality)
    return group


def test_the_page_costs_the_same_queries_for_two_members_as_for_five(client, db):
    author = UserFactory(username="autor", municipalities=[])
    viewer = UserFactory(username="betrachter", municipalities=[])
    small, large = _group_of(2, author), _group_of(5, author)
    small.viewers.add(viewer)
    large.viewers.add(viewer)
    client.force_login(viewer)
    counts = []
    for group, members in [(small, 2), (large, 5)]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(group.get_absolute_url())
        assert page.status_code == 200
        assert page.content.decode().count("4 öffentliche Maßnahmen") == members
        counts.append(len(queries))
    # session, user; the scope's out-of-service check (an account of no municipality);
    # the group, its members, their published versions, their concepts (with whether
    # they have measures), the counts per concept and per field of action, the fields;
    # whether any municipality has public pages (the navigation's link to them)
    assert counts == [REQUEST + 9, REQUEST + 9]


def test_the_system_administration_keeps_the_groups_in_the_admin(client, world, admin_user):
    changelist = reverse("admin:land_municipalitygroup_changelist")
    client.force_login(world["bureau"])
    assert client.get(changelist).status_code == 403
    assert client.get(reverse("admin:index")).content.decode().count("municipalitygroup") == 0
    client.force_login(admin_user)
    assert "Land Elbe" in client.get(changelist).content.decode()
    response = client.post(
        reverse("admin:land_municipalitygroup_add"),
        {
            "name": "Land Neu",
            "slug": "land-neu",
            "description": "",
            "members": [world["closed"].pk],
            "viewers": [world["bureau"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made = MunicipalityGroup.objects.get(slug="land-neu")
    assert list(made.members.all()) == [world["closed"]]
    assert made.history.exists()


def test_the_demo_group_and_its_account(dresden, settings):
    from io import StringIO

    settings.DEBUG = True
    out = StringIO()
    call_command("create_demo_group", stdout=out)
    call_command("create_demo_group", stdout=StringIO())  # again: nothing doubles
    group = MunicipalityGroup.objects.get()
    assert group.name == "Freistaat Sachsen (Demo)"
    assert [m.slug for m in group.member_municipalities()] == ["dresden"]
    (viewer,) = group.viewers.all()
    assert viewer.username == "land" and viewer.check_password("demo")
    assert not viewer.municipalities.exists() and not viewer.groups.exists()
    assert "land     / demo" in out.getvalue()


def test_the_login_leads_an_account_of_the_land_to_the_land_view(client, world):
    response = client.post(
        reverse("login"), {"username": "ministerium", "password": "secret-password"}
    )
    assert response.status_code == 302 and response.url == reverse("land:group_list")
    assert client.get(response.url).url == PAGE
    # It works with no municipality: its other pages are the visitor's (the public
    # progress pages of the municipalities that made them public), not an empty list.
    progress = client.get(reverse("reports:overview")).content.decode()
    assert "Elbstadt" in progress or "Fremdstadt" in progress

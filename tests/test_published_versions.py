"""The council reads published versions in the browser; drafts are the bureau's.

The report list and a report's page lead the council to the latest published
version, shown inside the site's page from its stored HTML (cleaned of anything
that could act or restyle the page), with its PDF beside it and the older versions
listed; the red "not published" notice is the bureau's, and only where it is true."""

import datetime
import hashlib

import pytest
from django.urls import reverse

from helpers.roles import Role, ensure_role_groups
from reports.models import PublishedVersion, Report

from .budgets import REQUEST
from .factories import ConceptFactory, UserFactory

STORED = (
    "<!DOCTYPE html><html lang='de'><head><title>Bericht</title>"
    "<style>body { display: none }</style></head>"
    '<body><p class="edition-mark">Fassung {n}</p><article class="report">'
    '<h1>Umsetzungsbericht</h1><p onclick="alert(1)" style="color: red">Inhalt {n}</p>'
    '<script>alert(2)</script><a href="javascript:alert(3)">Verweis</a>'
    "</article></body></html>"
)


@pytest.fixture
def users(db):
    groups = ensure_role_groups()
    made = {
        "bureau": UserFactory(username="bureau", first_name="Berta", last_name="Büro"),
        "council": UserFactory(username="council"),
        "staff": UserFactory(username="staff"),
    }
    made["bureau"].groups.add(groups[Role.BUREAU])
    made["council"].groups.add(groups[Role.COUNCIL])
    made["staff"].groups.add(groups[Role.OFFICE_STAFF])
    return made


@pytest.fixture
def report(db):
    return Report.objects.create(
        concept=ConceptFactory(),
        slug="bericht",
        title="Umsetzungsbericht",
        period_start=datetime.date(2009, 7, 1),
        period_end=datetime.date(2014, 3, 31),
    )


def add_version(report, author, number, note=""):
    html = STORED.replace("{n}", str(number)).encode()
    return PublishedVersion.objects.create(
        report=report,
        number=number,
        published_at=datetime.datetime(2014, 12, number, 10, tzinfo=datetime.UTC),
        published_by=author,
        note=note,
        html=html,
        html_sha256=hashlib.sha256(html).hexdigest(),
        pdf=b"%PDF-1.7",
        pdf_sha256=hashlib.sha256(b"%PDF-1.7").hexdigest(),
    )


def page_url(number):
    return reverse("reports:version_detail", args=["bericht", number])


LIST = reverse("reports:report_list")
DETAIL = reverse("reports:report_detail", args=["bericht"])


def test_the_council_is_led_to_the_latest_published_version(client, users, report):
    add_version(report, users["bureau"], 1, note="Vorlage Beirat Juni")
    add_version(report, users["bureau"], 2, note="Vorlage Beirat Dezember")
    client.force_login(users["council"])
    listing = client.get(LIST).content.decode()
    assert f'<a href="{page_url(2)}">Umsetzungsbericht</a>' in listing
    assert "Fassung 2 lesen" in listing and "Vorlage Beirat Dezember" in listing
    assert f'href="{DETAIL}"' not in listing, "no way to the draft"
    assert "draft-mark" not in listing
    response = client.get(DETAIL)
    assert response.status_code == 302 and response.url == page_url(2)


def test_the_bureau_is_led_to_the_draft_and_to_the_latest_version(client, users, report):
    add_version(report, users["bureau"], 1)
    client.force_login(users["bureau"])
    listing = client.get(LIST).content.decode()
    assert f'<a href="{DETAIL}">Umsetzungsbericht</a>' in listing
    assert f'href="{page_url(1)}"' in listing
    assert "draft-mark" not in listing, "a version exists: no red notice"
    detail = client.get(DETAIL).content.decode()
    assert "Der Ausländerbeirat liest Fassung 1 vom 1. Dezember 2014." in detail
    assert "Von diesem Bericht ist noch keine Fassung veröffentlicht." not in detail


def test_the_not_published_notice_is_the_bureaus_and_only_where_true(client, users, report):
    client.force_login(users["bureau"])
    listing = client.get(LIST).content.decode()
    assert 'class="draft-mark" role="note">Von diesem Bericht ist noch keine Fassung' in listing
    client.force_login(users["council"])
    listing = client.get(LIST).content.decode()
    assert "Von diesem Bericht ist noch keine Fassung veröffentlicht." in listing
    assert "draft-mark" not in listing
    response = client.get(DETAIL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sobald das Büro der Integrations- und Ausländerbeauftragten eine" in page
    assert "draft-mark" not in page and "/download." not in page


def test_a_version_is_read_in_the_browser_safely(client, users, report):
    add_version(report, users["bureau"], 1, note="Vorlage")
    client.force_login(users["council"])
    response = client.get(page_url(1))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Umsetzungsbericht</h1>" in page and "Inhalt 1" in page
    assert "Fassung 1, veröffentlicht am 1. Dezember 2014 von Berta Büro" in page
    assert "Vorlage" in page
    assert reverse("reports:version_download", args=["bericht", 1, "pdf"]) in page
    for unsafe in ("alert(", "onclick", 'style="color', "display: none", "<!DOCTYPE html><html"):
        assert unsafe not in page.split("<main", 1)[-1], unsafe
    assert page.count("<html") == 1 and page.count("<body") == 1


def test_the_stored_report_keeps_its_language_on_an_english_page(client, users, report):
    add_version(report, users["bureau"], 1)
    client.force_login(users["council"])
    page = client.get(page_url(1), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    assert "Version 1, published on 1 December 2014 by Berta Büro" in page
    assert '<div class="published-report" lang="de">' in page


def test_checksums_are_in_a_details_element(client, users, report):
    version = add_version(report, users["bureau"], 1)
    client.force_login(users["council"])
    page = client.get(page_url(1)).content.decode()
    details = page.split('<details class="checksum">', 1)[1].split("</details>", 1)[0]
    assert version.pdf_sha256 in details and version.html_sha256 in details
    assert page.count(version.pdf_sha256) == 1
    assert '<th scope="col">SHA-256' not in page, "no checksum column"


def test_an_older_version_says_so_and_lists_the_others(client, users, report):
    add_version(report, users["bureau"], 1, note="Erste Vorlage")
    add_version(report, users["bureau"], 2, note="Zweite Vorlage")
    client.force_login(users["council"])
    page = client.get(page_url(1)).content.decode()
    assert "Dies ist nicht die neueste Fassung." in page
    assert f'href="{page_url(2)}"' in page
    assert "Erste Vorlage" in page and "Zweite Vorlage" in page
    assert 'aria-current="page"' in page
    assert "nicht die neueste" not in client.get(page_url(2)).content.decode()


def test_version_page_right_and_wrong_users_and_methods(client, users, report):
    add_version(report, users["bureau"], 1)
    response = client.get(page_url(1))
    assert response.status_code == 302 and "/login" in response.url
    client.force_login(users["staff"])
    assert client.get(page_url(1)).status_code == 403
    client.force_login(users["bureau"])
    bureau_page = client.get(page_url(1)).content.decode()
    assert f'href="{DETAIL}"' in bureau_page, "the bureau finds its way back to the draft"
    assert client.get(page_url(7)).status_code == 404
    assert client.get(reverse("reports:version_detail", args=["fehlt", 1])).status_code == 404
    for method in (client.post, client.put, client.delete):
        assert method(page_url(1)).status_code == 405


def test_an_empty_stored_document_shows_an_empty_body(client, users, report):
    PublishedVersion.objects.create(
        report=report,
        number=1,
        published_at=datetime.datetime(2014, 12, 1, tzinfo=datetime.UTC),
        published_by=users["bureau"],
        html=b"",
        html_sha256=hashlib.sha256(b"").hexdigest(),
        pdf=b"%PDF",
        pdf_sha256=hashlib.sha256(b"%PDF").hexdigest(),
    )
    client.force_login(users["council"])
    assert client.get(page_url(1)).status_code == 200


@pytest.mark.parametrize("versions", [1, 12])
def test_version_page_queries_do_not_grow_with_versions(
    client, users, report, django_assert_num_queries, versions
):
    for number in range(1, versions + 1):
        add_version(report, users["bureau"], number)
    client.force_login(users["council"])
    # session, user, roles, report, versions (with who published), the stored HTML
    with django_assert_num_queries(REQUEST + 3):
        assert client.get(page_url(1)).status_code == 200


@pytest.mark.parametrize("role", ["council", "bureau"])
@pytest.mark.parametrize("versions", [1, 12])
def test_report_list_queries_are_the_same_for_both_roles(
    client, users, report, django_assert_num_queries, role, versions
):
    for number in range(1, versions + 1):
        add_version(report, users["bureau"], number)
    client.force_login(users[role])
    # session, user, roles, count, reports, versions
    with django_assert_num_queries(REQUEST + 3):
        assert client.get(LIST).status_code == 200


def test_the_council_page_of_a_report_queries_are_constant(
    client, users, report, django_assert_num_queries
):
    add_version(report, users["bureau"], 1)
    client.force_login(users["council"])
    # session, user, roles, report, latest version
    with django_assert_num_queries(REQUEST + 2):
        assert client.get(DETAIL).status_code == 302


def test_a_version_page_belongs_to_the_reports_section(client, users, report):
    add_version(report, users["bureau"], 1)
    client.force_login(users["council"])
    response = client.get(page_url(1))
    assert [c["label"] for c in response.context["breadcrumbs"]] == ["Startseite", "Berichte"]


def test_the_start_page_leads_the_council_to_the_version_page(client, users, report):
    add_version(report, users["bureau"], 1)
    client.force_login(users["council"])
    home = client.get(reverse("measures:home")).content.decode()
    assert f'<a href="{page_url(1)}">Umsetzungsbericht</a>' in home

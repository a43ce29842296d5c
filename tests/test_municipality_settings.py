"""Whether a municipality's progress pages and open data are public is its bureau's
setting (issue 18, item 7), off by default: the bureau switches it on its settings
page, with a change history; office staff and the council cannot. The public sees
what the municipality's setting allows: when off, a short start page and no link
that ends at a login; when on, the progress pages and the open data."""

import csv
import io
import re

import pytest
from django.urls import reverse

from working_groups.models import Municipality

from .budgets import REQUEST
from .factories import (
    ConceptFactory,
    FundingLineFactory,
    MeasureFactory,
    MunicipalityFactory,
    OfficeFactory,
)

SETTINGS = reverse("working_groups:settings")


def save_url(municipality):
    return reverse("working_groups:settings_save", args=[municipality.slug])


def switch(client, municipality, public):
    data = {f"{municipality.slug}-public_pages": "on"} if public else {}
    return client.post(save_url(municipality), data)


def links(content):
    return set(re.findall(r'href="(/[^"]*)"', content))


def ends_at_the_login(client, content):
    """The links of a page a visitor without an account would follow to a login."""
    ends = []
    for href in links(content) - {reverse("login")}:
        response = client.get(href)
        if response.status_code == 302 and response.url.startswith(reverse("login")):
            ends.append(href)
    return ends


def test_public_pages_are_off_by_default(db):
    assert MunicipalityFactory().public_pages is False


def test_the_bureau_switches_the_public_pages_on_and_off(client, bureau_user, dresden):
    municipality = Municipality.objects.get(slug="dresden")
    client.force_login(bureau_user)
    page = client.get(SETTINGS).content.decode()
    assert "Landeshauptstadt Dresden" in page
    assert "Fortschrittsseiten und offene Daten öffentlich" in page
    assert "derzeit nicht öffentlich" in page

    response = switch(client, municipality, True)
    assert response.status_code == 302 and response.url == SETTINGS
    municipality.refresh_from_db()
    assert municipality.public_pages is True
    page = client.get(SETTINGS).content.decode()
    assert "sind jetzt öffentlich" in page  # the message
    assert "Die Fortschrittsseiten und die offenen Daten sind derzeit öffentlich." in page

    # Who did it, and when: the municipality's change history.
    record = municipality.history.latest()
    assert record.history_user == bureau_user and record.public_pages is True
    history = client.get(reverse("measures:change_history", args=["kommune", municipality.pk]))
    assert "Fortschrittsseiten und offene Daten öffentlich" in history.content.decode()

    client.logout()
    assert client.get(reverse("reports:overview")).status_code == 200
    client.force_login(bureau_user)
    switch(client, municipality, False)
    municipality.refresh_from_db()
    assert municipality.public_pages is False
    client.logout()
    assert client.get(reverse("reports:overview")).status_code == 302


def test_saving_without_a_change_writes_no_history(client, bureau_user, dresden):
    municipality = Municipality.objects.get(slug="dresden")
    client.force_login(bureau_user)
    records = municipality.history.count()
    switch(client, municipality, False)
    assert municipality.history.count() == records


@pytest.mark.parametrize("who", ["office_staff", "council_member"])
def test_office_staff_and_the_council_cannot_change_the_settings(client, request, dresden, who):
    municipality = Municipality.objects.get(slug="dresden")
    client.force_login(request.getfixturevalue(who))
    assert client.get(SETTINGS).status_code == 403
    assert switch(client, municipality, True).status_code == 403
    municipality.refresh_from_db()
    assert municipality.public_pages is False
    assert SETTINGS not in client.get(reverse("measures:home")).content.decode()


def test_visitors_are_sent_to_the_login(client, dresden):
    municipality = Municipality.objects.get(slug="dresden")
    assert client.get(SETTINGS).url.startswith(reverse("login"))
    assert switch(client, municipality, True).url.startswith(reverse("login"))
    municipality.refresh_from_db()
    assert municipality.public_pages is False


def test_the_settings_refuse_other_methods_and_unknown_municipalities(client, bureau_user):
    municipality = MunicipalityFactory()
    client.force_login(bureau_user)
    assert client.get(save_url(municipality)).status_code == 405
    assert client.post(SETTINGS).status_code == 405
    unknown = reverse("working_groups:settings_save", args=["gibt-es-nicht"])
    assert client.post(unknown, {"gibt-es-nicht-public_pages": "on"}).status_code == 404


def test_the_bureau_finds_the_settings_in_its_navigation(client, bureau_user, dresden):
    client.force_login(bureau_user)
    assert f'href="{SETTINGS}"' in client.get(reverse("measures:home")).content.decode()


@pytest.mark.parametrize("count", [1, 5])
def test_the_settings_page_keeps_its_query_budget(
    client, bureau_user, django_assert_num_queries, count
):
    MunicipalityFactory.create_batch(count)
    client.force_login(bureau_user)
    # The request's own, the municipalities.
    with django_assert_num_queries(REQUEST + 1):
        assert client.get(SETTINGS).status_code == 200


# --- What the public sees ---------------------------------------------------------------


def test_with_pages_off_the_public_reads_a_start_page_and_no_link_ends_at_a_login(client, dresden):
    content = client.get(reverse("measures:home")).content.decode()
    assert "Die Fortschrittsseiten sind derzeit nicht öffentlich." in content
    assert "Büro der Integrations- und Ausländerbeauftragten" in content  # whom to ask
    for link in ("/barrierefreiheit/", "/leichte-sprache/"):
        assert link in links(content)
    assert ends_at_the_login(client, content) == []
    assert "public_pages" not in content and "PUBLIC" not in content  # no setting's name
    # The pages behind it still ask for a login, as the page in plain language says.
    for url in (reverse("reports:overview"), reverse("reports:open_data_csv")):
        assert client.get(url).url.startswith(reverse("login"))
    easy = client.get(reverse("reports:easy_language")).content.decode()
    assert "Dafür brauchen Sie keine Anmeldung." not in easy


def test_with_pages_on_the_public_reads_progress_and_open_data(client, dresden, public_pages):
    content = client.get(reverse("measures:home")).content.decode()
    assert "derzeit nicht öffentlich" not in content
    assert {"/fortschritt/", "/offene-daten/"} <= links(content)
    assert ends_at_the_login(client, content) == []
    overview = client.get(reverse("reports:overview"))
    assert overview.status_code == 200
    assert ends_at_the_login(client, overview.content.decode()) == []
    assert client.get(reverse("reports:open_data")).status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("reports:open_data_csv")).content.decode()))
    )
    assert rows and {row["concept"] for row in rows} == {"ik-2009"}
    # Reports are read after login: the public's start page has no card for them.
    assert 'id="report-heading"' not in content and 'id="summary-heading"' in content
    easy = client.get(reverse("reports:easy_language")).content.decode()
    assert "Dafür brauchen Sie keine Anmeldung." in easy


def test_each_municipality_decides_for_its_own_concepts(client, bureau_user):
    public = ConceptFactory(slug="offen", title="Offenes Konzept")
    closed = ConceptFactory(
        slug="intern", title="Internes Konzept", municipality=MunicipalityFactory()
    )
    MeasureFactory(concept=public, title="Öffentliche Maßnahme A")
    MeasureFactory(concept=closed, title="Öffentliche Maßnahme B")
    FundingLineFactory(
        measure=None,
        title="Förderlinie der anderen Stadt",
        responsible_office=OfficeFactory(municipality=closed.municipality),
    )
    client.force_login(bureau_user)
    switch(client, public.municipality, True)
    client.logout()

    home = client.get(reverse("measures:home")).content.decode()
    assert "Offenes Konzept" in home and "Internes Konzept" not in home
    overview = client.get(reverse("reports:overview"), {"konzept": "intern"}).content.decode()
    assert "Internes Konzept" not in overview and "Öffentliche Maßnahme B" not in overview
    funding = client.get(reverse("reports:funding")).content.decode()
    assert "Förderlinie der anderen Stadt" not in funding
    data = client.get(reverse("reports:open_data_json")).json()
    assert [m["title"] for m in data["measures"]] == ["Öffentliche Maßnahme A"]
    assert client.get(reverse("measures:concept_detail", args=["offen"])).status_code == 200
    # A concept of a municipality without public pages is not there for a visitor
    # (its scope: helpers/scope.py), as one that does not exist.
    refused = client.get(reverse("measures:concept_detail", args=["intern"]))
    assert refused.status_code == 404

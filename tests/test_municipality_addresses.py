"""Each municipality at its own address, ``/<slug>/…`` (helpers/addresses.py).

The short name decides the municipality a request works in; every link of the page
keeps it. CONSUL's scenarios: an account of one municipality cannot log in at
another's address nor open its pages there, an unknown municipality is 404 like a
missing page, and one taken out of service answers with a clear page and keeps its
records."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_script_prefix, reverse

from helpers.addresses import addresses_of, municipality_reverse, reserved_words
from helpers.roles import Role, ensure_role_groups
from measures.models import Measure

from .factories import ConceptFactory, MeasureFactory, MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns():
    groups = ensure_role_groups()
    north = MunicipalityFactory(name="Nordstadt", slug="nordstadt", public_pages=True)
    south = MunicipalityFactory(name="Südstadt", slug="suedstadt", public_pages=False)
    people = {}
    for town in (north, south):
        bureau = UserFactory(username=f"buero-{town.slug}", is_staff=True, municipalities=[town])
        bureau.groups.add(groups[Role.BUREAU])
        people[town.slug] = bureau
        MeasureFactory(concept=ConceptFactory(municipality=town), title=f"Sprachkurs {town.name}")
    both = UserFactory(username="beraterin", municipalities=[north, south])
    both.groups.add(groups[Role.COUNCIL])
    people["both"] = both
    return {"north": north, "south": south, "people": people}


def login(client, username, slug=None):
    url = municipality_reverse(slug, "login") if slug else reverse("login")
    return client.post(url, {"username": username, "password": "secret-password"})


def test_a_page_at_a_municipality_address_shows_that_one_and_its_links_keep_it(client, towns):
    client.force_login(towns["people"]["both"])
    page = client.get("/suedstadt/fortschritt/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sprachkurs Südstadt" in html and "Sprachkurs Nordstadt" not in html
    # Every link into the site stays at the address (the frame's and the list's).
    links = re.findall(r'href="(/[^"]*)"', html)
    site_links = [link for link in links if not link.startswith("/static/")]
    assert site_links and all(link.startswith("/suedstadt/") for link in site_links), [
        link for link in site_links if not link.startswith("/suedstadt/")
    ]
    # The same account at the other address works in the other municipality, and an
    # address without a short name follows the one it worked in last.
    assert "Sprachkurs Nordstadt" in client.get("/nordstadt/fortschritt/").content.decode()
    assert "Sprachkurs Nordstadt" in client.get("/fortschritt/").content.decode()
    # The script prefix is the site's again after the request.
    assert get_script_prefix() == "/"


def test_an_account_of_another_municipality_gets_404_at_its_address(client, towns):
    client.force_login(towns["people"]["nordstadt"])
    for path in ("/suedstadt/", "/suedstadt/massnahmen/", "/suedstadt/konto/", "/suedstadt/admin/"):
        response = client.get(path)
        assert response.status_code == 404, path
        html = response.content.decode()
        assert "Südstadt" not in html
        # The 404 page's links lead to the site's own addresses.
        assert 'href="/suedstadt/' not in html
    before = Measure.objects.count()
    assert client.post("/suedstadt/sachstaende/1/freigeben/").status_code == 404
    assert Measure.objects.count() == before


def test_a_short_name_typed_without_its_slash_leads_to_the_start_page(client, towns):
    response = client.get("/nordstadt?x=1")
    assert response.status_code == 301 and response.url == "/nordstadt/?x=1"
    assert client.get(response.url).status_code == 200


def test_an_unknown_municipality_is_404(client, towns):
    assert client.get("/nirgendwo/").status_code == 404
    assert client.get("/nirgendwo/fortschritt/").status_code == 404
    client.force_login(towns["people"]["nordstadt"])
    assert client.get("/nirgendwo/massnahmen/").status_code == 404


def test_an_account_cannot_log_in_at_another_municipality_address(client, towns):
    response = login(client, "buero-nordstadt", "suedstadt")
    assert response.status_code == 200
    assert "Benutzername oder Passwort sind nicht richtig" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # At its own address it logs in and lands on its start page there.
    response = login(client, "buero-nordstadt", "nordstadt")
    assert response.status_code == 302 and response.url == "/nordstadt/"


def test_the_login_without_an_address_leads_to_the_municipality_of_the_account(client, towns):
    response = login(client, "buero-suedstadt")
    assert response.status_code == 302 and response.url == "/suedstadt/"
    # A requested page is kept.
    client.logout()
    response = client.post(
        reverse("login") + "?next=/massnahmen/",
        {"username": "buero-suedstadt", "password": "secret-password"},
    )
    assert response.url == "/massnahmen/"


def test_a_visitor_sees_the_public_pages_of_the_municipality_the_address_names(client, towns):
    page = client.get("/nordstadt/fortschritt/")
    assert page.status_code == 200 and "Sprachkurs Nordstadt" in page.content.decode()
    # Südstadt's pages are not public: its address asks for the login, at its address.
    response = client.get("/suedstadt/fortschritt/")
    assert response.status_code == 302
    assert response.url.startswith("/suedstadt/konto/login/?next=/suedstadt/fortschritt/")
    csv = client.get("/suedstadt/offene-daten/massnahmen.csv")
    assert "Sprachkurs" not in csv.content.decode()
    # Nordstadt's public pages do not appear at Südstadt's address either.
    assert "Nordstadt" not in client.get("/suedstadt/").content.decode()
    redirect = client.get("/suedstadt/massnahmen/")
    assert redirect.status_code == 302 and redirect.url.startswith("/suedstadt/konto/login/")
    assert "next=/suedstadt/massnahmen/" in redirect.url


def test_a_municipality_out_of_service_answers_with_a_clear_page_and_keeps_its_records(
    client, towns
):
    south = towns["south"]
    south.in_service = False
    south.save()
    for user in (None, towns["people"]["suedstadt"], towns["people"]["nordstadt"]):
        client.logout()
        if user:
            client.force_login(user)
        page = client.get("/suedstadt/massnahmen/")
        assert page.status_code == 403
        html = page.content.decode()
        assert "Südstadt ist auf dieser Instanz außer Betrieb" in html
    assert Measure.objects.filter(concept__municipality=south).exists()
    admin = UserFactory(username="it", is_staff=True, is_superuser=True, municipalities=[])
    client.force_login(admin)
    page = client.get("/suedstadt/massnahmen/")
    assert page.status_code == 200 and "Sprachkurs Südstadt" in page.content.decode()


def test_the_switch_leads_to_the_address_of_the_chosen_municipality(client, towns):
    client.force_login(towns["people"]["both"])
    response = client.post(
        reverse("accounts:choose_municipality"), {"municipality": towns["south"].pk}
    )
    assert response.status_code == 302 and response.url == "/suedstadt/"


def test_a_page_at_an_address_costs_the_queries_of_the_same_page_without(client, towns):
    client.force_login(towns["people"]["both"])
    client.get("/nordstadt/fortschritt/")
    client.get("/fortschritt/")
    with CaptureQueriesContext(connection) as plain:
        client.get("/fortschritt/")
    with CaptureQueriesContext(connection) as addressed:
        client.get("/nordstadt/fortschritt/")
    assert len(addressed) == len(plain)


def test_no_site_address_can_be_taken_for_a_municipality():
    assert {"konto", "admin", "berichte", "massnahmen", "static", "healthz"} <= reserved_words()
    assert "dresden" not in reserved_words()


def test_links_in_e_mails_lead_to_the_municipality_address(towns):
    with addresses_of(towns["south"]):
        assert reverse("measures:review_queue") == "/suedstadt/pruefung/"
    assert reverse("measures:review_queue") == "/pruefung/"
    assert not mail.outbox


def test_a_municipality_with_a_host_of_its_own_is_served_there_without_its_short_name(
    client, towns, settings
):
    settings.MUNICIPALITY_HOSTS = True
    settings.ALLOWED_HOSTS = ["testserver", "integration.suedstadt.example"]
    south = towns["south"]
    south.host = "integration.suedstadt.example"
    south.save()
    client.force_login(towns["people"]["both"])
    page = client.get("/fortschritt/", headers={"host": "integration.suedstadt.example"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sprachkurs Südstadt" in html and "Sprachkurs Nordstadt" not in html
    assert 'href="/suedstadt/' not in html, "its own host needs no short name"
    # The main host still serves the other municipality.
    assert "Sprachkurs Nordstadt" in client.get("/nordstadt/fortschritt/").content.decode()
    # An account of another municipality gets 404 on that host too.
    client.force_login(towns["people"]["nordstadt"])
    assert (
        client.get("/fortschritt/", headers={"host": "integration.suedstadt.example"}).status_code
        == 404
    )


def test_an_account_without_municipality_reads_public_pages_as_a_visitor_and_no_more(client, towns):
    land = UserFactory(username="land-betrachter", municipalities=[])
    client.force_login(land)
    assert "Sprachkurs Nordstadt" in client.get("/nordstadt/fortschritt/").content.decode()
    assert client.get("/nordstadt/massnahmen/").status_code in (302, 403)
    # With a role or admin access but no municipality it is not a visitor: 404.
    ensure_role_groups()
    for changes in ({"is_staff": True}, {"role": Role.BUREAU}):
        other = UserFactory(
            username=f"ohne-kommune-{len(changes)}{list(changes)[0]}", municipalities=[]
        )
        if "role" in changes:
            other.groups.add(ensure_role_groups()[changes["role"]])
        else:
            other.is_staff = True
            other.save()
        client.force_login(other)
        assert client.get("/nordstadt/fortschritt/").status_code == 404

"""The system administration (the IT that runs the instance, a superuser) adds and
configures municipalities in the Django admin, appoints each one's bureau accounts
and takes them out of service; nobody deletes one. A bureau sees its own
municipality only and cannot change what identifies it or whether it is served."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import Reason
from helpers.roles import Role, ensure_role_groups
from working_groups.models import Municipality

from .factories import MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

ADD = reverse("admin:working_groups_municipality_add")


def change_url(municipality):
    return reverse("admin:working_groups_municipality_change", args=[municipality.pk])


def appoint_url(municipality):
    return reverse("admin:working_groups_municipality_appoint_bureau", args=[municipality.pk])


def new_municipality(**overrides):
    return {
        "name": "Neustadt an der Probe",
        "slug": "neustadt",
        "ags": "03999001",
        "host": "integration.neustadt.example",
        "contact_name": "Integrationsbüro Neustadt",
        "contact_email": "integration@neustadt.example",
        "contact_phone": "",
        "public_pages": "on",
        "in_service": "on",
        **overrides,
    }


@pytest.fixture
def it(db):
    """The system administration: a superuser who works in no municipality."""
    return UserFactory(username="it", is_staff=True, is_superuser=True, municipalities=[])


@pytest.fixture
def bureau_of():
    groups = ensure_role_groups()

    def make(municipality, username="buero-hier"):
        user = UserFactory(username=username, is_staff=True, municipalities=[municipality])
        user.groups.add(groups[Role.BUREAU])
        return user

    return make


def test_it_adds_a_municipality_and_appoints_its_first_bureau_account(client, it, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    client.force_login(it)
    assert client.get(ADD).status_code == 200
    added = client.post(ADD, new_municipality(), follow=True)
    town = Municipality.objects.get(slug="neustadt")
    # The next step follows at once: the first bureau account.
    assert added.redirect_chain[-1][0] == appoint_url(town)
    page = added.content.decode()
    assert "Noch keines: Ernennen Sie das erste." in page
    assert "integration.neustadt.example ist nicht in ALLOWED_HOSTS" in page
    assert (town.ags, town.host, town.public_pages, town.in_service) == (
        "03999001",
        "integration.neustadt.example",
        True,
        True,
    )

    response = client.post(
        appoint_url(town),
        {
            "first_name": "Berta",
            "last_name": "Büro",
            "email": "berta.buero@neustadt.example",
            "username": "",
        },
        follow=True,
    )
    assert response.redirect_chain == [(appoint_url(town), 302)]
    assert (
        "Neustadt an der Probe hat jetzt ein Konto des Büros für berta.buero@neustadt.example"
        in response.content.decode()
    )

    account = User.objects.get(email="berta.buero@neustadt.example")
    assert list(account.groups.values_list("name", flat=True)) == [Role.BUREAU]
    assert account.is_staff and not account.is_superuser
    assert list(account.municipalities.all()) == [town], "of this municipality only"
    assert not account.offices.exists()
    assert not account.has_usable_password()
    [record] = account.history.all()
    assert (record.history_change_reason, record.history_user) == (Reason.INVITED, it)

    # The invitation the bureau's own invitations send, its link at the
    # municipality's address, and the municipality's contact as whom to ask.
    [message] = mail.outbox
    assert message.to == ["berta.buero@neustadt.example"]
    assert message.subject == "Ihr Zugang zum Integrationsmonitor"
    assert "Ihr Benutzername: berta.buero@neustadt.example" in message.body
    assert re.search(r"http://testserver/neustadt/konto/einladung/\S+/\S+/", message.body)
    assert "Integrationsbüro Neustadt, integration@neustadt.example" in message.body

    page = client.get(appoint_url(town)).content.decode()
    assert "berta.buero@neustadt.example" in page and "noch kein Passwort gewählt" in page
    change = client.get(change_url(town)).content.decode()
    assert f'href="{appoint_url(town)}"' in change


def test_the_new_bureau_account_sees_and_runs_its_own_municipality_only(client, it):
    other = MunicipalityFactory(name="Altstadt")
    town = MunicipalityFactory(name="Neustadt")
    account = services.invite(
        it,
        "http://testserver",
        username="",
        email="berta@neustadt.example",
        first_name="Berta",
        last_name="Büro",
        role=Role.BUREAU,
        offices=[],
        municipalities=[town],
    )
    client.force_login(account)
    listing = client.get(reverse("admin:working_groups_municipality_changelist"))
    assert "Neustadt" in listing.content.decode() and "Altstadt" not in listing.content.decode()
    assert client.get(change_url(other)).status_code == 302, "as a missing record"
    assert client.get(change_url(town)).status_code == 200


def test_a_bureau_cannot_name_another_municipality_for_an_account(bureau_of):
    here, there = MunicipalityFactory(), MunicipalityFactory()
    bureau = bureau_of(here)
    with pytest.raises(services.NotAllowed):
        services.invite(
            bureau,
            "http://testserver",
            username="",
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.COUNCIL,
            offices=[],
            municipalities=[there],
        )
    assert not User.objects.filter(email="x@example.org").exists()
    assert not mail.outbox


def test_the_appointment_refuses_an_address_another_account_has(client, it):
    town = MunicipalityFactory()
    UserFactory(username="vorhanden", email="berta@neustadt.example", municipalities=[])
    client.force_login(it)
    response = client.post(
        appoint_url(town),
        {"first_name": "Berta", "last_name": "Büro", "email": "berta@neustadt.example"},
    )
    assert response.status_code == 200
    assert "Ein anderes Konto hat bereits diese E-Mail-Adresse." in response.content.decode()
    assert not town.accounts.exists() and not mail.outbox


@pytest.mark.parametrize("ags", ["1461200", "17000000", "00123456", "1461200a", "14 61200"])
def test_an_invalid_ags_key_is_refused(client, it, ags):
    client.force_login(it)
    response = client.post(ADD, new_municipality(ags=ags))
    assert response.status_code == 200
    assert "Ein AGS (Amtlicher Gemeindeschlüssel) hat acht Ziffern" in response.content.decode()
    assert not Municipality.objects.filter(slug="neustadt").exists()


def test_an_ags_key_longer_than_eight_digits_is_refused(client, it):
    client.force_login(it)
    response = client.post(ADD, new_municipality(ags="146120000"))
    assert response.status_code == 200
    assert "höchstens 8 Zeichen" in response.content.decode()
    assert not Municipality.objects.filter(slug="neustadt").exists()


def test_the_messages_are_english_too():
    town = Municipality(name="Neustadt", slug="konto", ags="123", host="http://x.example/")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        town.full_clean()
    with translation.override("en"):
        errors = refused.value.message_dict
    assert errors["ags"] == [
        "An AGS key (Amtlicher Gemeindeschlüssel) has eight digits, the first two naming "
        "the Land (01 to 16); enter it without spaces."
    ]
    assert errors["slug"] == [
        "“konto” begins addresses of the site itself (such as /konto/); choose another short name."
    ]
    assert errors["host"][0].startswith("Enter a host name such as integration.example.org")


def test_a_duplicate_ags_key_or_host_is_refused(client, it):
    MunicipalityFactory(name="Altstadt", ags="03999001", host="integration.altstadt.example")
    client.force_login(it)
    response = client.post(
        ADD, new_municipality(ags="03999001", host="Integration.Altstadt.example.")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Eine andere Kommune hat diesen AGS." in page
    assert "Eine andere Kommune wird unter diesem Host bereitgestellt." in page
    assert not Municipality.objects.filter(slug="neustadt").exists()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        Municipality(name="N", slug="n", ags="03999001").full_clean()
    with translation.override("en"):
        assert refused.value.message_dict["ags"] == ["Another municipality has this AGS key."]


def test_many_municipalities_have_neither_ags_key_nor_host(client, it):
    MunicipalityFactory(name="Altstadt")
    client.force_login(it)
    response = client.post(ADD, new_municipality(ags="", host=""))
    assert response.status_code == 302
    town = Municipality.objects.get(slug="neustadt")
    assert (town.ags, town.host) == ("", "")


@pytest.mark.parametrize("slug", ["konto", "admin", "berichte", "fortschritt", "static", "Konto"])
def test_a_slug_the_site_uses_itself_is_refused(client, it, slug):
    client.force_login(it)
    response = client.post(ADD, new_municipality(slug=slug))
    assert response.status_code == 200
    assert "beginnt Adressen der Anwendung selbst" in response.content.decode()
    assert not Municipality.objects.filter(name="Neustadt an der Probe").exists()


def test_a_bureau_cannot_add_a_municipality_nor_appoint_a_bureau_account(client, bureau_of):
    here = MunicipalityFactory()
    client.force_login(bureau_of(here))
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, new_municipality()).status_code == 403
    assert client.get(appoint_url(here)).status_code == 403
    response = client.post(
        appoint_url(here), {"first_name": "A", "last_name": "B", "email": "a@b.example"}
    )
    assert response.status_code == 403
    assert not Municipality.objects.filter(slug="neustadt").exists()
    assert not User.objects.filter(email="a@b.example").exists() and not mail.outbox
    assert "buero-konto" not in client.get(change_url(here)).content.decode()


def test_a_bureau_changes_its_contact_but_not_what_identifies_its_municipality(client, bureau_of):
    here = MunicipalityFactory(name="Hierstadt", slug="hierstadt", ags="03999002", host="")
    client.force_login(bureau_of(here))
    page = client.get(change_url(here)).content.decode()
    for field in ["slug", "ags", "host", "in_service", "accounts"]:
        assert f'name="{field}"' not in page
    response = client.post(
        change_url(here),
        {
            "name": "Hierstadt",
            "slug": "dortstadt",
            "ags": "03999003",
            "host": "dort.example",
            "contact_name": "Büro Hierstadt",
            "contact_email": "buero@hierstadt.example",
            "contact_phone": "",
            "public_pages": "on",
            # in_service left out: "off", were it changeable
        },
    )
    assert response.status_code == 302
    here.refresh_from_db()
    assert (here.slug, here.ags, here.host, here.in_service) == (
        "hierstadt",
        "03999002",
        "",
        True,
    )
    assert (here.contact_email, here.public_pages) == ("buero@hierstadt.example", True)


@pytest.mark.parametrize("who", ["it", "bureau"])
def test_nobody_deletes_a_municipality(client, it, bureau_of, who):
    here = MunicipalityFactory()
    client.force_login(it if who == "it" else bureau_of(here))
    delete = reverse("admin:working_groups_municipality_delete", args=[here.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:working_groups_municipality_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [here.pk]})
    assert Municipality.all_objects.filter(pk=here.pk).exists()


def test_the_out_of_service_page_names_the_municipality_contact(client):
    groups = ensure_role_groups()
    here = MunicipalityFactory(
        name="Ruhestadt",
        in_service=False,
        contact_name="Integrationsbüro Ruhestadt",
        contact_email="integration@ruhestadt.example",
    )
    person = UserFactory(username="ruhe", municipalities=[here])
    person.groups.add(groups[Role.COUNCIL])
    client.force_login(person)
    page = client.get(reverse("measures:home"))
    assert page.status_code == 403
    content = page.content.decode()
    assert "Integrationsbüro Ruhestadt" in content
    assert 'href="mailto:integration@ruhestadt.example"' in content
    # At its address, a visitor is told the same.
    client.logout()
    at_address = client.get(f"/{here.slug}/")
    assert at_address.status_code == 403
    assert "integration@ruhestadt.example" in at_address.content.decode()


def test_without_its_own_contact_the_out_of_service_page_names_the_instance_contact(
    client, settings
):
    settings.BUREAU_CONTACT = {"name": "IT-Service", "email": "it@land.example", "phone": ""}
    groups = ensure_role_groups()
    here = MunicipalityFactory(name="Ruhestadt", in_service=False)
    person = UserFactory(username="ruhe", municipalities=[here])
    person.groups.add(groups[Role.COUNCIL])
    client.force_login(person)
    content = client.get(reverse("measures:home")).content.decode()
    assert "IT-Service" in content and "it@land.example" in content


def test_the_public_start_page_names_the_municipality_contact(client, settings):
    settings.BUREAU_CONTACT = {"name": "IT-Service", "email": "it@land.example", "phone": ""}
    here = MunicipalityFactory(
        name="Hierstadt", slug="hierstadt", contact_email="integration@hierstadt.example"
    )
    # An instance that serves one municipality: its contact, at any address.
    page = client.get(reverse("measures:home")).content.decode()
    assert "integration@hierstadt.example" in page and "it@land.example" not in page
    # Several: at its address, its own; at the instance's, the instance's.
    MunicipalityFactory(name="Dortstadt", slug="dortstadt", contact_email="dort@example.org")
    page = client.get(reverse("measures:home")).content.decode()
    assert "it@land.example" in page and "integration@hierstadt.example" not in page
    at_address = client.get(f"/{here.slug}/")
    assert at_address.status_code == 200
    page = at_address.content.decode()
    assert "integration@hierstadt.example" in page and "dort@example.org" not in page

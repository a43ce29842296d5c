"""Feedback on accessibility belongs to the municipality it was sent in
(reports.AccessibilityFeedback): its bureau reads it in the admin, its contact
receives the e-mail. A message sent on the instance's own pages (an address that
names no municipality) is the system administration's: it may hold the sender's
name and e-mail address, which are no other municipality's business."""

import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from helpers.addresses import municipality_reverse
from helpers.roles import Role, ensure_role_groups
from reports.models import AccessibilityFeedback

from .factories import MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db

FEEDBACK = reverse("reports:accessibility_feedback")
CHANGELIST = reverse("admin:reports_accessibilityfeedback_changelist")
MESSAGE = "Das Diagramm auf der Fortschrittsseite hat keine Tabelle."
SENDER = "erika.muster@example.org"


@pytest.fixture
def towns(settings):
    settings.ACCESSIBILITY = {
        **settings.ACCESSIBILITY,
        "contact_name": "IT-Dienstleister des Landes",
        "contact_email": "barrierefreiheit@land.example",
    }
    groups = ensure_role_groups()
    first = MunicipalityFactory(
        name="Astadt",
        slug="astadt",
        contact_name="Integrationsbüro Astadt",
        contact_email="integration@astadt.example",
    )
    # A contact without an e-mail address: its messages go to the statement's contact.
    second = MunicipalityFactory(name="Bstadt", slug="bstadt", contact_name="Büro Bstadt")
    bureaus = {}
    for town in (first, second):
        bureau = UserFactory(username=f"buero-{town.slug}", is_staff=True, municipalities=[town])
        bureau.groups.add(groups[Role.BUREAU])
        bureaus[town.slug] = bureau
    admin = UserFactory(username="it", is_staff=True, is_superuser=True, municipalities=[])
    return {"first": first, "second": second, "bureaus": bureaus, "admin": admin}


def send(client, url=FEEDBACK, **fields):
    data = {"message": MESSAGE, "name": "Erika Muster", "email": SENDER, **fields}
    response = client.post(url, data, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    return AccessibilityFeedback.objects.latest("pk")


def changelist(client, user):
    client.force_login(user)
    return client.get(CHANGELIST).content.decode()


def test_feedback_sent_at_a_municipalitys_address_reaches_its_bureau_only(client, towns):
    feedback = send(client, municipality_reverse(towns["first"], "reports:accessibility_feedback"))
    assert feedback.municipality == towns["first"]
    first = changelist(client, towns["bureaus"]["astadt"])
    assert MESSAGE in first and SENDER in first
    second = changelist(client, towns["bureaus"]["bstadt"])
    assert MESSAGE not in second and SENDER not in second
    # Its page is answered as a missing one's (the admin's start page).
    change = reverse("admin:reports_accessibilityfeedback_change", args=[feedback.pk])
    missing = reverse("admin:reports_accessibilityfeedback_change", args=[10**9])
    foreign, absent = client.get(change), client.get(missing)
    assert (foreign.status_code, foreign["Location"]) == (absent.status_code, absent["Location"])
    # The system administration reads every message, with where it was sent.
    everything = changelist(client, towns["admin"])
    assert MESSAGE in everything and "Astadt" in everything


def test_the_mail_goes_to_the_contact_of_the_municipality_it_was_sent_in(client, towns):
    url = municipality_reverse(towns["first"], "reports:accessibility_feedback")
    page = client.get(url).content.decode()
    assert "Integrationsbüro Astadt" in page, "the form names whom it is sent to"
    feedback = send(client, url)
    [message] = mail.outbox
    assert message.to == ["integration@astadt.example"]
    assert message.reply_to == [SENDER]
    # Its link opens the message at the municipality's address, as its bureau.
    link = f"http://testserver/astadt/admin/reports/accessibilityfeedback/{feedback.pk}/change/"
    assert link in message.body
    client.force_login(towns["bureaus"]["astadt"])
    assert MESSAGE in client.get(link).content.decode()
    client.logout()
    # A municipality whose contact has no e-mail address: the statement's contact.
    send(client, municipality_reverse(towns["second"], "reports:accessibility_feedback"))
    assert mail.outbox[1].to == ["barrierefreiheit@land.example"]


def test_an_account_sends_in_the_municipality_it_works_in(client, towns):
    client.force_login(towns["bureaus"]["astadt"])
    feedback = send(client)
    assert feedback.municipality == towns["first"]
    assert mail.outbox[0].to == ["integration@astadt.example"]


def test_a_message_on_the_instances_own_pages_is_the_system_administrations_only(client, towns):
    page = client.get(FEEDBACK).content.decode()
    assert "IT-Dienstleister des Landes" in page
    feedback = send(client)
    assert feedback.municipality is None
    assert mail.outbox[0].to == ["barrierefreiheit@land.example"]
    for bureau in towns["bureaus"].values():
        listing = changelist(client, bureau)
        assert MESSAGE not in listing and SENDER not in listing, bureau.username
    everything = changelist(client, towns["admin"])
    assert MESSAGE in everything and SENDER in everything
    assert "der Instanz" in everything, "says that it was sent on the instance's own pages"


def test_messages_from_before_belong_to_the_municipality_their_page_names(towns):
    migration = importlib.import_module(
        "reports.migrations.0013_accessibility_feedback_municipality"
    )

    class SchemaEditor:
        class connection:
            alias = "default"

    named = AccessibilityFeedback.objects.create(message="a", page="/bstadt/fortschritt/")
    site = AccessibilityFeedback.objects.create(message="b", page="/fortschritt/")
    migration.fill_municipality(apps, SchemaEditor)
    named.refresh_from_db()
    site.refresh_from_db()
    assert named.municipality == towns["second"]
    assert site.municipality is None, "two municipalities: nothing tells which"


def test_on_an_instance_of_one_municipality_its_bureau_reads_the_messages_of_every_page(
    client, towns
):
    # Bstadt taken out of service: Astadt is the one the instance serves (Dresden
    # today), and its bureau keeps reading what visitors send from any page.
    towns["second"].in_service = False
    towns["second"].save()
    feedback = send(client)
    assert feedback.municipality == towns["first"]
    assert mail.outbox[0].to == ["integration@astadt.example"]
    assert MESSAGE in changelist(client, towns["bureaus"]["astadt"])

"""The bureau invites a person by e-mail; the one-time link lets them choose a
password and logs them in. Links expire, work once, stop working when a newer
invitation is sent or the account is deactivated, and say so."""

import re
import time
from smtplib import SMTPException

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import Reason
from accounts.services import invitation_link
from accounts.tokens import LinkProblem, invitation_tokens
from helpers.roles import Role

from .factories import OfficeFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Sonnenblume-Elbufer-2026"


@pytest.fixture
def office():
    return OfficeFactory(code="51", name="Jugendamt")


def invite(client, office, **overrides):
    data = {
        "first_name": "Maria",
        "last_name": "Schneider",
        "email": "maria.schneider@dresden.example",
        "username": "",
        "role": Role.OFFICE_STAFF,
        "offices": [str(office.pk)],
        **overrides,
    }
    return client.post(reverse("accounts:account_invite"), data)


def link_in(message):
    return re.search(r"https?://\S+/konto/einladung/\S+/", message.body).group(0)


def path_of(link):
    return link.split("testserver", 1)[1]


def choose_password(client, link, password=PASSWORD):
    response = client.get(path_of(link))
    assert response.status_code == 302, "the token moves into the session"
    set_password_url = response.url
    assert "passwort-waehlen" in set_password_url
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


def test_bureau_invites_and_the_person_chooses_a_password_and_is_logged_in(
    client, bureau_user, office
):
    client.force_login(bureau_user)
    response = invite(client, office)
    account = User.objects.get(email="maria.schneider@dresden.example")
    assert response.status_code == 302
    assert response.url == reverse("accounts:account_detail", args=[account.pk])
    assert not account.has_usable_password()
    assert list(account.groups.values_list("name", flat=True)) == [Role.OFFICE_STAFF]
    assert list(account.offices.all()) == [office]
    # The user name is the e-mail address unless one is given.
    assert account.username == "maria.schneider@dresden.example"

    [message] = mail.outbox
    assert message.to == ["maria.schneider@dresden.example"]
    assert message.subject == "Ihr Zugang zum Integrationsmonitor"
    assert "Ihr Benutzername: maria.schneider@dresden.example" in message.body
    link = link_in(message)

    client.logout()
    response = choose_password(client, link)
    assert response.status_code == 302
    assert response.url == reverse("measures:home")
    account.refresh_from_db()
    assert account.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == account.pk
    # Its office's measures are in its workspace.
    assert client.get(reverse("measures:measure_list")).status_code == 200

    records = list(account.history.order_by("history_date", "history_id"))
    assert [r.history_change_reason for r in records] == [
        Reason.INVITED,
        Reason.INVITATION_ACCEPTED,
    ]
    assert records[0].history_user == bureau_user
    # The role in the municipality it works with.
    assert records[0].roles == f"{office.municipality.name}: {Role.OFFICE_STAFF}"
    assert records[0].offices == "51 – Jugendamt"
    assert records[1].history_user == account and records[1].password_set


def test_the_link_works_once(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    link = link_in(mail.outbox[0])
    client.logout()
    assert choose_password(client, link).status_code == 302
    client.logout()
    again = client.get(path_of(link))
    assert again.status_code == 200
    content = again.content.decode()
    assert "Der Link wurde bereits benutzt." in content
    assert "Passwort vergessen?" in content  # what to do instead
    assert "Büro der Integrations- und Ausländerbeauftragten" in content  # whom to ask


def test_an_expired_link_says_so_and_names_the_contact(client, settings, monkeypatch):
    settings.INVITATION_VALID_DAYS = 7
    settings.BUREAU_CONTACT = {**settings.BUREAU_CONTACT, "email": "integration@dresden.example"}
    account = User.objects.create(username="neu", email="neu@dresden.example")
    account.set_unusable_password()
    account.save()
    real_time = time.time
    # The invitation was sent eight days ago.
    monkeypatch.setattr(time, "time", lambda: real_time() - 8 * 24 * 3600)
    link = invitation_link(account, "http://testserver")
    monkeypatch.setattr(time, "time", real_time)
    assert invitation_tokens.problem(account, link.rstrip("/").rsplit("/", 1)[1]) == (
        LinkProblem.EXPIRED
    )
    response = client.get(path_of(link))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Der Link ist abgelaufen." in content
    assert "integration@dresden.example" in content
    assert 'name="new_password1"' not in content


def test_a_new_invitation_replaces_the_earlier_link(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    account = User.objects.get(email="maria.schneider@dresden.example")
    first = link_in(mail.outbox[0])
    response = client.post(reverse("accounts:invitation_resend", args=[account.pk]))
    assert response.status_code == 302
    second = link_in(mail.outbox[1])
    assert first != second
    client.logout()
    replaced = client.get(path_of(first))
    assert "Eine neuere Einladung hat diesen Link ersetzt." in replaced.content.decode()
    assert choose_password(client, second).status_code == 302
    reasons = list(
        account.history.order_by("history_date", "history_id").values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == [Reason.INVITED, Reason.INVITATION_SENT, Reason.INVITATION_ACCEPTED]


def test_an_invitation_is_sent_again_at_most_once_in_a_few_minutes(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    account = User.objects.get(email="maria.schneider@dresden.example")
    url = reverse("accounts:invitation_resend", args=[account.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert len(mail.outbox) == 2  # the invitation and one more, not three
    assert "vor wenigen Minuten" in response.content.decode()


def test_the_link_of_a_deactivated_account_does_not_work(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    account = User.objects.get(email="maria.schneider@dresden.example")
    link = link_in(mail.outbox[0])
    client.post(reverse("accounts:account_deactivate", args=[account.pk]))
    client.logout()
    response = client.get(path_of(link))
    assert "Das Konto wurde deaktiviert." in response.content.decode()
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_a_tampered_link_is_refused(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    link = link_in(mail.outbox[0])
    client.logout()
    response = client.get(path_of(link)[:-3] + "x/")
    assert response.status_code == 200
    assert "Der Link ist nicht gültig." in response.content.decode()


def test_a_weak_password_is_refused_with_the_validators_message(client, bureau_user, office):
    client.force_login(bureau_user)
    invite(client, office)
    link = link_in(mail.outbox[0])
    client.logout()
    response = choose_password(client, link, password="12345678")
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<title>Fehler:") == 1
    assert 'id="error-summary"' in content
    assert "Dieses Passwort ist zu üblich." in content
    assert not User.objects.get(email="maria.schneider@dresden.example").has_usable_password()


def test_a_second_account_with_the_same_address_is_refused(client, bureau_user, office):
    User.objects.create(username="vorhanden", email="Maria.Schneider@dresden.example")
    client.force_login(bureau_user)
    response = invite(client, office)
    assert response.status_code == 400
    content = response.content.decode()
    assert "<title>Fehler:" in content
    assert "Ein anderes Konto hat bereits diese E-Mail-Adresse." in content
    assert User.objects.count() == 2  # the bureau and the existing account
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("role", "offices", "message"),
    [
        (Role.OFFICE_STAFF, False, "Die Sachbearbeitung braucht mindestens ein Amt"),
        (Role.COUNCIL, True, "Mitglieder des Beirats gehören zu keinem Amt"),
    ],
)
def test_offices_must_fit_the_role(client, bureau_user, office, role, offices, message):
    client.force_login(bureau_user)
    response = invite(client, office, role=role, offices=[str(office.pk)] if offices else [])
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(email="maria.schneider@dresden.example").exists()


def test_only_the_administrator_makes_bureau_accounts(client, bureau_user, admin_user, office):
    client.force_login(bureau_user)
    refused = invite(client, office, role=Role.BUREAU, offices=[])
    assert refused.status_code == 400
    assert not User.objects.filter(email="maria.schneider@dresden.example").exists()
    client.force_login(admin_user)
    assert invite(client, office, role=Role.BUREAU, offices=[]).status_code == 302
    account = User.objects.get(email="maria.schneider@dresden.example")
    assert account.is_staff and not account.is_superuser
    assert list(account.groups.values_list("name", flat=True)) == [Role.BUREAU]


def test_a_taken_user_name_is_refused(client, bureau_user, office):
    User.objects.create(username="mschneider")
    client.force_login(bureau_user)
    response = invite(client, office, username="MSchneider")
    assert response.status_code == 400
    assert "Der Benutzername „MSchneider“ ist vergeben" in response.content.decode()


def test_when_the_mail_cannot_be_sent_nothing_is_kept(client, bureau_user, office, monkeypatch):
    def fail(*args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr("accounts.services.send_mail", fail)
    client.force_login(bureau_user)
    response = invite(client, office)
    assert response.status_code == 503
    assert "Die E-Mail konnte nicht gesendet werden" in response.content.decode()
    assert not User.objects.filter(email="maria.schneider@dresden.example").exists()
    assert not User.history.filter(email="maria.schneider@dresden.example").exists()


def test_an_account_with_a_password_is_not_invited_again(client, bureau_user, council_member):
    client.force_login(bureau_user)
    response = client.post(
        reverse("accounts:invitation_resend", args=[council_member.pk]), follow=True
    )
    assert "Passwort vergessen?" in response.content.decode()
    assert mail.outbox == []

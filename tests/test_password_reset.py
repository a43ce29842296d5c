"""Password reset by e-mail for everyone (Django's views, the site's templates): the
answer never tells whether an address has an account; the link works once; the login
page names whom to ask and links to the reset."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Reason

from .factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW = "Elbwiesen-Sommer-2026"


@pytest.fixture
def person(council_member):
    council_member.email = "beirat@dresden.example"
    council_member.save()
    return council_member


def ask(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def test_reset_by_e_mail_sets_a_new_password_once(client, person):
    response = ask(client, "Beirat@Dresden.example")
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["beirat@dresden.example"]
    assert message.subject == "Ein neues Passwort für den Integrationsmonitor"
    assert "gilt einmal und 24 Stunden" in message.body
    path = re.search(r"http://testserver(/konto/reset/\S+/)", message.body).group(1)
    form_url = client.get(path).url
    response = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(NEW)
    assert person.history.first().history_change_reason == Reason.PASSWORD_RESET
    # The link has done its work.
    used = client.get(path)
    assert "Der Link ist abgelaufen oder wurde bereits benutzt." in used.content.decode()


def test_a_link_sent_before_deactivation_ends_with_the_account(client, person):
    ask(client, "beirat@dresden.example")
    [message] = mail.outbox
    path = re.search(r"http://testserver(/konto/reset/\S+/)", message.body).group(1)
    person.is_active = False
    person.save()
    response = client.get(path, follow=True)
    assert "Der Link ist abgelaufen oder wurde bereits benutzt." in response.content.decode()
    person.refresh_from_db()
    assert not person.has_usable_password() or not person.check_password(NEW)


def test_the_answer_is_the_same_whether_an_account_has_the_address_or_not(client, person):
    known = ask(client, "beirat@dresden.example")
    unknown = ask(client, "niemand@dresden.example")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "Wenn ein aktives Konto mit Passwort diese Adresse hat" in done


def test_the_done_page_says_when_mails_are_delayed_the_same_for_any_address(
    client, person, settings
):
    """The worker sends the mail: when a task has waited more than a minute for it,
    the page says that e-mails may come late, whether an account has the address or
    not (the request's own task is never a minute old)."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    delayed = "Der Versand von E-Mails kann sich verzögern"
    done = reverse("password_reset_done")
    ask(client, "beirat@dresden.example")
    assert DBTaskResult.objects.count() == 1, "the mail waits for the worker"
    assert delayed not in client.get(done).content.decode()

    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=2))
    for email in ("niemand@dresden.example", "beirat@dresden.example"):
        assert ask(client, email).url == done
        assert delayed in client.get(done).content.decode()


def test_no_mail_for_deactivated_accounts_or_accounts_without_password(client, person):
    person.is_active = False
    person.save()
    invited = UserFactory(username="eingeladen", email="eingeladen@dresden.example")
    invited.set_unusable_password()
    invited.save()
    assert ask(client, "beirat@dresden.example").status_code == 302
    assert ask(client, "eingeladen@dresden.example").status_code == 302
    assert mail.outbox == []


def test_one_mail_per_account_within_a_few_minutes(client, person):
    for _ in range(3):
        assert ask(client, "beirat@dresden.example").status_code == 302
    assert len(mail.outbox) == 1


def test_bad_input_redisplays_the_form_with_an_error_summary(client):
    response = ask(client, "kein-e-mail")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Fehler:" in content
    assert 'id="error-summary"' in content
    assert "Bitte gültige E-Mail-Adresse eingeben." in content


def test_the_login_page_names_the_contact_and_links_the_reset(client, settings):
    settings.BUREAU_CONTACT = {
        "name": "Büro der Integrationsbeauftragten",
        "email": "integration@dresden.example",
        "phone": "0351 488-2131",
    }
    content = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}">Passwort vergessen?' in content
    assert "Büro der Integrationsbeauftragten" in content
    assert 'href="mailto:integration@dresden.example"' in content
    assert "0351 488-2131" in content
    assert "noch keine Kontaktadresse" not in content


def test_without_a_configured_contact_the_login_page_names_the_bureau_not_a_setting(
    client, settings
):
    """The deploy check tells the administration (below); visitors read whom to ask,
    never the name of a setting."""
    settings.BUREAU_CONTACT = {**settings.BUREAU_CONTACT, "email": "", "phone": ""}
    content = client.get(reverse("login")).content.decode()
    assert settings.BUREAU_CONTACT["name"] in content
    assert "BUREAU_CONTACT" not in content


def test_the_deploy_check_warns_until_the_contact_is_set(settings):
    from accounts.checks import bureau_contact_configured

    settings.BUREAU_CONTACT = {**settings.BUREAU_CONTACT, "email": ""}
    assert [w.id for w in bureau_contact_configured(None)] == ["accounts.W001"]
    settings.BUREAU_CONTACT = {**settings.BUREAU_CONTACT, "email": "integration@dresden.example"}
    assert bureau_contact_configured(None) == []

"""Login, lockout after repeated failures, idle timeout, password change."""

import time

import pytest
from django.urls import reverse

from helpers.sessions import LAST_ACTIVITY, LOGGED_IN_AT

pytestmark = pytest.mark.django_db


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_with_the_right_password(client, council_member):
    response = login(client, "council", "secret-password")
    assert response.status_code == 302
    assert client.session[LAST_ACTIVITY] > 0


def test_repeated_failures_lock_the_username_from_that_address_only(
    client, council_member, office_staff
):
    for _ in range(5):
        login(client, "council", "wrong")
    locked = login(client, "council", "secret-password")
    assert locked.status_code == 429
    assert "vorübergehend gesperrt" in locked.content.decode()
    # Colleagues behind the same office IP can still log in …
    assert login(client, "staff", "secret-password").status_code == 302
    client.logout()
    # … and the same user from another address too.
    assert login(client, "council", "secret-password", ip="10.0.0.2").status_code == 302


def test_idle_session_ends(client, council_member, settings):
    client.force_login(council_member)
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 10
    session.save()
    response = client.get(reverse("measures:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_an_active_session_ends_after_its_lifetime(client, council_member, settings):
    # Every renewal of the idle clock saves the session, and Django then renews its
    # expiry: without a lifetime of its own an active session would never end.
    client.force_login(council_member)
    session = client.session
    session[LOGGED_IN_AT] = int(time.time()) - settings.SESSION_COOKIE_AGE - 10
    session[LAST_ACTIVITY] = int(time.time()) - 10
    session.save()
    response = client.get(reverse("measures:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_logged_in_pages_are_kept_in_no_cache(client, council_member):
    client.force_login(council_member)
    response = client.get(reverse("measures:home"))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    client.logout()
    assert "no-store" not in client.get(reverse("reports:accessibility")).get("Cache-Control", "")


def test_active_session_continues(client, council_member):
    client.force_login(council_member)
    assert client.get(reverse("measures:home")).status_code == 200
    assert client.get(reverse("measures:home")).status_code == 200


def test_short_idle_timeout_is_renewed_by_an_active_user(client, council_member, settings):
    # With a timeout of one minute, a request 40 s after the last renewal must renew it,
    # or the next request 30 s later would log out a user who was never idle for a minute.
    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(council_member)
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - 40
    session.save()
    assert client.get(reverse("measures:home")).status_code == 200
    assert client.session[LAST_ACTIVITY] >= int(time.time()) - 5


def test_long_idle_timeout_renews_at_most_every_five_minutes(client, council_member, settings):
    settings.SESSION_IDLE_TIMEOUT = 3600
    client.force_login(council_member)
    session = client.session
    session[LAST_ACTIVITY] = last = int(time.time()) - 200
    session.save()
    assert client.get(reverse("measures:home")).status_code == 200
    assert client.session[LAST_ACTIVITY] == last


def test_password_change(client, council_member):
    client.force_login(council_member)
    url = reverse("password_change")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"old_password": "falsch", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()
    good = client.post(
        url,
        {
            "old_password": "secret-password",
            "new_password1": "Ein-langes-Passwort-2026",
            "new_password2": "Ein-langes-Passwort-2026",
        },
    )
    assert good.status_code == 302
    council_member.refresh_from_db()
    assert council_member.check_password("Ein-langes-Passwort-2026")


def test_wrong_current_passwords_lock_the_password_change(client, council_member, settings):
    client.force_login(council_member)
    url = reverse("password_change")
    wrong = {
        "old_password": "falsch",
        "new_password1": "Neu-2026-xyz",
        "new_password2": "Neu-2026-xyz",
    }
    statuses = [client.post(url, wrong, REMOTE_ADDR="10.0.0.1").status_code for _ in range(6)]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    # Now even the right current password is refused, with the lockout page.
    right = {**wrong, "old_password": "secret-password"}
    locked = client.post(url, right, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    assert "vorübergehend gesperrt" in locked.content.decode()
    council_member.refresh_from_db()
    assert council_member.check_password("secret-password")


def test_logout_needs_post(client, council_member):
    client.force_login(council_member)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code in (200, 302)

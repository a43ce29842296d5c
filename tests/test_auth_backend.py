"""Logins go through django-axes and Django's ModelBackend; the roles are read once
per request through the ORM (integration_tracker/roles.py) and only the fixed role
names grant anything; sessions are Django's own and end when they expire."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_SESSION_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from integration_tracker.roles import Role, is_bureau, is_council, is_office_staff, role_names

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_roles_are_read_once_per_user_object(council_member, django_assert_num_queries):
    council_member.groups.add(Group.objects.get_or_create(name="Lesekreis")[0])
    user = get_user_model().objects.get(pk=council_member.pk)
    with django_assert_num_queries(1):
        assert is_council(user) and not is_bureau(user) and not is_office_staff(user)
        assert role_names(user) == {Role.COUNCIL}


def test_several_roles_and_none(council_member):
    council_member.groups.add(Group.objects.get(name=Role.BUREAU))
    user = get_user_model().objects.get(pk=council_member.pk)
    assert role_names(user) == {Role.BUREAU, Role.COUNCIL}
    assert role_names(UserFactory()) == set()


def test_a_group_named_like_a_role_grants_nothing(db):
    user = UserFactory()
    for name in ["bureau,council", "Bureau", "council ", "office_staff,"]:
        user.groups.add(Group.objects.create(name=name))
    assert role_names(user) == set()
    assert not (is_bureau(user) or is_council(user) or is_office_staff(user))


def test_an_inactive_user_has_no_role_and_no_session(client, council_member):
    client.force_login(council_member)
    assert client.get(reverse("reports:report_list")).status_code == 200
    council_member.is_active = False
    council_member.save()
    assert role_names(council_member) == set()
    # ModelBackend refuses an inactive user: the session no longer logs in.
    assert client.get(reverse("reports:report_list")).status_code == 302


def test_an_expired_session_logs_in_nobody(client, council_member):
    client.force_login(council_member)
    assert client.get(reverse("reports:report_list")).status_code == 200
    session_key = client.session.session_key
    Session.objects.filter(session_key=session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    # With cached_db sessions (REDIS_URL) the cached copy expires at the same time.
    cache.delete(CACHED_SESSION_PREFIX + session_key)
    assert client.get(reverse("reports:report_list")).status_code == 302


def test_login_logout_and_pages(client, council_member):
    council_member.set_password("Geheim-2026!")
    council_member.save()
    response = client.post(
        reverse("login"), {"username": "council", "password": "Geheim-2026!"}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == council_member
    assert client.get(reverse("reports:report_list")).status_code == 200  # council only
    client.post(reverse("logout"))
    assert client.get(reverse("reports:report_list")).status_code == 302

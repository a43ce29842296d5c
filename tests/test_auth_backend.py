"""The request's user comes with its roles in one query (integration_tracker/auth.py),
and the session is read in plain SQL (integration_tracker/sessions.py); both behave
as Django's own backends do."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from integration_tracker.auth import RoleBackend
from integration_tracker.roles import Role, is_bureau, is_council, is_office_staff
from integration_tracker.sessions import SessionStore

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_and_roles_in_one_query(council_member, django_assert_num_queries):
    council_member.groups.add(Group.objects.get_or_create(name="Lesekreis")[0])
    with django_assert_num_queries(1):
        user = RoleBackend().get_user(council_member.pk)
        assert is_council(user) and not is_bureau(user) and not is_office_staff(user)
    assert user == council_member
    assert user.username == "council"
    assert isinstance(user.date_joined, datetime.datetime)  # converted as by the ORM
    assert user._role_names == {Role.COUNCIL}


def test_several_roles_and_none(council_member):
    council_member.groups.add(Group.objects.get(name=Role.BUREAU))
    assert RoleBackend().get_user(council_member.pk)._role_names == {Role.BUREAU, Role.COUNCIL}
    nobody = UserFactory()
    assert RoleBackend().get_user(nobody.pk)._role_names == set()


def test_a_group_named_like_a_role_grants_nothing(db):
    user = UserFactory()
    for name in ["bureau,council", "Bureau", "council ", "office_staff,"]:
        user.groups.add(Group.objects.create(name=name))
    loaded = RoleBackend().get_user(user.pk)
    assert loaded._role_names == set()
    assert not (is_bureau(loaded) or is_council(loaded) or is_office_staff(loaded))


def test_unknown_inactive_and_malformed_ids_give_no_user(council_member):
    backend = RoleBackend()
    assert backend.get_user(council_member.pk + 1000) is None
    assert backend.get_user("not-a-number") is None
    council_member.is_active = False
    council_member.save()
    assert backend.get_user(council_member.pk) is None


def test_a_loaded_user_can_be_saved_unchanged(council_member):
    # The raw query's values went through the database converters: saving the loaded
    # user writes back the same values (no string where a date belongs).
    user = RoleBackend().get_user(council_member.pk)
    user.first_name = "Erika"
    user.save()
    council_member.refresh_from_db()
    assert council_member.first_name == "Erika"
    assert council_member.date_joined == user.date_joined


def test_session_store_reads_live_sessions_only(council_member):
    store = SessionStore()
    store["answer"] = 42
    store.create()
    assert SessionStore(store.session_key).load() == {"answer": 42}
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    stale = SessionStore(store.session_key)
    assert stale.load() == {}
    assert stale.session_key is None  # a new one is made when something is stored
    assert SessionStore("no-such-session-key").load() == {}


def test_login_logout_and_pages_work_with_both(client, council_member):
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

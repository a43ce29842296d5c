"""Logins go through django-axes and Django's ModelBackend; the role names are read at
login and kept in the session, and a change of a user's groups reaches their sessions
at once (helpers/roles.py); only the fixed role names grant anything;
sessions are Django's own and end when they expire."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_SESSION_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from helpers import roles
from helpers.roles import Role, is_bureau, is_council, is_office_staff, role_names

from . import budgets
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


def _reads_roles(client, url):
    """Whether the request asks the database for the user's groups; its status."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    return any("auth_user_groups" in q["sql"] for q in queries.captured_queries), status


def test_a_logged_in_page_takes_the_role_names_from_the_session(
    client, council_member, django_assert_num_queries
):
    client.force_login(council_member)
    assert [row[3] for row in client.session[roles.SESSION_KEY]["municipality_rows"]] == [
        [Role.COUNCIL]
    ]
    # The session and the user (budgets.REQUEST), then the page's count of reports.
    with django_assert_num_queries(budgets.REQUEST + 1) as queries:
        assert client.get(reverse("reports:report_list")).status_code == 200
    assert not any("auth_group" in q["sql"] for q in queries.captured_queries)


def test_logging_in_keeps_the_role_names_in_the_session(client, council_member):
    council_member.set_password("Geheim-2026!")
    council_member.save()
    client.post(reverse("login"), {"username": "council", "password": "Geheim-2026!"})
    assert [row[3] for row in client.session[roles.SESSION_KEY]["municipality_rows"]] == [
        [Role.COUNCIL]
    ]
    assert _reads_roles(client, reverse("reports:report_list")) == (False, 200)


def _rename(group):
    group.name = "ehemals Büro"
    group.save()


# Every way a user's role groups change: the user's side, the group's side, and the
# group itself (the accounts page, the admin and the shell all come down to these).
DEMOTIONS = {
    "groups_set": lambda user, bureau: user.groups.set([Group.objects.get(name=Role.COUNCIL)]),
    "groups_remove": lambda user, bureau: user.groups.remove(bureau),
    "groups_clear": lambda user, bureau: user.groups.clear(),
    "group_remove": lambda user, bureau: bureau.user_set.remove(user),
    "group_clear": lambda user, bureau: bureau.user_set.clear(),
    "group_deleted": lambda user, bureau: bureau.delete(),
    "group_renamed": lambda user, bureau: _rename(bureau),
}


@pytest.mark.parametrize("demotion", DEMOTIONS)
def test_a_demoted_user_loses_the_role_with_their_next_request(client, bureau_user, demotion):
    review = reverse("measures:review_queue")
    client.force_login(bureau_user)
    assert client.get(review).status_code == 200
    DEMOTIONS[demotion](bureau_user, Group.objects.get(name=Role.BUREAU))
    assert client.get(review).status_code == 403


def test_a_role_changed_on_the_accounts_page_applies_at_once(client, office_staff, admin_user):
    client.force_login(office_staff)
    assert client.get(reverse("measures:measure_list")).status_code == 200
    services.change(
        office_staff,
        admin_user,
        email="staff@example.org",
        first_name="",
        last_name="",
        role=Role.COUNCIL,
        offices=[],
    )
    assert client.get(reverse("measures:measure_list")).status_code == 403
    assert client.get(reverse("reports:report_list")).status_code == 200


def test_a_deactivated_user_is_logged_out_with_their_next_request(
    client, council_member, admin_user
):
    client.force_login(council_member)
    assert client.get(reverse("reports:report_list")).status_code == 200
    services.set_active(council_member, admin_user, False)
    assert client.get(reverse("reports:report_list")).status_code == 302


@pytest.mark.commit_hooks
def test_a_role_change_reaches_the_sessions_when_it_commits(
    client, bureau_user, django_capture_on_commit_callbacks
):
    review = reverse("measures:review_queue")
    client.force_login(bureau_user)
    with django_capture_on_commit_callbacks(execute=True):
        bureau_user.groups.clear()
        # Not committed: the session's roles stand (a request that read the roles
        # in between would otherwise keep the old ones under a new version).
        assert _reads_roles(client, review) == (False, 200)
    assert _reads_roles(client, review) == (True, 403)


def test_the_roles_are_read_again_when_the_cache_has_lost_the_version(client, council_member):
    url = reverse("reports:report_list")
    client.force_login(council_member)
    cache.delete(roles._version_key(council_member.pk))
    assert _reads_roles(client, url) == (True, 200)
    assert _reads_roles(client, url) == (False, 200)

import itertools
import uuid
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import transaction

from integration_tracker.roles import Role, ensure_role_groups
from measures.audit import record_missing_history
from working_groups.models import Office

from .factories import OfficeFactory, UserFactory

# What the shared cache (REDIS_URL: RedisCache, cached_db sessions) can change: the
# cache and the sessions themselves, and every query budget (a cached_db session is
# read without a query). CI runs the suite on SQLite and on PostgreSQL, and then only
# these tests a third time with Redis (`make test PYTEST_ARGS="-m shared_cache"`).
SHARED_CACHE_MODULES = {
    "test_auth_backend",
    "test_healthz",
    "test_page_cache_race",
    "test_progress_cache",
    "test_serving",
    "test_settings",
}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SHARED_CACHE_MODULES or "django_assert_num_queries" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.shared_cache)


def _user_with_role(role, **kwargs):
    groups = ensure_role_groups()
    user = UserFactory(**kwargs)
    user.groups.add(groups[role])
    return user


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language. A request of the test client
    activates its language in the test's own thread and Django leaves it active; a
    later test that writes records there (an import checked in a fixture) would
    otherwise store another test's language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers are slow by design; tests need no protection against cracking."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dresden(db):
    """The complete Dresden data set, as `make run` loads it."""
    call_command("loaddata", "dresden_2009_2014", verbosity=0)
    record_missing_history()


@pytest.fixture
def dresden_statuses(dresden):
    """The Dresden data set with an approved status for every measure, for tests of
    workflows that need statuses. The seed gives none: these are test data only
    (tests/data/dresden_test_statuses.json), never part of the data set."""
    from pathlib import Path

    from measures.models import Measure

    call_command(
        "loaddata", Path(__file__).parent / "data" / "dresden_test_statuses.json", verbosity=0
    )
    Measure.objects.all().refresh_current_status()


@pytest.fixture
def bureau_user(db):
    return _user_with_role(Role.BUREAU, username="bureau", is_staff=True)


@pytest.fixture
def council_member(db):
    return _user_with_role(Role.COUNCIL, username="council")


@pytest.fixture
def office_staff(db):
    user = _user_with_role(Role.OFFICE_STAFF, username="staff")
    office = Office.objects.filter(code="51").first() or OfficeFactory(code="51")
    office.staff.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


_RUN = uuid.uuid4().hex[:12]
_tests = itertools.count()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Background tasks run at once, in the test's transaction; one end-to-end test
    (tests/test_tasks_worker.py) runs the real database worker instead."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Cached pages of one test must not answer another test's request (the test
    database is rolled back, the cache is not). The local-memory cache is emptied;
    a shared Redis (REDIS_URL) is not flushed, because other test runs may use the
    same database: each test gets its own key prefix there instead."""
    from django.core.cache import cache

    if settings.REDIS_URL:
        default = settings.CACHES["default"]
        prefix = f"test-{_RUN}-{next(_tests)}"
        settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": prefix}}
        yield
        return
    cache.clear()
    yield
    cache.clear()


def remove_published_versions():
    """For tests that flush the database (live server, transactions): on SQLite the
    flush deletes row by row, which the trigger refuses for published versions, so
    they go with the trigger dropped for a moment. PostgreSQL's flush truncates."""
    from django.db import connection

    from reports.models import Publication, PublishedVersion

    if connection.vendor != "sqlite" or not PublishedVersion.objects.exists():
        return
    # A publication holds on to its version (PROTECT); it goes first.
    Publication.objects.all().delete()
    triggers = import_module("reports.migrations.0004_published_version_undeletable").TRIGGERS
    create, drop = triggers["sqlite"]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {PublishedVersion._meta.db_table}")
        for statement in create:
            cursor.execute(statement)


@pytest.fixture(autouse=True)
def page_versions_bump_at_once(request, monkeypatch):
    """The page cache bumps its versions when a transaction commits, but the test's
    own transaction never does: bump at once instead. Tests with real commits
    (``transaction=True``, the live server) and tests marked ``commit_hooks`` keep
    Django's behaviour."""
    marker = request.node.get_closest_marker("django_db")
    if (
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or request.node.get_closest_marker("commit_hooks")
    ):
        return
    from integration_tracker import page_cache

    monkeypatch.setattr(
        page_cache, "changed", lambda *scopes, using=None: page_cache.bump_now(*scopes)
    )

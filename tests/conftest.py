import copy
import itertools
import uuid
from collections.abc import Mapping
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from helpers.roles import Role, ensure_role_groups
from helpers.scope import enter_unscoped
from measures.audit import record_missing_history
from working_groups.models import Office

from .factories import OfficeFactory, UserFactory


def pytest_configure(config):
    # The tests act as the operator does (manage.py): unscoped; each request of the
    # test client runs in its own municipality scope (helpers/scope.py).
    enter_unscoped()


# What the shared cache (REDIS_URL: RedisCache, cached_db sessions) can change: the
# cache and the sessions themselves, and every query budget (a cached_db session is
# read without a query). CI runs the suite on SQLite and on PostgreSQL, and then only
# these tests a third time with Redis (`make test PYTEST_ARGS="-m shared_cache"`).
SHARED_CACHE_MODULES = {
    "test_auth_backend",
    "test_concept_version_race",
    "test_healthz",
    "test_progress_cache",
    "test_redis_outage",
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
    _module_data_last(items)


def _module_data_last(items):
    """Within each module, the tests that use data kept for the module (MODULE_DATA)
    run after the others, in their order: the data stays until the module ends, and
    the others must not see it. xdist gives each worker the tests in this order."""
    runs = []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & MODULE_DATA and (
            {"transactional_db", "live_server", "django_db_reset_sequences"} & names
            or _commits(item.get_closest_marker("django_db"))
        ):
            raise pytest.UsageError(
                f"{item.nodeid} commits its transactions and cannot use data kept for its "
                f"module ({', '.join(sorted(names & MODULE_DATA))}); use dresden_committed."
            )
        module = item.getparent(pytest.Module)
        if not runs or runs[-1][0] is not module:
            runs.append((module, [], []))
        runs[-1][2 if names & MODULE_DATA else 1].append(item)
    items[:] = [item for _module, others, users in runs for item in others + users]


def _commits(django_db_marker):
    kwargs = django_db_marker.kwargs if django_db_marker else {}
    return bool(kwargs.get("transaction") or kwargs.get("reset_sequences"))


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


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Real hashers are slow by design; tests need no protection against cracking."""
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


# Module-scoped fixtures whose data stays for the rest of their module (kept_for_module).
MODULE_DATA = {"dresden_for_module", "matrix_world", "two_worlds"}


def kept_for_module(django_db_blocker, build):
    """Django's ``TestCase.setUpTestData`` for a module of pytest tests, in a
    module-scoped fixture: ``yield from kept_for_module(django_db_blocker, build)``.

    ``build()`` writes once, in a transaction of its own; each test that asks for
    ``db`` runs in a savepoint inside it, rolled back after the test, and the
    transaction is rolled back after the module's last test. List the fixture in
    MODULE_DATA: the module's tests that use the data then run after those that do
    not (which must not see it; pytest_collection_modifyitems). A test whose
    transactions commit (``transaction=True``, the live server) cannot use it: its
    flush would empty the transaction under the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
            data = build()
        # Until the module ends, a test reaches the database through `db` only.
        with django_db_blocker.block():
            yield data
        transaction.set_rollback(True)


class CopiedOnRead(Mapping):
    """A test's view of the data kept for its module: each value deep-copied when the
    test first reads it, with one memo so that the copies keep their relations to one
    another (as Django's ``TestData`` gives a test what ``setUpTestData`` made). A test
    changes its copies without touching the module's objects, and pays only for what
    it reads."""

    def __init__(self, data):
        self._data = data
        self._copies = {}
        self._memo = {}

    def __getitem__(self, key):
        if key not in self._copies:
            self._copies[key] = copy.deepcopy(self._data[key], self._memo)
        return self._copies[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def load_dresden():
    call_command("loaddata", "dresden_2009_2014", verbosity=0)
    record_missing_history()


@pytest.fixture(scope="module")
def dresden_for_module(django_db_setup, django_db_blocker):
    yield from kept_for_module(django_db_blocker, load_dresden)


@pytest.fixture
def dresden(dresden_for_module, db):
    """The complete Dresden data set, as `make run` loads it: loaded once for the tests
    of a module that use it (loaded for each of them, it cost 0.2 s, 570 times)."""


@pytest.fixture
def dresden_committed(transactional_db):
    """The Dresden data set for a test whose transactions commit, because another
    process or connection reads it (a backup, the task worker); the flush after the
    test removes it."""
    load_dresden()


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
def public_pages(db):
    """The progress pages and open data are public in every municipality of the test
    (the bureau's setting ``Municipality.public_pages``), in those there are and in
    those a factory or a fixture makes later in the test."""
    from django.db.models.signals import pre_save

    from working_groups.models import Municipality

    def made_public(sender, instance, raw, **kwargs):
        if instance._state.adding:
            instance.public_pages = True

    uid = "tests.public_pages"
    pre_save.connect(made_public, sender=Municipality, weak=False, dispatch_uid=uid)
    Municipality.objects.update(public_pages=True)
    yield
    pre_save.disconnect(sender=Municipality, dispatch_uid=uid)


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
    """For tests that flush the database (live server, transactions): the database
    refuses to delete published versions (SQLite's flush deletes row by row) and, on
    PostgreSQL, to truncate a table that holds them (reports/migrations/0011), so they
    go with the DELETE trigger dropped for a moment."""
    from django.db import connection

    from reports.models import Publication, PublishedVersion

    if not PublishedVersion.objects.exists():
        return
    # A publication holds on to its version (PROTECT); it goes first.
    Publication.objects.all().delete()
    triggers = import_module("reports.migrations.0004_published_version_undeletable").TRIGGERS
    create, drop = triggers[connection.vendor]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {PublishedVersion._meta.db_table}")
        for statement in create:
            cursor.execute(statement)


@pytest.fixture(autouse=True)
def published_versions_go_before_the_flush(request):
    """After a test whose transactions commit, Django empties the database (flush),
    which the database refuses while it holds published versions: they go first. The
    fixture asks for the database itself, so its teardown runs before the flush."""
    if not _flushes(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    remove_published_versions()


def _flushes(request):
    """Whether pytest-django runs the test as a TransactionTestCase, which flushes."""
    names = request.fixturenames
    return _commits(request.node.get_closest_marker("django_db")) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(names)
    )


def _commits_for_real(request):
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or request.node.get_closest_marker("commit_hooks")
    )


@pytest.fixture(autouse=True)
def role_changes_reach_sessions_at_once(request, monkeypatch):
    """A change of a user's groups reaches their sessions when its transaction
    commits (helpers/roles.py), but the test's own transaction never
    does: at once instead, except where transactions commit (as above)."""
    if _commits_for_real(request):
        return
    from helpers import roles

    monkeypatch.setattr(
        roles, "roles_changed", lambda user_ids, using=None: roles.forget_roles(list(user_ids))
    )

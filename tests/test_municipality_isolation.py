"""Two municipalities on one instance: each one's records and accounts are its own.

Every record that belongs to a municipality is read through its scope
(helpers/scope.py): a request sees the municipalities of its account, a
visitor those with public pages. The permission matrix runs again with the same
roles of another municipality ("Musterstadt"): an address that names a record of
the first answers 404 as if it did not exist (never 403 or a redirect that tells it
apart from a missing one), a page without one shows nothing of the first
municipality, and no refused request writes anything."""

import contextvars
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse

from helpers.roles import Role, ensure_role_groups
from helpers.scope import (
    ALL,
    ScopedManager,
    ScopeError,
    municipality_scope,
)
from measures.models import Measure, StatusEntry
from reports.models import Report
from working_groups.models import Concept, Municipality

from .conftest import CopiedOnRead, kept_for_module
from .factories import (
    ConceptFactory,
    MeasureFactory,
    MunicipalityFactory,
    OfficeFactory,
    ReportingRoundFactory,
    UserFactory,
    assignment_rows,
)
from .test_permission_matrix import ADMIN_LOGIN, LOGIN, MATRIX, build_world, snapshot

# Records every municipality shares (or that span several): catalogues (languages,
# funding programmes and their areas), the site's accessibility statement, and
# per-person settings. (The feedback on the statement belongs to the municipality
# it was sent in.)
SHARED = {
    "measures.Language",
    "measures.FundingProgramme",
    "measures.FundingArea",
    "reports.AccessibilityBarrier",
    "accounts.NotificationSettings",
    # A group of municipalities (the Land view) spans several: the instance's, kept by
    # the system administration; its page reads inside the scope of its members.
    "land.MunicipalityGroup",
}
OUR_APPS = {"working_groups", "measures", "reports", "accounts", "land"}


def _reaches_municipality(model, seen=()):
    if model is Municipality:
        return True
    for field in model._meta.get_fields():
        if (
            field.many_to_one
            and field.concrete
            and field.related_model not in seen
            and field.related_model is not model
            and field.related_model._meta.app_label in OUR_APPS
            and _reaches_municipality(field.related_model, (*seen, model))
        ):
            return True
    return False


def _our_models():
    for model in apps.get_models():
        label = model._meta.label
        ours = model._meta.app_label in OUR_APPS and not model._meta.auto_created
        if ours and not model.__name__.startswith("Historical"):
            yield label, model


@pytest.mark.parametrize(("label", "model"), list(_our_models()), ids=lambda v: str(v))
def test_every_model_that_belongs_to_a_municipality_is_read_through_its_scope(label, model):
    if label in SHARED:
        assert not _reaches_municipality(model), f"{label} belongs to a municipality now"
    else:
        assert isinstance(model._default_manager, ScopedManager), (
            f"{label} belongs to a municipality; its default manager must be scoped"
        )


@pytest.mark.django_db
def test_a_query_outside_any_scope_raises_and_a_scope_filters():
    here, there = MunicipalityFactory(), MunicipalityFactory()
    mine = MeasureFactory(concept=ConceptFactory(municipality=here))
    theirs = MeasureFactory(concept=ConceptFactory(municipality=there))

    def outside():
        with pytest.raises(ScopeError):
            list(Measure.objects.all())
        with pytest.raises(ScopeError):
            Concept.objects.count()

    # A new context is outside any scope, as a thread that forgot its scope is.
    contextvars.Context().run(outside)
    with municipality_scope([here]):
        assert list(Measure.objects.all()) == [mine]
        assert list(mine.concept.measures.all()) == [mine], "related managers too"
        assert not StatusEntry.objects.filter(measure=theirs).exists()
        assert list(Municipality.objects.all()) == [here]
    with municipality_scope([]):
        assert not Measure.objects.exists()
    with municipality_scope(ALL):
        assert Measure.objects.count() == 2


# --- The permission matrix, with the same roles of another municipality -----------

FOREIGN_ROLES = ["council", "owner_staff", "bureau"]
# Addresses whose keyword names a table or a format, not a record.
NOT_A_RECORD = {"table_export", "password_reset_confirm", "invitation_accept"}
RECORD_KEYWORDS = {"pk", "slug", "number", "object_id"}
# What identifies the first municipality's records on a page.
FIRST_ONLY = ["Sprachkurse am Elbufer", "Interne Elbtal-Maßnahme", "Konzept Elbtal"]


@pytest.fixture(scope="module")
def two_worlds(django_db_setup, django_db_blocker):
    def build():
        world = build_world()
        Measure.objects.filter(pk=world["measure"].pk).update(title=FIRST_ONLY[0])
        Measure.objects.filter(pk=world["internal"].pk).update(title=FIRST_ONLY[1])
        Concept.objects.filter(pk=world["concept"].pk).update(title=FIRST_ONLY[2])
        groups = ensure_role_groups()
        other = MunicipalityFactory(name="Musterstadt", slug="musterstadt", public_pages=True)
        concept = ConceptFactory(municipality=other, title="Konzept Musterstadt")
        office = OfficeFactory(municipality=other, code="51")
        MeasureFactory(concept=concept, lead_office=office, title="Musterstädter Maßnahme")
        foreign = {
            "council": UserFactory(username="rat-muster", municipalities=[other]),
            "owner_staff": UserFactory(username="amt-muster", municipalities=[other]),
            "bureau": UserFactory(username="buero-muster", is_staff=True, municipalities=[other]),
        }
        foreign["council"].groups.add(groups[Role.COUNCIL])
        foreign["owner_staff"].groups.add(groups[Role.OFFICE_STAFF])
        foreign["bureau"].groups.add(groups[Role.BUREAU])
        office.staff.add(foreign["owner_staff"])
        # Each case starts from this state (its changes are rolled back after it).
        state = _first_municipality_state()
        return {**world, "foreign": foreign, "other": other, "state": state}

    yield from kept_for_module(django_db_blocker, build)


@pytest.fixture
def worlds(two_worlds, db):
    return CopiedOnRead(two_worlds)


def _names_a_record(name, url):
    return name not in NOT_A_RECORD and bool(
        set(resolve(url.split("?")[0]).kwargs) & RECORD_KEYWORDS
    )


# The instance's own pages (its accessibility statement, its feedback form) are
# shared by every municipality; a message sent with the form is the municipality's
# it was sent in (the matrix's is the first's), so its admin page is not here.
INSTANCE_PAGES = {"accessibility_feedback", "admin_barrier_add"}


def _first_municipality_state():
    """What the first municipality holds (matrix ``snapshot``): entries, measures,
    sections, rounds, reminders, notifications, versions, exports, publications,
    designs, accessibility feedback, the municipalities' settings; not the
    notification settings and account rows that a foreign role's own pages
    (language, password) change."""
    return snapshot(
        "entries",
        "measures",
        "sections",
        "rounds",
        "reminders",
        "notifications",
        "versions",
        "exports",
        "publications",
        "designs",
        "feedback",
        "municipalities",
    )


FOREIGN_CASES = [
    (name, method, role)
    for name in MATRIX
    if name not in INSTANCE_PAGES
    for method in ("GET", "POST")
    for role in FOREIGN_ROLES
]


@pytest.mark.parametrize(("name", "method", "role"), FOREIGN_CASES)
def test_the_same_role_of_another_municipality(client, worlds, name, method, role):
    url_for, get_expect, post_expect, data_for = MATRIX[name]
    home = (get_expect if method == "GET" else post_expect)[role]
    client.force_login(worlds["foreign"][role])
    url = url_for(worlds)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data_for(worlds) if data_for else {})
    status = response.status_code
    if _names_a_record(name, url):
        # Refused for the role whatever the record (the same answer at home), or
        # not there at all.
        if home in (LOGIN, ADMIN_LOGIN):
            allowed = {302, 404}
        elif home in (403, 405):
            allowed = {home, 404}
        else:
            allowed = {404}
        if name.startswith("admin_") and response.get("Location") == reverse("admin:index"):
            # The admin answers a missing record with its start page ("does not exist,
            # perhaps it was deleted"); a foreign one is answered the same way.
            allowed.add(302)
        assert status in allowed, (name, method, role, status, home)
    elif method == "GET" and status == 200 and response["Content-Type"].startswith("text/"):
        content = response.content.decode()
        for words in FIRST_ONLY:
            assert words not in content, f"{name} shows the first municipality's {words!r}"
    assert _first_municipality_state() == worlds["state"], (
        "nothing of the first municipality is written"
    )


# --- Accounts, the admin and the session ------------------------------------------


def test_the_site_starts_outside_any_scope():
    """What is built when the code is loaded (forms, filters, the admin, the URLs)
    makes no query of a municipality's records: a server process starts outside any
    scope (the tests run unscoped and would not notice)."""
    script = (
        "import importlib, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "def walk(patterns):\n"
        "    for p in patterns:\n"
        "        walk(p.url_patterns) if hasattr(p, 'url_patterns') else p.callback\n"
        "walk(get_resolver().url_patterns)\n"
        "importlib.import_module('integration_tracker.wsgi')\n"
        "for app in ('accounts', 'measures', 'reports', 'working_groups', 'land'):\n"
        "    for name in ('forms', 'filters', 'admin', 'resources', 'views', 'tasks'):\n"
        "        try:\n"
        "            importlib.import_module(f'{app}.{name}')\n"
        "        except ModuleNotFoundError as error:\n"
        "            if error.name != f'{app}.{name}':\n"
        "                raise\n"
        "print('started')\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "integration_tracker.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "started", done.stderr[-3000:]


@pytest.mark.django_db
def test_an_account_taken_out_of_its_municipality_loses_its_records_with_the_next_request(
    client, django_capture_on_commit_callbacks
):
    groups = ensure_role_groups()
    here = MunicipalityFactory()
    measure = MeasureFactory(concept=ConceptFactory(municipality=here))
    person = UserFactory(municipalities=[here])
    person.groups.add(groups[Role.BUREAU])
    client.force_login(person)
    url = reverse("measures:measure_detail", args=[measure.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        here.accounts.remove(person)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_bureau_invites_into_its_own_municipality_and_offers_its_own_offices(client):
    groups = ensure_role_groups()
    here, there = MunicipalityFactory(), MunicipalityFactory()
    own_office = OfficeFactory(municipality=here, code="51", name="Jugendamt Hier")
    OfficeFactory(municipality=there, code="51", name="Jugendamt Dort")
    bureau = UserFactory(username="buero-hier", is_staff=True, municipalities=[here])
    bureau.groups.add(groups[Role.BUREAU])
    client.force_login(bureau)
    page = client.get(reverse("accounts:account_invite")).content.decode()
    assert "Jugendamt Hier" in page and "Jugendamt Dort" not in page
    response = client.post(
        reverse("accounts:account_invite"),
        {
            "first_name": "Ada",
            "last_name": "Neu",
            "email": "ada@example.org",
            "username": "",
            "role": Role.OFFICE_STAFF,
            "offices": [own_office.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = get_user_model().objects.get(email="ada@example.org")
    assert list(account.municipalities.all()) == [here]


@pytest.mark.django_db
def test_the_bureau_does_not_see_or_change_accounts_of_another_municipality(client):
    groups = ensure_role_groups()
    here, there = MunicipalityFactory(), MunicipalityFactory()
    bureau = UserFactory(username="buero-hier", is_staff=True, municipalities=[here])
    bureau.groups.add(groups[Role.BUREAU])
    theirs = UserFactory(username="rat-dort", last_name="Dortmann", municipalities=[there])
    theirs.groups.add(groups[Role.COUNCIL])
    client.force_login(bureau)
    assert "Dortmann" not in client.get(reverse("accounts:account_list")).content.decode()
    for name in ["account_detail", "account_edit"]:
        assert client.get(reverse(f"accounts:{name}", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("accounts:account_deactivate", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


@pytest.mark.django_db
def test_the_admin_offers_the_bureau_its_own_municipality_only(client):
    groups = ensure_role_groups()
    here, there = MunicipalityFactory(name="Hierstadt"), MunicipalityFactory(name="Dortstadt")
    office = OfficeFactory(municipality=here, code="51")
    bureau = UserFactory(username="buero-hier", is_staff=True, municipalities=[here])
    bureau.groups.add(groups[Role.BUREAU])
    stranger = UserFactory(username="dort", municipalities=[there])
    theirs = MeasureFactory(concept=ConceptFactory(municipality=there), title="Dortmaßnahme")
    client.force_login(bureau)
    listing = client.get(reverse("admin:working_groups_municipality_changelist")).content.decode()
    assert "Hierstadt" in listing and "Dortstadt" not in listing
    assert (
        "Dortmaßnahme"
        not in client.get(reverse("admin:measures_measure_changelist")).content.decode()
    )
    # A foreign record is answered as a missing one.
    foreign = client.get(reverse("admin:measures_measure_change", args=[theirs.pk]))
    missing = client.get(reverse("admin:measures_measure_change", args=[10**9]))
    assert (foreign.status_code, foreign.get("Location")) == (
        missing.status_code,
        missing.get("Location"),
    )
    # The bureau cannot make another municipality's account the staff of its office,
    # nor move its office to another municipality.
    change = reverse("admin:working_groups_office_change", args=[office.pk])
    response = client.post(
        change,
        {
            "municipality": there.pk,
            "code": "51",
            "name": office.name,
            "kind": office.kind,
            "staff": [stranger.pk],
            "position": 0,
        },
    )
    assert response.status_code == 200, "the form is shown again with its errors"
    office.refresh_from_db()
    assert office.municipality == here
    assert not office.staff.exists()
    # Who works with a municipality is the system administration's to decide.
    page = client.get(reverse("admin:working_groups_municipality_change", args=[here.pk]))
    assert 'name="accounts"' not in page.content.decode()
    assert client.get(reverse("admin:working_groups_municipality_add")).status_code == 403


@pytest.mark.django_db
def test_a_visitor_reads_the_municipalities_with_public_pages_only(client):
    public = MunicipalityFactory(public_pages=True)
    private = MunicipalityFactory(public_pages=False)
    shown = MeasureFactory(concept=ConceptFactory(municipality=public), title="Öffentlich")
    hidden = MeasureFactory(concept=ConceptFactory(municipality=private), title="Geschlossen")
    csv = client.get(reverse("reports:open_data_csv")).content.decode()
    assert shown.title in csv and hidden.title not in csv
    assert client.get(reverse("reports:measure", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("reports:measure", args=[shown.pk])).status_code == 200


@pytest.mark.django_db
def test_reports_and_rounds_of_another_municipality_are_not_there(client):
    groups = ensure_role_groups()
    here, there = MunicipalityFactory(), MunicipalityFactory()
    bureau = UserFactory(is_staff=True, municipalities=[here])
    bureau.groups.add(groups[Role.BUREAU])
    concept = ConceptFactory(municipality=there)
    Report.objects.create(
        concept=concept,
        slug="dort",
        title="Bericht Dortstadt",
        period_start="2020-01-01",
        period_end="2020-12-31",
    )
    ReportingRoundFactory(concept=concept, title="Runde Dort")
    client.force_login(bureau)
    assert "Bericht Dortstadt" not in client.get(reverse("reports:report_list")).content.decode()
    assert client.get(reverse("reports:report_detail", args=["dort"])).status_code == 404
    assert "Runde Dort" not in client.get(reverse("measures:round_list")).content.decode()


@pytest.mark.django_db
def test_a_municipality_out_of_service_keeps_its_records_and_says_so(client):
    groups = ensure_role_groups()
    here = MunicipalityFactory(name="Ruhestadt", public_pages=True)
    measure = MeasureFactory(concept=ConceptFactory(municipality=here), title="Ruhende Maßnahme")
    person = UserFactory(username="ruhe", municipalities=[here])
    person.groups.add(groups[Role.COUNCIL])
    admin = UserFactory(username="it", is_staff=True, is_superuser=True, municipalities=[])
    client.force_login(admin)
    change = reverse("admin:working_groups_municipality_change", args=[here.pk])
    data = {
        "name": here.name,
        "slug": here.slug,
        "public_pages": "on",
        **assignment_rows(here),
    }
    assert client.post(change, data).status_code == 302  # in_service unticked: taken out
    here.refresh_from_db()
    assert not here.in_service

    client.force_login(person)
    page = client.get(reverse("measures:home"))
    assert page.status_code == 403
    assert "Ruhestadt" in page.content.decode() and "außer Betrieb" in page.content.decode()
    assert "Zur Startseite" not in page.content.decode(), "no link back to this page"
    assert client.get(reverse("accounts:my_account")).status_code == 200
    client.logout()
    # Its public pages are offline: with no other municipality's public, a visitor
    # is asked to log in.
    offline = client.get(reverse("reports:measure", args=[measure.pk]))
    assert offline.status_code == 302 and offline.url.startswith(reverse("login"))
    assert Measure.objects.filter(pk=measure.pk).exists(), "its records are kept"

    client.force_login(admin)
    assert client.post(change, {**data, "in_service": "on"}).status_code == 302
    client.force_login(person)
    assert client.get(reverse("measures:home")).status_code == 200


@pytest.mark.django_db
def test_only_the_system_administration_takes_a_municipality_out_of_service(client):
    groups = ensure_role_groups()
    here = MunicipalityFactory()
    bureau = UserFactory(username="buero-hier", is_staff=True, municipalities=[here])
    bureau.groups.add(groups[Role.BUREAU])
    client.force_login(bureau)
    change = reverse("admin:working_groups_municipality_change", args=[here.pk])
    client.post(change, {"name": here.name, "slug": here.slug})
    here.refresh_from_db()
    assert here.in_service


@pytest.mark.django_db
def test_an_account_in_two_municipalities_works_in_one_at_a_time_and_switches(client):
    groups = ensure_role_groups()
    first = MunicipalityFactory(name="Astadt")
    second = MunicipalityFactory(name="Bstadt")
    in_first = MeasureFactory(concept=ConceptFactory(municipality=first))
    in_second = MeasureFactory(concept=ConceptFactory(municipality=second))
    consultant = UserFactory(username="beraterin", municipalities=[first, second])
    consultant.groups.add(groups[Role.COUNCIL])
    client.force_login(consultant)
    page = client.get(reverse("measures:home")).content.decode()
    assert 'id="municipality-choice"' in page and "Astadt" in page and "Bstadt" in page
    assert client.get(reverse("reports:measure", args=[in_first.pk])).status_code == 200
    assert client.get(reverse("reports:measure", args=[in_second.pk])).status_code == 404

    switched = client.post(reverse("accounts:choose_municipality"), {"municipality": second.pk})
    # Its start page, at its address (helpers/addresses.py).
    assert switched.url == f"/{second.slug}/"
    assert "Sie arbeiten jetzt in Bstadt." in client.get(switched.url).content.decode()
    assert client.get(reverse("reports:measure", args=[in_first.pk])).status_code == 404
    assert client.get(reverse("reports:measure", args=[in_second.pk])).status_code == 200

    # A municipality the account does not work with cannot be chosen.
    other = MunicipalityFactory(name="Cstadt")
    client.post(reverse("accounts:choose_municipality"), {"municipality": other.pk})
    assert client.get(reverse("reports:measure", args=[in_second.pk])).status_code == 200


@pytest.mark.django_db
def test_an_account_in_one_municipality_sees_its_name_and_no_switch(client, council_member):
    page = client.get(reverse("measures:home"))
    client.force_login(council_member)
    page = client.get(reverse("measures:home")).content.decode()
    assert 'id="municipality-choice"' not in page
    assert council_member.municipalities.get().name in page

"""Roles per municipality: an account's role is its assignment to each municipality
(``working_groups.Assignment``), and a request has the role of the municipality it
works in (helpers/roles.py). The bureau of one municipality changes, invites and
ends accounts there only; what an account does in another stays."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.models import Reason
from helpers.addresses import municipality_reverse
from helpers.roles import Role, ensure_role_groups, sync_role_groups
from working_groups.models import Assignment

from .factories import (
    ConceptFactory,
    MeasureFactory,
    MunicipalityFactory,
    OfficeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def assign(user, municipality, role):
    """As the system administration assigns an account (the municipality's admin)."""
    Assignment.objects.update_or_create(
        user=user, municipality=municipality, defaults={"role": role}
    )
    sync_role_groups([user.pk])


@pytest.fixture
def world():
    aue = MunicipalityFactory(name="Aue", slug="aue")
    borna = MunicipalityFactory(name="Borna", slug="borna")
    for town in (aue, borna):
        MeasureFactory(concept=ConceptFactory(municipality=town), title=f"Sprachkurs {town.name}")
    offices = {
        "aue": OfficeFactory(municipality=aue, code="51", name="Jugendamt Aue"),
        "borna": OfficeFactory(municipality=borna, code="51", name="Jugendamt Borna"),
    }
    bureau = UserFactory(username="buero-aue", municipalities=[])
    assign(bureau, aue, Role.BUREAU)
    consultant = UserFactory(username="beraterin", municipalities=[])
    assign(consultant, aue, Role.BUREAU)
    assign(consultant, borna, Role.COUNCIL)
    # Office staff in both, for a youth office each.
    person = UserFactory(username="pendlerin", email="pendlerin@example.org", municipalities=[])
    assign(person, aue, Role.OFFICE_STAFF)
    assign(person, borna, Role.OFFICE_STAFF)
    offices["aue"].staff.add(person)
    offices["borna"].staff.add(person)
    for user in (bureau, consultant, person):
        user.refresh_from_db()
    return SimpleNamespace(
        aue=aue, borna=borna, offices=offices, bureau=bureau, consultant=consultant, person=person
    )


def at(town, name, *args):
    return municipality_reverse(town.slug, name, args=args or None)


def role_in(user, town):
    return Assignment.objects.get(user=user, municipality=town).role


def test_an_account_is_bureau_in_one_municipality_and_council_in_another(client, world):
    consultant, aue, borna = world.consultant, world.aue, world.borna
    assert consultant.is_staff
    client.force_login(consultant)
    # In Aue the bureau: its accounts page, the admin, the navigation's link to it.
    accounts_page = client.get(at(aue, "accounts:account_list"))
    assert accounts_page.status_code == 200
    assert client.get(at(aue, "admin:index")).status_code == 200
    assert client.get(at(aue, "admin:working_groups_office_changelist")).status_code == 200
    # In Borna a council member: reads, but neither runs accounts nor opens the admin
    # (which sends it to its login, as it does for an account without the right).
    assert client.get(at(borna, "measures:home")).status_code == 200
    assert client.get(at(borna, "accounts:account_list")).status_code == 403
    for name in ("admin:index", "admin:working_groups_office_changelist"):
        closed = client.get(at(borna, name))
        assert closed.status_code == 302 and "/admin/login/" in closed["Location"], name
    # Choosing a municipality (addresses without a short name follow it) changes it.
    client.post("/konto/kommune/", {"municipality": borna.pk})
    assert client.get("/konten/").status_code == 403
    assert client.get("/admin/").status_code == 302
    client.post("/konto/kommune/", {"municipality": aue.pk})
    assert client.get("/konten/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_bureau_changes_a_role_in_its_own_municipality_only(client, world):
    person, aue, borna = world.person, world.aue, world.borna
    client.force_login(world.bureau)
    edit = at(aue, "accounts:account_edit", person.pk)
    form = client.get(edit).content.decode()
    assert "Jugendamt Borna" not in form
    data = {
        "first_name": "Paula",
        "last_name": "Pendler",
        "email": person.email,
        "role": Role.COUNCIL,
    }
    assert client.post(edit, data).status_code == 302
    assert (role_in(person, aue), role_in(person, borna)) == (Role.COUNCIL, Role.OFFICE_STAFF)
    # Its office in Aue ended with the role; its office in Borna stays.
    assert list(User.objects.get(pk=person.pk).offices.all()) == [world.offices["borna"]]
    # The groups (the admin's permissions) are the roles it holds anywhere.
    assert set(person.groups.values_list("name", flat=True)) == {Role.COUNCIL, Role.OFFICE_STAFF}
    record = person.history.first()
    assert record.roles == "Aue: council; Borna: office_staff"
    detail = client.get(at(aue, "accounts:account_detail", person.pk)).content.decode()
    assert "Aue: Mitglied des Beirats; Borna: Sachbearbeitung im Amt" in detail
    # The list filters by the role here.
    listing = at(aue, "accounts:account_list")
    assert "pendlerin" in client.get(listing, {"role": Role.COUNCIL}).content.decode()
    assert "pendlerin" not in client.get(listing, {"role": Role.OFFICE_STAFF}).content.decode()
    # In Borna it still reports for its office.
    client.force_login(person)
    assert client.get(at(borna, "measures:home")).status_code == 200


def test_deactivating_an_account_that_works_elsewhere_ends_its_work_here_only(client, world):
    person, aue, borna = world.person, world.aue, world.borna
    client.force_login(world.bureau)
    page = client.get(at(aue, "accounts:account_deactivate", person.pk)).content.decode()
    assert "Die Arbeit von pendlerin mit Aue beenden?" in page
    response = client.post(at(aue, "accounts:account_deactivate", person.pk))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_active
    assert list(
        Assignment.objects.filter(user=person).values_list("municipality__slug", "role")
    ) == [("borna", Role.OFFICE_STAFF)]
    assert list(person.offices.all()) == [world.offices["borna"]]
    record = person.history.first()
    assert record.history_change_reason == Reason.ASSIGNMENT_ENDED
    assert record.roles == "Borna: office_staff"
    # For the bureau of Aue it is not there any more.
    assert client.get(at(aue, "accounts:account_detail", person.pk)).status_code == 404
    # It still works in Borna; Aue's pages do not know it.
    client.force_login(person)
    assert client.get(at(borna, "measures:home")).status_code == 200
    assert client.get(at(aue, "measures:home")).status_code == 404
    assert client.get(at(aue, "measures:measure_list")).status_code == 404


def test_an_account_of_one_municipality_only_is_deactivated_as_before(client, world):
    only_here = UserFactory(username="nur-aue", municipalities=[])
    assign(only_here, world.aue, Role.COUNCIL)
    client.force_login(world.bureau)
    client.post(at(world.aue, "accounts:account_deactivate", only_here.pk))
    only_here.refresh_from_db()
    assert not only_here.is_active
    assert role_in(only_here, world.aue) == Role.COUNCIL


def test_the_bureau_cannot_grant_anything_in_another_municipality(client, world):
    aue, borna, person = world.aue, world.borna, world.person
    theirs = UserFactory(username="nur-borna", municipalities=[])
    assign(theirs, borna, Role.COUNCIL)
    client.force_login(world.bureau)
    before = list(Assignment.objects.order_by("pk").values_list("user", "municipality", "role"))
    staff_before = sorted(world.offices["borna"].staff.values_list("pk", flat=True))
    # Borna's office offered to a new account or to the shared one: refused.
    invited = client.post(
        at(aue, "accounts:account_invite"),
        {
            "first_name": "Neu",
            "last_name": "Person",
            "email": "neu@example.org",
            "username": "",
            "role": Role.OFFICE_STAFF,
            "offices": [str(world.offices["borna"].pk)],
        },
    )
    assert invited.status_code == 400
    edited = client.post(
        at(aue, "accounts:account_edit", person.pk),
        {
            "last_name": "Pendler",
            "first_name": "Paula",
            "email": person.email,
            "role": Role.OFFICE_STAFF,
            "offices": [str(world.offices["borna"].pk)],
        },
    )
    assert edited.status_code == 400
    # Borna's accounts and Borna's address: not there.
    for name in ("accounts:account_edit", "accounts:account_deactivate"):
        assert client.post(at(aue, name, theirs.pk), {"role": Role.OFFICE_STAFF}).status_code == 404
        assert client.post(at(borna, name, person.pk), {"role": Role.COUNCIL}).status_code == 404
    assert not User.objects.filter(email="neu@example.org").exists()
    assert (
        list(Assignment.objects.order_by("pk").values_list("user", "municipality", "role"))
        == before
    )
    assert sorted(world.offices["borna"].staff.values_list("pk", flat=True)) == staff_before
    assert User.objects.get(pk=theirs.pk).is_active


def test_inviting_an_account_of_another_municipality_is_refused_and_merges_nothing(client, world):
    theirs = UserFactory(username="nur-borna", email="rat@borna.example", municipalities=[])
    assign(theirs, world.borna, Role.COUNCIL)
    client.force_login(world.bureau)
    for overrides in ({"email": "rat@borna.example"}, {"username": "nur-borna"}):
        data = {
            "first_name": "Rita",
            "last_name": "Rat",
            "email": "rita@example.org",
            "username": "",
            "role": Role.COUNCIL,
            **overrides,
        }
        response = client.post(at(world.aue, "accounts:account_invite"), data)
        assert response.status_code == 400
        assert "ordnet die Systemadministration einer Kommune zu" in response.content.decode()
    assert list(Assignment.objects.filter(user=theirs).values_list("municipality", flat=True)) == [
        world.borna.pk
    ]
    assert User.objects.count() == 4


def test_an_invited_account_works_in_the_inviting_municipality_in_its_role(client, world):
    client.force_login(world.consultant)
    client.post("/konto/kommune/", {"municipality": world.aue.pk})
    response = client.post(
        at(world.aue, "accounts:account_invite"),
        {
            "first_name": "Neu",
            "last_name": "Person",
            "email": "neu@example.org",
            "username": "",
            "role": Role.OFFICE_STAFF,
            "offices": [str(world.offices["aue"].pk)],
        },
    )
    assert response.status_code == 302
    invited = User.objects.get(email="neu@example.org")
    assert list(Assignment.objects.filter(user=invited).values_list("municipality", "role")) == [
        (world.aue.pk, Role.OFFICE_STAFF)
    ]


def test_the_system_administration_assigns_accounts_with_a_role(client, world):
    admin = UserFactory(username="it", is_staff=True, is_superuser=True, municipalities=[])
    client.force_login(admin)
    newcomer = UserFactory(username="neu", municipalities=[])
    rows = list(Assignment.objects.filter(municipality=world.borna).order_by("pk"))
    data = {
        "name": "Borna",
        "slug": "borna",
        "in_service": "on",
        "assignments-TOTAL_FORMS": str(len(rows) + 1),
        "assignments-INITIAL_FORMS": str(len(rows)),
        f"assignments-{len(rows)}-user": str(newcomer.pk),
        f"assignments-{len(rows)}-role": Role.BUREAU,
        f"assignments-{len(rows)}-municipality": str(world.borna.pk),
    }
    for number, row in enumerate(rows):
        data |= {
            f"assignments-{number}-id": str(row.pk),
            f"assignments-{number}-municipality": str(world.borna.pk),
            f"assignments-{number}-user": str(row.user_id),
            f"assignments-{number}-role": row.role,
        }
    change = at(world.borna, "admin:working_groups_municipality_change", world.borna.pk)
    assert "Zuordnungen" in client.get(change).content.decode()
    assert client.post(change, data).status_code == 302
    newcomer.refresh_from_db()
    assert role_in(newcomer, world.borna) == Role.BUREAU
    assert newcomer.is_staff and list(newcomer.groups.values_list("name", flat=True)) == [
        Role.BUREAU
    ]


def test_the_migration_fills_each_role_from_the_account_role_group(world):
    migration = importlib.import_module("working_groups.migrations.0011_assignment_role")
    groups = ensure_role_groups()
    council, several, none = (UserFactory(municipalities=[world.aue]) for _ in range(3))
    council.groups.add(groups[Role.COUNCIL])
    several.groups.add(groups[Role.COUNCIL], groups[Role.BUREAU])
    # As the rows were before the migration: no role.
    Assignment.objects.filter(user__in=[council, several, none]).update(role="")
    migration.fill_roles(apps, SimpleNamespace(connection=connection))
    assert role_in(council, world.aue) == Role.COUNCIL
    # Several roles or none: nothing to take; the groups say (an empty role).
    assert role_in(several, world.aue) == ""
    assert role_in(none, world.aue) == ""
    # An assignment named before keeps its role.
    assert role_in(world.consultant, world.borna) == Role.COUNCIL

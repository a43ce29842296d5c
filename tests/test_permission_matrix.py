"""Every URL of the workspace, for every role, with GET and POST: anonymous users go
to the login, everyone else gets exactly what DESIGN.md allows (403/404/405
otherwise), and a refused POST writes nothing."""

import datetime

import pytest
from django.urls import reverse

from integration_tracker.roles import Role, ensure_role_groups
from measures.models import Measure, Reminder, ReportingRound, Status, StatusEntry
from reports.models import PublishedVersion, Report

from .factories import (
    ConceptFactory,
    MeasureFactory,
    OfficeFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
    UserFactory,
)

ROLES = ["anonymous", "council", "owner_staff", "other_staff", "bureau", "admin"]
OK, REDIRECT = 200, 302
LOGIN = "login"  # anonymous: redirected to the login page
ADMIN_LOGIN = "admin_login"  # not staff: redirected to the admin's login page


def allow(**codes):
    """Expected status per role; anonymous always goes to the login page."""
    return {"anonymous": LOGIN, **codes}


WORKSPACE_READ = allow(council=403, owner_staff=OK, other_staff=OK, bureau=OK, admin=OK)
OWNER_READ = allow(council=403, owner_staff=OK, other_staff=404, bureau=OK, admin=OK)
BUREAU_READ = allow(council=403, owner_staff=403, other_staff=403, bureau=OK, admin=OK)
NOT_POST = allow(council=403, owner_staff=405, other_staff=405, bureau=405, admin=405)
NOT_POST_BUREAU = allow(council=403, owner_staff=403, other_staff=403, bureau=405, admin=405)
NOT_GET_BUREAU = NOT_POST_BUREAU
PROGRESS_READ = {
    "anonymous": LOGIN,
    "council": OK,
    "owner_staff": OK,
    "other_staff": OK,
    "bureau": OK,
    "admin": OK,
}
PROGRESS_POST = {
    "anonymous": 405,
    "council": 405,
    "owner_staff": 405,
    "other_staff": 405,
    "bureau": 405,
    "admin": 405,
}

# The admin shows status entries and published versions but changes and deletes
# neither (four eyes; frozen versions); people who are not staff go to its login.
ADMIN_VIEW_ONLY = {
    "anonymous": ADMIN_LOGIN,
    "council": ADMIN_LOGIN,
    "owner_staff": ADMIN_LOGIN,
    "other_staff": ADMIN_LOGIN,
    "bureau": OK,
    "admin": OK,
}
ADMIN_REFUSED = {**ADMIN_VIEW_ONLY, "bureau": 403, "admin": 403}

# name → (url builder, GET expectations, POST expectations, POST data builder)
MATRIX = {
    "home": (lambda o: reverse("measures:home"), PROGRESS_READ, PROGRESS_POST, None),
    "concept": (
        lambda o: reverse("measures:concept_detail", args=[o["concept"].slug]),
        PROGRESS_READ,
        PROGRESS_POST,
        None,
    ),
    "measure_list": (lambda o: reverse("measures:measure_list"), WORKSPACE_READ, NOT_POST, None),
    "measure_detail": (
        lambda o: reverse("measures:measure_detail", args=[o["measure"].pk]),
        OWNER_READ,
        NOT_POST,
        None,
    ),
    "entry_create": (
        lambda o: reverse("measures:entry_create", args=[o["measure"].pk]),
        OWNER_READ,
        allow(council=403, owner_staff=REDIRECT, other_staff=404, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {
            "status": Status.IN_PROGRESS,
            "progress": "30",
            "as_of": datetime.date.today().isoformat(),
            "note": "n",
            "reason": "",
            "measure_version": str(Measure.objects.get(pk=o["measure"].pk).version),
            "submit": "1",
        },
    ),
    "entry_edit": (
        lambda o: reverse("measures:entry_edit", args=[o["draft"].pk]),
        allow(council=403, owner_staff=OK, other_staff=404, bureau=404, admin=404),
        allow(council=403, owner_staff=REDIRECT, other_staff=404, bureau=404, admin=404),
        lambda o: {
            "status": Status.IN_PROGRESS,
            "progress": "35",
            "as_of": datetime.date.today().isoformat(),
            "note": "n2",
            "reason": "",
            "measure_version": str(Measure.objects.get(pk=o["measure"].pk).version),
            "entry_version": str(StatusEntry.objects.get(pk=o["draft"].pk).version),
            "draft": "1",
        },
    ),
    "entry_submit": (
        lambda o: reverse("measures:entry_submit", args=[o["draft"].pk]),
        NOT_POST,
        allow(council=403, owner_staff=REDIRECT, other_staff=404, bureau=404, admin=404),
        lambda o: {},
    ),
    "review_queue": (
        lambda o: reverse("measures:review_queue"),
        BUREAU_READ,
        NOT_POST_BUREAU,
        None,
    ),
    "entry_approve": (
        lambda o: reverse("measures:entry_approve", args=[o["submitted"].pk]),
        NOT_GET_BUREAU,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {},
    ),
    "entry_return": (
        lambda o: reverse("measures:entry_return", args=[o["submitted"].pk]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {"comment": "Bitte ergänzen."},
    ),
    "round_list": (lambda o: reverse("measures:round_list"), BUREAU_READ, NOT_POST_BUREAU, None),
    "round_create": (
        lambda o: reverse("measures:round_create"),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {
            "concept": o["concept"].pk,
            "title": "Neue Runde",
            "period_start": "2015-01-01",
            "period_end": "2015-12-31",
            "deadline": "2016-01-31",
        },
    ),
    "round_detail": (
        lambda o: reverse("measures:round_detail", args=[o["round"].pk]),
        BUREAU_READ,
        NOT_POST_BUREAU,
        None,
    ),
    "round_close": (
        lambda o: reverse("measures:round_close", args=[o["round"].pk]),
        NOT_GET_BUREAU,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {},
    ),
    "change_history": (
        lambda o: reverse("measures:change_history", args=["massnahme", o["measure"].pk]),
        BUREAU_READ,
        NOT_POST_BUREAU,
        None,
    ),
    "admin_entry_change": (
        lambda o: reverse("admin:measures_statusentry_change", args=[o["submitted"].pk]),
        ADMIN_VIEW_ONLY,
        ADMIN_REFUSED,
        lambda o: {
            "measure": o["measure"].pk,
            "status": Status.COMPLETED,
            "progress": "100",
            "as_of": datetime.date.today().isoformat(),
            "state": StatusEntry.State.APPROVED,
            "note": "forged",
        },
    ),
    "admin_entry_delete": (
        lambda o: reverse("admin:measures_statusentry_delete", args=[o["approved"].pk]),
        ADMIN_REFUSED,
        ADMIN_REFUSED,
        lambda o: {"post": "yes"},
    ),
    "admin_version_change": (
        lambda o: reverse("admin:reports_publishedversion_change", args=[o["version"].pk]),
        ADMIN_VIEW_ONLY,
        ADMIN_REFUSED,
        lambda o: {"note": "forged"},
    ),
    "admin_version_delete": (
        lambda o: reverse("admin:reports_publishedversion_delete", args=[o["version"].pk]),
        ADMIN_REFUSED,
        ADMIN_REFUSED,
        lambda o: {"post": "yes"},
    ),
}


@pytest.fixture
def world(db):
    groups = ensure_role_groups()
    concept = ConceptFactory()
    owner_office = OfficeFactory(municipality=concept.municipality, code="51")
    other_office = OfficeFactory(municipality=concept.municipality, code="41")
    users = {
        "council": UserFactory(username="council"),
        "owner_staff": UserFactory(username="owner"),
        "other_staff": UserFactory(username="other"),
        "bureau": UserFactory(username="bureau", is_staff=True),
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
    }
    users["council"].groups.add(groups[Role.COUNCIL])
    users["owner_staff"].groups.add(groups[Role.OFFICE_STAFF])
    users["other_staff"].groups.add(groups[Role.OFFICE_STAFF])
    users["bureau"].groups.add(groups[Role.BUREAU])
    owner_office.staff.add(users["owner_staff"])
    other_office.staff.add(users["other_staff"])
    measure = MeasureFactory(concept=concept, lead_office=owner_office)
    approved = StatusEntryFactory(measure=measure, as_of=datetime.date(2014, 1, 1))
    draft = StatusEntryFactory(
        measure=measure,
        author=users["owner_staff"],
        state=StatusEntry.State.DRAFT,
        as_of=datetime.date.today(),
    )
    submitted = StatusEntryFactory(
        measure=measure,
        author=users["owner_staff"],
        state=StatusEntry.State.SUBMITTED,
        as_of=datetime.date.today(),
    )
    reporting_round = ReportingRoundFactory(
        concept=concept, opened_at=datetime.datetime.now(datetime.UTC)
    )
    return {
        "users": users,
        "concept": concept,
        "measure": measure,
        "draft": draft,
        "submitted": submitted,
        "round": reporting_round,
        "approved": approved,
        "version": PublishedVersion.objects.create(
            report=Report.objects.create(
                concept=concept,
                slug="bericht",
                title="Bericht",
                period_start=datetime.date(2013, 1, 1),
                period_end=datetime.date(2013, 12, 31),
            ),
            number=1,
            published_at=datetime.datetime.now(datetime.UTC),
            published_by=users["bureau"],
            html=b"<p>v1</p>",
            html_sha256="a" * 64,
            pdf=b"%PDF",
            pdf_sha256="b" * 64,
        ),
    }


def snapshot():
    return (
        sorted(StatusEntry.objects.values_list("pk", "state", "version", "note", "review_comment")),
        sorted(Measure.objects.values_list("pk", "version")),
        sorted(ReportingRound.objects.values_list("pk", "closed_at")),
        Reminder.objects.count(),
        sorted(PublishedVersion.objects.values_list("pk", "note", "html_sha256")),
    )


CASES = [(name, method, role) for name in MATRIX for method in ("GET", "POST") for role in ROLES]


@pytest.mark.parametrize(("name", "method", "role"), CASES)
def test_permission_matrix(client, world, name, method, role):
    url_for, get_expect, post_expect, data_for = MATRIX[name]
    expected = (get_expect if method == "GET" else post_expect)[role]
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = url_for(world)
    before = snapshot()
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data_for(world) if data_for else {})
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected, response.content[:500]
    refused = expected in (LOGIN, ADMIN_LOGIN) or expected >= 400
    if method == "POST" and refused:
        assert snapshot() == before, "a refused POST must write nothing"
    if method == "POST" and expected == REDIRECT:
        assert snapshot() != before, "an allowed POST changes something"

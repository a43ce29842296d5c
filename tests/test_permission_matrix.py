"""Every URL of the workspace, of the accounts and of the reports app, for every role, with GET and
POST, and with public progress pages off and on where that matters: anonymous users
go to the login (or, with public pages on, read the public pages), everyone else
gets exactly what DESIGN.md allows (403/404/405 otherwise), and a refused POST
writes nothing.

Roles: anonymous; council; office staff of the lead office (the author of the
entries, ``owner_staff``) and a colleague in the same office; staff of a partner
office; staff of an unrelated office; bureau; admin (superuser)."""

import datetime
import hashlib
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import NotificationSettings
from helpers.roles import Role, ensure_role_groups
from measures.models import Measure, Notification, Reminder, ReportingRound, Status, StatusEntry
from reports.models import (
    AccessibilityBarrier,
    AccessibilityFeedback,
    Publication,
    PublishedVersion,
    Report,
    ReportDesign,
    ReportExport,
    ReportSection,
)
from working_groups.models import Municipality, Office

from .conftest import CopiedOnRead, kept_for_module
from .factories import (
    ConceptFactory,
    MeasureFactory,
    OfficeFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
    TopicFactory,
    UserFactory,
)

ROLES = [
    "anonymous",
    "council",
    "owner_staff",
    "colleague",
    "partner_staff",
    "other_staff",
    "bureau",
    "admin",
]
OK, REDIRECT = 200, 302
LOGIN = "login"  # anonymous: redirected to the login page
ADMIN_LOGIN = "admin_login"  # not staff: redirected to the admin's login page


def allow(**codes):
    """Expected status per role; anonymous always goes to the login page. The
    colleague in the author's office and the partner office's staff read and write
    as the author does, unless stated."""
    codes.setdefault("colleague", codes["owner_staff"])
    codes.setdefault("partner_staff", codes["owner_staff"])
    return {"anonymous": LOGIN, **codes}


def everyone(code):
    return dict.fromkeys(ROLES, code)


WORKSPACE_READ = allow(council=403, owner_staff=OK, other_staff=OK, bureau=OK, admin=OK)
OWNER_READ = allow(council=403, owner_staff=OK, other_staff=404, bureau=OK, admin=OK)
BUREAU_READ = allow(council=403, owner_staff=403, other_staff=403, bureau=OK, admin=OK)
NOT_POST = allow(council=403, owner_staff=405, other_staff=405, bureau=405, admin=405)
NOT_POST_BUREAU = allow(council=403, owner_staff=403, other_staff=403, bureau=405, admin=405)
NOT_GET_BUREAU = NOT_POST_BUREAU
PROGRESS_READ = {**everyone(OK), "anonymous": LOGIN}
PROGRESS_POST = everyone(405)
# Reports and published versions: the bureau and the council. Drafts (the report
# rendered from the current records, its HTML/PDF/DOCX) are the bureau's: the council
# asking for a report's page is sent to its latest published version, and gets 403
# for a draft document (README, "Roles").
REPORT_READ = allow(council=OK, owner_staff=403, other_staff=403, bureau=OK, admin=OK)
REPORT_PAGE = {**REPORT_READ, "council": REDIRECT}
REPORT_NOT_POST = allow(council=405, owner_staff=405, other_staff=405, bureau=405, admin=405)
# A draft or a returned entry is carried on by its author's office: the colleague who
# stands in continues it (one open entry per measure and office); a partner office
# does not.
OFFICE_ONLY = {"partner_staff": 404}

# The admin shows status entries and published versions but changes and deletes
# neither (four eyes; frozen versions); people who are not staff go to its login.
ADMIN_VIEW_ONLY = {**everyone(ADMIN_LOGIN), "bureau": OK, "admin": OK}
ADMIN_REFUSED = {**ADMIN_VIEW_ONLY, "bureau": 403, "admin": 403}

# name → (url builder, GET expectations, POST expectations, POST data builder)
MATRIX = {
    # Without public pages, the public reads a short start page (what this is, whom
    # to ask) instead of being sent to a login that leads back here.
    "home": (
        lambda o: reverse("measures:home"),
        {**PROGRESS_READ, "anonymous": OK},
        PROGRESS_POST,
        None,
    ),
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
        # An entry of the measure waits for review: whoever may report on it is told
        # so (409) and starts no second one (a successful entry is tested in
        # test_workspace).
        allow(council=403, owner_staff=409, other_staff=404, bureau=409, admin=409),
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
        allow(council=403, owner_staff=OK, other_staff=404, bureau=404, admin=404, **OFFICE_ONLY),
        allow(
            council=403, owner_staff=REDIRECT, other_staff=404, bureau=404, admin=404, **OFFICE_ONLY
        ),
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
        # The author's office has another entry waiting for review: 409, nothing written
        # (a successful submission is tested in test_workspace).
        allow(council=403, owner_staff=409, other_staff=404, bureau=404, admin=404, **OFFICE_ONLY),
        lambda o: {},
    ),
    "review_queue": (
        lambda o: reverse("measures:review_queue"),
        BUREAU_READ,
        NOT_POST_BUREAU,
        None,
    ),
    # Spreadsheets: the bureau's tables, and for office staff the file of their own
    # measures' statuses (issue 18); every office's staff have one.
    "data_exchange": (
        lambda o: reverse("measures:data_exchange"),
        WORKSPACE_READ,
        NOT_POST,
        None,
    ),
    "office_export": (
        lambda o: reverse("measures:office_export", args=["xlsx"]),
        allow(council=403, owner_staff=OK, other_staff=OK, bureau=403, admin=403),
        allow(council=403, owner_staff=405, other_staff=405, bureau=403, admin=403),
        None,
    ),
    "office_upload": (
        lambda o: reverse("measures:office_upload"),
        allow(council=403, owner_staff=405, other_staff=405, bureau=403, admin=403),
        # Without a file the form is refused and nothing is stored.
        allow(council=403, owner_staff=400, other_staff=400, bureau=403, admin=403),
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
            "concept": o["spare_concept"].pk,
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
    "round_measures": (
        lambda o: (
            reverse("measures:round_measures", args=[o["round"].pk])
            + f"?amt={o['measure'].lead_office_id or 'ohne'}"
        ),
        BUREAU_READ,
        NOT_POST_BUREAU,
        None,
    ),
    "round_close": (
        lambda o: reverse("measures:round_close", args=[o["round"].pk]),
        BUREAU_READ,  # the confirmation page
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {},
    ),
    "round_reopen": (
        lambda o: reverse("measures:round_reopen", args=[o["closed_round"].pk]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {"reason": "Amt 51 meldet nach."},
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
    # --- reports: progress pages, open data, reports and their versions ---
    **{
        f"progress_{page}": (
            partial(lambda page, o: reverse(f"reports:{page}"), page),
            PROGRESS_READ,
            PROGRESS_POST,
            None,
        )
        for page in [
            "overview",
            "members",
            "funding",
            "needs",
            "open_data",
            "open_data_csv",
            "open_data_json",
        ]
    },
    "progress_measure": (
        lambda o: reverse("reports:measure", args=[o["measure"].pk]),
        PROGRESS_READ,
        PROGRESS_POST,
        None,
    ),
    "progress_internal_measure": (
        lambda o: reverse("reports:measure", args=[o["internal"].pk]),
        PROGRESS_READ,
        PROGRESS_POST,
        None,
    ),
    "report_list": (lambda o: reverse("reports:report_list"), REPORT_READ, REPORT_NOT_POST, None),
    "report_detail": (
        lambda o: reverse("reports:report_detail", args=[o["report"].slug]),
        REPORT_PAGE,
        REPORT_NOT_POST,
        None,
    ),
    # Nothing published yet: the council reads that there is nothing yet.
    "report_detail_unpublished": (
        lambda o: reverse("reports:report_detail", args=[o["unpublished"].slug]),
        REPORT_READ,
        REPORT_NOT_POST,
        None,
    ),
    **{
        f"report_download_{format}": (
            partial(
                lambda format, o: reverse(
                    "reports:report_download", args=[o["report"].slug, format]
                ),
                format,
            ),
            # PDF and DOCX: to the export page until the file is rendered
            BUREAU_READ if format == "html" else {**BUREAU_READ, "bureau": 302, "admin": 302},
            REPORT_NOT_POST,
            None,
        )
        for format in ["html", "pdf", "docx"]
    },
    "report_export": (
        lambda o: reverse("reports:report_export", args=[o["report"].slug, "docx"]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {},
    ),
    "version_detail": (
        lambda o: reverse("reports:version_detail", args=[o["report"].slug, 1]),
        REPORT_READ,
        REPORT_NOT_POST,
        None,
    ),
    "version_download": (
        lambda o: reverse("reports:version_download", args=[o["report"].slug, 1, "html"]),
        REPORT_READ,
        REPORT_NOT_POST,
        None,
    ),
    "version_compare": (
        lambda o: reverse("reports:version_compare", args=[o["report"].slug, 1]),
        REPORT_READ,
        REPORT_NOT_POST,
        None,
    ),
    # What publishing the draft would change: the bureau's page, as the draft is.
    "draft_compare": (
        lambda o: reverse("reports:draft_compare", args=[o["report"].slug]),
        BUREAU_READ,
        REPORT_NOT_POST,
        None,
    ),
    # The bureau's texts, choices and order in a report: the bureau edits them.
    "section_edit": (
        lambda o: reverse("reports:section_edit", args=[o["report"].slug, "1"]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {
            f"section-{o['section'].pk}-text": "Einleitung",
            f"section-{o['section'].pk}-text_after": "",
            f"section-{o['section'].pk}-shows_statuses": "on",
            f"section-{o['section'].pk}-version": str(
                ReportSection.objects.get(pk=o["section"].pk).version
            ),
            "save": "1",
        },
    ),
    "section_move": (
        lambda o: reverse("reports:section_move", args=[o["report"].slug, "1"]),
        NOT_GET_BUREAU,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {"kind": "measure", "pk": o["internal"].pk, "direction": "up"},
    ),
    "report_publish": (
        lambda o: reverse("reports:report_publish", args=[o["report"].slug]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {"confirm": "on", "note": "Vorlage"},
    ),
    # How far a publication is: the bureau's page.
    "publication": (
        lambda o: reverse("reports:publication", args=[o["report"].slug, o["publication"].pk]),
        BUREAU_READ,
        REPORT_NOT_POST,
        None,
    ),
    "report_design": (
        lambda o: reverse("reports:report_design", args=[o["report"].slug]),
        BUREAU_READ,
        allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
        lambda o: {"action": "remove_logo"},
    ),
    "accessibility": (
        lambda o: reverse("reports:accessibility"),
        everyone(OK),
        everyone(405),
        None,
    ),
    # Everyone may report a barrier, logged in or not (BITV 2.0 § 7: a feedback
    # mechanism); the message is stored and the visitor sent to the confirmation.
    "accessibility_feedback": (
        lambda o: reverse("reports:accessibility_feedback"),
        everyone(OK),
        everyone(REDIRECT),
        lambda o: {"message": "Die Grafik hat keinen Alternativtext.", "page": "/fortschritt/"},
    ),
    "accessibility_feedback_sent": (
        lambda o: reverse("reports:accessibility_feedback_sent"),
        everyone(OK),
        everyone(405),
        None,
    ),
    "easy_language": (
        lambda o: reverse("reports:easy_language"),
        everyone(OK),
        everyone(405),
        None,
    ),
    # The bureau reads the feedback and keeps the list of known barriers in the admin.
    "admin_feedback_change": (
        lambda o: reverse("admin:reports_accessibilityfeedback_change", args=[o["feedback"].pk]),
        ADMIN_VIEW_ONLY,
        {**ADMIN_VIEW_ONLY, "bureau": REDIRECT, "admin": REDIRECT},
        lambda o: {"is_handled": "on", "note": "Beantwortet am 1. Dezember."},
    ),
    "admin_barrier_add": (
        lambda o: reverse("admin:reports_accessibilitybarrier_add"),
        ADMIN_VIEW_ONLY,
        {**ADMIN_VIEW_ONLY, "bureau": REDIRECT, "admin": REDIRECT},
        lambda o: {
            "title": "Diagramm ohne Tabelle",
            "kind": "non_compliant",
            "description": "Ein Diagramm hat keine Tabelle.",
            "is_current": "on",
            "position": "5",
        },
    ),
}

# --- Accounts: the bureau runs those of office staff and council members; only the
# administrator sees and changes bureau accounts. The invitation and password reset
# pages are for everyone (a link that does not work says so; a reset request gets the
# same answer whether an account has the address or not).
ACCOUNTS_POST = allow(
    council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT
)
ADMIN_ONLY_READ = {**BUREAU_READ, "bureau": 404}
ADMIN_ONLY_POST = {**ACCOUNTS_POST, "bureau": 404}
PUBLIC_PAGE = everyone(OK)
MATRIX.update(
    {
        "account_list": (
            lambda o: reverse("accounts:account_list"),
            BUREAU_READ,
            NOT_POST_BUREAU,
            None,
        ),
        "account_invite": (
            lambda o: reverse("accounts:account_invite"),
            BUREAU_READ,
            ACCOUNTS_POST,
            lambda o: {
                "first_name": "Maria",
                "last_name": "Schneider",
                "email": "maria.schneider@dresden.example",
                "username": "",
                "role": "office_staff",
                "offices": [str(o["owner_office"].pk)],
            },
        ),
        "account_detail": (
            lambda o: reverse("accounts:account_detail", args=[o["invitee"].pk]),
            BUREAU_READ,
            NOT_POST_BUREAU,
            None,
        ),
        "account_edit": (
            lambda o: reverse("accounts:account_edit", args=[o["invitee"].pk]),
            BUREAU_READ,
            ACCOUNTS_POST,
            lambda o: {
                "first_name": "Neu",
                "last_name": "Name",
                "email": "neu@dresden.example",
                "role": "council",
                "offices": [],
            },
        ),
        "account_deactivate": (
            lambda o: reverse("accounts:account_deactivate", args=[o["invitee"].pk]),
            BUREAU_READ,  # the confirmation page
            ACCOUNTS_POST,
            lambda o: {},
        ),
        "account_reactivate": (
            lambda o: reverse("accounts:account_reactivate", args=[o["deactivated"].pk]),
            NOT_GET_BUREAU,
            ACCOUNTS_POST,
            lambda o: {},
        ),
        "invitation_resend": (
            lambda o: reverse("accounts:invitation_resend", args=[o["invitee"].pk]),
            NOT_GET_BUREAU,
            ACCOUNTS_POST,
            lambda o: {},
        ),
        # One's own account page and e-mail settings: everyone's, for themselves.
        "my_account": (
            lambda o: reverse("accounts:my_account"),
            {**everyone(OK), "anonymous": LOGIN},
            {**everyone(REDIRECT), "anonymous": LOGIN},
            lambda o: {"language": "en", "entry_approved": "on"},
        ),
        # A bureau account: the administrator's alone.
        "account_detail_bureau": (
            lambda o: reverse("accounts:account_detail", args=[o["bureau_colleague"].pk]),
            ADMIN_ONLY_READ,
            NOT_POST_BUREAU,
            None,
        ),
        "account_edit_bureau": (
            lambda o: reverse("accounts:account_edit", args=[o["bureau_colleague"].pk]),
            ADMIN_ONLY_READ,
            ADMIN_ONLY_POST,
            lambda o: {
                "first_name": "B",
                "last_name": "Büro",
                "email": "buero2@dresden.example",
                "role": "bureau",
                "offices": [],
            },
        ),
        "account_deactivate_bureau": (
            lambda o: reverse("accounts:account_deactivate", args=[o["bureau_colleague"].pk]),
            ADMIN_ONLY_READ,
            ADMIN_ONLY_POST,
            lambda o: {},
        ),
        # Nobody deactivates an administrator here (the admin: not even themselves).
        "account_deactivate_admin": (
            lambda o: reverse("accounts:account_deactivate", args=[o["users"]["admin"].pk]),
            {**BUREAU_READ, "bureau": 404, "admin": 403},
            {**ACCOUNTS_POST, "bureau": 404, "admin": 403},
            lambda o: {},
        ),
        # A link that does not work: the page says so to anyone, and nothing changes.
        "invitation_accept": (
            lambda o: reverse("accounts:invitation_accept", args=["MQ", "falsch"]),
            PUBLIC_PAGE,
            PUBLIC_PAGE,
            lambda o: {
                "new_password1": "Elbwiesen-Sommer-2026",
                "new_password2": "Elbwiesen-Sommer-2026",
            },
        ),
        "password_reset": (
            lambda o: reverse("password_reset"),
            PUBLIC_PAGE,
            everyone(REDIRECT),  # to "please check your e-mail"; the mail is sent
            lambda o: {"email": o["users"]["owner_staff"].email},
        ),
        "password_reset_done": (
            lambda o: reverse("password_reset_done"),
            PUBLIC_PAGE,
            everyone(405),
            None,
        ),
        "password_reset_confirm": (
            lambda o: reverse("password_reset_confirm", args=["MQ", "falsch"]),
            PUBLIC_PAGE,
            PUBLIC_PAGE,
            lambda o: {
                "new_password1": "Elbwiesen-Sommer-2026",
                "new_password2": "Elbwiesen-Sommer-2026",
            },
        ),
        "password_reset_complete": (
            lambda o: reverse("password_reset_complete"),
            PUBLIC_PAGE,
            everyone(405),
            None,
        ),
    }
)

# --- Settings: whether the progress pages and open data are public is the bureau's.
MATRIX.update(
    {
        "settings": (
            lambda o: reverse("working_groups:settings"),
            BUREAU_READ,
            NOT_POST_BUREAU,
            None,
        ),
        "settings_save": (
            lambda o: reverse("working_groups:settings_save", args=[o["municipality"].slug]),
            NOT_GET_BUREAU,
            allow(council=403, owner_staff=403, other_staff=403, bureau=REDIRECT, admin=REDIRECT),
            lambda o: {f"{o['municipality'].slug}-public_pages": "on"},
        ),
    }
)

# With public progress pages on, anonymous visitors read the progress pages and the
# public measures, never an internal measure, a report or a version.
PUBLIC_READ = everyone(OK)
PUBLIC_MODE = {
    "home": PUBLIC_READ,
    "concept": PUBLIC_READ,
    **{name: PUBLIC_READ for name in MATRIX if name.startswith("progress_")},
    "progress_internal_measure": {**PUBLIC_READ, "anonymous": 404},
}


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """Built once for all cases of the module (built for each of its 1,500 cases, it
    took two thirds of the module's time); each case runs in a savepoint, rolled back
    after it."""
    yield from kept_for_module(django_db_blocker, build_world)


@pytest.fixture
def world(matrix_world, db):
    """A case's own copies of the objects, as ``setUpTestData`` gives each test."""
    return CopiedOnRead(matrix_world)


def build_world():
    groups = ensure_role_groups()
    concept = ConceptFactory()
    owner_office = OfficeFactory(municipality=concept.municipality, code="51")
    other_office = OfficeFactory(municipality=concept.municipality, code="41")
    users = {
        "council": UserFactory(username="council"),
        "owner_staff": UserFactory(username="owner"),
        "colleague": UserFactory(username="colleague"),
        "partner_staff": UserFactory(username="partner"),
        "other_staff": UserFactory(username="other"),
        "bureau": UserFactory(username="bureau", is_staff=True),
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
    }
    users["council"].groups.add(groups[Role.COUNCIL])
    for staff in ["owner_staff", "colleague", "partner_staff", "other_staff"]:
        users[staff].groups.add(groups[Role.OFFICE_STAFF])
    users["bureau"].groups.add(groups[Role.BUREAU])
    partner_office = OfficeFactory(municipality=concept.municipality, code="32")
    users["owner_staff"].email = "owner@dresden.example"
    users["owner_staff"].save()
    owner_office.staff.add(users["owner_staff"], users["colleague"])
    # Accounts the bureau runs: an invited person without a password yet, a deactivated
    # council member, and a colleague of the bureau (the administrator's to change).
    invitee = UserFactory(username="invitee", email="invitee@dresden.example")
    invitee.set_unusable_password()
    invitee.save()
    invitee.groups.add(groups[Role.OFFICE_STAFF])
    owner_office.staff.add(invitee)
    deactivated = UserFactory(username="gone", is_active=False)
    deactivated.groups.add(groups[Role.COUNCIL])
    bureau_colleague = UserFactory(username="buero2", is_staff=True)
    bureau_colleague.groups.add(groups[Role.BUREAU])
    partner_office.staff.add(users["partner_staff"])
    other_office.staff.add(users["other_staff"])
    topic = TopicFactory(concept=concept)
    measure = MeasureFactory(concept=concept, lead_office=owner_office, topic=topic, position=1)
    measure.partner_offices.add(partner_office)
    internal = MeasureFactory(
        concept=concept, lead_office=owner_office, is_public=False, topic=topic, position=2
    )
    approved = StatusEntryFactory(measure=measure, as_of=datetime.date(2014, 1, 1))
    draft = StatusEntryFactory(
        measure=measure,
        author=users["owner_staff"],
        state=StatusEntry.State.DRAFT,
        as_of=datetime.date.today(),
        note="Entwurfstext",
        internal_note="Entwurfsnotiz intern",
    )
    submitted = StatusEntryFactory(
        measure=measure,
        author=users["owner_staff"],
        state=StatusEntry.State.SUBMITTED,
        as_of=datetime.date.today(),
        note="Eingereichter Text",
        internal_note="Eingereicht intern",
    )
    report = Report.objects.create(
        concept=concept,
        slug="bericht",
        title="Umsetzungsbericht",
        period_start=datetime.date(2009, 7, 1),
        period_end=datetime.date(2014, 3, 31),
    )
    section = ReportSection.objects.create(
        report=report, number="1", title="Maßnahmen", kind=ReportSection.Kind.MEASURES
    )
    section.topics.add(topic)
    unpublished = Report.objects.create(
        concept=concept,
        slug="noch-nicht",
        title="Noch nicht veröffentlicht",
        period_start=datetime.date(2015, 1, 1),
        period_end=datetime.date(2016, 12, 31),
    )
    frozen = b"<p>Fassung 1</p>"
    version = PublishedVersion.objects.create(
        report=report,
        number=1,
        published_at=datetime.datetime(2014, 12, 16, tzinfo=datetime.UTC),
        published_by=users["bureau"],
        html=frozen,
        html_sha256=hashlib.sha256(frozen).hexdigest(),
        pdf=b"%PDF-1.7",
        pdf_sha256=hashlib.sha256(b"%PDF-1.7").hexdigest(),
    )
    publication = Publication.objects.create(
        report=report,
        opened_after=0,
        state=Publication.State.DONE,
        version=version,
        requested_by=users["bureau"],
    )
    reporting_round = ReportingRoundFactory(
        concept=concept, opened_at=datetime.datetime.now(datetime.UTC)
    )
    # One open round per concept: the closed one (to reopen) and a new one (to open)
    # belong to a concept without an open round.
    spare_concept = ConceptFactory(municipality=concept.municipality)
    closed_round = ReportingRoundFactory(
        concept=spare_concept,
        opened_at=datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC),
        closed_at=datetime.datetime(2015, 2, 1, tzinfo=datetime.UTC),
    )
    # Sent at the municipality's address: its bureau's (an instance-wide one is the
    # system administration's, tests/test_feedback_per_municipality.py).
    feedback = AccessibilityFeedback.objects.create(
        message="Die Tabelle ist nicht lesbar.", municipality=concept.municipality
    )
    return {
        "users": users,
        "feedback": feedback,
        "concept": concept,
        "municipality": concept.municipality,
        "spare_concept": spare_concept,
        "measure": measure,
        "internal": internal,
        "report": report,
        "section": section,
        "unpublished": unpublished,
        "draft": draft,
        "submitted": submitted,
        "round": reporting_round,
        "closed_round": closed_round,
        "approved": approved,
        "version": version,
        "publication": publication,
        "owner_office": owner_office,
        "invitee": invitee,
        "deactivated": deactivated,
        "bureau_colleague": bureau_colleague,
    }


# What a request may write, part by part: the rows (the columns a write changes) or,
# for what is only ever added, the number of rows.
SNAPSHOT = {
    "entries": lambda: sorted(
        StatusEntry.objects.values_list("pk", "state", "version", "note", "review_comment")
    ),
    "measures": lambda: sorted(Measure.objects.values_list("pk", "version", "position")),
    "sections": lambda: sorted(ReportSection.objects.values_list("pk", "version", "text")),
    "rounds": lambda: sorted(ReportingRound.objects.values_list("pk", "closed_at")),
    "reminders": lambda: Reminder.objects.count(),
    "notifications": lambda: Notification.objects.count(),
    "notification_settings": lambda: sorted(
        NotificationSettings.objects.values_list("user_id", "language", "entry_returned")
    ),
    "versions": lambda: sorted(PublishedVersion.objects.values_list("pk", "note", "html_sha256")),
    "exports": lambda: sorted(ReportExport.objects.values_list("pk", "state")),
    "publications": lambda: sorted(Publication.objects.values_list("pk", "state")),
    "designs": lambda: sorted(
        ReportDesign.objects.values_list("pk", "logo_name", "word_template_sha256")
    ),
    "feedback": lambda: sorted(
        AccessibilityFeedback.objects.values_list("pk", "is_handled", "note")
    ),
    "barriers": lambda: sorted(AccessibilityBarrier.objects.values_list("pk", "title")),
    "accounts": lambda: sorted(
        get_user_model().objects.values_list(
            "pk", "password", "is_active", "is_staff", "email", "first_name"
        )
    ),
    "roles": lambda: sorted(
        get_user_model().groups.through.objects.values_list("user_id", "group_id")
    ),
    "office_staff": lambda: sorted(
        Office.staff.through.objects.values_list("user_id", "office_id")
    ),
    "municipalities": lambda: sorted(Municipality.objects.values_list("pk", "public_pages")),
    "account_history": lambda: get_user_model().history.count(),
    "mails": lambda: len(mail.outbox),
}


def snapshot(*parts):
    """The named parts of SNAPSHOT as they are now (all of them without a name)."""
    return {part: SNAPSHOT[part]() for part in parts or SNAPSHOT}


CASES = [
    (name, method, role, public)
    for name in MATRIX
    for method in ("GET", "POST")
    for role in ROLES
    for public in ((False, True) if name in PUBLIC_MODE or name.startswith("report") else (False,))
]


@pytest.mark.parametrize(("name", "method", "role", "public"), CASES)
def test_permission_matrix(client, world, name, method, role, public):
    if public:
        Municipality.objects.update(public_pages=True)
    url_for, get_expect, post_expect, data_for = MATRIX[name]
    if public and method == "GET" and name in PUBLIC_MODE:
        get_expect = PUBLIC_MODE[name]
    expected = (get_expect if method == "GET" else post_expect)[role]
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = url_for(world)
    if method == "GET":
        response = client.get(url)
    else:
        # Only what a POST writes is checked (below).
        before = snapshot()
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


# A draft belongs to its author's office until it is submitted; internal notes are
# read by the author's office and the bureau only (README, "Roles").
# role → (status, reads the draft, reads the draft's internal note, reads the
#         internal note of the submitted entry)
ENTRY_READERS = {
    "anonymous": (LOGIN, False, False, False),
    "council": (403, False, False, False),
    "owner_staff": (OK, True, True, True),
    "colleague": (OK, True, True, True),
    "partner_staff": (OK, False, False, False),
    "other_staff": (404, False, False, False),
    "bureau": (OK, False, False, True),
    "admin": (OK, False, False, True),
}


@pytest.mark.parametrize("role", ROLES)
def test_drafts_and_internal_notes_by_role(client, world, role):
    expected, draft, draft_internal, submitted_internal = ENTRY_READERS[role]
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(reverse("measures:measure_detail", args=[world["measure"].pk]))
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        return
    assert response.status_code == expected
    content = response.content.decode()
    assert ("Entwurfstext" in content) is draft
    assert ("Entwurfsnotiz intern" in content) is draft_internal
    assert ("Eingereicht intern" in content) is submitted_internal
    if expected == OK:
        assert "Eingereichter Text" in content, "a submitted entry is read by all who see it"

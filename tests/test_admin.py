"""Every admin changelist and change form answers with a bounded number of queries."""

import os
import pathlib
import re
import tempfile
import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measures.models import Measure, Notification, Reminder, SpreadsheetImport, StatusEntry
from working_groups.models import Concept, Office, Organisation

from .admin_forms import change_form_data
from .budgets import REQUEST
from .factories import (
    IndicatorValueFactory,
    MeasureFactory,
    ReportingRoundFactory,
    StatusEntryFactory,
)

OUR_APPS = {"working_groups", "measures", "reports"}
OUR_MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in OUR_APPS
)

# The Dresden data set has up to 54 rows per table, so a query per row would blow
# these budgets; the counts include session, user, permissions and pagination.
CHANGELIST_BUDGET = 14
CHANGE_FORM_BUDGET = 30


def test_every_model_of_our_apps_is_in_the_admin():
    registered = set(admin.site._registry)
    for app in ("working_groups", "measures"):
        for model in apps.get_app_config(app).get_models():
            if model._meta.auto_created or model.__name__.startswith("Historical"):
                continue
            if model.__name__ in {"FundingLineArea", "ActionPlanProvision", "Assignment"}:
                continue  # edited inline in their parent
            assert model in registered, model


@pytest.mark.parametrize(("app_label", "model_name"), OUR_MODELS)
def test_changelist_has_bounded_queries(
    client, admin_user, dresden, django_assert_max_num_queries, app_label, model_name
):
    client.force_login(admin_user)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    with django_assert_max_num_queries(CHANGELIST_BUDGET):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), OUR_MODELS)
def test_change_form_has_bounded_queries(
    client, admin_user, dresden, django_assert_max_num_queries, app_label, model_name
):
    model = apps.get_model(app_label, model_name)
    if model_name in {"reportinground", "reminder"}:  # the seed has no reporting round
        reporting_round = ReportingRoundFactory(concept=Concept.objects.get(slug="ik-2009"))
        Reminder.objects.create(
            reporting_round=reporting_round,
            office=Office.objects.get(code="51"),
            sent_on=reporting_round.deadline,
            recipients="a@example.org",
            outstanding=1,
        )
    if model_name == "statusentry":  # the seed gives no status
        StatusEntryFactory(measure=Measure.objects.get(number="4.2.7"))
    if model_name == "notification":  # written when people are told by e-mail
        Notification.objects.create(
            kind="entry_approved",
            recipient=admin_user,
            email="root@example.org",
            language="de",
            entry=StatusEntryFactory(measure=Measure.objects.get(number="4.2.7")),
        )
    if model_name == "publishedversion":  # made by publishing, not in the seed
        from reports.models import Report
        from reports.publishing import publish

        publish(Report.objects.get(slug="umsetzungsbericht-2009-2014"), admin_user)
    if model_name == "spreadsheetimport":  # made by uploading, not in the seed
        SpreadsheetImport.objects.create(
            kind="status_entries",
            file_name="a.csv",
            file_format="csv",
            content=b"x",
            sha256="0" * 64,
            uploaded_by=admin_user,
        )
    if model_name == "accessibilityfeedback":  # sent with the feedback form
        from reports.models import AccessibilityFeedback

        AccessibilityFeedback.objects.create(message="Die Tabelle ist nicht lesbar.")
    obj = model.objects.order_by("pk").first()
    assert obj is not None, "the Dresden data set has a record of every other model"
    client.force_login(admin_user)
    url = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])
    with django_assert_max_num_queries(CHANGE_FORM_BUDGET):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 300])
def test_measure_changelist_queries_do_not_grow_with_rows(
    client, admin_user, django_assert_num_queries, rows
):
    measures = MeasureFactory.create_batch(rows)
    for measure in measures[:3]:
        StatusEntryFactory(measure=measure)
    client.force_login(admin_user)
    # session, user, roles, 2 counts, the page with its joins, and the filters' dropdowns
    # (concept, status, topic, field of action): the same for 3 and 300 rows.
    with django_assert_num_queries(REQUEST + 6):
        response = client.get(reverse("admin:measures_measure_changelist"))
    assert response.status_code == 200
    assert Measure.objects.count() == rows


def test_bureau_user_can_use_the_admin_but_not_manage_users(client, bureau_user):
    client.force_login(bureau_user)
    assert client.get(reverse("admin:measures_measure_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_council_member_cannot_use_the_admin(client, council_member):
    client.force_login(council_member)
    response = client.get(reverse("admin:measures_measure_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_status_entries_are_listed_but_not_editable_inline(client, admin_user, dresden_statuses):
    client.force_login(admin_user)
    measure = Measure.objects.get(number="3.1.3")
    response = client.get(reverse("admin:measures_measure_change", args=[measure.pk]))
    assert response.status_code == 200
    assert StatusEntry.objects.filter(measure=measure).count() == 1
    assert b"status_entries-0-status" not in response.content


def _submitted(author):
    return StatusEntryFactory(
        author=author, state=StatusEntry.State.SUBMITTED, status="in_progress", progress=40
    )


def test_admin_cannot_add_or_change_status_entries(client, bureau_user, office_staff):
    entry = _submitted(bureau_user)
    client.force_login(bureau_user)
    assert client.get(reverse("admin:measures_statusentry_add")).status_code == 403
    response = client.post(
        reverse("admin:measures_statusentry_change", args=[entry.pk]),
        {
            "measure": entry.measure_id,
            "status": "completed",
            "progress": "100",
            "as_of": "2014-03-31",
            "state": "approved",
            "author": office_staff.pk,
        },
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.state, entry.author, entry.reviewer) == ("submitted", bureau_user, None)


def test_admin_approval_keeps_four_eyes(client, bureau_user, office_staff):
    own, other = _submitted(bureau_user), _submitted(office_staff)
    client.force_login(bureau_user)
    response = client.post(
        reverse("admin:measures_statusentry_changelist"),
        {"action": "approve_selected", "_selected_action": [own.pk, other.pk]},
        follow=True,
    )
    assert response.status_code == 200
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.state == StatusEntry.State.SUBMITTED
    assert (other.state, other.reviewer) == (StatusEntry.State.APPROVED, bureau_user)
    assert other.measure.__class__.objects.get(pk=other.measure_id).current_entry == other
    assert "nicht freigegeben" in response.content.decode()


def test_admin_cannot_delete_a_measure_with_its_status_entries(client, bureau_user):
    entry = StatusEntryFactory()
    client.force_login(bureau_user)
    url = reverse("admin:measures_measure_delete", args=[entry.measure_id])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert StatusEntry.objects.filter(pk=entry.pk).exists()
    bulk = client.post(
        reverse("admin:measures_measure_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.measure_id], "post": "yes"},
    )
    assert bulk.status_code in (200, 403)
    assert StatusEntry.objects.filter(pk=entry.pk).exists()


def test_admin_cannot_change_values_reported_with_an_entry(client, bureau_user):
    entry = StatusEntryFactory()
    reported = IndicatorValueFactory(indicator__measure=entry.measure, status_entry=entry)
    kept = IndicatorValueFactory(indicator=reported.indicator)
    client.force_login(bureau_user)
    change = reverse("admin:measures_indicatorvalue_change", args=[reported.pk])
    response = client.post(
        change,
        {
            "indicator": reported.indicator_id,
            "value": "999",
            "period_start": "2010-01-01",
            "period_end": "2010-12-31",
        },
    )
    assert response.status_code == 403
    delete = reverse("admin:measures_indicatorvalue_delete", args=[reported.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    reported.refresh_from_db()
    assert reported.value == 10
    # The bureau's own values stay editable.
    assert (
        client.get(reverse("admin:measures_indicatorvalue_change", args=[kept.pk])).status_code
        == 200
    )
    page = client.get(reverse("admin:measures_indicator_change", args=[reported.indicator_id]))
    assert page.status_code == 200
    assert b'name="values-0-value"' in page.content
    assert b'name="values-1-value"' not in page.content


def test_admin_cannot_delete_a_round_with_entries(client, bureau_user):
    entry = StatusEntryFactory(reporting_round=ReportingRoundFactory())
    client.force_login(bureau_user)
    url = reverse("admin:measures_reportinground_delete", args=[entry.reporting_round_id])
    assert client.post(url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reporting_round_id is not None


def test_an_indicator_is_not_deleted_inline_from_its_measure(client, bureau_user):
    entry = StatusEntryFactory()
    IndicatorValueFactory(indicator__measure=entry.measure, status_entry=entry)
    client.force_login(bureau_user)
    page = client.get(reverse("admin:measures_measure_change", args=[entry.measure_id]))
    assert b'name="indicators-0-id"' in page.content
    assert b'name="indicators-0-DELETE"' not in page.content


# --- The measure's change form never overwrites a change saved meanwhile -------------


def test_the_admin_saves_a_measure_opened_at_its_current_version(client, bureau_user):
    measure = MeasureFactory(title="Vorher")
    client.force_login(bureau_user)
    url = reverse("admin:measures_measure_change", args=[measure.pk])
    data = change_form_data(client.get(url), title="Im Admin geändert")
    assert data["opened_version"] == str(measure.version)
    assert client.post(url, data).status_code == 302
    measure.refresh_from_db()
    assert (measure.title, measure.version) == ("Im Admin geändert", 2)


def test_the_admin_refuses_a_measure_changed_since_the_page_was_opened(client, bureau_user):
    measure = MeasureFactory(title="Vorher", description="Alt")
    client.force_login(bureau_user)
    url = reverse("admin:measures_measure_change", args=[measure.pk])
    data = change_form_data(client.get(url), description="Im Admin geändert")
    # Meanwhile an import (or a status entry) changes the measure.
    measure.title = "Aus dem Import"
    measure.save()

    response = client.post(url, data)
    assert response.status_code == 200
    assert "seit Sie diese Seite geöffnet haben" in response.content.decode()
    measure.refresh_from_db()
    assert (measure.title, measure.description, measure.version) == ("Aus dem Import", "Alt", 2)
    # Without the version it was opened at, a posted form is refused as well.
    del data["opened_version"]
    assert client.post(url, data).status_code == 200
    measure.refresh_from_db()
    assert measure.description == "Alt"


# The admin's import: preview, then confirm -------------------------------------------


def confirm_data(page):
    fields = "import_file_name|original_file_name|format|resource"
    return dict(re.findall(rf'name="({fields})" value="([^"]*)"', page))


def test_the_admin_import_confirms_the_file_it_previewed_once(admin_client):
    upload = SimpleUploadedFile("o.csv", b"name\nNeues Amt\n")
    preview = admin_client.post(
        reverse("admin:working_groups_organisation_import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )
    data = confirm_data(preview.content.decode())
    url = reverse("admin:working_groups_organisation_process_import")
    assert admin_client.post(url, data).status_code == 302
    assert Organisation.objects.filter(name="Neues Amt").count() == 1
    # Confirmed twice (a second click, a second tab): the file is gone, nothing twice.
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Bitte laden Sie sie erneut hoch" in response.content.decode()
    assert Organisation.objects.filter(name="Neues Amt").count() == 1


@pytest.fixture
def foreign_file():
    """A file of someone else's in the temporary directory, where the library's
    default storage put the uploads between preview and confirmation."""
    handle, path = tempfile.mkstemp(prefix="fremd", dir=tempfile.gettempdir())
    os.write(handle, b"name\nAus fremder Datei\n")
    os.close(handle)
    yield path
    pathlib.Path(path).unlink(missing_ok=True)


@pytest.mark.parametrize("model", ["measures_measure", "working_groups_organisation"])
@pytest.mark.parametrize("name", ["the foreign file", "gibt-es-nicht", "../../etc/passwd", "uuid"])
def test_the_admin_import_confirms_no_file_it_did_not_upload(
    admin_client, foreign_file, model, name
):
    name = {"the foreign file": os.path.basename(foreign_file), "uuid": uuid.uuid4().hex}.get(
        name, name
    )
    response = admin_client.post(
        reverse(f"admin:{model}_process_import"),
        {"import_file_name": name, "original_file_name": "o.csv", "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    assert "Bitte laden Sie sie erneut hoch" in response.content.decode()
    assert os.path.exists(foreign_file)
    assert not Organisation.objects.filter(name="Aus fremder Datei").exists()

"""Every admin changelist and change form answers with a bounded number of queries."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from measures.models import Measure, Reminder, SpreadsheetImport, StatusEntry
from working_groups.models import Concept, Office

from .budgets import REQUEST
from .factories import MeasureFactory, ReportingRoundFactory, StatusEntryFactory

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
            if model.__name__ in {"FundingLineArea", "ActionPlanProvision"}:
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


def test_status_entries_are_listed_but_not_editable_inline(client, admin_user, dresden):
    client.force_login(admin_user)
    measure = Measure.objects.get(number="3.1.3")
    response = client.get(reverse("admin:measures_measure_change", args=[measure.pk]))
    assert response.status_code == 200
    assert StatusEntry.objects.filter(measure=measure).count() == 1
    assert b"status_entries-0-status" not in response.content

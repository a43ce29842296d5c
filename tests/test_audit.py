"""Every change of a measure, entry, membership and funding amount is recorded with
user and time, and the bureau reads it as a diff."""

import datetime

import pytest
from django.urls import reverse

from measures.models import FundingAmount, Measure, Status, StatusEntry
from working_groups.models import Membership, Office

from .budgets import REQUEST
from .factories import MeasureFactory, StatusEntryFactory

pytestmark = pytest.mark.usefixtures("dresden")


def test_admin_edit_of_a_measure_is_recorded_with_user_and_shown_as_diff(client, admin_user):
    measure = Measure.objects.get(number="4.2.1")
    client.force_login(admin_user)
    measure.title = "Projekt „Lesestark!“ (erweitert)"
    measure._history_user = admin_user  # what the middleware sets on web requests
    measure.save()
    measure.partner_offices.add(Office.objects.get(code="41"))
    response = client.get(reverse("measures:change_history", args=["massnahme", measure.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Projekt „Lesestark!“ (erweitert)" in content
    assert "<del>Projekt „Lesestark!“</del>" in content
    assert "root" in content  # who


def test_review_steps_are_in_the_entry_history(client, office_staff, bureau_user):
    measure = Measure.objects.get(number="4.1.1")
    client.force_login(office_staff)
    client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        {
            "status": Status.IN_PROGRESS,
            "progress": "40",
            "as_of": datetime.date.today().isoformat(),
            "note": "erster Stand",
            "reason": "",
            "measure_version": str(measure.version),
            "submit": "1",
        },
    )
    entry = StatusEntry.objects.get(author=office_staff)
    client.force_login(bureau_user)
    client.post(reverse("measures:entry_approve", args=[entry.pk]))
    records = list(entry.history.order_by("history_date", "history_id"))
    assert [r.state for r in records] == ["submitted", "approved"]
    assert records[0].history_user == office_staff
    assert records[1].history_user == bureau_user
    content = client.get(
        reverse("measures:change_history", args=["sachstand", entry.pk])
    ).content.decode()
    assert "<del>eingereicht</del>" in content and "<ins>freigegeben</ins>" in content


def test_membership_and_funding_amount_changes_are_recorded():
    membership = Membership.objects.filter(role="").first()
    membership.role = "Sprecherin"
    membership.save()
    assert membership.history.first().role == "Sprecherin"
    amount = FundingAmount.objects.get(year_from=2009, amount=140600)
    amount.amount = 140700
    amount.save()
    assert amount.history.first().amount == 140700


@pytest.mark.parametrize("kind", ["massnahme", "sachstand", "mitgliedschaft", "foerderbetrag"])
@pytest.mark.usefixtures("dresden_statuses")
def test_history_pages_are_for_the_bureau_only(client, bureau_user, office_staff, kind):
    obj = {
        "massnahme": Measure.objects.first,
        "sachstand": StatusEntry.objects.first,
        "mitgliedschaft": Membership.objects.first,
        "foerderbetrag": FundingAmount.objects.first,
    }[kind]()
    url = reverse("measures:change_history", args=[kind, obj.pk])
    client.force_login(office_staff)
    assert client.get(url).status_code == 403
    client.force_login(bureau_user)
    assert client.get(url).status_code == 200


def test_unknown_history_kind_is_404(client, bureau_user):
    client.force_login(bureau_user)
    assert client.get(reverse("measures:change_history", args=["nix", 1])).status_code == 404


@pytest.mark.parametrize("changes", [3, 60])
def test_history_page_queries_do_not_grow(client, bureau_user, django_assert_num_queries, changes):
    measure = MeasureFactory()
    for i in range(changes):
        measure.title = f"Titel {i}"
        measure.save()
        if i % 10 == 0:
            measure.partner_offices.add(Office.objects.order_by("pk")[i // 10])
    StatusEntryFactory(measure=measure)
    client.force_login(bureau_user)
    # session, user, roles, measure, count, page of records (+ user), the record
    # before the page, the two m2m histories, and one query per related model that
    # occurs (concept, office): bounded by the fields, not by the changes
    with django_assert_num_queries(REQUEST + 8):
        response = client.get(reverse("measures:change_history", args=["massnahme", measure.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Measure, StatusEntry, Membership, FundingAmount])
def test_history_is_indexed_for_reading_per_record_only(model):
    # History is read per record (id), by date and by user; an index on each copied
    # foreign key would only slow down every write, an import most of all.
    from django.db import connection

    table = model.history.model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = {
        tuple(c["columns"])
        for c in constraints.values()
        if (c["index"] or c["unique"] or c["primary_key"]) and len(c["columns"]) == 1
    }
    assert indexed == {("history_id",), ("id",), ("history_date",), ("history_user_id",)}

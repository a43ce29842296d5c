"""A draft belongs to its author's office until it is submitted, in the change history
and the admin as in the workspace: the bureau does not read it, nor its internal note,
nor the draft stages of an entry submitted since (issue 22, item 6)."""

import datetime

import pytest
from django.urls import reverse

from measures.models import Measure, Status, StatusEntry

pytestmark = pytest.mark.usefixtures("dresden")


def _draft(client, office_staff, note="Entwurf", internal_note="nur für uns"):
    measure = Measure.objects.get(number="4.1.1")
    client.force_login(office_staff)
    response = client.post(
        reverse("measures:entry_create", args=[measure.pk]),
        {
            "status": Status.IN_PROGRESS,
            "progress": "40",
            "as_of": datetime.date.today().isoformat(),
            "note": note,
            "internal_note": internal_note,
            "reason": "",
            "measure_version": str(measure.version),
        },
    )
    assert response.status_code == 302
    return StatusEntry.objects.get(author=office_staff)


def test_the_bureau_does_not_find_an_offices_draft_in_the_history(
    client, office_staff, bureau_user
):
    entry = _draft(client, office_staff)
    assert entry.state == StatusEntry.State.DRAFT
    url = reverse("measures:change_history", args=["sachstand", entry.pk])
    client.force_login(bureau_user)
    assert client.get(url).status_code == 404


def test_the_history_of_a_submitted_entry_shows_no_draft_stage_to_the_bureau(
    client, office_staff, bureau_user
):
    entry = _draft(client, office_staff, internal_note="Geheimer Zwischenstand")
    entry.refresh_from_db()
    client.post(
        reverse("measures:entry_edit", args=[entry.pk]),
        {
            "status": Status.IN_PROGRESS,
            "progress": "50",
            "as_of": datetime.date.today().isoformat(),
            "note": "Eingereicht",
            "internal_note": "",
            "reason": "",
            "measure_version": str(entry.measure.version),
            "entry_version": str(entry.version),
            "submit": "1",
        },
    )
    entry.refresh_from_db()
    assert entry.state == StatusEntry.State.SUBMITTED
    url = reverse("measures:change_history", args=["sachstand", entry.pk])
    # The draft stage is recorded, and kept for the office.
    assert entry.history.filter(state="draft", internal_note="Geheimer Zwischenstand").exists()
    client.force_login(bureau_user)
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Geheimer Zwischenstand" not in content
    assert "Eingereicht" in content


def test_the_admin_lists_no_draft_of_another_office(client, office_staff, admin_user):
    entry = _draft(client, office_staff, note="Entwurf im Amt")
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:measures_statusentry_changelist"))
    assert changelist.status_code == 200
    change_url = reverse("admin:measures_statusentry_change", args=[entry.pk])
    assert change_url not in changelist.content.decode()
    change = client.get(change_url)
    assert change.status_code == 302  # the admin's "does not exist" for what it hides
    measure_page = client.get(reverse("admin:measures_measure_change", args=[entry.measure_id]))
    assert measure_page.status_code == 200
    assert reverse("admin:measures_statusentry_change", args=[entry.pk]) not in (
        measure_page.content.decode()
    )

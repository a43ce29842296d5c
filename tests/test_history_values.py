"""The change history shows dates and times as people read them: German format, local
time (Europe/Berlin), no ISO strings with microseconds and UTC offsets."""

import datetime

import pytest
from django.urls import reverse

from measures.models import StatusEntry

from .factories import StatusEntryFactory

pytestmark = pytest.mark.django_db


def test_history_shows_german_local_dates_and_times(client, bureau_user):
    entry = StatusEntryFactory(state=StatusEntry.State.SUBMITTED, as_of=datetime.date(2026, 3, 31))
    entry.state = StatusEntry.State.APPROVED
    entry.reviewed_at = datetime.datetime(2026, 11, 30, 8, 27, 49, 808590, tzinfo=datetime.UTC)
    entry.save()
    client.force_login(bureau_user)
    content = client.get(
        reverse("measures:change_history", args=["sachstand", entry.pk])
    ).content.decode()
    assert "<ins>30.11.2026 09:27</ins>" in content  # 08:27 UTC is 09:27 in Berlin
    assert "<ins>31.03.2026</ins>" in content
    assert "+00:00" not in content and "2026-03-31" not in content

"""Workflows across several records: entering a status, submitting, reviewing.

Optimistic locking: a form carries the version of the measure (and of the entry it
edits) as it was when the form was opened. Saving increments the version in an
UPDATE … WHERE version = <as opened>; when no row matches, someone else has changed
the record in between and the save is refused as a conflict, so nothing is
overwritten silently. This works the same on SQLite and PostgreSQL.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import IndicatorValue, Measure, StatusEntry


class Conflict(Exception):
    """The measure or the entry changed since the form was opened."""


class NotAllowed(Exception):
    """The entry is not in a state that allows this step."""


def _bump_measure(measure, expected_version):
    filters = {"pk": measure.pk}
    if expected_version is not None:
        filters["version"] = expected_version
    if not Measure.objects.filter(**filters).update(
        version=F("version") + 1, updated_at=timezone.now()
    ):
        raise Conflict


def save_entry(
    *,
    measure,
    author,
    data,
    indicator_values,
    measure_version,
    submit,
    entry=None,
    entry_version=None,
):
    """Create or change a draft (or returned) entry and optionally submit it.

    ``data`` holds the cleaned entry fields; ``indicator_values`` a list of
    (indicator, value, period_start, period_end) reported with the entry.
    """
    with transaction.atomic():
        _bump_measure(measure, measure_version)
        if entry is None:
            entry = StatusEntry(measure=measure, author=author)
        else:
            editable = [StatusEntry.State.DRAFT, StatusEntry.State.RETURNED]
            if not StatusEntry.objects.filter(
                pk=entry.pk, version=entry_version, state__in=editable
            ).update(version=F("version") + 1):
                raise Conflict
            entry.version = entry_version + 1
        for field, value in data.items():
            setattr(entry, field, value)
        entry.state = StatusEntry.State.SUBMITTED if submit else StatusEntry.State.DRAFT
        entry.submitted_at = timezone.now() if submit else None
        entry.full_clean()
        entry.save()
        entry.indicator_values.all().delete()
        IndicatorValue.objects.bulk_create(
            IndicatorValue(
                indicator=indicator,
                value=value,
                period_start=start,
                period_end=end,
                status_entry=entry,
            )
            for indicator, value, start, end in indicator_values
        )
    return entry


def _claim(entry, states, **filters):
    """Take the entry for one state transition: a guarded UPDATE that only one of two
    concurrent requests can win. The transition itself is then saved through the
    model, so the audit trail records it with user and time."""
    if not StatusEntry.objects.filter(pk=entry.pk, state__in=states, **filters).update(
        version=F("version") + 1
    ):
        raise NotAllowed
    entry.refresh_from_db()


def submit_entry(entry, user):
    with transaction.atomic():
        _claim(entry, [StatusEntry.State.DRAFT, StatusEntry.State.RETURNED], author=user)
        entry.state = StatusEntry.State.SUBMITTED
        entry.submitted_at = timezone.now()
        entry.save(update_fields=["state", "submitted_at", "updated_at"])
        _bump_measure(entry.measure, None)


def _review(entry, reviewer, state, comment):
    if entry.author_id == reviewer.pk:
        raise NotAllowed
    with transaction.atomic():
        _claim(entry, [StatusEntry.State.SUBMITTED])
        entry.state = state
        entry.reviewer = reviewer
        entry.reviewed_at = timezone.now()
        entry.review_comment = comment
        # Saving refreshes the measure's current status in the same transaction.
        entry.save(
            update_fields=["state", "reviewer", "reviewed_at", "review_comment", "updated_at"]
        )
        _bump_measure(entry.measure, None)


def approve_entry(entry, reviewer):
    """Approve a submitted entry; it then decides the measure's current status."""
    _review(entry, reviewer, StatusEntry.State.APPROVED, "")


def return_entry(entry, reviewer, comment):
    """Send a submitted entry back to its author with a comment."""
    _review(entry, reviewer, StatusEntry.State.RETURNED, comment)

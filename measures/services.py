"""Workflows across several records: entering a status, submitting, reviewing.

Optimistic locking: a form carries the version of the measure (and of the entry it
edits) as it was when the form was opened. Saving increments the version in an
UPDATE … WHERE version = <as opened>; when no row matches, someone else has changed
the record in between and the save is refused as a conflict, so nothing is
overwritten silently. This works the same on SQLite and PostgreSQL.
"""

from contextlib import contextmanager

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from integration_tracker import page_cache
from working_groups.models import Office

from .models import IndicatorValue, Measure, Reminder, ReportingRound, Status, StatusEntry


class Conflict(Exception):
    """The measure or the entry changed since the form was opened."""


class NotAllowed(Exception):
    """The entry is not in a state that allows this step."""


class AlreadyWaiting(Exception):
    """Another entry of the measure waits for review; one at a time."""


def waiting_entry(measure):
    """The entry of ``measure`` that waits for review, if any. A measure has at most
    one (the constraint status_entry_one_submitted_per_measure), so a second entry
    is neither started nor submitted meanwhile."""
    return StatusEntry.objects.filter(measure=measure, state=StatusEntry.State.SUBMITTED).first()


def _refuse_second_waiting(entry):
    """Refuse to submit ``entry`` while another entry of its measure waits. Checked
    in the transaction; two requests at the same moment both pass this check, and
    the database's constraint then refuses the second (see _one_waiting)."""
    others = StatusEntry.objects.filter(
        measure_id=entry.measure_id, state=StatusEntry.State.SUBMITTED
    )
    if entry.pk:
        others = others.exclude(pk=entry.pk)
    if others.exists():
        raise AlreadyWaiting


@contextmanager
def _one_waiting(measure):
    """Around a transaction that submits an entry of ``measure``: when the database
    refuses a second waiting entry, say so as AlreadyWaiting."""
    try:
        yield
    except IntegrityError:
        if waiting_entry(measure) is not None:
            raise AlreadyWaiting from None
        raise


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
    (indicator, value, period_start, period_end) reported with the entry. Raises
    Conflict when the measure or the entry changed since the form was opened, and
    AlreadyWaiting when it is submitted while another entry of the measure waits.
    """
    with _one_waiting(measure), transaction.atomic():
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
        if entry.reporting_round_id is None:
            entry.reporting_round = open_round_for(measure)
        if submit:
            _refuse_second_waiting(entry)
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
    """Submit a draft or returned entry for review; raises NotAllowed if it is not
    (any more) the user's draft, AlreadyWaiting if another entry of the measure waits."""
    with _one_waiting(entry.measure_id), transaction.atomic():
        _claim(entry, [StatusEntry.State.DRAFT, StatusEntry.State.RETURNED], author=user)
        _refuse_second_waiting(entry)
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


def open_round_for(measure):
    """The open reporting round in which the measure is due, if any."""
    return (
        ReportingRound.objects.filter(
            due_measures=measure, opened_at__isnull=False, closed_at__isnull=True
        )
        .order_by("deadline")
        .first()
    )


def open_round(*, concept, title, period_start, period_end, deadline, unfinished_only):
    """Open a reporting round in which the concept's measures are due (those not yet
    completed or dropped, if ``unfinished_only``)."""
    with transaction.atomic():
        reporting_round = ReportingRound.objects.create(
            concept=concept,
            title=title,
            period_start=period_start,
            period_end=period_end,
            deadline=deadline,
            opened_at=timezone.now(),
        )
        measures = Measure.objects.filter(concept=concept)
        if unfinished_only:
            measures = measures.exclude(
                current_entry__status__in=[Status.COMPLETED, Status.DROPPED]
            )
        reporting_round.due_measures.add(*measures.values_list("pk", flat=True))
    return reporting_round


def _set_round_closed(reporting_round, closed_at, *, was_open, reason=""):
    """Close or reopen: a guarded UPDATE that only one of two concurrent requests can
    win, then a save through the model so the history records who, when and why."""
    with transaction.atomic():
        if not ReportingRound.objects.filter(
            pk=reporting_round.pk, opened_at__isnull=False, closed_at__isnull=was_open
        ).update(closed_at=closed_at):
            raise NotAllowed
        reporting_round.closed_at = closed_at
        reporting_round._change_reason = reason
        reporting_round.save(update_fields=["closed_at"])
        # Which measures are due (stale) changes with the round.
        page_cache.changed(page_cache.concept_scope(reporting_round.concept_id))


def close_round(reporting_round):
    """Close an open round; raises NotAllowed if it is not open (any more)."""
    _set_round_closed(reporting_round, timezone.now(), was_open=True)


def reopen_round(reporting_round, reason):
    """Open a closed round again, recording why; raises NotAllowed if it is not closed."""
    _set_round_closed(reporting_round, None, was_open=False, reason=reason)


def late_offices(reporting_round, today=None):
    """Offices with due measures that have neither an approved nor a submitted entry
    in the round, once its deadline has passed: {office: outstanding count}."""
    if not reporting_round.is_open or not reporting_round.is_past_deadline(today):
        return {}
    progress = reporting_round.office_progress()
    late = {pk: row["outstanding"] for pk, row in progress.items() if pk and row["outstanding"]}
    offices = Office.objects.prefetch_related("staff").in_bulk(list(late))
    return {offices[pk]: count for pk, count in late.items()}


def send_reminders(today=None, dry_run=False, rounds=None):
    """E-mail each late office of every open round (or of those of ``rounds``, a
    queryset), at most once per day.

    Returns a list of (round, office, recipients, outstanding) that were (or, with
    ``dry_run``, would be) reminded."""
    today = today or timezone.localdate()
    sent = []
    rounds = (
        (ReportingRound.objects.all() if rounds is None else rounds)
        .filter(opened_at__isnull=False, closed_at__isnull=True, deadline__lt=today)
        .select_related("concept")
    )
    for reporting_round in rounds:
        for office, outstanding in late_offices(reporting_round, today).items():
            if Reminder.objects.filter(
                reporting_round=reporting_round, office=office, sent_on=today
            ).exists():
                continue
            recipients = sorted(
                {office.email}
                if office.email
                else {u.email for u in office.staff.all() if u.email and u.is_active}
            )
            if not recipients:
                continue
            if not dry_run:
                with transaction.atomic():
                    _, created = Reminder.objects.get_or_create(
                        reporting_round=reporting_round,
                        office=office,
                        sent_on=today,
                        defaults={"recipients": ", ".join(recipients), "outstanding": outstanding},
                    )
                    if not created:
                        continue
                    _mail_reminder(reporting_round, office, recipients, outstanding)
            sent.append((reporting_round, office, recipients, outstanding))
    return sent


def _mail_reminder(reporting_round, office, recipients, outstanding):
    context = {
        "round": reporting_round,
        "office": office,
        "outstanding": outstanding,
        "deadline": reporting_round.deadline,
    }
    # Reminders go out in German, the language of the administration.
    with translation.override("de"):
        subject = render_to_string("measures/email/reminder_subject.txt", context).strip()
        body = render_to_string("measures/email/reminder_body.txt", context)
    send_mail(subject, body, None, recipients)

"""Workflows across several records: entering a status, submitting, reviewing.

Optimistic locking: a form carries the version of the measure (and of the entry it
edits) as it was when the form was opened. Saving increments the version in an
UPDATE … WHERE version = <as opened>; when no row matches, someone else has changed
the record in between and the save is refused as a conflict, so nothing is
overwritten silently. This works the same on SQLite and PostgreSQL.
"""

import datetime
from contextlib import contextmanager, nullcontext
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from simple_history.utils import update_change_reason

from accounts.models import NotificationKind, NotificationSettings
from working_groups.models import Office
from working_groups.versions import concepts_changed

from . import tasks
from .models import (
    IndicatorValue,
    Measure,
    Notification,
    Reminder,
    ReportingRound,
    StatusEntry,
)
from .permissions import editable_entries


class Conflict(Exception):
    """The measure or the entry changed since the form was opened."""


class NotAllowed(Exception):
    """The entry is not in a state that allows this step."""


class AlreadyWaiting(Exception):
    """Another entry of the measure waits for review; one at a time."""


class RoundAlreadyOpen(Exception):
    """The concept has an open reporting round already; one at a time
    (the constraint reporting_round_one_open_per_concept)."""

    def __init__(self, reporting_round):
        super().__init__(reporting_round)
        self.reporting_round = reporting_round


def _refuse_second_open_round(concept_id, exclude_pk=None):
    other = ReportingRound.objects.open().filter(concept_id=concept_id).exclude(pk=exclude_pk)
    other = other.only("pk", "title").first()
    if other is not None:
        raise RoundAlreadyOpen(other)


@contextmanager
def _one_open_round(concept_id, exclude_pk=None):
    """Refuses a second open round of the concept: checked first for a clear message,
    and, when two requests open one at the same moment, by the unique index (the
    loser's IntegrityError, inside a savepoint so the outer transaction lives on)."""
    _refuse_second_open_round(concept_id, exclude_pk)
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        _refuse_second_open_round(concept_id, exclude_pk)
        raise


class AlreadyOpen(Exception):
    """The office already carries on an entry of the measure; it is continued, not
    started a second time."""

    def __init__(self, entry):
        super().__init__(entry)
        self.entry = entry


def open_entries(measure, user):
    """The drafts and returned entries of ``measure`` that ``user`` carries on (theirs
    or their office's, permissions.open_work): the one to continue first. A returned
    one comes first (it holds the bureau's comment), then the latest. Since
    save_entry starts no second one there is one at most, but entries written
    before that rule stay until they are submitted."""
    returned_first = Case(When(state=StatusEntry.State.RETURNED, then=Value(0)), default=Value(1))
    return editable_entries(user, StatusEntry.objects.filter(measure=measure)).order_by(
        returned_first, "-updated_at", "-pk"
    )


def open_entry(measure, user):
    """The entry of ``measure`` that ``user`` continues instead of starting a new one
    (open_entries), or None."""
    return open_entries(measure, user).first()


def waiting_entry(measure):
    """The entry of ``measure`` that waits for review, if any. A measure has at most
    one (the constraint status_entry_one_submitted_per_measure), so a second entry
    is neither started nor submitted meanwhile."""
    return (
        StatusEntry.objects.filter(measure=measure, state=StatusEntry.State.SUBMITTED)
        .select_related("author")
        .first()
    )


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
    Conflict when the measure or the entry changed since the form was opened,
    AlreadyWaiting when it is submitted while another entry of the measure waits, and
    AlreadyOpen when a new entry is started while the author's office carries one on.
    """
    with _one_waiting(measure), transaction.atomic():
        # Bumping the measure's version locks its row until the commit, so two
        # requests cannot both find no open entry and both start one.
        _bump_measure(measure, measure_version)
        if entry is None:
            carried_on = open_entry(measure, author)
            if carried_on is not None:
                raise AlreadyOpen(carried_on)
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
    (any more) one the user may change, AlreadyWaiting if another entry of the
    measure waits."""
    with _one_waiting(entry.measure_id), transaction.atomic():
        _claim(
            entry,
            [StatusEntry.State.DRAFT, StatusEntry.State.RETURNED],
            pk__in=editable_entries(user).values("pk"),
        )
        _refuse_second_waiting(entry)
        entry.state = StatusEntry.State.SUBMITTED
        entry.submitted_at = timezone.now()
        entry.save(update_fields=["state", "submitted_at", "updated_at"])
        _bump_measure(entry.measure, None)


def _review(entry, reviewer, state, comment, site_url):
    if entry.author_id == reviewer.pk:
        raise NotAllowed
    kind = (
        NotificationKind.ENTRY_APPROVED
        if state == StatusEntry.State.APPROVED
        else NotificationKind.ENTRY_RETURNED
    )
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
        if state == StatusEntry.State.APPROVED:
            # Readers see approved entries only: a returned one changes nothing for them.
            concepts_changed(entry.measure.concept_id)
        notify(kind, [entry.author], entry=entry, site_url=site_url)


def approve_entry(entry, reviewer, *, site_url=None):
    """Approve a submitted entry; it then decides the measure's current status. The
    author is told by e-mail (links to ``site_url``, see ``notify``)."""
    _review(entry, reviewer, StatusEntry.State.APPROVED, "", site_url)


def return_entry(entry, reviewer, comment, *, site_url=None):
    """Send a submitted entry back to its author with a comment, by e-mail too."""
    _review(entry, reviewer, StatusEntry.State.RETURNED, comment, site_url)


def open_round_for(measure):
    """The open reporting round in which the measure is due, if any."""
    return ReportingRound.objects.open().filter(due_measures=measure).order_by("deadline").first()


def open_round(
    *,
    concept,
    title,
    period_start,
    period_end,
    deadline,
    unfinished_only,
    site_url=None,
    measures=None,
):
    """Open a reporting round in which the concept's measures are due (those not yet
    finished, if ``unfinished_only``; of those, the ones of ``measures``, a queryset,
    if given), and tell the staff of the offices that lead them what is due by when."""
    with transaction.atomic():
        with _one_open_round(concept.pk):
            reporting_round = ReportingRound.objects.create(
                concept=concept,
                title=title,
                period_start=period_start,
                period_end=period_end,
                deadline=deadline,
                opened_at=timezone.now(),
            )
        measures = (Measure.objects.all() if measures is None else measures).filter(concept=concept)
        if unfinished_only:
            measures = measures.unfinished()
        reporting_round.due_measures.add(*measures.values_list("pk", flat=True))
        # Which measures are due (stale) changes with the round.
        concepts_changed(concept.pk)
        staff = get_user_model().objects.filter(
            offices__led_measures__reporting_rounds=reporting_round
        )
        notify(
            NotificationKind.ROUND_OPENED,
            staff.distinct().order_by("pk"),
            reporting_round=reporting_round,
            site_url=site_url,
        )
    return reporting_round


def _set_round_closed(reporting_round, closed_at, *, was_open, reason=""):
    """Close or reopen: a guarded UPDATE that only one of two concurrent requests can
    win, then a save through the model so the history records who, when and why."""
    with transaction.atomic():
        reopening = closed_at is None
        with (
            _one_open_round(reporting_round.concept_id, exclude_pk=reporting_round.pk)
            if reopening
            else nullcontext()
        ):
            rounds = ReportingRound.objects.filter(pk=reporting_round.pk)
            if not (rounds.open() if was_open else rounds.closed()).update(closed_at=closed_at):
                raise NotAllowed
        reporting_round.closed_at = closed_at
        reporting_round.save(update_fields=["closed_at"])
        if reason:
            update_change_reason(reporting_round, reason)
        # Which measures are due (stale) changes with the round.
        concepts_changed(reporting_round.concept_id)


def close_round(reporting_round):
    """Close an open round; raises NotAllowed if it is not open (any more)."""
    _set_round_closed(reporting_round, timezone.now(), was_open=True)


def reopen_round(reporting_round, reason):
    """Open a closed round again, recording why; raises NotAllowed if it is not closed,
    RoundAlreadyOpen if another round of its concept is open."""
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


def send_reminders(today=None, dry_run=False, rounds=None, site_url=None):
    """E-mail each late office of every open round (or of those of ``rounds``, a
    queryset), at most once per day: its shared address for reminders if it has one,
    else those of its staff who have not switched overdue reminders off.

    Returns a list of (round, office, recipients, outstanding) that were (or, with
    ``dry_run``, would be) reminded."""
    today = today or timezone.localdate()
    sent = []
    rounds = (
        (ReportingRound.objects.all() if rounds is None else rounds)
        .open()
        .filter(deadline__lt=today)
        .select_related("concept")
    )
    for reporting_round in rounds:
        for office, outstanding in late_offices(reporting_round, today).items():
            if Reminder.objects.filter(
                reporting_round=reporting_round, office=office, sent_on=today
            ).exists():
                continue
            people = (
                []
                if office.email
                else [user for user, _ in recipients(NotificationKind.OVERDUE, office.staff.all())]
            )
            addresses = sorted({office.email} if office.email else {u.email for u in people})
            if not addresses:
                continue
            if not dry_run:
                with transaction.atomic():
                    _, created = Reminder.objects.get_or_create(
                        reporting_round=reporting_round,
                        office=office,
                        sent_on=today,
                        defaults={"recipients": ", ".join(addresses), "outstanding": outstanding},
                    )
                    if not created:
                        continue
                    if office.email:
                        _queue(
                            [
                                Notification(
                                    kind=NotificationKind.OVERDUE,
                                    office=office,
                                    email=office.email,
                                    # An office's shared address is read in the
                                    # language of the administration.
                                    language=settings.LANGUAGE_CODE,
                                    reporting_round=reporting_round,
                                )
                            ],
                            site_url,
                        )
                    else:
                        notify(
                            NotificationKind.OVERDUE,
                            people,
                            reporting_round=reporting_round,
                            site_url=site_url,
                        )
            sent.append((reporting_round, office, addresses, outstanding))
    return sent


def send_deadline_reminders(today=None, dry_run=False, site_url=None):
    """Remind the staff of offices that have not yet reported all their measures due
    in an open round, DEADLINE_REMINDER_DAYS before its deadline: once per round and
    person (the constraint notification_once_per_round), from the first run in that
    window. A round opened today is left alone: its opening mail has just said when.

    Returns a list of (round, recipients) that were (or, with ``dry_run``, would be)
    reminded."""
    today = today or timezone.localdate()
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    rounds = ReportingRound.objects.open().filter(
        deadline__gte=today,
        deadline__lte=today + datetime.timedelta(days=settings.DEADLINE_REMINDER_DAYS),
        opened_at__lt=start_of_today,
    )
    sent = []
    for reporting_round in rounds:
        behind = [
            pk for pk, row in reporting_round.office_progress().items() if pk and row["outstanding"]
        ]
        reminded = Notification.objects.filter(
            kind=NotificationKind.DEADLINE_NEAR,
            reporting_round=reporting_round,
            recipient__isnull=False,
        ).values("recipient_id")
        staff = (
            get_user_model()
            .objects.filter(offices__in=behind)
            .exclude(pk__in=reminded)
            .distinct()
            .order_by("pk")
        )
        people = [user for user, _ in recipients(NotificationKind.DEADLINE_NEAR, staff)]
        if not people:
            continue
        if not dry_run:
            try:
                with transaction.atomic():
                    notify(
                        NotificationKind.DEADLINE_NEAR,
                        people,
                        reporting_round=reporting_round,
                        site_url=site_url,
                    )
            except IntegrityError:
                continue  # an overlapping run has just reminded them
        sent.append((reporting_round, sorted(user.email for user in people)))
    return sent


# --- Telling people (DESIGN.md, "Telling people") --------------------------------------


def recipients(kind, users):
    """Those of ``users`` who receive e-mails of ``kind`` (active, with an address, not
    switched off on their account page), each with their settings: [(user, settings)]."""
    users = [user for user in users if user.is_active and user.email]
    found = NotificationSettings.objects.for_users(user.pk for user in users)
    return [(user, found[user.pk]) for user in users if found[user.pk].wants(kind)]


def notify(kind, users, *, entry=None, reporting_round=None, site_url=None):
    """Tell ``users`` about ``entry`` or ``reporting_round`` by e-mail, each in their
    language: a log row for each who receives ``kind``, written in the caller's
    transaction, and a task for each, queued once that transaction has committed. If
    it is rolled back, no one is told. The links lead to ``site_url`` (scheme and
    host of the request that caused the mail), else to SITE_URL."""
    round_id = entry.reporting_round_id if entry is not None else reporting_round.pk
    rows = [
        Notification(
            kind=kind,
            recipient=user,
            email=user.email,
            language=user_settings.language,
            entry=entry,
            reporting_round_id=round_id,
        )
        for user, user_settings in recipients(kind, users)
    ]
    return _queue(rows, site_url)


def _queue(notifications, site_url):
    # bulk_create sets the ids (PostgreSQL; SQLite from 3.35, which Python 3.11 brings).
    notifications = Notification.objects.bulk_create(notifications)
    site_url = site_url or settings.SITE_URL
    for notification in notifications:
        # robust: the step itself has committed; a queue that refuses one mail must
        # neither turn it into an error page nor keep the other mails back.
        transaction.on_commit(
            partial(tasks.send_notification.enqueue, notification.pk, site_url), robust=True
        )
    return notifications

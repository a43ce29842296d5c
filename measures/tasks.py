"""Background tasks of the measures app (django-tasks; run by `manage.py db_worker`):
checking and importing uploaded spreadsheets, reminding late offices, and the e-mails
that tell people about their entries and rounds.

A 10,000-row spreadsheet takes longer than a web request should; a small one is
done within a second or two of the worker taking it, and its page then simply shows
the result."""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.defaultfilters import date as date_format
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from helpers.scope import municipality_scope
from helpers.worker import fail_lost_tasks

# The module, not its functions: services queues this module's tasks.
from . import services
from .models import Notification, ReportingRound, SpreadsheetImport
from .tables import run as run_table_import

logger = logging.getLogger(__name__)


def process_spreadsheet(batch, user, dry_run, on_conflict="skip", reason=""):
    """The one call into the import engine (measures/tables.py): check (dry run) or
    import the batch's file, all rows or none. The row count is stored as soon as the
    file is read, so that the page can say how many rows are being worked on.
    ``on_conflict`` and ``reason``: what the import does with rows whose record
    changed after the export (see tables.run)."""

    def on_rows(count):
        SpreadsheetImport.objects.filter(pk=batch.pk).update(rows_total=count)

    # The worker runs unscoped; a file changes what its importer may change, in the
    # municipality it was uploaded in only, also when the importer works with
    # several (helpers/scope.py).
    with municipality_scope(batch.scope_for(user)):
        return run_table_import(
            batch.kind,
            bytes(batch.content),
            batch.file_format,
            user,
            dry_run=dry_run,
            source=""
            if dry_run
            else _("Spreadsheet import “%(name)s” of %(date)s")
            % {"name": batch.file_name, "date": date_format(timezone.localdate())},
            on_conflict=on_conflict,
            reason=reason,
            on_rows=on_rows if dry_run else None,
        )


def _fail(batch_id, error):
    """The page says that the file could not be processed (in the reader's language);
    the details are in the log and in the task's result."""
    logger.error("Spreadsheet import %s failed: %r", batch_id, error)
    SpreadsheetImport.objects.filter(pk=batch_id).update(
        state=SpreadsheetImport.State.FAILED, summary={}
    )


@task()
def check_spreadsheet(batch_id):
    """The dry run of an uploaded file: every error with its row and column."""
    batch = SpreadsheetImport.objects.select_related("uploaded_by").get(pk=batch_id)
    if batch.state != SpreadsheetImport.State.CHECKING:
        return None
    try:
        summary = process_spreadsheet(batch, batch.uploaded_by, dry_run=True)
        # Not if it has been marked lost meanwhile (helpers/worker.py).
        SpreadsheetImport.objects.filter(
            pk=batch_id, state=SpreadsheetImport.State.CHECKING
        ).update(
            state=SpreadsheetImport.State.PREVIEWED,
            summary=summary,
            rows_total=summary.get("total_rows"),
        )
    except Exception as error:
        _fail(batch_id, error)
        raise
    return {
        "rows": summary.get("total_rows"),
        "errors": summary.get("error_count", len(summary["errors"])),
    }


@task()
def import_spreadsheet(batch_id, user_id, on_conflict="skip", reason=""):
    """Import a checked file, all rows or none. If the records changed since the
    check and a row is refused now, nothing is written and the batch goes back to
    "checked" with the new errors. Rows whose record changed after the export are
    left out (``on_conflict`` "skip") or take the file's values with ``reason``
    recorded in the history ("overwrite")."""
    batch = SpreadsheetImport.objects.get(pk=batch_id)
    if batch.state != SpreadsheetImport.State.IMPORTING:
        return None
    user = get_user_model().objects.get(pk=user_id)
    try:
        with transaction.atomic():
            summary = process_spreadsheet(
                batch, user, dry_run=False, on_conflict=on_conflict, reason=reason
            )
            # An import marked lost meanwhile (helpers/worker.py) writes
            # nothing: its page has said so, and the file may have been imported again.
            importing = SpreadsheetImport.objects.filter(
                pk=batch_id, state=SpreadsheetImport.State.IMPORTING
            )
            if summary["errors"] or not importing.update(
                state=SpreadsheetImport.State.IMPORTED,
                imported_at=timezone.now(),
                summary=summary,
            ):
                transaction.set_rollback(True)
        if summary["errors"]:
            importing.update(state=SpreadsheetImport.State.PREVIEWED, summary=summary)
    except Exception as error:
        _fail(batch_id, error)
        raise
    return {
        "rows": summary.get("total_rows"),
        "errors": summary.get("error_count", len(summary["errors"])),
    }


@task()
def remind_late_offices(round_id, site_url=None):
    """The bureau's "send reminders now" for one round: the same function as the
    cron job (`manage.py send_reminders`), so an office still gets at most one
    reminder a day."""
    sent = services.send_reminders(
        rounds=ReportingRound.objects.filter(pk=round_id), site_url=site_url
    )
    return len(sent)


# The daily reminders go out at this local time, before the offices start work.
REMINDER_TIME = datetime.time(7, 0)


def next_morning(now=None):
    """The next REMINDER_TIME (local time) after ``now``: today's if it is still to come."""
    now = timezone.localtime(now)
    when = timezone.make_aware(datetime.datetime.combine(now.date(), REMINDER_TIME))
    return when if when > now else when + datetime.timedelta(days=1)


def _daily_reminders_waiting():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=send_daily_reminders.module_path, status="READY"
    ).exists()


def schedule_daily_reminders(run_after=None):
    """Queue the daily reminders for the worker (at once, or at ``run_after``) unless a
    run is already waiting, so that however often this is called (each `make run`,
    each run queueing the next) one run waits at a time. Returns the queued result,
    or None. Only the database queue (settings.TASKS) can be asked what waits; the
    immediate backend of the tests gets nothing, as a run would queue the next at
    once, and so on."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(send_daily_reminders.get_backend(), DatabaseBackend):
        return None
    if _daily_reminders_waiting():
        return None
    reminders = send_daily_reminders
    if run_after is not None:
        reminders = reminders.using(run_after=run_after)
    return reminders.enqueue()


@task()
def send_daily_reminders():
    """The reminders of the day without a cron job: before a round's deadline
    (services.send_deadline_reminders, once per round and person) and after it
    (services.send_reminders, once per office and day), then the next run queued for
    the next morning, also when this one failed. A second run on the same day sends
    nothing twice. `manage.py send_reminders` does the same from cron. Tasks the worker
    has lost are marked failed first, with their records, since this runs every day."""
    try:
        fail_lost_tasks()
        before = services.send_deadline_reminders()
        after = services.send_reminders()
    finally:
        schedule_daily_reminders(run_after=next_morning())
    return {"before_deadline": len(before), "overdue": len(after)}


@task()
def send_notification(notification_id, site_url):
    """One e-mail of measures/services.py's ``notify``, in its recipient's language,
    queued once the step it tells of has committed. A mail already sent is not sent
    again; if the mail server refuses it, the task fails and the round's page shows
    the mail as not sent."""
    notification = (
        Notification.objects.select_related(
            "recipient",
            "office",
            "reporting_round__concept__municipality",
            "entry__measure__concept__municipality",
            "entry__reviewer",
        )
        .filter(pk=notification_id, sent_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    person = notification.recipient
    if notification.office_id is None and (person is None or not person.is_active):
        return False  # deactivated (or deleted) since the step
    subject, body = notification.render(site_url)
    send_mail(subject, body, None, [notification.email])
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), subject=subject)
    return True

"""The background worker as the pages see it (django-tasks' database backend, run by
`manage.py db_worker`): whether one takes the tasks, and which tasks it has lost.

A worker killed in the middle of a task (``kill -9``, a power loss, the kernel's OOM
killer) leaves the task "running" in the database, and the record it worked on (an
export, a publication, a spreadsheet import) "being rendered" or "being imported" for
ever. There is no heartbeat: each long task has a time it cannot legitimately pass
instead. Its expensive part runs in a child process that is stopped at its limit
(helpers/bounded.py, ``WORK_LIMITS``), and the rest gets a margin. A task
running longer than that has been lost: fail_lost_tasks() marks it and its record
failed, so that the page stops waiting, says what happened and offers to start again.
It runs where it is cheap and sure to run: on the pages that wait for such a record,
once the record looks overdue, and at the start of the daily reminders.

This module is the project's glue between the apps: it names their tasks by path and
imports their records only when it fails them, so that any app can call it.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus

from .bounded import limits

logger = logging.getLogger(__name__)

# A task that no worker has taken this long after it was due means no worker runs (or
# all are busy for long): the pages that wait for one say so instead of waiting
# silently, and so does /healthz/ready/.
WORKER_LATE_AFTER = datetime.timedelta(minutes=1)

# The margins for the work a long task does in the worker itself, without a limit.
# Rendering: the report's HTML (under a second at scale) and storing the file.
RENDERING_MARGIN = datetime.timedelta(minutes=2)
# Spreadsheets: checking or writing up to 20,000 rows, row by row for all but the
# measures (the library's row-by-row import takes some 250 s for 10,000 rows at scale
# M, docs/benchmark.md).
SPREADSHEET_MARGIN = datetime.timedelta(minutes=15)

# The long tasks: the kinds of bounded work each runs, and its margin. Each takes the
# primary key of its record as its first argument.
LONG_TASKS = {
    "reports.tasks.render_export": (("pdf", "docx"), RENDERING_MARGIN),
    "reports.tasks.publish_report": (("pdf",), RENDERING_MARGIN),
    "measures.tasks.check_spreadsheet": (("spreadsheet",), SPREADSHEET_MARGIN),
    "measures.tasks.import_spreadsheet": (("spreadsheet",), SPREADSHEET_MARGIN),
}


class WorkerLost(Exception):
    """Named in a task result that fail_lost_tasks() marked failed: the worker stopped
    while it ran the task."""


def queued_in_database():
    """Whether tasks wait in the database (other backends run them at once or
    elsewhere, and cannot be asked)."""
    return "django_tasks_db" in settings.TASKS["default"]["BACKEND"]


def worker_is_late():
    """Whether a queued task has waited longer than WORKER_LATE_AFTER for a worker."""
    if not queued_in_database():
        return False
    from django_tasks_db.models import DBTaskResult, get_date_max

    before = timezone.now() - WORKER_LATE_AFTER
    # A task without a delay has the latest possible run_after: it is due when queued.
    due_before = Q(run_after__lte=before) | Q(run_after=get_date_max(), enqueued_at__lte=before)
    return DBTaskResult.objects.filter(due_before, status=TaskResultStatus.READY).exists()


def lost_after(task):
    """How long ``task`` (one of LONG_TASKS) may run: the longest limit of the bounded
    work it does, plus its margin."""
    return _allowed(task.module_path)


def _allowed(path):
    kinds, margin = LONG_TASKS[path]
    return datetime.timedelta(seconds=max(limits(kind)["seconds"] for kind in kinds)) + margin


def overdue(task, since):
    """Whether work of ``task`` asked for at ``since`` may have been lost: it cannot have
    started before, so it cannot have run for longer than its time until then."""
    return since < timezone.now() - lost_after(task)


def _records():
    """{task path: (its records while under way, the update that fails one as lost)}"""
    from measures.models import SpreadsheetImport
    from reports.models import Publication, ReportExport

    now = timezone.now()
    spreadsheet = (
        SpreadsheetImport.objects.filter(
            state__in=[SpreadsheetImport.State.CHECKING, SpreadsheetImport.State.IMPORTING]
        ),
        {"state": SpreadsheetImport.State.FAILED, "lost": True, "summary": {}},
    )
    return {
        "reports.tasks.render_export": (
            ReportExport.objects.filter(
                state__in=[ReportExport.State.QUEUED, ReportExport.State.RUNNING]
            ),
            {"state": ReportExport.State.FAILED, "lost": True, "finished_at": now},
        ),
        "reports.tasks.publish_report": (
            Publication.objects.filter(state__in=Publication.IN_PROGRESS),
            {"state": Publication.State.FAILED, "lost": True, "finished_at": now},
        ),
        "measures.tasks.check_spreadsheet": spreadsheet,
        "measures.tasks.import_spreadsheet": spreadsheet,
    }


def fail_lost_tasks():
    """Mark the long tasks that have run for longer than their time failed, and their
    records failed as lost; returns how many tasks it found."""
    if not queued_in_database():
        return 0
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    too_long = Q()
    for path in LONG_TASKS:
        too_long |= Q(task_path=path, started_at__lt=now - _allowed(path))
    lost = list(
        DBTaskResult.objects.filter(too_long, status=TaskResultStatus.RUNNING).values_list(
            "pk", "task_path", "args_kwargs"
        )
    )
    if not lost:
        return 0
    # Only now a transaction: on SQLite it takes the write lock when it begins.
    with transaction.atomic():
        records = _records()
        for pk, path, args_kwargs in lost:
            logger.error("The worker lost task %s (%s); marked failed.", pk, path)
            under_way, failed = records[path]
            under_way.filter(pk=args_kwargs["args"][0]).update(**failed)
        # Only those still running: one that has just ended keeps its result.
        DBTaskResult.objects.filter(
            pk__in=[pk for pk, *_rest in lost], status=TaskResultStatus.RUNNING
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback="The worker stopped while it ran this task (helpers/worker.py).",
        )
    return len(lost)

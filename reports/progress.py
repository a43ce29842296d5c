"""Aggregates for the progress pages: counts of measures per status, overall and per
field of action, working group and office, each in one grouped query."""

import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from measures.models import FINISHED_STATUSES, Status

STATUS_ORDER = [
    Status.COMPLETED,
    Status.ONGOING,
    Status.IN_PROGRESS,
    Status.IN_PREPARATION,
    Status.NOT_STARTED,
    Status.DEFERRED,
    Status.DROPPED,
]


class NoStatus(str):
    """The bucket of measures without any approved status yet ("noch kein Sachstand"):
    not the same as "not started", which somebody has to have reported."""

    label = _("no status yet")
    value = "none"

    def __new__(cls):
        return super().__new__(cls, "none")


NO_STATUS = NoStatus()


def _status_q(status):
    if status == NO_STATUS:
        return Q(current_entry__isnull=True)
    return Q(current_entry__status=status)


def status_counts(measures, group_by=None):
    """{group value: {"total": n, "by_status": [(status, n), …], "done": n, "rated": n}};
    one query.

    ``done`` counts completed and ongoing measures: those the concept has put into
    practice; ``rated`` those with any status (a share is only given among them)."""
    aggregates = {"total": Count("pk")}
    for status in [*STATUS_ORDER, NO_STATUS]:
        aggregates[status.value] = Count("pk", filter=_status_q(status))
    if group_by:
        rows = measures.order_by().values(group_by).annotate(**aggregates)
    else:
        rows = [measures.aggregate(**aggregates)]
    result = {}
    for row in rows:
        key = row.get(group_by) if group_by else None
        by_status = [(status, row[str(status)]) for status in [*STATUS_ORDER, NO_STATUS]]
        result[key] = {
            "total": row["total"],
            "by_status": by_status,
            "done": row[Status.COMPLETED.value] + row[Status.ONGOING.value],
            "rated": row["total"] - row[str(NO_STATUS)],
        }
    return result


def overdue_filter(today=None):
    today = today or datetime.date.today()
    return Q(planned_end__lt=today) & (
        Q(current_entry__isnull=True) | ~Q(current_entry__status__in=FINISHED_STATUSES)
    )

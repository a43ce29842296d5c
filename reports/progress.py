"""Aggregates for the progress pages: counts of measures per status, overall and per
field of action, working group and office, each in one grouped query."""

from django.db.models import Count

from measures.models import IN_PRACTICE_STATUSES, NO_STATUS, MeasureQuerySet, Status

STATUS_ORDER = [
    Status.COMPLETED,
    Status.ONGOING,
    Status.IN_PROGRESS,
    Status.IN_PREPARATION,
    Status.NOT_STARTED,
    Status.DEFERRED,
    Status.DROPPED,
]


def status_counts(measures, group_by=None):
    """{group value: {"total": n, "by_status": [(status, n), …], "done": n, "rated": n}};
    one query.

    ``done`` counts the measures put into practice (``IN_PRACTICE_STATUSES``: completed
    or carried on as ongoing tasks); ``rated`` those with any status (a share is only
    given among them)."""
    aggregates = {"total": Count("pk")}
    for status in [*STATUS_ORDER, NO_STATUS]:
        aggregates[status.value] = Count("pk", filter=MeasureQuerySet.status_q(status))
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
            "done": sum(row[status.value] for status in IN_PRACTICE_STATUSES),
            "rated": row["total"] - row[str(NO_STATUS)],
        }
    return result

"""Aggregates for the progress pages: counts of measures per status, overall and per
field of action, working group and office, each in one grouped query."""

from django.db.models import Count
from django.utils.translation import gettext as _

from measures.models import IN_PRACTICE_STATUSES, NO_STATUS, MeasureQuerySet, Status, Topic

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
    one query. ``group_by`` names a field, or a tuple of fields (the key is then the
    tuple of their values: the Land view counts several concepts at once).

    ``done`` counts the measures put into practice (``IN_PRACTICE_STATUSES``: completed
    or carried on as ongoing tasks); ``rated`` those with any status (a share is only
    given among them)."""
    aggregates = {"total": Count("pk")}
    for status in [*STATUS_ORDER, NO_STATUS]:
        aggregates[status.value] = Count("pk", filter=MeasureQuerySet.status_q(status))
    keys = (group_by,) if isinstance(group_by, str) else group_by
    if group_by:
        rows = measures.order_by().values(*keys).annotate(**aggregates)
    else:
        rows = [measures.aggregate(**aggregates)]
    result = {}
    for row in rows:
        if not group_by:
            key = None
        elif isinstance(group_by, str):
            key = row[group_by]
        else:
            key = tuple(row[name] for name in keys)
        by_status = [(status, row[str(status)]) for status in [*STATUS_ORDER, NO_STATUS]]
        result[key] = {
            "total": row["total"],
            "by_status": by_status,
            "done": sum(row[status.value] for status in IN_PRACTICE_STATUSES),
            "rated": row["total"] - row[str(NO_STATUS)],
        }
    return result


def overview_aggregates(concept, measures, fields, groups, offices):
    """What the progress overview counts of ``measures`` (a filtered set of the
    concept's): all of them by status, a breakdown by each dimension that holds data
    (headings, fields of action, working groups, lead offices; ``fields``, ``groups``
    and ``offices`` are the concept's, in their order), and how many are overdue or
    without a recent entry."""
    topics = list(Topic.objects.filter(concept=concept).order_by("position", "pk"))

    def rows(counts, objects, none_label):
        result = [(obj, counts[obj.pk]) for obj in objects if obj.pk in counts]
        if None in counts:
            result.append((none_label, counts[None]))
        return result

    # A breakdown only by a dimension that holds data: never a single "without …" bar
    # (the 2009 concept has no fields of action of its own, but report headings).
    breakdowns = []
    for key, group_by, objects, title, caption, none_label in [
        (
            "topic",
            "topic",
            topics,
            _("By heading"),
            _("Measures per heading and status"),
            _("without heading"),
        ),
        (
            "field",
            "field_of_action",
            fields,
            _("By field of action"),
            _("Measures per field of action and status"),
            _("without field of action"),
        ),
        (
            "group",
            "working_group",
            groups,
            _("By working group"),
            _("Measures per working group and status"),
            _("without working group"),
        ),
        (
            "office",
            "lead_office",
            offices,
            _("By lead office"),
            _("Measures per lead office and status"),
            _("without lead office"),
        ),
    ]:
        if not objects:
            continue
        counts = status_counts(measures, group_by)
        if set(counts) - {None}:
            breakdowns.append(
                {
                    "key": key,
                    "title": title,
                    "caption": caption,
                    "rows": rows(counts, objects, none_label),
                }
            )
    return {
        "overall": status_counts(measures)[None],
        "breakdowns": breakdowns,
        "overdue_count": measures.overdue().count(),
        "stale_count": measures.stale().count(),
    }

"""What has moved since the last report? A published version compared with the
previous published version of the same report: the measures whose status (or
percentage) differs between the two. Computed only from what each version stored
when it was published (``PublishedVersion.statuses``), never from today's records:
a version says what it said. Versions published before the snapshot was kept have
none, and the page says so."""

from django.db.models import Subquery

from measures.models import Measure, status_label

from .rendering import approved_as_of

SNAPSHOT_FORMAT = 1


def status_snapshot(report):
    """Each measure of the report's concept with the status the report gives it (the
    latest approved entry dated within its period, or none), in the report's order."""
    latest = approved_as_of(report)
    rows = (
        Measure.objects.filter(concept=report.concept_id)
        .annotate(
            snapshot_status=Subquery(latest.values("status")[:1]),
            snapshot_progress=Subquery(latest.values("progress")[:1]),
        )
        .order_by("position", "number")
        .values_list(
            "pk", "number", "title", "report_wording", "snapshot_status", "snapshot_progress"
        )
    )
    return {
        "format": SNAPSHOT_FORMAT,
        "as_of": report.period_end.isoformat(),
        "measures": [
            {
                "id": pk,
                "number": number,
                "words": wording or title,
                "status": status,
                "progress": progress,
            }
            for pk, number, title, wording, status, progress in rows
        ],
    }


def status_text(entry):
    """“in Umsetzung, 40 %”, “noch kein freigegebener Sachstand”, or None where the
    measure was not in the version at all."""
    if entry is None:
        return None
    label = str(status_label(entry["status"]))
    if entry["status"] and entry["progress"] is not None:
        return f"{label}, {entry['progress']}\u00a0%"
    return label


def status_changes(older, newer):
    """The measures whose status or percentage differs between two snapshots, in the
    newer version's order, then those only the older one had: each as a dict with
    number, words, before and after (None: not in that version)."""
    before = {entry["id"]: entry for entry in older["measures"]}
    rows = []
    for entry in newer["measures"]:
        old = before.pop(entry["id"], None)
        if old is not None and (old["status"], old["progress"]) == (
            entry["status"],
            entry["progress"],
        ):
            continue
        rows.append(
            {
                "number": entry["number"],
                "words": entry["words"],
                "before": status_text(old),
                "after": status_text(entry),
            }
        )
    for old in before.values():
        rows.append(
            {
                "number": old["number"],
                "words": old["words"],
                "before": status_text(old),
                "after": None,
            }
        )
    return rows

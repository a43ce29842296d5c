"""Reading an audit trail: one object's django-simple-history records as a page of
"what changed" rows, newest first. The one algorithm behind every history page (the
measures' records in measures/audit.py, the accounts in accounts/history.py); each
reader says only which fields it shows and how their values read."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q


@dataclass(frozen=True)
class Shown:
    """One field a history page compares between a record and the one before it."""

    label: str
    # record → the value it keeps, compared as it is
    value: Callable
    # value → the text the page shows
    text: Callable


def changes(history, shown, page_number=1, per_page=50):
    """A page of the records of ``history`` (one object's), newest first: each with
    who and when (``record``), the (label, old, new) texts of the fields that differ
    from the record before it (``changes``), and whether it is the first one kept
    (``is_first``: it lists what it holds, leaving out what is empty, zero or "no").

    ``shown(records)`` gives the ``Shown`` fields for the page's records and the one
    before the oldest of them, so that a reader can load what they refer to in bulk.
    Three queries (count, page, the record before it) besides the reader's own."""
    history = history.select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(history, per_page).get_page(page_number)
    records = list(page.object_list)
    older = None
    if records:
        oldest = records[-1]
        older = history.filter(
            Q(history_date__lt=oldest.history_date)
            | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id)
        ).first()
    chain = [*records, *([older] if older else [])]
    fields = shown(chain)
    rows = []
    for index, record in enumerate(records):
        previous = chain[index + 1] if index + 1 < len(chain) else None
        found = []
        for field in fields:
            new = field.value(record)
            if previous is None:
                if new:
                    found.append((field.label, "", field.text(new)))
                continue
            old = field.value(previous)
            if old != new:
                found.append((field.label, field.text(old), field.text(new)))
        rows.append({"record": record, "changes": found, "is_first": previous is None})
    return page, rows

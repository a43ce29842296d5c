"""The audit trail as a readable list of changes, computed from django-simple-history
records in a fixed number of queries (its own diff_against queries per record)."""

import datetime
import decimal
from collections import defaultdict

from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from working_groups.models import Membership

from .models import FundingAmount, Measure, ReportingRound, StatusEntry

# URL key → tracked model
TRACKED = {
    "massnahme": Measure,
    "sachstand": StatusEntry,
    "mitgliedschaft": Membership,
    "foerderbetrag": FundingAmount,
    "berichtsrunde": ReportingRound,
}

SKIPPED = {"id", "created_at"}


def _fields(model):
    history_model = model.history.model
    tracked = {f.name for f in history_model._meta.fields}
    return [f for f in model._meta.concrete_fields if f.name in tracked and f.name not in SKIPPED]


def _m2m_fields(model):
    return list(model.history.model._history_m2m_fields)


def _m2m_history_model(model, field):
    """The model in which django-simple-history keeps one m2m field's rows."""
    history_model = model.history.model
    wanted = f"{history_model._meta.model_name}_{field.name}"
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == wanted:
            return relation.related_model
    raise LookupError(wanted)


def _label(field, value, related):
    if value is None or value == "":
        return "–"
    if field.is_relation:
        obj = related[field.related_model].get(value)
        return str(obj) if obj is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    # Dates and times as people read them: local time, the language's format.
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, decimal.Decimal):
        return number_format(value, use_l10n=True)
    return str(value)


def change_log(obj, page_number=1, per_page=50):
    """A page of changes of ``obj``, newest first: each with who, when, what kind and
    a list of (field label, old, new)."""
    model = type(obj)
    fields = _fields(model)
    m2m_fields = _m2m_fields(model)
    history = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    paginator = Paginator(history, per_page)
    page = paginator.get_page(page_number)
    records = list(page.object_list)
    # The record before the oldest on this page, to diff the oldest against.
    older = (
        history.filter(
            models.Q(history_date__lt=records[-1].history_date)
            | models.Q(history_date=records[-1].history_date, history_id__lt=records[-1].history_id)
        ).first()
        if records
        else None
    )
    chain = records + ([older] if older else [])

    m2m_values = defaultdict(lambda: defaultdict(set))
    for field in m2m_fields:
        through = _m2m_history_model(model, field)
        target = field.m2m_reverse_field_name()
        for history_id, target_id in through.objects.filter(
            history__in=[r.history_id for r in chain]
        ).values_list("history_id", f"{target}_id"):
            m2m_values[field.name][history_id].add(target_id)

    # Resolve related ids to labels, one query per related model.
    wanted = defaultdict(set)
    for record in chain:
        for field in fields:
            if field.is_relation:
                value = getattr(record, field.attname)
                if value is not None:
                    wanted[field.related_model].add(value)
    for field in m2m_fields:
        for ids in m2m_values[field.name].values():
            wanted[field.related_model].update(ids)
    related = {
        related_model: related_model._default_manager.in_bulk(ids)
        for related_model, ids in wanted.items()
    }

    rows = []
    for index, record in enumerate(records):
        previous = chain[index + 1] if index + 1 < len(chain) else None
        changes = []
        for field in fields:
            new = getattr(record, field.attname)
            old = getattr(previous, field.attname) if previous else None
            if previous is None and new in (None, "", False):
                continue
            if previous is not None and old == new:
                continue
            changes.append(
                (
                    field.verbose_name,
                    _label(field, old, related) if previous else "",
                    _label(field, new, related),
                )
            )
        for field in m2m_fields:
            new = m2m_values[field.name][record.history_id]
            old = m2m_values[field.name][previous.history_id] if previous else set()
            if new != old:
                names = related[field.related_model]
                changes.append(
                    (
                        field.verbose_name,
                        ", ".join(sorted(str(names.get(i, i)) for i in old)) or "–",
                        ", ".join(sorted(str(names.get(i, i)) for i in new)) or "–",
                    )
                )
        rows.append({"record": record, "changes": changes, "is_first": previous is None})
    return page, rows


def record_missing_history():
    """Give every tracked record without history a first version (its current
    state). Loading a fixture writes no history, so without this the first later
    change could not show what it changed."""
    for model in TRACKED.values():
        manager = model.history
        missing = model._default_manager.exclude(pk__in=manager.values("id"))
        manager.bulk_history_create(list(missing), batch_size=500)

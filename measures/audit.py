"""The audit trail as a readable list of changes, computed from django-simple-history
records in a fixed number of queries (its own diff_against queries per record), by the
one history reader of helpers/history.py."""

import datetime
import decimal
from collections import defaultdict
from functools import partial
from operator import attrgetter

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from helpers.history import Shown, changes
from helpers.templatetags.german import german
from helpers.templatetags.money import euro
from working_groups.models import Membership, Municipality, Office

from .models import FundingAmount, Measure, ReportingRound, StatusEntry

# URL key → tracked model
TRACKED = {
    "massnahme": Measure,
    "sachstand": StatusEntry,
    "mitgliedschaft": Membership,
    "foerderbetrag": FundingAmount,
    "berichtsrunde": ReportingRound,
    "kommune": Municipality,
}

SKIPPED = {"id", "created_at"}


def _fields(model):
    history_model = model.history.model
    tracked = {f.name for f in history_model._meta.fields}
    return [f for f in model._meta.concrete_fields if f.name in tracked and f.name not in SKIPPED]


def _m2m_fields(model):
    """The many-to-many fields whose rows django-simple-history keeps (those the
    model's HistoricalRecords names): the ones with a history model of their own."""
    history_model = model.history.model
    kept = {
        relation.related_model._meta.model_name for relation in history_model._meta.related_objects
    }
    prefix = history_model._meta.model_name
    return [field for field in model._meta.many_to_many if f"{prefix}_{field.name}" in kept]


def _m2m_history_model(model, field):
    """The model in which django-simple-history keeps one m2m field's rows."""
    history_model = model.history.model
    wanted = f"{history_model._meta.model_name}_{field.name}"
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == wanted:
            return relation.related_model
    raise LookupError(wanted)


def _in_german(field):
    """Whether the field holds the records' own words, which exist in German only
    (helpers/templatetags/german.py): text and other records (by their names),
    not people, choices, web or e-mail addresses."""
    if field.is_relation:
        return field.related_model is not get_user_model()
    return (
        isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and not isinstance(field, models.URLField | models.EmailField | models.SlugField)
    )


def _label(field, value, related):
    if value is None or value == "":
        return "–"
    if field.is_relation:
        obj = related[field.related_model].get(value)
        if obj is None:
            return f"#{value}"
        return _named(obj) if _in_german(field) else str(obj)
    if _in_german(field):
        return german(str(value))
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


def change_log(obj, page_number=1, per_page=50, records=None):
    """A page of changes of ``obj`` (or of those of its history ``records`` given),
    newest first: each with who, when, what kind and a list of (field label, old, new);
    see ``helpers.history.changes``."""
    model = type(obj)
    records = obj.history.all() if records is None else records
    return changes(records, partial(_shown, model), page_number, per_page)


def _shown(model, chain):
    """The fields of ``model`` a history page compares, with the related records and
    the many-to-many rows of the records in ``chain`` loaded in bulk: one query per
    many-to-many field and one per related model."""
    fields = _fields(model)
    m2m_fields = _m2m_fields(model)
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

    shown = [
        Shown(
            field.verbose_name,
            attrgetter(field.attname),
            lambda value, field=field: _label(field, value, related),
        )
        for field in fields
    ]
    for field in m2m_fields:
        values, labels = m2m_values[field.name], related.get(field.related_model, {})
        shown.append(
            Shown(
                field.verbose_name,
                lambda record, values=values: values[record.history_id],
                partial(_m2m_label, labels=labels, in_german=_in_german(field)),
            )
        )
    return shown


def _named(obj):
    """A record by its name, marked German; an office without a name reads "Office 15"
    in the page's language (``Office.__str__``)."""
    if isinstance(obj, Office) and not obj.name:
        return str(obj)
    return german(str(obj))


def _m2m_label(ids, labels, in_german):
    objects = sorted((labels.get(i, i) for i in ids), key=str)
    if not objects:
        return "–"
    if not in_german:
        return ", ".join(str(obj) for obj in objects)
    return format_html_join(", ", "{}", ((_named(obj),) for obj in objects))


def record_name(obj):
    """How a history page names ``obj``, its German words marked: a status entry by
    number, status and date (in the page's language), an amount by its funding line
    and its sum, any other record by its own name."""
    if isinstance(obj, StatusEntry):
        return str(obj)
    if isinstance(obj, FundingAmount):
        return format_html("{}: {} ({})", german(str(obj.line)), euro(obj.amount), obj.years_label)
    return german(str(obj))


def record_missing_history():
    """Give every tracked record without history a first version (its current
    state). Loading a fixture writes no history, so without this the first later
    change could not show what it changed."""
    for model in TRACKED.values():
        manager = model.history
        missing = model._default_manager.exclude(pk__in=manager.values("id"))
        manager.bulk_history_create(list(missing), batch_size=500)

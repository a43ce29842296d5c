"""Widgets for django-import-export that read and write natural keys (an office's
code, a measure's number, a concept's slug) instead of database ids, so the bureau
can round-trip a spreadsheet, and that name the bad value when a key is unknown.

``BulkImportMixin`` imports a whole file in a fixed number of queries per table
instead of some twenty per row: natural keys are looked up once per import, every
row is validated as ``full_clean`` would (constraints checked in Python, uniqueness
for all rows at once) and nothing is written unless every row is valid; then the
records, their many-to-many rows and their history are written with bulk inserts.
"""

from collections import OrderedDict
from copy import deepcopy

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from import_export import resources
from import_export import widgets as ie_widgets
from import_export.exceptions import ImportError as RowImportError
from import_export.fields import NOT_PROVIDED, Field
from import_export.resources import Diff
from import_export.results import RowResult
from import_export.utils import atomic_if_using_transaction
from import_export.widgets import CharWidget, ForeignKeyWidget, ManyToManyWidget

BULK_BATCH_SIZE = 1000
# Widgets whose result depends on the cell's value alone: a bulk import reads each
# distinct value once (a file repeats its dates and numbers many times).
PURE_WIDGETS = (
    ie_widgets.DateWidget,
    ie_widgets.DateTimeWidget,
    ie_widgets.TimeWidget,
    ie_widgets.IntegerWidget,
    ie_widgets.DecimalWidget,
    ie_widgets.FloatWidget,
    ie_widgets.BooleanWidget,
)


class SpreadsheetResource(resources.ModelResource):
    """Base for our resources: text columns read an empty cell as an empty text
    (not NULL), so a spreadsheet round trip changes nothing; natural keys are looked
    up once per import (see ``KeyWidget``)."""

    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "TextField": CharWidget}

    @classmethod
    def widget_kwargs_for_field(cls, field_name, django_field):
        kwargs = super().widget_kwargs_for_field(field_name, django_field)
        if isinstance(django_field, models.TextField) and django_field.blank:
            kwargs.update({"coerce_to_string": True, "allow_blank": True})
        return kwargs

    def import_data(self, dataset, *args, **kwargs):
        # Lookups cached by a previous import on this instance may be stale.
        for field in self.fields.values():
            if isinstance(field.widget, KeyLookupMixin):
                field.widget.forget()
        return super().import_data(dataset, *args, **kwargs)


class KeyLookupMixin:
    """Looks a natural key up with ``lookup(value, row)``; exactly one record must
    match. ``scope`` names the row's columns the lookup depends on besides the value
    (e.g. the concept of a measure number): found records are then cached for the
    import, keyed by value and scope. Without a scope nothing is cached."""

    def setup_lookup(self, lookup, render_key, label, scope):
        self.lookup = lookup
        self.render_key = render_key
        self.label = label
        self.scope = scope
        self.cache = {}

    def forget(self):
        self.cache = {}

    def _cache_key(self, value, row):
        # The cells as the lookup reads them (hashable: text, numbers, dates).
        if not self.scope:
            return value
        return (value, *[row.get(column) for column in self.scope])

    def remember(self, value, row, obj):
        """Make ``obj`` (possibly not saved yet) the match for ``value`` in ``row``."""
        if self.scope is not None:
            self.cache[self._cache_key(value, row)] = obj

    def find(self, value, row):
        if self.scope is not None:
            key = self._cache_key(value, row)
            if key in self.cache:
                return self.cache[key]
        matches = list(self.lookup(value, row)[:2])
        if len(matches) != 1:
            raise ValueError(
                _("Unknown %(what)s “%(value)s”.") % {"what": self.label, "value": value}
                if not matches
                else _("Ambiguous %(what)s “%(value)s”.") % {"what": self.label, "value": value}
            )
        # Only found records are cached: a key unknown now may be added by a later
        # row of the same file in a row-by-row import.
        if self.scope is not None:
            self.cache[key] = matches[0]
        return matches[0]


class KeyWidget(KeyLookupMixin, ForeignKeyWidget):
    """A foreign key written as a natural key.

    ``lookup(value, row)`` returns a queryset of candidates; exactly one must match.
    ``render_key(obj)`` gives the key written on export. ``scope``: see
    ``KeyLookupMixin``.
    """

    def __init__(self, model, lookup, render_key, label, scope=None):
        super().__init__(model)
        self.setup_lookup(lookup, render_key, label, scope)

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        return self.find(value, row or {})

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else self.render_key(value)


class KeyListWidget(KeyLookupMixin, ManyToManyWidget):
    """A many-to-many relation written as natural keys separated by semicolons
    (commas occur in organisation names)."""

    def __init__(self, model, lookup, render_key, label, scope=None):
        super().__init__(model, separator=";")
        self.setup_lookup(lookup, render_key, label, scope)

    def clean_objects(self, value, row=None):
        value = "" if value is None else str(value)
        keys = [key.strip() for key in value.split(self.separator) if key.strip()]
        return [self.find(key, row or {}) for key in keys]

    def clean(self, value, row=None, **kwargs):
        found = [obj.pk for obj in self.clean_objects(value, row)]
        return self.model.objects.filter(pk__in=found)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{self.separator} ".join(self.render_key(item) for item in value.all())


# --- Constraints checked in Python ------------------------------------------------


class _Unsupported(Exception):
    """A condition the evaluator does not understand; Django checks it instead."""


_COMPARISONS = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _field(model, name):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def evaluate(condition, instance):
    """The value of a check constraint's condition for ``instance``: True, False or
    None for unknown (SQL NULL), which a CHECK constraint lets pass, as Django's own
    validation does. Raises _Unsupported for lookups it does not know."""
    if isinstance(condition, Q):
        values = [evaluate(child, instance) for child in condition.children]
        if condition.connector == Q.AND:
            value = False if False in values else (None if None in values else True)
        elif condition.connector == Q.OR:
            value = True if True in values else (None if None in values else False)
        else:
            raise _Unsupported(condition.connector)
        if condition.negated and value is not None:
            value = not value
        return value
    if not isinstance(condition, tuple):
        raise _Unsupported(condition)
    lookup, rhs = condition
    name, _sep, operator = lookup.partition("__")
    operator = operator or "exact"
    try:
        field = _field(type(instance), name)
    except FieldDoesNotExist as error:
        raise _Unsupported(lookup) from error
    if field.many_to_many or "__" in operator:
        raise _Unsupported(lookup)
    lhs = getattr(instance, field.attname)
    if isinstance(rhs, F):
        if "__" in rhs.name:
            raise _Unsupported(rhs)
        rhs = getattr(instance, _field(type(instance), rhs.name).attname)
    elif hasattr(rhs, "resolve_expression"):
        raise _Unsupported(rhs)
    if operator == "isnull":
        return (lhs is None) == bool(rhs)
    if operator == "in":
        return None if lhs is None else lhs in list(rhs)
    if operator not in _COMPARISONS:
        raise _Unsupported(lookup)
    if lhs is None or rhs is None:
        return None
    return _COMPARISONS[operator](lhs, rhs)


def _condition_fields(condition):
    if not isinstance(condition, Q):
        return frozenset()
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _condition_fields(child)
        else:
            names.add(child[0].split("__")[0])
            if isinstance(child[1], F):
                names.add(child[1].name.split("__")[0])
    return frozenset(names)


# --- Bulk import ----------------------------------------------------------------


def insert_rows(model, fields, rows, using="default", return_ids=False):
    """INSERT ``rows`` (tuples of Python values in the order of ``fields``) into the
    table of ``model`` and return the new primary keys in order if asked.

    For the history and many-to-many rows of an import: Django's bulk_create builds a
    model instance and compiles every value of every row, which costs several times
    what the database needs to store them. Values are converted for the database as
    Django would (plain ints, strings and booleans need nothing); PostgreSQL gets one
    array per column (UNNEST, as bulk_create does there), SQLite multi-row VALUES."""
    connection = connections[using]
    quote = connection.ops.quote_name

    def converter(field):
        converted = {}  # a column repeats its dates and times: convert each once

        def convert(value):
            if value is None or type(value) in (int, str, bool):
                return value
            try:
                return converted[value]
            except KeyError:
                result = converted[value] = field.get_db_prep_save(value, connection)
                return result
            except TypeError:  # not hashable
                return field.get_db_prep_save(value, connection)

        return convert

    converters = [converter(field) for field in fields]
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
    )
    returning = f" RETURNING {quote(model._meta.pk.column)}" if return_ids else ""
    if connection.vendor == "postgresql":
        batch = 5000
        types = [field.db_type(connection).split("(")[0] for field in fields]
        body = "SELECT * FROM UNNEST(" + ", ".join(f"(%s)::{t}[]" for t in types) + ")"
    else:
        limit = connection.features.max_query_params or 65535
        batch = max(1, min(500, limit // max(1, len(fields))))
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = [
                [convert(value) for convert, value in zip(converters, row, strict=True)]
                for row in rows[start : start + batch]
            ]
            if connection.vendor == "postgresql":
                cursor.execute(
                    head + body + returning, [list(column) for column in zip(*chunk, strict=True)]
                )
            else:
                params = [value for row in chunk for value in row]
                cursor.execute(head + "VALUES " + ", ".join([one] * len(chunk)) + returning, params)
            if return_ids:
                ids += [row[0] for row in cursor.fetchall()]
    return ids


class _Objects:
    """Stands in for a related manager when a many-to-many value is rendered from
    the records a row names (the rows are not in the database yet, or no more)."""

    def __init__(self, objects):
        self.objects = objects

    def all(self):
        return self.objects


class _LazyDiff:
    """A row's diff as HTML, computed only when shown (the admin's preview), not for
    each of ten thousand rows that nobody looks at. Computed from the instances in
    memory, so it is right after the preview's transaction was rolled back."""

    def __init__(self, resource, original, instance, m2m):
        self.resource, self.original, self.instance, self.m2m = resource, original, instance, m2m
        self._html = None

    def _compute(self):
        if self._html is None:
            diff = Diff.__new__(Diff)
            diff.new = self.original is None
            fields = self.resource.get_import_fields()
            diff.left = (
                [""] * len(fields)
                if self.original is None
                else [f.export(self.original) for f in fields]
            )
            diff.right = [
                f.widget.render(_Objects(self.m2m[f.column_name]))
                if f.column_name in self.m2m
                else f.export(self.instance)
                for f in fields
            ]
            self._html = diff.as_html()
        return self._html

    def __iter__(self):
        return iter(self._compute())

    def __len__(self):
        return len(self._compute())

    def __getitem__(self, index):
        return self._compute()[index]


class _Prepared:
    __slots__ = ("number", "row", "row_result", "instance", "new", "m2m")

    def __init__(self, number, row, row_result, instance, new, m2m):
        self.number, self.row, self.row_result = number, row, row_result
        self.instance, self.new, self.m2m = instance, new, m2m


class BulkImportMixin:
    """Imports a file in bulk while keeping what the row-by-row import guarantees:

    - every row validated like ``full_clean``: fields and ``clean()`` per row, check
      constraints evaluated in Python (Django's per-row query where the evaluator
      does not know a lookup), unique constraints for all rows in one query each;
    - errors per row, with the row number and the column (field) they concern;
    - all or nothing: if any row is invalid, nothing is written;
    - history: a version per created or changed record, with its many-to-many rows
      and the user of the request, written with bulk inserts;
    - unchanged rows are skipped (``skip_unchanged``).

    A row may name as its parent a record that an earlier row of the same file
    creates (``remember_new``); such records are inserted first. A key that occurs
    twice in one file is an error rather than a second update.
    """

    bulk_batch_size = BULK_BATCH_SIZE

    # Hooks --------------------------------------------------------------------------

    def remember_new(self, instance, row):
        """Called for each new, valid instance: let later rows refer to it."""

    def after_bulk_write(self, prepared):
        """Called once after the records were written. Bulk inserts send no signals
        (post_save and m2m_changed): anything that listens to them learns here."""

    def before_bulk_update(self, instances):
        """Called with the changed instances before they are written."""
        now = timezone.now()
        for instance in instances:
            for field in instance._meta.concrete_fields:
                if getattr(field, "auto_now", False):
                    setattr(instance, field.attname, now)

    def bulk_update_fields(self):
        """Model fields written for a changed row."""
        names = []
        for field in self.get_import_fields():
            if field.readonly or not field.attribute or "__" in field.attribute:
                continue
            try:
                model_field = self._meta.model._meta.get_field(field.attribute)
            except FieldDoesNotExist:
                continue
            if model_field.concrete and not model_field.many_to_many:
                names.append(model_field.name)
        names += [
            f.name
            for f in self._meta.model._meta.concrete_fields
            if getattr(f, "auto_now", False) and f.name not in names
        ]
        return names

    # The import ---------------------------------------------------------------------

    def _m2m_fields(self):
        return [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, ManyToManyWidget)
            and not field.readonly
            and field.attribute
            and "__" not in field.attribute
        ]

    def _field_plan(self):
        """The fields a row sets: (field, attribute, model field, memo); attribute
        None where the field is saved through its own ``save`` (a subclass, or a
        related attribute); a memo (dict) for widgets that depend on the value only."""
        model = self._meta.model
        plan = []
        for field in self.get_import_fields():
            if isinstance(field.widget, ManyToManyWidget) or field.readonly or not field.attribute:
                continue
            plain = (
                "__" not in field.attribute
                and type(field).save is Field.save
                and type(field).clean is Field.clean
            )
            try:
                model_field = model._meta.get_field(field.attribute) if plain else None
            except FieldDoesNotExist:
                model_field = None
            if model_field is not None and not (model_field.many_to_one and model_field.concrete):
                model_field = None
            memo = {} if type(field.widget) in PURE_WIDGETS else None
            plan.append((field, field.attribute if plain else None, model_field, memo))
        return plan

    def _import_fields(self, instance, row, plan, **kwargs):
        """What Resource.import_instance does, without its per-field layers."""
        errors = {}
        for field, attribute, foreign_key, memo in plan:
            if field.column_name not in row:
                continue
            try:
                if attribute is None:
                    field.save(instance, row, **kwargs)
                    continue
                raw = row[field.column_name]
                if memo is not None and isinstance(raw, str | int | None):
                    if raw not in memo:
                        memo[raw] = field.widget.clean(raw, row=row, **kwargs)
                    value = memo[raw]
                else:
                    value = field.widget.clean(raw, row=row, **kwargs)
                if value in field.empty_values and field.default != NOT_PROVIDED:
                    value = field.default() if callable(field.default) else field.default
                if value is None and not field.saves_null_values:
                    continue
                if foreign_key is not None and isinstance(value, foreign_key.related_model):
                    # The record was just looked up (or is created by an earlier row):
                    # what the descriptor would do, without its checks per row.
                    setattr(instance, foreign_key.attname, value.pk)
                    foreign_key.set_cached_value(instance, value)
                else:
                    setattr(instance, attribute, value)
            except ValueError as error:
                errors[field.attribute] = ValidationError(force_str(error), code="invalid")
        if errors:
            raise ValidationError(errors)

    def _clean_m2m(self, field, row):
        if isinstance(field.widget, KeyListWidget):
            return field.widget.clean_objects(row[field.column_name], row)
        return list(field.clean(row))

    def _import_key(self, row):
        """The cleaned values of the import id fields (foreign keys as ids), or None
        when one cannot be read (the row then gets its field error as a new row)."""
        key = []
        for name in self.get_import_id_fields():
            field = self.fields[name]
            if field.column_name not in row:
                return None
            try:
                value = field.clean(row)
            except (ValueError, ValidationError):
                return None
            if isinstance(value, models.Model):
                value = value.pk
            elif isinstance(value, str):
                value = value.strip()
            key.append(value)
        return tuple(key)

    def _key_attnames(self):
        model = self._meta.model
        return [
            model._meta.get_field(self.fields[name].attribute).attname
            for name in self.get_import_id_fields()
        ]

    def _load_instances(self, keys):
        """The existing records of ``keys``, by key; a few queries for any number.
        Filtered by the columns with few values (a file's concepts), whose records'
        keys are then matched here, rather than by thousands of numbers at once."""
        keys = {key for key in keys if key and None not in key}
        if not keys:
            return {}
        attnames = self._key_attnames()
        columns = [sorted({key[i] for key in keys}, key=str) for i in range(len(attnames))]
        few = [i for i, values in enumerate(columns) if len(values) <= 50]
        manager = self._meta.model._default_manager.order_by()
        if few:
            batches = [{f"{attnames[i]}__in": columns[i] for i in few}]
        else:
            batches = [
                {f"{attnames[0]}__in": columns[0][start : start + 500]}
                for start in range(0, len(columns[0]), 500)
            ]
        pks = []
        for filters in batches:
            for *key, pk in manager.filter(**filters).values_list(*attnames, "pk").iterator():
                if tuple(key) in keys:
                    pks.append(pk)
        found = {}
        for start in range(0, len(pks), 500):
            for instance in self.get_queryset().filter(pk__in=pks[start : start + 500]):
                found[tuple(getattr(instance, attname) for attname in attnames)] = instance
        return found

    def _unchanged(self, instance, original, m2m):
        if not self._meta.skip_unchanged or self._meta.skip_diff:
            return False
        for field in self.get_import_fields():
            if field.column_name in m2m:
                current = sorted(obj.pk for obj in field.get_value(original).all())
                if sorted(obj.pk for obj in m2m[field.column_name]) != current:
                    return False
            elif isinstance(field.widget, ManyToManyWidget):
                continue
            elif field.get_value(instance) != field.get_value(original):
                return False
        return True

    def _checks(self, model):
        """The model's constraints, each with the fields its condition reads."""
        if getattr(self, "_checks_cache", (None,))[0] is not model:
            self._checks_cache = (
                model,
                [
                    (
                        constraint,
                        _condition_fields(constraint.condition)
                        if isinstance(constraint, models.CheckConstraint)
                        else frozenset(),
                    )
                    for constraint in model._meta.constraints
                ],
            )
        return self._checks_cache[1]

    def _validate(self, instance, errors):
        """``full_clean`` without its queries: fields and ``clean()`` per row, check
        constraints in Python; uniqueness is checked for all rows at once."""
        model = type(instance)
        # A foreign key whose record the import has just looked up (or an earlier row
        # creates) exists: Django would ask the database again, once per row.
        looked_up = {
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation
            and field.is_cached(instance)
            and field.get_cached_value(instance) is not None
        }
        try:
            instance.full_clean(
                exclude=set(errors) | looked_up, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for constraint, fields in self._checks(model):
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                continue  # see _check_unique
            try:
                if not isinstance(constraint, models.CheckConstraint):
                    raise _Unsupported(constraint)
                if fields & errors.keys():
                    continue
                if evaluate(constraint.condition, instance) is False:
                    errors.setdefault(NON_FIELD_ERRORS, []).append(
                        ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                    )
            except _Unsupported:
                try:
                    constraint.validate(model, instance, exclude=set(errors))
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _unique_sets(self):
        """(fields, condition, constraint) of every uniqueness rule on fields."""
        meta = self._meta.model._meta
        sets = [
            ((field.name,), None, None)
            for field in meta.concrete_fields
            if field.unique and not field.primary_key
        ]
        sets += [
            (tuple(constraint.fields), constraint.condition, constraint)
            for constraint in meta.constraints
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields
        ]
        sets += [(tuple(fields), None, None) for fields in meta.unique_together]
        return sets

    @staticmethod
    def _unique_error(instance, fields, constraint):
        if (
            constraint is not None
            and constraint.violation_error_message != constraint.default_violation_error_message
        ):
            return ValidationError(constraint.get_violation_error_message())
        return instance.unique_error_message(type(instance), fields)

    def _check_unique(self, prepared):
        """Unique fields and constraints for all rows: twice in the file, or already
        in the database (other than the record the row updates). Returns
        {row number: ValidationError}."""
        model = self._meta.model
        problems = {}
        for fields, condition, constraint in self._unique_sets():
            attnames = [model._meta.get_field(name).attname for name in fields]
            by_key = {}
            for item in prepared:
                if condition is not None:
                    try:
                        if evaluate(condition, item.instance) is not True:
                            continue
                    except _Unsupported:
                        pass  # the database still refuses a duplicate
                key = tuple(getattr(item.instance, attname) for attname in attnames)
                if None in key:
                    continue
                if key in by_key:
                    problems[item.number] = self._unique_error(item.instance, fields, constraint)
                else:
                    by_key[key] = item
            if not by_key:
                continue
            first = sorted({key[0] for key in by_key}, key=str)
            existing = model._default_manager.filter(condition or Q())
            for start in range(0, len(first), 500):
                rows = existing.filter(**{f"{attnames[0]}__in": first[start : start + 500]})
                for *key, pk in rows.values_list(*attnames, "pk").iterator():
                    item = by_key.get(tuple(key))
                    if item is not None and item.instance.pk != pk:
                        problems[item.number] = self._unique_error(
                            item.instance, fields, constraint
                        )
        return {
            number: ValidationError({NON_FIELD_ERRORS: [error]})
            for number, error in problems.items()
        }

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        if type(self).for_delete is not resources.Resource.for_delete:
            return super().import_data_inner(
                dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
            )
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        database = self.get_db_connection_name()
        try:
            with atomic_if_using_transaction(using_transactions, using=database):
                self.before_import(dataset, **kwargs)
            self._check_import_id_fields(dataset.headers)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        result.total_rows = len(dataset)
        if collect_failed_rows:
            result.add_dataset_headers(dataset.headers)
        kwargs.update({"dry_run": dry_run, "using_transactions": using_transactions})

        rows = [OrderedDict(zip(dataset.headers, values, strict=False)) for values in dataset]
        keys = [self._import_key(row) for row in rows]
        existing = self._load_instances(keys)
        m2m_fields = self._m2m_fields()
        skip_diff = self._meta.skip_diff or self._meta.skip_html_diff
        plan = None
        if type(self).import_instance is resources.Resource.import_instance:
            plan = self._field_plan()
        row_results, prepared, failures = [], [], {}
        for number, (row, key) in enumerate(zip(rows, keys, strict=True), 1):
            kwargs["row_number"] = number
            row_result = self.get_row_result_class()()
            row_results.append(row_result)
            if self._meta.store_row_values:
                row_result.row_values = row
            try:
                self.before_import_row(row, **kwargs)
                instance = existing.get(key) if key else None
                new = instance is None
                if new:
                    instance = self.init_instance(row)
                self.after_init_instance(instance, new, row, **kwargs)
                row_result.import_type = (
                    RowResult.IMPORT_TYPE_NEW if new else RowResult.IMPORT_TYPE_UPDATE
                )
                original = None if new else deepcopy(instance)
                errors = {}
                try:
                    if plan is None:
                        self.import_instance(instance, row, **kwargs)
                    else:
                        self._import_fields(instance, row, plan, **kwargs)
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
                m2m = {}
                for field in m2m_fields:
                    if field.column_name not in row:
                        continue
                    try:
                        m2m[field.column_name] = self._clean_m2m(field, row)
                    except ValueError as error:
                        errors[field.attribute] = ValidationError(str(error), code="invalid")
                if not errors and not new and self._unchanged(instance, original, m2m):
                    row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                else:
                    self._validate(instance, errors)
                    item = _Prepared(number, row, row_result, instance, new, m2m)
                    prepared.append(item)
                    if new:
                        self.remember_new(instance, row)
                row_result.add_instance_info(instance)
                row_result.instance = instance
                if not new:
                    row_result.original = original
                if not skip_diff:
                    row_result.diff = _LazyDiff(self, original, instance, m2m)
            except ValidationError as error:
                failures[number] = error
            except Exception as error:  # reported with its row, as the library does
                row_result.import_type = RowResult.IMPORT_TYPE_ERROR
                row_result.errors.append(
                    self.get_error_result_class()(error, row=row, number=number)
                )

        failures.update(self._check_unique(prepared))
        for number, error in failures.items():
            row_results[number - 1].import_type = RowResult.IMPORT_TYPE_INVALID
            row_results[number - 1].validation_error = error

        for number, (row, row_result) in enumerate(zip(rows, row_results, strict=True), 1):
            result.increment_row_result_total(row_result)
            if row_result.errors:
                result.append_error_row(number, row, row_result.errors)
                if collect_failed_rows:
                    result.append_failed_row(row, row_result.errors[0])
                if raise_errors:
                    raise RowImportError(row_result.errors[-1].error, number=number, row=row)
            elif row_result.validation_error:
                result.append_invalid_row(number, row, row_result.validation_error)
                if collect_failed_rows:
                    result.append_failed_row(row, row_result.validation_error)
                if raise_errors:
                    raise RowImportError(row_result.validation_error, number=number, row=row)
            if row_result.import_type != RowResult.IMPORT_TYPE_SKIP or self._meta.report_skipped:
                result.append_row_result(row_result)

        # All or nothing: a file with any bad row writes nothing.
        complete = not failures and not any(r.errors for r in row_results)
        if complete and prepared and (using_transactions or not dry_run):
            try:
                with atomic_if_using_transaction(using_transactions, using=database):
                    self._write(prepared, **kwargs)
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            for item in prepared:
                item.row_result.object_id = item.instance.pk
        for row, row_result in zip(rows, row_results, strict=True):
            self.after_import_row(row, row_result, **kwargs)

        try:
            with atomic_if_using_transaction(using_transactions, using=database):
                self.after_import(dataset, result, **kwargs)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        return result

    # Writing ------------------------------------------------------------------------

    def _layers(self, instances):
        """New instances in insert order: those pointing at another new instance
        (a parent created by an earlier row) after it."""
        model = self._meta.model
        self_references = [
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is model
        ]
        pending = {id(instance) for instance in instances}
        depth = {}

        def depth_of(instance):
            if id(instance) not in depth:
                depth[id(instance)] = 0
                for name in self_references:
                    target = getattr(instance, name)
                    if target is not None and id(target) in pending:
                        depth[id(instance)] = max(depth[id(instance)], depth_of(target) + 1)
            return depth[id(instance)]

        layers = {}
        for instance in instances:
            layers.setdefault(depth_of(instance), []).append(instance)
        return [layers[level] for level in sorted(layers)]

    def _write(self, prepared, **kwargs):
        model = self._meta.model
        manager = model._default_manager
        for item in prepared:
            self.before_save_instance(item.instance, item.row, **kwargs)
        created = [item.instance for item in prepared if item.new]
        changed = [item.instance for item in prepared if not item.new]
        for layer in self._layers(created):
            manager.bulk_create(layer, batch_size=self.bulk_batch_size)
        if changed:
            self.before_bulk_update(changed)
            manager.bulk_update(changed, self.bulk_update_fields(), batch_size=self.bulk_batch_size)
        through_rows = self._write_m2m(prepared)
        self._write_history(prepared, through_rows)
        self.after_bulk_write(prepared)
        for item in prepared:
            self.after_save_instance(item.instance, item.row, **kwargs)

    def _write_m2m(self, prepared):
        """The many-to-many rows the file names. Returns, per field, the rows each
        instance has afterwards as (row id, instance id, target id), for its history."""
        model = self._meta.model
        database = self.get_db_connection_name()
        after = {}
        for field in self._m2m_fields():
            m2m_field = model._meta.get_field(field.attribute)
            through = m2m_field.remote_field.through
            source = through._meta.get_field(m2m_field.m2m_field_name())
            target = through._meta.get_field(m2m_field.m2m_reverse_field_name())
            items = [item for item in prepared if field.column_name in item.m2m]
            current = {}
            changed_ids = [item.instance.pk for item in items if not item.new]
            for start in range(0, len(changed_ids), 500):
                for row in through.objects.filter(
                    **{f"{source.attname}__in": changed_ids[start : start + 500]}
                ).values_list("pk", source.attname, target.attname):
                    current.setdefault(row[1], []).append(row)
            removed, added = [], []
            for item in items:
                wanted = list(dict.fromkeys(obj.pk for obj in item.m2m[field.column_name]))
                for row in current.get(item.instance.pk, []):
                    if row[2] not in wanted:
                        removed.append(row[0])
                have = {row[2] for row in current.get(item.instance.pk, [])}
                added += [(item.instance.pk, pk) for pk in wanted if pk not in have]
            for start in range(0, len(removed), 500):
                through.objects.filter(pk__in=removed[start : start + 500]).delete()
            ids = insert_rows(through, [source, target], added, using=database, return_ids=True)
            rows_after = {}
            for item in items:
                kept = [row for row in current.get(item.instance.pk, []) if row[0] not in removed]
                rows_after[item.instance.pk] = kept
            for pk, (source_id, target_id) in zip(ids, added, strict=True):
                rows_after[source_id].append((pk, source_id, target_id))
            after[field.attribute] = rows_after
        return after

    def _write_history(self, prepared, through_rows):
        """A version of each created or changed record (``+`` or ``~``), dated now,
        by the user of the request, with its many-to-many rows."""
        model = self._meta.model
        history = getattr(model, "history", None)
        if history is None or not hasattr(history.model, "tracked_fields"):
            return
        database = self.get_db_connection_name()
        history_model = history.model
        tracked = {field.attname for field in history_model.tracked_fields}
        now = timezone.now()
        user = history_model.get_default_history_user(prepared[0].instance)
        user_id = getattr(user, "pk", None)
        fields, getters = [], []
        for field in history_model._meta.concrete_fields:
            if field.primary_key:
                continue
            fields.append(field)
            if field.attname in tracked:
                getters.append(lambda item, name=field.attname: getattr(item.instance, name))
            elif field.name == "history_date":
                getters.append(lambda item: now)
            elif field.name == "history_type":
                getters.append(lambda item: "+" if item.new else "~")
            elif field.name == "history_user":
                getters.append(lambda item: user_id)
            elif field.name == "history_change_reason":
                getters.append(lambda item: "")
            else:
                raise LookupError(f"No value for {history_model.__name__}.{field.name}")
        record_ids = insert_rows(
            history_model,
            fields,
            [tuple(get(item) for get in getters) for item in prepared],
            using=database,
            return_ids=True,
        )
        for m2m_field in getattr(history_model, "_history_m2m_fields", []):
            history_through = _history_m2m_model(model, m2m_field.name)
            rows_after = through_rows.get(m2m_field.name)
            if rows_after is None:
                # Not in the file: the history keeps the rows as they are.
                through = m2m_field.remote_field.through
                source = m2m_field.m2m_field_name() + "_id"
                target = m2m_field.m2m_reverse_field_name() + "_id"
                ids = [item.instance.pk for item in prepared]
                rows_after = {}
                for start in range(0, len(ids), 500):
                    for row in through.objects.filter(
                        **{f"{source}__in": ids[start : start + 500]}
                    ).values_list("pk", source, target):
                        rows_after.setdefault(row[1], []).append(row)
            columns = [
                history_through._meta.get_field(name)
                for name in (
                    "id",
                    m2m_field.m2m_field_name(),
                    m2m_field.m2m_reverse_field_name(),
                    "history",
                )
            ]
            insert_rows(
                history_through,
                columns,
                [
                    (*row, record_id)
                    for item, record_id in zip(prepared, record_ids, strict=True)
                    for row in rows_after.get(item.instance.pk, [])
                ],
                using=database,
            )


def _history_m2m_model(model, field_name):
    """The model in which django-simple-history keeps one m2m field's versions."""
    history_model = model.history.model
    wanted = f"{history_model._meta.model_name}_{field_name}"
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == wanted:
            return relation.related_model
    raise LookupError(wanted)

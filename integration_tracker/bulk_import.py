"""Imports of whole files through django-import-export's own bulk mode.

The library reads, cleans and compares every row (``use_bulk``: no query per row
once the natural keys are cached, see ``KeyWidget``); the records are then written
with simple-history's ``bulk_create_with_history`` and ``bulk_update_with_history``.
The database's CHECK and UNIQUE constraints refuse bad rows; only when it does are
the rows of that batch validated one by one with ``full_clean`` to name the row and
the column. A check (dry run) writes no existing record, so it takes no locks on
them; the import itself locks the records it updates while it runs.

Rows that carry the version a record had when it was exported are compared with
the stored version: a record changed since the export is a conflict, skipped or
overwritten as the person importing chooses (``on_conflict``).
"""

import copy
import datetime

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult
from import_export.widgets import ManyToManyWidget
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

BULK_BATCH_SIZE = 1000
_MISSING = object()


class NaturalKeyInstanceLoader(BaseInstanceLoader):
    """Finds the records of a whole file in a few queries (the library's cached
    loader keys by one column only): by the cleaned values of the import id fields,
    filtered by the columns with few values (a file's concepts). The records are
    locked for the import (not for a check)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.found = None
        # A row's key is cleaned once (load and get_instance both need it): by the
        # cells it is read from, the key columns and those their lookups depend on.
        self.keys = {}
        fields = [resource.fields[name] for name in resource.get_import_id_fields()]
        self.columns = list(
            dict.fromkeys(
                column
                for field in fields
                for column in (field.column_name, *(getattr(field.widget, "scope", None) or ()))
            )
        )

    def key(self, row):
        cells = tuple(row.get(column, _MISSING) for column in self.columns)
        if cells not in self.keys:
            self.keys[cells] = self._clean_key(row)
        return self.keys[cells]

    def _clean_key(self, row):
        values = []
        for name in self.resource.get_import_id_fields():
            field = self.resource.fields[name]
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
            if value in (None, ""):
                return None
            values.append(value)
        return tuple(values)

    def load(self):
        resource = self.resource
        model = resource._meta.model
        attnames = [
            model._meta.get_field(resource.fields[name].attribute).attname
            for name in resource.get_import_id_fields()
        ]
        rows = [dict(zip(self.dataset.headers, values, strict=False)) for values in self.dataset]
        keys = {key for key in map(self.key, rows) if key}
        self.found = {}
        if not keys:
            return
        columns = [sorted({key[i] for key in keys}, key=str) for i in range(len(attnames))]
        few = [i for i, values in enumerate(columns) if len(values) <= 50] or [0]
        queryset = resource.get_queryset()
        if not resource.is_dry_run and transaction.get_connection().in_atomic_block:
            queryset = queryset.select_for_update(of=("self",))
        batches = [
            {f"{attnames[i]}__in": columns[i][start : start + 500] for i in few}
            for start in range(0, max(len(columns[i]) for i in few), 500)
        ]
        for filters in batches:
            for instance in queryset.filter(**filters):
                key = tuple(getattr(instance, attname) for attname in attnames)
                if key in keys:
                    self.found[key] = instance

    def get_instance(self, row):
        if self.found is None:
            self.load()
        key = self.key(row)
        return self.found.get(key) if key else None


class BulkImportMixin:
    """Bulk mode for a ModelResource, with the guarantees of the row-by-row import:
    every bad row named with its column, all or nothing, history with the user,
    unchanged rows skipped, many-to-many fields written (the library's bulk mode
    leaves them out). Hooks: ``remember_new`` (a later row may refer to a record an
    earlier row creates), ``before_bulk_update`` and ``after_bulk_write``."""

    # Set in the resource's Meta: use_bulk = True, batch_size = BULK_BATCH_SIZE,
    # skip_unchanged = True, instance_loader_class = NaturalKeyInstanceLoader, and
    # skip_diff = True where no one reads the library's per-row diff (an admin
    # preview does): unchanged rows and conflicts are found by comparing each row
    # with a copy of its stored record (see after_init_instance and skip_row).
    version_attribute = None  # e.g. "version": rows carry it, conflicts are detected
    cycle_attribute = None  # e.g. "parent": refused where records would form a cycle
    cycle_key = None  # the column that names a record in the message, e.g. "number"

    def __init__(self, *args, on_conflict="skip", change_reason="", user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_conflict = on_conflict
        self.change_reason = change_reason
        self.history_user = user
        self.is_dry_run = False
        self.conflicts = []
        self.records = {}
        self.changed = {}

    # Hooks ------------------------------------------------------------------------

    def remember_new(self, instance, row):
        """Called for each new, valid instance: let later rows refer to it."""

    def before_bulk_update(self, instances):
        """Called with the changed instances before they are written."""

    def after_bulk_write(self):
        """Called once after records were written (bulk writes send no signals)."""

    # The library's public steps ---------------------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # All or nothing: a file with any bad row writes nothing.
        self.is_dry_run = dry_run
        self.history_user = kwargs.get("user") or self.history_user
        self.conflicts = []
        # What each row does, for the check's preview: the record a row names (by
        # row number) and the readable changes of each changed row.
        self.records = {}
        self.changed = {}
        self._pending = {}  # id(instance) -> (row number, row, m2m values)
        self._row_results = {}
        self._written = False
        self._m2m_fields_cache = None
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self.cycle_attribute and self._pending:
            self._refuse_cycles(result)
        if self._written and not kwargs.get("dry_run"):
            self.after_bulk_write()

    def _refuse_cycles(self, result):
        """Rows whose records would lie below themselves (5.6 → 5.6.1 → 5.6), also
        through other rows of the file, are refused with the rows named."""
        model = self._meta.model
        attname = model._meta.get_field(self.cycle_attribute).attname
        key = self.cycle_key
        parents, keys = {}, {}
        for pk, parent_id, value in model._default_manager.values_list("pk", attname, key):
            parents[pk], keys[pk] = parent_id, value
        rows = {}
        for instance, (number, row, _m2m) in self._pending.values():
            if instance.pk is not None:
                parents[instance.pk] = getattr(instance, attname)
                keys[instance.pk] = getattr(instance, key)
                rows[instance.pk] = (number, row)
        for pk, (number, row) in sorted(rows.items(), key=lambda item: item[1][0]):
            chain, parent = [pk], parents.get(pk)
            while parent is not None and parent not in chain:
                chain.append(parent)
                parent = parents.get(parent)
            if parent != pk:
                continue
            numbers = sorted(rows[p][0] + 1 for p in chain if p in rows)
            message = _("The parents would form a cycle: %(path)s (rows %(rows)s).") % {
                "path": " → ".join(str(keys[p]) for p in [*chain, pk]),
                "rows": ", ".join(map(str, numbers)),
            }
            self._mark_invalid(
                result, number, row, ValidationError({self.cycle_attribute: message})
            )

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        self._row_number = kwargs.get("row_number")
        self._m2m = {}

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # The stored record as loaded, for skip_row to compare the row with: a
        # shallow copy (its own field cache; the related records are shared and not
        # changed), much cheaper than the library's deep copy for its diff.
        self._original = None if new else copy.copy(instance)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._m2m_fields():
            if field.column_name in row:
                try:
                    self._m2m[field.attribute] = list(
                        dict.fromkeys(field.widget.clean_objects(row[field.column_name], row))
                    )
                except ValueError as error:
                    errors[field.attribute] = ValidationError(str(error), code="invalid")
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        original = self._original
        if import_validation_errors or original is None or original.pk is None:
            return False
        self.records[self._row_number] = str(original)
        found = list(self._changed_fields(instance, original))
        if not found:
            return True
        exported_at = self._exported_version(row)
        if exported_at is not None and exported_at < getattr(original, self.version_attribute):
            self.conflicts.append(
                {
                    "number": self._row_number,
                    "key": str(original),
                    "changes": [(field.column_name, old, new) for field, _o, old, _n, new in found],
                }
            )
            if self.on_conflict != "overwrite":
                return True
            instance._change_reason = self.change_reason
        else:
            # Kept typed (see typed_value) so that the page formats them in its
            # reader's language.
            self.changed[self._row_number] = [
                (field.column_name, typed_value(old, old_text), typed_value(new, new_text))
                for field, old, old_text, new, new_text in found
            ]
        return False

    def _changed_fields(self, instance, original):
        """(field, stored value, as the file shows it, file's value, as the file shows
        it) of every column the row changes."""
        for field in self.get_import_fields():
            if isinstance(field.widget, ManyToManyWidget):
                if field.attribute not in self._m2m:
                    continue
                stored = list(field.get_value(original).all())
                if sorted(o.pk for o in stored) != sorted(o.pk for o in self._m2m[field.attribute]):
                    stored_text = field.widget.render(_Objects(stored))
                    file_text = field.widget.render(_Objects(self._m2m[field.attribute]))
                    yield field, stored_text, stored_text, file_text, file_text
            elif field.get_value(instance) != field.get_value(original):
                yield (
                    field,
                    field.get_value(original),
                    field.export(original),
                    field.get_value(instance),
                    field.export(instance),
                )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Fields and clean() per row; uniqueness and check constraints are left to
        # the database (see _name_bad_rows). A foreign key the import has just looked
        # up exists: Django would ask the database again, once per row.
        errors = dict(import_validation_errors or {})
        try:
            _full_clean(instance, set(errors), validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        if id(instance) in self._pending:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _("This record appears twice in the file (row %(row)s).")
                    % {"row": self._pending[id(instance)][1][0] + 1}
                }
            )
        self._pending[id(instance)] = (instance, (kwargs.get("row_number"), row, self._m2m))
        if is_create:
            self.records[kwargs.get("row_number")] = str(instance)
            self.remember_new(instance, row)
        super().save_instance(instance, is_create, row, **kwargs)

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        self._row_results[kwargs.get("row_number")] = row_result

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.create_instances = list(self.create_instances), []
        if instances and (using_transactions or not dry_run):
            self._write(instances, True, result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.update_instances = list(self.update_instances), []
        if not instances:
            return
        if dry_run:
            # A check writes no existing record (no locks): full_clean per row
            # names what the database would refuse.
            self._name_bad_rows(instances, False, result, None, raise_errors)
        elif using_transactions or not dry_run:
            self._write(instances, False, result, raise_errors)

    # Writing ----------------------------------------------------------------------

    def _write(self, instances, new, result, raise_errors):
        model = self._meta.model
        now = timezone.now()
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                if new:
                    for layer in _layers(model, instances):
                        bulk_create_with_history(
                            layer,
                            model,
                            batch_size=self._meta.batch_size,
                            default_user=self.history_user,
                            default_date=now,
                        )
                else:
                    self.before_bulk_update(instances)
                    bulk_update_with_history(
                        instances,
                        model,
                        self.update_fields(),
                        batch_size=self._meta.batch_size,
                        default_user=self.history_user,
                        default_date=now,
                    )
                self._write_m2m(instances, new, now)
        except (DatabaseError, ValueError) as error:
            self._name_bad_rows(instances, new, result, error, raise_errors)
        else:
            self._written = True

    def update_fields(self):
        """Model fields written for a changed row (and those set automatically)."""
        names = []
        meta = self._meta.model._meta
        for field in self.get_import_fields():
            if field.readonly or not field.attribute or "__" in field.attribute:
                continue
            try:
                model_field = meta.get_field(field.attribute)
            except FieldDoesNotExist:
                continue
            if model_field.concrete and not model_field.many_to_many:
                names.append(model_field.name)
        names += [f.name for f in meta.concrete_fields if getattr(f, "auto_now", False)]
        return list(dict.fromkeys(names))

    def _write_m2m(self, instances, new, now):
        """The many-to-many rows the file names, then those of each new version."""
        model = self._meta.model
        for field in self._m2m_fields():
            m2m_field = model._meta.get_field(field.attribute)
            through = m2m_field.remote_field.through
            source = m2m_field.m2m_field_name() + "_id"
            target = m2m_field.m2m_reverse_field_name() + "_id"
            wanted = {
                obj.pk: [o.pk for o in self._pending[id(obj)][1][2][field.attribute]]
                for obj in instances
                if field.attribute in self._pending[id(obj)][1][2]
            }
            current = {} if new else _through_rows(through, source, target, list(wanted))
            remove = [
                pk
                for owner, rows in current.items()
                for pk, target_pk in rows
                if target_pk not in wanted[owner]
            ]
            for start in range(0, len(remove), 500):
                through.objects.filter(pk__in=remove[start : start + 500]).delete()
            have = {owner: {t for _pk, t in rows} for owner, rows in current.items()}
            through.objects.bulk_create(
                [
                    through(**{source: owner, target: pk})
                    for owner, targets in wanted.items()
                    for pk in targets
                    if pk not in have.get(owner, ())
                ],
                batch_size=self._meta.batch_size,
            )
        history = getattr(model, "history", None)
        m2m_history = getattr(history.model, "_history_m2m_fields", []) if history else []
        if not m2m_history:
            return
        versions = _version_ids(history.model, [obj.pk for obj in instances], now)
        for m2m_field in m2m_history:
            through = m2m_field.remote_field.through
            source = m2m_field.m2m_field_name() + "_id"
            target = m2m_field.m2m_reverse_field_name() + "_id"
            history_through = _history_m2m_model(model, m2m_field.name)
            rows = _through_rows(through, source, target, list(versions))
            history_through.objects.bulk_create(
                [
                    history_through(
                        **{"id": pk, source: owner, target: target_pk, "history_id": version}
                    )
                    for owner, version in versions.items()
                    for pk, target_pk in rows.get(owner, ())
                ],
                batch_size=self._meta.batch_size,
            )

    def _name_bad_rows(self, instances, new, result, error, raise_errors):
        """The database refused a batch (or a check validates the updates): each row
        validated with full_clean and against the other rows of the file, so the
        message names its row and column."""
        model = self._meta.model
        unique_sets = _unique_sets(model)
        seen = {}
        named = False
        for instance in instances:
            if new:
                instance.pk = None
                instance._state.adding = True
            number, row, _m2m = self._pending[id(instance)][1]
            errors = {}
            try:
                _full_clean(instance, {f.attribute for f in self._m2m_fields()})
            except ValidationError as problem:
                errors = problem.update_error_dict(errors)
            for fields in unique_sets:
                key = (
                    fields,
                    *(getattr(instance, model._meta.get_field(f).attname) for f in fields),
                )
                if None in key:
                    continue
                if key in seen and seen[key] is not instance:
                    errors.setdefault(NON_FIELD_ERRORS, []).append(
                        instance.unique_error_message(model, fields)
                    )
                seen.setdefault(key, instance)
            if errors:
                named = True
                self._mark_invalid(result, number, row, ValidationError(errors))
        if error is not None and not named:
            self.handle_import_error(result, error, raise_errors)

    def _mark_invalid(self, result, number, row, error):
        row_result = self._row_results.get(number)
        if row_result is not None:
            result.totals[row_result.import_type] -= 1
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = error
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        result.append_invalid_row(number, row, error)

    def _m2m_fields(self):
        if getattr(self, "_m2m_fields_cache", None) is None:
            self._m2m_fields_cache = self._find_m2m_fields()
        return self._m2m_fields_cache

    def _find_m2m_fields(self):
        return [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, ManyToManyWidget)
            and not field.readonly
            and field.attribute
            and "__" not in field.attribute
        ]

    def _exported_version(self, row):
        if not self.version_attribute or self.version_attribute not in row:
            return None
        value = str(row.get(self.version_attribute) or "").strip()
        if not value:
            return None
        try:
            return int(float(value))
        except ValueError as error:
            raise ValidationError(
                {
                    self.version_attribute: _("“%(value)s” is not a version number.")
                    % {"value": value}
                }
            ) from error


# A changed value in a check's summary (stored as JSON) is shown to people who may
# read another language than the one it was checked in: yes/no and dates stay typed.
TEXT_LIMIT = 300


def typed_value(value, text=None):
    """A cell's value for the summary: None when empty, a bool, {"date": ISO date}, or
    the text the spreadsheet shows (``text``; cut at TEXT_LIMIT characters)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return {"date": value.isoformat()}
    text = str(value if text is None else text)
    if not text:
        return None
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _full_clean(instance, exclude, **kwargs):
    """full_clean, but a foreign key the import has just looked up exists: Django
    would ask the database again, once per row."""
    looked_up = {
        field.name
        for field in instance._meta.concrete_fields
        if field.is_relation
        and field.is_cached(instance)
        and field.get_cached_value(instance) is not None
        and field.get_cached_value(instance).pk is not None
    }
    instance.full_clean(exclude=set(exclude) | looked_up, **kwargs)


class _Objects:
    """Stands in for a related manager when many-to-many values are rendered."""

    def __init__(self, objects):
        self.objects = objects

    def all(self):
        return self.objects


def _layers(model, instances):
    """New instances in insert order: those pointing at another new instance (a
    parent created by an earlier row) after it."""
    names = [
        f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is model
    ]
    pending = {id(instance) for instance in instances}
    depth = {}

    def depth_of(instance):
        if id(instance) not in depth:
            depth[id(instance)] = 0
            for name in names:
                target = getattr(instance, name)
                if target is not None and id(target) in pending:
                    depth[id(instance)] = max(depth[id(instance)], depth_of(target) + 1)
        return depth[id(instance)]

    layers = {}
    for instance in instances:
        layers.setdefault(depth_of(instance), []).append(instance)
    return [layers[level] for level in sorted(layers)]


def _through_rows(through, source, target, owners):
    rows = {}
    for start in range(0, len(owners), 500):
        for pk, owner, target_pk in through.objects.filter(
            **{f"{source}__in": owners[start : start + 500]}
        ).values_list("pk", source, target):
            rows.setdefault(owner, []).append((pk, target_pk))
    return rows


def _version_ids(history_model, ids, date):
    """The history records just written (dated ``date``), by record id."""
    versions = {}
    for start in range(0, len(ids), 500):
        for owner, version in history_model.objects.filter(
            id__in=ids[start : start + 500], history_date=date
        ).values_list("id", "history_id"):
            versions[owner] = version
    return versions


def _unique_sets(model):
    meta = model._meta
    sets = [(f.name,) for f in meta.concrete_fields if f.unique and not f.primary_key]
    sets += [
        tuple(c.fields)
        for c in meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
    ]
    return sets + [tuple(fields) for fields in meta.unique_together]


def _history_m2m_model(model, field_name):
    """The model in which django-simple-history keeps one m2m field's versions."""
    history_model = model.history.model
    wanted = f"{history_model._meta.model_name}_{field_name}"
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == wanted:
            return relation.related_model
    raise LookupError(wanted)

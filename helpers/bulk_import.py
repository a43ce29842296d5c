"""Imports of whole files in django-import-export's bulk mode (``use_bulk``), written
with django-simple-history's ``bulk_create_with_history`` and
``bulk_update_with_history``, with the guarantees of the row-by-row import:

- The records a file names are read with its first row, in a few queries, and locked
  for an import (not for a check, which takes no locks).
- Each row is validated as it is read, without a query per row: ``full_clean`` less
  the foreign keys just looked up, and what only the database states (its check
  constraints) by the resource (``row_errors``). Errors name the row and the column.
- Unchanged rows are skipped. A row that carries the version its record had when it
  was exported (``version_attribute``) and whose record has changed since is a
  conflict: left alone, or written with the reason given (``on_conflict``).
- All or nothing: the library hands the records over once every row is read
  (``batch_size = None``), and they are written only if no row is bad. A check (dry
  run) writes nothing.
- The many-to-many columns, which the library's bulk mode leaves out, are written
  with the records, and each new version in the history gets its many-to-many rows.
"""

import copy
import datetime
from types import SimpleNamespace

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.widgets import ManyToManyWidget
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_history_model_for_model,
)

BULK_BATCH_SIZE = 1000  # records per INSERT or UPDATE statement


class BulkImportMixin:
    """For a ModelResource whose Meta sets ``use_bulk = True``, ``batch_size = None``,
    ``skip_unchanged = True`` and ``skip_diff = True`` (skip_row compares each row
    with its stored record; an admin preview that shows the library's diff may keep
    it). Its many-to-many columns use ``KeyListWidget``, whose ``clean_objects``
    reads a cell without a query; the last of its import id fields is the one with
    most values (a measure's number, not its concept)."""

    version_attribute = None  # e.g. "version": rows carry it, conflicts are detected

    def __init__(self, *args, on_conflict="skip", change_reason="", user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_conflict = on_conflict
        self.change_reason = change_reason
        self.history_user = user
        self.model = self.get_queryset().model
        self.m2m_fields = [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, ManyToManyWidget) and not field.readonly
        ]
        self.key_attnames = [
            self.model._meta.get_field(self.fields[name].attribute).attname
            for name in self.get_import_id_fields()
        ]
        self.written = False
        self.conflicts, self.records, self.changed = [], {}, {}

    # Hooks for the resource -------------------------------------------------------

    def row_errors(self, instance, errors):
        """{column: message} of what the database would refuse and full_clean does not
        say without a query; ``errors``: those found so far."""
        return {}

    def remember_new(self, instance, row):
        """Called for each new, valid instance: let later rows refer to it."""

    def after_bulk_write(self):
        """Called once after records were written (bulk writes send no signals)."""

    # The library's hooks ----------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.dataset = dataset
        self.history_user = kwargs.get("user") or self.history_user
        self.date = timezone.now()  # of every version the import writes
        self.stored = None
        self.written = False
        # For the check's summary: the record each row names (by row number), the
        # readable changes of each changed row, the conflicts.
        self.conflicts, self.records, self.changed = [], {}, {}
        self.m2m_of = {}  # id(instance) -> the many-to-many values of its row
        self.in_file = {}  # natural key -> number of the row that writes it
        self.overwritten = set()  # id(instance) of the conflicts written

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        if self.stored is None:
            # before_import is not told whether this is a check; the rows are.
            self.stored = self.load_stored(lock=not kwargs.get("dry_run"))
        self.row_number = kwargs.get("row_number")
        self.m2m, self.m2m_errors = {}, {}
        for field in self.m2m_fields:
            if field.column_name in row:
                try:
                    objects = field.widget.clean_objects(row[field.column_name], row)
                    self.m2m[field.attribute] = list(dict.fromkeys(objects))
                except ValueError as error:
                    self.m2m_errors[field.attribute] = ValidationError(str(error), code="invalid")

    def get_instance(self, instance_loader, row):
        self.original = self.stored.get(self.natural_key(row))
        # The row is read into a (shallow) copy; the stored record stays as it was,
        # for skip_row to compare with.
        return copy.copy(self.original) if self.original is not None else None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        original = self.original if instance.pk is not None else None
        if import_validation_errors or self.m2m_errors or original is None:
            return False
        self.records[self.row_number] = str(original)
        found = list(self.changed_fields(instance, original))
        if not found:
            return True
        exported_at = self.exported_version(row)
        if exported_at is not None and exported_at < getattr(original, self.version_attribute):
            self.conflicts.append(
                {
                    "number": self.row_number,
                    "key": str(original),
                    "changes": [(field.column_name, old, new) for field, _o, old, _n, new in found],
                }
            )
            if self.on_conflict != "overwrite":
                return True
            self.overwritten.add(id(instance))
        else:
            # Kept typed (see typed_value) so that the page formats them in its
            # reader's language.
            self.changed[self.row_number] = [
                (field.column_name, typed_value(old, old_text), typed_value(new, new_text))
                for field, old, old_text, new, new_text in found
            ]
        return False

    def before_save_instance(self, instance, row, **kwargs):
        # The library's validate_instance has raised the errors of the cells.
        super().before_save_instance(instance, row, **kwargs)
        errors = dict(self.m2m_errors)
        try:
            full_clean(instance)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        key = tuple(getattr(instance, attname) for attname in self.key_attnames)
        if key in self.in_file:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                _("This record appears twice in the file (row %(row)s).")
                % {"row": self.in_file[key] + 1}
            )
        if found := self.row_errors(instance, errors):
            errors = ValidationError(found).update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        self.in_file[key] = self.row_number
        self.m2m_of[id(instance)] = self.m2m
        if instance.pk is None:
            self.records[self.row_number] = str(instance)
            self.remember_new(instance, row)
        for field in self.model._meta.concrete_fields:
            if getattr(field, "auto_now", False):  # as save() does; bulk_update does not
                setattr(instance, field.attname, self.date)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self.write(self.create_instances, True, dry_run, result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self.write(self.update_instances, False, dry_run, result, raise_errors)

    def get_bulk_update_fields(self):
        """The model fields the file's columns write (its key aside), and those save()
        sets itself (auto_now)."""
        concrete = {field.name: field for field in self.model._meta.concrete_fields}
        keys = {self.fields[name].attribute for name in self.get_import_id_fields()}
        names = [
            field.attribute
            for field in self.get_import_fields()
            if not field.readonly and field.attribute in concrete and field.attribute not in keys
        ]
        names += [name for name, field in concrete.items() if getattr(field, "auto_now", False)]
        return list(dict.fromkeys(names))

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self.written:
            self.after_bulk_write()

    # Reading ----------------------------------------------------------------------

    def natural_key(self, row):
        """The cleaned values of the import id columns (a record as its id), or None."""
        try:
            values = [self.fields[name].clean(row) for name in self.get_import_id_fields()]
        except (KeyError, ValueError, ValidationError):
            return None
        values = [value.pk if isinstance(value, models.Model) else value for value in values]
        return None if any(value in (None, "") for value in values) else tuple(values)

    def load_stored(self, lock):
        """The stored records the file names, by natural key."""
        rows = (dict(zip(self.dataset.headers, values, strict=False)) for values in self.dataset)
        keys = {self.natural_key(row) for row in rows} - {None}
        queryset = self.get_queryset()
        if lock and transaction.get_connection(self.get_db_connection_name()).in_atomic_block:
            # The rows are compared with these records, which are then written:
            # nobody may change them in between (tests/test_import_concurrency.py).
            queryset = queryset.select_for_update(of=("self",))
        *scope, last = self.key_attnames
        filters = {f"{name}__in": {key[i] for key in keys} for i, name in enumerate(scope)}
        stored = {}
        for batch in chunks({key[-1] for key in keys}):
            for record in queryset.filter(**filters, **{f"{last}__in": batch}):
                stored[tuple(getattr(record, name) for name in self.key_attnames)] = record
        return stored

    def changed_fields(self, instance, original):
        """(field, stored value, as the file shows it, file's value, as the file shows
        it) of every column the row changes."""
        for field in self.get_import_fields():
            if isinstance(field.widget, ManyToManyWidget):
                read = self.m2m.get(field.attribute)
                stored = field.get_value(original).all()
                if read is not None and {o.pk for o in stored} != {o.pk for o in read}:
                    old = field.export(original)
                    new = field.widget.render(SimpleNamespace(all=lambda read=read: read))
                    yield field, old, old, new, new
            elif field.get_value(instance) != field.get_value(original):
                yield (
                    field,
                    field.get_value(original),
                    field.export(original),
                    field.get_value(instance),
                    field.export(instance),
                )

    def exported_version(self, row):
        value = str(row.get(self.version_attribute) or "").strip() if self.version_attribute else ""
        try:
            return int(float(value)) if value else None
        except ValueError as error:
            message = _("“%(value)s” is not a version number.") % {"value": value}
            raise ValidationError({self.version_attribute: message}) from error

    # Writing ----------------------------------------------------------------------

    def write(self, pending, new, dry_run, result, raise_errors):
        """Writes the records the library hands over (its list emptied) in one
        transaction; none in a check or while any row is bad. What the database still
        refuses (a record written by someone else meanwhile) is an error of the
        import as a whole."""
        instances = list(pending)
        pending.clear()
        if not instances or dry_run or result.has_errors() or result.has_validation_errors():
            return
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                if new:
                    self.insert(instances)
                else:
                    self.update(instances)
                self.write_m2m(instances, new)
        except (DatabaseError, ValueError) as error:
            self.handle_import_error(result, error, raise_errors)
        else:
            self.written = True

    def insert(self, instances):
        # A record whose parent an earlier row creates is inserted after it.
        parents = [
            f.name for f in self.model._meta.concrete_fields if f.related_model is self.model
        ]
        depth = {}
        for obj in instances:
            found = [depth.get(id(getattr(obj, name)), -1) + 1 for name in parents]
            depth[id(obj)] = max(found, default=0)
        for level in sorted(set(depth.values())):
            bulk_create_with_history(
                [obj for obj in instances if depth[id(obj)] == level],
                self.model,
                batch_size=BULK_BATCH_SIZE,
                default_user=self.history_user,
                default_date=self.date,
            )

    def update(self, instances):
        overwritten = [obj for obj in instances if id(obj) in self.overwritten]
        others = [obj for obj in instances if id(obj) not in self.overwritten]
        for group, reason in ((others, None), (overwritten, self.change_reason)):
            if group:
                bulk_update_with_history(
                    group,
                    self.model,
                    self.get_bulk_update_fields(),
                    batch_size=BULK_BATCH_SIZE,
                    default_user=self.history_user,
                    default_change_reason=reason,
                    default_date=self.date,
                )

    def write_m2m(self, instances, new):
        """The many-to-many rows the file names, in place of those stored; then the
        rows of each many-to-many field the history keeps, into the new versions."""
        rows = {}  # field name -> the rows of the written records (their ids returned)
        for field in self.m2m_fields:
            m2m = self.model._meta.get_field(field.attribute)
            through, source = m2m.remote_field.through, m2m.m2m_field_name()
            named = [obj for obj in instances if field.attribute in self.m2m_of[id(obj)]]
            if not named:  # not a column of the file
                continue
            if not new:
                for batch in chunks(obj.pk for obj in named):
                    through.objects.filter(**{f"{source}__in": batch}).delete()
            rows[m2m.name] = through.objects.bulk_create(
                [
                    through(**{source: obj, m2m.m2m_reverse_field_name(): other})
                    for obj in named
                    for other in self.m2m_of[id(obj)][field.attribute]
                ],
                batch_size=BULK_BATCH_SIZE,
            )
        history = get_history_model_for_model(self.model)
        # The history model has a manager for the rows of each field it keeps
        # (version.partner_offices.all()).
        kept = [m2m for m2m in self.model._meta.many_to_many if hasattr(history, m2m.name)]
        if not kept:
            return
        pk = self.model._meta.pk.attname
        versions = {}
        for batch in chunks(obj.pk for obj in instances):
            found = history.objects.filter(history_date=self.date, **{f"{pk}__in": batch})
            versions.update(found.values_list(pk, "history_id"))
        for m2m in kept:
            through = m2m.remote_field.through
            owner = through._meta.get_field(m2m.m2m_field_name()).attname
            if m2m.name not in rows:  # not a column of the file: the stored rows
                rows[m2m.name] = []
                for batch in chunks(versions) if not new else []:
                    rows[m2m.name] += through.objects.filter(**{f"{owner}__in": batch})
            history_rows = getattr(history, m2m.name).model
            columns = [field.attname for field in through._meta.concrete_fields]
            history_rows.objects.bulk_create(
                [
                    history_rows(
                        history_id=versions[getattr(row, owner)],
                        **{column: getattr(row, column) for column in columns},
                    )
                    for row in rows[m2m.name]
                    if getattr(row, owner) in versions  # none where history is switched off
                ],
                batch_size=BULK_BATCH_SIZE,
            )


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


def full_clean(instance):
    """full_clean without a query: a related record the import has just looked up
    exists (Django would ask the database again, once per row); uniqueness and check
    constraints are the resource's (in_file, row_errors) and the database's."""
    looked_up = {
        field.name
        for field in instance._meta.concrete_fields
        if field.is_relation
        and field.is_cached(instance)
        and getattr(field.get_cached_value(instance), "pk", None) is not None
    }
    instance.full_clean(exclude=looked_up, validate_unique=False, validate_constraints=False)


def chunks(values, size=500):
    """Values for IN (…) lists of a size every database takes."""
    values = list(values)
    return [values[start : start + size] for start in range(0, len(values), size)]

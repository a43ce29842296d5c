"""Spreadsheets for the bureau: exports with the column headings of the interface
(German or English, as the person reads the site; helpers/spreadsheets.py)
and neutralised formulas, and imports of status entries or measures that are checked first (dry run,
every error with its row and column) and then written all or nothing.

The resources (measures/resources.py) do the reading and writing of records; this
module turns their datasets into files people open in Excel and back.
"""

import csv
import datetime
import hashlib
import io

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from import_export import fields, widgets

from helpers.cells import neutralise_row, restore
from helpers.spreadsheets import (
    NUMBERS,
    ChoiceWidget,
    ColumnProblem,
    KeyWidget,
    SpreadsheetResource,
    YesNoWidget,
    sheet_title,
    spreadsheet_filename,
)
from helpers.uploads import FileProblem, capped_errors, read_spreadsheet

from . import services
from .models import Measure, SpreadsheetImport, Status, StatusEntry
from .permissions import editable_entries, workspace_measures
from .resources import ActionNeedResource, FundingAmountResource, MeasureResource

PREVIEW_ROWS = 50
# The check lists this many changed, new and unchanged rows each and counts the rest,
# so that the summary of a 10,000-row file stays small.
LISTED_ROWS = 500


class GermanDateWidget(widgets.Widget):
    """Dates as TT.MM.JJJJ (also ISO and real spreadsheet dates)."""

    FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        for format in self.FORMATS:
            try:
                return datetime.datetime.strptime(text, format).date()
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (DD.MM.YYYY).") % {"value": text})

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d.%m.%Y") if value else ""


class StatusWidget(ChoiceWidget):
    """A status by its key or by its German or English name; required."""

    def __init__(self):
        super().__init__(Status.choices, required=True)

    def missing(self):
        return ValueError(_("A status is required."))

    def unknown(self, text):
        with translation.override("de"):
            known = self.known()
        return ValueError(
            _("Unknown status “%(value)s”. Known: %(known)s.") % {"value": text, "known": known}
        )


class StatusEntryImportResource(SpreadsheetResource):
    """New status entries, one per row, for measures named by concept and number.
    They arrive as submitted entries by the importing person and go through review
    like entries typed in the browser."""

    concept = fields.Field(column_name="concept", attribute=None, readonly=True)
    measure = fields.Field(
        "measure",
        "measure",
        KeyWidget(
            Measure,
            lambda value, row: Measure.objects.filter(
                concept__slug=str(row.get("concept") or "").strip(), number=value
            ),
            lambda obj: obj.number,
            gettext_lazy("measure"),
            alphabet=NUMBERS,
        ),
    )
    as_of = fields.Field("as_of", "as_of", GermanDateWidget())
    status = fields.Field("status", "status", StatusWidget())

    class Meta:
        model = StatusEntry
        fields = (
            "concept",
            "measure",
            "as_of",
            "status",
            "progress",
            "note",
            "internal_note",
            "reason",
        )
        clean_model_instances = True

    def __init__(self, user=None, source=""):
        super().__init__()
        self.user = user
        self.source = source
        self.measures_in_file = set()

    def required_columns(self):
        return ["concept", "measure", "as_of", "status"]

    def get_instance(self, instance_loader, row):
        return None  # every row is a new entry

    def import_data(self, dataset, *args, dry_run=False, **kwargs):
        self.is_dry_run = dry_run
        return super().import_data(dataset, *args, dry_run=dry_run, **kwargs)

    def do_instance_save(self, instance, is_create):
        # A check writes nothing: saving an entry refreshes its measure, which would
        # hold the measure's row lock (an office's submission would wait for the
        # check). Each row is independent and full_clean has validated it.
        if not self.is_dry_run:
            super().do_instance_save(instance, is_create)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # Submitted before validation, so that full_clean applies the rule of one
        # waiting entry per measure (status_entry_one_submitted_per_measure) to the
        # stored entries; rows of the file itself are compared here, since a check
        # (dry run) stores none of them.
        instance.author = self.user
        instance.state = StatusEntry.State.SUBMITTED
        instance.submitted_at = timezone.now()
        instance.source_note = self.source
        if instance.measure_id is None and not str(row.get("measure") or "").strip():
            raise ValidationError({"measure": _("A measure number is required.")})
        if instance.measure_id in self.measures_in_file:
            raise ValidationError(
                {
                    "measure": _(
                        "An earlier row of the file has an entry for this measure; a "
                        "measure has one entry waiting for review at a time."
                    )
                }
            )
        if instance.measure_id is not None:
            self.measures_in_file.add(instance.measure_id)


class OfficeStatusResource(StatusEntryImportResource):
    """An office's own file (OFFICE_COLUMNS): a row per measure it leads or takes
    part in; a row with a status becomes a draft, or a submitted entry where
    "Submit" says yes, written through services.save_entry as the form writes it.
    Only the office's measures are found; a measure the office already carries an
    entry of is refused (it is continued in the browser); rows without a status are
    left alone.

    The check asks the database a fixed number of questions whatever the number of
    rows: the office's measures of the file's concepts, the entries it carries on
    and those waiting for review are read once (before_import), and a row is
    validated against them (validate_instance). An import then writes the rows one
    by one (bulk_create)."""

    title = fields.Field(column_name="title", attribute=None, readonly=True)
    current_status = fields.Field(column_name="current_status", attribute=None, readonly=True)
    submit = fields.Field(column_name="submit", attribute=None, widget=YesNoWidget(), readonly=True)

    headings = {"submit": pgettext_lazy("spreadsheet column", "Submit")}

    class Meta(StatusEntryImportResource.Meta):
        fields = (
            *StatusEntryImportResource.Meta.fields,
            "title",
            "current_status",
            "submit",
        )
        # Rows are collected and written at the end (bulk_create), without the
        # library's savepoint around each row.
        use_bulk = True

    def __init__(self, user=None, source=""):
        super().__init__(user=user, source=source)
        self.office_measures = {}
        self.carried_on = set()
        self.waiting = set()
        self.pending = []
        # Measures of other offices are not found: the row is refused as it is for a
        # number that does not exist, and says nothing about the other office.
        self.fields["measure"] = fields.Field(
            "measure",
            "measure",
            KeyWidget(
                Measure,
                lambda value, row: [
                    self.office_measures[key]
                    for key in [(str(row.get("concept") or "").strip(), value)]
                    if key in self.office_measures
                ],
                lambda obj: obj.number,
                gettext_lazy("measure"),
                alphabet=NUMBERS,
            ),
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        concepts = (
            {str(value or "").strip() for value in dataset["concept"]}
            if "concept" in (dataset.headers or [])
            else set()
        )
        measures = workspace_measures(
            self.user, Measure.objects.filter(concept__slug__in=concepts)
        ).select_related("concept")
        self.office_measures = {(m.concept.slug, m.number): m for m in measures}
        entries = StatusEntry.objects.filter(measure__in=measures.values("pk"))
        self.carried_on = set(
            editable_entries(self.user, entries).values_list("measure_id", flat=True)
        )
        self.waiting = set(
            entries.filter(state=StatusEntry.State.SUBMITTED).values_list("measure_id", flat=True)
        )
        self.pending = []

    FILLED_IN = ("as_of", "status", "progress", "note", "internal_note", "reason")

    def left_alone(self, row):
        return not any(str(row.get(column) or "").strip() for column in self.FILLED_IN)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return self.left_alone(row)

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        self.row_submits = False

    def import_instance(self, instance, row, **kwargs):
        if self.left_alone(row):
            return  # skip_row
        errors = {}
        try:
            self.row_submits = "submit" in row and bool(self.fields["submit"].clean(row))
        except ValueError as error:
            errors["submit"] = str(error)
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not self.row_submits:
            instance.state = StatusEntry.State.DRAFT
            instance.submitted_at = None
        if "measure" not in errors and instance.measure_id in self.carried_on:
            errors["measure"] = _(
                "Your office is already working on an entry for this measure. Please "
                "continue it in the browser."
            )
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The fields and clean(), which states the table's CHECK constraints; the
        # measure and the author are the records just found, and the one rule only
        # the database states (one entry waiting for review per measure) is checked
        # against the entries read in before_import: no query per row.
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude={*errors, "measure", "author"},
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        submitted = instance.state == StatusEntry.State.SUBMITTED
        if submitted and "measure" not in errors and instance.measure_id in self.waiting:
            errors["measure"] = [_("An entry of this measure is waiting for review.")]
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        self.pending.append((instance, kwargs.get("row_number"), row, self.row_submits))
        super().save_instance(instance, is_create, row, **kwargs)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """A check writes nothing. An import writes each row's entry as the form
        does (services.save_entry: the measure's lock, the history, its status);
        a row refused there (another entry was started since the check) is named,
        and the import then writes nothing."""
        pending, self.pending = self.pending, []
        self.create_instances.clear()
        if dry_run:
            return
        for instance, number, row, submits in pending:
            try:
                self.write_entry(instance, submits)
            except ValidationError as error:
                result.append_invalid_row(number, row, error)

    def write_entry(self, instance, submits):
        try:
            services.save_entry(
                measure=instance.measure,
                author=self.user,
                data={
                    name: getattr(instance, name)
                    for name in (
                        "as_of",
                        "status",
                        "progress",
                        "note",
                        "internal_note",
                        "reason",
                    )
                },
                indicator_values=[],
                measure_version=None,
                submit=submits,
            )
        except services.AlreadyOpen as error:
            raise ValidationError(
                {"measure": _("Your office is already working on an entry for this measure.")}
            ) from error
        except services.AlreadyWaiting as error:
            raise ValidationError(
                {"measure": _("An entry of this measure is waiting for review.")}
            ) from error


# The office's file: what it says about each measure, then what the office fills in.
OFFICE_COLUMNS = (
    "concept",
    "measure",
    "title",
    "current_status",
    "as_of",
    "status",
    "progress",
    "note",
    "internal_note",
    "reason",
    "submit",
)


def office_template(user, format):
    """The office's file to fill in: a row per measure of ``user``'s offices (their
    current status for orientation), the columns to fill empty."""
    resource = OfficeStatusResource(user=user)
    measures = workspace_measures(user).select_related("concept", "current_entry")
    rows = [
        [
            measure.concept.slug,
            measure.number,
            measure.title,
            measure.current_entry.get_status_display() if measure.current_entry else "",
            "",
            "",
            "",
            "",
            "",
            "",
            _("no"),
        ]
        for measure in measures.order_by("concept__slug", "position", "number")
    ]
    headers = [resource.heading(column) for column in OFFICE_COLUMNS]
    return write_table(headers, rows, _("Status entries"), format)


class MeasureExportResource(MeasureResource):
    """Measures with their current status as people read it."""

    current_status = fields.Field(
        "current_entry__status", "current_status", StatusWidget(), readonly=True
    )
    current_as_of = fields.Field(
        "current_entry__as_of", "current_as_of", GermanDateWidget(), readonly=True
    )
    planned_start = fields.Field("planned_start", "planned_start", GermanDateWidget())
    planned_end = fields.Field("planned_end", "planned_end", GermanDateWidget())

    class Meta(MeasureResource.Meta):
        fields = (*MeasureResource.Meta.fields, "current_as_of")


class ExportTable:
    """A table of /daten/: ``title`` on the page, ``name`` for its sheet and file."""

    def __init__(self, slug, title, resource_class, name):
        self.slug, self.title, self.resource_class, self.name = (
            slug,
            title,
            resource_class,
            name,
        )

    def filename(self, format):
        return spreadsheet_filename(self.name, format)


EXPORTS = {
    table.slug: table
    for table in (
        ExportTable(
            "massnahmen",
            gettext_lazy("Measures with their current status"),
            MeasureExportResource,
            gettext_lazy("Measures"),
        ),
        ExportTable(
            "foerderbetraege",
            gettext_lazy("Funding amounts"),
            FundingAmountResource,
            gettext_lazy("Funding amounts"),
        ),
        ExportTable(
            "handlungsbedarfe",
            gettext_lazy("Needs for action"),
            ActionNeedResource,
            gettext_lazy("Needs for action"),
        ),
    )
}

IMPORTS = {
    SpreadsheetImport.Kind.STATUS_ENTRIES: StatusEntryImportResource,
    # The measures table as exported (German dates, status names) reads back in.
    SpreadsheetImport.Kind.MEASURES: MeasureExportResource,
    SpreadsheetImport.Kind.OFFICE_STATUSES: OfficeStatusResource,
}

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_table(table, format, queryset=None):
    """The table as file content (bytes), in the current language: the headings of
    the interface, statuses by their label, formulas neutralised. CSV is written for
    German Excel: UTF-8 with byte order mark, semicolons."""
    dataset = table.resource_class().export(queryset)
    return write_table(dataset.headers, list(dataset), table.name, format)


def write_table(headers, rows, name, format):
    """XLSX or CSV content with formulas neutralised."""
    rows = [neutralise_row(row) for row in rows]
    if format == "xlsx":
        return tablib.Dataset(*rows, headers=headers, title=sheet_title(name)).export("xlsx")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def read_dataset(content, file_format):
    """A tablib Dataset from the uploaded bytes within the upload limits, empty rows
    dropped, neutralised cells restored."""
    dataset = read_spreadsheet(content, file_format)
    kept = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        kept.append([restore(cell) for cell in row])
    return kept


def _key_columns(resource):
    """The columns that name a row's record (for rows no record is stored for)."""
    if isinstance(resource, StatusEntryImportResource):
        return ["concept", "measure"]
    return list(resource.get_import_id_fields())


def _column_heading(resource, attribute):
    if attribute == NON_FIELD_ERRORS:
        return ""
    for field in resource.fields.values():
        if attribute in (field.attribute, field.column_name):
            return resource.heading(field.column_name)
    return resource.heading(attribute)


def run(
    kind,
    content,
    file_format,
    user,
    dry_run,
    source="",
    on_conflict="skip",
    reason="",
    on_rows=None,
):
    """Check (dry run) or import a spreadsheet. Returns a summary dict; an import
    with any error writes nothing. Spreadsheet row numbers count the heading row as
    row 1, as Excel shows them. ``on_rows(count)`` learns the number of rows once the
    file is read, before any row is checked (for the progress shown).

    Rows of records changed since the file was exported are conflicts (listed with
    the stored and the file's values): ``on_conflict`` "skip" leaves them alone,
    "overwrite" takes the file's values, recorded in the history with ``reason``."""
    resource = (
        IMPORTS[kind](user=user, source=source)
        if kind in (SpreadsheetImport.Kind.STATUS_ENTRIES, SpreadsheetImport.Kind.OFFICE_STATUSES)
        else IMPORTS[kind](on_conflict=on_conflict, change_reason=reason, user=user)
    )
    summary = {
        "errors": [],
        "totals": {},
        "rows": [],
        "conflicts": [],
        "on_conflict": on_conflict,
    }
    try:
        # Headings of either language, in any letter case, Unicode form or spacing;
        # an unknown or doubled column fails the check (it would not be read).
        dataset = resource.with_column_keys(read_dataset(content, file_format))
    except ColumnProblem as problem:
        for column, message in problem.problems:
            # A column's problem is in the heading row, row 1.
            summary["errors"].append(
                {"row": 1 if column else None, "column": column, "message": message}
            )
        return summary
    except FileProblem as problem:
        summary["errors"].append({"row": None, "column": "", "message": str(problem)})
        return summary
    if not len(dataset):
        summary["errors"].append({"row": None, "column": "", "message": _("The file has no rows.")})
        return summary
    if on_rows is not None:
        on_rows(len(dataset))

    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        for error in result.base_errors:
            summary["errors"].append({"row": None, "column": "", "message": str(error.error)})
        for number, errors in result.row_errors():
            for error in errors:
                summary["errors"].append(
                    {"row": number + 1, "column": "", "message": str(error.error)}
                )
        for invalid in result.invalid_rows:
            for attribute, messages in invalid.error_dict.items():
                for message in messages:
                    summary["errors"].append(
                        {
                            "row": invalid.number + 1,
                            "column": _column_heading(resource, attribute),
                            "message": str(message),
                        }
                    )
        if summary["errors"] or dry_run:
            transaction.set_rollback(True)
    summary["errors"].sort(key=lambda error: (error["row"] or 0, error["column"]))
    summary["error_count"] = len(summary["errors"])
    summary["errors"] = capped_errors(summary["errors"])
    summary["totals"] = {
        kind: count for kind, count in result.totals.items() if count and kind != "error"
    }
    conflicts = getattr(resource, "conflicts", [])
    for conflict in conflicts:
        summary["conflicts"].append(
            {
                "row": conflict["number"] + 1,
                "record": conflict["key"],
                "changes": [
                    {"column": resource.heading(column), "stored": stored, "file": value}
                    for column, stored, value in conflict["changes"]
                ],
            }
        )
    if conflicts:
        summary["totals"]["conflict"] = len(conflicts)
        if on_conflict != "overwrite" and summary["totals"].get("skip"):
            summary["totals"]["skip"] -= len(conflicts)
    conflict_rows = {conflict["number"] for conflict in conflicts}
    summary["total_rows"] = len(dataset)
    _list_rows(summary, resource, dataset, result, conflict_rows)
    summary["headings"] = [resource.heading(key) for key in dataset.headers]
    types = [row_result.import_type for row_result in result.rows]
    for index, row in enumerate(dataset[:PREVIEW_ROWS]):
        summary["rows"].append(
            {
                "number": index + 2,
                "type": "conflict"
                if index + 1 in conflict_rows
                else (types[index] if index < len(types) else ""),
                "values": ["" if cell is None else str(cell) for cell in row],
            }
        )
    return summary


def _list_rows(summary, resource, dataset, result, conflict_rows):
    """What each row does, by record: the changes of each changed row (column key,
    stored and new value, typed: see bulk_import.typed_value), the new and the
    unchanged rows; LISTED_ROWS of each, the rest counted."""
    records = getattr(resource, "records", {})
    changed = getattr(resource, "changed", {})
    key_columns = [key for key in _key_columns(resource) if key in dataset.headers]
    lists = {"update": [], "new": [], "skip": []}
    counts = dict.fromkeys(lists, 0)
    for index, row_result in enumerate(result.rows):
        number = index + 1
        kind = row_result.import_type
        if kind not in lists or number in conflict_rows:
            continue
        counts[kind] += 1
        if len(lists[kind]) >= LISTED_ROWS:
            continue
        record = records.get(number) or " ".join(
            str(dataset[index][dataset.headers.index(key)] or "") for key in key_columns
        )
        listed = {"row": number + 1, "record": record}
        if kind == "update":
            listed["changes"] = [
                {"column": column, "old": old, "new": new}
                for column, old, new in changed.get(number, ())
            ]
        lists[kind].append(listed)
    for kind, name in (("update", "changed"), ("new", "new"), ("skip", "unchanged")):
        summary[name] = lists[kind]
        summary[f"{name}_count"] = counts[kind]


def readable_value(value):
    """A value of the summary as the reader reads it: dates in the reader's language
    ("16. Dezember 2014"), ja/nein, an empty cell as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict) and "date" in value:
        return formats.date_format(datetime.date.fromisoformat(value["date"]), "DATE_FORMAT")
    return str(value)


def readable_changes(batch):
    """The changed rows of a check or import with column headings and values in the
    reader's language (the summary keeps keys and typed values)."""
    rows = batch.summary.get("changed") or []
    if not rows:
        return []
    resource = IMPORTS[batch.kind]()
    return [
        {
            "row": row["row"],
            "record": row["record"],
            "changes": [
                {
                    "column": resource.heading(change["column"]),
                    "old": readable_value(change["old"]),
                    "new": readable_value(change["new"]),
                }
                for change in row["changes"]
            ],
        }
        for row in rows
    ]


def import_outcome(batch):
    """What an import did, in one sentence: "1 Maßnahme geändert, 43 unverändert";
    for an office's file "1 Sachstand gespeichert, 3 unverändert"."""
    summary = batch.summary
    if batch.kind == SpreadsheetImport.Kind.OFFICE_STATUSES and "new_count" in summary:
        saved, unchanged = summary["new_count"], summary["unchanged_count"]
        return (
            ngettext("%(count)s status entry saved", "%(count)s status entries saved", saved)
            % {"count": saved}
            + ", "
            + ngettext("%(count)s unchanged", "%(count)s unchanged", unchanged)
            % {"count": unchanged}
            + "."
        )
    if batch.kind != SpreadsheetImport.Kind.MEASURES or "changed_count" not in summary:
        return ngettext(
            "%(count)s row imported from “%(name)s”.",
            "%(count)s rows imported from “%(name)s”.",
            summary["total_rows"],
        ) % {"count": summary["total_rows"], "name": batch.file_name}
    # Rows changed after the export are conflicts: written ("overwrite") or left out.
    conflicts = len(summary.get("conflicts") or [])
    overwritten = conflicts if summary.get("on_conflict") == "overwrite" else 0
    changed = summary["changed_count"] + overwritten
    new, unchanged = summary["new_count"], summary["unchanged_count"]
    left_out = conflicts - overwritten
    parts = [
        ngettext("%(count)s measure changed", "%(count)s measures changed", changed)
        % {"count": changed}
    ]
    if new:
        parts.append(
            ngettext("%(count)s measure added", "%(count)s measures added", new) % {"count": new}
        )
    parts.append(
        ngettext("%(count)s unchanged", "%(count)s unchanged", unchanged) % {"count": unchanged}
    )
    if left_out:
        parts.append(
            ngettext("%(count)s left out", "%(count)s left out", left_out) % {"count": left_out}
        )
    return ", ".join(parts) + "."


def checksum(content):
    return hashlib.sha256(content).hexdigest()

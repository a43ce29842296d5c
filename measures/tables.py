"""Spreadsheets for the bureau: exports with the column headings of the interface
(German or English, as the person reads the site; integration_tracker/spreadsheets.py)
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
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, widgets

from integration_tracker.cells import neutralise_row, restore
from integration_tracker.spreadsheets import (
    ChoiceWidget,
    KeyWidget,
    SpreadsheetResource,
    sheet_title,
    spreadsheet_filename,
)
from integration_tracker.uploads import FileProblem, capped_errors, read_spreadsheet

from .models import Measure, SpreadsheetImport, Status, StatusEntry
from .resources import ActionNeedResource, FundingAmountResource, MeasureResource

PREVIEW_ROWS = 50


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
    rows = [neutralise_row(row) for row in dataset]
    out = tablib.Dataset(*rows, headers=dataset.headers, title=sheet_title(table.name))
    if format == "xlsx":
        return out.export("xlsx")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(dataset.headers)
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


def _normalise_headers(dataset, resource):
    """Maps the headings (German or English, or the keys) to the resource's keys;
    returns (dataset, ignored columns) or raises FileProblem for missing/duplicate
    ones."""
    names = resource.column_keys()
    headers, ignored = [], []
    for header in dataset.headers or []:
        text = str(header or "").strip()
        key = names.get(text.casefold())
        if key is None:
            ignored.append(text)
            key = f"ignored:{text}"
        elif key in headers:
            raise FileProblem(_("The column “%(column)s” appears twice.") % {"column": text})
        headers.append(key)
    required = _required_columns(resource)
    missing = [resource.heading(key) for key in required if key not in headers]
    if missing:
        raise FileProblem(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    dataset.headers = headers
    return dataset, [column for column in ignored if column]


def _required_columns(resource):
    if isinstance(resource, StatusEntryImportResource):
        return ["concept", "measure", "as_of", "status"]
    return list(resource._meta.import_id_fields)


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
        StatusEntryImportResource(user=user, source=source)
        if kind == SpreadsheetImport.Kind.STATUS_ENTRIES
        else IMPORTS[kind](on_conflict=on_conflict, change_reason=reason, user=user)
    )
    summary = {
        "errors": [],
        "ignored_columns": [],
        "totals": {},
        "rows": [],
        "conflicts": [],
        "on_conflict": on_conflict,
    }
    try:
        dataset, summary["ignored_columns"] = _normalise_headers(
            read_dataset(content, file_format), resource
        )
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
    headings = [resource.heading(key) for key in dataset.headers if not key.startswith("ignored:")]
    summary["headings"] = headings
    kept = [i for i, key in enumerate(dataset.headers) if not key.startswith("ignored:")]
    types = [row_result.import_type for row_result in result.rows]
    for index, row in enumerate(dataset[:PREVIEW_ROWS]):
        summary["rows"].append(
            {
                "number": index + 2,
                "type": "conflict"
                if index + 1 in conflict_rows
                else (types[index] if index < len(types) else ""),
                "values": ["" if row[i] is None else str(row[i]) for i in kept],
            }
        )
    return summary


def checksum(content):
    return hashlib.sha256(content).hexdigest()

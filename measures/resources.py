"""Spreadsheet import/export (CSV, XLSX) of measures, funding amounts and needs for
action, keyed by concept slug, measure number and office code rather than ids."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from helpers.bulk_import import BulkImportMixin
from helpers.spreadsheets import (
    NUMBERS,
    SLUGS,
    ChoiceWidget,
    KeyListWidget,
    KeyWidget,
    SpreadsheetResource,
)
from working_groups.models import FieldOfAction, Office, Organisation, WorkingGroup
from working_groups.resources import (
    concept_widget,
    department_widget,
    departments_of_concept,
    office_widget,
    offices_of_concept,
)
from working_groups.versions import every_concept_changed

from .models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    Language,
    Measure,
    Status,
    Topic,
)


def _in_concept(model, field, label, concept_column="concept", alphabet=None):
    return KeyWidget(
        model,
        lambda value, row: model.objects.filter(
            **{"concept__slug": row.get(concept_column), field: value}
        ),
        lambda obj: getattr(obj, field),
        label,
        scope=(concept_column,),
        alphabet=alphabet,
    )


def _offices():
    def lookup(value, row):
        return offices_of_concept(row).lookup(value)

    return KeyListWidget(
        Office, lookup, lambda obj: obj.spreadsheet_key, _("office"), scope=("concept",)
    )


def _measures_in_concept():
    return KeyListWidget(
        Measure,
        lambda value, row: Measure.objects.filter(concept__slug=row.get("concept"), number=value),
        lambda obj: obj.number,
        _("measure"),
        scope=("concept",),
        alphabet=NUMBERS,
    )


def measure_key(measure):
    return (measure.concept_id, measure.number) if measure is not None else None


class MeasureResource(BulkImportMixin, SpreadsheetResource):
    """Measures by concept and number. Imported in the library's bulk mode
    (helpers/bulk_import.py): ten thousand rows take seconds, not
    minutes. Each row carries the measure's version, so a file exported before
    someone changed the measure is recognised as stale (a conflict)."""

    version_attribute = "version"

    concept = fields.Field("concept", "concept", concept_widget())
    field_of_action = fields.Field(
        "field_of_action",
        "field_of_action",
        _in_concept(FieldOfAction, "number", _("field of action"), alphabet=NUMBERS),
    )
    topic = fields.Field("topic", "topic", _in_concept(Topic, "slug", _("topic"), alphabet=SLUGS))
    working_group = fields.Field(
        "working_group",
        "working_group",
        _in_concept(WorkingGroup, "short_name", _("working group")),
    )
    lead_office = fields.Field("lead_office", "lead_office", office_widget(offices_of_concept))
    responsible_department = fields.Field(
        "responsible_department",
        "responsible_department",
        department_widget(departments_of_concept),
    )
    partner_offices = fields.Field("partner_offices", "partner_offices", _offices())
    partner_organisations = fields.Field(
        "partner_organisations",
        "partner_organisations",
        KeyListWidget(
            Organisation,
            lambda value, row: Organisation.objects.filter(name=value),
            lambda obj: obj.name,
            _("organisation"),
            scope=(),
        ),
    )
    parent = fields.Field(
        "parent",
        "parent",
        _in_concept(Measure, "number", _("parent measure"), alphabet=NUMBERS),
    )
    languages = fields.Field(
        "languages",
        "languages",
        KeyListWidget(
            Language,
            lambda value, row: Language.objects.filter(code=value),
            lambda obj: obj.code,
            _("language"),
            scope=(),
            alphabet=SLUGS,
        ),
    )
    current_status = fields.Field(
        "current_entry__status",
        "current_status",
        ChoiceWidget(Status.choices),
        readonly=True,
    )
    current_progress = fields.Field(
        "current_entry__progress",
        "current_progress",
        readonly=True,
    )
    version = fields.Field("version", "version", readonly=True)

    class Meta:
        model = Measure
        fields = (
            "concept",
            "number",
            "title",
            "report_wording",
            "description",
            "goal",
            "field_of_action",
            "topic",
            "working_group",
            "lead_office",
            "responsible_department",
            "partner_offices",
            "partner_organisations",
            "parent",
            "planned_start",
            "planned_end",
            "languages",
            "is_public",
            "position",
            "source_note",
            "current_status",
            "current_progress",
            "version",
        )
        import_id_fields = ("concept", "number")
        skip_unchanged = True
        report_skipped = True
        use_bulk = True
        # The library hands the records over once every row is read, so that a
        # file with a bad row writes nothing (helpers/bulk_import.py).
        batch_size = None
        # No per-row copy and HTML diff: the workspace shows none (skip_row
        # compares with the stored record itself); MeasureAdminResource keeps it.
        skip_diff = True

    def get_queryset(self):
        return Measure.objects.select_related(
            "concept",
            "field_of_action",
            "topic",
            "working_group",
            "lead_office",
            "responsible_department",
            "parent",
            "reported_with",
            "current_entry",
        ).prefetch_related("partner_offices", "partner_organisations", "languages")

    def after_bulk_write(self):
        # The rows may belong to any concept; an import is rare enough to renew all.
        every_concept_changed()

    def remember_new(self, instance, row):
        # A later row of the same file may name this measure as its parent.
        self.fields["parent"].widget.remember(instance.number, row, instance)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.links = None  # (concept, number) -> that of its parent, as stored
        self.parents = {}  # the same as the rows read so far set them

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        self.parents[measure_key(instance)] = measure_key(instance.parent)
        if instance.pk is not None:
            # As Measure.save() does: a form opened before the import is now stale.
            instance.version += 1

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "version"]

    def row_errors(self, instance, errors):
        found = {}
        start, end = instance.planned_start, instance.planned_end
        if start and end and end < start:
            # The database's measure_period_in_order, said for the row.
            found["planned_end"] = _("The planned end cannot lie before the planned start.")
        cycle = None if "parent" in errors else self.parent_cycle(instance)
        if cycle:
            found["parent"] = _("The parent measures would form a cycle: %(path)s.") % {
                "path": " → ".join(number for _concept, number in cycle)
            }
        return found

    def parent_cycle(self, instance):
        """The measures from ``instance`` up through its parents as the stored records
        and the rows read so far leave them, if they lead back to it: Measure.clean()
        sees the stored parents only. A new measure has no children yet."""
        if instance.pk is None or instance.parent is None:
            return None
        if self.links is None:
            stored = Measure.objects.filter(concept__in={c for c, _number in self.stored})
            self.links = {
                (concept, number): (parent_concept, parent) if parent else None
                for concept, number, parent_concept, parent in stored.values_list(
                    "concept", "number", "parent__concept", "parent__number"
                )
            }
        path, node = [measure_key(instance)], measure_key(instance.parent)
        while node is not None and node not in path:
            path.append(node)
            node = self.parents[node] if node in self.parents else self.links.get(node)
        return [*path, path[0]] if node == path[0] else None


class MeasureAdminResource(MeasureResource):
    """The admin's measure import: its preview shows each row's changes as the
    library's HTML diff."""

    class Meta(MeasureResource.Meta):
        skip_diff = False


class FundingAmountResource(SpreadsheetResource):
    line = fields.Field(
        "line",
        "line",
        KeyWidget(
            FundingLine,
            lambda value, row: FundingLine.objects.filter(key=value),
            lambda obj: obj.key,
            _("funding line"),
            scope=(),
            alphabet=SLUGS,
        ),
    )

    class Meta:
        model = FundingAmount
        fields = ("line", "year_from", "year_to", "kind", "amount", "is_approximate", "note")
        import_id_fields = ("line", "year_from", "year_to", "kind")
        skip_unchanged = True
        report_skipped = True
        # Model validation and constraints run on import as they do in forms, so a
        # bad row is reported as such instead of failing in the database.
        clean_model_instances = True

    def get_queryset(self):
        return FundingAmount.objects.select_related("line")


class ActionNeedResource(SpreadsheetResource):
    concept = fields.Field("concept", "concept", concept_widget())
    parent = fields.Field(
        "parent",
        "parent",
        _in_concept(ActionNeed, "number", _("need for action"), alphabet=NUMBERS),
    )
    field_of_action = fields.Field(
        "field_of_action",
        "field_of_action",
        _in_concept(FieldOfAction, "number", _("field of action"), alphabet=NUMBERS),
    )
    responsible_offices = fields.Field("responsible_offices", "responsible_offices", _offices())
    measures = fields.Field("measures", "measures", _measures_in_concept())
    carried_into = fields.Field("carried_into", "carried_into", concept_widget())
    carried_into_field = fields.Field(
        "carried_into_field",
        "carried_into_field",
        _in_concept(
            FieldOfAction,
            "number",
            _("field of action"),
            concept_column="carried_into",
            alphabet=NUMBERS,
        ),
    )

    class Meta:
        model = ActionNeed
        fields = (
            "concept",
            "number",
            "parent",
            "children_are_examples",
            "title",
            "field_of_action",
            "responsible_offices",
            "status",
            "measures",
            "carried_into",
            "carried_into_field",
            "position",
        )
        import_id_fields = ("concept", "number")
        skip_unchanged = True
        report_skipped = True
        # Model validation and constraints run on import as they do in forms, so a
        # bad row is reported as such instead of failing in the database.
        clean_model_instances = True

    def get_queryset(self):
        return ActionNeed.objects.select_related(
            "concept",
            "parent",
            "field_of_action",
            "carried_into",
            "carried_into_field",
        ).prefetch_related("responsible_offices", "measures")

    def get_instance(self, instance_loader, row):
        return ActionNeed.objects.filter(
            concept__slug=row.get("concept"), number=str(row.get("number") or "").strip()
        ).first()

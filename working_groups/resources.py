"""Spreadsheet import/export (CSV, XLSX) of the governance records, keyed by names
and codes rather than database ids."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from import_export import fields

from helpers.spreadsheets import SLUGS, KeyWidget, SpreadsheetResource

from .models import (
    Concept,
    Department,
    Membership,
    Municipality,
    Office,
    Organisation,
    WorkingGroup,
)


def municipality_widget():
    return KeyWidget(
        Municipality,
        lambda value, row: Municipality.objects.filter(slug=value),
        lambda obj: obj.slug,
        _("municipality"),
        scope=(),
        alphabet=SLUGS,
    )


def office_widget(scope, columns=("concept",)):
    """Offices looked up by code, short name or name within the row's municipality.

    ``scope(row)`` returns a queryset of the offices the row may refer to; it reads
    the row's ``columns`` only (so lookups are cached per import by those)."""
    return KeyWidget(
        Office,
        lambda value, row: scope(row).lookup(value),
        lambda obj: obj.spreadsheet_key,
        _("office"),
        scope=columns,
    )


def department_widget(scope, columns=("concept",)):
    return KeyWidget(
        Department,
        lambda value, row: scope(row).filter(Q(code=value) | Q(name=value)),
        lambda obj: obj.code or obj.name,
        _("department"),
        scope=columns,
    )


def organisation_widget():
    return KeyWidget(
        Organisation,
        lambda value, row: Organisation.objects.filter(Q(name=value) | Q(short_name=value)),
        lambda obj: obj.name,
        _("organisation"),
        scope=(),
    )


def concept_widget():
    return KeyWidget(
        Concept,
        lambda value, row: Concept.objects.filter(slug=value),
        lambda obj: obj.slug,
        _("concept"),
        scope=(),
        alphabet=SLUGS,
    )


def offices_of_concept(row):
    return Office.objects.filter(municipality__concepts__slug=row.get("concept"))


def departments_of_concept(row):
    return Department.objects.filter(municipality__concepts__slug=row.get("concept"))


class OrganisationResource(SpreadsheetResource):
    municipality = fields.Field("municipality", "municipality", municipality_widget())
    # Organisations are looked up by short name too (organisation_widget).
    name_columns = ("short_name",)

    class Meta:
        model = Organisation
        fields = ("name", "short_name", "kind", "municipality", "source_note")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class OfficeResource(SpreadsheetResource):
    municipality = fields.Field("municipality", "municipality", municipality_widget())
    department = fields.Field(
        "department",
        "department",
        department_widget(
            lambda row: Department.objects.filter(municipality__slug=row.get("municipality")),
            columns=("municipality",),
        ),
    )
    # Offices are looked up by short name too (Office.objects.lookup).
    name_columns = ("short_name",)

    class Meta:
        model = Office
        fields = (
            "municipality",
            "code",
            "name",
            "short_name",
            "kind",
            "department",
            "name_is_assumption",
            "source_note",
            "email",
        )
        import_id_fields = ("municipality", "code", "name")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_instance(self, instance_loader, row):
        # An office is found by its code, or by its name where it has no code, so a
        # spreadsheet can correct the name behind a code.
        # As the cells are read (clean_key), so that a name typed in another Unicode
        # form finds its office rather than making a second one.
        code, name = self.fields["code"].clean(row), self.fields["name"].clean(row)
        offices = Office.objects.filter(municipality__slug=row.get("municipality"))
        if code:
            return offices.filter(code=code).first()
        return offices.filter(code="", name=name).first()


class MembershipResource(SpreadsheetResource):
    concept = fields.Field("group__concept", "concept", concept_widget(), readonly=True)
    group = fields.Field(
        "group",
        "group",
        KeyWidget(
            WorkingGroup,
            lambda value, row: WorkingGroup.objects.filter(
                concept__slug=row.get("concept"), short_name=value
            ),
            lambda obj: obj.short_name,
            _("working group"),
            scope=("concept",),
        ),
    )
    organisation = fields.Field("organisation", "organisation", organisation_widget())
    office = fields.Field("office", "office", office_widget(offices_of_concept))
    department = fields.Field("department", "department", department_widget(departments_of_concept))

    class Meta:
        model = Membership
        fields = (
            "concept",
            "group",
            "organisation",
            "office",
            "department",
            "role",
            "report_wording",
            "position",
            "active_from",
            "active_until",
        )
        import_id_fields = ("group", "organisation", "office", "department", "role")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        return Membership.objects.select_related(
            "group__concept",
            "organisation",
            "office",
            "department",
        )

    def get_instance(self, instance_loader, row):
        # A seat is identified by its group and holder; a role-only seat by its role.
        group = self.fields["group"].clean(row)
        organisation = self.fields["organisation"].clean(row)
        office = self.fields["office"].clean(row)
        department = self.fields["department"].clean(row)
        seats = Membership.objects.filter(group=group)
        if organisation or office or department:
            return seats.filter(
                organisation=organisation, office=office, department=department
            ).first()
        return seats.filter(
            organisation=None, office=None, department=None, role=str(row.get("role") or "").strip()
        ).first()

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.http.request import validate_host
from django.utils.translation import gettext_lazy as _

from helpers.admin_import import LimitedImportExportModelAdmin
from helpers.cells import NeutralisedExportMixin
from helpers.roles import sync_role_groups
from helpers.scope import accounts_in_scope

from .models import (
    ActionPlan,
    ActionPlanProvision,
    Assignment,
    Concept,
    Department,
    FieldOfAction,
    Membership,
    Municipality,
    Office,
    Organisation,
    WorkingGroup,
)
from .resources import MembershipResource, OfficeResource, OrganisationResource


class AssignmentInline(admin.TabularInline):
    """The accounts that work with the municipality, each in its role (the system
    administration's; the bureau runs its accounts on its accounts page)."""

    model = Assignment
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "role":
            # Every assignment made here names its role.
            field.required = True
        return field


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    """The system administration (superusers) adds municipalities, configures them,
    takes them out of service and decides whose accounts work with each; it appoints
    their bureau accounts on a page of its own (accounts/admin.py adds it). A bureau
    sees its own municipality only (the scope) and changes its name, contact and
    settings, not its addresses, its AGS key, whether it is in service or who belongs
    to it. Nobody deletes one here: its records and published reports would go with
    it."""

    list_display = ["name", "slug", "ags", "host", "in_service", "public_pages"]
    list_filter = ["in_service"]
    search_fields = ["name", "slug", "ags"]
    # What only the system administration changes: the addresses and the key that
    # identify the municipality, and whether it is served at all.
    ADMINISTRATION_FIELDS = ["slug", "ags", "host", "in_service"]

    def get_inlines(self, request, obj):
        # Who works here, in which role: the system administration's to decide
        # (a new municipality's first account is appointed after it is added).
        return [AssignmentInline] if request.user.is_superuser and obj is not None else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The role groups follow the roles held anywhere (helpers/roles.py).
        changed = set()
        for formset in formsets:
            if formset.model is Assignment:
                changed |= {row.user_id for row in formset.new_objects}
                changed |= {row.user_id for row, _fields in formset.changed_objects}
                changed |= {row.user_id for row in formset.deleted_objects}
        if changed:
            sync_role_groups(changed)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else self.ADMINISTRATION_FIELDS

    def get_prepopulated_fields(self, request, obj=None):
        # On the add form only: a changed short name changes every address.
        return {"slug": ["name"]} if obj is None else {}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.host and not validate_host(obj.host, settings.ALLOWED_HOSTS):
            messages.warning(
                request,
                _(
                    "The host %(host)s is not in ALLOWED_HOSTS: requests to it are refused "
                    "until it is added to the setting."
                )
                % {"host": obj.host},
            )
        if obj.host and not settings.MUNICIPALITY_HOSTS:
            messages.warning(
                request,
                _(
                    "Municipalities are served under their own hosts once the setting "
                    "MUNICIPALITY_HOSTS is switched on; until then under /%(slug)s/ only."
                )
                % {"slug": obj.slug},
            )


class FieldOfActionInline(admin.TabularInline):
    model = FieldOfAction
    extra = 0
    fields = ["number", "title", "position", "source_note"]


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "start_year", "end_year", "adopted_on", "predecessor"]
    list_filter = ["municipality"]
    list_select_related = ["municipality", "predecessor"]
    search_fields = ["title", "short_title", "slug"]
    autocomplete_fields = ["municipality", "predecessor"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [FieldOfActionInline]


class ActionPlanProvisionInline(admin.TabularInline):
    model = ActionPlanProvision
    extra = 0
    fields = ["position", "text", "parent"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only provisions of the same plan can be parents; bounded dropdown.
        if db_field.name == "parent":
            plan_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = ActionPlanProvision.objects.filter(action_plan_id=plan_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ActionPlan)
class ActionPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "concept", "in_force_from"]
    list_select_related = ["concept"]
    search_fields = ["title", "concept__title"]
    autocomplete_fields = ["concept"]
    inlines = [ActionPlanProvisionInline]


@admin.register(FieldOfAction)
class FieldOfActionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "concept"]
    list_filter = ["concept"]
    list_select_related = ["concept"]
    search_fields = ["number", "title"]
    autocomplete_fields = ["concept"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "municipality", "name_is_assumption"]
    list_filter = ["municipality", "name_is_assumption"]
    list_select_related = ["municipality"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["municipality"]


@admin.register(Office)
class OfficeAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    resource_classes = [OfficeResource]
    list_display = [
        "code",
        "name",
        "short_name",
        "kind",
        "department",
        "name_is_assumption",
        "municipality",
        "position",
    ]
    # The order in which reports list offices, set here or on a report section's page.
    list_editable = ["position"]
    list_filter = ["kind", "name_is_assumption", "municipality"]
    list_select_related = ["department", "municipality"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["municipality", "department", "staff"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Staff of an office are accounts of the bureau's own municipalities.
        if db_field.name == "staff" and not request.user.is_superuser:
            kwargs["queryset"] = accounts_in_scope()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Organisation)
class OrganisationAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    resource_classes = [OrganisationResource]
    list_display = ["name", "short_name", "kind", "municipality", "membership_count"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["municipality"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_membership_count=Count("memberships"))

    @admin.display(description=_("seats in groups"), ordering="_membership_count")
    def membership_count(self, obj):
        return obj._membership_count


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = [
        "position",
        "organisation",
        "office",
        "department",
        "role",
        "report_wording",
        "active_from",
        "active_until",
    ]
    autocomplete_fields = ["organisation", "office", "department"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = [
        "short_name",
        "title",
        "kind",
        "concept",
        "active_from",
        "active_until",
        "member_count",
    ]
    list_filter = ["kind", "concept"]
    list_select_related = ["concept"]
    search_fields = ["short_name", "title"]
    autocomplete_fields = ["concept", "fields_of_action", "members_involved_in"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


@admin.register(Membership)
class MembershipAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    resource_classes = [MembershipResource]
    list_display = ["__str__", "group", "role", "position", "active_from", "active_until"]
    list_filter = ["group__concept", "group"]
    list_select_related = ["group", "organisation", "office", "department"]
    search_fields = [
        "organisation__name",
        "office__code",
        "office__name",
        "department__name",
        "role",
    ]
    autocomplete_fields = ["group", "organisation", "office", "department"]

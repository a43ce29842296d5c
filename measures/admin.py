import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpers.admin_import import LimitedImportExportModelAdmin
from helpers.cells import NeutralisedExportMixin

from .models import (
    ActionNeed,
    FundingAmount,
    FundingArea,
    FundingLine,
    FundingLineArea,
    FundingProgramme,
    Indicator,
    IndicatorValue,
    Language,
    Measure,
    Notification,
    Reminder,
    ReportingRound,
    SpreadsheetImport,
    StatusEntry,
    Topic,
)
from .permissions import can_review, without_others_drafts
from .resources import ActionNeedResource, FundingAmountResource, MeasureAdminResource
from .services import NotAllowed, approve_entry


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "parent", "concept", "position"]
    list_filter = ["concept"]
    list_select_related = ["parent", "concept"]
    search_fields = ["title", "slug"]
    autocomplete_fields = ["concept", "parent"]
    prepopulated_fields = {"slug": ["title"]}


class StatusEntryInline(admin.TabularInline):
    """Entries are shown, not edited, in the measure: review happens in the workspace
    and every entry is kept."""

    model = StatusEntry
    fk_name = "measure"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["as_of", "status", "progress", "state", "author", "reviewer"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("author", "reviewer")
        return without_others_drafts(request.user, queryset)


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    # Deleted on its own page, which refuses while values reported with a status
    # entry hang on it.
    can_delete = False
    fields = ["name", "unit", "target"]
    show_change_link = True


class MeasureAdminForm(forms.ModelForm):
    """The measure as the admin edits it, with the version it was opened at. Saving
    compares that version with the stored one while holding the measure's row lock
    (the admin's change view runs in one transaction), so a change saved meanwhile,
    by an import, a status form or another admin page, is reported as a conflict and
    never overwritten with the values this page showed (services.py explains the
    versions). MeasureAdmin's fieldsets choose the fields."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        stored = (
            Measure.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if cleaned.get("opened_version") != stored:
            raise ValidationError(
                _(
                    "Someone else has changed this measure since you opened this page "
                    "(for example by an import or a status entry); nothing was saved. "
                    "Open the measure again to see the current values, then make your "
                    "change once more."
                ),
                code="conflict",
            )
        return cleaned


@admin.register(Measure)
class MeasureAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    form = MeasureAdminForm
    resource_classes = [MeasureAdminResource]
    list_display = [
        "number",
        "title",
        "lead_office",
        "topic",
        "current_status_display",
        "is_public",
        "concept",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["concept", "current_entry__status", "is_public", "topic", "field_of_action"]
    list_select_related = ["lead_office", "topic", "current_entry", "concept"]
    search_fields = ["number", "title", "description"]
    autocomplete_fields = [
        "concept",
        "field_of_action",
        "topic",
        "working_group",
        "lead_office",
        "responsible_department",
        "partner_offices",
        "partner_organisations",
        "parent",
        "reported_with",
        "languages",
    ]
    readonly_fields = ["current_status_display", "version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["concept", "number", "title", "description", "goal", "parent"]}),
        (
            _("In the report"),
            {
                "fields": ["report_wording", "reported_with", "position"],
                "description": _(
                    "How the implementation report lists the measure, and where: the bureau "
                    "also orders the items on each section's page of the report."
                ),
            },
        ),
        (_("Classification"), {"fields": ["field_of_action", "topic", "working_group"]}),
        (
            _("Responsibility"),
            {
                "fields": [
                    "lead_office",
                    "responsible_department",
                    "partner_offices",
                    "partner_organisations",
                ]
            },
        ),
        (
            _("Period and publication"),
            {
                "fields": [
                    "planned_start",
                    "planned_end",
                    "languages",
                    "is_public",
                ]
            },
        ),
        (_("Source"), {"fields": ["source_note"]}),
        (
            _("Status"),
            {
                "fields": [
                    "current_status_display",
                    "version",
                    "opened_version",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [IndicatorInline, StatusEntryInline]

    @admin.display(description=_("current status"), ordering="current_entry__status")
    def current_status_display(self, obj):
        if not obj.current_entry:
            return _("no approved status yet")
        entry = obj.current_entry
        if entry.progress is None:
            return entry.get_status_display()
        return f"{entry.get_status_display()} ({entry.progress} %)"


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "concept",
        "period_start",
        "period_end",
        "deadline",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["concept"]
    list_select_related = ["concept"]
    search_fields = ["title"]
    autocomplete_fields = ["concept", "due_measures"]

    def has_delete_permission(self, request, obj=None):
        # Deleting a round would take it off the entries reported in it; a round
        # without entries can be deleted on its own page (so not in bulk).
        if obj is None or obj.status_entries.exists():
            return False
        return super().has_delete_permission(request, obj)


def _date_hierarchy_is_valid(query, field):
    parts = [
        query.get(f"{field}__{part}", default)
        for part, default in (("year", None), ("month", "1"), ("day", "1"))
    ]
    if parts[0] is None:
        return True
    try:
        year, month, day = (int(part) for part in parts)
        datetime.date(year, month, day)
    except (ValueError, OverflowError):
        return False
    return year < datetime.MAXYEAR


@admin.register(StatusEntry)
class StatusEntryAdmin(admin.ModelAdmin):
    """Status entries are read here, never written: offices enter them in the
    workspace and the bureau reviews them there (four eyes). Whoever could change an
    entry's state, author, reviewer or values here could approve their own report, so
    the admin offers nothing but the same approval the review queue runs."""

    list_display = [
        "measure",
        "as_of",
        "status",
        "progress",
        "state",
        "author",
        "reviewer",
        "reviewed_at",
    ]
    list_filter = ["state", "status", "measure__concept"]
    list_select_related = ["measure", "author", "reviewer"]
    search_fields = ["measure__number", "measure__title", "note"]
    date_hierarchy = "as_of"
    actions = ["approve_selected"]

    def get_queryset(self, request):
        # A draft belongs to its author's office until it is submitted.
        return without_others_drafts(request.user, super().get_queryset(request))

    def changelist_view(self, request, extra_context=None):
        # Django's date hierarchy fails with a server error on an absurd year
        # (?as_of__year=99999, or 9999 whose next year does not exist): refuse it as
        # the admin refuses other bad filters.
        if not _date_hierarchy_is_valid(request.GET, self.date_hierarchy):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return can_review(request.user)

    @admin.action(description=_("Approve the selected submitted entries"), permissions=["review"])
    def approve_selected(self, request, queryset):
        approved = refused = 0
        for entry in queryset.select_related("measure"):
            if not can_review(request.user, entry):
                refused += 1
                continue
            try:
                approve_entry(
                    entry, request.user, site_url=f"{request.scheme}://{request.get_host()}"
                )
            except NotAllowed:
                refused += 1
            else:
                approved += 1
        if approved:
            self.message_user(
                request,
                ngettext("%(count)d entry approved.", "%(count)d entries approved.", approved)
                % {"count": approved},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d entry was not approved: only submitted entries can be "
                    "approved, and never by their author.",
                    "%(count)d entries were not approved: only submitted entries can be "
                    "approved, and never by their author.",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )


class IndicatorValueInline(admin.TabularInline):
    """Values the bureau keeps itself; values reported with a status entry are
    reviewed with the entry and shown read-only below."""

    model = IndicatorValue
    extra = 0
    fields = ["value", "period_start", "period_end", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status_entry__isnull=True)


class ReportedIndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    extra = 0
    can_delete = False
    fields = ["value", "period_start", "period_end", "note", "status_entry"]
    readonly_fields = fields
    verbose_name = _("reported indicator value")
    verbose_name_plural = _("reported indicator values")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status_entry__isnull=False)
            .select_related("status_entry__measure")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "target", "measure"]
    list_select_related = ["measure"]
    search_fields = ["name", "measure__number", "measure__title"]
    list_filter = ["measure__concept"]
    autocomplete_fields = ["measure"]
    inlines = [IndicatorValueInline, ReportedIndicatorValueInline]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    """A value reported with a status entry is reviewed with it and cannot be
    changed or deleted here; values the bureau keeps itself can."""

    list_display = ["indicator", "value", "period_start", "period_end", "status_entry"]
    list_select_related = ["indicator", "status_entry__measure"]
    search_fields = ["indicator__name"]
    autocomplete_fields = ["indicator"]
    readonly_fields = ["status_entry"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status_entry_id:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status_entry_id:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(FundingProgramme)
class FundingProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "funder"]
    search_fields = ["name", "short_name"]


@admin.register(FundingArea)
class FundingAreaAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class FundingLineAreaInline(admin.TabularInline):
    model = FundingLineArea
    extra = 0
    autocomplete_fields = ["area"]


class FundingAmountInline(admin.TabularInline):
    model = FundingAmount
    extra = 0
    fields = ["year_from", "year_to", "amount", "kind", "is_approximate", "note"]


@admin.register(FundingLine)
class FundingLineAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "responsible_office", "measure"]
    list_filter = ["programme"]
    list_select_related = ["programme", "responsible_office", "measure"]
    search_fields = ["title", "key"]
    autocomplete_fields = ["programme", "measure", "responsible_office"]
    prepopulated_fields = {"key": ["title"]}
    inlines = [FundingLineAreaInline, FundingAmountInline]


@admin.register(FundingAmount)
class FundingAmountAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    resource_classes = [FundingAmountResource]
    list_display = ["line", "year_from", "year_to", "amount", "kind", "is_approximate"]
    list_filter = ["kind", "is_approximate", "line__programme"]
    list_select_related = ["line"]
    search_fields = ["line__title", "line__key"]
    autocomplete_fields = ["line"]


@admin.register(ActionNeed)
class ActionNeedAdmin(NeutralisedExportMixin, LimitedImportExportModelAdmin):
    resource_classes = [ActionNeedResource]
    list_display = ["number", "short_title", "status", "concept", "carried_into"]
    list_filter = ["status", "concept", "carried_into"]
    list_select_related = ["concept", "carried_into"]
    search_fields = ["number", "title"]
    autocomplete_fields = [
        "concept",
        "parent",
        "field_of_action",
        "responsible_offices",
        "measures",
        "carried_into",
        "carried_into_field",
    ]

    @admin.display(description=_("text"), ordering="title")
    def short_title(self, obj):
        return obj.title if len(obj.title) <= 100 else obj.title[:99] + "…"


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["sent_on", "office", "reporting_round", "outstanding", "recipients"]
    list_filter = ["reporting_round"]
    list_select_related = ["office", "reporting_round"]
    search_fields = ["office__code", "office__name", "recipients"]
    readonly_fields = ["reporting_round", "office", "sent_on", "recipients", "outstanding"]

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The log of e-mails sent (measures/services.py, ``notify``): read only."""

    list_display = ["created_at", "kind", "email", "reporting_round", "sent_at", "subject"]
    list_filter = ["kind", "reporting_round"]
    list_select_related = ["reporting_round"]
    search_fields = ["email", "subject"]
    raw_id_fields = ["recipient", "office", "entry", "reporting_round"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SpreadsheetImport)
class SpreadsheetImportAdmin(admin.ModelAdmin):
    """Uploaded spreadsheets, for tracing an import back to its file; made on the
    spreadsheet page and never edited here. A bureau sees its municipality's; the
    system administration all, with the municipality each was uploaded in."""

    list_display = ["file_name", "kind", "uploaded_at", "uploaded_by", "state", "imported_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["uploaded_by", "municipality"]
    fields = [
        "file_name",
        "kind",
        "file_format",
        "sha256",
        "municipality",
        "uploaded_by",
        "uploaded_at",
        "state",
        "imported_at",
        "summary",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def get_list_display(self, request):
        if request.user.is_superuser:
            return [*self.list_display, "municipality"]
        return self.list_display

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return [*self.list_filter, "municipality"]
        return self.list_filter

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

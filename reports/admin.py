from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AccessibilityBarrier,
    AccessibilityFeedback,
    PublishedVersion,
    Report,
    ReportSection,
)


class ReportSectionInline(admin.TabularInline):
    model = ReportSection
    extra = 0
    fields = ["position", "number", "title", "kind", "topics", "shows_statuses"]
    autocomplete_fields = ["topics"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["title", "concept", "period_start", "period_end", "presented_on"]
    list_filter = ["concept"]
    list_select_related = ["concept"]
    search_fields = ["title", "slug"]
    autocomplete_fields = ["concept", "presented_to", "issued_by"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ReportSectionInline]


@admin.register(ReportSection)
class ReportSectionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "kind", "shows_statuses", "report"]
    list_filter = ["kind", "report"]
    list_select_related = ["report"]
    search_fields = ["title"]
    autocomplete_fields = ["report", "topics"]


@admin.register(PublishedVersion)
class PublishedVersionAdmin(admin.ModelAdmin):
    """Published versions are read here, never added, changed or deleted: they are
    made by publishing on the report page and stay as they are."""

    list_display = ["report", "number", "published_at", "publisher", "pdf_sha256"]
    list_filter = ["report"]
    list_select_related = ["report", "published_by"]
    fields = [
        "report",
        "number",
        "published_at",
        "publisher",
        "note",
        "html_sha256",
        "pdf_sha256",
        "docx_sha256",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*PublishedVersion.STORED)

    @admin.display(description=_("published by"), ordering="published_by__last_name")
    def publisher(self, version):
        return version.publisher_name()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessibilityBarrier)
class AccessibilityBarrierAdmin(admin.ModelAdmin):
    """The known barriers the accessibility statement lists, in this order."""

    # No list_editable: Django renders its inputs without labels (axe-core: "label").
    list_display = ["title", "kind", "requirements", "is_current", "position"]
    list_filter = ["kind", "is_current"]
    search_fields = ["title", "description"]
    fields = [
        "title",
        "kind",
        "description",
        "requirements",
        "reason",
        "alternative",
        "is_current",
        "position",
    ]


@admin.register(AccessibilityFeedback)
class AccessibilityFeedbackAdmin(admin.ModelAdmin):
    """Messages sent with the feedback form: read here, marked as handled, with an
    internal note; deleted once they need not be kept (they may hold personal data).
    They are made only by the form. A bureau reads those sent in its municipality
    (the scope); the system administration all, with the municipality they were
    sent in, those of the instance's own pages among them."""

    list_display = [
        "received_at",
        "page",
        "short_message",
        "name",
        "email",
        "mailed_at",
        "is_handled",
    ]
    list_display_links = ["received_at", "short_message"]
    list_filter = ["is_handled", "received_at"]
    search_fields = ["message", "page", "name", "email"]
    readonly_fields = [
        "received_at",
        "sent_in",
        "page",
        "message",
        "name",
        "email",
        "language",
        "mailed_at",
    ]
    fields = [*readonly_fields, "is_handled", "note"]

    def get_list_display(self, request):
        if request.user.is_superuser:
            return [*self.list_display, "sent_in"]
        return self.list_display

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return [*self.list_filter, "municipality"]
        return self.list_filter

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("municipality")

    @admin.display(description=_("message"), ordering="message")
    def short_message(self, obj):
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"

    @admin.display(description=_("municipality"), ordering="municipality__name")
    def sent_in(self, obj):
        return obj.municipality or _("the instance's own pages")

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from .models import PublishedVersion, Report, ReportSection


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

    list_display = ["report", "number", "published_at", "published_by", "pdf_sha256"]
    list_filter = ["report"]
    list_select_related = ["report", "published_by"]
    fields = [
        "report",
        "number",
        "published_at",
        "published_by",
        "note",
        "html_sha256",
        "pdf_sha256",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*PublishedVersion.STORED)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

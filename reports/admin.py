from django.contrib import admin

from .models import Report, ReportSection


class ReportSectionInline(admin.TabularInline):
    model = ReportSection
    extra = 0
    fields = ["position", "number", "title", "kind", "topics", "text"]
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
    list_display = ["number", "title", "kind", "report"]
    list_filter = ["kind", "report"]
    list_select_related = ["report"]
    search_fields = ["title"]
    autocomplete_fields = ["report", "topics"]

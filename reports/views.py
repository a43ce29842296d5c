"""Progress pages for the advisory council and, when switched on, the public.

Only approved entries are shown, and to the public only public measures; never
drafts, returned entries, internal notes or names of staff."""

import csv
import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from helpers.cells import neutralise_row
from helpers.decorators import requires
from helpers.worker import worker_is_late
from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    IndicatorValue,
    Measure,
    Status,
    StatusEntry,
)
from measures.permissions import (
    can_read_progress,
    readable_concepts,
    readable_funding_lines,
    sees_internal_records,
)
from working_groups.models import Membership, WorkingGroup

from .comparison import compare, status_snapshot
from .exports import CONTENT_TYPES, draft_html, draft_version, frozen_download
from .filters import ProgressFilter
from .forms import PublishForm, SectionTextsForm
from .models import Publication, PublishedVersion, Report, ReportExport
from .open_data import FIELDS, LICENCE, rows_for
from .permissions import can_edit_reports, can_publish, can_read_drafts, can_read_reports
from .progress import NO_STATUS, overview_aggregates
from .published_html import body_html
from .rendering import report_context
from .tasks import (
    fail_if_lost,
    latest_export,
    latest_exports,
    request_export,
    request_publication,
)


def _concept(request):
    """The concept chosen in the query string, else the latest with measures."""
    concepts = list(
        readable_concepts(request.user)
        .select_related("municipality")
        .annotate(has_measures=Exists(Measure.objects.filter(concept=OuterRef("pk"))))
        .order_by("-start_year")
    )
    chosen = request.GET.get("konzept")
    by_slug = {c.slug: c for c in concepts}
    if chosen in by_slug:
        return by_slug[chosen], concepts
    for concept in concepts:
        if concept.has_measures:
            return concept, concepts
    return (concepts[0] if concepts else None), concepts


def _progress_page(request, template, context):
    """A progress page: its body ``template`` in the frame of the progress pages."""
    return render(request, "reports/progress_page.html", {**context, "body": template})


@require_safe
@requires(can_read_progress)
def overview(request):
    concept, concepts = _concept(request)
    return _progress_page(
        request, "reports/_overview_body.html", _overview_context(request, concept, concepts)
    )


def _overview_context(request, concept, concepts):
    context = {
        "concepts": concepts,
        "concept": concept,
        "statuses": [*Status.choices, (str(NO_STATUS), NO_STATUS.label)],
        "page_title": _("Progress"),
    }
    if concept is None:
        return context
    progress_filter = ProgressFilter(
        request.GET,
        Measure.objects.visible_to(request.user).filter(concept=concept),
        concept=concept,
    )
    measures = progress_filter.qs
    chosen = progress_filter.selected()
    fields, groups, offices = (
        progress_filter.fields,
        progress_filter.groups,
        progress_filter.offices,
    )
    selected = {
        "field": chosen["handlungsfeld"],
        "group": chosen["gruppe"],
        "office": chosen["amt"],
        "status": chosen["status"] or "",
        "overdue": chosen["ueberfaellig"],
        "stale": chosen["veraltet"],
        "q": chosen["q"] or "",
    }

    page = Paginator(
        measures.select_related("current_entry", "lead_office", "responsible_department").order_by(
            "position", "number"
        ),
        25,
    ).get_page(request.GET.get("seite"))
    query = request.GET.copy()
    query.pop("seite", None)
    context.update(
        {
            "fields": fields,
            "groups": groups,
            "offices": offices,
            "selected": selected,
            # Invalid values are ignored; the page says which and why.
            "filter_errors": [
                (progress_filter.form[name].label, errors)
                for name, errors in progress_filter.errors.items()
            ],
            "aggregates": _aggregates(request, concept, measures, progress_filter, query),
            # Reports in the making are for the bureau and the council.
            "reports": Report.objects.filter(concept=concept)
            if can_read_reports(request.user)
            else [],
            "page": page,
            "query": query.urlencode(),
        }
    )
    return context


def _aggregates(request, concept, measures, progress_filter, query):
    """The counts of the overview (all measures, overdue, stale; per heading, field of
    action, working group and lead office) as HTML: what the page spends its time on.
    Kept in the cache under the concept's version (working_groups/versions.py), for
    each audience (every measure, or the public ones), language, day (overdue and
    stale depend on it) and filter; the page of the list does not count."""
    key = "|".join(
        [
            str(concept.pk),
            str(concept.content_version),
            "internal" if sees_internal_records(request.user) else "public",
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            query.urlencode(),
            # its links lead to the address the page was asked at (/<slug>/…)
            get_script_prefix(),
        ]
    )
    return cache.get_or_set(
        f"progress-aggregates:{hashlib.sha256(key.encode()).hexdigest()}",
        lambda: render_to_string(
            "reports/_overview_aggregates.html",
            {
                **overview_aggregates(
                    concept,
                    measures,
                    progress_filter.fields,
                    progress_filter.groups,
                    progress_filter.offices,
                ),
                "query": query.urlencode(),
            },
        ),
        settings.PROGRESS_CACHE_SECONDS,
    )


@require_safe
@requires(can_read_progress)
def measure_progress(request, pk):
    return _progress_page(
        request, "reports/_measure_progress_body.html", _measure_context(request, pk)
    )


def _measure_context(request, pk):
    visible = Measure.objects.visible_to(request.user)
    measure = get_object_or_404(
        visible.select_related(
            "concept",
            "current_entry",
            "lead_office",
            "responsible_department",
            "topic",
            "field_of_action",
            "working_group",
            "parent",
        )
        .with_timeliness()
        .annotate(parent_is_visible=Exists(visible.filter(pk=OuterRef("parent_id")))),
        pk=pk,
    )
    approved = Q(status_entry__isnull=True) | Q(status_entry__state=StatusEntry.State.APPROVED)
    context = {
        "measure": measure,
        # A public sub-measure of an internal measure names no parent.
        "parent": measure.parent if measure.parent_is_visible else None,
        "page_title": f"{measure.number} {measure.title}",
        # Only approved entries, and only the fields that may be published.
        "timeline": measure.status_entries.approved()
        .order_by("-as_of", "-pk")
        .only("status", "progress", "as_of", "note", "reason", "measure_id"),
        "partner_offices": measure.partner_offices.order_by("position", "code", "name"),
        "partner_organisations": measure.partner_organisations.all(),
        "indicators": measure.indicators.prefetch_related(
            Prefetch("values", queryset=IndicatorValue.objects.filter(approved))
        ),
        "funding_lines": measure.funding_lines.select_related(
            "programme", "responsible_office"
        ).prefetch_related("amounts"),
        "action_needs": measure.action_needs.select_related("carried_into"),
        "children": visible.filter(parent=measure).select_related("current_entry"),
    }
    return context


@require_safe
@requires(can_read_progress)
def members(request):
    return _progress_page(request, "reports/_members_body.html", _members_context(request))


def _members_context(request):
    concept, concepts = _concept(request)
    groups = (
        WorkingGroup.objects.filter(concept=concept)
        .select_related("members_involved_in")
        .prefetch_related(
            "fields_of_action",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation", "office", "department"),
            ),
        )
        if concept
        else []
    )
    return {
        "concept": concept,
        "concepts": concepts,
        "groups": groups,
        "page_title": _("Contributors"),
    }


@require_safe
@requires(can_read_progress)
def funding(request):
    # Funding lines of every concept.
    return _progress_page(request, "reports/_funding_body.html", _funding_context(request))


def _funding_context(request):
    lines = (
        FundingLine.objects.select_related("programme", "responsible_office", "measure")
        .prefetch_related(
            Prefetch("amounts", queryset=FundingAmount.objects.order_by("year_from", "year_to")),
            "fundinglinearea_set__area",
        )
        .order_by(F("programme__name").asc(nulls_last=True), "title")
    )
    lines = readable_funding_lines(request.user, lines)
    programmes = {}
    for line in lines:
        amounts = list(line.amounts.all())
        line.amount_list = amounts
        line.change = _change(amounts)
        programmes.setdefault(line.programme, []).append(line)
    # One scale for every bar on the page: 550.000 € draws longer than 149.200 €.
    largest = max(
        (a.amount for lines in programmes.values() for line in lines for a in line.amount_list),
        default=0,
    )
    return {
        "programmes": list(programmes.items()),
        "amount_scale": largest,
        "page_title": _("Funding"),
    }


def _change(amounts):
    """First and last single-year amount of the same kind, and the difference."""
    single = [a for a in amounts if a.year_from == a.year_to]
    if len(single) < 2:
        return None
    first, last = single[0], single[-1]
    if first.kind != last.kind:
        return None
    difference = last.amount - first.amount
    return {
        "first": first,
        "last": last,
        "difference": difference,
        "percent": round(100 * difference / first.amount, 1) if first.amount else None,
    }


@require_safe
@requires(can_read_progress)
def needs(request):
    # A need lists the measures addressing it, with their status, from any concept.
    return _progress_page(request, "reports/_needs_body.html", _needs_context(request))


def _needs_context(request):
    concept, concepts = _concept(request)
    readable = Measure.objects.visible_to(request.user)
    all_needs = (
        list(
            ActionNeed.objects.filter(concept=concept)
            .select_related("carried_into", "carried_into_field", "field_of_action")
            .prefetch_related(
                "responsible_offices",
                Prefetch("measures", queryset=readable.select_related("current_entry")),
            )
        )
        if concept
        else []
    )
    children = {}
    for need in all_needs:
        children.setdefault(need.parent_id, []).append(need)
    for need in all_needs:
        need.sub_needs = children.get(need.pk, [])
    return {
        "concept": concept,
        "concepts": concepts,
        "needs": children.get(None, []),
        "page_title": _("Needs for action"),
    }


@require_safe
@requires(can_read_progress)
def open_data(request):
    return render(request, "reports/open_data.html", {"fields": FIELDS, "licence": LICENCE()})


@require_safe
@requires(can_read_progress)
def open_data_csv(request):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="massnahmen.csv"'
    writer = csv.writer(response)
    writer.writerow([field.name for field in FIELDS])
    for row in rows_for(Measure.objects.visible_to(request.user)):
        writer.writerow(neutralise_row(row[field.name] for field in FIELDS))
    return response


@require_safe
@requires(can_read_progress)
def open_data_json(request):
    return JsonResponse(
        {
            "licence": LICENCE(),
            "fields": [f.name for f in FIELDS],
            "measures": list(rows_for(Measure.objects.visible_to(request.user))),
        },
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )


# The report pages check the login, then the method, then the right: whoever is
# logged in and sends a page that is only read a POST learns that it is read (405),
# whatever their role (tests/test_permission_matrix.py).


def _report_for(request, slug):
    """The report, with what its pages show of the concept."""
    return get_object_or_404(
        Report.objects.select_related(
            "concept__municipality", "concept__action_plan", "presented_to", "issued_by"
        ),
        slug=slug,
    )


def _versions(report):
    """The report's published versions, newest first, without their documents."""
    return report.versions.select_related("published_by").defer(*PublishedVersion.STORED)


@login_required
@require_safe
@requires(can_read_reports)
def report_list(request):
    """All reports with their published versions (bureau and council). The council
    is led to each report's latest published version, the bureau to the draft."""
    reports = Report.objects.select_related("concept__municipality").prefetch_related(
        Prefetch("versions", queryset=PublishedVersion.objects.defer(*PublishedVersion.STORED))
    )
    paginator = Paginator(reports, 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {"page": page, "reports": page, "can_read_drafts": can_read_drafts(request.user)},
    )


def _export_states(report, exports):
    """What the page says about each draft document: (format, its label, its latest
    export, whether that export's file is current)."""
    current = draft_version(report)
    return [
        (
            format,
            label,
            exports.get(format),
            bool(exports.get(format)) and exports[format].is_current(current),
        )
        for format, label in ReportExport.Format.choices
    ]


@login_required
@require_safe
@requires(can_read_reports)
def report_detail(request, slug):
    """The bureau: the report rendered from the records, with its published
    versions and the state of its draft documents. The council: the latest
    published version (or word that there is none yet)."""
    report = _report_for(request, slug)
    if not can_read_drafts(request.user):
        versions = list(_versions(report)[:1])
        if versions:
            return redirect("reports:version_detail", report.slug, versions[0].number)
        return render(request, "reports/report_unpublished.html", {"report": report})
    context = report_context(report)
    exports = _export_states(report, latest_exports(report))
    context["versions"] = versions = list(_versions(report))
    context["latest_version"] = versions[0] if versions else None
    context["can_read_drafts"] = True
    context["can_publish"] = can_publish(request.user)
    context["publication"] = report.publications.filter(state__in=Publication.IN_PROGRESS).first()
    context["exports"] = exports
    if can_edit_reports(request.user):
        # A form for each section's texts at the section, unfolded on request.
        for item in context["sections"]:
            item["edit_form"] = SectionTextsForm(
                instance=item["section"], prefix=f"section-{item['section'].pk}"
            )
    return render(request, "reports/report_detail.html", context)


def _attachment(content, format, filename):
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
@requires(can_read_drafts)
def report_download(request, slug, format):
    """The draft as HTML (rendered once per version of the records), or its PDF/DOCX
    once the background task has rendered it from the records as they are now; until
    then the export page, which says how far it is. The bureau only."""
    report = _report_for(request, slug)
    filename = f"{report.slug}-entwurf.{format}"
    if format == "html":
        return _attachment(draft_html(report).encode("utf-8"), format, filename)
    if format not in ReportExport.Format.values:
        raise Http404
    export = latest_export(report, format)
    if export is None or not export.is_current(draft_version(report)):
        return redirect("reports:report_export", report.slug, format)
    content = ReportExport.objects.values_list("content", flat=True).get(pk=export.pk)
    return _attachment(bytes(content), format, filename)


# While an export is under way its page reloads itself this often (the HTTP Refresh
# header, which browsers follow without JavaScript, as they do a meta refresh).
EXPORT_REFRESH_SECONDS = 3


@login_required
@require_http_methods(["GET", "POST"])
@requires(can_read_drafts)
def report_export(request, slug, format):
    """GET: how far the draft's PDF or DOCX is. POST: have it rendered (or take the
    finished file if the records have not changed since). The bureau only."""
    report = _report_for(request, slug)
    if format not in ReportExport.Format.values:
        raise Http404
    if request.method == "POST":
        request_export(report, format, request.user, draft_version(report))
        return redirect("reports:report_export", report.slug, format)
    export = latest_export(report, format)
    current = export is not None and export.is_current(draft_version(report))
    response = render(
        request,
        "reports/report_export.html",
        {
            "report": report,
            "exports": [(format, ReportExport.Format(format).label, export, current)],
            "format_label": ReportExport.Format(format).label,
            "standalone": True,
            "worker_is_late": export is not None and export.in_progress and worker_is_late(),
        },
    )
    if export is not None and export.in_progress:
        response["Refresh"] = str(EXPORT_REFRESH_SECONDS)
    return response


@login_required
@require_http_methods(["GET", "POST"])
@requires(can_publish)
def report_publish(request, slug):
    """The bureau freezes the current draft as the next published version."""
    report = _report_for(request, slug)
    last_number = _versions(report).values_list("number", flat=True).first() or 0
    form = PublishForm(request.POST or None, initial={"opened_after": last_number})
    if request.method == "POST" and form.is_valid():
        opened_after = form.cleaned_data["opened_after"]
        publication = request_publication(
            report,
            request.user,
            note=form.cleaned_data["note"],
            # A form without it was opened just now.
            opened_after=last_number if opened_after is None else opened_after,
        )
        return redirect(publication)
    next_number = last_number + 1
    return render(
        request,
        "reports/report_publish.html",
        {"report": report, "form": form, "next_number": next_number},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
@requires(can_publish)
def publication_detail(request, slug, pk):
    """How far a publication is: under way (the page reloads itself), published
    (with the version), refused (why) or failed. The bureau only."""
    report = _report_for(request, slug)
    publication = get_object_or_404(
        report.publications.select_related("version", "requested_by"), pk=pk
    )
    fail_if_lost(publication)
    latest = _versions(report).first() if publication.state == Publication.State.REFUSED else None
    response = render(
        request,
        "reports/publication_detail.html",
        {
            "report": report,
            "publication": publication,
            "latest_version": latest,
            "worker_is_late": publication.in_progress and worker_is_late(),
        },
    )
    if publication.in_progress:
        response["Refresh"] = str(EXPORT_REFRESH_SECONDS)
    return response


@login_required
@require_safe
@requires(can_read_reports)
def version_detail(request, slug, number):
    """A published version read in the browser: its stored HTML inside the site's
    page, with its PDF beside it and the report's other versions."""
    report = _report_for(request, slug)
    versions = list(_versions(report))
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise Http404
    html = report.versions.values_list("html", flat=True).get(pk=version.pk)
    body, lang = body_html(html)
    return render(
        request,
        "reports/version_detail.html",
        {
            "report": report,
            "version": version,
            "versions": versions,
            "latest_version": versions[0],
            "previous_version": next((v for v in versions if v.number < number), None),
            "body": body,
            "body_lang": lang,
            "can_read_drafts": can_read_drafts(request.user),
        },
    )


@login_required
@require_safe
@requires(can_read_reports)
def version_compare(request, slug, number):
    """A version against the previous published version, section by section, from
    what each of them stored when it was published: bureau and council."""
    report = _report_for(request, slug)
    # This version and the one before it, with their HTML and statuses, without PDF or DOCX.
    versions = list(
        report.versions.filter(number__lte=number)
        .select_related("published_by")
        .defer("pdf", "docx")
        .order_by("-number")[:2]
    )
    if not versions or versions[0].number != number:
        raise Http404
    version = versions[0]
    previous = versions[1] if len(versions) > 1 else None
    comparison = None
    if previous is not None:
        comparison = compare(previous.html, version.html, previous.statuses, version.statuses)
    return render(
        request,
        "reports/version_compare.html",
        {
            "report": report,
            "version": version,
            "previous": previous,
            "comparison": comparison,
            "without_statuses": [
                v for v in (previous, version) if v is not None and v.statuses is None
            ],
        },
    )


@login_required
@require_safe
@requires(can_read_drafts)
def draft_compare(request, slug):
    """The draft against the latest published version: what publishing now would
    change for the council's reader. The bureau only."""
    report = _report_for(request, slug)
    # The latest version, with its HTML and statuses, without its PDF and DOCX.
    previous = (
        report.versions.select_related("published_by")
        .defer("pdf", "docx")
        .order_by("-number")
        .first()
    )
    comparison = None
    if previous is not None:
        comparison = compare(
            previous.html, draft_html(report), previous.statuses, status_snapshot(report)
        )
    return render(
        request,
        "reports/version_compare.html",
        {
            "report": report,
            "draft": True,
            "previous": previous,
            "comparison": comparison,
            "without_statuses": [previous] if previous and previous.statuses is None else [],
        },
    )


@login_required
@require_safe
@requires(can_read_reports)
def version_download(request, slug, number, format):
    """A published version's document, byte for byte as it was frozen."""
    report = _report_for(request, slug)
    if format not in ("html", "pdf", "docx"):
        raise Http404
    # the one document asked for, not the others
    others = [name for name in PublishedVersion.STORED if name != format]
    version = get_object_or_404(report.versions.defer(*others), number=number)
    if format not in version.formats():
        raise Http404  # published before the DOCX was kept
    return frozen_download(version, format)
